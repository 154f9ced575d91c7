use rustc_hash::FxHashMap as HashMap;

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt, UnaryOp};

use crate::api::{Diagnostic, RuleEntry, Span};
use crate::declare_rule;
use crate::python::{PyContext, PythonRule};
use crate::rust::{span_of, RsContext, RustRule};
use crate::unb::channel_senders::ChannelSenders;
use crate::unb::queue_producers::{Holder, QueueProducers};
use crate::unb::single_use::SingleUse;
use crate::unb::test_code::TestCode;

declare_rule! {
    /// ## What it does
    /// Flags a queue or channel created without a capacity
    /// (`queue.Queue()`, `LifoQueue()`, `PriorityQueue()`, `SimpleQueue()`,
    /// `asyncio.Queue()` and its Lifo/Priority variants,
    /// `multiprocessing.Queue()` and `Manager().Queue()` with no `maxsize`
    /// or a literal `maxsize <= 0`; in Rust `std::sync::mpsc::channel()`,
    /// `tokio::sync::mpsc::unbounded_channel()`, `crossbeam_channel::unbounded()`,
    /// `flume::unbounded()`, `async_channel::unbounded()` and
    /// `futures::channel::mpsc::unbounded()`) that the same file shows being
    /// fed once per external event, at a rate something outside the process
    /// decides: a put or send in an event callback that forwards the event
    /// it was called with (the event itself or a value computed from it).
    /// An event callback is
    /// - a function or method handed to a subscription call: a call whose
    ///   name says it subscribes (`listen`, `async_listen`, `add_listener`,
    ///   `subscribe`, `register_*`, `add_event_handler`, `add_reader`,
    ///   `connect`, `watch`, a route registration such as `add_post`; in
    ///   Rust `subscribe`, `on_*`, `*listen*`, `register*`, `*handler*`,
    ///   `watch` with a closure argument);
    /// - or a method named like the hooks frameworks call once per incoming
    ///   item: `on_<event>` (`on_message`, `on_chunk`,
    ///   `on_message_received`), `data_received`, `datagram_received`, and
    ///   the `emit` of a handler class (named or derived `*Handler`, as
    ///   `logging.Handler` subclasses are).
    ///
    /// The queue must be one the callback outlives: an attribute of the
    /// object whose method puts, a module global, or a local of the function
    /// that subscribes a nested callback; in Rust a channel whose sender is
    /// stored in a field of the struct with the hook, or moved into the
    /// subscribed closure. The put or send is shown as the related location.
    ///
    /// ## Why is this bad?
    /// When producers outpace consumers (a slow database, a burst of
    /// traffic, a stuck worker) an unbounded queue absorbs the difference in
    /// memory until the process is killed. A bounded queue pushes back
    /// instead: producers wait or fail fast, and the overload is visible
    /// where it starts.
    ///
    /// ## Example
    /// ```python
    /// class Exporter(threading.Thread):
    ///     def __init__(self, bus):
    ///         super().__init__(daemon=True)
    ///         self.events = queue.Queue()
    ///         bus.listen("state_changed", self.on_event)
    ///
    ///     def on_event(self, event):
    ///         self.events.put(event)
    /// ```
    /// ```rust
    /// let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    /// tokio::spawn(async move { while let Some(frame) = rx.recv().await { handle(frame) } });
    /// socket.on_message(move |frame| {
    ///     let _ = tx.send(frame);
    /// });
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// self.events = queue.Queue(maxsize=10_000)
    ///
    /// def on_event(self, event):
    ///     try:
    ///         self.events.put_nowait(event)
    ///     except queue.Full:
    ///         self.dropped += 1
    /// ```
    /// ```rust
    /// let (tx, mut rx) = tokio::sync::mpsc::channel(1000);
    /// socket.on_message(move |frame| {
    ///     if tx.try_send(frame).is_err() {
    ///         dropped.fetch_add(1, Ordering::Relaxed);
    ///     }
    /// });
    /// ```
    ///
    /// ## Known limitations
    /// Precision over recall: the rule reports only the producers whose
    /// pace it can see is set from outside, so it misses most unbounded
    /// queues. Not reported:
    /// - a queue fed by the service's own API (a public `submit()`, a
    ///   module function, a thread pool's `execute`), by a loop (over a
    ///   collection, a stream, a socket), or by a callback the file does not
    ///   subscribe under a recognised name: the tool cannot tell whether its
    ///   callers or its input are bounded;
    /// - a put or send in a callback that does not forward its event (it
    ///   puts its own backlog, a counter, a timestamp), in a lifecycle hook
    ///   (`on_close`, `on_start`, `on_done`, ...), in a token hook
    ///   (`on_llm_new_token`, `on_token`, a Hugging Face streamer's
    ///   `on_finalized_text`: the tokens of one streamed model answer, which
    ///   its output limit bounds), or in a callback handed
    ///   to a one-shot call (`add_done_callback`, `run_in_executor`,
    ///   `weakref.finalize`): one item per object, not a stream;
    /// - a queue returned, passed to another function or class, or stored
    ///   in a dict or list, and a channel whose sender is returned or handed
    ///   to another function (the producers are elsewhere); Python queues
    ///   are followed by attribute name within one class, by name within a
    ///   function and its nested functions, and by name for module globals;
    /// - a queue that only receives `None`, literals, constant-like names
    ///   (`STOP`, `_SENTINEL`, `Signal.STOP`, a class) or dicts and tuples of
    ///   them, and a channel that only receives `()`, literals and unit-like
    ///   variants (`Command::Stop`, `None`): lifecycle and control signals;
    /// - puts in `__init__`/`__setstate__` and in lifecycle methods outside
    ///   loops (`run`, `start`, `stop`, `close`, ...; Rust `new`, `default`,
    ///   `drop`, `run`, ...), and puts in a function handed to a thread or
    ///   process as `target=` outside loops;
    /// - a put in a function that also takes from the same queue: it puts an
    ///   item back (a requeue), no new data comes in;
    /// - a queue whose `qsize()` its class (for an attribute; the putting
    ///   function for a name) compares, or whose `full()` it checks: the
    ///   producers watch a high-water mark;
    /// - a local queue the creating function `join()`s: a work list that is
    ///   drained before the call returns;
    /// - a send in a function that also creates a channel: a request that
    ///   carries its own reply channel, whose sender waits for the answer;
    /// - a Python queue created in a function that also creates a
    ///   `Semaphore`, `BoundedSemaphore` or `Condition` (threading, asyncio
    ///   or multiprocessing): producers that wait on it before they put are
    ///   bounded by it, and the tool cannot tell the ones that do not;
    /// - a local queue or channel used as a one-shot reply slot (received
    ///   from at most once, outside loops, never handed on);
    /// - a `queue.*` queue in a module that imports no thread, process or
    ///   task API: a plain data structure (a heap, a FIFO) no thread fills;
    /// - the channel inside a wrapper that is itself a channel constructor
    ///   (`fn channel()`, `fn unbounded()`, `fn *_channel()`): its callers
    ///   choose;
    /// - test code (`#[test]`, `#[cfg(test)]`, `def test_*`, `TestCase`), and
    ///   whole test and benchmark files: by their place (below a `tests`,
    ///   `test`, `testing`, `benches` or `benchmarks` directory of the
    ///   checked tree, `test_*.py`, `*_test.py`, `conftest.py`) or by their
    ///   content (a Rust file with a `#[test]` function at its top level, a
    ///   `criterion`/`divan` import or a top-level `main` that asserts, a
    ///   Python module that imports `pytest` or `unittest` or defines a
    ///   `test_*` function at module level).
    ///
    /// A maxsize given by a variable or expression is trusted. A consumer
    /// whose deliveries are bounded by means the file does not show (a
    /// broker prefetch count or link credit set on the channel, a protocol
    /// that pauses reading) is still reported: expect to suppress such a
    /// finding with a comment naming the bound.
    pub static UNBOUNDED_QUEUE = {
        code: "UNB001",
        name: "unbounded-queue",
        summary: "queue or channel without a capacity",
        languages: [Python, Rust],
        severity: Warning,
        tags: ["resources", "memory"],
        preview: true,
    };
}

