//! UNB002 for Python. One pass records, per file: container definitions
//! (module globals, class attributes, `self.x = ...` in `__init__`), growth
//! sites, and every use that may shrink the container (a removal method,
//! `del`, reassignment, or the container escaping to other code). The
//! decision is made at the end of the module, when all uses are known.

use std::collections::{HashMap, HashSet};

use ruff_python_ast::{self as ast, Expr, ExprContext, Operator, Stmt};

use crate::api::{Diagnostic, Span};
use crate::python::{PyContext, PythonRule};
use crate::unb::grow_only_collection::{report, ContainerKind};
use crate::unb::test_code::TestCode;

/// Methods that add to a list, set or deque.
const GROWTH_METHODS: &[&str] = &[
    "append",
    "appendleft",
    "extend",
    "extendleft",
    "add",
    "insert",
    "update",
];

/// Methods that remove from a container.
const SHRINK_METHODS: &[&str] = &[
    "pop",
    "popleft",
    "popitem",
    "remove",
    "discard",
    "clear",
    "difference_update",
    "intersection_update",
    "symmetric_difference_update",
    "__delitem__",
];

/// Builtins (and `copy`) that only read the container passed to them.
const READING_FUNCTIONS: &[&str] = &[
    "builtins.len",
    "builtins.list",
    "builtins.tuple",
    "builtins.set",
    "builtins.frozenset",
    "builtins.sorted",
    "builtins.iter",
    "builtins.any",
    "builtins.all",
    "builtins.min",
    "builtins.max",
    "builtins.sum",
    "builtins.enumerate",
    "builtins.reversed",
    "builtins.bool",
    "builtins.repr",
    "builtins.str",
    "builtins.print",
    "builtins.zip",
    "builtins.map",
    "builtins.filter",
    "builtins.dict",
    "builtins.isinstance",
    "copy.copy",
    "copy.deepcopy",
];

/// Objects whose presence in a class says its instances live long: they
/// coordinate threads or tasks.
const LONG_LIVED_MEMBERS: &[&str] = &[
    "threading.Lock",
    "threading.RLock",
    "threading.Condition",
    "threading.Semaphore",
    "threading.BoundedSemaphore",
    "threading.Thread",
    "threading.Timer",
    "_thread.allocate_lock",
    "queue.Queue",
    "queue.LifoQueue",
    "queue.PriorityQueue",
    "queue.SimpleQueue",
    "asyncio.Queue",
    "asyncio.Lock",
    "asyncio.Condition",
    "asyncio.Semaphore",
    "asyncio.get_event_loop",
    "asyncio.new_event_loop",
    "asyncio.get_running_loop",
    "concurrent.futures.ThreadPoolExecutor",
    "concurrent.futures.ProcessPoolExecutor",
    "multiprocessing.Lock",
    "multiprocessing.RLock",
    "multiprocessing.Queue",
    "multiprocessing.Pool",
    "multiprocessing.pool.ThreadPool",
];

/// How a container is named where it is used: a module global by its
/// name, an attribute by its attribute name (whatever object it is read
/// through: shrinking through any object counts).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Name {
    Global(String),
    Attr(String),
}

struct Reference {
    name: Name,
    /// The class of `self.x` / `cls.x` / `Class.x`; `None` for globals and
    /// attributes of other objects.
    owner: Option<String>,
    span: Span,
}

/// What a container holds, which decides what growth counts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// list, deque: every append counts (unless used like a set).
    Sequence,
    /// set: bounded by its value domain, so only id-like values count.
    Set,
    /// dict: bounded by its key domain, so only id-like keys count.
    /// `autovivify` for a `defaultdict`, where reading a key inserts it.
    Map { autovivify: bool },
}

