//! What UNB002 knows about Python values: which constructors make an
//! unbounded container, which keys and values are ids or per-call records,
//! and which appends register code rather than data.

use ruff_python_ast::helpers::any_over_expr;
use ruff_python_ast::{self as ast, Expr, Stmt};

use super::Ids;
use crate::python::{last_name, PyContext};

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
/// `f"{a}"`, `"%s" % a`. One made of literals only (`("hidden",
/// "IsHidden")`) is the same value every time, not per-call data; one that
/// bundles the function's own parameters with its `*args` or `**kwargs`
/// (`def callback(self, fn, *args): self._callbacks.append((fn, args))`)
/// stores a call for later: a callback registration.
pub(super) fn is_record(cx: &PyContext<'_>, value: &Expr) -> bool {
    let built = matches!(
        value,
        Expr::Tuple(_) | Expr::Dict(_) | Expr::List(_) | Expr::FString(_) | Expr::BinOp(_)
    );
    built && !is_constant(value) && !bundles_parameters(cx, value)
}

/// A tuple or list of literals and parameters of the enclosing function,
/// among them its `*args` or `**kwargs`.
fn bundles_parameters(cx: &PyContext<'_>, value: &Expr) -> bool {
    let Some(frame) = cx.function() else {
        return false;
    };
    let Some(def) = frame.def else {
        return false;
    };
    let variadic: Vec<&str> = [&def.parameters.vararg, &def.parameters.kwarg]
        .into_iter()
        .flatten()
        .map(|parameter| parameter.name.as_str())
        .collect();
    let items = match value {
        Expr::Tuple(tuple) => &tuple.elts,
        Expr::List(list) => &list.elts,
        _ => return false,
    };
    let is_part = |item: &Expr| {
        is_constant(item)
            || matches!(item, Expr::Name(name) if frame.has_parameter(name.id.as_str()))
    };
    let has_variadic = items
        .iter()
        .any(|item| matches!(item, Expr::Name(name) if variadic.contains(&name.id.as_str())));
    has_variadic && items.iter().all(is_part)
}

/// A literal, or a tuple, list, dict or operation made of literals only.
fn is_constant(value: &Expr) -> bool {
    match value {
        Expr::StringLiteral(_)
        | Expr::BytesLiteral(_)
        | Expr::NumberLiteral(_)
        | Expr::BooleanLiteral(_)
        | Expr::NoneLiteral(_) => true,
        Expr::Tuple(tuple) => tuple.elts.iter().all(is_constant),
        Expr::List(list) => list.elts.iter().all(is_constant),
        Expr::Dict(dict) => dict
            .items
            .iter()
            .all(|item| item.key.as_ref().is_some_and(is_constant) && is_constant(&item.value)),
        Expr::BinOp(op) => is_constant(&op.left) && is_constant(&op.right),
        Expr::FString(fstring) => fstring.value.elements().all(|element| element.is_literal()),
        _ => false,
    }
}

/// True when a record holds an id the label policy names (`(request_id,
/// payload)`, `{"user": user.id, "at": now}`, `f"{session_id}: {text}"`):
/// one entry per event of someone's. A record of other values (a pattern
/// and its event name, a provider and its shutdown hook, a sample of two
/// clocks) is mostly configuration or a measurement of bounded length.
pub(super) fn carries_id(cx: &PyContext<'_>, record: &Expr) -> bool {
    any_over_expr(record, &|part: &Expr| is_id_like(cx, part, Ids::Named))
}

/// A key or value that names an id of the kind `ids` selects: a name the
/// label policy forbids (`request_id`, `request.session_id`), a uuid. Not
/// `id(obj)`: an identity key caches data about objects (types, writers,
/// models) that mostly live as long as the cache, bounded by them.
pub(super) fn is_id_like(cx: &PyContext<'_>, key: &Expr, ids: Ids) -> bool {
    match key {
        Expr::Name(name) => is_id_like_name(cx, name.id.as_str(), ids),
        Expr::Attribute(attribute) => {
            let attr = attribute.attr.as_str();
            is_id_like_name(cx, attr, ids)
                || (attr == "hex" && is_id_like(cx, &attribute.value, ids))
                // `request.id`, `user.id`: the id of a thing, when
                // `request_id`, `user_id` would be id-like.
                || (attr == "id" && last_name(&attribute.value)
                    .is_some_and(|owner| is_id_like_name(cx, &format!("{owner}_id"), ids)))
        }
        Expr::Call(call) => {
            let callee = cx.resolve(&call.func).unwrap_or_default();
            callee.starts_with("uuid.")
                || (callee == "builtins.str"
                    && call
                        .arguments
                        .args
                        .first()
                        .is_some_and(|arg| is_id_like(cx, arg, ids)))
        }
        _ => false,
    }
}

/// `API_KEY`, `_HANDLERS`: a name in UPPER_CASE is declared a constant by
/// its author.
pub(super) fn is_constant_name(name: &str) -> bool {
    !name.chars().any(|c| c.is_ascii_lowercase())
}

fn is_id_like_name(cx: &PyContext<'_>, name: &str, ids: Ids) -> bool {
    // `API_KEY`, `USER_ID`: a constant, one value however often it is used.
    !is_constant_name(name) && ids.match_name(&cx.settings().labels, name)
}

/// `registry.append(func)` in a decorator or `register(func)` that returns
/// its parameter, also within a record (`registry.append((priority, cls));
/// return cls`), and `hooks.append(hook_func)` of a parameter that carries
/// a function (`add_validation_var(name, var_fun)`): the registry is
/// bounded by the code that registers.
pub(super) fn is_registration(cx: &PyContext<'_>, added: Option<&Expr>) -> bool {
    let Some(frame) = cx.function() else {
        return false;
    };
    let Some(def) = frame.def else {
        return false;
    };
    let returned_parameter = |added: &Expr| {
        let Expr::Name(added) = added else {
            return false;
        };
        frame.has_parameter(added.id.as_str())
            && def.body.iter().any(|stmt| {
                matches!(stmt, Stmt::Return(ast::StmtReturn { value: Some(value), .. })
                    if matches!(value.as_ref(), Expr::Name(name) if name.id == added.id))
            })
    };
    let Some(added) = added else { return false };
    frame.carries_hook_function(added)
        || match added {
            Expr::Tuple(record) => record.elts.iter().any(returned_parameter),
            added => returned_parameter(added),
        }
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
