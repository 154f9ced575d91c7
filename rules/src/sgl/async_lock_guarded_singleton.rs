use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::Ranged;

use crate::api::{Diagnostic, RuleEntry};
use crate::declare_rule;
use crate::python::{LockKind, PyContext, PythonRule};
use crate::sgl::lazy_init::is_event_loop_object;
use crate::sgl::LazyInitTracker;

declare_rule! {
    /// ## What it does
    /// Flags a lazily created singleton whose store is guarded only by an
    /// `asyncio.Lock` (or another async lock): the double-checked form of
    /// SGL001 written for coroutines.
    ///
    /// ## Why is this bad?
    /// An `asyncio.Lock` orders coroutines of one event loop. It does
    /// nothing against threads: code run from `asyncio.to_thread`, a second
    /// event loop in another thread, or any thread under free-threaded
    /// Python still races on the check and builds a second instance. The
    /// lock is also bound to the loop that first used it, so a singleton
    /// shared between loops fails outright.
    ///
    /// ## Example
    /// ```python
    /// _pool = None
    /// _pool_lock = asyncio.Lock()
    ///
    /// async def get_pool():
    ///     global _pool
    ///     if _pool is None:
    ///         async with _pool_lock:
    ///             if _pool is None:
    ///                 _pool = await create_pool(DSN)
    ///     return _pool
    /// ```
    ///
    /// ## Use instead
    /// Guard the store with a `threading.Lock`, which orders threads and
    /// coroutines alike (never `await` while holding it):
    /// ```python
    /// _pool = None
    /// _pool_lock = threading.Lock()
    ///
    /// def get_pool():
    ///     global _pool
    ///     if _pool is None:
    ///         with _pool_lock:
    ///             if _pool is None:
    ///                 _pool = Pool(DSN)
    ///     return _pool
    /// ```
    /// or create the object once at startup (e.g. in the application's
    /// lifespan handler) and pass it around.
    ///
    /// ## Known limitations
    /// A lock is async when it is created by `asyncio.Lock()` (or
    /// `Semaphore`, `Condition`) in this file, or is entered with `async
    /// with` and its constructor is not visible. When the program provably
    /// runs one event loop in one thread the finding is a portability
    /// warning rather than a live bug. An `asyncio`, `anyio` or `trio`
    /// object built under the lock (a per-key `anyio.Lock()`), or an
    /// instance of a class of the file whose locks are all async ones (a
    /// per-region context holding an `asyncio.Semaphore`), is not reported:
    /// it works on one event loop only, so the loop's own lock is the right
    /// guard for it.
    ///
    /// An asyncio lock fails only when a second event loop reaches the
    /// singleton, so a finding is reported only in a module that shows
    /// more than one loop: it makes or runs loops (`asyncio.run`,
    /// `new_event_loop`, `run_until_complete`), hands coroutines to another
    /// loop (`run_coroutine_threadsafe`), asks which loop runs it
    /// (`get_running_loop`, `get_event_loop`: code that expects several,
    /// unless it only reads the loop's clock, `get_event_loop().time()`).
    /// A thread is no sign by itself: it reaches a coroutine only through a
    /// loop it makes or is handed, and that call is the sign (a monitor
    /// thread beside a web app's one loop runs plain code). Elsewhere the
    /// module's
    /// coroutines run on the application's one loop, where the asyncio lock
    /// is the right guard. `asyncio.to_thread` and `run_in_executor` run
    /// plain functions, which cannot reach a coroutine's singleton, and
    /// are no such sign.
    pub static ASYNC_LOCK_GUARDED_SINGLETON = {
        code: "SGL002",
        name: "async-lock-guarded-singleton",
        summary: "lazy singleton guarded only by an asyncio lock",
        languages: [Python],
        severity: Warning,
        tags: ["concurrency", "singleton", "async"],
    };
}

pub const ENTRY: RuleEntry = RuleEntry {
    meta: &ASYNC_LOCK_GUARDED_SINGLETON,
    python: Some(|| Box::<AsyncLockGuardedSingleton>::default()),
    rust: None,
};

