//! UNB002 for Python. One pass records, per file: container definitions
//! (module globals, class attributes, `self.x = ...` in `__init__`), growth
//! sites, and every use that may shrink the container (a removal method,
//! `del`, reassignment, or the container escaping to other code). The
//! decision is made at the end of the module, when all uses are known.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use ruff_python_ast::{self as ast, Expr, Operator, Stmt};

use super::python_classes::{in_startup_code, is_main_guard, is_test_double};
use super::python_uses::SHRINK_METHODS;
use super::python_values::{container_constructor, is_constant_name, is_self, Shape};
use crate::api::{Diagnostic, Span};
use crate::python::{PyContext, PythonRule};
use crate::unb::grow_only_collection::{report, ContainerKind};
use crate::unb::test_code::TestCode;

/// How a container is named where it is used: a module global by its
/// name, an attribute by its attribute name (whatever object it is read
/// through: shrinking through any object counts).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum Name {
    Global(String),
    Attr(String),
}

pub(super) struct Reference {
    pub(super) name: Name,
    /// The class of `self.x` / `cls.x` / `Class.x`; `None` for globals and
    /// attributes of other objects.
    pub(super) owner: Option<String>,
    pub(super) span: Span,
}

pub(super) struct Definition {
    pub(super) name: Name,
    pub(super) owner: Option<String>,
    /// `self.x = ...` in `__init__`: long-lived only if its class is.
    pub(super) instance: bool,
    pub(super) shape: Shape,
    pub(super) span: Span,
    pub(super) display: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum GrowthKind {
    /// `append`, `add`, `extend`, `+=`, ...: grows lists, sets, deques.
    /// `event_id` when the added value is an id minted per event,
    /// `named_id` when it is any id the label policy names (a user's too);
    /// `record` when it is a record built on the spot (a tuple, dict,
    /// f-string) that carries such an id: per-call data, unlike the
    /// existing objects a registry collects.
    Collection {
        event_id: bool,
        named_id: bool,
        record: bool,
    },
    /// `d[key] = v`, `d.setdefault(key, ..)`: grows maps when the key is
    /// an id minted per event.
    MapInsert { event_id: bool },
    /// `d[key]` read: grows a `defaultdict` when the key is one.
    MapRead { event_id: bool },
}

pub(super) struct Growth {
    pub(super) name: Name,
    pub(super) owner: Option<String>,
    pub(super) span: Span,
    pub(super) kind: GrowthKind,
    /// Inside a function (not at import time).
    pub(super) runtime: bool,
    /// Inside `__init__`: once per instance.
    pub(super) in_constructor: bool,
    /// The innermost function, to discount functions run at import time.
    pub(super) function: Option<String>,
}

#[derive(Default)]
pub(crate) struct GrowOnlyCollection {
    pub(super) definitions: Vec<Definition>,
    pub(super) growth: Vec<Growth>,
    /// Containers with a removal, a reassignment or an escape somewhere.
    pub(super) maybe_shrunk: HashSet<Name>,
    /// Containers whose size the code looks at (`len(x) < n`, `if not x:`):
    /// growth is likely limited or one-time, so they are not reported.
    pub(super) size_checked: HashSet<Name>,
    /// Lists tested with `in` / `not in`: used as a set, bounded by the
    /// domain of their values.
    pub(super) membership_tested: HashSet<Name>,
    /// Lists iterated in a function (`for k, v in cache:`, `any(.. for p
    /// in seen)`): a function that searches a list before it appends to it
    /// uses it as a set.
    pub(super) searched_in: HashSet<(Name, Option<String>)>,
    /// Uses already accounted for by their parent node (pre-order).
    pub(super) classified: HashSet<Span>,
    /// Classes defined in the module, to read `Class.x` as an attribute of it.
    pub(super) classes: HashSet<String>,
    /// Classes with evidence of a long life (a module-level instance, a
    /// singleton attribute, a lock/queue/thread/executor/loop member).
    pub(super) long_lived_classes: HashMap<String, &'static str>,
    /// Containers defined or grown in test code are not counted.
    pub(super) tests: TestCode,
    /// `if __name__ == "__main__":` blocks: an instance created there is a
    /// demo or a script entry, not evidence of a long-lived class.
    pub(super) main_blocks: Vec<Span>,
    /// Functions called at module level, and methods called there on the
    /// module's own objects (`validators["x"].add(..)`): their growth
    /// happens at import.
    pub(super) called_at_import: HashSet<String>,
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
                            event_id: false,
                            named_id: false,
                            record: false,
                        };
                        self.grow(cx, reference, stmt.into(), kind);
                    } else {
                        self.maybe_shrunk.insert(reference.name);
                    }
                }
            }
            Stmt::For(for_stmt) => self.search(cx, &for_stmt.iter),
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
                    self.search(cx, &generator.iter);
                }
            }
            _ => {}
        }
    }

    fn on_module_exit(&mut self, cx: &PyContext<'_>, out: &mut Vec<Diagnostic>) {
        // A test module, test helper or fixture: nothing lives as long as a
        // service.
        if cx.in_test_file() {
            return;
        }
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
                .filter(|growth| {
                    let searched = (definition.name.clone(), growth.function.clone());
                    let used_as_set = used_as_set || self.searched_in.contains(&searched);
                    grows(definition.shape, used_as_set, growth.kind)
                })
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
/// domain of their values, so only ids minted per event count for them.
fn grows(shape: Shape, used_as_set: bool, kind: GrowthKind) -> bool {
    match (shape, kind) {
        (
            Shape::Sequence,
            GrowthKind::Collection {
                event_id,
                named_id,
                record,
            },
        ) => event_id || ((named_id || record) && !used_as_set),
        (Shape::Set, GrowthKind::Collection { event_id, .. }) => event_id,
        (Shape::Map { .. }, GrowthKind::MapInsert { event_id }) => event_id,
        (Shape::Map { autovivify }, GrowthKind::MapRead { event_id }) => autovivify && event_id,
        _ => false,
    }
}

impl GrowOnlyCollection {
    pub(super) fn grow(
        &mut self,
        cx: &PyContext<'_>,
        reference: Reference,
        span: Span,
        kind: GrowthKind,
    ) {
        if self.tests.contains(span) {
            return;
        }
        let function = cx.function();
        self.growth.push(Growth {
            name: reference.name,
            owner: reference.owner,
            span,
            kind,
            runtime: function.is_some() && !in_startup_code(cx),
            in_constructor: function.is_some_and(|frame| frame.name == "__init__"),
            function: function.map(|frame| frame.name.to_string()),
        });
    }

    /// Records a container definition: a module global, a class attribute,
    /// or `self.x = ...` in `__init__`.
    pub(super) fn define(&mut self, cx: &PyContext<'_>, stmt: &Stmt, target: &Expr, value: &Expr) {
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
        // `_HANDLERS = []`: a table its author declares constant, filled by
        // code (registration, configuration), not by traffic. A test double
        // (`class FakeDriver`) lives for a test.
        // A public name (no leading underscore) is part of the module's
        // interface: other modules may shrink it, out of this file's sight.
        let (constant, public) = match &name {
            Name::Global(id) | Name::Attr(id) => (is_constant_name(id), !id.starts_with('_')),
        };
        let test_double = owner.as_deref().is_some_and(is_test_double);
        self.classified.insert(target.into());
        if constant || public || test_double {
            return;
        }
        self.definitions.push(Definition {
            name,
            owner,
            instance,
            shape,
            span: target.into(),
            display,
        });
    }
}
