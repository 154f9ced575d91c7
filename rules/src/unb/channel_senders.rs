//! Whether a Rust channel has a visible data producer: a `send` of a data
//! value (not `()`, a literal or a unit-like enum variant such as
//! `Command::Stop`) through the channel's sender, at a place that runs again
//! and again: in a loop (a task forwarding every frame it reads), or, when
//! the sender is stored in a struct field, in any method other than
//! constructors and lifecycle methods (a public `send()`/`submit()`, a
//! per-request handler).
//!
//! The send must also run once per external event and carry that event:
//! it is in a closure handed to a subscription call
//! (`bus.subscribe(move |event| tx.send(event))`) or in a method named
//! like a hook a framework calls per incoming item (`on_message`,
//! `datagram_received`), and what it sends mentions the closure's or
//! method's parameter. A send anywhere else carries a value the service
//! produces at its own pace (one per call of its own API, one per loop
//! iteration over a collection), which the tool cannot tell from a bounded
//! one.
//!
//! A channel without such a send carries one message per spawned worker, a
//! few control messages, or is fed by code the tool cannot follow (a
//! sender handed to another function): UNB001 stays silent for it.

use rustc_hash::FxHashMap as HashMap;

use syn::visit::Visit;

use crate::api::Span;
use crate::rust::{span_of, FrameKind, RsContext};
use crate::unb::event_callbacks::is_per_event_hook;

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
    /// The event callback the send is in, if it sends something computed
    /// from the event it was called with.
    forwards_event: Option<Callback>,
}

/// Which kind of event callback a send forwards its event from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Callback {
    /// A closure handed to a subscription call.
    Closure,
    /// A method named like a per-event hook.
    Hook,
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
    /// The parameters of event callbacks, by the span their frame has: a
    /// closure handed to a subscription call (its `|`), a method named like
    /// a per-event hook (its name).
    callbacks: HashMap<Span, Vec<String>>,
}

/// Words in the name of a call that subscribes a closure argument to a
/// stream of events: `subscribe`, `on_message`, `add_listener`,
/// `register_handler`, `watch`.
const SUBSCRIPTION_WORDS: &[&str] = &["subscribe", "listen", "register", "handler", "watch"];

/// Method names frameworks call once per incoming piece of data.
const DATA_HOOKS: &[&str] = &["data_received", "datagram_received"];

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

    /// An item: the parameters of the methods named like per-event hooks.
    pub(crate) fn note_item(&mut self, item: &syn::Item) {
        let signatures: Vec<&syn::Signature> = match item {
            syn::Item::Fn(function) => vec![&function.sig],
            syn::Item::Impl(block) => block
                .items
                .iter()
                .filter_map(|item| match item {
                    syn::ImplItem::Fn(method) => Some(&method.sig),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        for sig in signatures {
            if is_data_hook(&sig.ident.to_string()) {
                let parameters = sig
                    .inputs
                    .iter()
                    .filter_map(|input| match input {
                        syn::FnArg::Typed(typed) => Some(typed.pat.as_ref()),
                        syn::FnArg::Receiver(_) => None,
                    })
                    .flat_map(bound_names)
                    .collect();
                self.callbacks.insert(sig.ident.span().into(), parameters);
            }
        }
    }

    pub(crate) fn note_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr) {
        let function = cx.function().map(|frame| frame.span);
        let subscribed_closures = match expr {
            syn::Expr::MethodCall(call) if is_subscription(&call.method.to_string()) => {
                Some(&call.args)
            }
            syn::Expr::Call(call) => match call.func.as_ref() {
                syn::Expr::Path(path) => path
                    .path
                    .segments
                    .last()
                    .filter(|segment| is_subscription(&segment.ident.to_string()))
                    .map(|_| &call.args),
                _ => None,
            },
            _ => None,
        };
        for argument in subscribed_closures.into_iter().flatten() {
            if let syn::Expr::Closure(closure) = argument {
                let parameters = closure.inputs.iter().flat_map(bound_names).collect();
                self.callbacks
                    .insert(closure.or1_token.span.into(), parameters);
            }
        }
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
                let forwards_event = self.forwards_event(cx, &call.args[0]);
                self.sends.push(Send {
                    span,
                    target,
                    owner: impl_owner(cx),
                    function,
                    in_loop,
                    lifecycle,
                    forwards_event,
                });
            }
            _ => {}
        }
    }

    /// `message` mentions a parameter of the innermost event callback
    /// around it, within the current function.
    fn forwards_event(&self, cx: &RsContext<'_>, message: &syn::Expr) -> Option<Callback> {
        let mut names = Names::default();
        names.visit_expr(message);
        let closure = cx
            .frames()
            .iter()
            .rev()
            .take_while(|frame| frame.kind != FrameKind::Fn)
            .find_map(|frame| self.callbacks.get(&frame.span))
            .map(|parameters| (Callback::Closure, parameters));
        let (callback, parameters) = closure.or_else(|| {
            let function = cx.function()?;
            Some((Callback::Hook, self.callbacks.get(&function.span)?))
        })?;
        names
            .0
            .iter()
            .any(|name| parameters.contains(name))
            .then_some(callback)
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
            .filter(|send| send.forwards_event.is_some())
            .filter(|send| {
                send.function == sender.function
                    || send
                        .function
                        .is_none_or(|function| !self.with_reply.contains(&function))
            })
            .find(|send| match &send.target {
                // A local sender: moved into a closure the function subscribes.
                Target::Local(name) => {
                    send.function == sender.function
                        && send.forwards_event == Some(Callback::Closure)
                        && names.contains(name)
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

/// The callee's name says it subscribes its closure arguments.
fn is_subscription(name: &str) -> bool {
    name.starts_with("on_") || SUBSCRIPTION_WORDS.iter().any(|word| name.contains(word))
}

/// `on_message`, `datagram_received`; not `on_close`, `on_drop`.
fn is_data_hook(name: &str) -> bool {
    is_per_event_hook(name, DATA_HOOKS, &["drop"])
}

/// The names a pattern binds: `msg`, `(id, frame)`, `Message { body, .. }`.
fn bound_names(pattern: &syn::Pat) -> Vec<String> {
    #[derive(Default)]
    struct Bindings(Vec<String>);
    impl<'ast> Visit<'ast> for Bindings {
        fn visit_pat_ident(&mut self, ident: &'ast syn::PatIdent) {
            self.0.push(ident.ident.to_string());
            syn::visit::visit_pat_ident(self, ident);
        }
    }
    let mut bindings = Bindings::default();
    bindings.visit_pat(pattern);
    bindings.0
}

/// The single-segment paths an expression reads: the locals it uses.
#[derive(Default)]
struct Names(Vec<String>);

impl<'ast> Visit<'ast> for Names {
    fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
        if let Some(ident) = path.path.get_ident() {
            self.0.push(ident.to_string());
        }
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
