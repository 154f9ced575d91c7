//! harden's fixes, ready-made: the runtime the `harden-macros` expand to,
//! bounded collections, and the checks that prove them.
//!
//! | hazard (harden code) | replacement |
//! |---|---|
//! | SGL001 lazy singleton | [`macro@Singleton`] |
//! | SHR004 lock-order inversion | [`macro@guarded`] |
//! | UNB001/UNB002 unbounded growth | [`BoundedVec`], [`LruMap`], [`macro@Bounded`] |
//! | MET001 high-cardinality label | [`macro@MetricLabels`], [`macro@LabelValue`] |
//! | BLK001-BLK004 blocking in async | [`macro@nonblocking`] |
//!
//! Everything here that shares state between threads goes through the
//! [`sync`] facade, so `RUSTFLAGS="--cfg loom"` model-checks the generated
//! code itself; [`check::model`] runs a scenario under loom or on real
//! threads.

pub mod bounded;
pub mod check;
pub mod guarded;
pub mod labels;
pub mod singleton;
pub mod sync;

pub use bounded::{Bounded, BoundedVec, LruMap};
pub use harden_macros::{guarded, nonblocking, Bounded, LabelValue, MetricLabels, Singleton};
pub use labels::{LabelValue, MetricLabels};

/// Paths the macro expansions use. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::guarded::{
        Acquire, FieldMutex, FieldRwLock, FieldSite, MutexFieldGuard, ReadFieldGuard, Skip,
        WriteFieldGuard,
    };
    pub use crate::labels::range_label;
    pub use crate::singleton::{DefaultInit, SingletonCell};
    pub use std::borrow::Cow;
    pub use std::marker::PhantomData;
    pub use std::vec::Vec;
}

/// The README's code, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
