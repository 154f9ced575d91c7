use harden_harness::guarded;

#[guarded]
struct Registry {
    #[lock(spin)]
    incidents: Vec<String>,
    #[lock(rw)]
    config: String,
}

fn main() {}
