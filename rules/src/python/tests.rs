//! The semantic model, observed from a probe rule: every `probe(..)` call
//! statement records what the context says at that point.

use std::sync::{Arc, Mutex};

use ruff_python_ast::{Expr, Stmt};

use super::checker::check_with;
use super::{PyContext, PythonRule};
use crate::api::{Diagnostic, FilePlace, Settings};

/// What the model said at one `probe(a, b)` statement.
#[derive(Debug, Default)]
struct Snapshot {
    held: Vec<String>,
    /// For each name argument: does it refer to a module global here?
    globals: Vec<(String, bool)>,
    locals: Vec<String>,
    concurrent: bool,
    disclaims_thread_safety: bool,
    thread_local: Vec<(String, bool)>,
    first_parameter: Option<String>,
}

struct Probe(Arc<Mutex<Vec<Snapshot>>>);

impl PythonRule for Probe {
    fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt, _out: &mut Vec<Diagnostic>) {
        let Stmt::Expr(expr) = stmt else { return };
        let Expr::Call(call) = expr.value.as_ref() else {
            return;
        };
        if !matches!(call.func.as_ref(), Expr::Name(name) if name.id.as_str() == "probe") {
            return;
        }
        let names: Vec<&str> = call
            .arguments
            .args
            .iter()
            .filter_map(|arg| arg.as_name_expr().map(|name| name.id.as_str()))
            .collect();
        let mut locals: Vec<String> = cx
            .function()
            .map(|frame| frame.locals.iter().map(|name| name.to_string()).collect())
            .unwrap_or_default();
        locals.sort();
        self.0.lock().unwrap().push(Snapshot {
            held: cx
                .held_locks()
                .iter()
                .map(|lock| lock.key.clone())
                .collect(),
            globals: names
                .iter()
                .map(|name| (name.to_string(), cx.refers_to_module_global(name)))
                .collect(),
            locals,
            concurrent: cx.module_is_concurrent(),
            disclaims_thread_safety: cx.function_disclaims_thread_safety(),
            thread_local: call
                .arguments
                .args
                .iter()
                .map(|arg| (cx.text(arg).to_string(), cx.is_thread_local(arg)))
                .collect(),
            first_parameter: cx
                .function()
                .and_then(|frame| frame.first_parameter())
                .map(str::to_string),
        });
    }
}

fn probe(source: &str) -> Vec<Snapshot> {
    let parsed = ruff_python_parser::parse_module(source).expect("valid python");
    let snapshots = Arc::new(Mutex::new(Vec::new()));
    let rules: Vec<Box<dyn PythonRule>> = vec![Box::new(Probe(snapshots.clone()))];
    check_with(
        parsed.syntax(),
        source,
        FilePlace::Shipped,
        &Settings::default(),
        rules,
    );
    let mut snapshots = snapshots.lock().unwrap();
    std::mem::take(&mut *snapshots)
}

#[test]
fn function_locals_cover_the_whole_body_and_every_binding_form() {
    let snapshots = probe(
        r#"
def handler(request, *args, flag=False, **kwargs):
    probe()
    total = 0
    for key, (left, *rest) in request.items():
        pass
    with open("f") as fh, lock:
        pass
    try:
        import os.path
        from json import loads as parse
    except ValueError as err:
        pass
    def helper():
        pass
    global counter
    counter += 1
"#,
    );
    // `counter` is declared global; `lock` is only used.
    assert_eq!(
        snapshots[0].locals,
        [
            "args", "err", "fh", "flag", "helper", "key", "kwargs", "left", "os", "parse",
            "request", "rest", "total",
        ]
    );
}

#[test]
fn module_globals_are_seen_through_reads_global_and_nonlocal() {
    let snapshots = probe(
        r#"
cache = {}
counter = 0

def reads():
    probe(cache, counter, undefined)

def shadows():
    cache = {}
    probe(cache)

def declares():
    global counter
    probe(counter)

def outer():
    cache = []
    def inner():
        nonlocal cache
        probe(cache)
    def reader():
        probe(cache)
"#,
    );
    let globals: Vec<&[(String, bool)]> = snapshots.iter().map(|s| s.globals.as_slice()).collect();
    assert_eq!(
        globals[0],
        [
            ("cache".to_string(), true),
            ("counter".to_string(), true),
            ("undefined".to_string(), false)
        ]
    );
    assert_eq!(globals[1], [("cache".to_string(), false)]);
    assert_eq!(globals[2], [("counter".to_string(), true)]);
    assert_eq!(globals[3], [("cache".to_string(), false)]);
    assert_eq!(globals[4], [("cache".to_string(), false)]);
}

