//! SGL: singletons built lazily without synchronisation.
//!
//! The check-then-act shape (`if _x is None: _x = X()`, `if X.is_none() {
//! X = Some(..) }`) is recognised once, in [`lazy_init`] (Python) and
//! [`static_mut`] (Rust), and shared: SGL001 and SGL002 differ only in which
//! locks are held at the store, and SHR001/SHR002 leave these stores to the
//! SGL rules so that one statement gets one finding.

pub mod async_lock_guarded_singleton;
mod callers;
mod lazy_init;
mod static_mut;
pub mod unsynchronized_lazy_singleton;

pub(crate) use callers::{caller_holds_lock_by_convention, is_named_for_caller_held_lock, Callers};
pub(crate) use lazy_init::{is_instance_construction, LazyInitTracker};
pub(crate) use static_mut::{allows_static_mut_refs, static_mut_root, StaticMutRegions};
