//! Findings held until the module has been seen: SGL001, SHR001 and
//! SHR002 defer them here and drop those in functions that cannot race
//! (see [`FunctionRoles`](crate::python::FunctionRoles)). Also the naming
//! and decorator conventions by which a function says its caller holds
//! the lock.

use ruff_python_ast::{self as ast, Expr, Stmt};

use crate::api::Diagnostic;
use crate::python::{last_name, FunctionKey, PyContext};

/// A deferred finding and the function it is in.
struct Pending {
    /// (class, name) of the module-level function or method (see
    /// [`caller_key`]).
    key: Option<(Option<String>, String)>,
    /// The innermost named function, nested or not.
    innermost: Option<String>,
    /// The innermost function's body is a loop (see [`runs_a_loop`]).
    innermost_loops: bool,
    diagnostic: Diagnostic,
}

/// Findings that wait for the end of the module, where
/// [`FunctionRoles`](crate::python::FunctionRoles) knows where each
/// function runs: those in a function that cannot race are dropped.
#[derive(Default)]
pub(crate) struct Callers {
    pending: Vec<Pending>,
}

impl Callers {
    /// Holds `diagnostic`, made in the function being walked, until
    /// [`Callers::report`].
    pub(crate) fn defer(&mut self, cx: &PyContext<'_>, diagnostic: Diagnostic) {
        let innermost = cx.functions().iter().rev().find_map(|frame| frame.def);
        if innermost.is_some_and(has_signal_handler_signature) || runs_on_observer_thread(cx) {
            return;
        }
        self.pending.push(Pending {
            key: caller_key(cx),
            innermost: innermost.map(|def| def.name.to_string()),
            innermost_loops: innermost.is_some_and(runs_a_loop),
            diagnostic,
        });
    }

    /// Reports the deferred findings, except those in a function that the
    /// module only calls with a thread lock held, from coroutines or while
    /// decorating functions, installs as a one-thread handler, or runs as
    /// the loop of a thread it starts once.
    pub(crate) fn report(&mut self, cx: &PyContext<'_>, out: &mut Vec<Diagnostic>) {
        let roles = cx.function_roles();
        for pending in std::mem::take(&mut self.pending) {
            let exclusive = pending.key.as_ref().is_some_and(|(class, name)| {
                let key = FunctionKey {
                    class: class.as_deref(),
                    name,
                };
                roles.always_locked(&key)
                    || roles.runs_on_the_event_loop(&key)
                    || roles.runs_when_decorating(&key)
            });
            let one_thread = pending.innermost.as_deref().is_some_and(|function| {
                roles.is_one_thread_handler(function)
                    || (pending.innermost_loops && roles.runs_on_its_own_thread(function))
            });
            if !exclusive && !one_thread {
                out.push(pending.diagnostic);
            }
        }
    }
}

/// True when the function's body is a long-running loop: a `while`
/// statement at its top level, or directly in a top-level `try` or
/// `with` (`while not stopped: msg = sock.recv(); ...`), the shape of a
/// receiver or bootstrap thread.
fn runs_a_loop(def: &ast::StmtFunctionDef) -> bool {
    fn has_while(body: &[Stmt]) -> bool {
        body.iter().any(|stmt| match stmt {
            Stmt::While(_) => true,
            Stmt::Try(try_stmt) => try_stmt.body.iter().any(|s| matches!(s, Stmt::While(_))),
            Stmt::With(with) => with.body.iter().any(|s| matches!(s, Stmt::While(_))),
            _ => false,
        })
    }
    has_while(&def.body)
}

/// In a method of a `watchdog` event handler (`class
/// DocumentHandler(FileSystemEventHandler)`): its observer dispatches
/// file events to it from one thread, one event at a time.
fn runs_on_observer_thread(cx: &PyContext<'_>) -> bool {
    let class = cx
        .functions()
        .iter()
        .rev()
        .find(|frame| frame.def.is_some())
        .and_then(|frame| frame.class);
    class.is_some_and(|class| {
        class.bases().iter().any(|base| {
            cx.resolve(base)
                .is_some_and(|name| name.starts_with("watchdog.events."))
        })
    })
}

/// `def on_term(signum, frame)`: the parameters Python passes a signal
/// handler, installed here or by whoever the function is handed to.
fn has_signal_handler_signature(def: &ast::StmtFunctionDef) -> bool {
    let names: Vec<&str> = def
        .parameters
        .args
        .iter()
        .map(|parameter| parameter.parameter.name.as_str())
        .filter(|name| *name != "self")
        .collect();
    matches!(
        names.as_slice(),
        [
            "signum" | "signo" | "signal_number" | "sig",
            "frame" | "stack_frame"
        ]
    )
}

/// The function being walked, when the walk is directly in a module-level
/// function or a method, not in a nested function: the key under which
/// [`FunctionRoles`](crate::python::FunctionRoles) counts its calls.
fn caller_key(cx: &PyContext<'_>) -> Option<(Option<String>, String)> {
    match cx.functions() {
        [frame] if frame.def.is_some() => Some((
            frame.class.map(|class| class.name.to_string()),
            frame.name.to_string(),
        )),
        _ => None,
    }
}

/// `def _connect_locked(self)`, `def _unlocked_get(self)`, `def
/// _remove_unlocked(self)`: by a common convention the caller holds the
/// lock (the name says the function does not take it).
pub(crate) fn is_named_for_caller_held_lock(name: &str) -> bool {
    name.ends_with("_locked") || name.ends_with("_unlocked") || name.starts_with("_unlocked")
}

/// A function named for a lock its caller holds (see
/// [`is_named_for_caller_held_lock`]), or one wrapped in a locking
/// decorator (`@synchronized`, `@lock`, `@with_lock`, `@_requires_lock`):
/// the wrapper takes the lock.
pub(crate) fn caller_holds_lock_by_convention(cx: &PyContext<'_>) -> bool {
    cx.function().is_some_and(|frame| {
        is_named_for_caller_held_lock(frame.name)
            || frame.decorators().iter().any(is_locking_decorator)
    })
}

/// `@lock`, `@locked`, `@with_lock`, `@synchronized`, `@self_lock`, also
/// called (`@synchronized(lock)`) or as an attribute (`@utils.synchronized`).
fn is_locking_decorator(decorator: &ast::Decorator) -> bool {
    let expr = match &decorator.expression {
        Expr::Call(call) => call.func.as_ref(),
        other => other,
    };
    let Some(name) = last_name(expr) else {
        return false;
    };
    let name = name.trim_start_matches('_').to_ascii_lowercase();
    matches!(
        name.as_str(),
        "lock" | "locked" | "synchronized" | "synchronised"
    ) || name.starts_with("with_lock")
        || name.ends_with("_lock")
        || name.ends_with("_locked")
        || name.starts_with("requires_lock")
}
