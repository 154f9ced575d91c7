use ruff_python_ast::{Expr, Stmt};

use crate::api::{Diagnostic, RuleEntry};
use crate::blk::{
    python_blocking_callee, rust_blocking_callee, rust_call_span, AwaitedCalls, BlockingMatcher,
    NonBlockingRegions,
};
use crate::declare_rule;
use crate::python::{PyContext, PythonRule};
use crate::rust::{RsContext, RustRule};

declare_rule! {
    /// ## What it does
    /// Flags blocking file-system calls inside async code: builtin `open()`,
    /// `io.open`, `codecs.open`, `pathlib.Path`'s `read_text` / `read_bytes`
    /// / `write_text` / `write_bytes` / `open`, `os.read` / `os.write` and
    /// `shutil.copy*` / `rmtree` / `move` in an `async def`; the `std::fs`
    /// functions, `File::open` / `create` and `OpenOptions::open` in an
    /// `async fn` or `async` block.
    ///
    /// ## Why is this bad?
    /// File-system calls look fast on a laptop and are not in production: a
    /// network mount, a full disk, a cold cache or a large file turns them
    /// into milliseconds or seconds, during which the event loop (asyncio) or
    /// a runtime worker thread (tokio) serves nobody else.
    ///
    /// ## Example
    /// ```python
    /// @app.get("/reports/{name}")
    /// async def report(name: str):
    ///     return json.load(open(REPORTS / f"{name}.json"))
    /// ```
    /// ```rust
    /// async fn report(name: &str) -> io::Result<String> {
    ///     std::fs::read_to_string(format!("reports/{name}.json"))
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// @app.get("/reports/{name}")
    /// async def report(name: str):
    ///     async with aiofiles.open(REPORTS / f"{name}.json") as f:
    ///         return json.loads(await f.read())
    /// ```
    /// ```rust
    /// async fn report(name: &str) -> io::Result<String> {
    ///     tokio::fs::read_to_string(format!("reports/{name}.json")).await
    /// }
    /// ```
    /// Or run the synchronous code on a thread: `await asyncio.to_thread(..)`,
    /// `tokio::task::spawn_blocking`.
    ///
    /// ## Known limitations
    /// A Python call whose result is awaited (`await client.get(..)`) is
    /// taken for an async API and not flagged, whatever its receiver's
    /// inferred type.
    /// `Path` methods are recognised on `Path(..)` expressions, paths derived
    /// from them (`/`, `.parent`, `.resolve()`, ..) and names or `self`
    /// attributes bound to them; a path passed in as a parameter is not
    /// followed. Reads and writes on an already open file object are not
    /// flagged (its `open` is: for `json.load(open(..))` the finding is the
    /// `open`), and neither is `shutil.copyfileobj`, whose file objects may
    /// live in memory. Metadata calls (`os.path.exists`, `Path.exists`,
    /// Rust's `Path::exists`) are not flagged, nor is a call inside a `try`
    /// that catches `BlockingIOError` (the descriptor is in non-blocking
    /// mode). In Rust, `OpenOptions::open` is recognised on an
    /// `OpenOptions::new()` chain or a local bound to one.
    pub static BLOCKING_FILE_IO_IN_ASYNC = {
        code: "BLK004",
        name: "blocking-file-io-in-async",
        summary: "blocking file I/O inside async code",
        languages: [Python, Rust],
        severity: Error,
        tags: ["concurrency", "async", "performance", "io"],
    };
}

pub const ENTRY: RuleEntry = RuleEntry {
    meta: &BLOCKING_FILE_IO_IN_ASYNC,
    python: Some(|| Box::<BlockingFileIoInAsync>::default()),
    rust: Some(|| Box::<BlockingFileIoInAsync>::default()),
};

const PYTHON_FILE_CALLS: &[&str] = &[
    "builtins.open",
    "io.open",
    "codecs.open",
    "pathlib.Path.open",
    "pathlib.Path.read_text",
    "pathlib.Path.read_bytes",
    "pathlib.Path.write_text",
    "pathlib.Path.write_bytes",
    "os.read",
    "os.write",
    "shutil.copy",
    "shutil.copy2",
    "shutil.copyfile",
    "shutil.copymode",
    "shutil.copystat",
    "shutil.copytree",
    "shutil.rmtree",
    "shutil.move",
];

#[derive(Default)]
struct BlockingFileIoInAsync {
    non_blocking: NonBlockingRegions,
    awaited: AwaitedCalls,
}

pub(crate) fn blocking_matcher() -> Box<dyn BlockingMatcher> {
    Box::<BlockingFileIoInAsync>::default()
}

impl BlockingMatcher for BlockingFileIoInAsync {
    fn code(&self) -> &'static str {
        BLOCKING_FILE_IO_IN_ASYNC.code
    }

    fn observe_python_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt) {
        self.non_blocking.on_stmt(cx, stmt);
    }

    fn observe_python_expr(&mut self, _cx: &PyContext<'_>, expr: &Expr) {
        self.awaited.on_expr(expr);
    }

    fn python_blocking(&self, cx: &PyContext<'_>, expr: &Expr) -> Option<String> {
        let Expr::Call(call) = expr else { return None };
        if self.non_blocking.contains(expr) || self.awaited.contains(expr) {
            return None;
        }
        python_blocking_callee(cx, call, PYTHON_FILE_CALLS, BLOCKING_FILE_IO_IN_ASYNC.code)
    }

    fn rust_blocking(&self, cx: &RsContext<'_>, expr: &syn::Expr) -> Option<String> {
        rust_blocking_callee(cx, expr, BLOCKING_FILE_IO_IN_ASYNC.code)
    }
}

impl PythonRule for BlockingFileIoInAsync {
    fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt, _out: &mut Vec<Diagnostic>) {
        self.observe_python_stmt(cx, stmt);
    }

    fn on_expr(&mut self, cx: &PyContext<'_>, expr: &Expr, out: &mut Vec<Diagnostic>) {
        self.observe_python_expr(cx, expr);
        if !cx.in_async() {
            return;
        }
        if let Some(name) = self.python_blocking(cx, expr) {
            let name = name.strip_prefix("builtins.").unwrap_or(&name);
            out.push(
                Diagnostic::new(
                    &BLOCKING_FILE_IO_IN_ASYNC,
                    expr,
                    format!("`{name}` blocks the event loop on file I/O inside `async def`"),
                )
                .with_help("use `aiofiles`, or `await asyncio.to_thread(..)`"),
            );
        }
    }
}

impl RustRule for BlockingFileIoInAsync {
    fn on_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr, out: &mut Vec<Diagnostic>) {
        if !cx.in_async() {
            return;
        }
        if let Some(callee) = self.rust_blocking(cx, expr) {
            out.push(
                Diagnostic::new(
                    &BLOCKING_FILE_IO_IN_ASYNC,
                    rust_call_span(expr),
                    format!("`{callee}` blocks a runtime worker thread on file I/O inside async code"),
                )
                .with_help(
                    "use `tokio::fs`, or `tokio::task::spawn_blocking`, or mark the fn `#[harden_harness::nonblocking]`",
                ),
            );
        }
    }
}
