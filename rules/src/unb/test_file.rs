//! Whether a whole file is test or benchmark code, by its place in the
//! project (see `FilePlace`) or by its content: a Rust file with a `#[test]` function at its top
//! level (an integration test, or a test module kept in a file of its own)
//! or one that uses a benchmark harness (`criterion`, `divan`); a Python
//! module that imports `pytest` or defines a `test_*` function at module
//! level. Such a file runs for a test, not for the life of a service.

use ruff_python_ast::Stmt;

use crate::api::Span;
use crate::python::PyContext;
use crate::rust::{span_of, RsContext};
use crate::unb::test_code::is_test_attribute;

/// Crates whose use makes a Rust file a benchmark.
const BENCH_CRATES: &[&str] = &["criterion", "divan"];

#[derive(Default)]
pub(crate) struct TestFile {
    modules: Vec<Span>,
    is_test: bool,
}

impl TestFile {
    pub(crate) fn is_test(&self) -> bool {
        self.is_test
    }

    /// Items come pre-order: a module is seen before the functions in it.
    pub(crate) fn note_rust_item(&mut self, cx: &RsContext<'_>, item: &syn::Item) {
        self.is_test |= cx.in_test_support();
        match item {
            syn::Item::Mod(module) if module.content.is_some() => {
                self.modules.push(span_of(item));
            }
            syn::Item::Fn(function) if function.attrs.iter().any(is_test_attribute) => {
                let span = span_of(item);
                let nested = self
                    .modules
                    .iter()
                    .any(|module| module.start <= span.start && span.end <= module.end);
                self.is_test |= !nested;
            }
            syn::Item::Use(item_use) => {
                self.is_test |= use_root(&item_use.tree)
                    .is_some_and(|root| BENCH_CRATES.contains(&root.as_str()));
            }
            _ => {}
        }
    }

    pub(crate) fn note_python_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt) {
        let is_test = match stmt {
            Stmt::Import(import) => import
                .names
                .iter()
                .any(|alias| is_pytest(alias.name.as_str())),
            Stmt::ImportFrom(import) => import
                .module
                .as_ref()
                .is_some_and(|module| is_pytest(module.as_str())),
            Stmt::FunctionDef(def) => {
                def.name.starts_with("test_") && cx.function().is_none() && cx.class().is_none()
            }
            _ => false,
        };
        self.is_test |= is_test || cx.in_test_support();
    }
}

fn is_pytest(module: &str) -> bool {
    module.split('.').next() == Some("pytest")
}

fn use_root(tree: &syn::UseTree) -> Option<String> {
    match tree {
        syn::UseTree::Path(path) => Some(path.ident.to_string()),
        syn::UseTree::Name(name) => Some(name.ident.to_string()),
        syn::UseTree::Rename(rename) => Some(rename.ident.to_string()),
        _ => None,
    }
}
