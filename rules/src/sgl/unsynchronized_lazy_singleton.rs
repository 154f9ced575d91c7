use ruff_python_ast::Stmt;

use crate::api::{Diagnostic, RuleEntry};
use crate::declare_rule;
use crate::python::{LockKind, PyContext, PythonRule};
use crate::rust::{span_of, RsContext, RustRule};
use crate::sgl::lazy_init::{
    awaits_between_check_and_store, builds_shared_object, builds_stateless_local_class,
    builds_value_object, is_event_loop_object, memoises_its_key, returns_the_slot,
};
use crate::sgl::{
    allows_static_mut_refs, static_mut_root, Callers, LazyInitTracker, StaticMutRegions,
};

declare_rule! {
    /// ## What it does
    /// Flags a lazily created shared object whose check and store run with
    /// no lock held: `global _x` then `if _x is None: _x = X()` (also `if
    /// not _x`, the early return `if _x is not None: return _x` followed by
    /// the store, `cls._instance is None` in a classmethod or `__new__`,
    /// `getattr(cls, "_inst", None)`, `not hasattr(..)`, `if "k" not in
    /// _registry: _registry["k"] = X()`); in Rust a `static mut` set behind
    /// `if X.is_none()` / `X.is_null()`.
    ///
    /// In Python the object must be one that threads share by design: a
    /// lock, an executor, a thread or process pool, a connection pool, a
    /// thread, a thread queue or a `multiprocessing` manager, or an
    /// instance of a type listed in `shared-types`:
    /// ```toml
    /// [tool.harden.rules.unsynchronized-lazy-singleton]
    /// shared-types = ["MetricsRegistry", "*Client"]
    /// ```
    ///
    /// ## Why is this bad?
    /// Two threads can both see the slot empty and both build an instance.
    /// Each then works with its own "singleton": two locks that exclude
    /// nothing, two thread pools (one never shut down), two connection
    /// pools that each think they own the limit. Under the GIL the window
    /// is small but real (the constructor releases it); under free-threaded
    /// Python and in Rust it is an ordinary data race, and in Rust
    /// undefined behaviour.
    ///
    /// ## Example
    /// ```python
    /// _executor = None
    ///
    /// def get_executor():
    ///     global _executor
    ///     if _executor is None:
    ///         _executor = ThreadPoolExecutor(max_workers=8)
    ///     return _executor
    /// ```
    /// ```rust
    /// static mut CONFIG: Option<Config> = None;
    ///
    /// fn config() -> &'static Config {
    ///     unsafe {
    ///         if CONFIG.is_none() {
    ///             CONFIG = Some(Config::load());
    ///         }
    ///         CONFIG.as_ref().unwrap()
    ///     }
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// _executor = None
    /// _executor_lock = threading.Lock()
    ///
    /// def get_executor():
    ///     global _executor
    ///     if _executor is None:
    ///         with _executor_lock:
    ///             if _executor is None:
    ///                 _executor = ThreadPoolExecutor(max_workers=8)
    ///     return _executor
    /// ```
    /// or build it eagerly at module level (`_executor =
    /// ThreadPoolExecutor(..)`).
    /// ```rust
    /// static CONFIG: OnceLock<Config> = OnceLock::new();
    ///
    /// fn config() -> &'static Config {
    ///     CONFIG.get_or_init(Config::load)
    /// }
    /// ```
    /// or `LazyLock`, or `#[derive(harden_harness::Singleton)]` on the type.
    ///
    /// ## Known limitations
    /// Other Python objects (clients, registries, managers, `ApiServer()`
    /// in `__new__`) are not flagged unless `shared-types` names them:
    /// applications mostly build them once, while they wire themselves up,
    /// before a second thread asks, and nothing in the file tells that
    /// apart from an accessor called by every request. On real code fewer
    /// than two in three such findings were hazards; every lazily built
    /// lock, executor, pool or thread was. The type is the callee's last
    /// name (`ThreadPoolExecutor`, `redis.ConnectionPool`), the word after
    /// a factory prefix (`create_pool`, `make_executor`) or, for `cls()`
    /// and `super().__new__(cls)`, the class or one of its bases; a
    /// primitive's name ends in `Executor`, `Pool` or `Thread`, whatever
    /// it executes or pools (a `QueryExecutor` counts too), unless it is
    /// a class of the same module that keeps no state (no base class, no
    /// `__init__`, no fields, no `self.x = ..`): two of those cannot be
    /// told apart. Only
    /// stores that build an object (a class instantiation or a
    /// `create_*`/`new_*`/`make_*`/`connect*` factory) directly inside the
    /// `if` are flagged: lazily computed values (`re.compile`, paths,
    /// `getLogger`) come out equal however often they are built. Python
    /// code is flagged only in modules that import thread APIs or a
    /// thread-pool server framework (`threading`, `concurrent.futures`,
    /// `flask`, `django`, `fastapi`, ...), are not test support (below a
    /// `tests`/`test`/`benches` directory, `test_*.py`, `conftest.py`) and
    /// import no green threads or a test
    /// framework: asyncio and tornado code runs on one event loop thread,
    /// so class singletons there (`cls._instance` in an `async`
    /// integration) are not flagged either. The store must be in an
    /// accessor that hands the instance out (`return _client`, `return
    /// cls._instance`, `return _reg[k]`); a procedure that only installs it
    /// (`enable()`, `initialize_reactor()`, `setup_profiler()`) is taken as
    /// start-up code and not flagged, unless it builds a lock (a lazily
    /// created lock is always shared). A registry entry built from its
    /// own key (`_translations[lang] = Translation(lang)`, or from the
    /// parts of a tuple key: `key = (cafile, level)` then
    /// `make_context(cafile=cafile, level=level)`) is a memoised value and
    /// not flagged. Value objects, whose type name ends in `Config`,
    /// `Configuration`, `Settings`, `Options`, `Info`, `Metadata`,
    /// `Response` (records of data) or `Propagator`, `Formatter`,
    /// `Encoder`, `Decoder`, `Serializer` (stateless strategies) or `Logger`,
    /// are not flagged: a racing thread builds an equal object and one is
    /// dropped.
    /// In an `async def`, a check and store with no `await` (or `async
    /// with` / `async for`) between them run whole on the event loop and
    /// are not flagged; with one, coroutines race as threads do. An
    /// `asyncio`, `anyio` or `trio` object (`asyncio.Lock()`,
    /// `anyio.CapacityLimiter(..)`) belongs to one event loop, so to one
    /// thread, and is not flagged either. Functions whose comments or docstring say
    /// they are not thread-safe, or that they serve tests only ("test
    /// helper", "only use this in test code"), have been reviewed and are
    /// not flagged.
    /// A Rust file that allows `static_mut_refs` has been reviewed for
    /// this and is not flagged. A function or method whose every call in
    /// the module holds a thread lock is taken to run under it; a lock held
    /// by callers elsewhere is not seen. Nor is a function flagged whose
    /// every call in the module is made from coroutines (or as an argument
    /// of `loop.run_in_executor(..)`, which runs on the loop's thread even in
    /// a lambda) and that is never handed on, one whose every call is in the
    /// body of a decorator (`def offloaded(fn): pool = _get_pool(); ...
    /// return wrapper`: it runs when functions are decorated, at import),
    /// or a method of a `watchdog` event handler, which its observer calls
    /// from one thread. A class slot is not flagged when the
    /// module instantiates the class at import (`MISSING = Sentinel()`).
    /// Functions named `*_locked` / `*_unlocked` / `_unlocked*` or wrapped in a locking
    /// decorator (`@synchronized`, `@lock`) are trusted to run under the
    /// lock. `@functools.cache` factories, module-level
    /// construction and Rust `OnceLock`, `LazyLock`, `once_cell`,
    /// `lazy_static!`, `thread_local!` and stores inside `Once::call_once`
    /// are not flagged.
    pub static UNSYNCHRONIZED_LAZY_SINGLETON = {
        code: "SGL001",
        name: "unsynchronized-lazy-singleton",
        summary: "lazy singleton initialised without a lock",
        languages: [Python, Rust],
        severity: Error,
        tags: ["concurrency", "singleton"],
        preview: false,
    };
}

