//! `#[derive(MetricLabels)]`.

mod expand;
mod forbidden;
mod model;

use proc_macro2::TokenStream;

pub fn derive(input: syn::DeriveInput) -> TokenStream {
    match model::LabelSet::from_ast(&input) {
        Ok(labels) => expand::expand(&labels),
        Err(error) => crate::ctxt::fail(error, expand::stub(&input)),
    }
}
