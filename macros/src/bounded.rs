//! `#[derive(Bounded)]`: a compile-time audit that no field of a type can
//! grow without limit.

use crate::attr;
use crate::ctxt::Ctxt;
use proc_macro2::TokenStream;
use quote::quote;
use syn::visit::Visit;

/// Std collections that grow without limit, and unbounded channel ends.
/// A bare `Sender`/`Receiver` is not flagged: tokio's and crossbeam's may be
/// bounded, and std's `Receiver` serves both kinds; std's `Sender` is
/// flagged when written with its `sync::mpsc` path.
const UNBOUNDED: &[&str] = &[
    "Vec",
    "VecDeque",
    "HashMap",
    "HashSet",
    "BTreeMap",
    "BTreeSet",
    "BinaryHeap",
    "LinkedList",
    "UnboundedSender",
    "UnboundedReceiver",
];

/// harden's bounded collections: their element types are not audited
/// (a `BoundedVec<Vec<u8>>` holds a bounded number of payloads).
const BOUNDED: &[&str] = &["BoundedVec", "LruMap"];

pub fn derive(input: syn::DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let stub = quote! {
        impl #impl_generics ::harden_harness::Bounded for #ident #ty_generics #where_clause {
            const UNBOUNDED_FIELDS: &'static [(&'static str, &'static str)] = &[];
        }
    };
    match audit(&input) {
        Ok(exempt) => {
            let exempt = exempt
                .iter()
                .map(|(field, reason)| quote!((#field, #reason)));
            quote! {
                impl #impl_generics ::harden_harness::Bounded for #ident #ty_generics #where_clause {
                    const UNBOUNDED_FIELDS: &'static [(&'static str, &'static str)] = &[#(#exempt),*];
                }
            }
        }
        Err(error) => crate::ctxt::fail(error, stub),
    }
}

/// Every field exempted with `#[unbounded(reason = ...)]`, or all the
/// unexempted unbounded fields as errors.
fn audit(input: &syn::DeriveInput) -> syn::Result<Vec<(String, String)>> {
    let mut cx = Ctxt::default();
    let mut exempt = Vec::new();
    for (position, field) in fields(input).into_iter().enumerate() {
        let name = field
            .ident
            .as_ref()
            .map_or_else(|| position.to_string(), ToString::to_string);
        match unbounded_reason(&mut cx, field) {
            Some(reason) => exempt.push((name, reason)),
            None => {
                if let Some(collection) = find_unbounded(&field.ty) {
                    cx.error_spanned_by(
                        &collection,
                        format!(
                            "field `{name}` can grow without bound (`{}`); use harden_harness::BoundedVec / LruMap or a bounded channel, or mark it #[unbounded(reason = \"...\")]",
                            collection.ident
                        ),
                    );
                }
            }
        }
    }
    cx.check()?;
    Ok(exempt)
}

fn fields(input: &syn::DeriveInput) -> Vec<&syn::Field> {
    match &input.data {
        syn::Data::Struct(data) => data.fields.iter().collect(),
        syn::Data::Enum(data) => data
            .variants
            .iter()
            .flat_map(|variant| &variant.fields)
            .collect(),
        syn::Data::Union(data) => data.fields.named.iter().collect(),
    }
}

/// The reason of the field's `#[unbounded(reason = "...")]`, if it has one;
/// a malformed attribute is reported and still counts as an exemption so
/// the user sees only that error.
fn unbounded_reason(cx: &mut Ctxt, field: &syn::Field) -> Option<String> {
    let attribute = attr::named(&field.attrs, "unbounded").next()?;
    let mut reason = None;
    let parsed = match &attribute.meta {
        syn::Meta::List(_) => attribute.parse_nested_meta(|meta| {
            if meta.path.is_ident("reason") {
                let text: syn::LitStr = meta.value()?.parse()?;
                if text.value().trim().is_empty() {
                    return Err(syn::Error::new_spanned(
                        &text,
                        "the #[unbounded] reason must not be empty",
                    ));
                }
                reason = Some(text.value());
                Ok(())
            } else {
                Err(meta.error("unknown #[unbounded] option: expected `reason = \"...\"`"))
            }
        }),
        _ => Ok(()),
    };
    if let Err(error) = parsed {
        cx.syn_error(error);
        return Some(String::new());
    }
    if reason.is_none() {
        cx.error_spanned_by(
            attribute,
            "#[unbounded] needs a reason: #[unbounded(reason = \"why this cannot grow forever\")]",
        );
    }
    Some(reason.unwrap_or_default())
}

/// The first unbounded collection named anywhere in `ty`, outside the
/// element types of harden's bounded collections.
fn find_unbounded(ty: &syn::Type) -> Option<syn::PathSegment> {
    let mut finder = Finder { found: None };
    finder.visit_type(ty);
    finder.found
}

struct Finder {
    found: Option<syn::PathSegment>,
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        if self.found.is_some() {
            return;
        }
        let Some(last) = path.segments.last() else {
            return;
        };
        let name = last.ident.to_string();
        if BOUNDED.contains(&name.as_str()) {
            return;
        }
        if UNBOUNDED.contains(&name.as_str()) || is_std_sender(path) {
            self.found = Some(last.clone());
            return;
        }
        syn::visit::visit_path(self, path);
    }
}

/// `std::sync::mpsc::Sender` / `sync::mpsc::Sender`: the unbounded std channel.
fn is_std_sender(path: &syn::Path) -> bool {
    attr::segments(path).ends_with(&["sync".into(), "mpsc".into(), "Sender".into()])
}
