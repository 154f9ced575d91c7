//! Where each function of a module runs, from the module's own calls:
//! always under a thread lock, only from coroutines, or on one thread at a
//! time (a signal handler, a child fork handler, a gc callback, a pool's
//! result callback, the loop of a thread the module starts once). Gathered
//! once during the walk; SGL001, SHR001 and SHR002 ask it at module end.

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::checker::PyContext;
use super::semantic::FunctionFrame;
use super::semantic::{last_name, self_attribute};

/// A module-level function (`class: None`) or a method, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FunctionKey<'a> {
    pub class: Option<&'a str>,
    pub name: &'a str,
}

/// The calls of one function in the module.
#[derive(Default)]
struct CallCounts {
    /// Made with a thread lock held.
    locked: usize,
    /// Made without.
    unlocked: usize,
    /// Made directly in the body of an `async def`, or as an argument of
    /// `loop.run_in_executor(..)`, which only the loop's thread may call.
    from_coroutines: usize,
    /// Made in the body of a decorator (see [`runs_when_decorating`]):
    /// when a function is decorated, at import.
    when_decorating: usize,
}

/// Calls of module-level functions (`helper()`) and of methods of the
/// class being walked (`self.helper()`), with whether a thread lock was
/// held at each: a function whose every call in the module holds a lock
/// runs under it (`with _lock: parser = _get_parser()`). A function whose
/// every call is made by a coroutine, and that is never handed on (to
/// `asyncio.to_thread`, an executor, a thread), runs on the event loop's
/// thread. Also the functions installed where one thread runs them at a
/// time, and the threads the module starts.
#[derive(Default)]
pub struct FunctionRoles<'a> {
    counts: HashMap<FunctionKey<'a>, CallCounts>,
    /// Functions passed as an argument (`asyncio.to_thread(f)`,
    /// `pool.submit(self.f)`, `Thread(target=f)`): they may run anywhere.
    handed_on: HashSet<FunctionKey<'a>>,
    /// Names of functions installed as signal handlers, fork handlers of
    /// the child, gc callbacks or pool result callbacks.
    one_thread_handlers: HashSet<&'a str>,
    /// `threading.Thread(target=f)` per target name: how many threads the
    /// module's code starts on it, a start inside a loop counting as many.
    thread_targets: HashMap<&'a str, usize>,
    /// Callee name -> the one function whose body calls it, when exactly
    /// one call in the module names it (`None` once a second call does).
    sole_caller: HashMap<&'a str, Option<&'a str>>,
    /// Start offsets of calls made as arguments of `run_in_executor(..)`
    /// (`loop.run_in_executor(_get_executor(), f)`): evaluated by its
    /// caller, on the loop's thread, even inside a lambda.
    loop_thread_calls: HashSet<u32>,
    /// The last function whose calls were counted, by start offset, and
    /// whether it is a decorator: read once per function, not per call.
    decorating: Option<(u32, bool)>,
}

impl<'a> FunctionRoles<'a> {
    pub(crate) fn on_call(&mut self, cx: &PyContext<'a>, call: &'a ast::ExprCall) {
        if let Some(handler) = installed_one_thread_handler(cx, call) {
            self.one_thread_handlers.insert(handler);
        }
        if let Some(target) = started_thread_target(cx, call) {
            let starts = if in_loop(cx, call.range()) { 2 } else { 1 };
            *self.thread_targets.entry(target).or_default() += starts;
        }
        self.note_handed_on(cx, call);
        if last_name(&call.func) == Some("run_in_executor") {
            self.loop_thread_calls.extend(
                call.arguments
                    .args
                    .iter()
                    .filter(|argument| argument.is_call_expr())
                    .map(|argument| argument.start().to_u32()),
            );
        }
        let Some(key) = function_key(cx, &call.func) else {
            return;
        };
        if key.class.is_none() {
            let caller = cx
                .functions()
                .last()
                .and_then(|frame| frame.def)
                .map(|def| def.name.as_str());
            self.sole_caller
                .entry(key.name)
                .and_modify(|sole| *sole = None)
                .or_insert(caller);
        }
        let counts = self.counts.entry(key).or_default();
        if cx.holds_thread_lock() {
            counts.locked += 1;
        } else {
            counts.unlocked += 1;
        }
        if cx.function().is_some_and(|frame| frame.is_async)
            || self.loop_thread_calls.contains(&call.start().to_u32())
        {
            counts.from_coroutines += 1;
        }
        if self.calls_from_a_decorator(cx) {
            if let Some(counts) = self.counts.get_mut(&key) {
                counts.when_decorating += 1;
            }
        }
    }

    /// True when the innermost function being walked is a decorator (see
    /// [`runs_when_decorating`]), judged once per function.
    fn calls_from_a_decorator(&mut self, cx: &PyContext<'a>) -> bool {
        let Some(frame) = cx.function() else {
            return false;
        };
        let Some(def) = frame.def else { return false };
        let start = def.start().to_u32();
        match self.decorating {
            Some((cached, decorating)) if cached == start => decorating,
            _ => {
                let decorating = runs_when_decorating(frame);
                self.decorating = Some((start, decorating));
                decorating
            }
        }
    }

