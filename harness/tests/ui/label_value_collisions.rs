use harden_harness::LabelValue;

#[derive(LabelValue)]
enum Method {
    HttpGet,
    HTTPGet,
}

#[derive(LabelValue)]
struct Status {
    code: u16,
}

fn main() {}
