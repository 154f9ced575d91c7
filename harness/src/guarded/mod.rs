//! Runtime support for `#[guarded]`: per-field locks, their guards, the
//! lock-order check, and the type-state pieces of the multi-field API.

mod field;
mod order;
mod select;

pub use field::{
    FieldGuard, FieldMutex, FieldRwLock, MutexFieldGuard, ReadFieldGuard, WriteFieldGuard,
};
pub use order::FieldSite;
pub use select::{Acquire, Read, Skip, Take, Write};