#[derive(Default)]
struct AsyncLockGuardedSingleton {
    tracker: LazyInitTracker,
    /// Findings held until the module is seen: reported only if it shows
    /// more than one event loop.
    pending: Vec<Diagnostic>,
    several_loops: bool,
    /// Start of the loop lookup whose only use is the loop's clock
    /// (`asyncio.get_event_loop().time()`), seen from the enclosing call.
    clock_read: Option<u32>,
}

/// Calls that make, run, drive or ask for an event loop: signs that the
/// module's coroutines meet more than one loop.
const SEVERAL_LOOPS_CALLS: &[&str] = &[
    "asyncio.run",
    "asyncio.new_event_loop",
    "asyncio.set_event_loop",
    "asyncio.get_event_loop",
    "asyncio.get_running_loop",
    "asyncio.run_coroutine_threadsafe",
];

/// True when `expr` is one of [`SEVERAL_LOOPS_CALLS`] or drives a loop by
/// hand (`loop.run_until_complete(..)`).
fn shows_several_loops(cx: &PyContext<'_>, expr: &Expr) -> bool {
    let Expr::Call(call) = expr else {
        return false;
    };
    if let Expr::Attribute(attribute) = call.func.as_ref() {
        if attribute.attr.as_str() == "run_until_complete" {
            return true;
        }
        // `x.attr` resolves to `<x>.attr`: only these attributes can match,
        // and the others (most calls) need not be resolved.
        let attr = attribute.attr.as_str();
        if !SEVERAL_LOOPS_CALLS
            .iter()
            .any(|name| name.rsplit('.').next() == Some(attr))
        {
            return false;
        }
    }
    cx.resolve(&call.func)
        .is_some_and(|name| SEVERAL_LOOPS_CALLS.contains(&name.as_str()))
}

impl PythonRule for AsyncLockGuardedSingleton {
    fn on_expr(&mut self, cx: &PyContext<'_>, expr: &Expr, _out: &mut Vec<Diagnostic>) {
        if self.several_loops {
            return;
        }
        // `get_event_loop().time()` reads the running loop's clock: a
        // timestamp, not a sign that the code expects several loops.
        if let Expr::Call(call) = expr {
            if let Expr::Attribute(method) = call.func.as_ref() {
                if method.attr.as_str() == "time" && method.value.is_call_expr() {
                    self.clock_read = Some(method.value.start().to_u32());
                }
            }
        }
        if self.clock_read == Some(expr.start().to_u32()) && expr.is_call_expr() {
            return;
        }
        self.several_loops = shows_several_loops(cx, expr);
    }

    fn on_module_exit(&mut self, _cx: &PyContext<'_>, out: &mut Vec<Diagnostic>) {
        if self.several_loops {
            out.append(&mut self.pending);
        }
    }

    fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt, _out: &mut Vec<Diagnostic>) {
        let Some(store) = self.tracker.on_stmt(cx, stmt) else {
            return;
        };
        let held = cx.held_locks();
        if held.is_empty() || held.iter().any(|lock| lock.kind != LockKind::Async) {
            return;
        }
        // An `asyncio`, `anyio` or `trio` object (a per-key `anyio.Lock()`)
        // works on one event loop only: the loop's lock is the right guard.
        if is_event_loop_object(cx, store.value) {
            return;
        }
        let lock = &held[held.len() - 1];
        self.pending.push(
            Diagnostic::new(
                &ASYNC_LOCK_GUARDED_SINGLETON,
                store.stmt,
                format!(
                    "`{}` is lazily initialised under `{}`, an asyncio lock that does not exclude other threads or event loops",
                    store.target, lock.key
                ),
            )
            .with_help(
                "guard the double-checked store with a `threading.Lock` (`with _lock: if _x is None: _x = X()`), or create the object once at startup",
            )
            .with_related(lock.span, "the asyncio lock acquired here"),
        );
    }
}
