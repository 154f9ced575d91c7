//! BLK: blocking calls inside async code.
//!
//! A call is in async code when its innermost enclosing function is
//! `async def` / `async fn` / an `async` block; the checkers track that.
//! This module holds what the BLK rules share: the list of blocking Rust
//! APIs (one file, also read by `#[nonblocking]`) and the call matchers.

pub mod blocking_sleep_in_async;

use std::sync::LazyLock;

use ruff_python_ast::{self as ast};

use crate::python::PyContext;
use crate::rust::RsContext;

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

/// The qualified name of a Python call's callee when it is one of `names`
/// (or configured for rule `code`).
pub fn python_blocking_callee(
    cx: &PyContext<'_>,
    call: &ast::ExprCall,
    names: &[&str],
    code: &str,
) -> Option<String> {
    let name = cx.resolve(&call.func)?;
    let listed = names.contains(&name.as_str());
    let configured = cx
        .settings()
        .blocking_functions_for(code)
        .any(|extra| extra == name);
    (listed || configured).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

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
