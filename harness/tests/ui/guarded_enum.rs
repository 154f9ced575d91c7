use harden_harness::guarded;

#[guarded]
enum Registry {
    Open(Vec<String>),
}

fn main() {}
