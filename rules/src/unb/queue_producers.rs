//! Whether a Python queue has a visible data producer: a `put` or
//! `put_nowait` of a data value (not `None`, a literal or a constant-like
//! sentinel) at a place that runs again and again for the queue's life: in
//! a method other than the one that creates the queue, in a function nested
//! in the creating one, or in a loop. The put must also run once per
//! external event and put what came with it: it is in an event callback
//! (see [`EventCallbacks`]) and its item carries the callback's argument.
//!
//! A queue without one carries a fixed number of items (one result per
//! worker, a reply slot), only lifecycle signals (start, stop), items at the
//! service's own pace (a public `submit()` whose callers may be bounded), or
//! is filled by code the tool cannot see: UNB001 stays silent for it.

use rustc_hash::FxHashMap as HashMap;

use ruff_python_ast::{self as ast, Expr, Stmt};

use crate::api::Span;
use crate::python::PyContext;
use crate::unb::event_callbacks::{EventCallbacks, Method};

/// Where the queue is bound, which says where its producers can be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Holder {
    /// `self.name = Queue()` in a method of `class`, created in `function`.
    Attribute {
        class: Option<Span>,
        function: Option<Span>,
        name: String,
    },
    /// A module global.
    Global(String),
    /// A local of `function`.
    Local { function: Span, name: String },
}

/// What a `put` is called on.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    /// `x.name.put(..)`.
    Attribute(String),
    /// `name.put(..)`.
    Name(String),
}

/// One `put(item)` call whose item is data.
struct Put {
    span: Span,
    target: Target,
    class: Option<Span>,
    /// The innermost `def` (lambdas are transparent); `None` at module level.
    function: Option<Span>,
    /// All enclosing `def`s, outermost first.
    functions: Vec<Span>,
    /// For a `Name` target: the name is bound in the innermost function.
    name_is_local: bool,
    in_loop: bool,
    /// The innermost function runs once per object or thread: `__init__`,
    /// `run`, `start`, `stop`, `close`, `shutdown`...
    lifecycle: bool,
    /// The innermost function initialises the object (`__init__`,
    /// `__setstate__`): a loop there seeds the queue from a given
    /// collection once, it is no stream of data.
    constructor: bool,
    /// The innermost function's name, to match thread targets and
    /// subscribed callbacks.
    function_name: String,
    /// Whether the innermost function is a method, and of what class.
    method: Method,
    /// The item carries an argument of the innermost function: the
    /// event a callback was called with.
    forwards_argument: bool,
}

#[derive(Default)]
pub(crate) struct QueueProducers {
    /// Span of an assigned value -> where it is bound.
    holders: HashMap<Span, Holder>,
    loops: Vec<Span>,
    puts: Vec<Put>,
    /// Queues whose `qsize()` is compared or `full()` checked, by target and
    /// the class and function doing it: their producers watch a high-water
    /// mark (wait, drop or pause reading), so they are bounded.
    size_checks: Vec<(Target, Option<Span>, Option<Span>)>,
    /// Functions that take items out of a queue: a put there puts an item
    /// back (a requeue), it brings no new data.
    gets: Vec<(Target, Option<Span>)>,
    /// Functions that `join()` a local queue: every item put is processed
    /// before the function returns, so the queue is a work list of the
    /// call, not a buffer of the service.
    joins: Vec<(String, Option<Span>)>,
    /// Functions handed to a thread or process as `target=`: they run once
    /// per thread, like `run`.
    thread_targets: Vec<String>,
    /// Which functions are event callbacks and which values came with
    /// the event.
    events: EventCallbacks,
}

/// Methods that put an item into a Python queue.
const PUTS: &[&str] = &["put", "put_nowait"];
/// Methods that take an item out of a Python queue.
const GETS: &[&str] = &["get", "get_nowait"];

/// Methods that initialise an object.
const CONSTRUCTORS: &[&str] = &["__init__", "__post_init__", "__new__", "__setstate__"];

/// Function names (without leading underscores or an `async_` prefix) that
/// run once per object, thread or connection: a put there outside a loop
/// carries one item or a lifecycle signal, not a stream of data.
const LIFECYCLE: &[&str] = &[
    "init",
    "post_init",
    "new",
    "del",
    "enter",
    "exit",
    "aenter",
    "aexit",
    "setstate",
    "run",
    "start",
    "startup",
    "stop",
    "close",
    "aclose",
    "shutdown",
    "terminate",
    "kill",
    "cancel",
    "join",
    "bootstrap_inner",
    "cleanup",
    "teardown",
    "finalize",
];

