//! Code generation for `#[derive(Singleton)]`.

use super::model::Singleton;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

pub fn expand(singleton: &Singleton<'_>) -> TokenStream {
    let ident = singleton.ident;
    let init = match &singleton.init {
        Some(path) => quote!(#path),
        None => {
            quote_spanned!(ident.span()=> <#ident as ::harden_harness::__private::DefaultInit>::default_init)
        }
    };
    let doc = format!(
        "The one `{ident}` of this process, initialised on first use.\n\n\
         Every thread gets the same instance and the initialiser runs once. If the \
         initialiser panics, the panic reaches this caller and the instance stays \
         uninitialised: the next call runs the initialiser again."
    );
    quote! {
        impl #ident {
            #[doc = #doc]
            #[inline]
            pub fn instance() -> &'static #ident {
                static INSTANCE: ::harden_harness::__private::SingletonCell<#ident> =
                    ::harden_harness::__private::SingletonCell::new();
                INSTANCE.get_or_init(#init)
            }
        }
    }
}
