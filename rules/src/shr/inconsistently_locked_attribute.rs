use std::collections::{BTreeMap, HashMap};

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::Ranged;

use crate::api::{Diagnostic, RuleEntry, Span};
use crate::declare_rule;
use crate::python::{PyContext, PythonRule};

declare_rule! {
    /// ## What it does
    /// RacerD-style consistency check within one class: an attribute that
    /// is written or mutated (assignment, `+=`, `self.x[k] = ..`, `del
    /// self.x[k]`, `self.x.append(..)` and other mutating methods) while a
    /// lock is held in one place, and with no lock held in another method.
    ///
    /// ## Why is this bad?
    /// Taking the lock for some updates says the author expects several
    /// threads to use the object. The unlocked update races with the locked
    /// ones: it can interleave with a locked read-modify-write, lose
    /// updates, or mutate a dict while a locked method iterates it
    /// (`RuntimeError: dictionary changed size during iteration`).
    ///
    /// ## Example
    /// ```python
    /// class SessionStore:
    ///     def __init__(self):
    ///         self._lock = threading.Lock()
    ///         self._sessions = {}
    ///
    ///     def add(self, sid, session):
    ///         with self._lock:
    ///             self._sessions[sid] = session
    ///
    ///     def expire(self, sid):
    ///         self._sessions.pop(sid, None)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    ///     def expire(self, sid):
    ///         with self._lock:
    ///             self._sessions.pop(sid, None)
    /// ```
    ///
    /// ## Known limitations
    /// Construction and teardown methods (`__init__`, `__new__`, `__del__`,
    /// `__enter__`/`__exit__`, `__post_init__`, `__setstate__`) are ignored,
    /// and so are methods named `*_locked` / `_unlocked*` and private
    /// methods that this class only calls with a lock held: by convention
    /// their caller holds the lock. Reads are not checked, and neither are
    /// accesses from other classes or from nested functions.
    pub static INCONSISTENTLY_LOCKED_ATTRIBUTE = {
        code: "SHR003",
        name: "inconsistently-locked-attribute",
        summary: "attribute written both with and without its lock",
        languages: [Python],
        severity: Error,
        tags: ["concurrency", "shared-state"],
    };
}

pub const ENTRY: RuleEntry = RuleEntry {
    meta: &INCONSISTENTLY_LOCKED_ATTRIBUTE,
    python: Some(|| Box::<InconsistentlyLockedAttribute>::default()),
    rust: None,
};

/// Methods that run before the object is shared or after it no longer is.
const SETUP_METHODS: &[&str] = &[
    "__init__",
    "__new__",
    "__del__",
    "__enter__",
    "__exit__",
    "__aenter__",
    "__aexit__",
    "__post_init__",
    "__setstate__",
    "__init_subclass__",
    "__set_name__",
];

/// Methods that mutate the container they are called on.
const MUTATING_METHODS: &[&str] = &[
    "append",
    "extend",
    "insert",
    "pop",
    "remove",
    "clear",
    "update",
    "setdefault",
    "add",
    "discard",
    "popitem",
    "move_to_end",
    "appendleft",
    "popleft",
];

struct Access {
    span: Span,
    method: String,
    locked: bool,
}

/// What one class's methods do, gathered during the walk.
#[derive(Default)]
struct ClassState {
    /// Attribute -> its writes, in source order.
    accesses: BTreeMap<String, Vec<Access>>,
    /// Method -> (calls with a lock held, calls without) from this class.
    calls: HashMap<String, (usize, usize)>,
}

#[derive(Default)]
struct InconsistentlyLockedAttribute {
    /// Keyed by the class statement's start offset.
    classes: HashMap<u32, ClassState>,
}

