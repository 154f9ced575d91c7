//! The feature-gated exporters hand label sets to `prometheus` and `metrics`.
//! `cargo test -p harden-harness --features prometheus,metrics --test metric_labels_exporters`
#![cfg(all(not(loom), any(feature = "prometheus", feature = "metrics")))]

use harden_harness::{LabelValue, MetricLabels};

#[derive(Clone, Copy, LabelValue)]
enum Method {
    Get,
    Post,
}

#[derive(MetricLabels)]
struct RequestLabels {
    method: Method,
    #[label(range = 100..=599)]
    status: u16,
}

#[cfg(feature = "prometheus")]
#[test]
fn prometheus_children_are_keyed_by_the_label_values() {
    use prometheus::{IntCounterVec, Opts};
    let requests =
        IntCounterVec::new(Opts::new("requests", "served"), RequestLabels::LABEL_NAMES).unwrap();
    let labels = RequestLabels {
        method: Method::Post,
        status: 201,
    };
    harden_harness::labels::with_labels(&requests, &labels).inc();
    harden_harness::labels::with_labels(&requests, &labels).inc();
    assert_eq!(requests.with_label_values(&["post", "201"]).get(), 2);
    assert_eq!(requests.with_label_values(&["get", "201"]).get(), 0);
    let _ = Method::Get;
}

#[cfg(feature = "metrics")]
#[test]
fn metrics_labels_pair_names_with_values() {
    let labels = RequestLabels {
        method: Method::Get,
        status: 700,
    };
    let pairs: Vec<(String, String)> = harden_harness::labels::to_metrics_labels(&labels)
        .iter()
        .map(|label| (label.key().to_owned(), label.value().to_owned()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("method".into(), "get".into()),
            ("status".into(), "other".into())
        ]
    );
    let _ = Method::Post;
}
