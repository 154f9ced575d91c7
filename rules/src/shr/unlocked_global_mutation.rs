use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};

use crate::api::{Diagnostic, RuleEntry};
use crate::declare_rule;
use crate::python::{last_name, PyContext, PythonRule};
use crate::rust::{span_of, RsContext, RustRule};
use crate::shr::one_thread::{is_scope_counter, runs_single_threaded};
use crate::shr::{is_container, is_rebuilt_first};
use rustc_hash::FxHashSet as HashSet;

use crate::sgl::{
    allows_static_mut_refs, caller_holds_lock_by_convention, static_mut_root, Callers,
    StaticMutRegions,
};

declare_rule! {
    /// ## What it does
    /// Flags a read-modify-write of module-global state with no thread lock
    /// held: `global g` then `g += 1`, `g = g + x`, `g = g | flags`;
    /// `counts[key] += 1` or `stats.hits += 1` on a module-level object. In
    /// Rust, a read-modify-write of a `static mut`: `+=` and friends, a
    /// `&mut` borrow, a mutating method call (`push`, `insert`, `take`, ..).
    ///
    /// ## Why is this bad?
    /// The read and the write are separate steps. Two threads that
    /// interleave between them lose an update: counters undercount, flags
    /// set by one thread are cleared by another. The GIL does not make `+=`
    /// atomic, and free-threaded Python drops even the GIL. In Rust a
    /// concurrent write to a `static mut` is undefined behaviour.
    ///
    /// ## Example
    /// ```python
    /// _requests_served = 0
    ///
    /// def handle(request):
    ///     global _requests_served
    ///     _requests_served += 1
    /// ```
    /// ```rust
    /// static mut REQUESTS: u64 = 0;
    ///
    /// fn handle() {
    ///     unsafe { REQUESTS += 1 };
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// _requests_served = 0
    /// _stats_lock = threading.Lock()
    ///
    /// def handle(request):
    ///     global _requests_served
    ///     with _stats_lock:
    ///         _requests_served += 1
    /// ```
    /// or `itertools.count()` for ids.
    /// ```rust
    /// static REQUESTS: AtomicU64 = AtomicU64::new(0);
    ///
    /// fn handle() {
    ///     REQUESTS.fetch_add(1, Ordering::Relaxed);
    /// }
    /// ```
    /// or a `Mutex` in a `static` / `LazyLock`.
    ///
    /// ## Known limitations
    /// Python code is checked in modules that call a thread API themselves
    /// (`threading`, `_thread`, `concurrent.futures`, `queue`: start a
    /// thread, make a lock, an executor or a thread queue) or subclass
    /// `threading.Thread`. Elsewhere module counters are nearly always
    /// single-threaded tooling; importing a server framework, asking which
    /// thread runs (`threading.get_ident()`, as event-loop patches do), or
    /// importing `queue` only to catch `queue.Empty` from a queue handed in
    /// (which may be a `multiprocessing` one), is not enough.
    /// Modules that also import green threads (`gevent`, `eventlet`) or a
    /// test framework (`pytest`, `unittest`), and test-support files (below
    /// a `tests`/`test`/`benches` directory, `test_*.py`, `conftest.py`)
    /// are skipped, and so is code in
    /// `async def` functions (one event loop runs a statement without
    /// `await` whole). Module-level code, `main` and test functions (and
    /// functions nested in them), registration decorators (a function of
    /// one parameter that returns it unchanged: it runs when the decorated
    /// function is defined, at import; and so does the body of a wrapping
    /// decorator, `def timed(fn): ...; return wrapper`), functions whose comments or
    /// docstring say they are not thread-safe, need no lock ("no lock
    /// needed", "the counter is deliberately unlocked") or serve tests only
    /// ("test helper", "for testing only"), globals whose comment block says so
    /// or calls the race benign ("mutated without a lock ... The race is
    /// benign", "Test-only call counter"), and `threading.local()`
    /// objects are not flagged. A function or method whose every call in
    /// the module holds a thread lock is taken to run under it; a lock held
    /// by callers elsewhere is not seen, and functions named `*_locked` /
    /// `_unlocked*` or wrapped in a locking decorator (`@synchronized`,
    /// `@lock`) are trusted to run under it. Signal handlers
    /// (`signal.signal(SIGTERM, on_term)`, or the `(signum, frame)`
    /// signature) run on the main thread and child fork handlers
    /// (`os.register_at_fork(after_in_child=reseed)`) in a child with one
    /// thread, `gc.callbacks` (and PyPy's `gc.hooks`) run one collection at
    /// a time, and a `multiprocessing` pool's `callback=` runs on its one
    /// result thread: none of them is flagged. Neither is the loop of a
    /// thread the module starts once (`Thread(target=receive_loop)`, not in
    /// a loop), nor a function the module calls only from coroutines (or as
    /// an argument of `loop.run_in_executor(..)`) and never hands on (it
    /// runs on the event loop), nor one it calls only from decorator
    /// bodies, nor a method of a `watchdog` event handler (its observer
    /// dispatches events from one thread). A function that first
    /// sets the global afresh (`total = 0`, then `total += len(group)` in a
    /// loop) is building it, in set-up code, and a private counter read only
    /// in log calls (`_alive += 1; log.debug("%d alive", _alive)`) or
    /// modulo a period (`if _appends % CHECK_EVERY == 0:`, `pool[_next %
    /// len(pool)]`) is diagnostic, sampling or round-robin: neither is
    /// flagged. `with value.get_lock():` holds a
    /// `multiprocessing.Value`'s own lock. Scope counters (`global
    /// depth; depth += 1` directly followed by a `try` whose `finally`
    /// does `depth -= 1`) track one caller's nesting (trace indentation, a
    /// "loop is running" flag) and are not flagged; a tally raised and
    /// lowered without that pairing still is. `d[k] += [x]` (a list on
    /// the right) extends the stored list in place and is not flagged. Plain
    /// rebinding (`global g; g = compute()`, Rust `X = v`) is not a
    /// read-modify-write and is not flagged, nor is an in-place `+=` / `|=`
    /// on a module list, set or dict (one call on the object). Rust updates
    /// inside `Once::call_once` (a closure or a function passed to it), in
    /// a function that orders them with an atomic `compare_exchange`, or in
    /// a file that allows rustc's `static_mut_refs` lint are taken as
    /// reviewed and not flagged, and so are updates in `#[test]` functions
    /// and in an `unsafe fn` (its callers promise who runs it: "must be
    /// called exactly once before `main`"; a safe caller that breaks the
    /// promise is not seen), and updates of a static that exists only in
    /// `no_std` builds (`#[cfg(not(feature = "std"))]`: embedded and wasm
    /// targets without `std::thread`).
    pub static UNLOCKED_GLOBAL_MUTATION = {
        code: "SHR001",
        name: "unlocked-global-mutation",
        summary: "read-modify-write of global state outside a lock",
        languages: [Python, Rust],
        severity: Error,
        tags: ["concurrency", "shared-state"],
        preview: true,
    };
}

