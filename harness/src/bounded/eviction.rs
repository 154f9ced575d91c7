//! The optional callback both bounded collections hand evicted items to.

use std::fmt;

/// A boxed eviction callback. `Send` so that a collection holding one can
/// still be shared behind a `Mutex`.
pub(crate) struct OnEvict<T>(Box<dyn FnMut(T) + Send>);

impl<T> OnEvict<T> {
    pub(crate) fn new(callback: impl FnMut(T) + Send + 'static) -> Self {
        Self(Box::new(callback))
    }

    pub(crate) fn call(&mut self, evicted: T) {
        (self.0)(evicted);
    }
}

impl<T> fmt::Debug for OnEvict<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OnEvict(..)")
    }
}
