//! Whether a Rust channel has a visible data producer: a `send` of a data
//! value (not `()`, a literal or a unit-like enum variant such as
//! `Command::Stop`) through the channel's sender, at a place that runs again
//! and again: in a loop (a task forwarding every frame it reads), or, when
//! the sender is stored in a struct field, in any method other than
//! constructors and lifecycle methods (a public `send()`/`submit()`, a
//! per-request handler).
//!
//! A channel without one carries one message per spawned worker, a few
//! control messages, or is fed by code the tool cannot follow (a sender
//! handed to another function): UNB001 stays silent for it.

use rustc_hash::FxHashMap as HashMap;

use crate::api::Span;
use crate::rust::{span_of, RsContext};

/// Methods that put a message into a channel.
const SENDS: &[&str] = &[
    "send",
    "unbounded_send",
    "send_async",
    "send_blocking",
    "try_send",
    "force_send",
    "start_send",
];

/// Method calls looked through to the sender: `tx.clone().send(..)`,
/// `self.tx.lock().unwrap().send(..)`.
const PASS_THROUGH: &[&str] = &["clone", "as_ref", "lock", "read", "unwrap", "expect"];

/// Function names that run once per value or task: a send there outside a
/// loop is a lifecycle signal or a single result.
const LIFECYCLE: &[&str] = &[
    "new",
    "default",
    "drop",
    "run",
    "start",
    "stop",
    "close",
    "shutdown",
    "terminate",
    "kill",
    "cancel",
    "join",
    "abort",
    "finish",
];

/// What a `send` is called on.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    /// `tx.send(..)`.
    Local(String),
    /// `self.tx.send(..)`, `inner.tx.send(..)`.
    Field(String),
}

struct Send {
    span: Span,
    target: Target,
    /// The type of the `impl` block the send is in, if any.
    owner: Option<String>,
    /// The innermost named function.
    function: Option<Span>,
    in_loop: bool,
    lifecycle: bool,
}

/// The sender of a reported channel.
struct Sender {
    name: String,
    function: Option<Span>,
}

#[derive(Default)]
pub(crate) struct ChannelSenders {
    /// Finding span (the constructor call) -> its sender.
    senders: HashMap<Span, Sender>,
    /// `let a = b.clone();`: (a, b, function).
    aliases: Vec<(String, String, Option<Span>)>,
    /// `S { field: tx }`, `self.field = tx`: (struct, field, local, function).
    stores: Vec<(Option<String>, String, String, Option<Span>)>,
    sends: Vec<Send>,
    loops: Vec<Span>,
    /// Functions that create a channel: a send there carries its own reply
    /// channel (request/response), so its sender waits for each answer.
    with_reply: Vec<Span>,
}

/// Constructors (last path segment) of channels, including one-shot ones.
const CHANNEL_CONSTRUCTORS: &[&str] = &[
    "channel",
    "sync_channel",
    "unbounded_channel",
    "unbounded",
    "bounded",
];

impl ChannelSenders {
    /// A `let`: the `(tx, rx)` of a constructor call at `call`, or a clone
    /// of a sender.
    pub(crate) fn note_local(&mut self, cx: &RsContext<'_>, local: &syn::Local) {
        let Some(init) = &local.init else { return };
        let function = cx.function().map(|frame| frame.span);
        let pattern = match &local.pat {
            syn::Pat::Type(typed) => typed.pat.as_ref(),
            other => other,
        };
        match pattern {
            syn::Pat::Tuple(tuple) => {
                if let Some(syn::Pat::Ident(sender)) = tuple.elems.first() {
                    let name = sender.ident.to_string();
                    self.senders
                        .insert(span_of(&init.expr), Sender { name, function });
                }
            }
            syn::Pat::Ident(alias) => {
                if let Some(Target::Local(original)) = sender_of(&init.expr) {
                    self.aliases
                        .push((alias.ident.to_string(), original, function));
                }
            }
            _ => {}
        }
    }