pub const ENTRY: RuleEntry = RuleEntry {
    meta: &UNSYNCHRONIZED_LAZY_SINGLETON,
    python: Some(|| Box::<PyUnsynchronizedLazySingleton>::default()),
    rust: Some(|| Box::<RsUnsynchronizedLazySingleton>::default()),
};

#[derive(Default)]
struct PyUnsynchronizedLazySingleton {
    tracker: LazyInitTracker,
    /// Findings wait here until the module's calls are known: one in a
    /// function every caller locks is not reported.
    calls: Callers,
}

impl PythonRule for PyUnsynchronizedLazySingleton {
    fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt, _out: &mut Vec<Diagnostic>) {
        let Some(store) = self.tracker.on_stmt(cx, stmt) else {
            return;
        };
        // Any lock held: SGL002 judges async-only locks, a thread lock is fine.
        if !cx.held_locks().is_empty() {
            return;
        }
        // A lazily built singleton is shared in a module that runs on
        // several threads; elsewhere it is mostly single-threaded tooling,
        // event-loop code, tests and scripts.
        if !cx.module_is_concurrent() || cx.function_disclaims_thread_safety() {
            return;
        }
        // Coroutines on one event loop interleave only at an `await`; an
        // `asyncio` object belongs to one loop and so to one thread.
        if (cx.in_async() && !awaits_between_check_and_store(cx, &store))
            || is_event_loop_object(cx, store.value)
        {
            return;
        }
        // An accessor that hands the instance out races with itself; a
        // lazily created lock is always used by several threads.
        let builds_lock = cx
            .lock_kind(store.value)
            .is_some_and(|kind| kind != LockKind::Unknown);
        if !(returns_the_slot(cx, &store) || builds_lock)
            || memoises_its_key(cx, &store)
            || (builds_value_object(cx, &store) && !builds_lock)
        {
            return;
        }
        // Other objects are mostly built once, while the program wires
        // itself up, before any second thread asks: only a primitive is
        // certainly shared between threads.
        if !(builds_lock
            || (builds_shared_object(cx, store.value)
                && !builds_stateless_local_class(cx, store.value)))
        {
            return;
        }
        let diagnostic = Diagnostic::new(
            &UNSYNCHRONIZED_LAZY_SINGLETON,
            store.stmt,
            format!(
                "`{}` is lazily initialised without a lock: two threads can both see it unset and each build an instance",
                store.target
            ),
        )
        .with_help(
            "check again under a `threading.Lock` before the store (double-checked locking), or build the instance eagerly at module level",
        )
        .with_related(store.check, "the unsynchronised check");
        self.calls.defer(cx, diagnostic);
    }

    fn uses_function_roles(&self) -> bool {
        true
    }

    fn on_module_exit(&mut self, cx: &PyContext<'_>, out: &mut Vec<Diagnostic>) {
        self.calls.report(cx, out);
    }
}

#[derive(Default)]
struct RsUnsynchronizedLazySingleton {
    regions: StaticMutRegions,
}

impl RustRule for RsUnsynchronizedLazySingleton {
    fn on_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr, out: &mut Vec<Diagnostic>) {
        self.regions.on_expr(cx, expr);
        let syn::Expr::Assign(assign) = expr else {
            return;
        };
        let Some(name) = static_mut_root(cx, &assign.left) else {
            return;
        };
        let span = span_of(expr);
        if !self.regions.is_lazy_init(&name, span)
            || self.regions.in_once(span)
            || allows_static_mut_refs(cx)
        {
            return;
        }
        out.push(
            Diagnostic::new(
                &UNSYNCHRONIZED_LAZY_SINGLETON,
                span,
                format!(
                    "`static mut {name}` is lazily initialised without synchronisation: two threads can both see it unset and race on the store"
                ),
            )
            .with_help(
                "use `static X: std::sync::OnceLock<T>` with `get_or_init` (or `LazyLock`), or `#[derive(harden_harness::Singleton)]`",
            ),
        );
    }
}