struct Definition {
    name: Name,
    owner: Option<String>,
    /// `self.x = ...` in `__init__`: long-lived only if its class is.
    instance: bool,
    shape: Shape,
    span: Span,
    display: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum GrowthKind {
    /// `append`, `add`, `extend`, `+=`, ...: grows lists, sets, deques.
    /// `id_like` when the added value is an id; `record` when it is a
    /// record built on the spot (a tuple, dict, f-string): per-call data,
    /// unlike the existing objects a registry collects.
    Collection { id_like: bool, record: bool },
    /// `d[key] = v`, `d.setdefault(key, ..)`: grows maps when id-like.
    MapInsert { id_like: bool },
    /// `d[key]` read: grows a `defaultdict` when id-like.
    MapRead { id_like: bool },
}

struct Growth {
    name: Name,
    owner: Option<String>,
    span: Span,
    kind: GrowthKind,
    /// Inside a function (not at import time).
    runtime: bool,
    /// Inside `__init__`: once per instance.
    in_constructor: bool,
    /// The innermost function, to discount functions run at import time.
    function: Option<String>,
}

#[derive(Default)]
pub(crate) struct GrowOnlyCollection {
    definitions: Vec<Definition>,
    growth: Vec<Growth>,
    /// Containers with a removal, a reassignment or an escape somewhere.
    maybe_shrunk: HashSet<Name>,
    /// Containers whose size the code looks at (`len(x) < n`, `if not x:`):
    /// growth is likely limited or one-time, so they are not reported.
    size_checked: HashSet<Name>,
    /// Lists tested with `in` / `not in`: used as a set, bounded by the
    /// domain of their values.
    membership_tested: HashSet<Name>,
    /// Uses already accounted for by their parent node (pre-order).
    classified: HashSet<Span>,
    /// Classes defined in the module, to read `Class.x` as an attribute of it.
    classes: HashSet<String>,
    /// Classes with evidence of a long life (a module-level instance, a
    /// singleton attribute, a lock/queue/thread/executor/loop member).
    long_lived_classes: HashMap<String, &'static str>,
    /// Containers defined or grown in test code are not counted.
    tests: TestCode,
    /// `if __name__ == "__main__":` blocks: an instance created there is a
    /// demo or a script entry, not evidence of a long-lived class.
    main_blocks: Vec<Span>,
    /// Functions called at module level: their growth happens at import.
    called_at_import: HashSet<String>,
}

impl PythonRule for GrowOnlyCollection {
    fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt, _out: &mut Vec<Diagnostic>) {
        self.tests.note_python_stmt(cx, stmt);
        match stmt {
            Stmt::ClassDef(class) => {
                self.classes.insert(class.name.to_string());
            }
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    self.note_class_evidence(cx, stmt, target, &assign.value);
                }
                if let [target] = assign.targets.as_slice() {
                    self.define(cx, stmt, target, &assign.value);
                }
            }
            Stmt::AnnAssign(ast::StmtAnnAssign {
                target,
                value: Some(value),
                ..
            }) => {
                self.note_class_evidence(cx, stmt, target, value);
                self.define(cx, stmt, target, value);
            }
            Stmt::AugAssign(aug) => {
                if let Some(reference) = self.reference(cx, &aug.target) {
                    self.classified.insert(reference.span);
                    if matches!(aug.op, Operator::Add | Operator::BitOr) {
                        let kind = GrowthKind::Collection {
                            id_like: false,
                            record: false,
                        };
                        self.grow(cx, reference, stmt.into(), kind);
                    } else {
                        self.maybe_shrunk.insert(reference.name);
                    }
                }
            }
            Stmt::For(for_stmt) => self.read(cx, &for_stmt.iter),
            Stmt::While(while_stmt) => self.size_check(cx, &while_stmt.test),
            Stmt::Assert(assert) => self.read(cx, &assert.test),
            Stmt::If(if_stmt) => {
                if cx.function().is_none() && is_main_guard(cx, &if_stmt.test) {
                    self.main_blocks.push(stmt.into());
                }
                self.size_check(cx, &if_stmt.test);
                for clause in &if_stmt.elif_else_clauses {
                    if let Some(test) = &clause.test {
                        self.size_check(cx, test);
                    }
                }
            }
            _ => {}
        }
    }

    fn on_expr(&mut self, cx: &PyContext<'_>, expr: &Expr, _out: &mut Vec<Diagnostic>) {
        match expr {
            Expr::Call(call) => self.on_call(cx, call),
            Expr::Subscript(subscript) => self.on_subscript(cx, subscript),
            Expr::Attribute(attribute) => {
                if let Some(owner) = self.reference(cx, &attribute.value) {
                    self.classified.insert(owner.span);
                    // A bound removal method handed elsewhere may be called.
                    if SHRINK_METHODS.contains(&attribute.attr.as_str()) {
                        self.maybe_shrunk.insert(owner.name);
                    }
                }
                self.on_use(cx, expr, attribute.ctx);
            }
            Expr::Name(name) => self.on_use(cx, expr, name.ctx),
            Expr::Compare(compare) => self.on_compare(cx, compare),
            Expr::BoolOp(bool_op) => {
                for value in &bool_op.values {
                    self.size_check(cx, value);
                }
            }
            Expr::UnaryOp(unary) if unary.op == ast::UnaryOp::Not => {
                self.size_check(cx, &unary.operand);
            }
            Expr::UnaryOp(unary) => self.read(cx, &unary.operand),
            Expr::If(if_expr) => self.size_check(cx, &if_expr.test),
            Expr::Starred(starred) => self.read(cx, &starred.value),
            Expr::ListComp(ast::ExprListComp { generators, .. })
            | Expr::SetComp(ast::ExprSetComp { generators, .. })
            | Expr::DictComp(ast::ExprDictComp { generators, .. })
            | Expr::Generator(ast::ExprGenerator { generators, .. }) => {
                for generator in generators {
                    self.read(cx, &generator.iter);
                }
            }
            _ => {}
        }
    }

    fn on_module_exit(&mut self, _cx: &PyContext<'_>, out: &mut Vec<Diagnostic>) {
        for definition in &self.definitions {
            if self.maybe_shrunk.contains(&definition.name)
                || self.size_checked.contains(&definition.name)
            {
                continue;
            }
            let evidence = match (&definition.owner, definition.instance) {
                (Some(class), true) => match self.long_lived_classes.get(class) {
                    Some(evidence) => Some(*evidence),
                    None => continue,
                },
                _ => None,
            };
            let used_as_set = self.membership_tested.contains(&definition.name);
            let sites: Vec<Span> = self
                .growth
                .iter()
                .filter(|growth| growth.name == definition.name && growth.owner == definition.owner)
                .filter(|growth| growth.runtime && !(definition.instance && growth.in_constructor))
                .filter(|growth| {
                    !growth
                        .function
                        .as_ref()
                        .is_some_and(|function| self.called_at_import.contains(function))
                })
                .filter(|growth| grows(definition.shape, used_as_set, growth.kind))
                .map(|growth| growth.span)
                .collect();
            if sites.is_empty() {
                continue;
            }
            let kind = match definition.shape {
                Shape::Sequence | Shape::Set => ContainerKind::Collection,
                Shape::Map { .. } => ContainerKind::Map,
            };
            out.push(report(
                &definition.display,
                kind,
                definition.span,
                &sites,
                evidence,
                false,
            ));
        }
    }
}

