//! Code generation for `#[guarded]`'s multi-field API:
//! `value.select().b().a().lock()` acquires `a` then `b` (declaration
//! order) and returns a `<Struct>Guards` with one public field per
//! selected field.

use super::expand::{site, wrapper};
use super::model::{Guarded, LockKind};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

pub fn expand(guarded: &Guarded) -> TokenStream {
    let Guarded { vis, ident, .. } = guarded;
    let select = format_ident!("{}Select", ident);
    let guards = format_ident!("{}Guards", ident);
    let locked: Vec<_> = guarded.locked().collect();
    let picks: Vec<_> = (0..locked.len())
        .map(|i| format_ident!("__HardenPick{}", i))
        .collect();
    let skips = locked
        .iter()
        .map(|_| quote!(::harden_harness::__private::Skip));
    let bounds: Vec<_> = locked
        .iter()
        .zip(&picks)
        .map(|((field, kind), pick)| {
            let wrapper = wrapper(*kind, &field.ty);
            quote!(#pick: ::harden_harness::__private::Acquire<'a, #wrapper>)
        })
        .collect();
    let selectors = locked.iter().enumerate().map(|(index, (field, kind))| {
        let field_vis = &field.vis;
        let name = &field.ident;
        let chosen = |marker: TokenStream| {
            let mut args: Vec<TokenStream> = picks.iter().map(|pick| quote!(#pick)).collect();
            args[index] = marker;
            quote!(#select<'a, #(#args),*>)
        };
        match kind {
            LockKind::Mutex => {
                let ty = chosen(quote!(::harden_harness::guarded::Take));
                let doc = format!("Include `{name}`.");
                quote! {
                    #[doc = #doc]
                    #field_vis fn #name(self) -> #ty {
                        #select { owner: self.owner, _pick: ::harden_harness::__private::PhantomData }
                    }
                }
            }
            LockKind::RwLock => {
                let read = format_ident!("read_{}", name);
                let write = format_ident!("write_{}", name);
                let read_ty = chosen(quote!(::harden_harness::guarded::Read));
                let write_ty = chosen(quote!(::harden_harness::guarded::Write));
                let read_doc = format!("Include `{name}`, shared.");
                let write_doc = format!("Include `{name}`, exclusive.");
                quote! {
                    #[doc = #read_doc]
                    #field_vis fn #read(self) -> #read_ty {
                        #select { owner: self.owner, _pick: ::harden_harness::__private::PhantomData }
                    }

                    #[doc = #write_doc]
                    #field_vis fn #write(self) -> #write_ty {
                        #select { owner: self.owner, _pick: ::harden_harness::__private::PhantomData }
                    }
                }
            }
        }
    });
    let names: Vec<_> = locked.iter().map(|(field, _)| &field.ident).collect();
    let acquisitions = locked.iter().enumerate().zip(&picks).map(|((index, (field, kind)), pick)| {
        let name = &field.ident;
        let wrapper = wrapper(*kind, &field.ty);
        let site = site(guarded, index, field, quote!(self.owner));
        quote! {
            let #name = <#pick as ::harden_harness::__private::Acquire<'a, #wrapper>>::acquire(&self.owner.#name, #site);
        }
    });
    let guard_fields = locked.iter().zip(&picks).map(|((field, kind), pick)| {
        let field_vis = &field.vis;
        let name = &field.ident;
        let wrapper = wrapper(*kind, &field.ty);
        let doc = format!("`{name}`'s guard if selected, else `()`.");
        quote! {
            #[doc = #doc]
            #field_vis #name: <#pick as ::harden_harness::__private::Acquire<'a, #wrapper>>::Guard
        }
    });
    let select_doc = format!(
        "Fields of a `{ident}` chosen for [`{select}::lock`], which acquires them in declaration order."
    );
    let guards_doc = format!("Several fields of a `{ident}`, held at once.");
    let select_fn_doc = "Choose several fields to hold at once; `lock()` acquires them in declaration order whatever order they are named in.";
    quote! {
        #[doc = #select_doc]
        #[must_use = "nothing is locked until `lock()`"]
        #vis struct #select<'a, #(#picks),*> {
            owner: &'a #ident,
            _pick: ::harden_harness::__private::PhantomData<(#(#picks,)*)>,
        }

        #[doc = #guards_doc]
        #vis struct #guards<'a, #(#bounds),*> {
            #(#guard_fields,)*
        }

        impl #ident {
            #[doc = #select_fn_doc]
            #vis fn select(&self) -> #select<'_, #(#skips),*> {
                #select { owner: self, _pick: ::harden_harness::__private::PhantomData }
            }
        }

        impl<'a, #(#picks),*> #select<'a, #(#picks),*> {
            #(#selectors)*
        }

        impl<'a, #(#bounds),*> #select<'a, #(#picks),*> {
            /// Acquire every selected field, in declaration order.
            #vis fn lock(self) -> #guards<'a, #(#picks),*> {
                #(#acquisitions)*
                #guards { #(#names),* }
            }
        }
    }
}
