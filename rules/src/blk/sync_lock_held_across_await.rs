use std::collections::HashSet;

use ruff_python_ast::{self as ast, Expr, Stmt};

use crate::api::{Diagnostic, RuleEntry, Span};
use crate::declare_rule;
use crate::python::{LockKind, PyContext, PythonRule};
use crate::rust::{span_of, strip_result_handling, GuardKind, RsContext, RustRule};

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
    /// Rust: a guard is tracked when bound by `let` (alive to the end of its
    /// block, a `drop(guard)` or a move into a call) or when created as a
    /// temporary inside the awaited operand
    /// (`tx.send(m.lock().unwrap().clone()).await`); temporaries elsewhere in
    /// the statement (`if let` and `match` scrutinees, block tail
    /// expressions) are not. The lock's type is not checked, so a non-awaited
    /// `.lock()` / `.read()` / `.write()` with no arguments is taken for a
    /// blocking lock.
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
/// several awaits is reported once; in Rust also the awaited operands seen so
/// far and the blocks inside them, for guards created as temporaries.
#[derive(Default)]
struct SyncLockHeldAcrossAwait {
    reported: HashSet<Span>,
    awaited: Vec<AwaitedOperand>,
    scopes: Vec<Span>,
    used_in_place: HashSet<Span>,
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
            if lock.kind != LockKind::Threading || !self.reported.insert(lock.span) {
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
        let suspends = match stmt {
            Stmt::With(with) => with.is_async,
            Stmt::For(for_stmt) => for_stmt.is_async,
            _ => false,
        };
        if suspends {
            self.python_suspension(cx, stmt.into(), out);
        }
    }

    fn on_expr(&mut self, cx: &PyContext<'_>, expr: &Expr, out: &mut Vec<Diagnostic>) {
        if python_suspends(expr) {
            self.python_suspension(cx, expr.into(), out);
        }
    }
}

/// An `.await` in Rust, for temporaries in its operand.
struct AwaitedOperand {
    frame: Option<Span>,
    operand: Span,
    await_token: Span,
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// The value `expr` uses in place, keeping a temporary of it alive: a
/// method receiver (other than `unwrap`-like pass-throughs), a field base, a
/// dereferenced or indexed value.
fn used_in_place(expr: &syn::Expr) -> Option<&syn::Expr> {
    match expr {
        syn::Expr::MethodCall(call) => {
            let passes_through = !std::ptr::eq(strip_result_handling(expr), expr);
            (!passes_through).then_some(&*call.receiver)
        }
        syn::Expr::Field(field) => Some(&field.base),
        syn::Expr::Index(index) => Some(&index.expr),
        syn::Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Deref(_)) => Some(&unary.expr),
        _ => None,
    }
}

fn guard_method(kind: GuardKind) -> &'static str {
    match kind {
        GuardKind::Lock => "lock",
        GuardKind::Read => "read",
        GuardKind::Write => "write",
    }
}

impl SyncLockHeldAcrossAwait {
    /// Guards bound by `let` and still alive at an `.await`.
    fn rust_alive_guards(
        &mut self,
        cx: &RsContext<'_>,
        await_token: Span,
        out: &mut Vec<Diagnostic>,
    ) {
        for guard in cx.guards() {
            if guard.is_async || !self.reported.insert(guard.span) {
                continue;
            }
            out.push(
                Diagnostic::new(
                    &SYNC_LOCK_HELD_ACROSS_AWAIT,
                    guard.span,
                    format!(
                        "blocking `.{}()` guard of `{}` is held across `.await`",
                        guard_method(guard.kind),
                        guard.lock
                    ),
                )
                .with_help(
                    "use `tokio::sync::Mutex` / `RwLock` (`.lock().await`), or drop the guard before the `.await` (end its block or call `drop(guard)`)",
                )
                .with_related(await_token, "the task suspends here with the guard alive"),
            );
        }
    }

    /// A guard created as a temporary inside an awaited operand,
    /// `tx.send(state.lock().unwrap().clone()).await`: temporaries live to
    /// the end of the statement, so the guard is alive while the task waits.
    /// Not when a block, closure or branch lies in between: its statements
    /// end their own temporaries.
    fn rust_temporary_guard(
        &mut self,
        cx: &RsContext<'_>,
        expr: &syn::Expr,
        out: &mut Vec<Diagnostic>,
    ) {
        // Used in place (`m.lock().unwrap().clone()`), not handed on: a bare
        // `m.lock()` passed to a combinator is an async lock's future.
        if !self.used_in_place.contains(&span_of(expr)) {
            return;
        }
        let Some(guard) = cx.guard_of(expr) else {
            return;
        };
        // `m.lock().await` anywhere in the operand: an async lock.
        if self
            .awaited
            .iter()
            .any(|awaited| awaited.operand == guard.span)
        {
            return;
        }
        let frame = cx.frame().map(|frame| frame.span);
        let Some(awaited) = self.awaited.iter().find(|awaited| {
            awaited.frame == frame
                && contains(awaited.operand, guard.span)
                && !self
                    .scopes
                    .iter()
                    .any(|scope| contains(awaited.operand, *scope) && contains(*scope, guard.span))
        }) else {
            return;
        };
        if !self.reported.insert(guard.span) {
            return;
        }
        out.push(
            Diagnostic::new(
                &SYNC_LOCK_HELD_ACROSS_AWAIT,
                guard.span,
                format!(
                    "temporary `.{}()` guard of `{}` lives to the end of the statement, across its `.await`",
                    guard_method(guard.kind),
                    guard.lock
                ),
            )
            .with_help(
                "bind the value first (`let value = lock.lock().unwrap().clone();`) so the guard drops before the `.await`, or use `tokio::sync::Mutex`",
            )
            .with_related(awaited.await_token, "the task suspends here with the guard alive"),
        );
    }
}

impl RustRule for SyncLockHeldAcrossAwait {
    fn on_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr, out: &mut Vec<Diagnostic>) {
        if !cx.in_async() {
            return;
        }
        // The walk goes forward through the source: an operand that ends
        // before this expression starts cannot contain anything still to come.
        let start = span_of(expr).start;
        self.awaited.retain(|awaited| awaited.operand.end > start);
        self.scopes.retain(|scope| scope.end > start);
        self.used_in_place.retain(|value| value.end > start);
        match expr {
            syn::Expr::Await(await_expr) => {
                let await_token = span_of(&await_expr.await_token);
                self.rust_alive_guards(cx, await_token, out);
                self.awaited.push(AwaitedOperand {
                    frame: cx.frame().map(|frame| frame.span),
                    operand: span_of(&await_expr.base),
                    await_token,
                });
            }
            syn::Expr::Block(_)
            | syn::Expr::If(_)
            | syn::Expr::Match(_)
            | syn::Expr::Loop(_)
            | syn::Expr::While(_)
            | syn::Expr::ForLoop(_)
            | syn::Expr::Unsafe(_)
            | syn::Expr::Closure(_)
            | syn::Expr::Async(_) => {
                let span = span_of(expr);
                if self
                    .awaited
                    .iter()
                    .any(|awaited| contains(awaited.operand, span))
                {
                    self.scopes.push(span);
                }
            }
            _ => {}
        }
        if let Some(value) = used_in_place(expr) {
            self.used_in_place.insert(span_of(value));
        }
        if matches!(expr, syn::Expr::MethodCall(_)) {
            self.rust_temporary_guard(cx, expr, out);
        }
    }
}
