//! BLK: blocking calls inside async code.
//!
//! A call is in async code when its innermost enclosing function is
//! `async def` / `async fn` / an `async` block; the checkers track that.
//! This module holds what the BLK rules share: the list of blocking Rust
//! APIs (one file, also read by `#[nonblocking]`) and the call matchers.

pub mod blocking_file_io_in_async;
pub mod blocking_network_in_async;
pub mod blocking_sleep_in_async;
pub mod blocking_subprocess_in_async;
pub mod sync_lock_held_across_await;

use std::sync::LazyLock;

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use crate::api::Span;
use crate::python::PyContext;
use crate::rust::{span_of, RsContext};

/// One line of `rules/data/rust_blocking_apis.txt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RustBlockingApi {
    pub code: &'static str,
    pub kind: ApiKind,
    /// Full path; a trailing `::*` matches everything below the module.
    pub path: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiKind {
    /// Called by path: `std::thread::sleep(..)`.
    Function,
    /// `Type::method`, called as a method on a value of `Type`.
    Method,
}

const RUST_BLOCKING_APIS_TXT: &str = include_str!("../../data/rust_blocking_apis.txt");

/// The blocking Rust APIs, parsed once from the shared data file.
pub static RUST_BLOCKING_APIS: LazyLock<Vec<RustBlockingApi>> =
    LazyLock::new(|| parse_blocking_apis(RUST_BLOCKING_APIS_TXT));

fn parse_blocking_apis(text: &'static str) -> Vec<RustBlockingApi> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let code = parts.next()?;
            let kind = match parts.next()? {
                "fn" => ApiKind::Function,
                "method" => ApiKind::Method,
                _ => return None,
            };
            Some(RustBlockingApi {
                code,
                kind,
                path: parts.next()?,
            })
        })
        .collect()
}

/// True when `path` is `pattern` or, for `module::*`, anything below it.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix("::*") {
        Some(module) => path
            .strip_prefix(module)
            .is_some_and(|rest| rest.starts_with("::")),
        None => pattern == path,
    }
}

/// The blocking function a Rust call expression calls, for rule `code`:
/// the listed APIs plus `blocking-functions` from the configuration.
pub fn rust_blocking_callee(cx: &RsContext<'_>, expr: &syn::Expr, code: &str) -> Option<String> {
    match expr {
        syn::Expr::Call(call) => {
            let callee = cx.callee_path(call)?;
            let listed = RUST_BLOCKING_APIS
                .iter()
                .filter(|api| api.code == code && api.kind == ApiKind::Function)
                .any(|api| path_matches(api.path, &callee));
            let configured = cx
                .settings()
                .blocking_functions_for(code)
                .any(|pattern| path_matches(pattern, &callee));
            (listed || configured).then_some(callee)
        }
        syn::Expr::MethodCall(call) => {
            let ty = cx.infer_type(&call.receiver)?;
            let method = format!("{ty}::{}", call.method);
            let listed = RUST_BLOCKING_APIS
                .iter()
                .filter(|api| api.code == code && api.kind == ApiKind::Method)
                .any(|api| api.path == method);
            let configured = cx
                .settings()
                .blocking_functions_for(code)
                .any(|pattern| pattern == method);
            (listed || configured).then_some(method)
        }
        _ => None,
    }
}

/// Where a Rust blocking call is reported: the whole call for a path call,
/// from the method name on for a method call, so that a finding in a
/// multi-line builder chain sits on the line of the blocking method.
pub fn rust_call_span(expr: &syn::Expr) -> Span {
    let whole = span_of(expr);
    match expr {
        syn::Expr::MethodCall(call) => Span::new(span_of(&call.method).start, whole.end),
        _ => whole,
    }
}

/// The qualified name of a Python call's callee when it is one of `names`
/// (or configured for rule `code`).
///
/// A method called on an object whose constructor the file shows is named
/// `type.method`: `s.get(..)` after `s = requests.Session()` is
/// `requests.Session.get`, `(Path(__file__).parent / "x").read_text()` is
/// `pathlib.Path.read_text`.
pub fn python_blocking_callee(
    cx: &PyContext<'_>,
    call: &ast::ExprCall,
    names: &[&str],
    code: &str,
) -> Option<String> {
    let is_blocking = |name: &str| {
        names.contains(&name)
            || cx
                .settings()
                .blocking_functions_for(code)
                .any(|extra| extra == name)
    };
    if let Some(name) = cx.resolve(&call.func) {
        return is_blocking(&name).then_some(name);
    }
    let Expr::Attribute(method) = call.func.as_ref() else {
        return None;
    };
    let ty = python_value_type(cx, &method.value)?;
    let name = format!("{ty}.{}", method.attr);
    is_blocking(&name).then_some(name)
}

/// Exceptions that only a non-blocking file descriptor or socket raises.
const WOULD_BLOCK_ERRORS: &[&str] = &[
    "builtins.BlockingIOError",
    "ssl.SSLWantReadError",
    "ssl.SSLWantWriteError",
];

/// The bodies of `try` statements that catch `BlockingIOError` (or ssl's
/// want-read/want-write): code whose author put the descriptor in
/// non-blocking mode and waits for readiness in the handler, as event loops
/// themselves do. Calls inside are not blocking.
#[derive(Default)]
pub struct NonBlockingRegions {
    bodies: Vec<TextRange>,
}

