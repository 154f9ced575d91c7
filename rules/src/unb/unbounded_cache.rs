use rustc_hash::FxHashSet as HashSet;

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::Ranged;

use crate::api::{Diagnostic, RuleEntry};
use crate::declare_rule;
use crate::python::{PyContext, PythonRule};
use crate::unb::component_class::is_component_class;
use crate::unb::grow_only::Ids;
use crate::unb::test_code::TestCode;

declare_rule! {
    /// ## What it does
    /// Flags a memoizing decorator with no size limit, `@functools.cache`
    /// or `@functools.lru_cache(maxsize=None)` (also through aliases), on
    /// a function or method that takes a per-event value: a parameter named
    /// like a request, session, trace or order id, a token, a timestamp or a
    /// client address (the names the metric-label policy forbids, e.g.
    /// `request_id`, `session`, `client_ip`, minus those of a population
    /// the service serves: `user_id`, `email`, `account_id`, `url`). On an
    /// instance method the cache also keys on `self`.
    ///
    /// ## Why is this bad?
    /// An unbounded cache keeps one entry per distinct argument for the
    /// life of the process: keyed by request data it is a memory leak. On
    /// an instance method the cache is shared by the class and keys on
    /// `self` too, so it also keeps every instance it has seen (and
    /// everything they reference) alive.
    ///
    /// ## Example
    /// ```python
    /// @functools.cache
    /// def user_profile(user_id): ...
    ///
    /// class Pages:
    ///     @functools.lru_cache(maxsize=None)
    ///     def fetch(self, session_id): ...
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// @functools.lru_cache(maxsize=4096)
    /// def user_profile(user_id): ...
    ///
    /// class Pages:
    ///     def __init__(self):
    ///         self.fetch = functools.lru_cache(maxsize=1024)(self._fetch)
    /// ```
    /// or a cache with a size or time bound outside the instance.
    ///
    /// ## Known limitations
    /// An unbounded cache whose parameters are not named like per-event
    /// values (`name`, `path`, `n`, or only `self`) is not reported, nor
    /// one keyed by users, accounts or endpoints, which stop growing with
    /// them: a method cache keyed on `self` alone grows with the instances,
    /// and on real code those were nearly always few (a build's modules, a
    /// notebook's widgets, a camera's buffer ring). The other caches mostly
    /// memoize over a small fixed domain (config keys, enum values,
    /// recursion depth), which a static tool cannot tell from request data.
    /// Ids count only when the label policy names them exactly
    /// (`request_id`, `session_id`), as for
    /// UNB002's keys: ids matched by the `*_id` pattern alone (`node_id`,
    /// `master_id`) mostly name things bounded by the deployment or the
    /// code. A `@classmethod` cache is judged like a function (the class
    /// lives as long as the process anyway); `@staticmethod` caches, caches
    /// in test code and other caching libraries (`cachetools`,
    /// `diskcache`) are not checked. A function in
    /// a class body counts as an instance method only when its first
    /// parameter is named `self`: one taking `cls` under a descriptor of
    /// the project (`@classproperty`) or none at all is read as a plain
    /// function. `lru_cache(maxsize=0)` caches nothing and is not reported.
    /// A method of a class instantiated at module level (a singleton such
    /// as `SCHEMAS = SchemaManager()`) is judged like a function: its cache
    /// holds one `self`, and is reported only for per-request parameters.
    /// So is a method of a framework component, a class named (or derived
    /// from one named) `*Command`, `*Plugin`, `*Addon`, `*Extension`,
    /// `*Driver`, `*Backend` or `*Environment`, or a logger: frameworks
    /// make one per process (the cost: a component made per request is
    /// missed).
    ///
    /// A cache the module clears (`f.cache_clear()`, `self.f.cache_clear()`
    /// anywhere in the file) is not grow-only and is not reported: its
    /// author ties its life to an event (a configuration change, a new
    /// subscription); whether that event comes often enough is not checked.
    /// Neither is a cache whose decorator line already silences the same
    /// check of another linter (`# pylint:
    /// disable=method-cache-max-size-none`, `# noqa: B019`): it was
    /// reviewed.
    ///
    /// A bounded `lru_cache` on a method keeps at most `maxsize` instances
    /// alive. That is a leak only when instances are many and heavy, which
    /// the tool cannot see; mostly it memoizes on a long-lived object (a
    /// router, a dialect, a schema) or on value objects
    /// (`IPv4Address.is_private`), as intended. It is not reported, as in
    /// pylint's `method-cache-max-size-none`; flake8-bugbear's B019
    /// reports it.
    pub static UNBOUNDED_CACHE = {
        code: "UNB003",
        name: "unbounded-cache",
        summary: "cache decorator without a size bound",
        languages: [Python],
        severity: Warning,
        tags: ["resources", "memory"],
        preview: true,
    };
}