    pub(crate) fn note_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr) {
        let function = cx.function().map(|frame| frame.span);
        match expr {
            syn::Expr::ForLoop(_) | syn::Expr::While(_) | syn::Expr::Loop(_) => {
                self.loops.push(span_of(expr));
            }
            syn::Expr::Call(call) => {
                let constructs_channel = cx.callee_path(call).is_some_and(|callee| {
                    let last = callee.rsplit("::").next().unwrap_or(&callee);
                    CHANNEL_CONSTRUCTORS.contains(&last)
                });
                if let (true, Some(function)) = (constructs_channel, function) {
                    self.with_reply.push(function);
                }
            }
            syn::Expr::Struct(literal) => {
                let name = literal
                    .path
                    .segments
                    .last()
                    .map(|segment| segment.ident.to_string());
                let owner = match name.as_deref() {
                    Some("Self") => impl_owner(cx),
                    _ => name,
                };
                for field in &literal.fields {
                    let syn::Member::Named(member) = &field.member else {
                        continue;
                    };
                    if let Some(local) = local_in(&field.expr) {
                        self.stores
                            .push((owner.clone(), member.to_string(), local, function));
                    }
                }
            }
            syn::Expr::Assign(assign) => {
                if let (syn::Expr::Field(field), Some(local)) =
                    (assign.left.as_ref(), local_in(&assign.right))
                {
                    if let syn::Member::Named(member) = &field.member {
                        self.stores
                            .push((impl_owner(cx), member.to_string(), local, function));
                    }
                }
            }
            syn::Expr::MethodCall(call) => {
                if !SENDS.contains(&call.method.to_string().as_str()) {
                    return;
                }
                let Some(target) = sender_of(&call.receiver) else {
                    return;
                };
                if call.args.first().is_none_or(is_control_value) {
                    return;
                }
                let span = span_of(expr);
                let scope_start = cx.frame().map_or(0, |frame| frame.span.start);
                let in_loop = self
                    .loops
                    .iter()
                    .any(|l| l.start > scope_start && l.start <= span.start && span.end <= l.end);
                let lifecycle = cx
                    .function()
                    .is_some_and(|frame| LIFECYCLE.contains(&frame.name.as_str()));
                self.sends.push(Send {
                    span,
                    target,
                    owner: impl_owner(cx),
                    function,
                    in_loop,
                    lifecycle,
                });
            }
            _ => {}
        }
    }

    /// A send of data into the channel constructed at `call` that runs
    /// repeatedly. Call once the whole file was walked.
    pub(crate) fn producer(&self, call: Span) -> Option<Span> {
        let sender = self.senders.get(&call)?;
        let mut names = vec![sender.name.clone()];
        for (alias, original, function) in &self.aliases {
            if *function == sender.function && names.contains(original) {
                names.push(alias.clone());
            }
        }
        let fields: Vec<(&Option<String>, &String)> = self
            .stores
            .iter()
            .filter(|(_, _, local, function)| *function == sender.function && names.contains(local))
            .map(|(owner, field, _, _)| (owner, field))
            .collect();
        self.sends
            .iter()
            .filter(|send| {
                send.function == sender.function
                    || send
                        .function
                        .is_none_or(|function| !self.with_reply.contains(&function))
            })
            .find(|send| match &send.target {
                Target::Local(name) => {
                    send.function == sender.function && send.in_loop && names.contains(name)
                }
                Target::Field(field) => {
                    send.owner.is_some()
                        && fields.contains(&(&send.owner, field))
                        && (send.in_loop || (send.function != sender.function && !send.lifecycle))
                }
            })
            .map(|send| send.span)
    }
}

/// The name of the type of the innermost `impl` block: `Pool` for
/// `impl<T> Pool<T>`.
fn impl_owner(cx: &RsContext<'_>) -> Option<String> {
    let written = cx.impl_type()?;
    let name: String = written
        .trim_start_matches('&')
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The sender a send is called on, through `.clone()`, `.lock()`...
fn sender_of(expr: &syn::Expr) -> Option<Target> {
    match expr {
        syn::Expr::Path(path) => path
            .path
            .get_ident()
            .map(|ident| Target::Local(ident.to_string())),
        syn::Expr::Field(field) => match &field.member {
            syn::Member::Named(member) => Some(Target::Field(member.to_string())),
            syn::Member::Unnamed(_) => None,
        },
        syn::Expr::MethodCall(call) if PASS_THROUGH.contains(&call.method.to_string().as_str()) => {
            sender_of(&call.receiver)
        }
        syn::Expr::Reference(reference) => sender_of(&reference.expr),
        syn::Expr::Paren(paren) => sender_of(&paren.expr),
        _ => None,
    }
}

/// The local stored by a field initialiser: `tx`, `Some(tx)`,
/// `Arc::new(tx)`, `Mutex::new(tx.clone())`.
fn local_in(expr: &syn::Expr) -> Option<String> {
    match expr {
        syn::Expr::Path(path) => path.path.get_ident().map(ToString::to_string),
        syn::Expr::Call(call) if call.args.len() == 1 => local_in(&call.args[0]),
        syn::Expr::MethodCall(call) if call.method == "clone" || call.method == "into" => {
            local_in(&call.receiver)
        }
        _ => None,
    }
}

/// `()`, literals, `None`, `Command::Stop`, `SHUTDOWN`, `Ok(())`: a
/// signal, not data that arrives at a rate of its own.
fn is_control_value(expr: &syn::Expr) -> bool {
    match expr {
        syn::Expr::Tuple(tuple) => tuple.elems.iter().all(is_control_value),
        syn::Expr::Lit(_) => true,
        syn::Expr::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident.to_string().starts_with(char::is_uppercase)),
        syn::Expr::Call(call) => {
            matches!(call.func.as_ref(), syn::Expr::Path(_) if is_control_value(&call.func))
                && call.args.iter().all(is_control_value)
        }
        syn::Expr::Paren(paren) => is_control_value(&paren.expr),
        _ => false,
    }
}
