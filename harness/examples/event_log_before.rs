//! BEFORE (harden UNB002): a long-lived log that only ever grows. Memory
//! climbs with uptime until the process is killed.
//!
//! `cargo run -p harden-harness --example event_log_before`

use std::sync::Mutex;

#[derive(Default)]
struct EventLog {
    events: Mutex<Vec<String>>,
}

impl EventLog {
    fn record(&self, event: String) {
        self.events.lock().unwrap().push(event);
    }
}

fn main() {
    let log = EventLog::default();
    for i in 0..100_000 {
        log.record(format!("request {i} served"));
    }
    println!("holding {} events", log.events.lock().unwrap().len());
}
