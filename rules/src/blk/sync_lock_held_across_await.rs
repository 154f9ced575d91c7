use rustc_hash::FxHashSet as HashSet;

use ruff_python_ast::{self as ast, Expr, Stmt};

use crate::api::{Diagnostic, RuleEntry, Span};
use crate::blk::{is_async_lock, TemporaryGuards, TemporaryPlace};
use crate::declare_rule;
use crate::python::{LockKind, PyContext, PythonRule};
use crate::rust::{span_of, Guard, GuardKind, RsContext, RustRule};

declare_rule! {
    /// ## What it does
    /// Flags a thread lock that is held while async code suspends: a
    /// `threading` lock acquired in an `async def` (`with lock:` or
    /// `lock.acquire()`) whose held region contains an `await`, `async with`
    /// or `async for`; a `std::sync::Mutex` / `RwLock` (or `parking_lot`)
    /// guard alive across an `.await` in an `async fn` or `async` block.
    ///
    /// ## Why is this bad?
    /// While the task is suspended the lock stays held, and the thread that
    /// blocks on it next may be the very one that must resume the task: the
    /// event loop (asyncio) or a runtime worker (tokio) deadlocks, or at best
    /// every task touching the lock stalls for as long as the awaited
    /// operation takes. In Rust, a std guard also makes the future `!Send`.
    ///
    /// ## Example
    /// ```python
    /// async def refresh(self):
    ///     with self._lock:
    ///         self._token = await self._client.fetch_token()
    /// ```
    /// ```rust
    /// async fn refresh(&self) {
    ///     let mut token = self.token.lock().unwrap();
    ///     *token = self.client.fetch_token().await;
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// async def refresh(self):
    ///     token = await self._client.fetch_token()
    ///     with self._lock:
    ///         self._token = token
    /// ```
    /// ```rust
    /// async fn refresh(&self) {
    ///     let fresh = self.client.fetch_token().await;
    ///     *self.token.lock().unwrap() = fresh;
    /// }
    /// ```
    /// Or use an async lock: `asyncio.Lock` with `async with`,
    /// `tokio::sync::Mutex` with `.lock().await`.
    ///
    /// ## Known limitations
    /// Python: only locks whose constructor (`threading.Lock()`, `RLock()`,
    /// `Semaphore()`, `Condition()`, ..) the file shows are known to be thread
    /// locks: a module-level or local name bound to one, or an attribute set
    /// to one in the class. A lock imported from another module or passed in
    /// is not flagged, since a lock-named object may be no lock at all.
    /// A try-lock (`if not lock.acquire(blocking=False): return`, also
    /// `acquire(False)` and `acquire(timeout=0)`) is not flagged: a
    /// coroutine that finds it taken goes on without waiting.
    ///
    /// Rust: a guard is tracked when bound by `let` (alive to the end of its
    /// block, a `drop(guard)` or a move into a call) or when created as a
    /// temporary inside the awaited operand
    /// (`tx.send(m.lock().unwrap().clone()).await`) or in the scrutinee of a
    /// `match` / `if let` / `while let` whose body awaits; temporaries
    /// elsewhere in a statement (block tail expressions, the left operand of
    /// a binary expression) are not. A non-awaited `.lock()` / `.read()` /
    /// `.write()` (or `try_*`) with no arguments is taken for a blocking
    /// lock unless the lock's declared or constructed type is an async one
    /// (`tokio::sync`, `async_lock`, `futures::lock`, ..).
    pub static SYNC_LOCK_HELD_ACROSS_AWAIT = {
        code: "BLK005",
        name: "sync-lock-held-across-await",
        summary: "thread lock held across an await",
        languages: [Python, Rust],
        severity: Error,
        tags: ["concurrency", "async", "deadlock"],
    };
}

pub const ENTRY: RuleEntry = RuleEntry {
    meta: &SYNC_LOCK_HELD_ACROSS_AWAIT,
    python: Some(|| Box::<SyncLockHeldAcrossAwait>::default()),
    rust: Some(|| Box::<SyncLockHeldAcrossAwait>::default()),
};

/// Per file: the acquisitions already reported, so that a lock held across
/// several awaits is reported once, and Rust's temporary guards.
#[derive(Default)]
struct SyncLockHeldAcrossAwait {
    reported: HashSet<Span>,
    temporaries: TemporaryGuards,
    /// Rust: acquisitions bound by `let` whose lock is known to be async
    /// (`let g = self.tokio_mutex.try_lock()?`).
    async_bound: HashSet<Span>,
}

/// True for an expression that suspends the coroutine by itself: `await`, or
/// a comprehension with an `async for`.
fn python_suspends(expr: &Expr) -> bool {
    let generators = match expr {
        Expr::Await(_) => return true,
        Expr::ListComp(ast::ExprListComp { generators, .. })
        | Expr::SetComp(ast::ExprSetComp { generators, .. })
        | Expr::DictComp(ast::ExprDictComp { generators, .. }) => generators,
        _ => return false,
    };
    generators.iter().any(|generator| generator.is_async)
}

