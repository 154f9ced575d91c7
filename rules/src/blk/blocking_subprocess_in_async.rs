use ruff_python_ast::{self as ast, Expr};

use crate::api::{Diagnostic, RuleEntry};
use crate::blk::{
    python_blocking_callee, rust_blocking_callee, rust_call_span, AwaitedCalls, BlockingMatcher,
};
use crate::declare_rule;
use crate::python::{PyContext, PythonRule};
use crate::rust::{RsContext, RustRule};

declare_rule! {
    /// ## What it does
    /// Flags calls that run a child process and wait for it inside async
    /// code: `subprocess.run/call/check_call/check_output/getoutput/
    /// getstatusoutput`, `Popen(..).wait()/communicate()`, `os.system`,
    /// `os.popen`, `os.wait*` and `os.spawn*` in an `async def`;
    /// `std::process::Command`'s `.output()` / `.status()` and
    /// `std::process::Child`'s `.wait()` / `.wait_with_output()` in an
    /// `async fn` or `async` block.
    ///
    /// ## Why is this bad?
    /// The call returns only when the child exits, which takes as long as the
    /// child wants: the event loop (asyncio) or a runtime worker thread
    /// (tokio) is stuck for that long and every other task on it waits.
    ///
    /// ## Example
    /// ```python
    /// @app.post("/thumbnails")
    /// async def thumbnail(path: str):
    ///     subprocess.run(["convert", path, "-resize", "128x128", out], check=True)
    /// ```
    /// ```rust
    /// async fn git_head() -> io::Result<Vec<u8>> {
    ///     Ok(std::process::Command::new("git").args(["rev-parse", "HEAD"]).output()?.stdout)
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// @app.post("/thumbnails")
    /// async def thumbnail(path: str):
    ///     proc = await asyncio.create_subprocess_exec("convert", path, "-resize", "128x128", out)
    ///     await proc.wait()
    /// ```
    /// ```rust
    /// async fn git_head() -> io::Result<Vec<u8>> {
    ///     Ok(tokio::process::Command::new("git").args(["rev-parse", "HEAD"]).output().await?.stdout)
    /// }
    /// ```
    ///
    /// ## Known limitations
    /// A Python call whose result is awaited (`await client.get(..)`) is
    /// taken for an async API and not flagged, whatever its receiver's
    /// inferred type.
    /// `Popen` and `Child` methods are recognised only on a process started
    /// in the same file and bound to a name or attribute (`proc = Popen(..)`,
    /// `with Popen(..) as proc:`, `let child = cmd.spawn()?`). `os.waitpid(.., os.WNOHANG)` and
    /// `os.spawn*(os.P_NOWAIT, ..)` do not wait and are not flagged; starting
    /// a process without waiting for it (`Popen(..)`, `Command::spawn`) is
    /// not flagged either.
    pub static BLOCKING_SUBPROCESS_IN_ASYNC = {
        code: "BLK003",
        name: "blocking-subprocess-in-async",
        summary: "blocking subprocess call inside async code",
        languages: [Python, Rust],
        severity: Error,
        tags: ["concurrency", "async", "performance"],
    };
}

pub const ENTRY: RuleEntry = RuleEntry {
    meta: &BLOCKING_SUBPROCESS_IN_ASYNC,
    python: Some(|| Box::<BlockingSubprocessInAsync>::default()),
    rust: Some(|| Box::<BlockingSubprocessInAsync>::default()),
};

const PYTHON_SUBPROCESS_CALLS: &[&str] = &[
    "subprocess.run",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "subprocess.Popen.wait",
    "subprocess.Popen.communicate",
    "os.system",
    "os.popen",
    "os.wait",
    "os.waitpid",
    "os.wait3",
    "os.wait4",
    "os.waitid",
    "os.spawnl",
    "os.spawnle",
    "os.spawnlp",
    "os.spawnlpe",
    "os.spawnv",
    "os.spawnve",
    "os.spawnvp",
    "os.spawnvpe",
];

