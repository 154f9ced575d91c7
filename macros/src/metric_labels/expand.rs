//! Code generation for `#[derive(MetricLabels)]`.

use super::model::{Label, LabelKind, LabelSet};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

pub fn expand(set: &LabelSet<'_>) -> TokenStream {
    let ident = set.ident;
    let names = set.labels.iter().map(|label| &label.name);
    let values = set.labels.iter().map(value);
    let max_series = max_series(set);
    let limit_check = set.max_series.as_ref().map(|limit| {
        let message = format!(
            "{ident}: MAX_SERIES exceeds #[metric_labels(max_series = {limit})]; drop a label or narrow a range"
        );
        quote_spanned! {limit.span()=>
            const _: () = {
                if let ::core::option::Option::Some(series) =
                    <#ident as ::harden_harness::MetricLabels>::MAX_SERIES
                {
                    if series > #limit {
                        ::core::panic!(#message);
                    }
                }
            };
        }
    });
    quote! {
        impl ::harden_harness::MetricLabels for #ident {
            const LABEL_NAMES: &'static [&'static str] = &[#(#names),*];
            const MAX_SERIES: ::core::option::Option<u64> = #max_series;

            fn label_values(&self) -> ::harden_harness::__private::Vec<::harden_harness::__private::Cow<'_, str>> {
                ::std::vec![#(#values),*]
            }
        }

        #limit_check
    }
}

/// The impl emitted next to errors, so uses of the type do not cascade.
pub fn stub(input: &syn::DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        impl #impl_generics ::harden_harness::MetricLabels for #ident #ty_generics #where_clause {
            const LABEL_NAMES: &'static [&'static str] = &[];
            const MAX_SERIES: ::core::option::Option<u64> = ::core::option::Option::None;

            fn label_values(&self) -> ::harden_harness::__private::Vec<::harden_harness::__private::Cow<'_, str>> {
                ::harden_harness::__private::Vec::new()
            }
        }
    }
}

fn value(label: &Label<'_>) -> TokenStream {
    let Label { ident, ty, .. } = label;
    match &label.kind {
        LabelKind::Typed => quote_spanned! {ty.span()=>
            ::harden_harness::__private::Cow::Borrowed(
                <#ty as ::harden_harness::LabelValue>::label_value(&self.#ident)
            )
        },
        LabelKind::Range(range) => {
            let (lo, hi) = (&range.lo, &range.hi);
            quote! {
            ::harden_harness::__private::range_label::<#ty>(&self.#ident, #lo, #hi)
            }
        }
        LabelKind::Unbounded => quote! {
            ::harden_harness::__private::Cow::Owned(::std::string::ToString::to_string(&self.#ident))
        },
    }
}

fn max_series(set: &LabelSet<'_>) -> TokenStream {
    if set
        .labels
        .iter()
        .any(|label| matches!(label.kind, LabelKind::Unbounded))
    {
        return quote!(::core::option::Option::None);
    }
    let factors = set.labels.iter().map(|label| match &label.kind {
        LabelKind::Typed => {
            let ty = label.ty;
            quote_spanned!(ty.span()=> <#ty as ::harden_harness::LabelValue>::VALUES.len() as u64)
        }
        LabelKind::Range(range) => {
            let count = u64::try_from(range.count).unwrap_or(u64::MAX);
            quote!(#count)
        }
        LabelKind::Unbounded => unreachable!("handled above"),
    });
    quote!(::core::option::Option::Some(1u64 #(.saturating_mul(#factors))*))
}
