use harden_harness::guarded;

#[guarded]
struct Registry<T> {
    items: Vec<T>,
}

fn main() {}
