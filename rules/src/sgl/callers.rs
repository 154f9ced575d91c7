//! What a module's own calls say about where each of its functions runs:
//! always under a thread lock, or on one thread at a time: a signal
//! handler on the main thread, a fork handler in a child that has one
//! thread, a gc callback, a pool's result callback, or the loop of a
//! thread the module starts once.
//! SGL001, SHR001 and SHR002 defer their findings here and drop those in
//! functions that cannot race.

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};
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
    /// The innermost function's body is a loop (see [`runs_a_loop`]).
    innermost_loops: bool,
    diagnostic: Diagnostic,
}

/// Calls of module-level functions (`helper()`) and of methods of the
/// class being walked (`self.helper()`), with whether a thread lock was
/// held at each: a function whose every call in the module holds a lock
/// runs under it (`with _lock: parser = _get_parser()`). Also the
/// functions installed as signal handlers (`signal.signal(SIGTERM,
/// on_term)`): Python runs those only in the main thread; and child fork
/// handlers (`os.register_at_fork(after_in_child=reseed)`), which run in
/// a child that has one thread. A function whose every call is made by a
/// coroutine, and that is never handed on (to `asyncio.to_thread`, an
/// executor, a thread), runs on the event loop's thread. Rules defer
/// their findings here and report them once the whole module has been
/// seen.
#[derive(Default)]
pub(crate) struct Callers {
    /// `name` or `Class.name` -> its calls in the module.
    counts: HashMap<String, CallCounts>,
    /// Functions passed as an argument (`asyncio.to_thread(f)`,
    /// `pool.submit(self.f)`, `Thread(target=f)`), by name or `Class.name`:
    /// they may run anywhere.
    handed_on: HashSet<String>,
    /// Names of functions installed as signal handlers, fork handlers of
    /// the child, gc callbacks or pool result callbacks.
    one_thread_handlers: HashSet<String>,
    /// `threading.Thread(target=f)` per target name: how many threads the
    /// module's code starts on it, a start inside a loop counting as many.
    thread_targets: HashMap<String, usize>,
    /// Callee name -> the one function whose body calls it, when exactly
    /// one call in the module names it (`None` once a second call does).
    sole_caller: HashMap<String, Option<String>>,
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
            innermost_loops: innermost.is_some_and(runs_a_loop),
            diagnostic,
        });
    }

    /// Reports the deferred findings, except those in a function that the
    /// module only calls with a thread lock held, installs as a one-thread
    /// handler, or runs as the loop of a thread it starts once.
    pub(crate) fn report(&mut self, out: &mut Vec<Diagnostic>) {
        for pending in std::mem::take(&mut self.pending) {
            let locked = pending.key.is_some_and(|function| {
                self.always_locked(&function) || self.runs_on_the_event_loop(&function)
            });
            let one_thread = pending.innermost.is_some_and(|function| {
                self.one_thread_handlers.contains(&function)
                    || (pending.innermost_loops && self.runs_on_its_own_thread(&function))
            });
            if !locked && !one_thread {
                out.push(pending.diagnostic);
            }
        }
    }

    /// `gc.hooks.on_gc_collect_step = hook`: PyPy's gc hooks, installed by
    /// assignment, run one collection at a time like `gc.callbacks`.
    pub(crate) fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt) {
        let Stmt::Assign(assign) = stmt else { return };
        let (Some(Expr::Attribute(target)), Expr::Name(hook)) =
            (assign.targets.first(), assign.value.as_ref())
        else {
            return;
        };
        if target.attr.as_str().starts_with("on_gc_")
            && cx.resolve(&target.value).as_deref() == Some("gc.hooks")
        {
            self.one_thread_handlers.insert(hook.id.to_string());
        }
    }

    pub(crate) fn on_expr(&mut self, cx: &PyContext<'_>, expr: &Expr) {
        let Expr::Call(call) = expr else { return };
        if let Some(handler) = installed_one_thread_handler(cx, call) {
            self.one_thread_handlers.insert(handler.to_string());
        }
        if let Some(target) = started_thread_target(cx, call) {
            let starts = if in_loop(cx, call.range()) { 2 } else { 1 };
            *self.thread_targets.entry(target.to_string()).or_default() += starts;
        }
        self.note_handed_on(cx, call);
        let key = match call.func.as_ref() {
            Expr::Name(name) => {
                let caller = cx
                    .functions()
                    .last()
                    .and_then(|frame| frame.def)
                    .map(|def| def.name.to_string());
                self.sole_caller
                    .entry(name.id.to_string())
                    .and_modify(|sole| *sole = None)
                    .or_insert(caller);
                name.id.to_string()
            }
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
            counts.locked += 1;
        } else {
            counts.unlocked += 1;
        }
        if cx.function().is_some_and(|frame| frame.is_async) {
            counts.from_coroutines += 1;
        }
    }

    /// Records the functions `call` passes on as arguments.
    fn note_handed_on(&mut self, cx: &PyContext<'_>, call: &ast::ExprCall) {
        let arguments = call
            .arguments
            .args
            .iter()
            .chain(call.arguments.keywords.iter().map(|keyword| &keyword.value));
        for argument in arguments {
            // A local is not a module-level function: skip the common case
            // without allocating.
            if let Expr::Name(name) = argument {
                if cx
                    .function()
                    .is_some_and(|frame| frame.binds_locally(name.id.as_str()))
                {
                    continue;
                }
            }
            if let Some(function) = function_key(cx, argument) {
                self.handed_on.insert(function);
            }
        }
    }

    /// True when the module starts one thread on `function`, or on the one
    /// function that calls it (`target=run_guarded`, which wraps `run()` in
    /// a `try` to log its death).
    fn runs_on_its_own_thread(&self, function: &str) -> bool {
        let started_once = |name: &str| self.thread_targets.get(name) == Some(&1);
        started_once(function)
            || self
                .sole_caller
                .get(function)
                .and_then(Option::as_deref)
                .is_some_and(started_once)
    }

    /// True when the module calls `function` and always with a lock held.
    fn always_locked(&self, function: &str) -> bool {
        self.counts
            .get(function)
            .is_some_and(|counts| counts.locked > 0 && counts.unlocked == 0)
    }

    /// True when the module calls `function` only from coroutines and
    /// never hands it on: it runs on the event loop's thread, whole
    /// between two `await`s of its caller.
    fn runs_on_the_event_loop(&self, function: &str) -> bool {
        !self.handed_on.contains(function)
            && self.counts.get(function).is_some_and(|counts| {
                counts.from_coroutines > 0
                    && counts.from_coroutines == counts.locked + counts.unlocked
            })
    }
}

