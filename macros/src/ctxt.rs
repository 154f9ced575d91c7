//! Error collection in serde_derive's style: validation records every
//! problem it finds and the macro reports them all at once.

use proc_macro2::TokenStream;
use quote::ToTokens;
use std::fmt::Display;

/// Collects `syn::Error`s while a macro validates its input.
#[derive(Default)]
pub struct Ctxt {
    errors: Vec<syn::Error>,
}

impl Ctxt {
    /// Record an error spanning `tokens`.
    pub fn error_spanned_by(&mut self, tokens: impl ToTokens, message: impl Display) {
        self.errors.push(syn::Error::new_spanned(tokens, message));
    }

    /// Record an already-built error (from parsing, say).
    pub fn syn_error(&mut self, error: syn::Error) {
        self.errors.push(error);
    }

    /// `Ok` if nothing went wrong, else all errors combined into one.
    pub fn check(self) -> Result<(), syn::Error> {
        let mut errors = self.errors.into_iter();
        let Some(mut combined) = errors.next() else {
            return Ok(());
        };
        for error in errors {
            combined.combine(error);
        }
        Err(combined)
    }
}

/// The expansion for a failed macro: every `compile_error!` plus a stub
/// that keeps the user's item nameable so they see only our messages.
pub fn fail(error: syn::Error, stub: TokenStream) -> TokenStream {
    let errors = error.to_compile_error();
    quote::quote! {
        #errors
        #stub
    }
}