impl QueueProducers {
    pub(crate) fn note_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt) {
        self.events.note_stmt(cx, stmt);
        let (target, value) = match stmt {
            Stmt::Assign(assign) => match assign.targets.as_slice() {
                [target] => (target, assign.value.as_ref()),
                _ => return,
            },
            Stmt::AnnAssign(assign) => match &assign.value {
                Some(value) => (assign.target.as_ref(), value.as_ref()),
                None => return,
            },
            Stmt::For(_) | Stmt::While(_) => {
                self.loops.push(stmt.into());
                return;
            }
            _ => return,
        };
        let function = cx.function().and_then(|frame| frame.def).map(Span::from);
        let holder = match target {
            Expr::Attribute(attribute) => Holder::Attribute {
                class: cx.class().map(Span::from),
                function,
                name: attribute.attr.to_string(),
            },
            Expr::Name(name) => {
                let global = cx
                    .function()
                    .is_none_or(|frame| frame.declares_global(name.id.as_str()));
                match function {
                    Some(function) if !global => Holder::Local {
                        function,
                        name: name.id.to_string(),
                    },
                    _ => Holder::Global(name.id.to_string()),
                }
            }
            _ => return,
        };
        if value.is_call_expr() {
            self.holders.insert(value.into(), holder);
        }
    }

    /// Where the queue constructed by `call` is bound, if it is bound to a
    /// name or an attribute (not returned, passed on or stored in a dict).
    pub(crate) fn holder(&mut self, call: Span) -> Option<Holder> {
        self.holders.remove(&call)
    }

    pub(crate) fn note_expr(&mut self, cx: &PyContext<'_>, expr: &Expr) {
        self.events.note_expr(cx, expr);
        let functions: Vec<Span> = cx
            .functions()
            .iter()
            .filter_map(|frame| frame.def.map(Span::from))
            .collect();
        let function = functions.last().copied();
        if let Expr::Compare(compare) = expr {
            let operands = std::iter::once(compare.left.as_ref()).chain(&compare.comparators);
            for operand in operands {
                if let Some(("qsize", target)) = method_call(operand) {
                    self.size_checks
                        .push((target, cx.class().map(Span::from), function));
                }
            }
            return;
        }
        if let Expr::Call(call) = expr {
            if let Some(target) = call.arguments.find_keyword("target") {
                match &target.value {
                    Expr::Attribute(attribute) => {
                        self.thread_targets.push(attribute.attr.to_string());
                    }
                    Expr::Name(name) => self.thread_targets.push(name.id.to_string()),
                    _ => {}
                }
            }
        }
        let Some((method_name, target)) = method_call(expr) else {
            return;
        };
        if method_name == "full" {
            self.size_checks
                .push((target, cx.class().map(Span::from), function));
            return;
        }
        if GETS.contains(&method_name) {
            self.gets.push((target, function));
            return;
        }
        if method_name == "join" {
            if let Target::Name(name) = target {
                self.joins.push((name, function));
            }
            return;
        }
        if !PUTS.contains(&method_name) {
            return;
        }
        let Expr::Call(call) = expr else { return };
        let Some(item) = call.arguments.find_argument_value("item", 0) else {
            return;
        };
        if is_control_value(item) {
            return;
        }
        let forwards_argument = self.events.carries_argument(cx, item);

        let span = Span::from(expr);
        let scope_start = function.map_or(0, |function| function.start);
        let in_loop = self
            .loops
            .iter()
            .any(|l| l.start > scope_start && l.start <= span.start && span.end <= l.end);
        let innermost = cx
            .functions()
            .iter()
            .rev()
            .find(|frame| frame.def.is_some());
        let name_is_local = match (&target, innermost) {
            (Target::Name(name), Some(frame)) => frame.locals.contains(name.as_str()),
            _ => false,
        };
        self.puts.push(Put {
            span,
            target,
            class: cx.class().map(Span::from),
            function,
            functions,
            name_is_local,
            in_loop,
            lifecycle: innermost.is_some_and(|frame| is_lifecycle(frame.name)),
            constructor: innermost.is_some_and(|frame| CONSTRUCTORS.contains(&frame.name)),
            function_name: innermost.map_or_else(String::new, |frame| frame.name.to_string()),
            method: Method::of_function(cx),
            forwards_argument,
        });
    }

    /// A put of data into the queue bound at `holder` that runs
    /// repeatedly. Call once the whole module was walked.
    pub(crate) fn producer(&self, holder: &Holder) -> Option<Span> {
        if let Holder::Local { function, name } = holder {
            let joined = self
                .joins
                .iter()
                .any(|(joined, at)| joined == name && *at == Some(*function));
            if joined {
                return None;
            }
        }
        self.puts
            .iter()
            .filter(|put| !put.constructor && !self.is_throttled(put) && !self.is_requeue(put))
            .filter(|put| put.in_loop || !self.thread_targets.contains(&put.function_name))
            .filter(|put| self.is_event_driven(put))
            .find(|put| feeds(put, holder))
            .map(|put| put.span)
    }

    /// The put runs once per external event and puts what came with it.
    fn is_event_driven(&self, put: &Put) -> bool {
        put.forwards_argument
            && self
                .events
                .is_event_callback(&put.function_name, put.class, put.method)
    }

    /// An attribute queue whose size its class compares anywhere, or a
    /// named queue whose size the putting function compares.
    fn is_throttled(&self, put: &Put) -> bool {
        self.size_checks.iter().any(|(target, class, function)| {
            *target == put.target
                && match target {
                    Target::Attribute(_) => *class == put.class,
                    Target::Name(_) => *function == put.function,
                }
        })
    }

    fn is_requeue(&self, put: &Put) -> bool {
        self.gets
            .iter()
            .any(|(target, function)| *target == put.target && *function == put.function)
    }
}

