use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, CmpOp, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::api::{Diagnostic, RuleEntry};
use crate::declare_rule;
use crate::python::{FunctionFrame, PyContext, PythonRule};
use crate::sgl::{caller_holds_lock_by_convention, is_instance_construction, Callers};
use crate::shr::{container_sharing, is_container, is_rebuilt_first, is_thread_identity, Sharing};

declare_rule! {
    /// ## What it does
    /// Flags a check-then-insert on a shared container with no thread lock
    /// held, where the insert stores a fresh, empty container that is then
    /// filled: `if k not in d: d[k] = []`, `if d.get(k) is None: d[k] =
    /// set()`. Shared means a module global or a class-level attribute (in
    /// a module that runs on several threads), or `self.x` of a class that
    /// owns a `threading` lock.
    ///
    /// ## Why is this bad?
    /// Two threads can both find the key missing and both insert: the
    /// second overwrites the first's container, which may already hold
    /// what the first thread put in. That entry is silently lost: a
    /// waiter that is never woken, a listener that never fires.
    ///
    /// ## Example
    /// ```python
    /// _waiters_by_thread = {}
    ///
    /// def add_waiter(waiter, thread):
    ///     if thread not in _waiters_by_thread:
    ///         _waiters_by_thread[thread] = deque()
    ///     _waiters_by_thread[thread].append(waiter)
    /// ```
    ///
    /// ## Use instead
    /// Make the pair one atomic step with `setdefault`, or hold a lock
    /// around both:
    /// ```python
    /// def add_waiter(waiter, thread):
    ///     _waiters_by_thread.setdefault(thread, deque()).append(waiter)
    /// ```
    ///
    /// ## Known limitations
    /// The check and the write must name the same container and key
    /// textually. Only inserts of an empty container are reported: a value
    /// that arrives complete (`cache[k] = compute(k)`, `list(scan(k))`,
    /// `[handler]`, a comprehension) is memoised and races benignly.
    /// Removal after a membership check (`if k in d: del d[k]`,
    /// `d.pop(k)`, `s.remove(k)`) is not reported: keys are nearly always
    /// owned by one caller (a span, a session, a connection id), and a
    /// double removal raises instead of corrupting state. Length checks
    /// before an append (`if len(q) < limit: q.append(x)`) are soft caps
    /// that a race overshoots by one, and are not reported either. Module
    /// globals and class-level containers count only in modules that
    /// import thread APIs or a thread-pool server (elsewhere they are
    /// filled while routes, DTOs or documentation are set up, on one
    /// thread); instances of classes without a thread lock are assumed to
    /// be used by one thread (a class-level container used through `self`
    /// counts as the instance's own state, unless the module makes the
    /// class's one instance at import: `config = _Config()`), and so are instances of classes that define
    /// `async def` methods (an event loop drives them, whatever lock they
    /// also own). Code in constructors and set-up functions
    /// (`__init__`, `__post_init__`, `setup*`, `init*`, `configure*`,
    /// `register*`, ..., by the function's own name) runs once, while an
    /// object or the program is set up, and is not reported. Neither is an
    /// entry keyed by the running thread (`d[threading.get_ident()]`, or a
    /// local bound to it): each thread touches only its own. Nor is a
    /// table of hook functions (`if t not in hooks: hooks[t] = []` then
    /// `hooks[t].append(hook_func)`, a parameter named `func`, `fn`,
    /// `hook`, `*_func`, `*_hook`; also through a name bound to the entry,
    /// `hooks[t] = handlers = []`, and inside a tuple, `handlers.append((
    /// predicate, func))`): code registers hooks while it is set up. Nor
    /// is a container the function first rebinds to a new value in its own
    /// body (`self.items = {}`, then a loop that fills it): a rebuild, the
    /// work of set-up or refresh code, where two concurrent runs would race
    /// on the rebuild whatever the check did. Nor is a check and write in an
    /// `async def` with no `await` (or `async with` / `async for`) between
    /// them: one event loop runs them whole.
    /// Listeners and callbacks still count: event systems subscribe them at
    /// run time. Registries that build instances
    /// (`if k not in _reg: _reg[k] = Client()`) are SGL001's. A function
    /// or method that the module only calls with a thread lock held
    /// (`with self._lock: self._add(item)`), one wrapped in a locking
    /// decorator (`@synchronized`, `@lock`) and one named `*_locked` /
    /// `_unlocked*` is taken to run under the lock; callers in other
    /// modules are not seen. The same goes for a function the module calls
    /// only from coroutines and never hands on (it runs on the event loop),
    /// for signal, fork-child, gc and pool-result handlers, and for the
    /// loop of a thread the module starts once (`Thread(target=bootstrap)`
    /// outside any loop, or on the one function that calls it): one thread
    /// runs each of them.
    pub static CHECK_THEN_ACT_ON_SHARED_CONTAINER = {
        code: "SHR002",
        name: "check-then-act-on-shared-container",
        summary: "check-then-act on a shared container outside a lock",
        languages: [Python],
        severity: Error,
        tags: ["concurrency", "shared-state"],
        preview: true,
    };
}

