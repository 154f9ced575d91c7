//! `#[guarded]`.

mod expand;
mod model;
mod select;

use proc_macro2::TokenStream;

pub fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let item: syn::ItemStruct = match syn::parse2(input.clone()) {
        Ok(item) => item,
        Err(_) => {
            let error =
                syn::Error::new_spanned(&input, "#[guarded] applies to a struct with named fields");
            return crate::ctxt::fail(error, input);
        }
    };
    match model::Guarded::from_ast(args, &item) {
        Ok(guarded) => expand::expand(&guarded),
        Err(error) => crate::ctxt::fail(error, model::strip_lock_attrs(item)),
    }
}
