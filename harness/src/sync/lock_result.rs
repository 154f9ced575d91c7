//! Poison handling shared by everything that locks through the facade.

use std::sync::{LockResult, PoisonError};

/// Take the guard out of a `LockResult` whether or not the lock is poisoned.
///
/// harden's generated locks follow `parking_lot`: a panic while a guard is
/// held does not make every later access panic too. The panic itself still
/// propagates to whoever caused it.
pub(crate) trait IgnorePoison<G> {
    fn ignore_poison(self) -> G;
}

impl<G> IgnorePoison<G> for LockResult<G> {
    fn ignore_poison(self) -> G {
        self.unwrap_or_else(PoisonError::into_inner)
    }
}
