//! `#[nonblocking]`.

mod blocking_list;
mod finder;

use proc_macro2::TokenStream;

pub fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let function: syn::ItemFn = match syn::parse2(input.clone()) {
        Ok(function) => function,
        Err(_) => {
            let error = syn::Error::new_spanned(&input, "#[nonblocking] applies to an `async fn`");
            return crate::ctxt::fail(error, input);
        }
    };
    let mut cx = crate::ctxt::Ctxt::default();
    if !args.is_empty() {
        cx.error_spanned_by(&args, "#[nonblocking] takes no arguments");
    }
    if function.sig.asyncness.is_none() {
        cx.error_spanned_by(
            function.sig.fn_token,
            "#[nonblocking] applies to an `async fn`; this function is synchronous",
        );
    }
    for call in finder::blocking_calls(&function.block, blocking_list::entries()) {
        cx.error_spanned_by(&call.tokens, call.message());
    }
    // The function is emitted unchanged either way: on error it is the stub
    // that keeps callers compiling.
    match cx.check() {
        Ok(()) => quote::quote!(#function),
        Err(error) => crate::ctxt::fail(error, quote::quote!(#function)),
    }
}
