//! The Python check-then-act shape of a lazy singleton, `if _x is None:
//! _x = X()` and its class and registry variants, recognised once for
//! SGL001 and SGL002 (which differ only in the locks held at the store).

use ruff_python_ast::{self as ast, CmpOp, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::api::glob_match;
use crate::python::{last_name, LockKind, PyContext};
use crate::sgl::caller_holds_lock_by_convention;

/// A store that completes a lazy initialisation: the assignment inside
/// `if <target is unset>:` that sets the target.
pub(crate) struct LazyStore<'s> {
    /// What is initialised, as written: `_client`, `cls._instance`.
    pub(crate) target: String,
    /// The assignment statement (the primary location of SGL001/SGL002).
    pub(crate) stmt: &'s Stmt,
    /// The `if` test that found the target unset.
    pub(crate) check: TextRange,
    /// The stored value.
    pub(crate) value: &'s Expr,
}

/// An `if <target is unset>:` whose body is being walked.
struct OpenCheck {
    target: String,
    body: TextRange,
    test: TextRange,
    /// Start of the function the check is in: a store in a nested function
    /// does not complete it.
    function: Option<TextSize>,
}

/// Follows `if` statements that test a singleton slot for "unset" and
/// recognises the store in their body. Fed every statement in walk order.
#[derive(Default)]
pub(crate) struct LazyInitTracker {
    open: Vec<OpenCheck>,
}

impl LazyInitTracker {
    pub(crate) fn on_stmt<'s>(
        &mut self,
        cx: &PyContext<'_>,
        stmt: &'s Stmt,
    ) -> Option<LazyStore<'s>> {
        let start = stmt.start();
        // A check's region may start after the statements that follow it
        // (the early-return form): keep it until its region has ended.
        self.open.retain(|check| start < check.body.end());
        let function = cx.function().and_then(|frame| frame.def).map(Ranged::start);
        if function.is_none() || caller_holds_lock_by_convention(cx) || is_cached_factory(cx) {
            return None;
        }
        if let Stmt::If(if_stmt) = stmt {
            if let (Some(target), Some(first), Some(last)) = (
                unset_target(cx, &if_stmt.test),
                if_stmt.body.first(),
                if_stmt.body.last(),
            ) {
                self.open.push(OpenCheck {
                    target,
                    body: TextRange::new(first.start(), last.end()),
                    test: if_stmt.test.range(),
                    function,
                });
            } else if let Some((target, rest)) = early_return_check(cx, if_stmt) {
                self.open.push(OpenCheck {
                    target,
                    body: rest,
                    test: if_stmt.test.range(),
                    function,
                });
            }
            return None;
        }
        if self.open.is_empty() {
            return None;
        }
        let (target, value) = stored_target(cx, stmt)?;
        if !is_instance_construction(cx, value) || class_built_at_import(cx, &target) {
            return None;
        }
        let check = self.open.iter().rev().find(|check| {
            check.target == target && check.function == function && check.body.contains(start)
        })?;
        Some(LazyStore {
            target,
            stmt,
            check: check.test,
            value,
        })
    }
}

/// A class slot (`cls._instance`) of a class that the module instantiates
/// at import (`noValue = NoValue()`): the slot is filled under the import
/// lock before any thread can race on it.
fn class_built_at_import(cx: &PyContext<'_>, target: &str) -> bool {
    target.contains('.')
        && cx
            .class()
            .is_some_and(|class| cx.is_instantiated_at_import(class.name.as_str()))
}

/// The early-return form, `if _x is not None: return _x` with the store
/// after it: the slot and the rest of the function (where the slot is
/// known to be unset).
fn early_return_check(cx: &PyContext<'_>, if_stmt: &ast::StmtIf) -> Option<(String, TextRange)> {
    if !if_stmt.elif_else_clauses.is_empty()
        || !matches!(if_stmt.body.last(), Some(Stmt::Return(_)))
    {
        return None;
    }
    let target = set_target(cx, &if_stmt.test)?;
    let function_end = cx.function()?.def?.end();
    (if_stmt.end() < function_end).then(|| (target, TextRange::new(if_stmt.end(), function_end)))
}

