//! What the Rust rules (SGL001, SHR001) share about `static mut` items.

use crate::api::Span;
use crate::rust::{span_of, RsContext};

/// What the Rust rules share about `static mut` items: where a store is a
/// lazy initialisation (`if X.is_none() { X = Some(..) }`) and where it runs
/// inside `Once::call_once`, which synchronises it.
#[derive(Default)]
pub(crate) struct StaticMutRegions {
    /// `(static, then-branch)` of each `if X.is_none()` / `X.is_null()`.
    unset_checks: Vec<(String, Span)>,
    /// Closures passed to `call_once` / `call_once_force`.
    once_closures: Vec<Span>,
}

impl StaticMutRegions {
    /// Fed every expression in walk order (pre-order).
    pub(crate) fn on_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr) {
        match expr {
            syn::Expr::If(if_expr) => {
                if let Some(name) = rust_unset_static(cx, &if_expr.cond) {
                    self.unset_checks
                        .push((name, span_of(&if_expr.then_branch)));
                }
            }
            syn::Expr::MethodCall(call)
                if matches!(
                    call.method.to_string().as_str(),
                    "call_once" | "call_once_force"
                ) =>
            {
                self.once_closures.extend(call.args.iter().map(span_of));
            }
            _ => {}
        }
    }

    /// True when a store to `name` at `span` completes an `if name.is_none()`.
    pub(crate) fn is_lazy_init(&self, name: &str, span: Span) -> bool {
        self.unset_checks
            .iter()
            .any(|(checked, body)| checked == name && contains(*body, span))
    }

    /// True when `span` is inside a closure run by `Once::call_once`.
    pub(crate) fn in_once(&self, span: Span) -> bool {
        self.once_closures
            .iter()
            .any(|closure| contains(*closure, span))
    }
}

/// True when the file allows rustc's `static_mut_refs` lint: its authors
/// reviewed their `static mut` accesses (typically single-threaded targets
/// such as wasm) and said so.
pub(crate) fn allows_static_mut_refs(cx: &RsContext<'_>) -> bool {
    let source = cx.source();
    source.contains("allow(static_mut_refs)") || source.contains("expect(static_mut_refs")
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// The `static mut` an `if` condition finds unset: `X.is_none()`,
/// `X.is_null()`, `X == None`, `X.is_none() || ..`.
fn rust_unset_static(cx: &RsContext<'_>, cond: &syn::Expr) -> Option<String> {
    match cond {
        syn::Expr::MethodCall(call)
            if matches!(call.method.to_string().as_str(), "is_none" | "is_null") =>
        {
            static_mut_root(cx, &call.receiver)
        }
        syn::Expr::Binary(binary) => match binary.op {
            syn::BinOp::Eq(_) if is_none_path(&binary.right) => static_mut_root(cx, &binary.left),
            syn::BinOp::Or(_) | syn::BinOp::And(_) => {
                rust_unset_static(cx, &binary.left).or_else(|| rust_unset_static(cx, &binary.right))
            }
            _ => None,
        },
        syn::Expr::Paren(paren) => rust_unset_static(cx, &paren.expr),
        syn::Expr::Unsafe(block) => match block.block.stmts.as_slice() {
            [syn::Stmt::Expr(inner, None)] => rust_unset_static(cx, inner),
            _ => None,
        },
        _ => None,
    }
}

fn is_none_path(expr: &syn::Expr) -> bool {
    matches!(expr, syn::Expr::Path(path) if path.path.is_ident("None"))
}

/// The `static mut` an place expression is rooted at: `X`, `X.field`,
/// `X[i]`, `*X`, `(X)`, `crate::X`.
pub(crate) fn static_mut_root(cx: &RsContext<'_>, expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Path(path) if path.qself.is_none() => {
            let segments = &path.path.segments;
            let last = segments.last()?.ident.to_string();
            let prefix_is_local = segments.iter().take(segments.len() - 1).all(|segment| {
                matches!(
                    segment.ident.to_string().as_str(),
                    "crate" | "self" | "super"
                )
            });
            (prefix_is_local && cx.is_static_mut(&last)).then_some(last)
        }
        syn::Expr::Field(field) => static_mut_root(cx, &field.base),
        syn::Expr::Index(index) => static_mut_root(cx, &index.expr),
        syn::Expr::Paren(paren) => static_mut_root(cx, &paren.expr),
        syn::Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Deref(_)) => {
            static_mut_root(cx, &unary.expr)
        }
        _ => None,
    }
}