pub const ENTRY: RuleEntry = RuleEntry {
    meta: &UNBOUNDED_CACHE,
    python: Some(|| Box::new(UnboundedCache::default())),
    rust: None,
};

/// Caches in test code live for one test run and are not reported.
#[derive(Default)]
struct UnboundedCache {
    tests: TestCode,
    /// Findings and the name of their cached function, held until the end
    /// of the module: only then is it known whether the cache is cleared
    /// somewhere.
    pending: Vec<(String, Diagnostic)>,
    /// Names whose `cache_clear()` the module calls: `f.cache_clear()`,
    /// `self.f.cache_clear()`.
    cleared: HashSet<String>,
}

/// Comments under which another linter's check for this hazard was
/// silenced: pylint's `method-cache-max-size-none` (W1518) and
/// flake8-bugbear's B019.
const REVIEWED_MARKERS: &[&str] = &["method-cache-max-size-none", "W1518", "B019"];

/// What a cache decorator says about its bound.
enum CacheDecorator {
    /// `@cache`, `@lru_cache(maxsize=None)`.
    Unbounded(String),
    /// `@lru_cache`, `@lru_cache(128)`.
    Bounded,
}

impl PythonRule for UnboundedCache {
    fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt, _out: &mut Vec<Diagnostic>) {
        self.tests.note_python_stmt(cx, stmt);
        let Stmt::FunctionDef(def) = stmt else { return };
        if self.tests.contains(stmt.into()) {
            return;
        }
        let is_method = cx
            .class()
            .is_some_and(|class| class.body.iter().any(|member| std::ptr::eq(member, stmt)));
        let kind = match method_kind(cx, def, is_method) {
            MethodKind::Static => return,
            // A class instantiated at import is a singleton, and a command,
            // plugin or driver is made once by its framework: a cache on
            // its method keys on that one `self` and grows, like a
            // function cache, only with the other parameters.
            MethodKind::Instance
                if cx.class().is_some_and(|class| {
                    cx.is_instantiated_at_import(class.name.as_str())
                        || is_component_class(cx, class)
                }) =>
            {
                MethodKind::Function
            }
            kind => kind,
        };
        for decorator in &def.decorator_list {
            let Some(cache) = cache_decorator(cx, &decorator.expression) else {
                continue;
            };
            if reviewed_elsewhere(cx, decorator) {
                continue;
            }
            if let Some(diagnostic) = cache_finding(cx, def, kind, cache, decorator) {
                self.pending.push((def.name.to_string(), diagnostic));
            }
        }
    }

    fn on_expr(&mut self, _cx: &PyContext<'_>, expr: &Expr, _out: &mut Vec<Diagnostic>) {
        let Expr::Call(call) = expr else { return };
        let Expr::Attribute(method) = call.func.as_ref() else {
            return;
        };
        if method.attr.as_str() != "cache_clear" {
            return;
        }
        let cleared = match method.value.as_ref() {
            Expr::Name(function) => function.id.as_str(),
            Expr::Attribute(function) => function.attr.as_str(),
            _ => return,
        };
        self.cleared.insert(cleared.to_string());
    }

    /// A cache the module clears is not grow-only: its author bounded its
    /// life (on a configuration change, a reload, a subscription change).
    fn on_module_exit(&mut self, _cx: &PyContext<'_>, out: &mut Vec<Diagnostic>) {
        for (function, diagnostic) in self.pending.drain(..) {
            if !self.cleared.contains(&function) {
                out.push(diagnostic);
            }
        }
    }
}

/// True when the decorator's line carries another linter's suppression for
/// this hazard: `@cache  # pylint: disable=method-cache-max-size-none`. The
/// cache was reviewed once already.
fn reviewed_elsewhere(cx: &PyContext<'_>, decorator: &ast::Decorator) -> bool {
    let rest = cx
        .source()
        .get(decorator.end().to_usize()..)
        .unwrap_or_default();
    let line = rest.lines().next().unwrap_or_default();
    line.trim_start().strip_prefix('#').is_some_and(|comment| {
        REVIEWED_MARKERS
            .iter()
            .any(|marker| comment.contains(marker))
    })
}

