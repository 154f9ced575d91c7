//! Where a file's test code is, so the UNB rules can stay quiet in it: a
//! queue or cache in a test lives for one test, not for the life of a
//! service. All of a test file is (see `PyContext::in_test_file`). Rules feed
//! items and statements from their hooks (pre-order, so the enclosing test
//! is known before its body) and ask by span.

use ruff_python_ast::{self as ast, Stmt};

use crate::api::Span;
use crate::python::{is_test_function_name, PyContext};
use crate::rust::{is_test_function_attribute, span_of, RsContext};

#[derive(Default)]
pub(crate) struct TestCode {
    regions: Vec<Span>,
    /// The whole file is test code, by its place or its content.
    whole_file: bool,
}

impl TestCode {
    pub(crate) fn contains(&self, span: Span) -> bool {
        self.whole_file
            || self
                .regions
                .iter()
                .any(|region| region.start <= span.start && span.end <= region.end)
    }

    /// `#[test]`, `#[tokio::test]`, `#[bench]` functions and
    /// `#[cfg(test)]` items.
    pub(crate) fn note_rust_item(&mut self, cx: &RsContext<'_>, item: &syn::Item) {
        self.whole_file |= cx.in_test_file();
        let attrs = match item {
            syn::Item::Fn(item) => &item.attrs,
            syn::Item::Mod(item) => &item.attrs,
            syn::Item::Impl(item) => &item.attrs,
            _ => return,
        };
        if attrs.iter().any(is_test_attribute) {
            self.regions.push(span_of(item));
        }
    }

    /// `def test_*`, and classes that are test cases by name or base.
    pub(crate) fn note_python_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt) {
        self.whole_file |= cx.in_test_file();
        let is_test = match stmt {
            Stmt::FunctionDef(def) => is_test_function_name(def.name.as_str()),
            Stmt::ClassDef(class) => is_test_class(cx, class),
            _ => false,
        };
        if is_test {
            self.regions.push(stmt.into());
        }
    }
}

/// A test function's attribute (`#[test]`, `#[bench]`) or `#[cfg(test)]`.
fn is_test_attribute(attr: &syn::Attribute) -> bool {
    is_test_function_attribute(attr)
        || (attr
            .path()
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "cfg")
            && attr
                .parse_args::<syn::Ident>()
                .is_ok_and(|ident| ident == "test"))
}

fn is_test_class(cx: &PyContext<'_>, class: &ast::StmtClassDef) -> bool {
    let name = class.name.as_str();
    if name.starts_with("Test") || name.ends_with("Test") || name.ends_with("Tests") {
        return true;
    }
    class.bases().iter().any(|base| {
        cx.resolve(base)
            .is_some_and(|base| base.starts_with("unittest.") && base.ends_with("TestCase"))
    })
}
