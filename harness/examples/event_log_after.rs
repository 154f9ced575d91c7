//! AFTER: a `BoundedVec` keeps the newest events and hands evicted ones to
//! a callback (here: a counter); `#[derive(Bounded)]` makes the compiler
//! reject any future grow-only field unless it states why it is safe.
//!
//! `cargo run -p harden-harness --example event_log_after`

use harden_harness::{Bounded, BoundedVec};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Bounded)]
struct EventLog {
    events: Mutex<BoundedVec<String>>,
    #[unbounded(reason = "one entry per configured sink, fixed at startup")]
    sinks: Vec<String>,
}

fn main() {
    let dropped = Arc::new(AtomicUsize::new(0));
    let log = EventLog {
        events: Mutex::new(BoundedVec::with_eviction(1_000, {
            let dropped = Arc::clone(&dropped);
            move |_| {
                dropped.fetch_add(1, Ordering::Relaxed);
            }
        })),
        sinks: vec!["stdout".into()],
    };
    for i in 0..100_000 {
        log.events
            .lock()
            .unwrap()
            .push(format!("request {i} served"));
    }
    println!(
        "holding {} events, {} evicted, sinks {:?}, exemptions {:?}",
        log.events.lock().unwrap().len(),
        dropped.load(Ordering::Relaxed),
        log.sinks,
        EventLog::UNBOUNDED_FIELDS
    );
}