pub const ENTRY: RuleEntry = RuleEntry {
    meta: &CHECK_THEN_ACT_ON_SHARED_CONTAINER,
    python: Some(|| Box::<CheckThenActOnSharedContainer>::default()),
    rust: None,
};

struct OpenCheck {
    container: String,
    /// The key text.
    key: String,
    sharing: Sharing,
    test: TextRange,
    body: TextRange,
    function: Option<TextSize>,
}

#[derive(Default)]
struct CheckThenActOnSharedContainer {
    open: Vec<OpenCheck>,
    /// Findings wait here until the module's calls are known: one in a
    /// function every caller locks is not reported.
    calls: Callers,
}

impl PythonRule for CheckThenActOnSharedContainer {
    fn uses_function_roles(&self) -> bool {
        true
    }

    fn on_module_exit(&mut self, cx: &PyContext<'_>, out: &mut Vec<Diagnostic>) {
        self.calls.report(cx, out);
    }

    fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt, _out: &mut Vec<Diagnostic>) {
        self.open.retain(|check| check.body.contains(stmt.start()));
        let function = cx.function().and_then(|frame| frame.def).map(Ranged::start);
        if function.is_none()
            || caller_holds_lock_by_convention(cx)
            || cx
                .function()
                .is_some_and(|frame| frame.name == "__init__" || frame.runs_once_at_setup())
        {
            return;
        }
        if let Stmt::If(if_stmt) = stmt {
            let (Some(first), Some(last)) = (if_stmt.body.first(), if_stmt.body.last()) else {
                return;
            };
            let body = TextRange::new(first.start(), last.end());
            let mut checks = Vec::new();
            collect_checks(cx, &if_stmt.test, &mut checks);
            for (container, key, sharing) in checks {
                self.open.push(OpenCheck {
                    container,
                    key,
                    sharing,
                    test: if_stmt.test.range(),
                    body,
                    function,
                });
            }
            return;
        }
        if self.open.is_empty() || cx.holds_thread_lock() {
            return;
        }
        for (container, key) in inserts(cx, stmt) {
            let Some(check) = self.open.iter().rev().find(|check| {
                check.function == function && check.container == container && check.key == key
            }) else {
                continue;
            };
            // A coroutine runs from the check to the write whole unless it
            // awaits in between: no other coroutine of its loop interleaves.
            let runs_whole = cx.function().is_some_and(|frame| frame.is_async)
                && !cx.awaits_within(TextRange::new(check.test.start(), stmt.end()));
            if runs_whole
                || collects_hook_functions(cx, &container, &key)
                || is_rebuilt_first(cx, stmt, &container)
            {
                return;
            }
            let whose = match check.sharing {
                Sharing::ModuleGlobal => "module global",
                Sharing::ClassAttribute => "class attribute",
                Sharing::LockedInstance => "lock-owning object's",
            };
            let diagnostic = Diagnostic::new(
                &CHECK_THEN_ACT_ON_SHARED_CONTAINER,
                stmt,
                format!("check-then-act on {whose} `{container}` without a lock: another thread can change it between the check and this write"),
            )
            .with_help("use `d.setdefault(k, v)` to insert atomically, or hold the lock around the check and the write")
            .with_related(check.test, "the check");
            self.calls.defer(cx, diagnostic);
            return;
        }
    }
}

