//! What a module's own calls say about where each of its functions runs:
//! always under a thread lock, or as a signal handler on the main thread
//! or a fork handler in a child that has one thread.
//! SGL001, SHR001 and SHR002 defer their findings here and drop those in
//! functions that cannot race.

use ruff_python_ast::{self as ast, Expr};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::api::Diagnostic;
use crate::python::{last_name, PyContext};

/// A deferred finding and the function it is in.
struct Pending {
    /// `name` or `Class.name` for a module-level function or a method (see
    /// [`caller_key`]).
    key: Option<String>,
    /// The innermost named function, nested or not.
    innermost: Option<String>,
    diagnostic: Diagnostic,
}

/// Calls of module-level functions (`helper()`) and of methods of the
/// class being walked (`self.helper()`), with whether a thread lock was
/// held at each: a function whose every call in the module holds a lock
/// runs under it (`with _lock: parser = _get_parser()`). Also the
/// functions installed as signal handlers (`signal.signal(SIGTERM,
/// on_term)`): Python runs those only in the main thread; and child fork
/// handlers (`os.register_at_fork(after_in_child=reseed)`), which run in
/// a child that has one thread. Rules defer
/// their findings here and report them once the whole module has been
/// seen.
#[derive(Default)]
pub(crate) struct Callers {
    /// `name` or `Class.name` -> (calls with a thread lock held, calls
    /// without).
    counts: HashMap<String, (usize, usize)>,
    /// Names of functions installed as signal handlers, fork handlers of
    /// the child or gc callbacks.
    one_thread_handlers: HashSet<String>,
    pending: Vec<Pending>,
}

impl Callers {
    /// Holds `diagnostic`, made in the function being walked, until
    /// [`Callers::report`].
    pub(crate) fn defer(&mut self, cx: &PyContext<'_>, diagnostic: Diagnostic) {
        let innermost = cx.functions().iter().rev().find_map(|frame| frame.def);
        if innermost.is_some_and(has_signal_handler_signature) {
            return;
        }
        self.pending.push(Pending {
            key: caller_key(cx),
            innermost: innermost.map(|def| def.name.to_string()),
            diagnostic,
        });
    }

    /// Reports the deferred findings, except those in a function that the
    /// module only calls with a thread lock held or installs as a signal
    /// or child fork handler.
    pub(crate) fn report(&mut self, out: &mut Vec<Diagnostic>) {
        for pending in std::mem::take(&mut self.pending) {
            let locked = pending
                .key
                .is_some_and(|function| self.always_locked(&function));
            let one_thread = pending
                .innermost
                .is_some_and(|function| self.one_thread_handlers.contains(&function));
            if !locked && !one_thread {
                out.push(pending.diagnostic);
            }
        }
    }

    pub(crate) fn on_expr(&mut self, cx: &PyContext<'_>, expr: &Expr) {
        let Expr::Call(call) = expr else { return };
        if let Some(handler) = installed_one_thread_handler(cx, call) {
            self.one_thread_handlers.insert(handler.to_string());
        }
        let key = match call.func.as_ref() {
            Expr::Name(name) => name.id.to_string(),
            Expr::Attribute(method) => match (method.value.as_ref(), cx.class()) {
                (Expr::Name(receiver), Some(class)) if receiver.id.as_str() == "self" => {
                    format!("{}.{}", class.name, method.attr)
                }
                _ => return,
            },
            _ => return,
        };
        let counts = self.counts.entry(key).or_default();
        if cx.holds_thread_lock() {
            counts.0 += 1;
        } else {
            counts.1 += 1;
        }
    }

    /// True when the module calls `function` and always with a lock held.
    fn always_locked(&self, function: &str) -> bool {
        self.counts
            .get(function)
            .is_some_and(|&(locked, unlocked)| locked > 0 && unlocked == 0)
    }
}

/// The function a call installs where only one thread runs it at a time:
/// the handler of `signal.signal(signum, handler)` (Python runs it in the
/// main thread), the `after_in_child` of `os.register_at_fork` (a child
/// just forked has one thread), or a callback added to `gc.callbacks`
/// (collections never run two at once).
fn installed_one_thread_handler<'c>(
    cx: &PyContext<'_>,
    call: &'c ast::ExprCall,
) -> Option<&'c str> {
    // Resolving allocates: only for calls that can be one of the two.
    let callee = last_name(&call.func)?;
    let handler = match callee {
        "signal" if cx.resolve(&call.func).as_deref() == Some("signal.signal") => {
            match call.arguments.args.get(1) {
                Some(handler) => handler,
                None => &call.arguments.find_keyword("handler")?.value,
            }
        }
        "register_at_fork" if cx.resolve(&call.func).as_deref() == Some("os.register_at_fork") => {
            &call.arguments.find_keyword("after_in_child")?.value
        }
        "append" if cx.resolve(&call.func).as_deref() == Some("gc.callbacks.append") => {
            call.arguments.args.first()?
        }
        "insert" if cx.resolve(&call.func).as_deref() == Some("gc.callbacks.insert") => {
            call.arguments.args.get(1)?
        }
        _ => return None,
    };
    let Expr::Name(name) = handler else {
        return None;
    };
    Some(name.id.as_str())
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
/// function (`name`) or a method (`Class.name`), not in a nested function:
/// the key under which [`Callers`] counts its calls.
fn caller_key(cx: &PyContext<'_>) -> Option<String> {
    match cx.functions() {
        [frame] if frame.def.is_some() => match frame.class {
            None => Some(frame.name.to_string()),
            Some(class) => Some(format!("{}.{}", class.name, frame.name)),
        },
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