/// The slot an `if` test finds set: `_x is not None`, `_x`,
/// `hasattr(cls, "_inst")`, `getattr(cls, "_inst", None) is not None`.
fn set_target(cx: &PyContext<'_>, test: &Expr) -> Option<String> {
    match test {
        Expr::Compare(compare)
            if compare.ops.len() == 1
                && matches!(compare.ops[0], CmpOp::IsNot | CmpOp::NotEq)
                && compare.comparators[0].is_none_literal_expr() =>
        {
            hasattr_target(cx, &compare.left, "getattr").or_else(|| slot_key(cx, &compare.left))
        }
        Expr::Call(_) => hasattr_target(cx, test, "hasattr"),
        Expr::Name(_) | Expr::Attribute(_) => slot_key(cx, test),
        _ => None,
    }
}

/// The slot an `if` test finds unset: `_x is None`, `not _x`, `_x is None
/// or stale(_x)`, `getattr(cls, "_inst", None) is None`, `not hasattr(cls,
/// "_inst")`, `"k" not in _registry`.
fn unset_target(cx: &PyContext<'_>, test: &Expr) -> Option<String> {
    match test {
        Expr::BoolOp(bool_op) => bool_op
            .values
            .iter()
            .find_map(|value| unset_target(cx, value)),
        Expr::UnaryOp(unary) if unary.op == ast::UnaryOp::Not => {
            if let Some(target) = hasattr_target(cx, &unary.operand, "hasattr") {
                return Some(target);
            }
            slot_key(cx, &unary.operand)
        }
        Expr::Compare(compare) if compare.ops.len() == 1 => {
            let right = &compare.comparators[0];
            match compare.ops[0] {
                CmpOp::Is | CmpOp::Eq if right.is_none_literal_expr() => {
                    hasattr_target(cx, &compare.left, "getattr")
                        .or_else(|| slot_key(cx, &compare.left))
                }
                CmpOp::NotIn => registry_key(cx, right, &compare.left),
                _ => None,
            }
        }
        _ => None,
    }
}

/// `cls._inst` for `hasattr(cls, "_inst")` / `getattr(cls, "_inst", None)`.
fn hasattr_target(cx: &PyContext<'_>, expr: &Expr, builtin: &str) -> Option<String> {
    let Expr::Call(call) = expr else { return None };
    if cx.resolve(&call.func)? != format!("builtins.{builtin}") {
        return None;
    }
    let (owner, Some(Expr::StringLiteral(attr))) =
        (call.arguments.args.first()?, call.arguments.args.get(1))
    else {
        return None;
    };
    is_class_owner(cx, owner).then(|| format!("{}.{}", cx.text(owner), attr.value.to_str()))
}

/// The key of a singleton slot: a name declared `global` in this function,
/// or an attribute of the class (`cls._instance` in a classmethod or
/// `__new__`, `Config._instance` inside class `Config`).
fn slot_key(cx: &PyContext<'_>, expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(name) => cx
            .function()
            .is_some_and(|frame| frame.declares_global(name.id.as_str()))
            .then(|| name.id.to_string()),
        Expr::Attribute(attribute) if is_class_owner(cx, &attribute.value) => {
            Some(cx.text(expr).to_string())
        }
        _ => None,
    }
}

/// `_registry[k]` for `k not in _registry` on a module-level registry.
fn registry_key(cx: &PyContext<'_>, registry: &Expr, key: &Expr) -> Option<String> {
    let Expr::Name(name) = registry else {
        return None;
    };
    cx.refers_to_module_global(name.id.as_str())
        .then(|| format!("{}[{}]", name.id, cx.text(key)))
}

