//! Loom model: `#[derive(Singleton)]` initialises exactly once and every
//! thread sees the same instance.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p harden-harness --test loom_singleton`
#![cfg(loom)]

use harden_harness::check;
use harden_harness::sync::atomic::{AtomicUsize as LoomAtomicUsize, Ordering};
use harden_harness::sync::thread;
use harden_harness::Singleton;
use std::sync::atomic::AtomicUsize;

/// Counts constructions across the whole model; reset at the start of each
/// execution (loom runs executions one after another).
static CONSTRUCTIONS: AtomicUsize = AtomicUsize::new(0);

#[derive(Singleton)]
#[singleton(init = Counter::new)]
struct Counter {
    visits: LoomAtomicUsize,
}

impl Counter {
    fn new() -> Self {
        CONSTRUCTIONS.fetch_add(1, Ordering::SeqCst);
        Counter {
            visits: LoomAtomicUsize::new(0),
        }
    }
}

fn visit() -> usize {
    let counter = Counter::instance();
    counter.visits.fetch_add(1, Ordering::SeqCst);
    std::ptr::from_ref(counter).addr()
}

#[test]
fn three_racing_threads_build_one_instance_and_all_see_it() {
    check::model(|| {
        CONSTRUCTIONS.store(0, Ordering::SeqCst);
        let first = thread::spawn(visit);
        let second = thread::spawn(visit);
        let here = visit();
        assert_eq!(first.join().unwrap(), here);
        assert_eq!(second.join().unwrap(), here);
        assert_eq!(CONSTRUCTIONS.load(Ordering::SeqCst), 1);
        assert_eq!(Counter::instance().visits.load(Ordering::SeqCst), 3);
    });
}