/// True when growth of `kind` makes a container of `shape` bigger in a way
/// this rule counts: sets, maps and lists used as sets are bounded by the
/// domain of their values, so only id-like values count for them.
fn grows(shape: Shape, used_as_set: bool, kind: GrowthKind) -> bool {
    match (shape, kind) {
        (Shape::Sequence, GrowthKind::Collection { id_like, record }) => {
            id_like || (record && !used_as_set)
        }
        (Shape::Set, GrowthKind::Collection { id_like, .. }) => id_like,
        (Shape::Map { .. }, GrowthKind::MapInsert { id_like }) => id_like,
        (Shape::Map { autovivify }, GrowthKind::MapRead { id_like }) => autovivify && id_like,
        _ => false,
    }
}

impl GrowOnlyCollection {
    /// A use of a global or attribute as a plain value (or target) that no
    /// parent node accounted for: it escapes, is reassigned or deleted.
    fn on_use(&mut self, cx: &PyContext<'_>, expr: &Expr, ctx: ExprContext) {
        let Some(reference) = self.reference(cx, expr) else {
            return;
        };
        if self.classified.remove(&reference.span) {
            return;
        }
        if matches!(
            ctx,
            ExprContext::Load | ExprContext::Store | ExprContext::Del
        ) {
            self.maybe_shrunk.insert(reference.name);
        }
    }

