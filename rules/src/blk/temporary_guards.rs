//! Rust lock guards that no `let` binds but that are alive across an
//! `.await` all the same, because temporaries live to the end of their
//! statement:
//! - created inside an awaited operand:
//!   `tx.send(state.lock().unwrap().clone()).await`;
//! - created in the scrutinee of a `match`, `if let` or `while let`, which
//!   lives through its arms: `match m.lock().unwrap().get(k) { .. => x.await }`.

use rustc_hash::FxHashSet as HashSet;

use crate::api::Span;
use crate::rust::{span_of, strip_result_handling, Guard, RsContext};

/// Where a temporary guard was created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemporaryPlace {
    /// Inside the operand of the `.await` it is alive across.
    AwaitedOperand,
    /// In a `match` / `if let` / `while let` scrutinee whose body awaits.
    Scrutinee,
}

/// A temporary guard alive across an `.await`.
pub struct TemporaryGuard {
    pub guard: Guard,
    pub place: TemporaryPlace,
    pub await_token: Span,
}

/// An `.await` seen so far, for temporaries in its operand.
struct AwaitedOperand {
    frame: Option<Span>,
    operand: Span,
    await_token: Span,
}

/// A `match` / `if let` / `while let` seen so far: its scrutinee's
/// temporaries are alive in `body` (the arms, or the `if let` block).
struct Scrutinee {
    frame: Option<Span>,
    scrutinee: Span,
    body: Span,
}

/// Tracks, during the one walk, the places still open that may hold
/// temporary guards, the blocks inside awaited operands (whose statements
/// end their own temporaries), the values used in place, and the scrutinee
/// guards waiting for an `.await` in their body.
#[derive(Default)]
pub struct TemporaryGuards {
    awaited: Vec<AwaitedOperand>,
    scopes: Vec<Span>,
    used_in_place: HashSet<Span>,
    scrutinees: Vec<Scrutinee>,
    scrutinee_guards: Vec<(Guard, Option<Span>, Span)>,
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

/// `(scrutinee, body)` of a `match`, `if let` or `while let`.
fn scrutinee_and_body(expr: &syn::Expr) -> Option<(Span, Span)> {
    match expr {
        syn::Expr::Match(match_expr) => {
            let first = match_expr.arms.first()?;
            let body = Span::new(span_of(first).start, span_of(expr).end);
            Some((span_of(&match_expr.expr), body))
        }
        syn::Expr::If(if_expr) => match if_expr.cond.as_ref() {
            syn::Expr::Let(let_expr) => {
                Some((span_of(&let_expr.expr), span_of(&if_expr.then_branch)))
            }
            _ => None,
        },
        syn::Expr::While(while_expr) => match while_expr.cond.as_ref() {
            syn::Expr::Let(let_expr) => Some((span_of(&let_expr.expr), span_of(&while_expr.body))),
            _ => None,
        },
        _ => None,
    }
}

impl TemporaryGuards {
    /// Call for every expression in async code, in walk order. Returns the
    /// temporary guards alive across the `.await` that `expr` is (or, for a
    /// guard created inside an awaited operand, is inside of).
    pub fn on_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr) -> Vec<TemporaryGuard> {
        // The walk goes forward through the source: a place that ends before
        // this expression starts cannot contain anything still to come.
        let span = span_of(expr);
        self.awaited
            .retain(|awaited| awaited.operand.end > span.start);
        self.scopes.retain(|scope| scope.end > span.start);
        self.used_in_place.retain(|value| value.end > span.start);
        self.scrutinees.retain(|place| place.body.end > span.start);
        self.scrutinee_guards
            .retain(|(_, _, body)| body.end > span.start);
        let frame = cx.frame().map(|frame| frame.span);
        let mut found = Vec::new();
        if let syn::Expr::Await(await_expr) = expr {
            let await_token = span_of(&await_expr.await_token);
            found.extend(
                self.scrutinee_guards
                    .iter()
                    .filter(|(_, guard_frame, body)| *guard_frame == frame && contains(*body, span))
                    .map(|(guard, _, _)| TemporaryGuard {
                        guard: guard.clone(),
                        place: TemporaryPlace::Scrutinee,
                        await_token,
                    }),
            );
            self.awaited.push(AwaitedOperand {
                frame,
                operand: span_of(&await_expr.base),
                await_token,
            });
        }
        if let Some((scrutinee, body)) = scrutinee_and_body(expr) {
            self.scrutinees.push(Scrutinee {
                frame,
                scrutinee,
                body,
            });
        }
        if is_scope(expr)
            && self
                .awaited
                .iter()
                .any(|awaited| contains(awaited.operand, span))
        {
            self.scopes.push(span);
        }
        if let Some(value) = used_in_place(expr) {
            self.used_in_place.insert(span_of(value));
        }
        found.extend(self.temporary_guard(cx, expr, frame));
        found
    }

