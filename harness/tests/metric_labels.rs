//! `#[derive(MetricLabels)]` / `#[derive(LabelValue)]`: names, values, and
//! `MAX_SERIES` equal to the number of distinct value tuples.
#![cfg(not(loom))]

use harden_harness::{LabelValue, MetricLabels};
use proptest::prelude::*;
use std::collections::HashSet;

#[derive(Clone, Copy, Debug, LabelValue)]
enum Method {
    Get,
    Post,
    HttpPatch,
}

const METHODS: [Method; 3] = [Method::Get, Method::Post, Method::HttpPatch];

#[derive(MetricLabels)]
#[metric_labels(max_series = 40)]
struct RequestLabels {
    method: Method,
    cached: bool,
    #[label(range = 0..=3)]
    retries: u8,
}

#[derive(MetricLabels)]
struct RouteLabels {
    #[label(unbounded)]
    route: String,
    #[label(range = -1..1)]
    shard_offset: i8,
    tenant_id: bool,
}

#[test]
fn label_names_are_the_field_names_in_order() {
    assert_eq!(RequestLabels::LABEL_NAMES, ["method", "cached", "retries"]);
    assert_eq!(
        RouteLabels::LABEL_NAMES,
        ["route", "shard_offset", "tenant_id"]
    );
}

#[test]
fn enum_values_are_snake_case_variant_names() {
    assert_eq!(Method::VALUES, ["get", "post", "http_patch"]);
    assert_eq!(Method::HttpPatch.label_value(), "http_patch");
}

#[test]
fn values_render_in_field_order() {
    let labels = RequestLabels {
        method: Method::Post,
        cached: true,
        retries: 2,
    };
    assert_eq!(labels.label_values(), ["post", "true", "2"]);
    let labels = RequestLabels {
        method: Method::Get,
        cached: false,
        retries: 9,
    };
    assert_eq!(labels.label_values(), ["get", "false", "other"]);
}

#[test]
fn unbounded_labels_have_no_series_bound() {
    assert_eq!(RouteLabels::MAX_SERIES, None);
    let labels = RouteLabels {
        route: "/health".into(),
        shard_offset: -1,
        tenant_id: false,
    };
    assert_eq!(labels.label_values(), ["/health", "-1", "false"]);
}

#[test]
fn max_series_is_the_number_of_distinct_value_tuples() {
    let mut tuples = HashSet::new();
    for method in METHODS {
        for cached in [false, true] {
            for retries in 0..=u8::MAX {
                tuples.insert(
                    RequestLabels {
                        method,
                        cached,
                        retries,
                    }
                    .label_values()
                    .concat_tuple(),
                );
            }
        }
    }
    // 3 methods x 2 x (0..=3 plus the shared out-of-range value).
    assert_eq!(RequestLabels::MAX_SERIES, Some(30));
    assert_eq!(RequestLabels::MAX_SERIES, Some(tuples.len() as u64));
}

/// A hashable form of one label-value tuple.
trait ConcatTuple {
    fn concat_tuple(&self) -> Vec<String>;
}

impl ConcatTuple for Vec<std::borrow::Cow<'_, str>> {
    fn concat_tuple(&self) -> Vec<String> {
        self.iter().map(ToString::to_string).collect()
    }
}

proptest! {
    #[test]
    fn values_stay_within_the_declared_sets(method in 0..3usize, cached: bool, retries: u8) {
        let labels = RequestLabels { method: METHODS[method], cached, retries };
        let values = labels.label_values();
        prop_assert_eq!(values.len(), RequestLabels::LABEL_NAMES.len());
        prop_assert!(Method::VALUES.contains(&values[0].as_ref()));
        prop_assert!(bool::VALUES.contains(&values[1].as_ref()));
        prop_assert!(["0", "1", "2", "3", harden_harness::labels::OUT_OF_RANGE].contains(&values[2].as_ref()));
    }
}
