//! What UNB002 knows about Python values: which constructors make an
//! unbounded container, which keys and values are ids or per-call records,
//! and which appends register code rather than data.

use ruff_python_ast::{self as ast, Expr, Stmt};

use crate::python::PyContext;

/// What a container holds, which decides what growth counts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// list, deque: every append counts (unless used like a set).
    Sequence,
    /// set: bounded by its value domain, so only id-like values count.
    Set,
    /// dict: bounded by its key domain, so only id-like keys count.
    /// `autovivify` for a `defaultdict`, where reading a key inserts it.
    Map { autovivify: bool },
}

/// The shape of the unbounded container `value` creates, if it creates one.
pub(super) fn container_constructor(cx: &PyContext<'_>, value: &Expr) -> Option<Shape> {
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

/// A value built on the spot, per call: `(ts, event)`, `{"user": u}`,
/// `f"{a}"`, `"%s" % a`.
pub(super) fn is_record(value: &Expr) -> bool {
    matches!(
        value,
        Expr::Tuple(_) | Expr::Dict(_) | Expr::List(_) | Expr::FString(_) | Expr::BinOp(_)
    )
}

/// A key that names a per-request or per-user value: a name the label
/// policy forbids (`user_id`, `request.session_id`), `id(obj)`, a uuid.
pub(super) fn is_id_like(cx: &PyContext<'_>, key: &Expr) -> bool {
    match key {
        Expr::Name(name) => is_id_like_name(cx, name.id.as_str()),
        Expr::Attribute(attribute) => {
            let attr = attribute.attr.as_str();
            is_id_like_name(cx, attr)
                || (attr == "hex" && is_id_like(cx, &attribute.value))
                // `request.id`, `user.id`: the id of a thing, when
                // `request_id`, `user_id` would be id-like.
                || (attr == "id" && owner_name(&attribute.value)
                    .is_some_and(|owner| is_id_like_name(cx, &format!("{owner}_id"))))
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
    // `API_KEY`, `USER_ID`: a constant, one value however often it is used.
    let constant = !name.chars().any(|c| c.is_ascii_lowercase());
    !constant
        && (name.to_ascii_lowercase().contains("uuid") || cx.settings().labels.is_named_id(name))
}

/// `request` in `request.id`, `user` in `self.user.id`.
fn owner_name(owner: &Expr) -> Option<&str> {
    match owner {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Attribute(attribute) => Some(attribute.attr.as_str()),
        _ => None,
    }
}

/// `registry.append(func)` in a decorator or `register(func)` that returns
/// its parameter, or any growth inside a `register*` function
/// (`cls._filters.append((test, filter_class))`): the registry is bounded
/// by the code that registers.
pub(super) fn is_registration(cx: &PyContext<'_>, added: Option<&Expr>) -> bool {
    let Some(def) = cx.function().and_then(|frame| frame.def) else {
        return false;
    };
    if def.name.trim_start_matches('_').starts_with("register") {
        return true;
    }
    let Some(Expr::Name(added)) = added else {
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

pub(super) fn is_self(expr: &Expr) -> bool {
    matches!(expr, Expr::Name(name) if name.id.as_str() == "self")
}

/// The class whose method (possibly through nested functions) is running.
pub(super) fn method_class(cx: &PyContext<'_>) -> Option<String> {
    cx.functions()
        .iter()
        .rev()
        .find_map(|frame| frame.class)
        .map(|class| class.name.to_string())
}
