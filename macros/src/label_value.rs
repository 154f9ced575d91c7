//! `#[derive(LabelValue)]` for fieldless enums.

use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;
use quote::quote;

pub fn derive(input: syn::DeriveInput) -> TokenStream {
    let ident = &input.ident;
    match variants(&input) {
        Ok(variants) => {
            let values = variants.iter().map(|(_, value)| value);
            let arms = variants
                .iter()
                .map(|(variant, value)| quote!(Self::#variant => #value));
            quote! {
                impl ::harden_harness::LabelValue for #ident {
                    const VALUES: &'static [&'static str] = &[#(#values),*];

                    fn label_value(&self) -> &'static str {
                        match self {
                            #(#arms,)*
                        }
                    }
                }
            }
        }
        Err(error) => crate::ctxt::fail(
            error,
            quote! {
                impl ::harden_harness::LabelValue for #ident {
                    const VALUES: &'static [&'static str] = &[];
                    fn label_value(&self) -> &'static str { "" }
                }
            },
        ),
    }
}

/// Each variant with its snake_case label value.
fn variants(input: &syn::DeriveInput) -> syn::Result<Vec<(&syn::Ident, String)>> {
    let mut cx = Ctxt::default();
    if input.generics.lt_token.is_some() {
        cx.error_spanned_by(
            &input.generics,
            "LabelValue cannot be derived for a generic enum",
        );
    }
    let syn::Data::Enum(data) = &input.data else {
        cx.error_spanned_by(&input.ident, "LabelValue can be derived only for a fieldless enum: its variants are the label values");
        cx.check()?;
        return Ok(Vec::new());
    };
    let mut variants: Vec<(&syn::Ident, String)> = Vec::new();
    for variant in &data.variants {
        if !matches!(variant.fields, syn::Fields::Unit) {
            cx.error_spanned_by(
                &variant.fields,
                format!("label value `{}` cannot carry data: every field value would be a new time series", variant.ident),
            );
        }
        let value = snake_case(&variant.ident.to_string());
        if let Some((other, _)) = variants.iter().find(|(_, existing)| *existing == value) {
            cx.error_spanned_by(
                &variant.ident,
                format!(
                    "`{}` and `{other}` both render as the label value \"{value}\"",
                    variant.ident
                ),
            );
        }
        variants.push((&variant.ident, value));
    }
    cx.check()?;
    Ok(variants)
}

/// `HttpGet` -> `http_get`, `HTTPError` -> `http_error`, `Status404` -> `status404`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut snake = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_is_lower = chars.get(i + 1).is_some_and(|next| next.is_lowercase());
            if prev.is_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_uppercase() && next_is_lower)
            {
                snake.push('_');
            }
        }
        snake.extend(c.to_lowercase());
    }
    snake
}

#[cfg(test)]
mod tests {
    use super::snake_case;

    #[test]
    fn converts_variant_names() {
        assert_eq!(snake_case("Get"), "get");
        assert_eq!(snake_case("HttpGet"), "http_get");
        assert_eq!(snake_case("HTTPError"), "http_error");
        assert_eq!(snake_case("Status404"), "status404");
    }
}