pub const ENTRY: RuleEntry = RuleEntry {
    meta: &UNBOUNDED_QUEUE,
    python: Some(|| Box::new(UnboundedQueue::default())),
    rust: Some(|| Box::new(UnboundedQueue::default())),
};

/// Python queue classes whose first argument (or `maxsize=`) is the bound.
const PYTHON_BOUNDABLE_QUEUES: &[&str] = &[
    "queue.Queue",
    "queue.LifoQueue",
    "queue.PriorityQueue",
    "asyncio.Queue",
    "asyncio.LifoQueue",
    "asyncio.PriorityQueue",
    "asyncio.queues.Queue",
    "asyncio.queues.LifoQueue",
    "asyncio.queues.PriorityQueue",
    "multiprocessing.Queue",
    "multiprocessing.JoinableQueue",
];

/// Python queues that cannot be bounded at all.
const PYTHON_UNBOUNDABLE_QUEUES: &[&str] = &["queue.SimpleQueue", "multiprocessing.SimpleQueue"];

/// Rust constructors of channels that have no capacity.
const RUST_UNBOUNDED_CHANNELS: &[&str] = &[
    "std::sync::mpsc::channel",
    "tokio::sync::mpsc::unbounded_channel",
    "crossbeam_channel::unbounded",
    "crossbeam::channel::unbounded",
    "flume::unbounded",
    "async_channel::unbounded",
    "futures::channel::mpsc::unbounded",
    "futures_channel::mpsc::unbounded",
];

