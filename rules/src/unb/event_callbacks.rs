//! Which Python functions run once per external event, and which of their
//! values arrived with that event.
//!
//! A queue grows without bound when something outside the process decides
//! how often it is fed: a network protocol handing over every datagram, an
//! event bus calling every listener, a database delivering every
//! notification. Such a producer is an event callback: a function handed
//! to a subscription call (`bus.listen(EVENT, self.on_event)`,
//! `conn.add_listener(channel, callback)`, `register_handler(handle)`), or
//! a method named the way frameworks name the hooks they call per event
//! (`on_message`, `data_received`, `datagram_received`, a log handler's
//! `emit`). What it puts must be the event itself, or a value computed
//! from it: a callback that puts something else (a stored backlog, a
//! counter, its own state) runs once per lifecycle event, not per item of
//! a stream.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};

use crate::api::Span;
use crate::python::{last_name, PyContext};

/// Words in the name of a call that subscribes its function arguments to
/// a stream of events: `listen`, `async_listen`, `add_listener`,
/// `subscribe`, `register_callback`, `add_event_handler`, `add_reader`,
/// `signal.connect`, `add_route`, `watch`.
const SUBSCRIPTION_WORDS: &[&str] = &[
    "listen",
    "subscribe",
    "register",
    "handler",
    "add_reader",
    "connect",
    "route",
    "watch",
];

/// Calls that register a handler per HTTP request (`router.add_post`).
const ROUTE_CALLS: &[&str] = &["add_get", "add_post", "add_put", "add_patch", "add_delete"];

/// Method names frameworks call once per incoming piece of data:
/// `asyncio.Protocol` and `DatagramProtocol` hooks. A handler's `emit` is
/// one too, but only in a handler class (see [`is_handler_class`]).
const DATA_HOOKS: &[&str] = &["data_received", "datagram_received"];

/// Event-hook suffixes after `on_` that are lifecycle events, one per
/// object or connection, not a stream of data, in Python and Rust alike.
const LIFECYCLE_HOOKS: &[&str] = &[
    "start",
    "startup",
    "stop",
    "shutdown",
    "close",
    "closed",
    "init",
    "ready",
    "done",
    "complete",
    "completion",
    "finish",
    "finished",
    "cancel",
    "cancelled",
];

/// A hook name a framework calls once per incoming item: one of
/// `data_hooks`, or `on_<event>` where the event is neither in
/// [`LIFECYCLE_HOOKS`] nor in `more_lifecycle` (`on_exit` in Python,
/// `on_drop` in Rust), nor a token of a model's answer.
pub(crate) fn is_per_event_hook(name: &str, data_hooks: &[&str], more_lifecycle: &[&str]) -> bool {
    data_hooks.contains(&name)
        || name.strip_prefix("on_").is_some_and(|event| {
            !event.is_empty()
                && !LIFECYCLE_HOOKS.contains(&event)
                && !more_lifecycle.contains(&event)
                && !is_answer_token(event)
        })
}

/// `on_llm_new_token`, `on_token`, and a Hugging Face streamer's
/// `on_finalized_text`: the tokens of one streamed model answer, handed to
/// a handler made for that answer. The model's output limit bounds them,
/// and the stream ends with the answer.
fn is_answer_token(event: &str) -> bool {
    event == "token" || event.ends_with("_token") || event == "finalized_text"
}

#[derive(Default)]
pub(crate) struct EventCallbacks {
    /// Functions handed to a subscription call, by name, with the class
    /// whose `self.name` was handed (`None` for a bare name).
    subscribed: Vec<(String, Option<Span>)>,
    /// Per function: the names holding a value that arrived as one of its
    /// arguments, directly or computed from one.
    carried: HashMap<Span, HashSet<String>>,
}