#[test]
fn lock_helper_functions_acquire_and_release_their_lock() {
    let snapshots = probe(
        r#"
import threading

_lock = threading.RLock()

def _acquireLock():
    """Take the module lock."""
    if _lock:
        _lock.acquire()

def _releaseLock():
    if _lock:
        _lock.release()

def update():
    _acquireLock()
    try:
        probe()
    finally:
        _releaseLock()
    probe()

def shadowed(_acquireLock):
    _acquireLock()
    probe()
"#,
    );
    let held: Vec<&[String]> = snapshots.iter().map(|s| s.held.as_slice()).collect();
    assert_eq!(held, [&["_lock".to_string()][..], &[], &[]]);
}

#[test]
fn optional_and_non_blocking_acquires_hold_where_they_succeed() {
    let snapshots = probe(
        r#"
import threading

lock = threading.Lock()

class Heap:
    def __init__(self):
        self._lock = threading.Lock()

    def parse(self, optional_lock):
        if optional_lock is not None:
            optional_lock.acquire()
        try:
            probe()
        finally:
            if optional_lock is not None:
                optional_lock.release()
        probe()

    def poll(self):
        if not self._lock.acquire(blocking=False):
            return
        try:
            probe()
        finally:
            self._lock.release()
        probe()

    def free(self):
        if not self._lock.acquire(False):
            probe()
        else:
            try:
                probe()
            finally:
                self._lock.release()
        probe()
"#,
    );
    let held: Vec<&[String]> = snapshots.iter().map(|s| s.held.as_slice()).collect();
    assert_eq!(
        held,
        [
            &["optional_lock".to_string()][..],
            &[],
            &["self._lock".to_string()][..],
            &[],
            &[],
            &["self._lock".to_string()][..],
            &[],
        ]
    );
}

#[test]
fn a_release_in_an_else_that_leaves_keeps_the_lock_on_the_path_that_falls_through() {
    let snapshots = probe(
        r#"
import threading

lock = threading.Lock()

def take(job):
    lock.acquire()
    if job.ready:
        probe()
    elif job.failed:
        lock.release()
        raise job.error
    else:
        lock.release()
        return None
    probe()
    lock.release()
    probe()
"#,
    );
    let held: Vec<&[String]> = snapshots.iter().map(|s| s.held.as_slice()).collect();
    assert_eq!(
        held,
        [&["lock".to_string()][..], &["lock".to_string()][..], &[]]
    );
}

#[test]
fn a_local_alias_of_a_lock_is_that_lock() {
    let snapshots = probe(
        r#"
import threading

class Manager:
    def __init__(self):
        self.cond = threading.Condition()

    def run(self):
        cond = self.cond
        cond.acquire()
        try:
            probe()
        finally:
            cond.release()
        probe()
"#,
    );
    let held: Vec<&[String]> = snapshots.iter().map(|s| s.held.as_slice()).collect();
    assert_eq!(held, [&["cond".to_string()][..], &[]]);
}

#[test]
fn class_and_instance_attributes_are_told_apart() {
    let source = r#"
import threading

class Pool:
    size = 10
    _registry: dict = {}

    def __init__(self):
        self._lock = threading.Lock()
        self._idle = []

    def reset(self):
        if True:
            self._idle = []
            self._generation = 1
"#;
    let parsed = ruff_python_parser::parse_module(source).unwrap();
    let semantic = super::semantic::Semantic::new(parsed.syntax());
    let attributes = &semantic.class_attributes["Pool"];
    let mut class_level: Vec<&str> = attributes.class_level.keys().copied().collect();
    class_level.sort_unstable();
    assert_eq!(class_level, ["_registry", "size"]);
    let mut instance: Vec<(&str, &str)> = attributes
        .instance
        .iter()
        .map(|(name, attr)| (*name, attr.method))
        .collect();
    instance.sort_unstable();
    assert_eq!(
        instance,
        [
            ("_generation", "reset"),
            ("_idle", "__init__"),
            ("_lock", "__init__")
        ]
    );
    assert!(attributes
        .value_of("size")
        .is_some_and(|value| value.is_number_literal_expr()));
    assert!(semantic.class_locks["Pool"].contains_key("_lock"));
}

#[test]
fn concurrency_evidence_comes_from_thread_and_server_imports() {
    let concurrent =
        |source: &str| probe(&format!("{source}\ndef f():\n    probe()\n"))[0].concurrent;
    assert!(concurrent("import threading"));
    assert!(concurrent(
        "from concurrent.futures import ThreadPoolExecutor"
    ));
    assert!(concurrent("from flask import Flask"));
    assert!(concurrent("import django.db"));
    assert!(!concurrent("import asyncio\nimport json"));
    assert!(!concurrent("from .threading import helper"));
    assert!(!concurrent("import threadingx"));
    // One thread at a time: tornado's single IOLoop, green threads, tests.
    assert!(!concurrent("import tornado.web"));
    assert!(!concurrent("import threading\nimport gevent"));
    assert!(!concurrent(
        "import threading\nfrom eventlet.green import socket"
    ));
    assert!(!concurrent("import threading\nimport pytest"));
}