#[derive(Default)]
struct UnboundedQueue {
    /// Queues in test code (test functions, whole test and benchmark
    /// files) live for one test and are not reported.
    tests: TestCode,
    /// Local queues used as a one-shot reply slot are not reported.
    single_use: SingleUse,
    /// The module imports a thread, process or task API: without one, a
    /// `queue.Queue` is a plain data structure (a heap, a FIFO) that no
    /// other thread fills.
    concurrent_module: bool,
    /// Functions (by span) already looked at for a semaphore or condition.
    gated: HashMap<Span, bool>,
    /// Python: the puts into queues, to tell which queues are fed data.
    producers: QueueProducers,
    /// Python: where each reported queue is bound, by its finding's span.
    holders: HashMap<Span, Holder>,
    /// Rust: the senders of channels and their sends.
    senders: ChannelSenders,
    /// Findings decided when the file ends, once every put or send is known.
    pending: Vec<Diagnostic>,
}

/// Constructors of the objects producers wait on before they put: a queue
/// created next to one is bounded by it (`Semaphore(n)` acquired per item,
/// a `Condition` over a byte budget).
const PYTHON_GATES: &[&str] = &[
    "threading.Semaphore",
    "threading.BoundedSemaphore",
    "threading.Condition",
    "asyncio.Semaphore",
    "asyncio.BoundedSemaphore",
    "asyncio.Condition",
    "multiprocessing.Semaphore",
    "multiprocessing.BoundedSemaphore",
    "multiprocessing.Condition",
];

impl UnboundedQueue {
    /// The function creating the queue also creates a semaphore or
    /// condition (`__init__` setting up both): the producers are gated.
    fn gated_function(&mut self, cx: &PyContext<'_>) -> bool {
        let Some(def) = cx.function().and_then(|frame| frame.def) else {
            return false;
        };
        *self.gated.entry(Span::from(def)).or_insert_with(|| {
            let mut finder = GateFinder { cx, found: false };
            finder.visit_body(&def.body);
            finder.found
        })
    }
}

/// Looks for a [`PYTHON_GATES`] constructor call in a function body,
/// outside nested functions and classes.
struct GateFinder<'c, 'a> {
    cx: &'c PyContext<'a>,
    found: bool,
}

impl<'b> Visitor<'b> for GateFinder<'_, '_> {
    fn visit_stmt(&mut self, stmt: &'b Stmt) {
        if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
            visitor::walk_stmt(self, stmt);
        }
    }

    fn visit_expr(&mut self, expr: &'b Expr) {
        if let Expr::Call(call) = expr {
            let callee = self.cx.resolve(&call.func);
            if callee.is_some_and(|callee| PYTHON_GATES.contains(&callee.as_str())) {
                self.found = true;
            }
        }
        visitor::walk_expr(self, expr);
    }
}

