//! proptest state machine: `LruMap` against a recency-ordered `Vec` model.
#![cfg(not(loom))]

use harden_harness::LruMap;
use proptest::prelude::*;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug)]
enum Op {
    Insert(u8, u32),
    Get(u8),
    GetMut(u8),
    Peek(u8),
    Remove(u8),
    PopLru,
    Iterate,
    Clear,
}

fn op(keys: u8) -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => (0..keys, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
        3 => (0..keys).prop_map(Op::Get),
        1 => (0..keys).prop_map(Op::GetMut),
        1 => (0..keys).prop_map(Op::Peek),
        1 => (0..keys).prop_map(Op::Remove),
        1 => Just(Op::PopLru),
        1 => Just(Op::Iterate),
        1 => Just(Op::Clear),
    ]
}

/// Entries most recently used first; linear scans, obviously right.
struct Model {
    entries: Vec<(u8, u32)>,
    capacity: usize,
    evicted: Vec<(u8, u32)>,
}

impl Model {
    fn position(&self, key: u8) -> Option<usize> {
        self.entries.iter().position(|(k, _)| *k == key)
    }

    fn touch(&mut self, key: u8) -> Option<u32> {
        let entry = self.entries.remove(self.position(key)?);
        self.entries.insert(0, entry);
        Some(entry.1)
    }

    fn insert(&mut self, key: u8, value: u32) -> Option<u32> {
        if let Some(position) = self.position(key) {
            let old = self.entries.remove(position).1;
            self.entries.insert(0, (key, value));
            return Some(old);
        }
        if self.entries.len() == self.capacity {
            self.evicted.push(self.entries.pop().unwrap());
        }
        self.entries.insert(0, (key, value));
        None
    }
}

fn scenario() -> impl Strategy<Value = (usize, Vec<Op>)> {
    (1..64usize).prop_flat_map(|capacity| {
        // Twice as many keys as slots, so evictions and hits both happen.
        let keys = u8::try_from((capacity * 2).min(255)).unwrap();
        (Just(capacity), prop::collection::vec(op(keys), 0..300))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn behaves_like_a_recency_list((capacity, ops) in scenario()) {
        let evicted = Arc::new(Mutex::new(Vec::new()));
        let mut real = {
            let evicted = Arc::clone(&evicted);
            LruMap::with_eviction(capacity, move |entry| evicted.lock().unwrap().push(entry))
        };
        let mut model = Model { entries: Vec::new(), capacity, evicted: Vec::new() };
        for op in ops {
            match op {
                Op::Insert(key, value) => prop_assert_eq!(real.insert(key, value), model.insert(key, value)),
                Op::Get(key) => prop_assert_eq!(real.get(&key).copied(), model.touch(key)),
                Op::GetMut(key) => {
                    let expected = model.touch(key).map(|value| value.wrapping_add(1));
                    if let Some(position) = model.position(key) {
                        model.entries[position].1 = expected.unwrap();
                    }
                    let got = real.get_mut(&key).map(|value| {
                        *value = value.wrapping_add(1);
                        *value
                    });
                    prop_assert_eq!(got, expected);
                }
                Op::Peek(key) => {
                    let expected = model.position(key).map(|position| model.entries[position].1);
                    prop_assert_eq!(real.peek(&key).copied(), expected);
                }
                Op::Remove(key) => {
                    let expected = model.position(key).map(|position| model.entries.remove(position).1);
                    prop_assert_eq!(real.remove(&key), expected);
                }
                Op::PopLru => prop_assert_eq!(real.pop_lru(), model.entries.pop()),
                Op::Iterate => {
                    let order: Vec<(u8, u32)> = real.iter().map(|(k, v)| (*k, *v)).collect();
                    prop_assert_eq!(order, model.entries.clone());
                }
                Op::Clear => {
                    real.clear();
                    model.entries.clear();
                }
            }
            prop_assert!(real.len() <= capacity);
            prop_assert_eq!(real.len(), model.entries.len());
            for (key, _) in &model.entries {
                prop_assert!(real.contains_key(key));
            }
        }
        prop_assert_eq!(&*evicted.lock().unwrap(), &model.evicted);
    }
}

#[test]
#[should_panic(expected = "capacity must be at least 1")]
fn zero_capacity_is_rejected() {
    let _ = LruMap::<u8, u8>::new(0);
}