impl SyncLockHeldAcrossAwait {
    fn python_suspension(&mut self, cx: &PyContext<'_>, at: Span, out: &mut Vec<Diagnostic>) {
        if !cx.in_async() {
            return;
        }
        for lock in cx.held_locks() {
            // An unknown lock-named object may be no lock at all (trio's
            // `ConflictDetector` is a `_fetch_lock`): precision first.
            // A try-lock (`acquire(blocking=False)`) is a permit: a
            // coroutine that finds it taken does not wait for it.
            if lock.kind != LockKind::Threading || !lock.waits || !self.reported.insert(lock.span) {
                continue;
            }
            out.push(
                Diagnostic::new(
                    &SYNC_LOCK_HELD_ACROSS_AWAIT,
                    lock.span,
                    format!(
                        "thread lock `{}` is held across an `await` inside `async def`",
                        lock.key
                    ),
                )
                .with_help(
                    "use an `asyncio.Lock` with `async with`, or release the lock before the `await`",
                )
                .with_related(at, "the coroutine suspends here with the lock held"),
            );
        }
    }
}

impl PythonRule for SyncLockHeldAcrossAwait {
    fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt, out: &mut Vec<Diagnostic>) {
        // The implicit awaits of `async with` / `async for`, pointed at the
        // awaited expression rather than the whole block.
        let suspension: Option<Span> = match stmt {
            Stmt::With(with) if with.is_async => {
                with.items.first().map(|item| (&item.context_expr).into())
            }
            Stmt::For(for_stmt) if for_stmt.is_async => Some(for_stmt.iter.as_ref().into()),
            _ => None,
        };
        if let Some(at) = suspension {
            self.python_suspension(cx, at, out);
        }
    }

    fn on_expr(&mut self, cx: &PyContext<'_>, expr: &Expr, out: &mut Vec<Diagnostic>) {
        if python_suspends(expr) {
            self.python_suspension(cx, expr.into(), out);
        }
    }
}

/// The acquiring method as written (`lock`, `try_read`, ..), falling back
/// to the guard's kind.
fn guard_method<'s>(cx: &RsContext<'s>, guard: &Guard) -> &'s str {
    let written = cx
        .source()
        .get(guard.span.start as usize..guard.span.end as usize)
        .and_then(|call| call.rsplit('.').next())
        .and_then(|method| method.split('(').next())
        .map(str::trim)
        .filter(|method| !method.is_empty());
    written.unwrap_or(match guard.kind {
        GuardKind::Lock => "lock",
        GuardKind::Read => "read",
        GuardKind::Write => "write",
    })
}

/// What keeps a guard alive across the `.await`.
enum Holder {
    Binding,
    Temporary(TemporaryPlace),
}

impl SyncLockHeldAcrossAwait {
    fn report_guard(
        &mut self,
        cx: &RsContext<'_>,
        guard: &Guard,
        holder: Holder,
        await_token: Span,
        out: &mut Vec<Diagnostic>,
    ) {
        if !self.reported.insert(guard.span) {
            return;
        }
        let method = guard_method(cx, guard);
        let lock = &guard.lock;
        let (message, help) = match holder {
            Holder::Binding => (
                format!("blocking `.{method}()` guard of `{lock}` is held across `.await`"),
                "use `tokio::sync::Mutex` / `RwLock` (`.lock().await`), or drop the guard before the `.await` (end its block or call `drop(guard)`)",
            ),
            Holder::Temporary(TemporaryPlace::AwaitedOperand) => (
                format!("temporary `.{method}()` guard of `{lock}` lives to the end of the statement, across its `.await`"),
                "bind the value first (`let value = lock.lock().unwrap().clone();`) so the guard drops before the `.await`, or use `tokio::sync::Mutex`",
            ),
            Holder::Temporary(TemporaryPlace::Scrutinee) => (
                format!("`.{method}()` guard of `{lock}` in a `match` / `if let` / `while let` scrutinee lives through its body, across `.await`"),
                "bind the value first (`let value = lock.lock().unwrap().clone();`) and match on that, or use `tokio::sync::Mutex`",
            ),
        };
        out.push(
            Diagnostic::new(&SYNC_LOCK_HELD_ACROSS_AWAIT, guard.span, message)
                .with_help(help)
                .with_related(await_token, "the task suspends here with the guard alive"),
        );
    }
}

impl RustRule for SyncLockHeldAcrossAwait {
    fn on_local(&mut self, cx: &RsContext<'_>, local: &syn::Local, _out: &mut Vec<Diagnostic>) {
        let Some(init) = &local.init else { return };
        if let Some(guard) = cx.guard_of(&init.expr) {
            if is_async_lock(cx, &init.expr) {
                self.async_bound.insert(guard.span);
            }
        }
    }

    fn on_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr, out: &mut Vec<Diagnostic>) {
        if !cx.in_async() {
            return;
        }
        if let syn::Expr::Await(await_expr) = expr {
            let await_token = span_of(&await_expr.await_token);
            let blocking = cx
                .guards()
                .iter()
                .filter(|guard| !guard.is_async && !self.async_bound.contains(&guard.span));
            for guard in blocking.collect::<Vec<_>>() {
                self.report_guard(cx, guard, Holder::Binding, await_token, out);
            }
        }
        for temporary in self.temporaries.on_expr(cx, expr) {
            let holder = Holder::Temporary(temporary.place);
            self.report_guard(cx, &temporary.guard, holder, temporary.await_token, out);
        }
    }
}