/// `x.name.method(..)` or `name.method(..)`: the method and its target.
fn method_call(expr: &Expr) -> Option<(&str, Target)> {
    let Expr::Call(call) = expr else { return None };
    let Expr::Attribute(method) = call.func.as_ref() else {
        return None;
    };
    let target = match method.value.as_ref() {
        Expr::Attribute(attribute) => Target::Attribute(attribute.attr.to_string()),
        Expr::Name(name) => Target::Name(name.id.to_string()),
        _ => return None,
    };
    Some((method.attr.as_str(), target))
}

fn feeds(put: &Put, holder: &Holder) -> bool {
    match holder {
        Holder::Attribute {
            class,
            function,
            name,
        } => {
            put.target == Target::Attribute(name.clone())
                && put.class == *class
                && (put.in_loop
                    || (put.function.is_some() && put.function != *function && !put.lifecycle))
        }
        Holder::Global(name) => {
            put.target == Target::Name(name.clone())
                && !put.name_is_local
                && (put.in_loop || (put.function.is_some() && !put.lifecycle))
        }
        Holder::Local { function, name } => {
            put.target == Target::Name(name.clone())
                && put.functions.contains(function)
                && if put.function == Some(*function) {
                    put.in_loop
                } else {
                    !put.name_is_local && !put.lifecycle
                }
        }
    }
}

fn is_lifecycle(name: &str) -> bool {
    let name = name.trim_start_matches('_');
    let name = name.strip_prefix("async_").unwrap_or(name);
    let name = name.trim_end_matches('_');
    LIFECYCLE.contains(&name)
}

/// `None`, literals, `STOP`, `Signal.STOP`, `CommClosedError`, and dicts,
/// tuples and lists of them (`{"type": "lifespan.startup"}`): a signal or
/// sentinel, not data that arrives at a rate of its own.
fn is_control_value(expr: &Expr) -> bool {
    match expr {
        Expr::NoneLiteral(_)
        | Expr::BooleanLiteral(_)
        | Expr::NumberLiteral(_)
        | Expr::StringLiteral(_)
        | Expr::BytesLiteral(_)
        | Expr::EllipsisLiteral(_) => true,
        Expr::Name(name) => is_constant_name(name.id.as_str()),
        Expr::Attribute(attribute) => is_constant_name(attribute.attr.as_str()),
        Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
            elts.iter().all(is_control_value)
        }
        Expr::Dict(dict) => dict.items.iter().all(|item| {
            item.key.as_ref().is_some_and(is_control_value) && is_control_value(&item.value)
        }),
        _ => false,
    }
}

/// `STOP`, `_SENTINEL`, `Shutdown`: a constant, an enum member or a class.
fn is_constant_name(name: &str) -> bool {
    let name = name.trim_start_matches('_');
    name.chars().next().is_some_and(char::is_uppercase)
}
