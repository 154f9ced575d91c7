//! `#[nonblocking]` accepts async code that only looks like blocking code:
//! awaited calls, offloaded closures, single-segment names, nested fns.
//! (What it rejects is pinned by the trybuild cases in `ui/`.)
#![cfg(not(loom))]

use harden_harness::nonblocking;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// Async stand-ins with the names of blocking std APIs, as `tokio::fs` and
/// `tokio::time` have.
mod fs {
    pub async fn read_to_string(path: &str) -> std::io::Result<String> {
        Ok(path.to_uppercase())
    }
}

mod thread {
    pub async fn sleep(_: std::time::Duration) {}
}

/// What `tokio::task::spawn_blocking` would do, synchronously.
fn spawn_blocking<T>(work: impl FnOnce() -> T) -> T {
    work()
}

fn sleep(_: std::time::Duration) {}

#[nonblocking]
async fn awaited_lookalikes(path: &str) -> std::io::Result<String> {
    thread::sleep(std::time::Duration::ZERO).await;
    let text = fs::read_to_string(path).await?;
    let length = spawn_blocking(|| {
        std::thread::sleep(std::time::Duration::ZERO);
        std::fs::metadata("/").map(|meta| meta.is_dir())
    })?;
    sleep(std::time::Duration::ZERO);
    fn helper() {
        std::thread::sleep(std::time::Duration::ZERO);
    }
    helper();
    Ok(format!("{text}{length}"))
}

struct Service {
    root: String,
}

impl Service {
    /// Methods take `#[nonblocking]` too.
    #[nonblocking]
    async fn index(&self) -> std::io::Result<String> {
        fs::read_to_string(&self.root).await
    }
}

fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

#[test]
fn lookalike_calls_compile_and_run() {
    assert_eq!(block_on(awaited_lookalikes("ok")).unwrap(), "OKtrue");
}

#[test]
fn methods_can_be_nonblocking() {
    let service = Service { root: "www".into() };
    assert_eq!(block_on(service.index()).unwrap(), "WWW");
}
