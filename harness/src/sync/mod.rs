//! The synchronisation facade: `std` in normal builds, `loom` under `--cfg loom`.
//!
//! Everything the macros expand to, and every type of this crate that shares
//! state between threads, names its primitives through this module and never
//! through `std::sync` directly. That is what lets the very same generated
//! code be model-checked by loom: build with `RUSTFLAGS="--cfg loom"` and
//! every `Mutex`, atomic, thread and once cell below becomes loom's.
//!
//! Users can do the same for their own types: import from
//! `harden_harness::sync` instead of `std::sync` and run the type's test
//! through [`crate::check::model`].

#[cfg(not(loom))]
mod std_backend;
#[cfg(not(loom))]
pub use std_backend::*;

#[cfg(loom)]
mod loom_backend;
#[cfg(loom)]
pub use loom_backend::*;

mod lock_result;
pub(crate) use lock_result::IgnorePoison;
