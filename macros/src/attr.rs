//! Helpers shared by the macros' attribute parsers.

use syn::{Attribute, Path};

/// The attributes of `attrs` named `name` (`#[name(...)]` or `#[name]`).
pub fn named<'a>(attrs: &'a [Attribute], name: &'a str) -> impl Iterator<Item = &'a Attribute> {
    attrs.iter().filter(move |attr| attr.path().is_ident(name))
}

/// Path segments as strings, generics dropped: `std::fs::read::<T>` ->
/// `["std", "fs", "read"]`.
pub fn segments(path: &Path) -> Vec<String> {
    path.segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect()
}