/// `os.spawn*` modes that return at once instead of waiting for the child.
const NO_WAIT_SPAWN_MODES: &[&str] = &["os.P_NOWAIT", "os.P_NOWAITO", "os.P_DETACH"];

#[derive(Default)]
struct BlockingSubprocessInAsync {
    awaited: AwaitedCalls,
}

/// True when the call returns without waiting: `os.waitpid(pid, os.WNOHANG)`,
/// `os.spawnv(os.P_NOWAIT, ..)`.
fn returns_at_once(cx: &PyContext<'_>, name: &str, call: &ast::ExprCall) -> bool {
    if name.starts_with("os.wait") {
        let options = call
            .arguments
            .args
            .iter()
            .chain(call.arguments.keywords.iter().map(|keyword| &keyword.value));
        return options
            .into_iter()
            .any(|option| cx.text(option).contains("WNOHANG"));
    }
    if name.starts_with("os.spawn") {
        return call
            .arguments
            .args
            .first()
            .and_then(|mode| cx.resolve(mode))
            .is_some_and(|mode| NO_WAIT_SPAWN_MODES.contains(&mode.as_str()));
    }
    false
}

pub(crate) fn blocking_matcher() -> Box<dyn BlockingMatcher> {
    Box::<BlockingSubprocessInAsync>::default()
}

impl BlockingMatcher for BlockingSubprocessInAsync {
    fn code(&self) -> &'static str {
        BLOCKING_SUBPROCESS_IN_ASYNC.code
    }

    fn observe_python_expr(&mut self, _cx: &PyContext<'_>, expr: &Expr) {
        self.awaited.on_expr(expr);
    }

    fn python_blocking(&self, cx: &PyContext<'_>, expr: &Expr) -> Option<String> {
        let Expr::Call(call) = expr else { return None };
        if self.awaited.contains(expr) {
            return None;
        }
        let name = python_blocking_callee(
            cx,
            call,
            PYTHON_SUBPROCESS_CALLS,
            BLOCKING_SUBPROCESS_IN_ASYNC.code,
        )?;
        (!returns_at_once(cx, &name, call)).then_some(name)
    }

    fn rust_blocking(&self, cx: &RsContext<'_>, expr: &syn::Expr) -> Option<String> {
        rust_blocking_callee(cx, expr, BLOCKING_SUBPROCESS_IN_ASYNC.code)
    }
}

impl PythonRule for BlockingSubprocessInAsync {
    fn on_expr(&mut self, cx: &PyContext<'_>, expr: &Expr, out: &mut Vec<Diagnostic>) {
        self.observe_python_expr(cx, expr);
        if !cx.in_async() {
            return;
        }
        let Some(name) = self.python_blocking(cx, expr) else {
            return;
        };
        out.push(
            Diagnostic::new(
                &BLOCKING_SUBPROCESS_IN_ASYNC,
                expr,
                format!("`{name}` blocks the event loop until a child process exits"),
            )
            .with_help(
                "use `await asyncio.create_subprocess_exec(..)` (or `create_subprocess_shell`), or `await asyncio.to_thread(..)`",
            ),
        );
    }
}

impl RustRule for BlockingSubprocessInAsync {
    fn on_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr, out: &mut Vec<Diagnostic>) {
        if !cx.in_async() {
            return;
        }
        if let Some(callee) = self.rust_blocking(cx, expr) {
            out.push(
                Diagnostic::new(
                    &BLOCKING_SUBPROCESS_IN_ASYNC,
                    rust_call_span(expr),
                    format!("`{callee}` blocks a runtime worker thread until a child process exits"),
                )
                .with_help(
                    "use `tokio::process::Command` and `.await` it, or `tokio::task::spawn_blocking`, or mark the fn `#[harden_harness::nonblocking]`",
                ),
            );
        }
    }
}
