//! Macros that write harden's fixes for you. Use them through
//! `harden-harness`, which re-exports them and holds the runtime they
//! expand to.
//!
//! Each macro follows the same pipeline: parse the item into a small typed
//! model, validate it collecting every error (serde_derive-style `Ctxt`), then expand
//! with `quote!`. On error the expansion is the errors plus a stub, so a
//! user sees one clear message per mistake rather than a cascade.

use proc_macro::TokenStream;

mod attr;
mod bounded;
mod ctxt;
mod guarded;
mod label_value;
mod metric_labels;
mod nonblocking;
mod singleton;

/// `Type::instance() -> &'static Type`, initialised exactly once.
///
/// The type must implement `Default`, or name its constructor with
/// `#[singleton(init = path::to::fn)]` (a `fn() -> Type`). Racing threads
/// all get the same instance and the initialiser runs once. If the
/// initialiser panics, the panic reaches the caller and the instance stays
/// uninitialised: the next `instance()` call runs the initialiser again.
/// Generic types are rejected: one static cannot hold one instance per
/// type argument.
#[proc_macro_derive(Singleton, attributes(singleton))]
pub fn derive_singleton(input: TokenStream) -> TokenStream {
    singleton::derive(syn::parse_macro_input!(input as syn::DeriveInput)).into()
}

/// Put each field of a struct behind its own lock: every field when no
/// field carries `#[lock]`, otherwise only the fields that do.
///
/// Build it with the generated `from_fields(..)` (or a derived `Default`).
/// `#[lock]` fields get a `Mutex` and a `lock_<field>()` accessor;
/// `#[lock(rw)]` fields an `RwLock` with `read_<field>()` and
/// `write_<field>()`. `select()` names several fields, in any order, and
/// its `lock()` acquires them in declaration order, so lock-order
/// inversion cannot be written through it. In debug and loom builds, an
/// accessor that takes a field while the same thread holds a later field
/// of the same instance panics naming both.
#[proc_macro_attribute]
pub fn guarded(args: TokenStream, input: TokenStream) -> TokenStream {
    guarded::expand(args.into(), input.into()).into()
}

/// Compile-time audit that a type cannot grow without bound: every std
/// collection or unbounded channel field must be a harden bounded type
/// (`BoundedVec`, `LruMap`) or carry `#[unbounded(reason = "...")]`.
#[proc_macro_derive(Bounded, attributes(unbounded))]
pub fn derive_bounded(input: TokenStream) -> TokenStream {
    bounded::derive(syn::parse_macro_input!(input as syn::DeriveInput)).into()
}

/// A metric label set with compile-time cardinality: forbidden
/// (high-cardinality) label names are rejected, every field has a finite
/// value set, and `MAX_SERIES` is their product, optionally capped with
/// `#[metric_labels(max_series = N)]`.
#[proc_macro_derive(MetricLabels, attributes(label, metric_labels))]
pub fn derive_metric_labels(input: TokenStream) -> TokenStream {
    metric_labels::derive(syn::parse_macro_input!(input as syn::DeriveInput)).into()
}

/// `LabelValue` for a fieldless enum: each variant renders as its name in
/// snake_case.
#[proc_macro_derive(LabelValue)]
pub fn derive_label_value(input: TokenStream) -> TokenStream {
    label_value::derive(syn::parse_macro_input!(input as syn::DeriveInput)).into()
}

/// Reject calls to known blocking APIs in the body of an `async fn`.
///
/// The list is `rules/data/rust_blocking_apis.txt`, shared with harden's
/// BLK rules. Calls inside closures handed to `spawn_blocking`,
/// `block_in_place` or `thread::spawn` are allowed, and so are calls that
/// are `.await`ed (an awaited `fs::read` is `tokio::fs`, not `std::fs`).
#[proc_macro_attribute]
pub fn nonblocking(args: TokenStream, input: TokenStream) -> TokenStream {
    nonblocking::expand(args.into(), input.into()).into()
}
