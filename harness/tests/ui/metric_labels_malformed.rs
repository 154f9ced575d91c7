use harden_harness::MetricLabels;

#[derive(MetricLabels)]
#[metric_labels(max_cardinality = 10)]
struct RequestLabels {
    #[label(range = 5..)]
    retries: u8,
    #[label(range = 9..=1)]
    attempts: u8,
    #[label(unbounded, range = 0..=1)]
    shard: u8,
    #[label(bounded)]
    cached: bool,
}

fn main() {}