pub const ENTRY: RuleEntry = RuleEntry {
    meta: &UNLOCKED_GLOBAL_MUTATION,
    python: Some(|| Box::<PyUnlockedGlobalMutation>::default()),
    rust: Some(|| Box::<RsUnlockedGlobalMutation>::default()),
};

#[derive(Default)]
struct PyUnlockedGlobalMutation {
    /// Findings wait here until the module's calls are known: one in a
    /// function every caller locks is not reported.
    calls: Callers,
    /// The module calls a thread API itself (see [`is_thread_api_call`]) or
    /// subclasses `threading.Thread`.
    calls_thread_api: bool,
}

impl PythonRule for PyUnlockedGlobalMutation {
    fn on_expr(&mut self, cx: &PyContext<'_>, expr: &Expr, _out: &mut Vec<Diagnostic>) {
        if cx.module_is_concurrent() {
            // One call is enough; resolving every later one would allocate.
            if !self.calls_thread_api {
                self.calls_thread_api = is_thread_api_call(cx, expr);
            }
        }
    }

    fn uses_function_roles(&self) -> bool {
        true
    }

    fn on_module_exit(&mut self, cx: &PyContext<'_>, out: &mut Vec<Diagnostic>) {
        if self.calls_thread_api {
            self.calls.report(cx, out);
        }
    }

    fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt, _out: &mut Vec<Diagnostic>) {
        if cx.module_is_concurrent() && !self.calls_thread_api {
            self.calls_thread_api = defines_thread_class(cx, stmt);
        }
        let global = match stmt {
            Stmt::AugAssign(aug_assign) if extends_list_in_place(cx, aug_assign) => None,
            Stmt::AugAssign(ast::StmtAugAssign { target, .. }) => mutated_global(cx, target),
            Stmt::Assign(ast::StmtAssign { targets, value, .. }) => match targets.as_slice() {
                [Expr::Name(name)]
                    if cx.is_module_global(name.id.as_str())
                        && reads_in_operation(value, name.id.as_str()) =>
                {
                    Some(name.id.as_str())
                }
                _ => None,
            },
            _ => None,
        };
        let Some(global) = global else { return };
        // The statement is a candidate; now the (costlier) context checks.
        if !cx.module_is_concurrent()
            || is_scope_counter(cx, stmt)
            || is_rebuilt_first(cx, stmt, global)
            || cx.holds_thread_lock()
            || caller_holds_lock_by_convention(cx)
            || runs_single_threaded(cx)
            // Coroutine code runs on one event loop, and a statement without
            // an `await` runs whole there.
            || cx.in_async()
            || cx.function_disclaims_thread_safety()
            || cx.global_disclaims_thread_safety(global)
            || (matches!(stmt, Stmt::AugAssign(_)) && is_harmless_counter(cx, global))
        {
            return;
        }
        let diagnostic = Diagnostic::new(
            &UNLOCKED_GLOBAL_MUTATION,
            stmt,
            format!("read-modify-write of module global `{global}` without a lock: concurrent updates are lost"),
        )
        .with_help(
            "hold a module-level `threading.Lock` around the update (`with _lock: ...`), or use `itertools.count()` for counters"
        );
        self.calls.defer(cx, diagnostic);
    }
}

/// True when `expr` calls into `threading`, `_thread`, `concurrent.futures`
/// or `queue`: starts a thread, makes a lock, an executor or a thread
/// queue. A module that only imports them (to catch `queue.Empty`) or
/// imports a server framework gives no sign that its own counters are
/// updated from several threads: an update there is held back unless
/// such a call turns up. Asking which thread runs (`get_ident()`,
/// `current_thread()`) is no such sign either: event-loop patches and
/// loggers ask it on one thread.
fn is_thread_api_call(cx: &PyContext<'_>, expr: &Expr) -> bool {
    let Expr::Call(call) = expr else { return false };
    cx.resolve(&call.func).is_some_and(|name| {
        let head = name.split('.').next().unwrap_or(&name);
        let asks_identity = matches!(
            name.rsplit('.').next(),
            Some(
                "get_ident" | "get_native_id" | "current_thread" | "currentThread" | "main_thread"
            )
        );
        matches!(head, "threading" | "_thread" | "concurrent" | "queue") && !asks_identity
    })
}

/// True when the global `name` is private (`_count`: other modules do not
/// read it) and the module reads it, and only inside log calls (`_count += 1;
/// log.debug("%d wrappers now exist", _count)`) or to take it modulo a
/// period (`if _appends % CHECK_EVERY == 0: compact()`, `servers[_next %
/// len(servers)]`): a counter kept for diagnostics, sampling or round-robin,
/// where a lost update misreports one log line, shifts one sample or sends
/// two calls to one slot, and changes nothing else.
fn is_harmless_counter(cx: &PyContext<'_>, name: &str) -> bool {
    struct Reads<'n> {
        name: &'n str,
        /// Depth of log-call arguments around the walk.
        in_log: usize,
        read_harmlessly: bool,
        read_elsewhere: bool,
    }
    impl<'v> Visitor<'v> for Reads<'_> {
        fn visit_expr(&mut self, expr: &'v Expr) {
            match expr {
                Expr::Name(read) if read.ctx.is_load() && read.id.as_str() == self.name => {
                    self.read_harmlessly |= self.in_log > 0;
                    self.read_elsewhere |= self.in_log == 0;
                }
                // `_count % period`: the counter picks a sample or a slot.
                // (`"%d" % _count` formats it: the name is on the right.)
                Expr::BinOp(ast::ExprBinOp {
                    left,
                    op: ast::Operator::Mod,
                    right,
                    ..
                }) if matches!(left.as_ref(), Expr::Name(read) if read.id.as_str() == self.name) => {
                    self.read_harmlessly = true;
                    self.visit_expr(right);
                }
                Expr::Call(call) if last_name(&call.func).is_some_and(is_log_call_name) => {
                    self.in_log += 1;
                    visitor::walk_expr(self, expr);
                    self.in_log -= 1;
                }
                _ => visitor::walk_expr(self, expr),
            }
        }
    }
    if !name.starts_with('_') {
        return false;
    }
    let mut reads = Reads {
        name,
        in_log: 0,
        read_harmlessly: false,
        read_elsewhere: false,
    };
    reads.visit_body(cx.module_body());
    reads.read_harmlessly && !reads.read_elsewhere
}

