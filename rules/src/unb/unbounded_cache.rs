use ruff_python_ast::{self as ast, Expr, Stmt};

use crate::api::{Diagnostic, RuleEntry};
use crate::declare_rule;
use crate::python::{PyContext, PythonRule};
use crate::unb::test_code::TestCode;

declare_rule! {
    /// ## What it does
    /// Flags a memoizing decorator with no size limit, `@functools.cache`
    /// or `@functools.lru_cache(maxsize=None)` (also through aliases), and
    /// `@lru_cache` / `@cache` on an instance method, bounded or not.
    ///
    /// ## Why is this bad?
    /// An unbounded cache keeps one entry per distinct argument tuple for
    /// the life of the process: fed with request data it is a memory leak.
    /// On a method the cache is shared by the class and keys on `self`, so
    /// it also keeps every instance it has seen (and everything they
    /// reference) alive.
    ///
    /// ## Example
    /// ```python
    /// @functools.cache
    /// def user_profile(user_id): ...
    ///
    /// class Pricing:
    ///     @functools.lru_cache(maxsize=1024)
    ///     def quote(self, sku): ...
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// @functools.lru_cache(maxsize=4096)
    /// def user_profile(user_id): ...
    ///
    /// class Pricing:
    ///     def __init__(self):
    ///         self.quote = functools.lru_cache(maxsize=1024)(self._quote)
    /// ```
    /// or a cache keyed outside the instance, with a size or time bound.
    ///
    /// ## Known limitations
    /// A cached function without parameters holds one entry and is not
    /// reported; neither is `@staticmethod`. Other caching libraries
    /// (`cachetools`, `diskcache`) are not checked. A function whose
    /// arguments come from a small fixed set (an enum, a flag) is reported
    /// anyway: suppress it with a comment saying why.
    pub static UNBOUNDED_CACHE = {
        code: "UNB003",
        name: "unbounded-cache",
        summary: "cache decorator without a size bound",
        languages: [Python],
        severity: Warning,
        tags: ["resources", "memory"],
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
}

/// What a cache decorator says about its bound.
enum CacheDecorator {
    /// `@cache`, `@lru_cache(maxsize=None)`.
    Unbounded(String),
    /// `@lru_cache`, `@lru_cache(128)`: fine on a function, not on a method.
    Bounded(String),
}

impl PythonRule for UnboundedCache {
    fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt, out: &mut Vec<Diagnostic>) {
        self.tests.note_python_stmt(cx, stmt);
        let Stmt::FunctionDef(def) = stmt else { return };
        if self.tests.contains(stmt.into()) {
            return;
        }
        let is_method = cx
            .class()
            .is_some_and(|class| class.body.iter().any(|member| std::ptr::eq(member, stmt)));
        let kind = method_kind(cx, def, is_method);
        for decorator in &def.decorator_list {
            let Some(cache) = cache_decorator(cx, &decorator.expression) else {
                continue;
            };
            let diagnostic = match (cache, kind) {
                (_, MethodKind::Static) => None,
                (CacheDecorator::Unbounded(name) | CacheDecorator::Bounded(name), MethodKind::Instance) => {
                    Some(Diagnostic::new(
                        &UNBOUNDED_CACHE,
                        decorator,
                        format!("`{name}` on a method caches every `self` and keeps it alive"),
                    )
                    .with_help("cache a per-instance bound function in `__init__`, e.g. `self.f = functools.lru_cache(maxsize=N)(self._f)`, or key the cache outside the instance"))
                }
                (CacheDecorator::Unbounded(name), MethodKind::Function) if has_parameters(def) => {
                    Some(Diagnostic::new(
                        &UNBOUNDED_CACHE,
                        decorator,
                        format!("`{name}` keeps one entry per distinct argument forever"),
                    )
                    .with_help("bound it with `functools.lru_cache(maxsize=N)`"))
                }
                _ => None,
            };
            out.extend(diagnostic);
        }
    }
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
    if !is_method {
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
    MethodKind::Instance
}

/// A parameter other than `self` / `cls`, or `*args` / `**kwargs`.
fn has_parameters(def: &ast::StmtFunctionDef) -> bool {
    let parameters = &def.parameters;
    parameters.vararg.is_some()
        || parameters.kwarg.is_some()
        || parameters
            .iter_non_variadic_params()
            .any(|parameter| !matches!(parameter.parameter.name.as_str(), "self" | "cls"))
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
                _ => Some(CacheDecorator::Bounded(name)),
            }
        }
        _ => None,
    }
}
