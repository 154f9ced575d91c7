//! `MetricLabels` for the `metrics` crate (feature `metrics`).
//!
//! ```ignore
//! metrics::counter!("requests", to_metrics_labels(&labels)).increment(1);
//! ```

use super::MetricLabels;

/// The label set as `metrics::Label`s, names paired with values in field
/// order.
pub fn to_metrics_labels<L: MetricLabels>(labels: &L) -> Vec<metrics::Label> {
    L::LABEL_NAMES
        .iter()
        .zip(labels.label_values())
        .map(|(name, value)| metrics::Label::new(*name, value.into_owned()))
        .collect()
}
