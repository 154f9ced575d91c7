use harden_harness::MetricLabels;

struct Route(String);

#[derive(MetricLabels)]
struct RequestLabels {
    cached: bool,
    route: Route,
}

fn main() {}
