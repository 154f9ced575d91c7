use harden_harness::MetricLabels;

#[derive(MetricLabels)]
struct RequestLabels {
    status: u16,
    route: String,
    #[label(range = 0..=9)]
    region: &'static str,
}

fn main() {}