/// `debug`, `debug3`, `info`, `warning`, `log`, `log_debug`, `print`: the
/// name of a call that only writes a message.
fn is_log_call_name(name: &str) -> bool {
    name.starts_with("debug")
        || name.starts_with("log_")
        || matches!(
            name,
            "info" | "warning" | "warn" | "error" | "exception" | "critical" | "log" | "print"
        )
}

/// `class Worker(threading.Thread)`: the module defines code that runs on
/// threads of its own.
fn defines_thread_class(cx: &PyContext<'_>, stmt: &Stmt) -> bool {
    let Stmt::ClassDef(class) = stmt else {
        return false;
    };
    class
        .bases()
        .iter()
        .any(|base| cx.resolve(base).as_deref() == Some("threading.Thread"))
}

/// `registry[key] += [item]` / `pending[doc] += futures` with a list on
/// the right: only a list accepts a list for `+=`, and it extends itself in
/// place (one call on the object): no lost update.
fn extends_list_in_place(cx: &PyContext<'_>, aug_assign: &ast::StmtAugAssign) -> bool {
    let is_list = |value: &Expr| matches!(value, Expr::List(_) | Expr::ListComp(_));
    aug_assign.op == ast::Operator::Add
        && match aug_assign.value.as_ref() {
            Expr::Name(name) => cx.value_of(name.id.as_str()).is_some_and(is_list),
            other => is_list(other),
        }
}

/// The module global an augmented assignment updates: `g += 1` with `global
/// g`, `counts[k] += 1` / `stats.hits += 1` on a module-level object.
fn mutated_global<'e>(cx: &PyContext<'_>, target: &'e Expr) -> Option<&'e str> {
    match target {
        // `log += entries` on a module list (or `|=` on a set or dict)
        // updates the object in place in one call: no lost update.
        Expr::Name(name) => (cx.is_module_global(name.id.as_str())
            && !cx
                .module_value(name.id.as_str())
                .is_some_and(|value| is_container(cx, value)))
        .then_some(name.id.as_str()),
        Expr::Attribute(ast::ExprAttribute { value, .. })
        | Expr::Subscript(ast::ExprSubscript { value, .. }) => {
            let Expr::Name(root) = value.as_ref() else {
                return None;
            };
            if cx.is_thread_local(value) {
                return None;
            }
            let id = root.id.as_str();
            // Assigned at module level (not an imported module) and not a
            // local of this function.
            (cx.refers_to_module_global(id) && cx.module_value(id).is_some()).then_some(id)
        }
        _ => None,
    }
}

/// True when `value` is an arithmetic or bitwise expression that reads
/// `name` as an operand: `g + 1`, `flags | g`, `g * 2 + 1`.
fn reads_in_operation(value: &Expr, name: &str) -> bool {
    let Expr::BinOp(bin_op) = value else {
        return false;
    };
    [bin_op.left.as_ref(), bin_op.right.as_ref()]
        .into_iter()
        .any(|operand| match operand {
            Expr::Name(operand) => operand.id.as_str() == name,
            other => reads_in_operation(other, name),
        })
}

/// A `static mut` update found during the walk, reported at the end of the
/// file unless its function turns out to be synchronised.
struct Candidate {
    diagnostic: Diagnostic,
    /// The enclosing named function.
    function: Option<String>,
    /// The `static mut` updated.
    name: String,
}

#[derive(Default)]
struct RsUnlockedGlobalMutation {
    regions: StaticMutRegions,
    candidates: Vec<Candidate>,
    /// Functions handed to `Once::call_once` by path (`INIT.call_once(init)`).
    once_functions: HashSet<String>,
    /// Functions that order their `static mut` access with an atomic
    /// compare-and-swap (a hand-rolled once: `STATE.compare_exchange(..)`).
    handshake_functions: HashSet<String>,
    /// Tests (`#[test]`, `#[tokio::test]`) and `unsafe fn`s: the test
    /// harness or the caller's contract ("call once, before any thread
    /// starts") decides who runs them, not this file.
    contract_functions: HashSet<String>,
    /// Statics that exist only in `no_std` builds
    /// (`#[cfg(not(feature = "std"))]`): embedded and wasm targets without
    /// `std::thread`.
    no_std_statics: HashSet<String>,
}

/// True for `#[cfg(not(feature = "std"))]`.
fn is_no_std_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg") && {
            let tokens: String = quote::ToTokens::to_token_stream(&attr.meta)
                .to_string()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            tokens.contains("not(feature=\"std\")")
        }
    })
}

