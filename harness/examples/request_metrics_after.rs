//! AFTER: `#[derive(MetricLabels)]` makes the label set a type. Forbidden
//! names (`user_id`, `url`, ...) do not compile, every label has a finite
//! value set, and `max_series` caps the product at compile time.
//!
//! `cargo run -p harden-harness --example request_metrics_after`

use harden_harness::{LabelValue, MetricLabels};
use std::collections::HashMap;

#[derive(Clone, Copy, LabelValue)]
enum Route {
    ListOrders,
    GetOrder,
    Health,
}

#[derive(MetricLabels)]
#[metric_labels(max_series = 5_000)]
struct RequestLabels {
    route: Route,
    #[label(range = 100..=599)]
    status: u16,
    cached: bool,
}

fn main() {
    let mut series: HashMap<Vec<String>, u64> = HashMap::new();
    for user in 0..5_000_u32 {
        let labels = RequestLabels {
            route: if user % 2 == 0 {
                Route::GetOrder
            } else {
                Route::ListOrders
            },
            status: if user % 10 == 0 { 404 } else { 200 },
            cached: user % 3 == 0,
        };
        let values = labels
            .label_values()
            .iter()
            .map(ToString::to_string)
            .collect();
        *series.entry(values).or_default() += 1;
    }
    println!(
        "labels {:?}: {} time series used, at most {:?}; Health renders as {:?}",
        RequestLabels::LABEL_NAMES,
        series.len(),
        RequestLabels::MAX_SERIES,
        Route::Health.label_value()
    );
}
