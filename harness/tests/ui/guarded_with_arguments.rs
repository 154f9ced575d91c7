use harden_harness::guarded;

#[guarded(rw)]
struct Registry {
    incidents: Vec<String>,
}

fn main() {}
