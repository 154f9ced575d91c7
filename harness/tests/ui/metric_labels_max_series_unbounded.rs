use harden_harness::MetricLabels;

#[derive(MetricLabels)]
#[metric_labels(max_series = 100)]
struct RequestLabels {
    cached: bool,
    #[label(unbounded)]
    route: String,
}

fn main() {}