impl InconsistentlyLockedAttribute {
    /// The class whose method is being walked directly (not a nested
    /// function), and the method's name.
    fn method_state<'c>(&mut self, cx: &'c PyContext<'_>) -> Option<(&mut ClassState, &'c str)> {
        let frame = cx.function()?;
        let class = cx.class()?;
        let method_class = frame.class?;
        if !std::ptr::eq(method_class, class) || SETUP_METHODS.contains(&frame.name) {
            return None;
        }
        let state = self.classes.entry(class.start().to_u32()).or_default();
        Some((state, frame.name))
    }

    fn record(&mut self, cx: &PyContext<'_>, target: &Expr, span: Span) {
        let Some(attr) = written_attribute(target) else {
            return;
        };
        let locked = !cx.held_locks().is_empty();
        if let Some((state, method)) = self.method_state(cx) {
            state
                .accesses
                .entry(attr.to_string())
                .or_default()
                .push(Access {
                    span,
                    method: method.to_string(),
                    locked,
                });
        }
    }
}

/// `x` for `self.x`, `self.x[k]`, `self.x.y`: the attribute of `self` a
/// store to this target changes.
fn written_attribute(target: &Expr) -> Option<&str> {
    match target {
        Expr::Attribute(attribute) => match attribute.value.as_ref() {
            Expr::Name(name) if name.id.as_str() == "self" => Some(attribute.attr.as_str()),
            other => written_attribute(other),
        },
        Expr::Subscript(subscript) => written_attribute(&subscript.value),
        _ => None,
    }
}

impl PythonRule for InconsistentlyLockedAttribute {
    fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt, _out: &mut Vec<Diagnostic>) {
        match stmt {
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    self.record(cx, target, stmt.into());
                }
            }
            Stmt::AugAssign(ast::StmtAugAssign { target, .. })
            | Stmt::AnnAssign(ast::StmtAnnAssign { target, .. }) => {
                self.record(cx, target, stmt.into());
            }
            Stmt::Delete(delete) => {
                for target in &delete.targets {
                    if let Expr::Subscript(_) = target {
                        self.record(cx, target, stmt.into());
                    }
                }
            }
            _ => {}
        }
    }

    fn on_expr(&mut self, cx: &PyContext<'_>, expr: &Expr, _out: &mut Vec<Diagnostic>) {
        let Expr::Call(call) = expr else { return };
        let Expr::Attribute(method) = call.func.as_ref() else {
            return;
        };
        let locked = !cx.held_locks().is_empty();
        if let Expr::Name(receiver) = method.value.as_ref() {
            // `self.helper()`: remember whether helpers run under a lock.
            if receiver.id.as_str() == "self" {
                if let Some((state, _)) = self.method_state(cx) {
                    let counts = state.calls.entry(method.attr.to_string()).or_default();
                    if locked {
                        counts.0 += 1;
                    } else {
                        counts.1 += 1;
                    }
                }
            }
            return;
        }
        if MUTATING_METHODS.contains(&method.attr.as_str()) {
            self.record(cx, &method.value, expr.into());
        }
    }

    fn on_class_exit(&mut self, cx: &PyContext<'_>, out: &mut Vec<Diagnostic>) {
        let Some(class) = cx.class() else { return };
        let Some(state) = self.classes.remove(&class.start().to_u32()) else {
            return;
        };
        // Private helpers that this class only calls under a lock run
        // under that lock.
        let runs_locked = |method: &str| {
            method.ends_with("_locked")
                || method.starts_with("_unlocked")
                || (method.starts_with('_')
                    && !method.starts_with("__")
                    && state
                        .calls
                        .get(method)
                        .is_some_and(|&(locked, unlocked)| locked > 0 && unlocked == 0))
        };
        for (attr, accesses) in &state.accesses {
            let Some(protected) = accesses
                .iter()
                .find(|access| access.locked || runs_locked(&access.method))
            else {
                continue;
            };
            for access in accesses
                .iter()
                .filter(|access| !access.locked && !runs_locked(&access.method))
            {
                out.push(
                    Diagnostic::new(
                        &INCONSISTENTLY_LOCKED_ATTRIBUTE,
                        access.span,
                        format!(
                            "`self.{attr}` is written here in `{}` without a lock, but under a lock elsewhere in `{}`",
                            access.method, class.name
                        ),
                    )
                    .with_help("take the same lock around this write as the other writes do")
                    .with_related(protected.span, "written under a lock here"),
                );
            }
        }
    }
}