    /// `gc.hooks.on_gc_collect_step = hook`: PyPy's gc hooks, installed by
    /// assignment, run one collection at a time like `gc.callbacks`.
    pub(crate) fn on_stmt(&mut self, cx: &PyContext<'a>, stmt: &'a Stmt) {
        let Stmt::Assign(assign) = stmt else { return };
        let (Some(Expr::Attribute(target)), Expr::Name(hook)) =
            (assign.targets.first(), assign.value.as_ref())
        else {
            return;
        };
        if target.attr.as_str().starts_with("on_gc_")
            && cx.resolve(&target.value).as_deref() == Some("gc.hooks")
        {
            self.one_thread_handlers.insert(hook.id.as_str());
        }
    }

    /// Records the functions `call` passes on as arguments.
    fn note_handed_on(&mut self, cx: &PyContext<'a>, call: &'a ast::ExprCall) {
        let arguments = call
            .arguments
            .args
            .iter()
            .chain(call.arguments.keywords.iter().map(|keyword| &keyword.value));
        for argument in arguments {
            // A local is not a module-level function.
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

    /// True when the module calls `function` and always with a lock held.
    pub fn always_locked(&self, function: &FunctionKey<'_>) -> bool {
        self.counts
            .get(function)
            .is_some_and(|counts| counts.locked > 0 && counts.unlocked == 0)
    }

    /// True when the module calls `function` only from coroutines and
    /// never hands it on: it runs on the event loop's thread, whole
    /// between two `await`s of its caller.
    pub fn runs_on_the_event_loop(&self, function: &FunctionKey<'_>) -> bool {
        !self.handed_on.contains(function)
            && self.counts.get(function).is_some_and(|counts| {
                counts.from_coroutines > 0
                    && counts.from_coroutines == counts.locked + counts.unlocked
            })
    }

    /// True when the module calls `function` only from the bodies of
    /// decorators (`def decorator(fn): executor = _get_executor(); ..
    /// return wrapper`): it runs while functions are decorated, at import,
    /// on one thread.
    pub fn runs_when_decorating(&self, function: &FunctionKey<'_>) -> bool {
        self.counts.get(function).is_some_and(|counts| {
            counts.when_decorating > 0 && counts.when_decorating == counts.locked + counts.unlocked
        })
    }

    /// True when the module installs the function named `name` where one
    /// thread runs it at a time (a signal, fork-child, gc or pool result
    /// handler).
    pub fn is_one_thread_handler(&self, name: &str) -> bool {
        self.one_thread_handlers.contains(name)
    }

    /// True when the module starts one thread on `function`, or on the one
    /// function that calls it (`target=run_guarded`, which wraps `run()` in
    /// a `try` to log its death).
    pub fn runs_on_its_own_thread(&self, function: &str) -> bool {
        let started_once = |name: &str| self.thread_targets.get(name) == Some(&1);
        started_once(function)
            || self
                .sole_caller
                .get(function)
                .copied()
                .flatten()
                .is_some_and(started_once)
    }
}

/// `f` or `self.f` as an expression: a module-level function or a method
/// of the class being walked.
fn function_key<'a>(cx: &PyContext<'a>, expr: &'a Expr) -> Option<FunctionKey<'a>> {
    match expr {
        Expr::Name(name) => Some(FunctionKey {
            class: None,
            name: name.id.as_str(),
        }),
        other => Some(FunctionKey {
            class: Some(cx.class()?.name.as_str()),
            name: self_attribute(other)?,
        }),
    }
}

/// A function of one parameter that hands back that parameter (`def
/// register(view_func): ..; return view_func`) or a function it defines
/// (`@wraps(fn) def wrapper(..): ..; return wrapper`): the shape of a
/// decorator. Its own body runs when the decorated function is defined,
/// at import, not per call.
pub(crate) fn runs_when_decorating(frame: &FunctionFrame<'_>) -> bool {
    struct Returns<'n> {
        handed_back: Vec<&'n str>,
        hands_back: bool,
        other: bool,
    }
    impl<'v> ruff_python_ast::visitor::Visitor<'v> for Returns<'_> {
        fn visit_stmt(&mut self, stmt: &'v Stmt) {
            match stmt {
                Stmt::Return(ast::StmtReturn { value, .. }) => match value.as_deref() {
                    Some(Expr::Name(name)) if self.handed_back.contains(&name.id.as_str()) => {
                        self.hands_back = true;
                    }
                    _ => self.other = true,
                },
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                other => ruff_python_ast::visitor::walk_stmt(self, other),
            }
        }
    }
    let Some(def) = frame.def else { return false };
    let parameters = &def.parameters;
    let [parameter] = &*parameters.args else {
        return false;
    };
    if !parameters.posonlyargs.is_empty() || !parameters.kwonlyargs.is_empty() {
        return false;
    }
    let defined = def.body.iter().filter_map(|stmt| match stmt {
        Stmt::FunctionDef(inner) => Some(inner.name.as_str()),
        _ => None,
    });
    let mut returns = Returns {
        handed_back: std::iter::once(parameter.parameter.name.as_str())
            .chain(defined)
            .collect(),
        hands_back: false,
        other: false,
    };
    for stmt in &def.body {
        ruff_python_ast::visitor::Visitor::visit_stmt(&mut returns, stmt);
    }
    returns.hands_back && !returns.other
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
        other => self_attribute(other),
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