/// What to report for one cache decorator: an unbounded cache over
/// per-event values, which grows with traffic. On an instance method it
/// also keeps every `self` alive; without a per-event parameter a method
/// cache grows only with the instances, which the code cannot count.
fn cache_finding(
    cx: &PyContext<'_>,
    def: &ast::StmtFunctionDef,
    kind: MethodKind,
    cache: CacheDecorator,
    decorator: &ast::Decorator,
) -> Option<Diagnostic> {
    let CacheDecorator::Unbounded(name) = cache else {
        return None;
    };
    let key = id_like_parameter(cx, def)?;
    let (message, help) = match kind {
        MethodKind::Instance => (
            format!("`{name}` on a method keeps one entry per distinct `{key}`, and every `self` it was called with, alive forever"),
            "cache per instance (`self.f = functools.lru_cache(maxsize=N)(self._f)`) or key a module-level bounded cache on what the method needs",
        ),
        _ => (
            format!("`{name}` keeps one entry per distinct `{key}` forever"),
            "bound it with `functools.lru_cache(maxsize=N)`",
        ),
    };
    Some(Diagnostic::new(&UNBOUNDED_CACHE, decorator, message).with_help(help))
}

/// The first parameter named like a per-event value (`request_id`,
/// `session`, `token`, `client_ip`: the names the label policy forbids,
/// ids among them only when named exactly and minted per event, as for
/// UNB002's keys; not `user_id` or `email`, bounded by the users): an
/// argument from an unbounded domain.
fn id_like_parameter<'d>(cx: &PyContext<'_>, def: &'d ast::StmtFunctionDef) -> Option<&'d str> {
    def.parameters
        .iter_non_variadic_params()
        .map(|parameter| &parameter.parameter)
        // `user: bool` is a flag, whatever its name.
        .filter(|parameter| {
            parameter
                .annotation
                .as_deref()
                .is_none_or(|annotation| cx.text(annotation) != "bool")
        })
        .map(|parameter| parameter.name.as_str())
        .find(|name| {
            !matches!(*name, "self" | "cls")
                && Ids::PerEvent.match_name(&cx.settings().labels, name)
        })
}

#[derive(Clone, Copy)]
enum MethodKind {
    /// A module function, a nested function, a classmethod (classes live
    /// as long as the process anyway).
    Function,
    Instance,
    Static,
}

fn method_kind(cx: &PyContext<'_>, def: &ast::StmtFunctionDef, is_method: bool) -> MethodKind {
    // `__new__` and friends take the class, not an instance.
    if !is_method
        || matches!(
            def.name.as_str(),
            "__new__" | "__init_subclass__" | "__class_getitem__"
        )
    {
        return MethodKind::Function;
    }
    for decorator in &def.decorator_list {
        let name = cx.resolve(&decorator.expression);
        match name.as_deref() {
            Some("builtins.staticmethod") => return MethodKind::Static,
            Some("builtins.classmethod") => return MethodKind::Function,
            _ => {}
        }
    }
    // `def _build_cipher(key, iv)` kept in a class body, `def lookups(cls)`
    // under a project descriptor (`@classproperty`): no instance is cached.
    let first = def
        .parameters
        .posonlyargs
        .iter()
        .chain(&def.parameters.args)
        .next();
    if first.is_none_or(|first| first.parameter.name.as_str() != "self") {
        return MethodKind::Function;
    }
    MethodKind::Instance
}

fn cache_decorator(cx: &PyContext<'_>, expression: &Expr) -> Option<CacheDecorator> {
    let (func, call) = match expression {
        Expr::Call(call) => (call.func.as_ref(), Some(call)),
        other => (other, None),
    };
    let name = cx.resolve(func)?;
    match name.as_str() {
        "functools.cache" => Some(CacheDecorator::Unbounded(name)),
        "functools.lru_cache" => {
            let maxsize = call.and_then(|call| call.arguments.find_argument_value("maxsize", 0));
            match maxsize {
                Some(Expr::NoneLiteral(_)) => Some(CacheDecorator::Unbounded(name)),
                // `maxsize=0` caches nothing: a wrapper that only counts calls.
                Some(Expr::NumberLiteral(ast::ExprNumberLiteral {
                    value: ast::Number::Int(size),
                    ..
                })) if size.as_u64() == Some(0) => None,
                _ => Some(CacheDecorator::Bounded),
            }
        }
        _ => None,
    }
}
