use harden_harness::Singleton;
use std::cell::Cell;

#[derive(Default, Singleton)]
struct Counter {
    hits: Cell<u64>,
}

fn main() {}
