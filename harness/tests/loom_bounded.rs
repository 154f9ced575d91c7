//! Loom model: `BoundedVec` and `LruMap` behind `#[guarded]` locks never
//! exceed capacity and lose no count under concurrent inserts.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p harden-harness --test loom_bounded`
#![cfg(loom)]

use harden_harness::check;
use harden_harness::guarded;
use harden_harness::sync::atomic::{AtomicUsize, Ordering};
use harden_harness::sync::{thread, Arc};
use harden_harness::{BoundedVec, LruMap};

#[guarded]
struct EventLog {
    recent: BoundedVec<u32>,
    by_source: LruMap<u32, u32>,
}

const LOG_CAPACITY: usize = 2;
const SOURCES_CAPACITY: usize = 2;

fn record(log: &EventLog, source: u32, event: u32) {
    let mut held = log.select().by_source().recent().lock();
    held.recent.push(event);
    let seen = held.by_source.peek(&source).copied().unwrap_or(0);
    held.by_source.insert(source, seen + 1);
    assert!(held.recent.len() <= LOG_CAPACITY);
    assert!(held.by_source.len() <= SOURCES_CAPACITY);
}

#[test]
fn concurrent_inserts_stay_bounded_and_every_count_is_kept_or_evicted() {
    check::model(|| {
        let evicted_events = Arc::new(AtomicUsize::new(0));
        let evicted_counts = Arc::new(AtomicUsize::new(0));
        let log = {
            let evicted_events = Arc::clone(&evicted_events);
            let evicted_counts = Arc::clone(&evicted_counts);
            Arc::new(EventLog::from_fields(
                BoundedVec::with_eviction(LOG_CAPACITY, move |_| {
                    evicted_events.fetch_add(1, Ordering::SeqCst);
                }),
                LruMap::with_eviction(SOURCES_CAPACITY, move |(_, count)| {
                    evicted_counts.fetch_add(count as usize, Ordering::SeqCst);
                }),
            ))
        };
        let first = {
            let log = Arc::clone(&log);
            thread::spawn(move || {
                record(&log, 1, 10);
                record(&log, 1, 11);
            })
        };
        let second = {
            let log = Arc::clone(&log);
            thread::spawn(move || record(&log, 2, 20))
        };
        record(&log, 3, 30);
        first.join().unwrap();
        second.join().unwrap();

        let held = log.select().recent().by_source().lock();
        assert_eq!(held.recent.len(), LOG_CAPACITY);
        assert_eq!(held.recent.len() + evicted_events.load(Ordering::SeqCst), 4);
        assert_eq!(held.by_source.len(), SOURCES_CAPACITY);
        let kept: u32 = held.by_source.iter().map(|(_, count)| *count).sum();
        assert_eq!(kept as usize + evicted_counts.load(Ordering::SeqCst), 4);
    });
}