/// True for the class object inside its own methods: `cls` (first
/// parameter of a classmethod or `__new__`) or the enclosing class's name.
fn is_class_owner(cx: &PyContext<'_>, owner: &Expr) -> bool {
    let Expr::Name(owner) = owner else {
        return false;
    };
    let Some(frame) = cx.function() else {
        return false;
    };
    let owner = owner.id.as_str();
    let decorated = |name: &str| {
        frame
            .decorators()
            .iter()
            .any(|decorator| cx.resolve(&decorator.expression).as_deref() == Some(name))
    };
    let class_level = frame.name == "__new__" || decorated("builtins.classmethod");
    if class_level && frame.first_parameter() == Some(owner) {
        return true;
    }
    // `Config._instance` from a classmethod, staticmethod or `__new__`: an
    // accessor of the class itself, not per-instance setup in `__init__`.
    (class_level || decorated("builtins.staticmethod"))
        && cx.class().is_some_and(|class| class.name.as_str() == owner)
}

/// The slot a statement stores into and the value stored: `_x = X()`,
/// `cls._inst = super().__new__(cls)`, `_registry[k] = X()`,
/// `setattr(cls, "_inst", X())`.
fn stored_target<'s>(cx: &PyContext<'_>, stmt: &'s Stmt) -> Option<(String, &'s Expr)> {
    match stmt {
        Stmt::Assign(assign) => assign
            .targets
            .iter()
            .find_map(|target| store_key(cx, target))
            .map(|key| (key, assign.value.as_ref())),
        Stmt::AnnAssign(ast::StmtAnnAssign {
            target,
            value: Some(value),
            ..
        }) => store_key(cx, target).map(|key| (key, value.as_ref())),
        Stmt::Expr(ast::StmtExpr { value, .. }) => {
            let Expr::Call(call) = value.as_ref() else {
                return None;
            };
            let [owner, Expr::StringLiteral(attr), stored] = &*call.arguments.args else {
                return None;
            };
            (cx.resolve(&call.func)? == "builtins.setattr" && is_class_owner(cx, owner)).then(
                || {
                    (
                        format!("{}.{}", cx.text(owner), attr.value.to_str()),
                        stored,
                    )
                },
            )
        }
        _ => None,
    }
}

fn store_key(cx: &PyContext<'_>, target: &Expr) -> Option<String> {
    match target {
        Expr::Subscript(subscript) => registry_key(cx, &subscript.value, &subscript.slice),
        other => slot_key(cx, other),
    }
}

/// True when `value` (possibly awaited) is built by an `asyncio`, `anyio`
/// or `trio` API (`asyncio.Lock()`, `anyio.CapacityLimiter(..)`), or is an
/// instance of a class of this module whose locks are all async ones
/// (`_RegionContext()`, which holds an `asyncio.Semaphore`): such an
/// object belongs to one event loop, so only that loop's thread ever uses
/// it.
pub(crate) fn is_event_loop_object(cx: &PyContext<'_>, value: &Expr) -> bool {
    let Expr::Call(call) = value else {
        return false;
    };
    if let Expr::Name(class) = call.func.as_ref() {
        let mut kinds = cx.class_locks(class.id.as_str()).map(|(_, kind)| kind);
        let first = kinds.next();
        if first == Some(LockKind::Async) && kinds.all(|kind| kind == LockKind::Async) {
            return true;
        }
    }
    cx.resolve(&call.func).is_some_and(|name| {
        ["asyncio.", "anyio.", "trio."]
            .iter()
            .any(|library| name.starts_with(library))
    })
}

/// Endings of the type names of concurrency primitives other than locks:
/// executors (`ThreadPoolExecutor`, `ProcessPoolExecutor`), pools
/// (`ThreadPool`, `ConnectionPool`) and threads (`Thread`,
/// `EventLoopThread`).
const PRIMITIVE_TYPE_ENDINGS: &[&str] = &["Executor", "Pool", "Thread"];

/// Thread queues and `multiprocessing` objects by their full name.
const PRIMITIVE_APIS: &[&str] = &[
    "queue.Queue",
    "queue.LifoQueue",
    "queue.PriorityQueue",
    "queue.SimpleQueue",
    "multiprocessing.Manager",
    "multiprocessing.Queue",
];

