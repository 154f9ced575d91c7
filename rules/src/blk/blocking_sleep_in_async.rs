use ruff_python_ast::Expr;

use crate::api::{Diagnostic, RuleEntry};
use crate::blk::{python_blocking_callee, rust_blocking_callee, BlockingMatcher};
use crate::declare_rule;
use crate::python::{PyContext, PythonRule};
use crate::rust::{RsContext, RustRule};

declare_rule! {
    /// ## What it does
    /// Flags a blocking sleep inside async code: `time.sleep` in an
    /// `async def`, `std::thread::sleep` in an `async fn` or `async` block.
    ///
    /// ## Why is this bad?
    /// The sleep blocks the whole event loop (asyncio) or a runtime worker
    /// thread (tokio): every other task on it stalls for the duration.
    /// Under load this shows up as latency spikes and timeouts far from the
    /// code that causes them.
    ///
    /// ## Example
    /// ```python
    /// async def poll(client):
    ///     while not await client.ready():
    ///         time.sleep(0.5)
    /// ```
    /// ```rust
    /// async fn poll(client: &Client) {
    ///     while !client.ready().await {
    ///         std::thread::sleep(Duration::from_millis(500));
    ///     }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// async def poll(client):
    ///     while not await client.ready():
    ///         await asyncio.sleep(0.5)
    /// ```
    /// ```rust
    /// async fn poll(client: &Client) {
    ///     while !client.ready().await {
    ///         tokio::time::sleep(Duration::from_millis(500)).await;
    ///     }
    /// }
    /// ```
    /// In Rust, `#[harden_harness::nonblocking]` on the `async fn` turns a
    /// regression into a compile error.
    ///
    /// ## Known limitations
    /// Only direct calls are flagged; a sync helper that sleeps is
    /// BLK006's job. A sleep handed to `asyncio.to_thread`,
    /// `run_in_executor` or `spawn_blocking` is fine and not flagged.
    pub static BLOCKING_SLEEP_IN_ASYNC = {
        code: "BLK001",
        name: "blocking-sleep-in-async",
        summary: "blocking sleep inside async code",
        languages: [Python, Rust],
        severity: Error,
        tags: ["concurrency", "async", "performance"],
    };
}

pub const ENTRY: RuleEntry = RuleEntry {
    meta: &BLOCKING_SLEEP_IN_ASYNC,
    python: Some(|| Box::new(BlockingSleepInAsync)),
    rust: Some(|| Box::new(BlockingSleepInAsync)),
};

const PYTHON_SLEEPS: &[&str] = &["time.sleep"];

#[derive(Default)]
struct BlockingSleepInAsync;

pub(crate) fn blocking_matcher() -> Box<dyn BlockingMatcher> {
    Box::new(BlockingSleepInAsync)
}

impl BlockingMatcher for BlockingSleepInAsync {
    fn code(&self) -> &'static str {
        BLOCKING_SLEEP_IN_ASYNC.code
    }

    fn python_blocking(&self, cx: &PyContext<'_>, expr: &Expr) -> Option<String> {
        let Expr::Call(call) = expr else { return None };
        python_blocking_callee(cx, call, PYTHON_SLEEPS, BLOCKING_SLEEP_IN_ASYNC.code)
    }

    fn rust_blocking(&self, cx: &RsContext<'_>, expr: &syn::Expr) -> Option<String> {
        rust_blocking_callee(cx, expr, BLOCKING_SLEEP_IN_ASYNC.code)
    }
}

impl PythonRule for BlockingSleepInAsync {
    fn on_expr(&mut self, cx: &PyContext<'_>, expr: &Expr, out: &mut Vec<Diagnostic>) {
        if !cx.in_async() {
            return;
        }
        if let Some(name) = self.python_blocking(cx, expr) {
            out.push(
                Diagnostic::new(
                    &BLOCKING_SLEEP_IN_ASYNC,
                    expr,
                    format!("`{name}` blocks the event loop inside `async def`"),
                )
                .with_help("use `await asyncio.sleep(..)`"),
            );
        }
    }
}

impl RustRule for BlockingSleepInAsync {
    fn on_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr, out: &mut Vec<Diagnostic>) {
        if !cx.in_async() {
            return;
        }
        if let Some(callee) = self.rust_blocking(cx, expr) {
            out.push(
                Diagnostic::new(
                    &BLOCKING_SLEEP_IN_ASYNC,
                    crate::rust::span_of(expr),
                    format!("`{callee}` blocks a runtime worker thread inside async code"),
                )
                .with_help(
                    "use `tokio::time::sleep(..).await`, or mark the fn `#[harden_harness::nonblocking]`",
                ),
            );
        }
    }
}
