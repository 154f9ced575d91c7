//! What type a Python receiver has, as far as the file shows how it was
//! constructed: the BLK rules name a method call `type.method`
//! (`requests.Session.get`) to match it against their lists.

use ruff_python_ast::{self as ast, Expr};

use crate::python::PyContext;

/// Callables whose result is an object with blocking methods, mapped to
/// the canonical name of its type (module functions and re-exports of the
/// same class share one name).
const PYTHON_CONSTRUCTORS: &[(&str, &str)] = &[
    ("requests.Session", "requests.Session"),
    ("requests.session", "requests.Session"),
    ("requests.sessions.Session", "requests.Session"),
    ("httpx.Client", "httpx.Client"),
    ("urllib3.PoolManager", "urllib3.PoolManager"),
    ("urllib3.poolmanager.PoolManager", "urllib3.PoolManager"),
    ("urllib3.ProxyManager", "urllib3.PoolManager"),
    ("urllib3.proxy_from_url", "urllib3.PoolManager"),
    ("urllib3.HTTPConnectionPool", "urllib3.PoolManager"),
    ("urllib3.HTTPSConnectionPool", "urllib3.PoolManager"),
    ("urllib3.connection_from_url", "urllib3.PoolManager"),
    ("http.client.HTTPConnection", "http.client.HTTPConnection"),
    ("http.client.HTTPSConnection", "http.client.HTTPConnection"),
    ("socket.socket", "socket.socket"),
    ("socket.create_connection", "socket.socket"),
    ("subprocess.Popen", "subprocess.Popen"),
    ("pathlib.Path", "pathlib.Path"),
    ("pathlib.PosixPath", "pathlib.Path"),
    ("pathlib.WindowsPath", "pathlib.Path"),
    ("pathlib.Path.home", "pathlib.Path"),
    ("pathlib.Path.cwd", "pathlib.Path"),
];

/// `self` or `cls`.
fn is_self(expr: &Expr) -> bool {
    matches!(expr, Expr::Name(name) if matches!(name.id.as_str(), "self" | "cls"))
}

/// The type of `self.attr` when every value the class assigns to it has that
/// one type; `None` assignments (reset, lazy initialisation) do not count.
fn attribute_type(cx: &PyContext<'_>, attr: &str, depth: usize) -> Option<String> {
    let mut types = cx
        .attribute_values(attr)
        .iter()
        .filter(|value| !value.is_none_literal_expr())
        .map(|value| value_type_at_depth(cx, value, depth + 1, Locals::Ignore));
    let first = types.next()??;
    types
        .all(|ty| ty.as_deref() == Some(first.as_str()))
        .then_some(first)
}

const PATH: &str = "pathlib.Path";

/// `pathlib.Path` methods that return another `Path`.
const PATH_RETURNING_METHODS: &[&str] = &[
    "absolute",
    "expanduser",
    "joinpath",
    "relative_to",
    "resolve",
    "with_name",
    "with_stem",
    "with_suffix",
];

/// How deep [`python_value_type`] follows names to their assigned values.
const MAX_VALUE_DEPTH: usize = 8;

/// The type of a Python expression when the file shows how it was
/// constructed: a call (canonical names from [`PYTHON_CONSTRUCTORS`], else
/// the callee's qualified name), a name or `self` attribute assigned one, or
/// a `pathlib.Path` derived by `/`, `.parent` or a path-returning method.
/// Parameters are unknown.
pub fn python_value_type(cx: &PyContext<'_>, expr: &Expr) -> Option<String> {
    value_type_at_depth(cx, expr, 0, Locals::Follow)
}

/// Whether names in an expression may be looked up where the walk is: not
/// in a value assigned in another method (`self.x = Path(root)`), whose
/// locals are not the current ones.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Locals {
    Follow,
    Ignore,
}

fn value_type_at_depth(
    cx: &PyContext<'_>,
    expr: &Expr,
    depth: usize,
    locals: Locals,
) -> Option<String> {
    if depth > MAX_VALUE_DEPTH {
        return None;
    }
    let is_path =
        |expr: &Expr| value_type_at_depth(cx, expr, depth + 1, locals).as_deref() == Some(PATH);
    match expr {
        Expr::Name(name) if locals == Locals::Follow => {
            value_type_at_depth(cx, cx.value_of(name.id.as_str())?, depth + 1, locals)
        }
        // A name in another method may be its parameter or local.
        Expr::Name(_) => None,
        Expr::Call(call) => {
            if let Some(name) = cx.resolve(&call.func) {
                // Any other callee names its result after itself, so that
                // configured methods (`mylib.Client.fetch`) match too.
                let canonical = PYTHON_CONSTRUCTORS
                    .iter()
                    .find(|(constructor, _)| *constructor == name)
                    .map(|(_, ty)| (*ty).to_string());
                return Some(canonical.unwrap_or(name));
            }
            let Expr::Attribute(method) = call.func.as_ref() else {
                return None;
            };
            (PATH_RETURNING_METHODS.contains(&method.attr.as_str()) && is_path(&method.value))
                .then(|| PATH.to_string())
        }
        Expr::Attribute(attribute) if is_self(&attribute.value) => {
            attribute_type(cx, attribute.attr.as_str(), depth)
        }
        Expr::Attribute(attribute) => (attribute.attr.as_str() == "parent"
            && is_path(&attribute.value))
        .then(|| PATH.to_string()),
        Expr::BinOp(binop) => {
            (binop.op == ast::Operator::Div && is_path(&binop.left)).then(|| PATH.to_string())
        }
        _ => None,
    }
}