/// True when `value` builds a concurrency primitive other than a lock (an
/// executor, a thread or process pool, a connection pool, a thread, a
/// thread queue, a `multiprocessing` manager) or an instance of a type the
/// configuration names as shared (`shared-types`). Whoever asks for a
/// primitive shares it with other threads by design, and a second copy is
/// a bug whatever the callers: work split over two pools, threads that are
/// never joined, a queue nobody reads.
///
/// The type is the callee's last name (`ThreadPoolExecutor(..)`,
/// `redis.ConnectionPool(..)`), the word after a factory prefix
/// (`create_pool(..)`), or, for `cls()` and `super().__new__(cls)`, the
/// class being walked and its bases (`class Downloads(ThreadPool)`).
pub(crate) fn builds_shared_object(cx: &PyContext<'_>, value: &Expr) -> bool {
    let Some(call) = constructor_call(value) else {
        return false;
    };
    if cx
        .resolve(&call.func)
        .is_some_and(|name| PRIMITIVE_APIS.contains(&name.as_str()))
    {
        return true;
    }
    // `context.Manager()` of a `multiprocessing` context.
    if matches!(call.func.as_ref(), Expr::Attribute(attribute) if attribute.attr.as_str() == "Manager")
    {
        return true;
    }
    let Some(callee) = last_name(&call.func) else {
        return false;
    };
    let shared_types = &cx.settings().shared_types;
    let is_shared = |type_name: &str| {
        PRIMITIVE_TYPE_ENDINGS
            .iter()
            .any(|ending| type_name.ends_with(ending))
            || shared_types
                .iter()
                .any(|pattern| glob_match(pattern, type_name))
    };
    if callee == "cls" || callee == "__new__" {
        return cx.class().is_some_and(|class| {
            is_shared(class.name.as_str())
                || class
                    .bases()
                    .iter()
                    .any(|base| last_name(base).is_some_and(is_shared))
        });
    }
    // `create_pool(..)`, `make_executor(..)`: what the factory makes.
    let made = FACTORY_PREFIXES
        .iter()
        .find_map(|prefix| callee.strip_prefix(prefix))
        .filter(|made| !made.is_empty());
    match made {
        Some(made) => PRIMITIVE_TYPE_ENDINGS
            .iter()
            .any(|ending| made.eq_ignore_ascii_case(ending)),
        None => is_shared(callee),
    }
}

/// True when `value` instantiates a class of this module that keeps no
/// state: no base class, no `__init__`, `__new__` or `__post_init__`, no
/// annotated fields and no `self.x = ..` in any method
/// (`class _RsLexExecutor:` with only methods). Two racing threads then
/// build two instances nobody can tell apart, whatever the class's name.
pub(crate) fn builds_stateless_local_class(cx: &PyContext<'_>, value: &Expr) -> bool {
    let Some(Expr::Name(callee)) = constructor_call(value).map(|call| call.func.as_ref()) else {
        return false;
    };
    let Some(class) = cx.module_body().iter().find_map(|stmt| match stmt {
        Stmt::ClassDef(class) if class.name.as_str() == callee.id.as_str() => Some(class),
        _ => None,
    }) else {
        return false;
    };
    class.bases().is_empty()
        && class.decorator_list.is_empty()
        && class.body.iter().all(|member| match member {
            Stmt::AnnAssign(_) => false,
            Stmt::FunctionDef(def) => {
                !matches!(def.name.as_str(), "__init__" | "__new__" | "__post_init__")
                    && !stores_on_self(&def.body)
            }
            _ => true,
        })
}

/// True when a method body assigns to an attribute of `self`.
fn stores_on_self(body: &[Stmt]) -> bool {
    struct SelfStores {
        found: bool,
    }
    impl<'v> ruff_python_ast::visitor::Visitor<'v> for SelfStores {
        fn visit_expr(&mut self, expr: &'v Expr) {
            if let Expr::Attribute(attribute) = expr {
                if attribute.ctx.is_store()
                    && matches!(attribute.value.as_ref(), Expr::Name(name) if name.id.as_str() == "self")
                {
                    self.found = true;
                }
            }
            ruff_python_ast::visitor::walk_expr(self, expr);
        }
    }
    let mut stores = SelfStores { found: false };
    ruff_python_ast::visitor::Visitor::visit_body(&mut stores, body);
    stores.found
}

