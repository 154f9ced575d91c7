use harden_harness::nonblocking;

#[nonblocking(strict)]
async fn handle() {}

#[nonblocking]
struct NotAFunction;

fn main() {}