/// Modules whose import says the file runs code concurrently.
const CONCURRENCY_MODULES: &[&str] = &[
    "threading",
    "_thread",
    "concurrent",
    "multiprocessing",
    "asyncio",
    "socketserver",
    "trio",
    "anyio",
    "gevent",
    "eventlet",
];

impl PythonRule for UnboundedQueue {
    fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt, _out: &mut Vec<Diagnostic>) {
        self.tests.note_python_stmt(cx, stmt);
        self.single_use.note_python_stmt(cx, stmt);
        self.producers.note_stmt(cx, stmt);
        let modules: Vec<&str> = match stmt {
            Stmt::Import(import) => import
                .names
                .iter()
                .map(|alias| alias.name.as_str())
                .collect(),
            Stmt::ImportFrom(import) => {
                import.module.iter().map(|module| module.as_str()).collect()
            }
            _ => Vec::new(),
        };
        self.concurrent_module |= modules.iter().any(|module| {
            let root = module.split('.').next().unwrap_or(module);
            CONCURRENCY_MODULES.contains(&root)
        });
    }

    fn on_function_exit(&mut self, cx: &PyContext<'_>, _out: &mut Vec<Diagnostic>) {
        self.single_use
            .finish_python_function(cx, &mut self.pending);
    }

    fn on_module_exit(&mut self, _cx: &PyContext<'_>, out: &mut Vec<Diagnostic>) {
        self.single_use.finish_file(&mut self.pending);
        for diagnostic in std::mem::take(&mut self.pending) {
            let Some(holder) = self.holders.get(&diagnostic.span) else {
                continue;
            };
            if let Some(put) = self.producers.producer(holder) {
                out.push(diagnostic.with_related(put, "data is put into the queue here"));
            }
        }
    }

    fn on_expr(&mut self, cx: &PyContext<'_>, expr: &Expr, _out: &mut Vec<Diagnostic>) {
        self.single_use.note_python_expr(expr);
        self.producers.note_expr(cx, expr);
        let Expr::Call(call) = expr else { return };
        let Some(name) = queue_class(cx, &call.func) else {
            return;
        };
        // Only for a queue constructor: the scan over test regions is linear.
        if self.tests.contains(expr.into()) {
            return;
        }
        if name.starts_with("queue.") && !self.concurrent_module {
            return;
        }
        if self.gated_function(cx) {
            return;
        }
        // A queue returned, passed on or stored in a dict is filled by code
        // this module does not show.
        let Some(holder) = self.producers.holder(expr.into()) else {
            return;
        };
        let unbounded = PYTHON_UNBOUNDABLE_QUEUES.contains(&name.as_str())
            || call
                .arguments
                .find_argument_value("maxsize", 0)
                .is_none_or(is_non_positive_literal);
        if unbounded {
            let help = if PYTHON_UNBOUNDABLE_QUEUES.contains(&name.as_str()) {
                "use a queue that takes a bound, e.g. `queue.Queue(maxsize=N)`"
            } else {
                "bound the queue with `maxsize=N` so producers wait instead of growing memory"
            };
            let diagnostic = Diagnostic::new(
                &UNBOUNDED_QUEUE,
                expr,
                format!("`{name}` has no capacity bound"),
            )
            .with_help(help);
            self.holders.insert(expr.into(), holder);
            self.pending
                .extend(self.single_use.hold_python(cx, expr.into(), diagnostic));
        }
    }
}

