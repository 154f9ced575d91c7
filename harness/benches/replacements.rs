//! harden's replacements against the hand-written std code they replace.
//!
//! `cargo bench -p harden-harness --bench replacements` prints ns/op for
//! each pair and the ratio (target: within 1.2x). Plain `std::time`, the
//! best of several runs, to stay dependency-free.

use harden_harness::{guarded, BoundedVec, LruMap, Singleton};
use std::collections::{HashMap, VecDeque};
use std::hint::black_box;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

const OPS: u32 = 2_000_000;
const RUNS: usize = 7;
const CAPACITY: usize = 1024;

#[derive(Default, Singleton)]
struct Config {
    port: u16,
}

fn std_config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(Config::default)
}

#[guarded]
#[derive(Default)]
struct Counters {
    hits: u64,
    misses: u64,
}

/// A hand-written LRU: a map plus a recency queue, as services write it.
struct StdLru {
    map: HashMap<u32, u32>,
    order: VecDeque<u32>,
    capacity: usize,
}

impl StdLru {
    fn get(&mut self, key: u32) -> Option<u32> {
        let value = *self.map.get(&key)?;
        self.touch(key);
        Some(value)
    }

    fn insert(&mut self, key: u32, value: u32) {
        if self.map.insert(key, value).is_some() {
            self.touch(key);
            return;
        }
        if self.map.len() > self.capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.map.remove(&oldest);
            }
        }
        self.order.push_back(key);
    }

    fn touch(&mut self, key: u32) {
        if let Some(position) = self.order.iter().position(|k| *k == key) {
            self.order.remove(position);
        }
        self.order.push_back(key);
    }
}

/// Nanoseconds per operation, best of `RUNS`.
fn time(mut body: impl FnMut(u32)) -> f64 {
    (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            for i in 0..OPS {
                body(i);
            }
            start.elapsed().as_nanos() as f64 / f64::from(OPS)
        })
        .fold(f64::INFINITY, f64::min)
}

fn report(name: &str, ours: f64, std: f64) {
    println!(
        "{name:<28} harden {ours:>8.2} ns/op   std {std:>8.2} ns/op   ratio {:.2}x",
        ours / std
    );
}

/// A deterministic pseudo-random key (xorshift of the op number), so that
/// an LRU of half the key space sees a mix of hits and misses.
fn key(i: u32) -> u32 {
    let mut x = i.wrapping_add(0x9E37_79B9);
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    x
}

fn main() {
    // Called through opaque function pointers: otherwise both loops reduce
    // to one hoisted load and the figure measures loop alignment.
    let ours: fn() -> &'static Config = black_box(Config::instance);
    let theirs: fn() -> &'static Config = black_box(std_config);
    report(
        "instance() after init",
        time(|_| {
            black_box(ours().port);
        }),
        time(|_| {
            black_box(theirs().port);
        }),
    );

    let counters = Counters::default();
    let plain = Mutex::new(0_u64);
    report(
        "guarded field lock",
        time(|_| *counters.lock_hits() += 1),
        time(|_| *plain.lock().unwrap() += 1),
    );

    let plain_misses = Mutex::new(0_u64);
    report(
        "guarded select (2 fields)",
        time(|_| {
            let mut held = counters.select().misses().hits().lock();
            *held.hits += 1;
            *held.misses += 1;
        }),
        time(|_| {
            let mut hits = plain.lock().unwrap();
            let mut misses = plain_misses.lock().unwrap();
            *hits += 1;
            *misses += 1;
        }),
    );

    let mut ring = BoundedVec::new(CAPACITY);
    let mut deque = VecDeque::with_capacity(CAPACITY);
    report(
        "BoundedVec push (full)",
        time(|i| {
            black_box(ring.push(i));
        }),
        time(|i| {
            if deque.len() == CAPACITY {
                black_box(deque.pop_front());
            }
            deque.push_back(i);
        }),
    );

    // The hand-written LRU's O(n) recency update makes it slow at large
    // sizes; compare at a small capacity too, where it is at its best.
    for capacity in [16, CAPACITY] {
        let mut ours = LruMap::new(capacity);
        let mut theirs = StdLru {
            map: HashMap::new(),
            order: VecDeque::new(),
            capacity,
        };
        let keys = 2 * capacity as u32;
        report(
            &format!("LruMap get/insert (cap {capacity})"),
            time(|i| {
                let k = key(i) % keys;
                if ours.get(&k).is_none() {
                    ours.insert(k, i);
                }
            }),
            time(|i| {
                let k = key(i) % keys;
                if theirs.get(k).is_none() {
                    theirs.insert(k, i);
                }
            }),
        );
    }
}
