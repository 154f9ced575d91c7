//! `#[derive(Singleton)]`.

mod expand;
mod model;

use proc_macro2::TokenStream;

pub fn derive(input: syn::DeriveInput) -> TokenStream {
    match model::Singleton::from_ast(&input) {
        Ok(singleton) => expand::expand(&singleton),
        Err(error) => crate::ctxt::fail(error, TokenStream::new()),
    }
}