/// The call that produces `value`: `Client(..)` or `await Client.create(..)`.
fn constructor_call(value: &Expr) -> Option<&ast::ExprCall> {
    match value {
        Expr::Call(call) => Some(call),
        Expr::Await(await_expr) => match await_expr.value.as_ref() {
            Expr::Call(call) => Some(call),
            _ => None,
        },
        _ => None,
    }
}

/// True when `value` (possibly awaited) creates an object with its own
/// identity and state: a class instantiation (`Client(..)`, `cls()`,
/// `pkg.Pool(..)`, `super().__new__(cls)`) or a factory (`create_engine`).
/// Two racing threads then hold two different "singletons". Lazily computed
/// values (`re.compile(..)`, `os.path.expanduser(..)`, `getLogger(..)`) come
/// out equal however often they are computed: a benign race, not flagged.
pub(crate) fn is_instance_construction(cx: &PyContext<'_>, value: &Expr) -> bool {
    let Some(call) = constructor_call(value) else {
        return false;
    };
    let last = match call.func.as_ref() {
        Expr::Name(name) => name.id.as_str(),
        // `Redis.from_url(..)`: an alternative constructor of a class.
        Expr::Attribute(attribute)
            if attribute.attr.starts_with("from_") && is_capitalized_name(&attribute.value) =>
        {
            return true;
        }
        Expr::Attribute(attribute) => attribute.attr.as_str(),
        _ => return false,
    };
    let bare = last.trim_start_matches('_');
    let is_class = bare.starts_with(|c: char| c.is_ascii_uppercase())
        && !cx
            .resolve(&call.func)
            .is_some_and(|name| name.starts_with("builtins."));
    let is_factory = FACTORY_PREFIXES
        .iter()
        .any(|prefix| bare.starts_with(prefix));
    is_class || is_factory || last == "cls" || last == "__new__"
}

fn is_capitalized_name(expr: &Expr) -> bool {
    last_name(expr).is_some_and(|last| {
        last.trim_start_matches('_')
            .starts_with(|c: char| c.is_ascii_uppercase())
    })
}

/// Factory functions that return a new stateful object: `create_engine`,
/// `new_event_loop`, `make_client`, `connect(..)`.
const FACTORY_PREFIXES: &[&str] = &["create_", "new_", "make_", "build_", "connect", "open_"];

/// `@functools.cache` / `@lru_cache` factories run their body once per
/// key under the cache's own bookkeeping: not what SGL is about.
fn is_cached_factory(cx: &PyContext<'_>) -> bool {
    cx.functions().iter().any(|frame| {
        frame.decorators().iter().any(|decorator| {
            let expr = match &decorator.expression {
                Expr::Call(call) => call.func.as_ref(),
                other => other,
            };
            matches!(
                cx.resolve(expr).as_deref(),
                Some("functools.cache" | "functools.lru_cache" | "functools.cached_property")
            )
        })
    })
}

/// True when the function making `store` hands the instance out: it
/// returns the slot (`return _client`, `return cls._instance`, `return
/// _clients[region]`). Such an accessor is called wherever the instance is
/// used, by any thread. A procedure that only installs it (`enable()`,
/// `initialize_reactor()`, `setup_profiler()`) is lifecycle code, run once
/// at start-up.
pub(crate) fn returns_the_slot(cx: &PyContext<'_>, store: &LazyStore<'_>) -> bool {
    struct Returns<'c, 'a> {
        cx: &'c PyContext<'a>,
        target: &'c str,
        found: bool,
    }
    impl<'v> ruff_python_ast::visitor::Visitor<'v> for Returns<'_, '_> {
        fn visit_stmt(&mut self, stmt: &'v Stmt) {
            match stmt {
                Stmt::Return(ast::StmtReturn {
                    value: Some(value), ..
                }) => {
                    if store_key(self.cx, value).as_deref() == Some(self.target) {
                        self.found = true;
                    }
                }
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                other => ruff_python_ast::visitor::walk_stmt(self, other),
            }
        }
    }
    let Some(def) = cx.function().and_then(|frame| frame.def) else {
        return false;
    };
    let mut returns = Returns {
        cx,
        target: &store.target,
        found: false,
    };
    for stmt in &def.body {
        ruff_python_ast::visitor::Visitor::visit_stmt(&mut returns, stmt);
    }
    returns.found
}

