//! MET: metric labels whose values are unbounded.
//!
//! The label policy (which names are forbidden) lives here too: UNB002
//! reuses it to tell id-like dict keys apart.

pub mod high_cardinality_metric_label;
pub mod label_policy;
mod python_labels;
mod rust_labels;

pub use label_policy::InvalidLabelPattern;