    fn on_call(&mut self, cx: &PyContext<'_>, call: &ast::ExprCall) {
        if let (None, None, Expr::Name(function)) = (cx.function(), cx.class(), call.func.as_ref())
        {
            self.called_at_import.insert(function.id.to_string());
        }
        if let Expr::Attribute(attribute) = call.func.as_ref() {
            if let Some(reference) = self.reference(cx, &attribute.value) {
                self.classified.insert(reference.span);
                let method = attribute.attr.as_str();
                let key = call.arguments.args.first();
                if SHRINK_METHODS.contains(&method) {
                    self.maybe_shrunk.insert(reference.name);
                } else if method == "setdefault" {
                    let id_like = key.is_some_and(|key| is_id_like(cx, key));
                    let kind = GrowthKind::MapInsert { id_like };
                    self.grow(cx, reference, call.into(), kind);
                } else if GROWTH_METHODS.contains(&method) && !is_registration(cx, key) {
                    // `insert(index, value)`: the value is the second argument.
                    let value = match method {
                        "insert" if call.arguments.args.len() == 2 => call.arguments.args.get(1),
                        _ => key,
                    };
                    let id_like = value.is_some_and(|value| is_id_like(cx, value));
                    let single = matches!(method, "append" | "appendleft" | "add" | "insert");
                    let record = single && value.is_some_and(is_record);
                    let kind = GrowthKind::Collection { id_like, record };
                    self.grow(cx, reference, call.into(), kind);
                }
            }
            if attribute.attr.as_str() == "join" {
                self.read_all(cx, &call.arguments.args);
            }
        }
        let reads = cx
            .resolve(&call.func)
            .is_some_and(|name| READING_FUNCTIONS.contains(&name.as_str()));
        if reads {
            self.read_all(cx, &call.arguments.args);
        }
    }

    fn on_subscript(&mut self, cx: &PyContext<'_>, subscript: &ast::ExprSubscript) {
        let Some(reference) = self.reference(cx, &subscript.value) else {
            return;
        };
        self.classified.insert(reference.span);
        let id_like = is_id_like(cx, &subscript.slice);
        match subscript.ctx {
            ExprContext::Load => {
                let span = subscript.into();
                self.grow(cx, reference, span, GrowthKind::MapRead { id_like });
            }
            ExprContext::Store if !matches!(subscript.slice.as_ref(), Expr::Slice(_)) => {
                let span = subscript.into();
                self.grow(cx, reference, span, GrowthKind::MapInsert { id_like });
            }
            _ => {
                self.maybe_shrunk.insert(reference.name);
            }
        }
    }

    /// `a in x`, `len(x) < n`: a membership test or a size check.
    fn on_compare(&mut self, cx: &PyContext<'_>, compare: &ast::ExprCompare) {
        self.size_check(cx, &compare.left);
        let pairs = compare.ops.iter().zip(compare.comparators.iter());
        for (op, comparator) in pairs {
            self.size_check(cx, comparator);
            if matches!(op, ast::CmpOp::In | ast::CmpOp::NotIn) {
                if let Some(reference) = self.reference(cx, comparator) {
                    self.membership_tested.insert(reference.name);
                }
            }
        }
    }

    /// A read that looks at the container's size: `x` as a truth value,
    /// `len(x)` in a comparison.
    fn size_check(&mut self, cx: &PyContext<'_>, expr: &Expr) {
        let target = match expr {
            Expr::Call(call)
                if cx.resolve(&call.func).as_deref() == Some("builtins.len")
                    && call.arguments.args.len() == 1 =>
            {
                &call.arguments.args[0]
            }
            other => other,
        };
        if let Some(reference) = self.reference(cx, target) {
            if std::ptr::eq(target, expr) {
                self.classified.insert(reference.span);
            }
            self.size_checked.insert(reference.name);
        }
    }

    fn read(&mut self, cx: &PyContext<'_>, expr: &Expr) {
        let expr = match expr {
            Expr::Starred(starred) => starred.value.as_ref(),
            other => other,
        };
        if let Some(reference) = self.reference(cx, expr) {
            self.classified.insert(reference.span);
        }
    }

    fn read_all(&mut self, cx: &PyContext<'_>, exprs: &[Expr]) {
        for expr in exprs {
            self.read(cx, expr);
        }
    }

    fn grow(&mut self, cx: &PyContext<'_>, reference: Reference, span: Span, kind: GrowthKind) {
        if self.tests.contains(span) {
            return;
        }
        let function = cx.function();
        self.growth.push(Growth {
            name: reference.name,
            owner: reference.owner,
            span,
            kind,
            runtime: function.is_some(),
            in_constructor: function.is_some_and(|frame| frame.name == "__init__"),
            function: function.map(|frame| frame.name.to_string()),
        });
    }

