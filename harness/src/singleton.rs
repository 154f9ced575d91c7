//! Runtime support for `#[derive(Singleton)]`.

use crate::sync::OnceLock;

/// The lazily-initialised storage behind a generated `instance()`.
///
/// A `static` of this type lives inside each generated `instance()`; it is a
/// `std::sync::OnceLock` normally, and under `--cfg loom` a per-execution
/// loom static holding the facade's `OnceLock`, so each loom execution
/// starts uninitialised.
pub struct SingletonCell<T: 'static> {
    #[cfg(not(loom))]
    cell: OnceLock<T>,
    #[cfg(loom)]
    cell: loom::lazy_static::Lazy<OnceLock<T>>,
}

impl<T: 'static> SingletonCell<T> {
    /// An empty cell, usable as a `static` initialiser.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            #[cfg(not(loom))]
            cell: OnceLock::new(),
            #[cfg(loom)]
            cell: loom::lazy_static::Lazy {
                init: OnceLock::new,
                _p: std::marker::PhantomData,
            },
        }
    }

    /// The instance, running `init` exactly once across all threads.
    ///
    /// If `init` panics the panic reaches the caller and the cell stays
    /// empty: the next call runs `init` again.
    #[inline]
    pub fn get_or_init(&'static self, init: fn() -> T) -> &'static T {
        #[cfg(not(loom))]
        let cell = &self.cell;
        #[cfg(loom)]
        let cell = self.cell.get();
        cell.get_or_init(init)
    }
}

impl<T: 'static> Default for SingletonCell<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// How a `#[derive(Singleton)]` without `init = ..` builds its instance.
/// A trait of its own so that a missing `Default` gets a message naming the
/// alternative.
#[diagnostic::on_unimplemented(
    message = "#[derive(Singleton)] needs `{Self}: Default` to build the instance",
    label = "`{Self}` does not implement `Default`",
    note = "derive or implement `Default`, or name a constructor with #[singleton(init = path::to::fn)]"
)]
pub trait DefaultInit {
    /// `Default::default()`.
    fn default_init() -> Self;
}

impl<T: Default> DefaultInit for T {
    fn default_init() -> Self {
        T::default()
    }
}
