use harden_harness::Singleton;

#[derive(Default, Singleton)]
struct Cache<T> {
    items: Option<T>,
}

fn main() {}
