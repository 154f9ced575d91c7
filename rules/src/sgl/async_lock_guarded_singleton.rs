use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::Ranged;
use rustc_hash::FxHashSet as HashSet;

use crate::api::{Diagnostic, RuleEntry};
use crate::declare_rule;
use crate::python::{last_name, self_attribute, LockKind, PyContext, PythonRule};
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
    /// loop (`run_coroutine_threadsafe`), or asks which loop runs it
    /// (`get_running_loop`, `get_event_loop`) and uses the answer other
    /// than to call the loop's methods (compares it, stores it, passes it
    /// on). Not signs: a lookup that only calls the loop's methods
    /// (`loop = asyncio.get_running_loop(); loop.create_task(..)`,
    /// `get_event_loop().time()`); the program's entry (module-level code,
    /// `if __name__ == "__main__":`, a `main` function), which makes the
    /// application's one loop; and a function or method registered with
    /// `atexit` (`atexit.register(close)`, `atexit.register(self._cleanup)`,
    /// `@atexit.register`), whose
    /// `asyncio.run(client.aclose())` runs after that loop has ended. A
    /// thread is no sign by itself: it reaches a coroutine only through a
    /// loop it makes or is handed, and that call is the sign (a monitor
    /// thread beside a web app's one loop runs plain code). Elsewhere the
    /// module's coroutines run on the application's one loop, where the
    /// asyncio lock is the right guard. `asyncio.to_thread` and
    /// `run_in_executor` run plain functions, which cannot reach a
    /// coroutine's singleton, and are no such sign.
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
    /// Signs of a second loop seen in functions, held until the module is
    /// seen: a sign in an exit handler does not count.
    signs: Vec<LoopSign>,
    /// Functions and methods registered with `atexit`: they run after the
    /// application's loop has ended, so a loop they make is not a second
    /// one running beside it.
    exit_handlers: HashSet<String>,
    /// Starts of loop lookups used only as a method receiver
    /// (`asyncio.get_running_loop().create_task(..)`,
    /// `get_event_loop().time()`), seen from the enclosing attribute.
    receiver_lookups: Vec<u32>,
    /// The loop lookup bound to a name by the statement being walked
    /// (`loop = asyncio.get_running_loop()`): its start and the name.
    binding: Option<(u32, String)>,
    /// Names bound to a loop lookup.
    lookup_names: HashSet<String>,
    /// Starts of those names where they are a method receiver
    /// (`loop.create_task(..)`), seen from the enclosing attribute.
    receiver_names: HashSet<u32>,
    /// Names bound to a loop lookup and also used otherwise: compared,
    /// stored, passed on.
    lookups_used_otherwise: HashSet<String>,
}

/// A sign of a second event loop inside a function.
struct LoopSign {
    /// The innermost enclosing function.
    function: String,
    /// The name a loop lookup is bound to: the lookup counts only if the
    /// name is used other than to call the loop's methods.
    bound_to: Option<String>,
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

/// True when `expr` asks which loop runs (`get_running_loop()`,
/// `get_event_loop()`), by the called name alone.
fn looks_up_the_loop(expr: &Expr) -> bool {
    let Expr::Call(call) = expr else {
        return false;
    };
    matches!(
        last_name(&call.func),
        Some("get_running_loop" | "get_event_loop")
    )
}

/// True when the code being walked is the program's entry (module-level
/// code, `if __name__ == "__main__":`, a `main` function): the loop it
/// makes is the application's one loop.
fn is_program_entry(cx: &PyContext<'_>) -> bool {
    cx.function().is_none() || cx.functions().iter().any(|frame| frame.name == "main")
}

impl AsyncLockGuardedSingleton {
    /// Notes the uses of a name bound to a loop lookup: only calls of the
    /// loop's methods (`loop.create_task(..)`) leave the lookup harmless.
    fn note_lookup_use(&mut self, expr: &Expr) {
        if self.lookup_names.is_empty() {
            return;
        }
        match expr {
            Expr::Attribute(attribute) => {
                if let Expr::Name(name) = attribute.value.as_ref() {
                    if self.lookup_names.contains(name.id.as_str()) {
                        self.receiver_names.insert(name.start().to_u32());
                    }
                }
            }
            Expr::Name(name)
                if name.ctx.is_load()
                    && self.lookup_names.contains(name.id.as_str())
                    && !self.receiver_names.contains(&name.start().to_u32()) =>
            {
                self.lookups_used_otherwise.insert(name.id.to_string());
            }
            _ => {}
        }
    }

    /// Notes a sign of a second loop at `expr`, unless it is the
    /// program's entry or a lookup used only to call the loop's methods.
    fn note_sign(&mut self, cx: &PyContext<'_>, expr: &Expr) {
        if is_program_entry(cx) || self.receiver_lookups.contains(&expr.start().to_u32()) {
            return;
        }
        let bound_to = match &self.binding {
            Some((start, name)) if *start == expr.start().to_u32() => {
                self.lookup_names.insert(name.clone());
                Some(name.clone())
            }
            _ => None,
        };
        let Some(function) = cx.function() else {
            return;
        };
        self.signs.push(LoopSign {
            function: function.name.to_string(),
            bound_to,
        });
    }
}

impl PythonRule for AsyncLockGuardedSingleton {
    fn on_expr(&mut self, cx: &PyContext<'_>, expr: &Expr, _out: &mut Vec<Diagnostic>) {
        self.note_lookup_use(expr);
        if let Expr::Attribute(method) = expr {
            if looks_up_the_loop(&method.value) {
                self.receiver_lookups.push(method.value.start().to_u32());
            }
        }
        if let Some(handler) = registered_exit_handler(cx, expr) {
            self.exit_handlers.insert(handler.to_string());
        }
        if shows_several_loops(cx, expr) {
            self.note_sign(cx, expr);
        }
    }

    fn on_module_exit(&mut self, _cx: &PyContext<'_>, out: &mut Vec<Diagnostic>) {
        let several_loops = self.signs.iter().any(|sign| {
            !self.exit_handlers.contains(&sign.function)
                && sign
                    .bound_to
                    .as_ref()
                    .is_none_or(|name| self.lookups_used_otherwise.contains(name))
        });
        if several_loops {
            out.append(&mut self.pending);
        }
    }

    fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt, _out: &mut Vec<Diagnostic>) {
        if let Stmt::FunctionDef(def) = stmt {
            if def
                .decorator_list
                .iter()
                .any(|decorator| is_atexit_register(cx, &decorator.expression))
            {
                self.exit_handlers.insert(def.name.to_string());
            }
        }
        self.binding = match stmt {
            Stmt::Assign(assign) => match (assign.targets.as_slice(), assign.value.as_ref()) {
                ([Expr::Name(name)], value) if looks_up_the_loop(value) => {
                    Some((value.start().to_u32(), name.id.to_string()))
                }
                _ => None,
            },
            _ => None,
        };
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

/// True when `expr` names `atexit.register`.
fn is_atexit_register(cx: &PyContext<'_>, expr: &Expr) -> bool {
    last_name(expr) == Some("register") && cx.resolve(expr).as_deref() == Some("atexit.register")
}

/// The function or method `expr` registers to run at exit:
/// `atexit.register(close_client)`, `atexit.register(self._cleanup_sync)`.
fn registered_exit_handler<'e>(cx: &PyContext<'_>, expr: &'e Expr) -> Option<&'e str> {
    let Expr::Call(call) = expr else { return None };
    if !is_atexit_register(cx, &call.func) {
        return None;
    }
    match call.arguments.args.first()? {
        Expr::Name(name) => Some(name.id.as_str()),
        method => self_attribute(method),
    }
}
