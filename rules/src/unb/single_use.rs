//! Queues and channels used as a one-shot reply slot: created in a
//! function, bound to a local, received from at most once and not in a
//! loop, and never handed on as a whole (returned, stored, iterated). At
//! most one item is ever taken out and the buffer dies with the function,
//! so the missing capacity cannot grow memory: UNB001 holds its finding
//! for such a local until the function ends and drops it if the local
//! turned out to be used that way.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use ruff_python_ast::{Expr, Stmt};

use crate::api::{Diagnostic, Span};
use crate::python::PyContext;
use crate::rust::{span_of, RsContext};

/// Python queue methods that take an item out.
const PY_RECEIVES: &[&str] = &["get", "get_nowait"];
/// Python queue methods that neither take items out nor hand the queue on.
const PY_NEUTRAL: &[&str] = &[
    "put",
    "put_nowait",
    "empty",
    "qsize",
    "full",
    "task_done",
    "close",
    "join_thread",
    "cancel_join_thread",
];
/// Rust receiver methods that take one item out.
const RS_RECEIVES: &[&str] = &[
    "recv",
    "try_recv",
    "recv_timeout",
    "recv_deadline",
    "recv_async",
    "blocking_recv",
];

/// A finding held until the function that binds the queue ends.
struct Held {
    diagnostic: Diagnostic,
    /// The local that receives: the queue, or the channel's receiver.
    local: String,
    /// Function (Python) or frame (Rust) depth of the binding.
    depth: usize,
    /// Where the binding starts: loops that begin before it repeat the
    /// whole function body, not just the receive.
    start: u32,
    receives: usize,
    received_in_loop: bool,
    other_uses: usize,
}

impl Held {
    fn is_single_use(&self) -> bool {
        self.other_uses == 0 && self.receives <= 1 && !self.received_in_loop
    }
}

#[derive(Default)]
pub(crate) struct SingleUse {
    held: Vec<Held>,
    /// Rust findings not yet known to initialise a `let (tx, rx)`.
    unclaimed: Vec<(Diagnostic, usize)>,
    /// Python: span of an assigned value -> the local it is bound to.
    assigned: HashMap<Span, String>,
    loops: Vec<Span>,
    /// Uses of a held local accounted for by their parent node.
    classified: HashSet<Span>,
}

impl SingleUse {
    // Python

