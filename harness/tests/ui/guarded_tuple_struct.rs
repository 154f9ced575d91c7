use harden_harness::guarded;

#[guarded]
struct Registry(Vec<String>, u64);

fn main() {}