/// The (container, key, sharing) "is it missing?" checks an `if` test
/// makes; `and` / `or` operands each count.
fn collect_checks(cx: &PyContext<'_>, test: &Expr, out: &mut Vec<(String, String, Sharing)>) {
    let mut push = |container: &Expr, key: &Expr| {
        if let Some(sharing) = container_sharing(cx, container) {
            out.push((
                cx.text(container).to_string(),
                cx.text(key).to_string(),
                sharing,
            ));
        }
    };
    match test {
        Expr::BoolOp(bool_op) => {
            for value in &bool_op.values {
                collect_checks(cx, value, out);
            }
        }
        Expr::UnaryOp(unary) if unary.op == ast::UnaryOp::Not => {
            if let Some((container, key)) = dict_get(&unary.operand) {
                push(container, key);
            }
        }
        Expr::Compare(compare) if compare.ops.len() == 1 => {
            let (left, right) = (compare.left.as_ref(), &compare.comparators[0]);
            match compare.ops[0] {
                CmpOp::NotIn => push(right, left),
                CmpOp::Is | CmpOp::Eq if right.is_none_literal_expr() => {
                    if let Some((container, key)) = dict_get(left) {
                        push(container, key);
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
}

/// `(d, k)` for `d.get(k)`.
fn dict_get(expr: &Expr) -> Option<(&Expr, &Expr)> {
    let Expr::Call(call) = expr else { return None };
    let Expr::Attribute(attribute) = call.func.as_ref() else {
        return None;
    };
    (attribute.attr.as_str() == "get" && call.arguments.len() == 1)
        .then(|| Some((attribute.value.as_ref(), call.arguments.args.first()?)))
        .flatten()
}

/// True when the inserted value is a fresh, empty container (`d[k] = []`,
/// `d[k] = defaultdict(list)`, then filled through `d[k]`): a racing
/// insert replaces it and loses what the other thread put in. A value that
/// arrives complete (`cache[k] = compute(k)`, `list(scan(k))`, `[handler]`,
/// a comprehension) comes out the same whichever thread stores it last: a
/// benign memoisation race.
fn inserts_identity(cx: &PyContext<'_>, value: &Expr) -> bool {
    if !is_container(cx, value) {
        return false;
    }
    match value {
        Expr::List(list) => list.elts.is_empty(),
        Expr::Set(set) => set.elts.is_empty(),
        Expr::Dict(dict) => dict.is_empty(),
        // `defaultdict(list)`: the argument is the factory, not content.
        Expr::Call(call)
            if cx
                .resolve(&call.func)
                .is_some_and(|name| name == "collections.defaultdict") =>
        {
            call.arguments.args.len() <= 1
        }
        Expr::Call(call) => call.arguments.args.is_empty(),
        _ => false,
    }
}

/// True when the function fills `container[key]` with a parameter that
/// carries a function (`cls._hooks_map[hook_type].append(hook_func)`): a
/// table of hooks, filled while the program is set up. The entry may be
/// filled through a name bound to it (`d[k] = handlers = []`, `handlers =
/// d[k]`) and the function may go in inside a tuple (`handlers.append((
/// predicate, func))`).
fn collects_hook_functions(cx: &PyContext<'_>, container: &str, key: &str) -> bool {
    struct Fills<'c, 'a> {
        cx: &'c PyContext<'a>,
        frame: &'c FunctionFrame<'a>,
        /// `container[key]` and the names bound to it.
        slots: Vec<String>,
        found: bool,
    }
    impl<'v> Visitor<'v> for Fills<'_, '_> {
        fn visit_stmt(&mut self, stmt: &'v Stmt) {
            if let Stmt::Assign(assign) = stmt {
                let slot = &self.slots[0];
                let binds_slot = self.cx.text(assign.value.as_ref()) == slot
                    || assign
                        .targets
                        .iter()
                        .any(|target| self.cx.text(target) == slot);
                if binds_slot {
                    for target in &assign.targets {
                        if let Expr::Name(alias) = target {
                            self.slots.push(alias.id.to_string());
                        }
                    }
                }
            }
            visitor::walk_stmt(self, stmt);
        }

        fn visit_expr(&mut self, expr: &'v Expr) {
            if let Expr::Call(call) = expr {
                if let Expr::Attribute(method) = call.func.as_ref() {
                    let adds = matches!(
                        method.attr.as_str(),
                        "append" | "appendleft" | "add" | "insert" | "extend"
                    );
                    let receiver = self.cx.text(method.value.as_ref());
                    if adds && self.slots.iter().any(|slot| slot == receiver) {
                        self.found |= call
                            .arguments
                            .args
                            .iter()
                            .any(|argument| self.frame.carries_hook_function(argument));
                    }
                }
            }
            visitor::walk_expr(self, expr);
        }
    }
    let Some(frame) = cx.function() else {
        return false;
    };
    let Some(def) = frame.def else { return false };
    let mut fills = Fills {
        cx,
        frame,
        slots: vec![format!("{container}[{key}]")],
        found: false,
    };
    fills.visit_body(&def.body);
    fills.found
}

/// The (container, key) inserts a statement makes: `d[k] = <fresh>`.
fn inserts(cx: &PyContext<'_>, stmt: &Stmt) -> Vec<(String, String)> {
    let mut found = Vec::new();
    if let Stmt::Assign(assign) = stmt {
        for target in &assign.targets {
            if let Expr::Subscript(subscript) = target {
                // A registry of new instances is SGL001's finding.
                let registry = matches!(subscript.value.as_ref(), Expr::Name(_))
                    && is_instance_construction(cx, &assign.value);
                // `d[threading.get_ident()] = []`: each thread's own entry.
                let per_thread = is_thread_identity(cx, &subscript.slice);
                if !registry && !per_thread && inserts_identity(cx, &assign.value) {
                    found.push((
                        cx.text(subscript.value.as_ref()).to_string(),
                        cx.text(subscript.slice.as_ref()).to_string(),
                    ));
                }
            }
        }
    }
    found
}
