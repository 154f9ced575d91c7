//! `BoundedVec`: a ring buffer that keeps the newest `capacity` items.

use super::eviction::OnEvict;
use std::collections::VecDeque;
use std::fmt;

/// A ring buffer of at most `capacity` items: pushing onto a full buffer
/// evicts the oldest item.
///
/// Use it for event logs, recent-error lists, audit trails: anything that
/// would otherwise be a grow-only `Vec` on a long-lived value (harden's
/// UNB002).
///
/// ```
/// use harden_harness::BoundedVec;
///
/// let mut recent = BoundedVec::new(2);
/// recent.push("a");
/// recent.push("b");
/// assert_eq!(recent.push("c"), Some("a"));
/// assert_eq!(recent.iter().copied().collect::<Vec<_>>(), ["b", "c"]);
/// ```
pub struct BoundedVec<T> {
    items: VecDeque<T>,
    capacity: usize,
    on_evict: Option<OnEvict<T>>,
}

impl<T> BoundedVec<T> {
    /// An empty buffer holding at most `capacity` items.
    ///
    /// # Panics
    /// If `capacity` is zero: a buffer that drops everything is a bug.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        assert!(capacity > 0, "BoundedVec capacity must be at least 1");
        Self {
            items: VecDeque::with_capacity(capacity),
            capacity,
            on_evict: None,
        }
    }

    /// Like [`BoundedVec::new`], handing every evicted item to `on_evict`
    /// (to count, log or archive it).
    #[must_use]
    pub fn with_eviction(capacity: usize, on_evict: impl FnMut(T) + Send + 'static) -> Self {
        let mut buffer = Self::new(capacity);
        buffer.on_evict = Some(OnEvict::new(on_evict));
        buffer
    }

    /// Append `value` as the newest item. When the buffer was full the
    /// oldest item is evicted: passed to the eviction callback if there is
    /// one, else returned.
    #[inline]
    pub fn push(&mut self, value: T) -> Option<T> {
        let evicted = if self.items.len() == self.capacity {
            self.items.pop_front()
        } else {
            None
        };
        self.items.push_back(value);
        match (evicted, &mut self.on_evict) {
            (Some(oldest), Some(on_evict)) => {
                on_evict.call(oldest);
                None
            }
            (evicted, _) => evicted,
        }
    }

    /// Remove and return the oldest item.
    pub fn pop_oldest(&mut self) -> Option<T> {
        self.items.pop_front()
    }

    /// Remove and return the newest item.
    pub fn pop_newest(&mut self) -> Option<T> {
        self.items.pop_back()
    }

    /// Remove and return the item at `index` (0 = oldest).
    pub fn remove(&mut self, index: usize) -> Option<T> {
        self.items.remove(index)
    }

    /// The item at `index` (0 = oldest).
    #[must_use]
    pub fn get(&self, index: usize) -> Option<&T> {
        self.items.get(index)
    }

    /// The newest item.
    #[must_use]
    pub fn newest(&self) -> Option<&T> {
        self.items.back()
    }

    /// Items from oldest to newest.
    pub fn iter(&self) -> std::collections::vec_deque::Iter<'_, T> {
        self.items.iter()
    }

    /// Number of items held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no item is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The most items this buffer ever holds.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Drop every item (without calling the eviction callback).
    pub fn clear(&mut self) {
        self.items.clear();
    }
}

/// Pushes each item in turn: items evicted on the way go to the eviction
/// callback if there is one, and are dropped otherwise.
impl<T> Extend<T> for BoundedVec<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for value in iter {
            drop(self.push(value));
        }
    }
}

impl<'a, T> IntoIterator for &'a BoundedVec<T> {
    type Item = &'a T;
    type IntoIter = std::collections::vec_deque::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T: fmt::Debug> fmt::Debug for BoundedVec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundedVec")
            .field("capacity", &self.capacity)
            .field("items", &self.items)
            .finish_non_exhaustive()
    }
}
