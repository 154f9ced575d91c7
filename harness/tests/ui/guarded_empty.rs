use harden_harness::guarded;

#[guarded]
struct Registry {}

fn main() {}
