//! proptest state machine: `BoundedVec` against a plain `VecDeque` model.
#![cfg(not(loom))]

use harden_harness::BoundedVec;
use proptest::prelude::*;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

#[derive(Clone, Debug)]
enum Op {
    Push(u16),
    PopOldest,
    PopNewest,
    Remove(usize),
    Get(usize),
    Iterate,
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => any::<u16>().prop_map(Op::Push),
        1 => Just(Op::PopOldest),
        1 => Just(Op::PopNewest),
        1 => (0..80usize).prop_map(Op::Remove),
        2 => (0..80usize).prop_map(Op::Get),
        1 => Just(Op::Iterate),
        1 => Just(Op::Clear),
    ]
}

/// The obvious implementation: a deque trimmed from the front.
struct Model {
    items: VecDeque<u16>,
    capacity: usize,
}

impl Model {
    fn push(&mut self, value: u16) -> Option<u16> {
        self.items.push_back(value);
        (self.items.len() > self.capacity).then(|| self.items.pop_front().unwrap())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn behaves_like_a_trimmed_deque(capacity in 1..64usize, ops in prop::collection::vec(op(), 0..300)) {
        let mut real = BoundedVec::new(capacity);
        let mut model = Model { items: VecDeque::new(), capacity };
        for op in ops {
            match op {
                Op::Push(value) => prop_assert_eq!(real.push(value), model.push(value)),
                Op::PopOldest => prop_assert_eq!(real.pop_oldest(), model.items.pop_front()),
                Op::PopNewest => prop_assert_eq!(real.pop_newest(), model.items.pop_back()),
                Op::Remove(index) => prop_assert_eq!(real.remove(index), model.items.remove(index)),
                Op::Get(index) => prop_assert_eq!(real.get(index), model.items.get(index)),
                Op::Iterate => prop_assert!(real.iter().eq(model.items.iter())),
                Op::Clear => {
                    real.clear();
                    model.items.clear();
                }
            }
            prop_assert!(real.len() <= capacity);
            prop_assert_eq!(real.len(), model.items.len());
            prop_assert_eq!(real.newest(), model.items.back());
        }
    }

    #[test]
    fn eviction_callback_sees_exactly_the_evicted_items(capacity in 1..64usize, values in prop::collection::vec(any::<u16>(), 0..300)) {
        let evicted = Arc::new(Mutex::new(Vec::new()));
        let mut real = {
            let evicted = Arc::clone(&evicted);
            BoundedVec::with_eviction(capacity, move |value| evicted.lock().unwrap().push(value))
        };
        let mut model = Model { items: VecDeque::new(), capacity };
        let mut expected = Vec::new();
        for value in values {
            prop_assert_eq!(real.push(value), None);
            expected.extend(model.push(value));
        }
        prop_assert_eq!(&*evicted.lock().unwrap(), &expected);
        prop_assert!(real.iter().eq(model.items.iter()));
    }
}

#[test]
#[should_panic(expected = "capacity must be at least 1")]
fn zero_capacity_is_rejected() {
    let _ = BoundedVec::<u8>::new(0);
}

#[test]
fn extend_keeps_the_newest_and_feeds_the_callback() {
    let evicted = Arc::new(Mutex::new(Vec::new()));
    let mut real = {
        let evicted = Arc::clone(&evicted);
        BoundedVec::with_eviction(3, move |value| evicted.lock().unwrap().push(value))
    };
    real.extend(0..5);
    assert!(real.iter().copied().eq(2..5));
    assert_eq!(*evicted.lock().unwrap(), [0, 1]);
}