impl EventCallbacks {
    pub(crate) fn note_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt) {
        let (targets, value): (Vec<&Expr>, &Expr) = match stmt {
            Stmt::Assign(assign) => (assign.targets.iter().collect(), &assign.value),
            Stmt::AnnAssign(assign) => match &assign.value {
                Some(value) => (vec![assign.target.as_ref()], value.as_ref()),
                None => return,
            },
            Stmt::AugAssign(assign) => (vec![assign.target.as_ref()], &assign.value),
            Stmt::For(for_stmt) => (vec![for_stmt.target.as_ref()], &for_stmt.iter),
            _ => return,
        };
        self.carry(cx, &targets, value);
    }

    pub(crate) fn note_expr(&mut self, cx: &PyContext<'_>, expr: &Expr) {
        match expr {
            Expr::Named(named) => self.carry(cx, &[named.target.as_ref()], &named.value),
            Expr::Call(call) if is_subscription(&call.func) => {
                let handed = call
                    .arguments
                    .args
                    .iter()
                    .chain(call.arguments.keywords.iter().map(|keyword| &keyword.value));
                for argument in handed {
                    match argument {
                        Expr::Name(name) => self.subscribed.push((name.id.to_string(), None)),
                        Expr::Attribute(attribute) if attribute.value.is_name_expr() => {
                            self.subscribed
                                .push((attribute.attr.to_string(), cx.class().map(Span::from)));
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    /// `item`, put in the innermost function, carries one of that
    /// function's arguments (not `self`).
    pub(crate) fn carries_argument(&mut self, cx: &PyContext<'_>, item: &Expr) -> bool {
        self.carried_in(cx)
            .is_some_and(|carried| mentions(item, carried))
    }

    /// The function named `name`, of the class at `class` if it is a
    /// method, is handed to a subscription call or named like a hook a
    /// framework calls per incoming event.
    pub(crate) fn is_event_callback(
        &self,
        name: &str,
        class: Option<Span>,
        method: Method,
    ) -> bool {
        let subscribed = self.subscribed.iter().any(|(subscribed, owner)| {
            subscribed == name && owner.is_none_or(|owner| Some(owner) == class)
        });
        subscribed
            || match method {
                Method::None => false,
                Method::Plain => is_data_hook(name),
                Method::OfHandler => name == "emit" || is_data_hook(name),
            }
    }

    /// Names assigned from an argument hold one too.
    fn carry(&mut self, cx: &PyContext<'_>, targets: &[&Expr], value: &Expr) {
        let Some(carried) = self.carried_in(cx) else {
            return;
        };
        if mentions(value, carried) {
            targets.iter().for_each(|target| bind(target, carried));
        }
    }

    /// The carried names of the innermost `def`, seeded with its
    /// parameters (without the receiver of a method).
    fn carried_in(&mut self, cx: &PyContext<'_>) -> Option<&mut HashSet<String>> {
        let frame = cx
            .functions()
            .iter()
            .rev()
            .find(|frame| frame.def.is_some())?;
        let def = frame.def?;
        Some(self.carried.entry(Span::from(def)).or_insert_with(|| {
            let receiver = frame.class.and(frame.first_parameter());
            def.parameters
                .iter()
                .map(|parameter| parameter.name().as_str())
                .filter(|name| Some(*name) != receiver)
                .map(ToString::to_string)
                .collect()
        }))
    }
}

/// Adds the names a target binds: `x`, `a, b`, `*rest`; not `self.x`.
fn bind(target: &Expr, carried: &mut HashSet<String>) {
    match target {
        Expr::Name(name) => {
            carried.insert(name.id.to_string());
        }
        Expr::Tuple(tuple) => tuple.elts.iter().for_each(|elt| bind(elt, carried)),
        Expr::List(list) => list.elts.iter().for_each(|elt| bind(elt, carried)),
        Expr::Starred(starred) => bind(&starred.value, carried),
        _ => {}
    }
}

/// The callee's last name says it subscribes its function arguments.
fn is_subscription(func: &Expr) -> bool {
    let Some(name) = last_name(func) else {
        return false;
    };
    let name = name.to_ascii_lowercase();
    ROUTE_CALLS.contains(&name.as_str())
        || SUBSCRIPTION_WORDS.iter().any(|word| name.contains(word))
}

/// What kind of function a put is in, for [`EventCallbacks::is_event_callback`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// A module function or a nested one.
    None,
    /// A method of a class.
    Plain,
    /// A method of a handler class (see [`is_handler_class`]).
    OfHandler,
}

impl Method {
    /// The kind of the function being walked.
    pub(crate) fn of_function(cx: &PyContext<'_>) -> Self {
        match cx.function().and_then(|frame| frame.class) {
            None => Method::None,
            Some(class) if is_handler_class(class) => Method::OfHandler,
            Some(_) => Method::Plain,
        }
    }
}

/// A class named or derived as a handler (`logging.Handler`,
/// `QueueHandler`, `UsageStatisticsHandler`), whose public `emit` its
/// framework or its clients call once per record. Elsewhere `emit` is a
/// class's own API (a sink that waits for its writer thread, a session's
/// `_emit` that its own run loop calls): its pace is the code's own.
fn is_handler_class(class: &ast::StmtClassDef) -> bool {
    class.name.as_str().ends_with("Handler")
        || class
            .bases()
            .iter()
            .any(|base| last_name(base).is_some_and(|name| name.ends_with("Handler")))
}

/// `on_message`, `_on_chunk`, `data_received`; not `on_close`.
fn is_data_hook(name: &str) -> bool {
    is_per_event_hook(name.trim_start_matches('_'), DATA_HOOKS, &["exit"])
}

/// `expr` reads one of `names` (outside lambdas).
fn mentions(expr: &Expr, names: &HashSet<String>) -> bool {
    struct Mentions<'n> {
        names: &'n HashSet<String>,
        found: bool,
    }
    impl<'a> Visitor<'a> for Mentions<'_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            match expr {
                _ if self.found => {}
                Expr::Name(name) => self.found = self.names.contains(name.id.as_str()),
                Expr::Lambda(_) => {}
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    if names.is_empty() {
        return false;
    }
    let mut mentions = Mentions {
        names,
        found: false,
    };
    mentions.visit_expr(expr);
    mentions.found
}
