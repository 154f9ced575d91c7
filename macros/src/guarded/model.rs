//! Parsed and validated `#[guarded]` input.

use crate::attr;
use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;
use quote::ToTokens;

pub struct Guarded {
    pub attrs: Vec<syn::Attribute>,
    pub vis: syn::Visibility,
    pub ident: syn::Ident,
    pub fields: Vec<Field>,
}

pub struct Field {
    pub attrs: Vec<syn::Attribute>,
    pub vis: syn::Visibility,
    pub ident: syn::Ident,
    pub ty: syn::Type,
    pub lock: Option<LockKind>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    Mutex,
    RwLock,
}

impl Guarded {
    pub fn from_ast(args: TokenStream, item: &syn::ItemStruct) -> syn::Result<Self> {
        let mut cx = Ctxt::default();
        if !args.is_empty() {
            cx.error_spanned_by(
                &args,
                "#[guarded] takes no arguments; mark fields with #[lock] or #[lock(rw)]",
            );
        }
        if item.generics.lt_token.is_some() || item.generics.where_clause.is_some() {
            cx.error_spanned_by(
                &item.generics,
                "#[guarded] does not support generic structs",
            );
        }
        let named = match &item.fields {
            syn::Fields::Named(named) => named.named.iter().collect(),
            other => {
                cx.error_spanned_by(
                    other,
                    "#[guarded] needs named fields: accessors are named after them",
                );
                Vec::new()
            }
        };
        let any_marked = named
            .iter()
            .any(|field| attr::named(&field.attrs, "lock").next().is_some());
        let fields: Vec<Field> = named
            .iter()
            .map(|field| Field::from_ast(&mut cx, field, any_marked))
            .collect();
        let is_named = matches!(item.fields, syn::Fields::Named(_));
        if is_named && fields.iter().all(|field| field.lock.is_none()) {
            cx.error_spanned_by(&item.ident, "#[guarded] struct has no field to lock");
        }
        cx.check()?;
        Ok(Self {
            attrs: item.attrs.clone(),
            vis: item.vis.clone(),
            ident: item.ident.clone(),
            fields,
        })
    }

    pub fn locked(&self) -> impl Iterator<Item = (&Field, LockKind)> {
        self.fields
            .iter()
            .filter_map(|field| field.lock.map(|kind| (field, kind)))
    }
}

impl Field {
    fn from_ast(cx: &mut Ctxt, field: &syn::Field, any_marked: bool) -> Self {
        let mut lock = (!any_marked).then_some(LockKind::Mutex);
        for attribute in attr::named(&field.attrs, "lock") {
            lock = Some(LockKind::Mutex);
            if matches!(attribute.meta, syn::Meta::Path(_)) {
                continue;
            }
            let parsed = attribute.parse_nested_meta(|meta| {
                if meta.path.is_ident("rw") {
                    lock = Some(LockKind::RwLock);
                    Ok(())
                } else {
                    Err(meta.error(
                        "unknown lock kind: expected #[lock] (Mutex) or #[lock(rw)] (RwLock)",
                    ))
                }
            });
            if let Err(error) = parsed {
                cx.syn_error(error);
            }
        }
        Self {
            attrs: without_lock(&field.attrs),
            vis: field.vis.clone(),
            ident: field.ident.clone().expect("named field"),
            ty: field.ty.clone(),
            lock,
        }
    }
}

fn without_lock(attrs: &[syn::Attribute]) -> Vec<syn::Attribute> {
    attrs
        .iter()
        .filter(|attribute| !attribute.path().is_ident("lock"))
        .cloned()
        .collect()
}

/// The user's struct as written minus our `#[lock]` markers: the stub
/// emitted next to errors, so the struct still exists and no second
/// "unknown attribute" error appears.
pub fn strip_lock_attrs(mut item: syn::ItemStruct) -> TokenStream {
    for field in item.fields.iter_mut() {
        field.attrs = without_lock(&field.attrs);
    }
    item.into_token_stream()
}