/// The calls of one function in the module.
#[derive(Default)]
struct CallCounts {
    /// Made with a thread lock held.
    locked: usize,
    /// Made without.
    unlocked: usize,
    /// Made directly in the body of an `async def`.
    from_coroutines: usize,
}

/// `f` or `self.f` as an expression: the function's key in [`Callers`].
fn function_key(cx: &PyContext<'_>, expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(name) => Some(name.id.to_string()),
        Expr::Attribute(method) => match (method.value.as_ref(), cx.class()) {
            (Expr::Name(receiver), Some(class)) if receiver.id.as_str() == "self" => {
                Some(format!("{}.{}", class.name, method.attr))
            }
            _ => None,
        },
        _ => None,
    }
}

/// The function a call installs where only one thread runs it at a time:
/// the handler of `signal.signal(signum, handler)` (Python runs it in the
/// main thread), the `after_in_child` of `os.register_at_fork` (a child
/// just forked has one thread), a callback added to `gc.callbacks`
/// (collections never run two at once), or the `callback` /
/// `error_callback` of a `multiprocessing` pool's `apply_async`,
/// `map_async` or `starmap_async` (the pool's one result-handler thread
/// runs them in turn).
fn installed_one_thread_handler<'c>(
    cx: &PyContext<'_>,
    call: &'c ast::ExprCall,
) -> Option<&'c str> {
    // Resolving allocates: only for calls that can be one of these.
    let callee = last_name(&call.func)?;
    let handler = match callee {
        "apply_async" | "map_async" | "starmap_async" => {
            &call
                .arguments
                .find_keyword("callback")
                .or_else(|| call.arguments.find_keyword("error_callback"))?
                .value
        }
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

/// The function a `threading.Thread(target=f)` (or `target=self.f`) call
/// runs.
fn started_thread_target<'c>(cx: &PyContext<'_>, call: &'c ast::ExprCall) -> Option<&'c str> {
    if last_name(&call.func)? != "Thread"
        || cx.resolve(&call.func).as_deref() != Some("threading.Thread")
    {
        return None;
    }
    match &call.arguments.find_keyword("target")?.value {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Attribute(method) if matches!(method.value.as_ref(), Expr::Name(receiver) if receiver.id.as_str() == "self") => {
            Some(method.attr.as_str())
        }
        _ => None,
    }
}

/// True when `range` lies in the body of a `for` or `while` loop of the
/// function being walked: code that may run many times per call.
fn in_loop(cx: &PyContext<'_>, range: TextRange) -> bool {
    struct Loops {
        range: TextRange,
        found: bool,
    }
    impl<'v> ruff_python_ast::visitor::Visitor<'v> for Loops {
        fn visit_stmt(&mut self, stmt: &'v Stmt) {
            if self.found || !stmt.range().contains_range(self.range) {
                return;
            }
            match stmt {
                Stmt::For(_) | Stmt::While(_) => self.found = true,
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                other => ruff_python_ast::visitor::walk_stmt(self, other),
            }
        }
    }
    let Some(def) = cx.function().and_then(|frame| frame.def) else {
        return false;
    };
    let mut loops = Loops {
        range,
        found: false,
    };
    ruff_python_ast::visitor::Visitor::visit_body(&mut loops, &def.body);
    loops.found
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