/// True for a registry entry built from its own key (`_translations[lang] =
/// Translation(lang)`, `_adapters[tp] = TypeAdapter(tp)`): a memoised
/// value of the key, equal whichever racing thread builds it.
pub(crate) fn memoises_its_key(cx: &PyContext<'_>, store: &LazyStore<'_>) -> bool {
    let Stmt::Assign(assign) = store.stmt else {
        return false;
    };
    let Some(Expr::Subscript(subscript)) = assign.targets.first() else {
        return false;
    };
    let call = match store.value {
        Expr::Call(call) => call,
        Expr::Await(await_expr) => match await_expr.value.as_ref() {
            Expr::Call(call) => call,
            _ => return false,
        },
        _ => return false,
    };
    let key = cx.text(subscript.slice.as_ref());
    if call.arguments.args.iter().any(|arg| cx.text(arg) == key) {
        return true;
    }
    // `key = (cafile, level)` then `_cache[key] = make(cafile=cafile,
    // level=level)`: built from nothing but the key's parts.
    let Some(parts) = key_parts(cx, subscript.slice.as_ref()) else {
        return false;
    };
    let mut arguments = call
        .arguments
        .args
        .iter()
        .chain(call.arguments.keywords.iter().map(|keyword| &keyword.value))
        .peekable();
    arguments.peek().is_some()
        && arguments.all(|argument| parts.iter().any(|part| *part == cx.text(argument)))
}

/// The parts of a tuple key, as written: `(a, b)` itself, or a local
/// bound to one (`key = (a, b)`, `key: Final = (a, b)`).
fn key_parts<'a>(cx: &PyContext<'a>, key: &Expr) -> Option<Vec<&'a str>> {
    let tuple = match key {
        Expr::Tuple(tuple) => tuple,
        Expr::Name(name) => match cx.value_of(name.id.as_str())? {
            Expr::Tuple(tuple) => tuple,
            _ => return None,
        },
        _ => return None,
    };
    Some(tuple.elts.iter().map(|part| cx.text(part)).collect())
}

/// Type-name endings of value objects: records of settings or data
/// (`DriverConfiguration`, `EndpointsResponse`) and stateless strategies
/// (`TraceContextPropagator`, `JSONEncoder`), and loggers (`Logger("grabber")`:
/// a second one writes the same lines). Two racing threads build two
/// equal, immutable-in-practice objects and one is dropped: nothing is lost.
const VALUE_TYPE_SUFFIXES: &[&str] = &[
    "Config",
    "Configuration",
    "Settings",
    "Options",
    "Info",
    "Metadata",
    "Response",
    "Propagator",
    "Formatter",
    "Encoder",
    "Decoder",
    "Serializer",
    "Logger",
];

/// True when `store` builds a value object (see [`VALUE_TYPE_SUFFIXES`]):
/// `DriverConfiguration(..)`, or `cls()` / `super().__new__(cls)` in a
/// class named so.
pub(crate) fn builds_value_object(cx: &PyContext<'_>, store: &LazyStore<'_>) -> bool {
    let Some(call) = constructor_call(store.value) else {
        return false;
    };
    let type_name = match call.func.as_ref() {
        Expr::Name(name) if name.id.as_str() != "cls" => name.id.as_str(),
        Expr::Attribute(attribute) if attribute.attr.as_str() != "__new__" => {
            attribute.attr.as_str()
        }
        // `cls()`, `super().__new__(cls)`: the enclosing class.
        _ => match cx.class() {
            Some(class) => class.name.as_str(),
            None => return false,
        },
    };
    VALUE_TYPE_SUFFIXES
        .iter()
        .any(|suffix| type_name.ends_with(suffix))
}

/// True when an `await` (or `async with` / `async for`) lies between the
/// check and the end of the store: only then can another coroutine on the
/// same event loop run in the gap.
pub(crate) fn awaits_between_check_and_store(cx: &PyContext<'_>, store: &LazyStore<'_>) -> bool {
    cx.awaits_within(TextRange::new(store.check.start(), store.stmt.end()))
}
