//! Whether a Rust file is a test or a benchmark by its content: a `#[test]`
//! (or `#[bench]`, `#[tokio::test]`) function at its top level (an
//! integration test, or a test module kept in a file of its own), a
//! benchmark harness (`criterion`, `divan`), or a top-level `fn main` that
//! asserts (an integration test without the test harness, `harness =
//! false`: a service's `main` does not assert). Such a file runs for a test
//! and exits.

use syn::visit::Visit;

/// Crates whose use makes a file a benchmark.
const BENCH_CRATES: &[&str] = &["criterion", "divan"];

/// True for a test or benchmark file (see the module docs).
pub(crate) fn is_test_file(file: &syn::File) -> bool {
    file.items.iter().any(|item| match item {
        syn::Item::Fn(function) => {
            function.attrs.iter().any(is_test_function_attribute)
                || (function.sig.ident == "main" && asserts(function))
        }
        syn::Item::Use(item_use) => {
            use_root(&item_use.tree).is_some_and(|root| BENCH_CRATES.contains(&root.as_str()))
        }
        _ => false,
    })
}

/// `#[test]`, `#[tokio::test]`, `#[bench]`; not `#[cfg(test)]`, which a
/// library's helper may carry.
pub(crate) fn is_test_function_attribute(attr: &syn::Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == "test" || segment.ident == "bench")
}

/// True when the function's body uses `assert!`, `assert_eq!`, ...
fn asserts(function: &syn::ItemFn) -> bool {
    struct Asserts(bool);
    impl<'ast> Visit<'ast> for Asserts {
        fn visit_macro(&mut self, mac: &'ast syn::Macro) {
            self.0 |= mac
                .path
                .segments
                .last()
                .is_some_and(|segment| segment.ident.to_string().starts_with("assert"));
        }
    }
    let mut found = Asserts(false);
    found.visit_block(&function.block);
    found.0
}

fn use_root(tree: &syn::UseTree) -> Option<String> {
    match tree {
        syn::UseTree::Path(path) => Some(path.ident.to_string()),
        syn::UseTree::Name(name) => Some(name.ident.to_string()),
        syn::UseTree::Rename(rename) => Some(rename.ident.to_string()),
        _ => None,
    }
}
