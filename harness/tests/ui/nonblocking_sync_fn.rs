use harden_harness::nonblocking;

#[nonblocking]
fn load() -> u32 {
    1
}

fn main() {
    let _ = load();
}
