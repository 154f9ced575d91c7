use harden_harness::{LabelValue, MetricLabels};

#[derive(LabelValue)]
enum Method {
    Get,
    Post,
    Put,
}

#[derive(MetricLabels)]
#[metric_labels(max_series = 100)]
struct RequestLabels {
    method: Method,
    #[label(range = 100..=599)]
    status: u16,
}

fn main() {}
