//! Evidence about lifetimes, for UNB002: that a Python class is long-lived
//! (a module-level instance outside `if __name__ == "__main__":`, a
//! singleton attribute, or a member that coordinates threads or tasks),
//! and that code is not (a test double, a function run once at start-up).

use ruff_python_ast::{Expr, Stmt};

use super::python::GrowOnlyCollection;
use super::python_values::{is_self, method_class};
use crate::api::Span;
use crate::python::{FunctionFrame, PyContext};

/// Objects whose presence in a class says its instances live long: they
/// coordinate threads or tasks.
pub(super) const LONG_LIVED_MEMBERS: &[&str] = &[
    "threading.Lock",
    "threading.RLock",
    "threading.Condition",
    "threading.Semaphore",
    "threading.BoundedSemaphore",
    "threading.Thread",
    "threading.Timer",
    "_thread.allocate_lock",
    "queue.Queue",
    "queue.LifoQueue",
    "queue.PriorityQueue",
    "queue.SimpleQueue",
    "asyncio.Queue",
    "asyncio.Lock",
    "asyncio.Condition",
    "asyncio.Semaphore",
    "asyncio.get_event_loop",
    "asyncio.new_event_loop",
    "asyncio.get_running_loop",
    "concurrent.futures.ThreadPoolExecutor",
    "concurrent.futures.ProcessPoolExecutor",
    "multiprocessing.Lock",
    "multiprocessing.RLock",
    "multiprocessing.Queue",
    "multiprocessing.Pool",
    "multiprocessing.pool.ThreadPool",
];

impl GrowOnlyCollection {
    pub(super) fn in_main_block(&self, span: Span) -> bool {
        self.main_blocks
            .iter()
            .any(|block| block.start <= span.start && span.end <= block.end)
    }

    /// Notes what an assignment says about its class's lifetime.
    pub(super) fn note_class_evidence(
        &mut self,
        cx: &PyContext<'_>,
        stmt: &Stmt,
        target: &Expr,
        value: &Expr,
    ) {
        let created = match value {
            Expr::Call(call) => Some(call.func.as_ref()),
            _ => None,
        };
        if cx.function().is_none() && cx.class().is_none() {
            let in_main = self.in_main_block(stmt.into());
            if let (Some(Expr::Name(class)), false) = (created, in_main) {
                self.long_lived_classes.insert(
                    class.id.to_string(),
                    "a module-level instance of its class exists",
                );
            }
            return;
        }
        let class = match target {
            Expr::Attribute(attribute) if is_self(&attribute.value) => method_class(cx),
            Expr::Name(name) if cx.function().is_none() => {
                let in_body = cx.class().is_some_and(|class| {
                    class.body.iter().any(|member| std::ptr::eq(member, stmt))
                });
                if in_body && name.id.to_ascii_lowercase().contains("instance") {
                    let class = cx.class().map(|class| class.name.to_string());
                    if let Some(class) = class {
                        self.long_lived_classes
                            .insert(class, "its class is a singleton");
                    }
                    return;
                }
                in_body
                    .then(|| cx.class().map(|class| class.name.to_string()))
                    .flatten()
            }
            _ => None,
        };
        let holds = created
            .and_then(|func| cx.resolve(func))
            .is_some_and(|name| LONG_LIVED_MEMBERS.contains(&name.as_str()));
        if let (Some(class), true, false) = (class, holds, made_per_event(cx)) {
            self.long_lived_classes.insert(
                class,
                "its class holds a lock, queue, thread, executor or event loop",
            );
        }
    }
}

/// Parameters of a constructor that make one object per request, run or
/// session: it lives as long as that event, however many locks it holds.
const PER_EVENT_IDS: &[&str] = &[
    "run_id",
    "request_id",
    "session_id",
    "trace_id",
    "span_id",
    "conversation_id",
    "correlation_id",
    "transaction_id",
    "execution_id",
    "turn_id",
];

/// True inside an `__init__` that takes a per-event id (`def
/// __init__(self, system, *, run_id)`): the object is made for one run,
/// request or session and dropped with it, so a lock it holds orders that
/// event's own threads, not a service's.
fn made_per_event(cx: &PyContext<'_>) -> bool {
    cx.function().is_some_and(|frame| {
        frame.name == "__init__" && PER_EVENT_IDS.iter().any(|id| frame.has_parameter(id))
    })
}

/// `__name__ == "__main__"`.
pub(super) fn is_main_guard(cx: &PyContext<'_>, test: &Expr) -> bool {
    let text = cx.text(test).replace('\'', "\"");
    text.replace(' ', "") == "__name__==\"__main__\""
}

/// `FakeDriver`, `MockClient`, `StubStore`, `DummyCache`: a stand-in
/// written for tests.
pub(super) fn is_test_double(class: &str) -> bool {
    let bare = class.trim_start_matches('_');
    ["Fake", "Mock", "Stub", "Dummy"]
        .iter()
        .any(|prefix| bare.starts_with(prefix))
}

/// Inside a function that runs once, at start-up or class creation (see
/// [`FunctionFrame::runs_once_at_setup`]), or a function nested in one.
pub(super) fn in_startup_code(cx: &PyContext<'_>) -> bool {
    cx.functions().iter().any(FunctionFrame::runs_once_at_setup)
}