/// Methods that take `&mut self` on the std types a `static mut` usually
/// holds (`Option`, `Vec`, `HashMap`, `String`).
const MUTATING_METHODS: &[&str] = &[
    "push",
    "push_str",
    "push_back",
    "push_front",
    "insert",
    "remove",
    "clear",
    "extend",
    "extend_from_slice",
    "pop",
    "take",
    "replace",
    "get_or_insert",
    "get_or_insert_with",
    "as_mut",
    "truncate",
    "retain",
    "drain",
    "append",
    "entry",
    "iter_mut",
    "get_mut",
    "sort",
    "swap",
];

const ATOMIC_HANDSHAKES: &[&str] = &[
    "compare_exchange",
    "compare_exchange_weak",
    "compare_and_swap",
];

impl RustRule for RsUnlockedGlobalMutation {
    fn on_item(&mut self, _cx: &RsContext<'_>, item: &syn::Item, _out: &mut Vec<Diagnostic>) {
        if let syn::Item::Static(item) = item {
            if is_no_std_only(&item.attrs) {
                self.no_std_statics.insert(item.ident.to_string());
            }
            return;
        }
        let syn::Item::Fn(function) = item else {
            return;
        };
        let is_test = function.attrs.iter().any(|attr| {
            attr.path()
                .segments
                .last()
                .is_some_and(|segment| segment.ident == "test")
        });
        if is_test || function.sig.unsafety.is_some() {
            self.contract_functions
                .insert(function.sig.ident.to_string());
        }
    }

    fn on_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr, _out: &mut Vec<Diagnostic>) {
        self.regions.on_expr(cx, expr);
        let function = cx.function().map(|frame| frame.name.clone());
        if let syn::Expr::MethodCall(call) = expr {
            let method = call.method.to_string();
            if ATOMIC_HANDSHAKES.contains(&method.as_str()) {
                self.handshake_functions.extend(function.clone());
            }
            if method == "call_once" || method == "call_once_force" {
                for arg in &call.args {
                    if let syn::Expr::Path(path) = arg {
                        if let Some(last) = path.path.segments.last() {
                            self.once_functions.insert(last.ident.to_string());
                        }
                    }
                }
            }
        }
        // A plain store (`X = v`) is left out: outside SGL001's lazy
        // initialisation it is nearly always one-time setup.
        let (name, what) = match expr {
            syn::Expr::Binary(binary) if is_compound_assignment(binary.op) => {
                let Some(name) = static_mut_root(cx, &binary.left) else {
                    return;
                };
                (name, "read-modify-write of")
            }
            syn::Expr::Reference(reference) if reference.mutability.is_some() => {
                let Some(name) = static_mut_root(cx, &reference.expr) else {
                    return;
                };
                (name, "`&mut` borrow of")
            }
            syn::Expr::MethodCall(call)
                if MUTATING_METHODS.contains(&call.method.to_string().as_str()) =>
            {
                let Some(name) = static_mut_root(cx, &call.receiver) else {
                    return;
                };
                (name, "mutating method call on")
            }
            _ => return,
        };
        if self.regions.in_once(span_of(expr)) {
            return;
        }
        let diagnostic = Diagnostic::new(
            &UNLOCKED_GLOBAL_MUTATION,
            span_of(expr),
            format!("{what} `static mut {name}`: a data race (undefined behaviour) as soon as two threads get here"),
        )
        .with_help(
            "replace the `static mut` with an atomic (`AtomicU64`, `AtomicBool`), a `static Mutex<T>`, or `std::sync::OnceLock`/`LazyLock` for one-time initialisation",
        );
        self.candidates.push(Candidate {
            diagnostic,
            function,
            name,
        });
    }

    fn on_file_exit(&mut self, cx: &RsContext<'_>, out: &mut Vec<Diagnostic>) {
        if allows_static_mut_refs(cx) {
            return;
        }
        for candidate in self.candidates.drain(..) {
            let synchronised = candidate.function.as_ref().is_some_and(|function| {
                self.once_functions.contains(function)
                    || self.handshake_functions.contains(function)
                    || self.contract_functions.contains(function)
            });
            if !synchronised && !self.no_std_statics.contains(&candidate.name) {
                out.push(candidate.diagnostic);
            }
        }
    }
}

fn is_compound_assignment(op: syn::BinOp) -> bool {
    use syn::BinOp::*;
    matches!(
        op,
        AddAssign(_)
            | SubAssign(_)
            | MulAssign(_)
            | DivAssign(_)
            | RemAssign(_)
            | BitXorAssign(_)
            | BitAndAssign(_)
            | BitOrAssign(_)
            | ShlAssign(_)
            | ShrAssign(_)
    )
}
