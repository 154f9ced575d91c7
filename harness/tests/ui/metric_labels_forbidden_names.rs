use harden_harness::MetricLabels;

#[derive(MetricLabels)]
struct RequestLabels {
    user_id: bool,
    cached: bool,
    Client_IP: bool,
    payment_token: bool,
}

fn main() {}
