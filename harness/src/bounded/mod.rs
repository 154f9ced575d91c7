//! Collections that cannot grow without limit: the replacements for
//! harden's UNB findings, and the `Bounded` audit trait.

mod bounded_vec;
mod eviction;
mod lru_map;

pub use bounded_vec::BoundedVec;
pub use lru_map::LruMap;

/// Implemented by `#[derive(Bounded)]` once every collection field of a type
/// is a bounded one or carries `#[unbounded(reason = "...")]`.
pub trait Bounded {
    /// `(field, reason)` for every field exempted with `#[unbounded]`: the
    /// audit trail of deliberate exceptions.
    const UNBOUNDED_FIELDS: &'static [(&'static str, &'static str)];
}
