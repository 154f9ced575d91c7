//! Label names inside Rust metric macros. Macro bodies are token streams to
//! syn, so the `prometheus` and `metrics` macro argument shapes are parsed
//! here: comma-separated expressions, and `"key" => value` pairs.

use proc_macro2::{Spacing, TokenStream, TokenTree};
use syn::punctuated::Punctuated;
use syn::Token;

/// The string literals of `&["a", "b"]`, `["a", "b"]` or `vec!["a", "b"]`.
pub(crate) fn string_array(expr: &syn::Expr) -> Vec<syn::LitStr> {
    match expr {
        syn::Expr::Reference(reference) => string_array(&reference.expr),
        syn::Expr::Paren(paren) => string_array(&paren.expr),
        syn::Expr::Array(array) => array.elems.iter().filter_map(string_literal).collect(),
        syn::Expr::Macro(mac) if mac.mac.path.is_ident("vec") => mac
            .mac
            .parse_body_with(Punctuated::<syn::Expr, Token![,]>::parse_terminated)
            .map(|elements| elements.iter().filter_map(string_literal).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn string_literal(expr: &syn::Expr) -> Option<syn::LitStr> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(literal),
            ..
        }) => Some(literal.clone()),
        _ => None,
    }
}

/// The label-name literals a metric macro invocation declares, given the
/// macro's resolved path: `prometheus::register_int_counter_vec!(.., &[..])`,
/// `prometheus::labels! { "k" => v }`, `metrics::counter!("n", "k" => v)`.
pub(crate) fn macro_label_names(resolved: &str, mac: &syn::Macro) -> Vec<syn::LitStr> {
    let name = resolved.rsplit("::").next().unwrap_or(resolved);
    let from_library =
        |library: &str| !resolved.contains("::") || resolved.starts_with(&format!("{library}::"));
    if is_register_vec_macro(name) && from_library("prometheus") {
        return expression_arguments(mac)
            .iter()
            .flat_map(string_array)
            .collect();
    }
    if name == "labels" && from_library("prometheus") {
        return pair_keys(mac.tokens.clone());
    }
    if matches!(name, "counter" | "gauge" | "histogram") && from_library("metrics") {
        let mut keys = pair_keys(mac.tokens.clone());
        for segment in split_commas(mac.tokens.clone()) {
            if let Ok(expr) = syn::parse2::<syn::Expr>(segment) {
                keys.extend(tuple_slice_keys(&expr));
            }
        }
        return keys;
    }
    Vec::new()
}

/// `register_counter_vec`, `register_int_gauge_vec_with_registry`, ...
fn is_register_vec_macro(name: &str) -> bool {
    name.starts_with("register_")
        && (name.ends_with("_vec") || name.ends_with("_vec_with_registry"))
}

fn expression_arguments(mac: &syn::Macro) -> Vec<syn::Expr> {
    mac.parse_body_with(Punctuated::<syn::Expr, Token![,]>::parse_terminated)
        .map(|arguments| arguments.into_iter().collect())
        .unwrap_or_default()
}

/// The top-level comma-separated segments of a token stream.
fn split_commas(tokens: TokenStream) -> Vec<TokenStream> {
    let mut segments = vec![Vec::new()];
    for token in tokens {
        match &token {
            TokenTree::Punct(punct) if punct.as_char() == ',' => segments.push(Vec::new()),
            _ => segments.last_mut().expect("one segment").push(token),
        }
    }
    segments
        .into_iter()
        .filter(|segment| !segment.is_empty())
        .map(TokenStream::from_iter)
        .collect()
}

/// The string-literal keys of the `"key" => value` segments.
fn pair_keys(tokens: TokenStream) -> Vec<syn::LitStr> {
    split_commas(tokens)
        .into_iter()
        .filter_map(|segment| {
            let tokens: Vec<TokenTree> = segment.into_iter().collect();
            let [TokenTree::Literal(key), TokenTree::Punct(eq), TokenTree::Punct(gt), value @ ..] =
                tokens.as_slice()
            else {
                return None;
            };
            // `"env" => "prod"`: a literal value is one series, not many.
            if let [TokenTree::Literal(_)] = value {
                return None;
            }
            let is_arrow =
                eq.as_char() == '=' && eq.spacing() == Spacing::Joint && gt.as_char() == '>';
            if !is_arrow {
                return None;
            }
            syn::parse2::<syn::LitStr>(TokenTree::Literal(key.clone()).into()).ok()
        })
        .collect()
}

/// `&[("key", value), ..]`: the `metrics` label slice form.
fn tuple_slice_keys(expr: &syn::Expr) -> Vec<syn::LitStr> {
    let expr = match expr {
        syn::Expr::Reference(reference) => reference.expr.as_ref(),
        other => other,
    };
    let syn::Expr::Array(array) = expr else {
        return Vec::new();
    };
    array
        .elems
        .iter()
        .filter_map(|element| match element {
            syn::Expr::Tuple(tuple) if tuple.elems.len() == 2 => tuple.elems.first(),
            _ => None,
        })
        .filter_map(string_literal)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(resolved: &str, source: &str) -> Vec<String> {
        let mac: syn::Macro = syn::parse_str(source).expect("macro");
        macro_label_names(resolved, &mac)
            .iter()
            .map(syn::LitStr::value)
            .collect()
    }

    #[test]
    fn metrics_pairs_and_slices() {
        assert_eq!(
            names(
                "metrics::counter",
                r#"counter!("hits", "route" => r, "user_id" => u.to_string())"#
            ),
            ["route", "user_id"]
        );
        assert_eq!(
            names("histogram", r#"histogram!("lat", &[("ip", addr)])"#),
            ["ip"]
        );
        assert!(names("other::counter", r#"counter!("hits", "ip" => a)"#).is_empty());
    }

    #[test]
    fn prometheus_register_and_labels() {
        assert_eq!(
            names(
                "prometheus::register_int_counter_vec",
                r#"register_int_counter_vec!("reqs", "help", &["method", "email"])"#
            ),
            ["method", "email"]
        );
        assert_eq!(
            names("labels", r#"labels! { "a" => a, "b" => "2" }"#),
            ["a"]
        );
        assert!(names(
            "prometheus::register_int_counter",
            r#"register_int_counter!("x", "y")"#
        )
        .is_empty());
    }
}