/// The qualified queue class `func` constructs, including the
/// `multiprocessing.Manager().Queue()` proxy form.
fn queue_class(cx: &PyContext<'_>, func: &Expr) -> Option<String> {
    if let Some(name) = cx.resolve(func) {
        let listed = PYTHON_BOUNDABLE_QUEUES.contains(&name.as_str())
            || PYTHON_UNBOUNDABLE_QUEUES.contains(&name.as_str());
        return listed.then_some(name);
    }
    let Expr::Attribute(attribute) = func else {
        return None;
    };
    if !matches!(attribute.attr.as_str(), "Queue" | "JoinableQueue") {
        return None;
    }
    let manager = match attribute.value.as_ref() {
        Expr::Call(call) => Some(call),
        Expr::Name(name) if cx.is_module_global(name.id.as_str()) => {
            match cx.module_value(name.id.as_str()) {
                Some(Expr::Call(call)) => Some(call),
                _ => None,
            }
        }
        _ => None,
    }?;
    let is_manager = cx.resolve(&manager.func).as_deref() == Some("multiprocessing.Manager");
    is_manager.then(|| format!("multiprocessing.Manager().{}", attribute.attr))
}

/// `0`, `-1`: literal capacities that mean "unbounded" for Python queues.
fn is_non_positive_literal(expr: &Expr) -> bool {
    match expr {
        Expr::NumberLiteral(ast::ExprNumberLiteral {
            value: ast::Number::Int(int),
            ..
        }) => int.as_i64() == Some(0),
        Expr::UnaryOp(unary) if unary.op == UnaryOp::USub => {
            matches!(unary.operand.as_ref(), Expr::NumberLiteral(_))
        }
        _ => false,
    }
}

impl RustRule for UnboundedQueue {
    fn on_item(&mut self, cx: &RsContext<'_>, item: &syn::Item, _out: &mut Vec<Diagnostic>) {
        self.tests.note_rust_item(cx, item);
        self.senders.note_item(item);
    }

    fn on_local(&mut self, cx: &RsContext<'_>, local: &syn::Local, _out: &mut Vec<Diagnostic>) {
        self.single_use.note_rust_local(cx, local);
        self.senders.note_local(cx, local);
    }

    fn on_frame_exit(&mut self, cx: &RsContext<'_>, _out: &mut Vec<Diagnostic>) {
        self.single_use.finish_rust_frame(cx, &mut self.pending);
    }

    fn on_file_exit(&mut self, _cx: &RsContext<'_>, out: &mut Vec<Diagnostic>) {
        self.single_use.finish_file(&mut self.pending);
        for diagnostic in std::mem::take(&mut self.pending) {
            if let Some(send) = self.senders.producer(diagnostic.span) {
                out.push(diagnostic.with_related(send, "data is sent into the channel here"));
            }
        }
    }

    fn on_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr, _out: &mut Vec<Diagnostic>) {
        self.single_use.note_rust_expr(expr);
        self.senders.note_expr(cx, expr);
        let syn::Expr::Call(call) = expr else { return };
        let Some(callee) = cx.callee_path(call) else {
            return;
        };
        if !RUST_UNBOUNDED_CHANNELS.contains(&callee.as_str())
            || self.tests.contains(span_of(expr))
            || in_channel_constructor(cx)
        {
            return;
        }
        let help = match callee.as_str() {
            "std::sync::mpsc::channel" => "use `std::sync::mpsc::sync_channel(n)`",
            "tokio::sync::mpsc::unbounded_channel" => "use `tokio::sync::mpsc::channel(n)`",
            "futures::channel::mpsc::unbounded" | "futures_channel::mpsc::unbounded" => {
                "use `futures::channel::mpsc::channel(n)`"
            }
            _ => "use the `bounded(n)` constructor",
        };
        let diagnostic = Diagnostic::new(
            &UNBOUNDED_QUEUE,
            span_of(expr),
            format!("`{callee}` creates a channel with no capacity bound"),
        )
        .with_help(format!("{help} so senders wait instead of growing memory"));
        self.single_use.hold_rust(cx, diagnostic);
    }
}

/// Inside `fn channel()` / `fn unbounded()` / `fn *_channel()`: a wrapper
/// that is itself a channel constructor. Whether its queue may grow is
/// decided by its callers, where a bounded alternative would be chosen.
fn in_channel_constructor(cx: &RsContext<'_>) -> bool {
    cx.function().is_some_and(|function| {
        let name = function.name.as_str();
        name == "channel" || name == "unbounded" || name.ends_with("_channel")
    })
}
