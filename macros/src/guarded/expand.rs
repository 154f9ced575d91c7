//! Code generation for `#[guarded]`: the struct with wrapped fields, its
//! constructor and per-field accessors.

use super::model::{Field, Guarded, LockKind};
use super::select;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub fn expand(guarded: &Guarded) -> TokenStream {
    let Guarded {
        attrs, vis, ident, ..
    } = guarded;
    let field_decls = guarded.fields.iter().map(field_decl);
    let params = guarded
        .fields
        .iter()
        .map(|Field { ident, ty, .. }| quote!(#ident: #ty));
    let inits = guarded.fields.iter().map(field_init);
    let accessors = guarded
        .locked()
        .enumerate()
        .map(|(index, (field, kind))| accessors(guarded, index, field, kind));
    let select = select::expand(guarded);
    let new_doc =
        format!("A `{ident}` from its field values, each locked field behind its own lock.");
    quote! {
        #(#attrs)*
        #vis struct #ident {
            #(#field_decls,)*
        }

        impl #ident {
            #[doc = #new_doc]
            #[allow(clippy::too_many_arguments)]
            #vis fn from_fields(#(#params),*) -> Self {
                Self { #(#inits,)* }
            }

            #(#accessors)*
        }

        #select
    }
}

/// The lock wrapper type of a locked field.
pub fn wrapper(kind: LockKind, ty: &syn::Type) -> TokenStream {
    match kind {
        LockKind::Mutex => quote!(::harden_harness::__private::FieldMutex<#ty>),
        LockKind::RwLock => quote!(::harden_harness::__private::FieldRwLock<#ty>),
    }
}

/// `FieldSite` of locked field number `index`, inside a method on `&self`
/// (or on a value whose `owner` field is `&Self`, given `owner`).
pub fn site(guarded: &Guarded, index: usize, field: &Field, owner: TokenStream) -> TokenStream {
    let name = field.ident.to_string();
    let owner_type = guarded.ident.to_string();
    quote! {
        ::harden_harness::__private::FieldSite {
            owner: ::core::ptr::from_ref(#owner).addr(),
            index: #index,
            field: #name,
            owner_type: #owner_type,
        }
    }
}

fn field_decl(field: &Field) -> TokenStream {
    let Field {
        attrs,
        vis,
        ident,
        ty,
        lock,
    } = field;
    match lock {
        // Locked fields are private: the accessors are the only way in.
        Some(kind) => {
            let wrapper = wrapper(*kind, ty);
            quote!(#(#attrs)* #ident: #wrapper)
        }
        None => quote!(#(#attrs)* #vis #ident: #ty),
    }
}

fn field_init(field: &Field) -> TokenStream {
    let ident = &field.ident;
    match field.lock {
        Some(kind) => {
            let wrapper = wrapper(kind, &field.ty);
            quote!(#ident: <#wrapper>::new(#ident))
        }
        None => quote!(#ident),
    }
}

fn accessors(guarded: &Guarded, index: usize, field: &Field, kind: LockKind) -> TokenStream {
    let Field { vis, ident, ty, .. } = field;
    let site = site(guarded, index, field, quote!(self));
    let get_mut = format_ident!("{}_mut", ident);
    let get_mut_doc = format!("`{ident}` without locking: `&mut self` proves no guard is alive.");
    let lock_fns = match kind {
        LockKind::Mutex => {
            let lock = format_ident!("lock_{}", ident);
            let doc = format!(
                "Lock `{ident}`. Debug and loom builds panic if this thread already holds `{ident}` or a field declared after it."
            );
            quote! {
                #[doc = #doc]
                #vis fn #lock(&self) -> ::harden_harness::__private::MutexFieldGuard<'_, #ty> {
                    self.#ident.lock_at(#site)
                }
            }
        }
        LockKind::RwLock => {
            let read = format_ident!("read_{}", ident);
            let write = format_ident!("write_{}", ident);
            let doc = format!(
                "Lock `{ident}` for reading. Debug and loom builds panic if this thread already holds `{ident}` or a field declared after it."
            );
            let write_doc = format!(
                "Lock `{ident}` for writing. Debug and loom builds panic if this thread already holds `{ident}` or a field declared after it."
            );
            quote! {
                #[doc = #doc]
                #vis fn #read(&self) -> ::harden_harness::__private::ReadFieldGuard<'_, #ty> {
                    self.#ident.read_at(#site)
                }

                #[doc = #write_doc]
                #vis fn #write(&self) -> ::harden_harness::__private::WriteFieldGuard<'_, #ty> {
                    self.#ident.write_at(#site)
                }
            }
        }
    };
    quote! {
        #lock_fns

        #[doc = #get_mut_doc]
        #vis fn #get_mut(&mut self) -> &mut #ty {
            self.#ident.get_mut()
        }
    }
}