#[test]
fn thread_locals_and_import_time_instances_are_recognised() {
    let snapshots = probe(
        r#"
import threading

_state = threading.local()
_shared = {}

class Sentinel:
    pass

MISSING = Sentinel()

def f(self):
    probe(_state, _shared, self)
"#,
    );
    assert_eq!(
        snapshots[0].thread_local,
        [
            ("_state".to_string(), true),
            ("_shared".to_string(), false),
            ("self".to_string(), false)
        ]
    );
    assert_eq!(snapshots[0].first_parameter.as_deref(), Some("self"));
    let parsed = ruff_python_parser::parse_module("MISSING = Sentinel()\nx = make().y\n").unwrap();
    let semantic = super::semantic::Semantic::new(parsed.syntax());
    assert!(semantic.instantiated_at_import.contains("Sentinel"));
    assert!(!semantic.instantiated_at_import.contains("make"));
}

#[test]
fn a_function_can_disclaim_thread_safety() {
    let disclaims =
        |body: &str| probe(&format!("def f():\n{body}\n    probe()\n"))[0].disclaims_thread_safety;
    assert!(disclaims("    # This is not thread-safe, call it first"));
    assert!(disclaims(
        "    \"\"\"Counts (the counter is not particularly\n    threadsafe).\"\"\""
    ));
    assert!(disclaims("    # isn't thread safe"));
    assert!(disclaims(
        "    \"\"\"Fast path.\n\n    - It does not use any thread safety locks.\"\"\""
    ));
    assert!(disclaims("    # runs without thread-safety guarantees"));
    assert!(disclaims(
        "    # Mutated without a lock: the race is benign."
    ));
    assert!(!disclaims(
        "    # A race here would corrupt the index: take the lock."
    ));
    assert!(!disclaims("    # thread safety: the caller holds the lock"));
    assert!(!disclaims("    # thread-safe: guarded by the caller"));
    assert!(!disclaims("    x = 1"));
}

#[test]
fn a_function_can_say_it_needs_no_lock() {
    let disclaims =
        |body: &str| probe(&format!("def f():\n{body}\n    probe()\n"))[0].disclaims_thread_safety;
    assert!(disclaims(
        "    # load_rules runs at startup (single caller, no concurrent access);\n    # _mutation_lock not required here."
    ));
    assert!(disclaims("    # never called concurrently"));
    assert!(disclaims("    # no lock needed: one writer"));
    assert!(disclaims("    # locking is unnecessary here"));
    assert!(disclaims(
        "    # The counter is deliberately unlocked: a lost update skips one prune."
    ));
    assert!(disclaims("    # intentionally lock-free"));
    assert!(disclaims(
        "    \"\"\"In multi-threaded scenarios use execute_atomic(); this is safe for single-threaded use.\"\"\""
    ));
    assert!(!disclaims("    # faster than the single-threaded version"));
    assert!(!disclaims(
        "    # the lock is required: workers call this concurrently"
    ));
    assert!(!disclaims("    # unlocked reads would see a torn update"));
    assert!(!disclaims(
        "    # take the lock to avoid concurrent updates"
    ));
    assert!(!disclaims("    # a lock is needed here"));
}

#[test]
fn a_test_helper_disclaims_thread_safety() {
    let disclaims =
        |body: &str| probe(&format!("def f():\n{body}\n    probe()\n"))[0].disclaims_thread_safety;
    assert!(disclaims(
        "    \"\"\"Erase registry (for isolated tests).\n\n    Only use this in test code.\"\"\""
    ));
    assert!(disclaims("    # Test helper: resets the counters"));
    assert!(disclaims("    # for testing only"));
    assert!(disclaims("    # only for tests"));
    assert!(disclaims("    # test-only hook"));
    assert!(!disclaims("    # only test the first shard, then count"));
    assert!(!disclaims("    # the tests only cover the happy path"));
    assert!(!disclaims("    # counted for tests and dashboards"));
}

#[test]
fn a_callback_run_by_its_own_class_runs_under_the_definers_locks() {
    let snapshots = probe(
        r#"
import threading

class Store:
    def __init__(self):
        self._lock = threading.Lock()
        self._later = []

    def _run(self, body):
        return body()

    def _keep(self, callback):
        self._later.append(callback)

    def save(self):
        with self._lock:
            def inline():
                probe()
            def later():
                probe()
            self._run(inline)
            self._keep(later)
"#,
    );
    let held: Vec<&[String]> = snapshots.iter().map(|s| s.held.as_slice()).collect();
    assert_eq!(held, [&["self._lock".to_string()][..], &[]]);
}
