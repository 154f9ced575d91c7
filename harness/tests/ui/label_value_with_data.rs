use harden_harness::LabelValue;

#[derive(LabelValue)]
enum Outcome {
    Ok,
    Failed(String),
    Retried { attempts: u32 },
}

fn main() {}
