use harden_harness::MetricLabels;

#[derive(MetricLabels)]
struct RequestLabels(bool, bool);

#[derive(MetricLabels)]
struct Generic<T> {
    cached: T,
}

fn main() {}
