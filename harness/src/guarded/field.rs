//! The lock wrappers `#[guarded]` puts around fields, and their guards.

use super::order::{self, FieldSite, HeldField};
use crate::sync::{IgnorePoison, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::ops::{Deref, DerefMut};

/// A field behind its own `Mutex` (the facade's: loom's under `--cfg loom`).
#[derive(Debug, Default)]
pub struct FieldMutex<T> {
    lock: Mutex<T>,
}

/// A field behind its own `RwLock`, from `#[lock(rw)]`.
#[derive(Debug, Default)]
pub struct FieldRwLock<T> {
    lock: RwLock<T>,
}

/// A held field: derefs to the value, releases the lock and the order
/// record on drop.
#[derive(Debug)]
pub struct FieldGuard<G> {
    guard: G,
    _held: HeldField,
}

/// Guard of a `FieldMutex`.
pub type MutexFieldGuard<'a, T> = FieldGuard<MutexGuard<'a, T>>;
/// Shared guard of a `FieldRwLock`.
pub type ReadFieldGuard<'a, T> = FieldGuard<RwLockReadGuard<'a, T>>;
/// Exclusive guard of a `FieldRwLock`.
pub type WriteFieldGuard<'a, T> = FieldGuard<RwLockWriteGuard<'a, T>>;

fn hold<G>(site: FieldSite, acquire: impl FnOnce() -> G) -> FieldGuard<G> {
    order::check(site);
    let guard = acquire();
    FieldGuard {
        guard,
        _held: order::register(site),
    }
}

impl<T> FieldMutex<T> {
    /// Wrap a value.
    pub fn new(value: T) -> Self {
        Self {
            lock: Mutex::new(value),
        }
    }

    /// Acquire, checking lock order in debug and loom builds.
    #[doc(hidden)]
    pub fn lock_at(&self, site: FieldSite) -> MutexFieldGuard<'_, T> {
        hold(site, || self.lock.lock().ignore_poison())
    }

    /// The value, without locking: `&mut self` proves no guard exists.
    pub fn get_mut(&mut self) -> &mut T {
        self.lock.get_mut().ignore_poison()
    }

    /// Unwrap the value.
    pub fn into_inner(self) -> T {
        self.lock.into_inner().ignore_poison()
    }
}

impl<T> FieldRwLock<T> {
    /// Wrap a value.
    pub fn new(value: T) -> Self {
        Self {
            lock: RwLock::new(value),
        }
    }

    /// Acquire shared, checking lock order in debug and loom builds.
    #[doc(hidden)]
    pub fn read_at(&self, site: FieldSite) -> ReadFieldGuard<'_, T> {
        hold(site, || self.lock.read().ignore_poison())
    }

    /// Acquire exclusive, checking lock order in debug and loom builds.
    #[doc(hidden)]
    pub fn write_at(&self, site: FieldSite) -> WriteFieldGuard<'_, T> {
        hold(site, || self.lock.write().ignore_poison())
    }

    /// The value, without locking: `&mut self` proves no guard exists.
    pub fn get_mut(&mut self) -> &mut T {
        self.lock.get_mut().ignore_poison()
    }

    /// Unwrap the value.
    pub fn into_inner(self) -> T {
        self.lock.into_inner().ignore_poison()
    }
}

impl<G: Deref> Deref for FieldGuard<G> {
    type Target = G::Target;

    fn deref(&self) -> &Self::Target {
        &self.guard
    }
}

impl<G: DerefMut> DerefMut for FieldGuard<G> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.guard
    }
}
