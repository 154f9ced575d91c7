//! Metric label sets whose cardinality is known at compile time: the
//! replacement for harden's MET001.

use std::borrow::Cow;
use std::fmt::Display;

#[cfg(feature = "metrics")]
mod metrics_crate;
#[cfg(feature = "prometheus")]
mod prometheus_crate;

#[cfg(feature = "metrics")]
pub use metrics_crate::to_metrics_labels;
#[cfg(feature = "prometheus")]
pub use prometheus_crate::with_labels;

/// A type whose every value renders as one of a fixed set of label values.
///
/// Implemented for `bool` and, through `#[derive(LabelValue)]`, for fieldless
/// enums (variant names in snake_case). Integers are not label values by
/// themselves: a `#[derive(MetricLabels)]` field of integer type declares its
/// range with `#[label(range = LO..=HI)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a bounded metric label value",
    label = "this label type has no fixed set of values",
    note = "use bool, a fieldless enum with #[derive(LabelValue)], an integer with #[label(range = LO..=HI)], or opt out with #[label(unbounded)]"
)]
pub trait LabelValue {
    /// Every value this type renders as.
    const VALUES: &'static [&'static str];

    /// This value, as it appears in the label.
    fn label_value(&self) -> &'static str;
}

impl LabelValue for bool {
    const VALUES: &'static [&'static str] = &["false", "true"];

    fn label_value(&self) -> &'static str {
        if *self {
            "true"
        } else {
            "false"
        }
    }
}

/// A label set: implemented by `#[derive(MetricLabels)]` on a struct whose
/// fields are the labels.
pub trait MetricLabels {
    /// Label names, in field order.
    const LABEL_NAMES: &'static [&'static str];

    /// The most distinct label-value tuples (time series per metric) this
    /// set can produce: the product of each field's value count. `None`
    /// when a field is `#[label(unbounded)]`.
    const MAX_SERIES: Option<u64>;

    /// Label values, in field order.
    fn label_values(&self) -> Vec<Cow<'_, str>>;
}

/// The value rendered for an integer outside its declared
/// `#[label(range = ..)]`: out-of-range values share one series instead of
/// each creating a new one. It counts as one extra value in `MAX_SERIES`.
pub const OUT_OF_RANGE: &str = "other";

/// Render an integer label value declared with `#[label(range = lo..=hi)]`.
#[doc(hidden)]
pub fn range_label<I: PartialOrd + Display>(value: &I, lo: I, hi: I) -> Cow<'static, str> {
    if *value >= lo && *value <= hi {
        Cow::Owned(value.to_string())
    } else {
        Cow::Borrowed(OUT_OF_RANGE)
    }
}