impl NonBlockingRegions {
    /// Records `stmt` if it is such a `try`; call from `on_stmt`, which runs
    /// before the body's expressions are visited.
    pub fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt) {
        let Stmt::Try(try_stmt) = stmt else { return };
        let (Some(first), Some(last)) = (try_stmt.body.first(), try_stmt.body.last()) else {
            return;
        };
        let catches_would_block = try_stmt.handlers.iter().any(|handler| {
            let ast::ExceptHandler::ExceptHandler(handler) = handler;
            let caught: Vec<&Expr> = match handler.type_.as_deref() {
                Some(Expr::Tuple(tuple)) => tuple.elts.iter().collect(),
                Some(single) => vec![single],
                None => Vec::new(),
            };
            caught.into_iter().any(|exception| {
                cx.resolve(exception)
                    .is_some_and(|name| WOULD_BLOCK_ERRORS.contains(&name.as_str()))
            })
        });
        if catches_would_block {
            self.bodies
                .push(TextRange::new(first.range().start(), last.range().end()));
        }
    }

    pub fn contains(&self, node: &impl Ranged) -> bool {
        let range = node.range();
        self.bodies.iter().any(|body| body.contains_range(range))
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Settings;
    use crate::REGISTRY;

    /// (line, code) of every finding of all rules on a snippet.
    fn findings(source: &str, is_python: bool, settings: &Settings) -> Vec<(usize, &'static str)> {
        let rules: Vec<_> = REGISTRY.iter().collect();
        let diagnostics = if is_python {
            let parsed = ruff_python_parser::parse_module(source).expect("valid Python");
            crate::python::check(parsed.syntax(), source, settings, &rules)
        } else {
            let file = syn::parse_file(source).expect("valid Rust");
            crate::rust::check(&file, source, settings, &rules)
        };
        let mut found: Vec<_> = diagnostics
            .iter()
            .map(|d| {
                let line = source[..d.span.start as usize].matches('\n').count() + 1;
                (line, d.rule.code)
            })
            .collect();
        found.sort();
        found
    }

    fn configured(entries: &[(&'static str, &str)]) -> Settings {
        Settings {
            blocking_functions: entries
                .iter()
                .map(|(code, path)| (*code, path.to_string()))
                .collect(),
            ..Settings::default()
        }
    }

    #[test]
    fn configured_python_functions_and_methods_are_blocking_for_their_rule() {
        let source = "\
from mylib import fetch as get_it
import mylib
async def handler():
    get_it(1)
    client = mylib.Client()
    client.pull()
    mylib.spawn()
def worker():
    get_it(2)
";
        let settings = configured(&[
            ("BLK002", "mylib.fetch"),
            ("BLK002", "mylib.Client.pull"),
            ("BLK003", "mylib.spawn"),
        ]);
        assert_eq!(
            findings(source, true, &settings),
            [(4, "BLK002"), (6, "BLK002"), (7, "BLK003")]
        );
        assert_eq!(findings(source, true, &Settings::default()), []);
    }

    #[test]
    fn configured_rust_functions_and_methods_are_blocking_for_their_rule() {
        let source = "\
use mylib::fetch as get_it;
async fn handler() {
    get_it();
    let client = mylib::Client::new();
    client.pull();
}
fn worker() {
    get_it();
}
";
        let settings = configured(&[
            ("BLK004", "mylib::fetch"),
            ("BLK002", "mylib::Client::pull"),
        ]);
        assert_eq!(
            findings(source, false, &settings),
            [(3, "BLK004"), (5, "BLK002")]
        );
        assert_eq!(findings(source, false, &Settings::default()), []);
    }

    #[test]
    fn rebound_python_names_lose_their_constructed_type() {
        let source = "\
import subprocess
async def handler(jobs):
    proc = subprocess.Popen(['true'])
    proc.wait()
    proc, other = jobs
    proc.wait()
    proc = subprocess.Popen(['true'])
    for proc in jobs:
        proc.wait()
    proc = subprocess.Popen(['true'])
    from jobs import proc
    proc.wait()
";
        assert_eq!(
            findings(source, true, &Settings::default()),
            [(4, "BLK003")]
        );
    }

    #[test]
    fn shadowing_rust_lets_lose_their_constructed_type() {
        let source = "\
use std::process::Command;
async fn handler(job: Job) {
    let mut child = Command::new(\"true\").spawn().unwrap();
    child.wait();
    let child = job;
    child.wait();
}
";
        assert_eq!(
            findings(source, false, &Settings::default()),
            [(4, "BLK003")]
        );
    }

    #[test]
    fn data_file_parses_completely() {
        let listed = RUST_BLOCKING_APIS_TXT
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
            .count();
        assert_eq!(RUST_BLOCKING_APIS.len(), listed);
        assert!(RUST_BLOCKING_APIS
            .iter()
            .all(|api| api.code.starts_with("BLK") && api.path.contains("::")));
    }

    #[test]
    fn module_wildcards_match_only_below_the_module() {
        assert!(path_matches("std::fs::*", "std::fs::read_to_string"));
        assert!(path_matches("std::fs::*", "std::fs::File::open"));
        assert!(!path_matches("std::fs::*", "std::fsx::read"));
        assert!(!path_matches("std::fs::*", "std::fs"));
        assert!(path_matches("std::thread::sleep", "std::thread::sleep"));
        assert!(!path_matches("std::thread::sleep", "std::thread::sleep_ms"));
    }
}