    pub(crate) fn note_python_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt) {
        match stmt {
            Stmt::Assign(assign) if cx.function().is_some() => {
                if let [Expr::Name(name)] = assign.targets.as_slice() {
                    let value = Span::from(assign.value.as_ref());
                    self.assigned.insert(value, name.id.to_string());
                }
            }
            Stmt::For(_) | Stmt::While(_) => self.loops.push(stmt.into()),
            _ => {}
        }
    }

    /// Holds a Python finding whose queue is assigned to a local; returns
    /// it when it must be reported now.
    pub(crate) fn hold_python(
        &mut self,
        cx: &PyContext<'_>,
        call: Span,
        diagnostic: Diagnostic,
    ) -> Option<Diagnostic> {
        let Some(local) = self.assigned.remove(&call) else {
            return Some(diagnostic);
        };
        self.hold(diagnostic, local, cx.functions().len(), call.start);
        None
    }

    pub(crate) fn note_python_expr(&mut self, expr: &Expr) {
        match expr {
            Expr::Call(call) => {
                if let Expr::Attribute(attribute) = call.func.as_ref() {
                    if let Expr::Name(name) = attribute.value.as_ref() {
                        let method = attribute.attr.as_str();
                        let span = Span::from(expr);
                        let receiver = Span::from(attribute.value.as_ref());
                        if PY_RECEIVES.contains(&method) {
                            self.receive(name.id.as_str(), receiver, span);
                        } else if PY_NEUTRAL.contains(&method) {
                            self.classified.insert(receiver);
                        }
                    }
                }
                // Handing the queue to a producer is how it gets filled.
                let arguments = call.arguments.args.iter();
                let keywords = call.arguments.keywords.iter().map(|keyword| &keyword.value);
                for argument in arguments.chain(keywords) {
                    if matches!(argument, Expr::Name(_)) {
                        self.classified.insert(argument.into());
                    }
                }
            }
            Expr::Name(name) if name.ctx.is_load() => self.use_of(name.id.as_str(), expr.into()),
            _ => {}
        }
    }

    pub(crate) fn finish_python_function(&mut self, cx: &PyContext<'_>, out: &mut Vec<Diagnostic>) {
        self.release(cx.functions().len(), out);
    }

    // Rust

    /// Holds a Rust finding until `on_local` tells whether it initialises
    /// a `let (tx, rx)`.
    pub(crate) fn hold_rust(&mut self, cx: &RsContext<'_>, diagnostic: Diagnostic) {
        self.unclaimed.push((diagnostic, cx.frames().len()));
    }

    pub(crate) fn note_rust_local(&mut self, cx: &RsContext<'_>, local: &syn::Local) {
        let Some(init) = &local.init else { return };
        let span = span_of(&init.expr);
        let Some(index) = self
            .unclaimed
            .iter()
            .position(|(diagnostic, _)| diagnostic.span == span)
        else {
            return;
        };
        let pattern = match &local.pat {
            syn::Pat::Type(typed) => typed.pat.as_ref(),
            other => other,
        };
        let syn::Pat::Tuple(tuple) = pattern else {
            return;
        };
        let Some(syn::Pat::Ident(receiver)) = tuple.elems.iter().nth(1) else {
            return;
        };
        let (diagnostic, _) = self.unclaimed.remove(index);
        let local = receiver.ident.to_string();
        self.hold(diagnostic, local, cx.frames().len(), span.start);
    }

    pub(crate) fn note_rust_expr(&mut self, expr: &syn::Expr) {
        match expr {
            syn::Expr::ForLoop(_) | syn::Expr::While(_) | syn::Expr::Loop(_) => {
                self.loops.push(span_of(expr));
            }
            syn::Expr::MethodCall(call) => {
                let syn::Expr::Path(receiver) = call.receiver.as_ref() else {
                    return;
                };
                let Some(ident) = receiver.path.get_ident() else {
                    return;
                };
                if RS_RECEIVES.contains(&call.method.to_string().as_str()) {
                    self.receive(&ident.to_string(), span_of(receiver), span_of(expr));
                }
            }
            syn::Expr::Path(path) => {
                if let Some(ident) = path.path.get_ident() {
                    self.use_of(&ident.to_string(), span_of(expr));
                }
            }
            _ => {}
        }
    }

    pub(crate) fn finish_rust_frame(&mut self, cx: &RsContext<'_>, out: &mut Vec<Diagnostic>) {
        let depth = cx.frames().len();
        let (now, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.unclaimed)
            .into_iter()
            .partition(|(_, at)| *at >= depth);
        self.unclaimed = later;
        out.extend(now.into_iter().map(|(diagnostic, _)| diagnostic));
        self.release(depth, out);
    }

    /// Reports everything still held: at the end of the file.
    pub(crate) fn finish_file(&mut self, out: &mut Vec<Diagnostic>) {
        out.extend(self.unclaimed.drain(..).map(|(diagnostic, _)| diagnostic));
        self.release(0, out);
    }

    // Shared

    fn hold(&mut self, diagnostic: Diagnostic, local: String, depth: usize, start: u32) {
        self.held.push(Held {
            diagnostic,
            local,
            depth,
            start,
            receives: 0,
            received_in_loop: false,
            other_uses: 0,
        });
    }

    fn receive(&mut self, local: &str, receiver: Span, call: Span) {
        let loops = &self.loops;
        let Some(held) = self.held.iter_mut().rev().find(|held| held.local == local) else {
            return;
        };
        held.receives += 1;
        held.received_in_loop |= loops
            .iter()
            .any(|l| l.start > held.start && l.start <= call.start && call.end <= l.end);
        self.classified.insert(receiver);
    }

    fn use_of(&mut self, local: &str, span: Span) {
        if self.classified.remove(&span) {
            return;
        }
        if let Some(held) = self.held.iter_mut().rev().find(|held| held.local == local) {
            held.other_uses += 1;
        }
    }

    /// Decides the findings held for bindings at `depth` or deeper.
    fn release(&mut self, depth: usize, out: &mut Vec<Diagnostic>) {
        let (done, open): (Vec<Held>, Vec<Held>) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|held| held.depth >= depth);
        self.held = open;
        out.extend(
            done.into_iter()
                .filter(|held| !held.is_single_use())
                .map(|held| held.diagnostic),
        );
    }
}
