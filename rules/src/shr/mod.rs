//! SHR: shared mutable state touched without the lock that guards it.
//!
//! What "shared" means is decided here once for the Python rules: module
//! globals, class-level attributes, and attributes of objects whose class
//! owns a thread lock (its author expects several threads to use it) and
//! defines no coroutines.

pub mod check_then_act_on_shared_container;
pub mod inconsistently_locked_attribute;
pub mod lock_order_inversion;
mod one_thread;
pub mod unlocked_global_mutation;

use ruff_python_ast::helpers::any_over_expr;
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::Ranged;

use crate::python::{LockKind, PyContext};

/// How a container expression is shared between threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Sharing {
    /// A module global: `_cache` without a local binding.
    ModuleGlobal,
    /// A class-level attribute: `cls._registry`, `Config._registry`.
    ClassAttribute,
    /// `self.x` of a class that owns a thread lock.
    LockedInstance,
}

/// Calls that build a mutable container.
const CONTAINER_CONSTRUCTORS: &[&str] = &[
    "builtins.dict",
    "builtins.list",
    "builtins.set",
    "collections.defaultdict",
    "collections.OrderedDict",
    "collections.Counter",
    "collections.deque",
    "weakref.WeakValueDictionary",
    "weakref.WeakKeyDictionary",
    "weakref.WeakSet",
];

/// True when `value` evidently builds a mutable container.
pub(crate) fn is_container(cx: &PyContext<'_>, value: &Expr) -> bool {
    match value {
        Expr::Dict(_) | Expr::List(_) | Expr::Set(_) | Expr::DictComp(_) | Expr::ListComp(_) => {
            true
        }
        Expr::SetComp(_) => true,
        Expr::Call(call) => cx
            .resolve(&call.func)
            .is_some_and(|name| CONTAINER_CONSTRUCTORS.contains(&name.as_str())),
        _ => false,
    }
}

/// True when the function being walked first binds `target` (a global
/// `total`, an attribute `self.items`) afresh, in a statement of its own
/// body before the one holding `stmt`, to a value not read from `target`:
/// `total = 0`, then `for group in groups: total += len(group)`; or
/// `self.items = {}`, then `if kind not in self.items: self.items[kind] =
/// {}`. The function builds the value from scratch, the work of set-up or
/// refresh code run before the threads that use it; two threads running it
/// at once would lose work to the rebuild whatever the update did, so a
/// lock around the update is not the fix.
pub(crate) fn is_rebuilt_first(cx: &PyContext<'_>, stmt: &Stmt, target: &str) -> bool {
    let Some(def) = cx.function().and_then(|frame| frame.def) else {
        return false;
    };
    let names_target =
        |expr: &Expr| matches!(expr, Expr::Name(_) | Expr::Attribute(_)) && cx.text(expr) == target;
    def.body
        .iter()
        .take_while(|earlier| !earlier.range().contains_range(stmt.range()))
        .any(|earlier| match earlier {
            Stmt::Assign(ast::StmtAssign { targets, value, .. }) => {
                matches!(targets.as_slice(), [bound] if names_target(bound))
                    && !any_over_expr(value, &names_target)
            }
            _ => false,
        })
}

/// How `expr` (a container being checked or written) is shared, if it is.
pub(crate) fn container_sharing(cx: &PyContext<'_>, expr: &Expr) -> Option<Sharing> {
    cx.function()?;
    match expr {
        Expr::Name(name) => {
            let id = name.id.as_str();
            // Module state is shared between threads in modules that run
            // on several (see `module_is_concurrent`).
            (cx.module_is_concurrent()
                && cx.refers_to_module_global(id)
                && cx
                    .module_value(id)
                    .is_some_and(|value| is_container(cx, value)))
            .then_some(Sharing::ModuleGlobal)
        }
        Expr::Attribute(attribute) => {
            let Expr::Name(owner) = attribute.value.as_ref() else {
                return None;
            };
            let class = cx.class()?;
            let attributes = cx.class_attributes(class.name.as_str())?;
            let attr = attribute.attr.as_str();
            let owner = owner.id.as_str();
            let is_class_object = owner == "cls" || owner == class.name.as_str();
            // A class-level container is module state by another name:
            // shared between threads only where the module runs on several.
            let class_level_shared = |value: &Expr| {
                (cx.module_is_concurrent() && is_container(cx, value))
                    .then_some(Sharing::ClassAttribute)
            };
            if is_class_object {
                return class_level_shared(attributes.class_level.get(attr)?);
            }
            // `self` before it is shared: construction and unpickling.
            let constructing = cx.function().is_some_and(|frame| {
                matches!(
                    frame.name,
                    "__init__" | "__new__" | "__post_init__" | "__setstate__"
                )
            });
            if owner != "self" || constructing {
                return None;
            }
            // A class-level container used through `self` (`self.totals[k]`)
            // is the instance's own state to its author: shared between
            // threads where the module's one instance is (`config =
            // _Config()` at import, used by every thread), otherwise where
            // the class owns a thread lock (below).
            if let Some(value) = attributes.class_level.get(attr) {
                if !attributes.instance.contains_key(attr)
                    && cx.is_instantiated_at_import(class.name.as_str())
                {
                    if let Some(sharing) = class_level_shared(value) {
                        return Some(sharing);
                    }
                }
            }
            // Tests and green threads run one thread at a time, whatever
            // locks their classes own.
            (owns_thread_lock(cx, class.name.as_str())
                && !has_coroutine_methods(class)
                && !cx.module_runs_one_thread_at_a_time())
            .then_some(Sharing::LockedInstance)
        }
        _ => None,
    }
}

/// True when the class defines `async def` methods: an event loop drives
/// it, and its plain methods nearly always run on that loop too. A thread
/// lock it also owns (often a fork-safety check) does not say which.
fn has_coroutine_methods(class: &ast::StmtClassDef) -> bool {
    class
        .body
        .iter()
        .any(|stmt| matches!(stmt, Stmt::FunctionDef(def) if def.is_async))
}

/// True when a class of this module creates a `threading` lock for itself.
pub(crate) fn owns_thread_lock(cx: &PyContext<'_>, class: &str) -> bool {
    cx.class_locks(class)
        .any(|(_, kind)| kind == LockKind::Threading)
}

/// Calls that name the running thread.
const THREAD_IDENTITY_CALLS: &[&str] = &[
    "threading.get_ident",
    "threading.get_native_id",
    "threading.current_thread",
    "_thread.get_ident",
];

/// True when `key` names the running thread: `threading.get_ident()`,
/// or a local bound to it (`thread_id = threading.get_ident()`). Each
/// thread then reads and writes only its own entry, and a check-then-act
/// on it cannot race with another thread's.
pub(crate) fn is_thread_identity(cx: &PyContext<'_>, key: &Expr) -> bool {
    let key = match key {
        Expr::Name(name) => match cx.value_of(name.id.as_str()) {
            Some(value) => value,
            None => return false,
        },
        other => other,
    };
    let Expr::Call(call) = key else { return false };
    cx.resolve(&call.func)
        .is_some_and(|name| THREAD_IDENTITY_CALLS.contains(&name.as_str()))
}
