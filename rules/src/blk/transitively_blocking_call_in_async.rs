use crate::api::RuleEntry;
use crate::blk::call_facts_python::PythonCallFacts;
use crate::blk::call_facts_rust::RustCallFacts;
use crate::declare_rule;

declare_rule! {
    /// ## What it does
    /// Flags a call from async code to a synchronous function of the same
    /// project that makes a BLK001-BLK004 call (a blocking sleep, network,
    /// subprocess or file-system call), itself or through further sync
    /// functions of the project. The finding is the call in the async
    /// function; the related location is the blocking call, in whatever
    /// file it is.
    ///
    /// ## Why is this bad?
    /// Moving a blocking call into a helper does not make it non-blocking:
    /// the helper still runs on the event loop (asyncio) or a runtime
    /// worker thread (tokio), and every other task there waits for it.
    /// The direct rules cannot see through the helper; this one follows
    /// the project's own calls.
    ///
    /// ## Example
    /// ```python
    /// def read_config(path):
    ///     with open(path) as f:
    ///         return json.load(f)
    ///
    /// async def handler(request):
    ///     config = read_config(CONFIG_PATH)
    /// ```
    /// ```rust
    /// fn read_config(path: &Path) -> io::Result<String> {
    ///     std::fs::read_to_string(path)
    /// }
    ///
    /// async fn handler() -> io::Result<String> {
    ///     read_config(Path::new("config.toml"))
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// async def handler(request):
    ///     config = await asyncio.to_thread(read_config, CONFIG_PATH)
    /// ```
    /// ```rust
    /// async fn handler() -> io::Result<String> {
    ///     tokio::task::spawn_blocking(|| read_config(Path::new("config.toml"))).await?
    /// }
    /// ```
    /// Or make the helper async (`aiofiles`, `tokio::fs`).
    ///
    /// ## Known limitations
    /// Only calls whose callee is named exactly and uniquely are followed:
    /// `f()` for a function of the same module, an imported function
    /// (`from .io import read_config`, `use crate::io::read_config`,
    /// `super::`, `self::`), `module.f()`, `self.method()` and
    /// `Class.method()` / `Self::method()` within the class or `impl`.
    /// Not followed: methods called on other receivers, dynamic dispatch
    /// (a subclass or trait implementation that overrides the method is
    /// not considered), callbacks and functions passed around or stored,
    /// re-exports (`from pkg import f` where `pkg/__init__.py` imports it),
    /// glob imports, calls into other crates or other projects, and a name
    /// that two definitions claim (`cfg` variants, redefinitions).
    /// A Python function behind a decorator other than `staticmethod`,
    /// `classmethod`, `functools.wraps`, `final` or `override` is not
    /// followed (the decorator may run it elsewhere), nor is a generator
    /// function (calling it runs none of its body) or an awaited call.
    /// A function that caches what it computes (`functools.cache`, an
    /// early `if _cache is not None: return _cache`, or a lazy `if _cache
    /// is None: _cache = load()`, on a module global or a `self` attribute)
    /// blocks once, to fill the cache, and is not followed. A blocking call on a branch that only a debug or test
    /// setting takes (a crash hook that sleeps) is reported like any other. Calls in lambdas, sync closures and nested sync
    /// functions are not counted as calls of the enclosing function: they
    /// may run on another thread (`to_thread`, `spawn_blocking`).
    /// A `harden: ignore[BLK006]` on a line of async code that calls a
    /// project function counts as used (no E004) even when that function
    /// turns out not to block: suppressions are matched while the file is
    /// checked, before the calls of the other files are known.
    /// Python modules are named from the file's path (climbing packages
    /// with an `__init__.py`), Rust modules from the path under the crate's
    /// `src/` (`#[path]` attributes are not read).
    pub static TRANSITIVELY_BLOCKING_CALL_IN_ASYNC = {
        code: "BLK006",
        name: "transitively-blocking-call-in-async",
        summary: "call from async code to a project function that blocks",
        languages: [Python, Rust],
        severity: Error,
        tags: ["concurrency", "async", "performance"],
        preview: true,
    };
}

/// The per-file half only gathers facts; the findings come from
/// [`link_project`](crate::blk::link_project), which the analyzer runs
/// over the facts of every file.
pub const ENTRY: RuleEntry = RuleEntry {
    meta: &TRANSITIVELY_BLOCKING_CALL_IN_ASYNC,
    python: Some(|| Box::<PythonCallFacts>::default()),
    rust: Some(|| Box::<RustCallFacts>::default()),
};