    /// The container a name or attribute expression may denote.
    fn reference(&self, cx: &PyContext<'_>, expr: &Expr) -> Option<Reference> {
        match expr {
            Expr::Name(name) => {
                let id = name.id.as_str();
                let global = match cx.function() {
                    // Names in a class body are class attributes.
                    None => cx.class().is_none(),
                    Some(_) => {
                        cx.is_module_global(id)
                            || (cx.module_value(id).is_some()
                                && cx
                                    .resolve(expr)
                                    .is_some_and(|q| q == format!("builtins.{id}")))
                    }
                };
                global.then(|| Reference {
                    name: Name::Global(id.to_string()),
                    owner: None,
                    span: expr.into(),
                })
            }
            Expr::Attribute(attribute) => {
                let owner = match attribute.value.as_ref() {
                    Expr::Name(name) if matches!(name.id.as_str(), "self" | "cls") => {
                        method_class(cx)
                    }
                    Expr::Name(name) if self.classes.contains(name.id.as_str()) => {
                        Some(name.id.to_string())
                    }
                    _ => None,
                };
                Some(Reference {
                    name: Name::Attr(attribute.attr.to_string()),
                    owner,
                    span: expr.into(),
                })
            }
            _ => None,
        }
    }

    /// Records a container definition: a module global, a class attribute,
    /// or `self.x = ...` in `__init__`.
    fn define(&mut self, cx: &PyContext<'_>, stmt: &Stmt, target: &Expr, value: &Expr) {
        let Some(shape) = container_constructor(cx, value) else {
            return;
        };
        if self.tests.contains(stmt.into()) {
            return;
        }
        let in_class_body = cx
            .class()
            .is_some_and(|class| class.body.iter().any(|member| std::ptr::eq(member, stmt)));
        let (name, owner, instance, display) = match target {
            Expr::Name(name) if cx.function().is_none() && cx.class().is_none() => {
                let id = name.id.as_str();
                // Only the first module-level binding defines; later ones
                // reassign. Script code under `__main__` is not long-lived.
                let first = cx
                    .module_value(id)
                    .is_some_and(|first| std::ptr::eq(first, value));
                if !first || self.in_main_block(stmt.into()) {
                    return;
                }
                (Name::Global(id.to_string()), None, false, id.to_string())
            }
            Expr::Name(name) if cx.function().is_none() && in_class_body => {
                let class = cx.class().map(|class| class.name.to_string());
                let display = format!("{}.{}", class.as_deref().unwrap_or_default(), name.id);
                (Name::Attr(name.id.to_string()), class, false, display)
            }
            Expr::Attribute(attribute) if is_self(&attribute.value) => {
                let Some(frame) = cx.function() else { return };
                if frame.name != "__init__" || frame.class.is_none() {
                    return;
                }
                let class = frame.class.map(|class| class.name.to_string());
                let display = format!("self.{}", attribute.attr);
                (Name::Attr(attribute.attr.to_string()), class, true, display)
            }
            _ => return,
        };
        self.classified.insert(target.into());
        self.definitions.push(Definition {
            name,
            owner,
            instance,
            shape,
            span: target.into(),
            display,
        });
    }

    fn in_main_block(&self, span: Span) -> bool {
        self.main_blocks
            .iter()
            .any(|block| block.start <= span.start && span.end <= block.end)
    }

    /// Notes what an assignment says about its class's lifetime.
    fn note_class_evidence(
        &mut self,
        cx: &PyContext<'_>,
        stmt: &Stmt,
        target: &Expr,
        value: &Expr,
    ) {
        let created = match value {
            Expr::Call(call) => Some(call.func.as_ref()),
            _ => None,
        };
        if cx.function().is_none() && cx.class().is_none() {
            let in_main = self.in_main_block(stmt.into());
            if let (Some(Expr::Name(class)), false) = (created, in_main) {
                self.long_lived_classes.insert(
                    class.id.to_string(),
                    "a module-level instance of its class exists",
                );
            }
            return;
        }
        let class = match target {
            Expr::Attribute(attribute) if is_self(&attribute.value) => method_class(cx),
            Expr::Name(name) if cx.function().is_none() => {
                let in_body = cx.class().is_some_and(|class| {
                    class.body.iter().any(|member| std::ptr::eq(member, stmt))
                });
                if in_body && name.id.to_ascii_lowercase().contains("instance") {
                    let class = cx.class().map(|class| class.name.to_string());
                    if let Some(class) = class {
                        self.long_lived_classes
                            .insert(class, "its class is a singleton");
                    }
                    return;
                }
                in_body
                    .then(|| cx.class().map(|class| class.name.to_string()))
                    .flatten()
            }
            _ => None,
        };
        let holds = created
            .and_then(|func| cx.resolve(func))
            .is_some_and(|name| LONG_LIVED_MEMBERS.contains(&name.as_str()));
        if let (Some(class), true) = (class, holds) {
            self.long_lived_classes.insert(
                class,
                "its class holds a lock, queue, thread, executor or event loop",
            );
        }
    }
}