    /// Handles a guard-acquiring expression: returns it when it is a
    /// temporary inside an awaited operand; remembers it when it is created
    /// in a scrutinee, for the awaits of the body.
    fn temporary_guard(
        &mut self,
        cx: &RsContext<'_>,
        expr: &syn::Expr,
        frame: Option<Span>,
    ) -> Option<TemporaryGuard> {
        let span = span_of(expr);
        let in_place = self.used_in_place.contains(&span);
        let whole_scrutinee = self.scrutinees.iter().any(|place| place.scrutinee == span);
        // Used in place (`m.lock().unwrap().clone()`) or matched on, not
        // handed on: a bare `m.lock()` passed to a combinator is an async
        // lock's future.
        if !in_place && !whole_scrutinee {
            return None;
        }
        let guard = cx.guard_of(expr)?;
        // `m.lock().await` anywhere: an async lock.
        if guard.is_async
            || is_async_lock(cx, expr)
            || self
                .awaited
                .iter()
                .any(|awaited| awaited.operand == guard.span)
        {
            return None;
        }
        if let Some(place) = self
            .scrutinees
            .iter()
            .find(|place| place.frame == frame && contains(place.scrutinee, guard.span))
        {
            self.scrutinee_guards
                .push((guard.clone(), frame, place.body));
        }
        // Not when a block, closure or branch lies in between.
        let awaited = self.awaited.iter().find(|awaited| {
            awaited.frame == frame
                && contains(awaited.operand, guard.span)
                && !self
                    .scopes
                    .iter()
                    .any(|scope| contains(awaited.operand, *scope) && contains(*scope, guard.span))
        })?;
        Some(TemporaryGuard {
            guard,
            place: TemporaryPlace::AwaitedOperand,
            await_token: awaited.await_token,
        })
    }
}

/// Expressions whose inner statements end their own temporaries.
fn is_scope(expr: &syn::Expr) -> bool {
    matches!(
        expr,
        syn::Expr::Block(_)
            | syn::Expr::If(_)
            | syn::Expr::Match(_)
            | syn::Expr::Loop(_)
            | syn::Expr::While(_)
            | syn::Expr::ForLoop(_)
            | syn::Expr::Unsafe(_)
            | syn::Expr::Closure(_)
            | syn::Expr::Async(_)
    )
}

/// Modules of async locks, whose `try_lock()` guards may be held across an
/// `.await`.
const ASYNC_LOCK_MODULES: &[&str] = &[
    "tokio::sync::",
    "async_lock::",
    "async_std::sync::",
    "futures::lock::",
    "futures_util::lock::",
    "futures_locks::",
];

/// True when `acquisition` (`m.try_lock()`, `m.lock()`, possibly unwrapped)
/// locks a value whose declared or constructed type is an async lock.
pub fn is_async_lock(cx: &RsContext<'_>, acquisition: &syn::Expr) -> bool {
    let syn::Expr::MethodCall(call) = strip_result_handling(acquisition) else {
        return false;
    };
    cx.infer_type(&call.receiver).is_some_and(|ty| {
        ASYNC_LOCK_MODULES
            .iter()
            .any(|module| ty.starts_with(module))
    })
}
