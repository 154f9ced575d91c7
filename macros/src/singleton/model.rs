//! Parsed and validated `#[derive(Singleton)]` input.

use crate::attr;
use crate::ctxt::Ctxt;

pub struct Singleton<'a> {
    pub ident: &'a syn::Ident,
    /// `#[singleton(init = path)]`, else `Default::default`.
    pub init: Option<syn::Path>,
}

impl<'a> Singleton<'a> {
    pub fn from_ast(input: &'a syn::DeriveInput) -> syn::Result<Self> {
        let mut cx = Ctxt::default();
        if input.generics.lt_token.is_some() || input.generics.where_clause.is_some() {
            cx.error_spanned_by(
                &input.generics,
                "Singleton cannot be derived for a generic type: one static holds one instance, not one per type argument",
            );
        }
        let init = parse_init(&mut cx, &input.attrs);
        cx.check()?;
        Ok(Self {
            ident: &input.ident,
            init,
        })
    }
}

fn parse_init(cx: &mut Ctxt, attrs: &[syn::Attribute]) -> Option<syn::Path> {
    let mut init: Option<syn::Path> = None;
    for attribute in attr::named(attrs, "singleton") {
        let parsed = attribute.parse_nested_meta(|meta| {
            if meta.path.is_ident("init") {
                let path: syn::Path = meta.value()?.parse()?;
                if init.is_some() {
                    cx.error_spanned_by(&path, "duplicate `init` in #[singleton(...)]");
                }
                init = Some(path);
                Ok(())
            } else {
                Err(meta
                    .error("unknown #[singleton] option: expected `init = path::to::constructor`"))
            }
        });
        if let Err(error) = parsed {
            cx.syn_error(error);
        }
    }
    init
}
