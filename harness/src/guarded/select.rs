//! Type-state markers for `#[guarded]`'s multi-field `select()` API.
//!
//! The generated `<Struct>Select` builder carries one marker per locked
//! field (`Skip`, or `Take`/`Read`/`Write` once the caller names it). Its
//! `lock()` then acquires the chosen fields in declaration order, whatever
//! order they were named in, so lock-order inversion cannot be written
//! through it. `Skip` fields become `()` in the resulting guards struct.

use super::field::{FieldMutex, FieldRwLock, MutexFieldGuard, ReadFieldGuard, WriteFieldGuard};
use super::order::FieldSite;

/// Field not selected.
#[derive(Debug)]
pub struct Skip;
/// `Mutex` field selected.
#[derive(Debug)]
pub struct Take;
/// `RwLock` field selected for reading.
#[derive(Debug)]
pub struct Read;
/// `RwLock` field selected for writing.
#[derive(Debug)]
pub struct Write;

/// How a marker acquires a field's lock `L`.
pub trait Acquire<'a, L: 'a> {
    /// What the guards struct holds for this field.
    type Guard;
    /// Acquire (or, for `Skip`, do nothing).
    fn acquire(lock: &'a L, site: FieldSite) -> Self::Guard;
}

impl<'a, L: 'a> Acquire<'a, L> for Skip {
    type Guard = ();
    fn acquire(_lock: &'a L, _site: FieldSite) {}
}

impl<'a, T: 'a> Acquire<'a, FieldMutex<T>> for Take {
    type Guard = MutexFieldGuard<'a, T>;
    fn acquire(lock: &'a FieldMutex<T>, site: FieldSite) -> Self::Guard {
        lock.lock_at(site)
    }
}

impl<'a, T: 'a> Acquire<'a, FieldRwLock<T>> for Read {
    type Guard = ReadFieldGuard<'a, T>;
    fn acquire(lock: &'a FieldRwLock<T>, site: FieldSite) -> Self::Guard {
        lock.read_at(site)
    }
}

impl<'a, T: 'a> Acquire<'a, FieldRwLock<T>> for Write {
    type Guard = WriteFieldGuard<'a, T>;
    fn acquire(lock: &'a FieldRwLock<T>, site: FieldSite) -> Self::Guard {
        lock.write_at(site)
    }
}
