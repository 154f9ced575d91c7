//! How UNB002 reads each use of a container in Python: growth, removal,
//! a read that keeps the size, a size check, or an escape to other code.

use ruff_python_ast::{self as ast, Expr, ExprContext};

use super::python::{GrowOnlyCollection, GrowthKind, Name, Reference};
use super::python_values::{carries_id, is_id_like, is_record, is_registration, method_class};
use super::Ids;
use crate::python::PyContext;

/// Methods that add to a list, set or deque.
pub(super) const GROWTH_METHODS: &[&str] = &[
    "append",
    "appendleft",
    "extend",
    "extendleft",
    "add",
    "insert",
    "update",
];

/// Methods that remove from a container.
pub(super) const SHRINK_METHODS: &[&str] = &[
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
pub(super) const READING_FUNCTIONS: &[&str] = &[
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

impl GrowOnlyCollection {
    /// A use of a global or attribute as a plain value (or target) that no
    /// parent node accounted for: it escapes, is reassigned or deleted.
    pub(super) fn on_use(&mut self, cx: &PyContext<'_>, expr: &Expr, ctx: ExprContext) {
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

    pub(super) fn on_call(&mut self, cx: &PyContext<'_>, call: &ast::ExprCall) {
        if let (None, None) = (cx.function(), cx.class()) {
            match call.func.as_ref() {
                Expr::Name(function) => {
                    self.called_at_import.insert(function.id.to_string());
                }
                // `validators["masters"].add(..)`, `registry.add(..)`: a
                // method of the module's own objects, not of an import.
                Expr::Attribute(method) if is_own_object(cx, &method.value) => {
                    self.called_at_import.insert(method.attr.to_string());
                }
                _ => {}
            }
        }
        if let Expr::Attribute(attribute) = call.func.as_ref() {
            if let Some(reference) = self.reference(cx, &attribute.value) {
                self.classified.insert(reference.span);
                let method = attribute.attr.as_str();
                let key = call.arguments.args.first();
                if SHRINK_METHODS.contains(&method) {
                    self.maybe_shrunk.insert(reference.name);
                } else if method == "setdefault" {
                    let event_id = key.is_some_and(|key| is_id_like(cx, key, Ids::PerEvent));
                    let kind = GrowthKind::MapInsert { event_id };
                    self.grow(cx, reference, call.into(), kind);
                } else if GROWTH_METHODS.contains(&method) && !is_registration(cx, key) {
                    // `insert(index, value)`: the value is the second argument.
                    let value = match method {
                        "insert" if call.arguments.args.len() == 2 => call.arguments.args.get(1),
                        _ => key,
                    };
                    let id = |ids| value.is_some_and(|value| is_id_like(cx, value, ids));
                    let single = matches!(method, "append" | "appendleft" | "add" | "insert");
                    let record = single
                        && value.is_some_and(|value| is_record(cx, value) && carries_id(cx, value));
                    let kind = GrowthKind::Collection {
                        event_id: id(Ids::PerEvent),
                        named_id: id(Ids::Named),
                        record,
                    };
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

    pub(super) fn on_subscript(&mut self, cx: &PyContext<'_>, subscript: &ast::ExprSubscript) {
        let Some(reference) = self.reference(cx, &subscript.value) else {
            return;
        };
        self.classified.insert(reference.span);
        let event_id = is_id_like(cx, &subscript.slice, Ids::PerEvent);
        match subscript.ctx {
            ExprContext::Load => {
                let span = subscript.into();
                self.grow(cx, reference, span, GrowthKind::MapRead { event_id });
            }
            ExprContext::Store if !matches!(subscript.slice.as_ref(), Expr::Slice(_)) => {
                let span = subscript.into();
                self.grow(cx, reference, span, GrowthKind::MapInsert { event_id });
            }
            _ => {
                self.maybe_shrunk.insert(reference.name);
            }
        }
    }

    /// `a in x`, `len(x) < n`: a membership test or a size check.
    pub(super) fn on_compare(&mut self, cx: &PyContext<'_>, compare: &ast::ExprCompare) {
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
    pub(super) fn size_check(&mut self, cx: &PyContext<'_>, expr: &Expr) {
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

    pub(super) fn read(&mut self, cx: &PyContext<'_>, expr: &Expr) {
        let expr = match expr {
            Expr::Starred(starred) => starred.value.as_ref(),
            other => other,
        };
        if let Some(reference) = self.reference(cx, expr) {
            self.classified.insert(reference.span);
        }
    }

    /// Iteration over a container: a read, and a search by the function
    /// it happens in.
    pub(super) fn search(&mut self, cx: &PyContext<'_>, expr: &Expr) {
        if let Some(reference) = self.reference(cx, expr) {
            let function = cx.function().map(|frame| frame.name.to_string());
            self.searched_in.insert((reference.name, function));
        }
        self.read(cx, expr);
    }

    pub(super) fn read_all(&mut self, cx: &PyContext<'_>, exprs: &[Expr]) {
        for expr in exprs {
            self.read(cx, expr);
        }
    }

    /// The container a name or attribute expression may denote.
    pub(super) fn reference(&self, cx: &PyContext<'_>, expr: &Expr) -> Option<Reference> {
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
}

/// An object the module made itself: a module-level name bound to a value
/// (not an import), or an item or attribute of one.
fn is_own_object(cx: &PyContext<'_>, expr: &Expr) -> bool {
    match expr {
        Expr::Name(name) => cx.module_value(name.id.as_str()).is_some(),
        Expr::Subscript(subscript) => is_own_object(cx, &subscript.value),
        Expr::Attribute(attribute) => is_own_object(cx, &attribute.value),
        _ => false,
    }
}
