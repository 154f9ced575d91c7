//! `LruMap`: a map of at most `capacity` entries that evicts the least
//! recently used one.

use super::eviction::OnEvict;
use std::borrow::Borrow;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;

/// Marks the end of the recency list.
const NONE: usize = usize::MAX;

/// A hash map holding at most `capacity` entries. `get`, `get_mut` and
/// `insert` mark an entry most recently used; inserting a new key into a
/// full map evicts the least recently used entry. All operations are O(1).
///
/// Use it for caches and per-key registries keyed by unbounded values
/// (request ids, users): harden's UNB002/UNB003.
///
/// ```
/// use harden_harness::LruMap;
///
/// let mut cache = LruMap::new(2);
/// cache.insert("a", 1);
/// cache.insert("b", 2);
/// cache.get(&"a"); // "a" is now the most recently used
/// cache.insert("c", 3); // evicts "b"
/// assert!(cache.contains_key(&"a") && !cache.contains_key(&"b"));
/// ```
pub struct LruMap<K, V> {
    /// Key -> slot in `nodes`.
    index: HashMap<K, usize>,
    /// Entries in a doubly linked recency list threaded through slot
    /// numbers; `None` slots are free and listed in `free`.
    nodes: Vec<Option<Node<K, V>>>,
    free: Vec<usize>,
    /// Most recently used slot.
    head: usize,
    /// Least recently used slot.
    tail: usize,
    capacity: usize,
    on_evict: Option<OnEvict<(K, V)>>,
}

struct Node<K, V> {
    key: K,
    value: V,
    prev: usize,
    next: usize,
}

impl<K: Hash + Eq + Clone, V> LruMap<K, V> {
    /// An empty map holding at most `capacity` entries.
    ///
    /// # Panics
    /// If `capacity` is zero.
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        assert!(capacity > 0, "LruMap capacity must be at least 1");
        Self {
            index: HashMap::with_capacity(capacity),
            nodes: Vec::with_capacity(capacity),
            free: Vec::new(),
            head: NONE,
            tail: NONE,
            capacity,
            on_evict: None,
        }
    }

    /// Like [`LruMap::new`], handing every evicted entry to `on_evict`.
    #[must_use]
    pub fn with_eviction(capacity: usize, on_evict: impl FnMut((K, V)) + Send + 'static) -> Self {
        let mut map = Self::new(capacity);
        map.on_evict = Some(OnEvict::new(on_evict));
        map
    }

    /// The value for `key`, marking it most recently used.
    pub fn get<Q>(&mut self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slot = *self.index.get(key)?;
        self.touch(slot);
        Some(&self.node(slot).value)
    }

    /// The value for `key`, mutably, marking it most recently used.
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slot = *self.index.get(key)?;
        self.touch(slot);
        Some(&mut self.node_mut(slot).value)
    }

    /// The value for `key` without changing recency.
    pub fn peek<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slot = *self.index.get(key)?;
        Some(&self.node(slot).value)
    }

    /// Whether `key` is present (recency unchanged).
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.index.contains_key(key)
    }

    /// Insert or replace, marking `key` most recently used. Returns the
    /// previous value for `key`. A new key in a full map first evicts the
    /// least recently used entry (to the eviction callback, if any).
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        // Reserve the new entry's slot first so that the index is hashed
        // once, through `entry`, whether the key is new or present.
        let slot = self.free.pop().unwrap_or_else(|| {
            self.nodes.push(None);
            self.nodes.len() - 1
        });
        let key = match self.index.entry(key) {
            Entry::Occupied(present) => {
                let present = *present.get();
                self.free.push(slot);
                self.touch(present);
                return Some(std::mem::replace(&mut self.node_mut(present).value, value));
            }
            Entry::Vacant(vacant) => {
                let key = vacant.key().clone();
                vacant.insert(slot);
                key
            }
        };
        if self.index.len() > self.capacity {
            self.evict_lru();
        }
        self.nodes[slot] = Some(Node {
            key,
            value,
            prev: NONE,
            next: NONE,
        });
        self.push_front(slot);
        None
    }

    /// Remove `key`, returning its value.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slot = self.index.remove(key)?;
        Some(self.take_slot(slot).1)
    }

    /// Remove and return the least recently used entry.
    pub fn pop_lru(&mut self) -> Option<(K, V)> {
        if self.tail == NONE {
            return None;
        }
        let (key, value) = self.take_slot(self.tail);
        self.index.remove(&key);
        Some((key, value))
    }

    /// Entries from most to least recently used (recency unchanged).
    pub fn iter(&self) -> Iter<'_, K, V> {
        Iter {
            map: self,
            slot: self.head,
        }
    }

    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether the map is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The most entries this map ever holds.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Drop every entry (without calling the eviction callback).
    pub fn clear(&mut self) {
        self.index.clear();
        self.nodes.clear();
        self.free.clear();
        self.head = NONE;
        self.tail = NONE;
    }

    fn evict_lru(&mut self) {
        if let Some(entry) = self.pop_lru() {
            if let Some(on_evict) = &mut self.on_evict {
                on_evict.call(entry);
            }
        }
    }

    fn node(&self, slot: usize) -> &Node<K, V> {
        self.nodes[slot]
            .as_ref()
            .expect("LruMap: index points at a live slot")
    }

    fn node_mut(&mut self, slot: usize) -> &mut Node<K, V> {
        self.nodes[slot]
            .as_mut()
            .expect("LruMap: index points at a live slot")
    }

    /// Unlink `slot` from the list, free it, and return its entry.
    fn take_slot(&mut self, slot: usize) -> (K, V) {
        self.unlink(slot);
        let node = self.nodes[slot]
            .take()
            .expect("LruMap: index points at a live slot");
        self.free.push(slot);
        (node.key, node.value)
    }

    fn touch(&mut self, slot: usize) {
        if self.head != slot {
            self.unlink(slot);
            self.push_front(slot);
        }
    }

    fn unlink(&mut self, slot: usize) {
        let (prev, next) = {
            let node = self.node(slot);
            (node.prev, node.next)
        };
        match prev {
            NONE => self.head = next,
            prev => self.node_mut(prev).next = next,
        }
        match next {
            NONE => self.tail = prev,
            next => self.node_mut(next).prev = prev,
        }
    }

    fn push_front(&mut self, slot: usize) {
        let old_head = self.head;
        {
            let node = self.node_mut(slot);
            node.prev = NONE;
            node.next = old_head;
        }
        match old_head {
            NONE => self.tail = slot,
            old_head => self.node_mut(old_head).prev = slot,
        }
        self.head = slot;
    }
}

/// Iterator over an [`LruMap`] from most to least recently used.
pub struct Iter<'a, K, V> {
    map: &'a LruMap<K, V>,
    slot: usize,
}

impl<'a, K, V> Iterator for Iter<'a, K, V> {
    type Item = (&'a K, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        let node = self.map.nodes.get(self.slot)?.as_ref()?;
        self.slot = node.next;
        Some((&node.key, &node.value))
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for LruMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LruMap")
            .field("capacity", &self.capacity)
            .field("len", &self.index.len())
            .finish_non_exhaustive()
    }
}