/// A value built on the spot, per call: `(ts, event)`, `{"user": u}`,
/// `f"{a}"`, `"%s" % a`.
fn is_record(value: &Expr) -> bool {
    matches!(
        value,
        Expr::Tuple(_) | Expr::Dict(_) | Expr::List(_) | Expr::FString(_) | Expr::BinOp(_)
    )
}

/// `__name__ == "__main__"`.
fn is_main_guard(cx: &PyContext<'_>, test: &Expr) -> bool {
    let text = cx.text(test).replace('\'', "\"");
    text.replace(' ', "") == "__name__==\"__main__\""
}

fn is_self(expr: &Expr) -> bool {
    matches!(expr, Expr::Name(name) if name.id.as_str() == "self")
}

/// The class whose method (possibly through nested functions) is running.
fn method_class(cx: &PyContext<'_>) -> Option<String> {
    cx.functions()
        .iter()
        .rev()
        .find_map(|frame| frame.class)
        .map(|class| class.name.to_string())
}

/// The shape of the unbounded container `value` creates, if it creates one.
fn container_constructor(cx: &PyContext<'_>, value: &Expr) -> Option<Shape> {
    match value {
        Expr::List(_) => Some(Shape::Sequence),
        Expr::Set(_) => Some(Shape::Set),
        Expr::Dict(_) => Some(Shape::Map { autovivify: false }),
        Expr::Call(call) => match cx.resolve(&call.func)?.as_str() {
            "builtins.list" => Some(Shape::Sequence),
            "builtins.set" => Some(Shape::Set),
            "collections.deque" => {
                let maxlen = call.arguments.find_argument_value("maxlen", 1);
                let bounded = maxlen.is_some_and(|maxlen| !maxlen.is_none_literal_expr());
                (!bounded).then_some(Shape::Sequence)
            }
            "builtins.dict" | "collections.OrderedDict" | "collections.Counter" => {
                Some(Shape::Map { autovivify: false })
            }
            "collections.defaultdict" => Some(Shape::Map { autovivify: true }),
            _ => None,
        },
        _ => None,
    }
}

/// A key that names a per-request or per-user value: a name the label
/// policy forbids (`user_id`, `request.session_id`), `id(obj)`, a uuid.
fn is_id_like(cx: &PyContext<'_>, key: &Expr) -> bool {
    match key {
        Expr::Name(name) => is_id_like_name(cx, name.id.as_str()),
        Expr::Attribute(attribute) => {
            let attr = attribute.attr.as_str();
            is_id_like_name(cx, attr)
                || (attr == "hex" && is_id_like(cx, &attribute.value))
                // `request.id`, `user.id`: the id of a thing.
                || (attr == "id" && matches!(attribute.value.as_ref(), Expr::Name(_) | Expr::Attribute(_)))
        }
        Expr::Call(call) => {
            let callee = cx.resolve(&call.func).unwrap_or_default();
            callee == "builtins.id"
                || callee.starts_with("uuid.")
                || (callee == "builtins.str"
                    && call
                        .arguments
                        .args
                        .first()
                        .is_some_and(|arg| is_id_like(cx, arg)))
        }
        _ => false,
    }
}

fn is_id_like_name(cx: &PyContext<'_>, name: &str) -> bool {
    name.to_ascii_lowercase().contains("uuid") || cx.settings().labels.is_forbidden(name)
}

/// `registry.append(func)` in a decorator or `register(func)` that returns
/// its parameter: the registry is bounded by the code that registers.
fn is_registration(cx: &PyContext<'_>, added: Option<&Expr>) -> bool {
    let Some(Expr::Name(added)) = added else {
        return false;
    };
    let Some(def) = cx.function().and_then(|frame| frame.def) else {
        return false;
    };
    let is_parameter = def
        .parameters
        .iter()
        .any(|parameter| parameter.name().as_str() == added.id.as_str());
    let returns_it = def.body.iter().any(|stmt| {
        matches!(stmt, Stmt::Return(ast::StmtReturn { value: Some(value), .. })
            if matches!(value.as_ref(), Expr::Name(name) if name.id == added.id))
    });
    is_parameter && returns_it
}
