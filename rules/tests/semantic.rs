//! The semantic models, observed through a probe rule that reports what the
//! checker knows at every call: resolved callee, async context and locks or
//! guards held.

use harden_rules::python::{PyContext, PythonRule};
use harden_rules::rust::{RsContext, RustRule};
use harden_rules::{declare_rule, Diagnostic, RuleEntry, Settings};
use ruff_python_ast::Expr;

declare_rule! {
    /// ## What it does
    /// Test probe.
    /// ## Why is this bad?
    /// ## Example
    /// ## Use instead
    /// ## Known limitations
    static PROBE = {
        code: "PRB001",
        name: "probe",
        summary: "probe",
        languages: [Python, Rust],
        severity: Warning,
        tags: [],
    };
}

struct Probe;

impl PythonRule for Probe {
    fn on_expr(&mut self, cx: &PyContext<'_>, expr: &Expr, out: &mut Vec<Diagnostic>) {
        let Expr::Call(call) = expr else { return };
        let callee = cx.resolve(&call.func).unwrap_or_else(|| "?".into());
        let locks: Vec<String> = cx
            .held_locks()
            .iter()
            .map(|lock| format!("{}:{:?}", lock.key, lock.kind))
            .collect();
        let message = format!(
            "{callee} async={} locks=[{}]",
            cx.in_async(),
            locks.join(",")
        );
        out.push(Diagnostic::new(&PROBE, expr, message));
    }
}

impl RustRule for Probe {
    fn on_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr, out: &mut Vec<Diagnostic>) {
        let callee = match expr {
            syn::Expr::Call(call) => cx.callee_path(call).unwrap_or_else(|| "?".into()),
            syn::Expr::MethodCall(call) => {
                let ty = cx.infer_type(&call.receiver).unwrap_or_else(|| "?".into());
                format!("{ty}.{}", call.method)
            }
            syn::Expr::Await(_) => "await".into(),
            _ => return,
        };
        let guards: Vec<&str> = cx
            .guards()
            .iter()
            .map(|guard| guard.lock.as_str())
            .collect();
        let message = format!(
            "{callee} async={} guards=[{}]",
            cx.in_async(),
            guards.join(",")
        );
        out.push(Diagnostic::new(
            &PROBE,
            harden_rules::rust::span_of(expr),
            message,
        ));
    }
}

static PROBE_ENTRY: RuleEntry = RuleEntry {
    meta: &PROBE,
    python: Some(|| Box::new(Probe)),
    rust: Some(|| Box::new(Probe)),
};

fn probe_python(source: &str) -> Vec<String> {
    let parsed = ruff_python_parser::parse_module(source).expect("valid python");
    harden_rules::python::check(
        parsed.syntax(),
        source,
        &Settings::default(),
        &[&PROBE_ENTRY],
    )
    .into_iter()
    .map(|diagnostic| diagnostic.message)
    .collect()
}

fn probe_rust(source: &str) -> Vec<String> {
    let file = syn::parse_file(source).expect("valid rust");
    harden_rules::rust::check(&file, source, &Settings::default(), &[&PROBE_ENTRY])
        .into_iter()
        .map(|diagnostic| diagnostic.message)
        .collect()
}

#[test]
fn python_resolves_imports_aliases_and_shadowing() {
    let found = probe_python(
        "import subprocess as sp\nfrom time import sleep as nap\nimport os.path\n\
         def f(nap):\n    nap(1)\nsp.run([])\nnap(2)\nos.path.join('a')\nopen('x')\n",
    );
    assert_eq!(
        found,
        [
            "? async=false locks=[]",
            "subprocess.run async=false locks=[]",
            "time.sleep async=false locks=[]",
            "os.path.join async=false locks=[]",
            "builtins.open async=false locks=[]",
        ]
    );
}

#[test]
fn python_async_context_ends_at_nested_sync_code() {
    let found = probe_python(
        "async def f():\n    g()\n    def inner():\n        h()\n    k(lambda: m())\n    [n() for _ in x]\n",
    );
    assert_eq!(
        found,
        [
            "builtins.g async=true locks=[]",
            "builtins.h async=false locks=[]",
            "builtins.k async=true locks=[]",
            "builtins.m async=false locks=[]",
            "builtins.n async=true locks=[]",
        ]
    );
}

#[test]
fn python_tracks_locks_through_with_and_acquire_release() {
    let found = probe_python(
        "import threading, asyncio\n_lock = threading.Lock()\n\
         class C:\n    def __init__(self):\n        self._alock = asyncio.Lock()\n\
         \n    async def m(self):\n        async with self._alock:\n            a()\n\
         \n    def n(self):\n        _lock.acquire()\n        try:\n            b()\n        finally:\n            _lock.release()\n        c()\n\
         \n    def o(self):\n        with _lock, self.state_lock:\n            def later():\n                d()\n            e()\n",
    );
    let relevant: Vec<&String> = found
        .iter()
        .filter(|message| {
            !message.starts_with("threading")
                && !message.starts_with("asyncio")
                && !message.starts_with('?')
        })
        .collect();
    assert_eq!(
        relevant,
        [
            "builtins.a async=true locks=[self._alock:Async]",
            "builtins.b async=false locks=[_lock:Threading]",
            "builtins.c async=false locks=[]",
            "builtins.d async=false locks=[]",
            "builtins.e async=false locks=[_lock:Threading,self.state_lock:Unknown]",
        ]
    );
}

#[test]
fn rust_resolves_use_paths_and_renames() {
    let found = probe_rust(
        "use std::thread;\nuse std::fs::read_to_string as slurp;\nuse std::process::{self, Command};\n\
         fn f() { thread::sleep(d); slurp(p); process::exit(1); Command::new(\"ls\").arg(\"-l\").output(); }\n",
    );
    assert_eq!(
        found,
        [
            "std::thread::sleep async=false guards=[]",
            "std::fs::read_to_string async=false guards=[]",
            "std::process::exit async=false guards=[]",
            "std::process::Command.output async=false guards=[]",
            "std::process::Command.arg async=false guards=[]",
            "std::process::Command::new async=false guards=[]",
        ]
    );
}

#[test]
fn rust_guards_live_to_block_end_or_drop() {
    let found = probe_rust(
        "async fn f(m: &Mutex<u8>) {\n    let g = m.lock().unwrap();\n    a().await;\n    drop(g);\n    b().await;\n\
         {\n        let h = m.lock().unwrap();\n    }\n    c().await;\n    let t = m.lock().await;\n    e().await;\n}\n",
    );
    let awaits: Vec<&String> = found
        .iter()
        .filter(|message| message.starts_with("await"))
        .collect();
    assert_eq!(
        awaits,
        [
            "await async=true guards=[m]",
            "await async=true guards=[]",
            "await async=true guards=[]",
            // The `.lock().await` itself, before its guard is bound.
            "await async=true guards=[]",
            "await async=true guards=[m]",
        ]
    );
}

#[test]
fn rust_closures_are_sync_and_async_blocks_are_async() {
    let found = probe_rust(
        "fn f() { spawn(async { a(); }); run(|| b()); }\nasync fn g() { run(move || c()); }\n",
    );
    assert_eq!(
        found,
        [
            "spawn async=false guards=[]",
            "a async=true guards=[]",
            "run async=false guards=[]",
            "b async=false guards=[]",
            "run async=true guards=[]",
            "c async=false guards=[]",
        ]
    );
}
