//! BEFORE (harden MET001): a request counter labelled by user id and URL.
//! Every distinct user and URL becomes a new time series: the metrics
//! backend's memory and cost grow with traffic, not with the code.
//!
//! `cargo run -p harden-harness --example request_metrics_before`

use std::collections::HashMap;

/// Stand-in for a metrics client: one counter per label tuple.
#[derive(Default)]
struct Counter {
    series: HashMap<Vec<(&'static str, String)>, u64>,
}

impl Counter {
    fn inc(&mut self, labels: Vec<(&'static str, String)>) {
        *self.series.entry(labels).or_default() += 1;
    }
}

fn main() {
    let mut requests = Counter::default();
    for user in 0..5_000 {
        requests.inc(vec![
            ("user_id", user.to_string()),
            ("url", format!("/orders/{user}")),
            ("status", "200".into()),
        ]);
    }
    println!("{} time series", requests.series.len());
}
