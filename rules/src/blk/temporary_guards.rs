//! Rust lock guards created as temporaries inside an awaited operand:
//! `tx.send(state.lock().unwrap().clone()).await`. A temporary lives to the
//! end of its statement, so the guard is alive while the task waits.

use std::collections::HashSet;

use crate::api::Span;
use crate::rust::{span_of, strip_result_handling, Guard, RsContext};

/// An `.await` seen so far, for temporaries in its operand.
struct AwaitedOperand {
    frame: Option<Span>,
    operand: Span,
    await_token: Span,
}

/// Tracks, during the one walk, the awaited operands that may still contain
/// what comes next, the blocks inside them (whose statements end their own
/// temporaries) and the values used in place.
#[derive(Default)]
pub struct TemporaryGuards {
    awaited: Vec<AwaitedOperand>,
    scopes: Vec<Span>,
    used_in_place: HashSet<Span>,
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// The value `expr` uses in place, keeping a temporary of it alive: a
/// method receiver (other than `unwrap`-like pass-throughs), a field base, a
/// dereferenced or indexed value.
fn used_in_place(expr: &syn::Expr) -> Option<&syn::Expr> {
    match expr {
        syn::Expr::MethodCall(call) => {
            let passes_through = !std::ptr::eq(strip_result_handling(expr), expr);
            (!passes_through).then_some(&*call.receiver)
        }
        syn::Expr::Field(field) => Some(&field.base),
        syn::Expr::Index(index) => Some(&index.expr),
        syn::Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Deref(_)) => Some(&unary.expr),
        _ => None,
    }
}

impl TemporaryGuards {
    /// Call for every expression in async code, in walk order. Returns a
    /// blocking guard created as a temporary inside an awaited operand, with
    /// the `.await` it is alive across.
    pub fn on_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr) -> Option<(Guard, Span)> {
        // The walk goes forward through the source: an operand that ends
        // before this expression starts cannot contain anything still to come.
        let start = span_of(expr).start;
        self.awaited.retain(|awaited| awaited.operand.end > start);
        self.scopes.retain(|scope| scope.end > start);
        self.used_in_place.retain(|value| value.end > start);
        match expr {
            syn::Expr::Await(await_expr) => self.awaited.push(AwaitedOperand {
                frame: cx.frame().map(|frame| frame.span),
                operand: span_of(&await_expr.base),
                await_token: span_of(&await_expr.await_token),
            }),
            syn::Expr::Block(_)
            | syn::Expr::If(_)
            | syn::Expr::Match(_)
            | syn::Expr::Loop(_)
            | syn::Expr::While(_)
            | syn::Expr::ForLoop(_)
            | syn::Expr::Unsafe(_)
            | syn::Expr::Closure(_)
            | syn::Expr::Async(_) => {
                let span = span_of(expr);
                if self
                    .awaited
                    .iter()
                    .any(|awaited| contains(awaited.operand, span))
                {
                    self.scopes.push(span);
                }
            }
            _ => {}
        }
        if let Some(value) = used_in_place(expr) {
            self.used_in_place.insert(span_of(value));
        }
        self.temporary_guard(cx, expr)
    }

    fn temporary_guard(&self, cx: &RsContext<'_>, expr: &syn::Expr) -> Option<(Guard, Span)> {
        // Used in place (`m.lock().unwrap().clone()`), not handed on: a bare
        // `m.lock()` passed to a combinator is an async lock's future.
        if !self.used_in_place.contains(&span_of(expr)) {
            return None;
        }
        let guard = cx.guard_of(expr)?;
        // `m.lock().await` anywhere in the operand: an async lock.
        if self
            .awaited
            .iter()
            .any(|awaited| awaited.operand == guard.span)
        {
            return None;
        }
        let frame = cx.frame().map(|frame| frame.span);
        // Not when a block, closure or branch lies in between.
        let awaited = self.awaited.iter().find(|awaited| {
            awaited.frame == frame
                && contains(awaited.operand, guard.span)
                && !self
                    .scopes
                    .iter()
                    .any(|scope| contains(awaited.operand, *scope) && contains(*scope, guard.span))
        })?;
        Some((guard, awaited.await_token))
    }
}
