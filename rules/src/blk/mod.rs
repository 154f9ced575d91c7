//! BLK: blocking calls inside async code.
//!
//! A call is in async code when its innermost enclosing function is
//! `async def` / `async fn` / an `async` block; the checkers track that.
//! This module holds what the BLK rules share: the list of blocking Rust
//! APIs (one file, also read by `#[nonblocking]`), the call matchers, the
//! Python receiver types they use, the non-blocking regions they skip, and
//! BLK005's tracking of Rust guards created as temporaries.

pub mod blocking_file_io_in_async;
pub mod blocking_network_in_async;
pub mod blocking_sleep_in_async;
pub mod blocking_subprocess_in_async;
mod non_blocking_regions;
mod python_types;
pub mod sync_lock_held_across_await;
mod temporary_guards;
pub mod transitively_blocking_call_in_async;

mod call_facts_python;
mod call_facts_rust;
mod call_graph;

use std::sync::LazyLock;

use ruff_python_ast::{self as ast, Expr};

pub use call_graph::{link_project, CallFacts, FileFacts, ProjectFinding};
pub use non_blocking_regions::{AwaitedCalls, NonBlockingRegions, NonBlockingSockets};
pub use python_types::python_value_type;
pub use temporary_guards::{is_async_lock, TemporaryGuards, TemporaryPlace};

use crate::api::Span;
use crate::python::PyContext;
use crate::rust::{span_of, RsContext};

/// The first half of a BLK001-BLK004 check: which blocking API a call
/// calls, whatever the context. The rules report it in async code; BLK006
/// asks the same question about the bodies of sync functions, so that both
/// agree on what blocks.
pub(crate) trait BlockingMatcher: Send {
    /// The rule's code: `BLK004`.
    fn code(&self) -> &'static str;

    /// Updates per-file state (non-blocking sockets, awaited calls); call
    /// for every statement, in walk order.
    fn observe_python_stmt(&mut self, _cx: &PyContext<'_>, _stmt: &ast::Stmt) {}

    /// Updates per-file state; call for every expression, in walk order,
    /// before [`python_blocking`](Self::python_blocking).
    fn observe_python_expr(&mut self, _cx: &PyContext<'_>, _expr: &Expr) {}

    /// The blocking API `expr` calls, e.g. `builtins.open`.
    fn python_blocking(&self, cx: &PyContext<'_>, expr: &Expr) -> Option<String>;

    /// Updates per-file state; call for every expression, in walk order.
    fn observe_rust_expr(&mut self, _cx: &RsContext<'_>, _expr: &syn::Expr) {}

    /// The blocking API `expr` calls, e.g. `std::fs::read`.
    fn rust_blocking(&self, cx: &RsContext<'_>, expr: &syn::Expr) -> Option<String>;
}

/// The matchers of BLK001-BLK004, fresh for one file.
pub(crate) fn blocking_matchers() -> Vec<Box<dyn BlockingMatcher>> {
    vec![
        blocking_sleep_in_async::blocking_matcher(),
        blocking_network_in_async::blocking_matcher(),
        blocking_subprocess_in_async::blocking_matcher(),
        blocking_file_io_in_async::blocking_matcher(),
    ]
}

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

#[cfg(test)]
mod tests;
