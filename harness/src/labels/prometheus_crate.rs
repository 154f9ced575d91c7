//! `MetricLabels` for the `prometheus` crate (feature `prometheus`).
//!
//! Create the vec with the set's names, then look children up by value:
//!
//! ```ignore
//! let requests = IntCounterVec::new(Opts::new("requests", "served"), RequestLabels::LABEL_NAMES)?;
//! with_labels(&requests, &labels).inc();
//! ```

use super::MetricLabels;
use prometheus::core::{MetricVec, MetricVecBuilder};

/// The child of `vec` for this label set's values, in field order.
///
/// # Panics
/// If `vec` was created with label names other than `L::LABEL_NAMES`
/// (prometheus checks the count).
pub fn with_labels<B: MetricVecBuilder, L: MetricLabels>(vec: &MetricVec<B>, labels: &L) -> B::M {
    let values = labels.label_values();
    let values: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
    vec.with_label_values(&values)
}
