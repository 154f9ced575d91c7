//! A loom stand-in for `std::sync::OnceLock`, which loom does not provide.

use super::Mutex;
use crate::sync::IgnorePoison;

/// `std::sync::OnceLock`'s contract on loom primitives.
///
/// The value is initialised under a loom `Mutex`, so loom explores every
/// interleaving of racing initialisers, and a panicking initialiser leaves
/// the cell empty (the lock is released by unwinding) exactly like std's.
///
/// The value is leaked to hand out plain `&T` without `unsafe`: acceptable
/// because this type only exists in loom builds, where each model
/// execution creates a handful of cells.
pub struct OnceLock<T: 'static> {
    value: Mutex<Option<&'static T>>,
}

impl<T: 'static> OnceLock<T> {
    /// An empty cell. Unlike std's this is not `const`: loom primitives
    /// must be created inside a model execution.
    pub fn new() -> Self {
        Self {
            value: Mutex::new(None),
        }
    }

    /// The value, if a previous `get_or_init` completed.
    pub fn get(&self) -> Option<&T> {
        *self.value.lock().ignore_poison()
    }

    /// The value, running `init` first if no call has completed yet.
    pub fn get_or_init(&self, init: impl FnOnce() -> T) -> &T {
        let mut slot = self.value.lock().ignore_poison();
        if let Some(value) = *slot {
            return value;
        }
        let value: &'static T = Box::leak(Box::new(init()));
        *slot = Some(value);
        value
    }
}

impl<T: 'static> Default for OnceLock<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: std::fmt::Debug + 'static> std::fmt::Debug for OnceLock<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("OnceLock").field(&self.get()).finish()
    }
}
