use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::Ranged;

use crate::api::{Diagnostic, Language, RuleEntry, Span};
use crate::declare_rule;
use crate::python::{PyContext, PythonRule};
use crate::rust::{GuardKind, RsContext, RustRule};

declare_rule! {
    /// ## What it does
    /// Flags two functions of the same class, `impl` or module that take
    /// the same two locks in opposite nesting order: one holds `a` and then
    /// acquires `b`, the other holds `b` and then acquires `a`. Python
    /// `with` nesting (including `with a, b:`) and `acquire()`; Rust
    /// `.lock()`, `.read()`, `.write()` while another guard is alive.
    ///
    /// ## Why is this bad?
    /// If the two functions run at the same time, each can take its first
    /// lock and wait forever for the other's: a deadlock that shows up only
    /// under load, freezes the worker, and leaves no error behind.
    ///
    /// ## Example
    /// ```python
    /// class Bank:
    ///     def transfer(self, amount):
    ///         with self._accounts_lock:
    ///             with self._audit_lock:
    ///                 ...
    ///
    ///     def report(self):
    ///         with self._audit_lock:
    ///             with self._accounts_lock:
    ///                 ...
    /// ```
    ///
    /// ## Use instead
    /// Pick one acquisition order and use it everywhere (document it next
    /// to the locks), or merge the two locks into one. In Rust,
    /// `#[harden_harness::guarded]` always acquires fields in their declared order.
    ///
    /// ## Known limitations
    /// Locks are identified by their text (`self._a`, `STATE`) within one
    /// class, `impl` or module; orders formed through calls into other
    /// functions, or across files, are not seen. Re-entering the same lock
    /// is not an inversion; two shared `read()` guards are not reported,
    /// nor is a non-blocking inner acquisition (`try_lock`,
    /// `acquire(blocking=False)`). A Python method of the class that
    /// releases a `self` lock it did not take first (`self._send_lock.release()`
    /// at the end of an exchange) gives it back for its caller: after
    /// `self._exchange()` the caller no longer holds it. Python set-up code
    /// (`__init__`, `init_*`, `setup*`, `configure*`) runs before the
    /// threads that take the locks exist, or in a child just forked, and
    /// its order is not compared.
    pub static LOCK_ORDER_INVERSION = {
        code: "SHR004",
        name: "lock-order-inversion",
        summary: "two locks acquired in opposite orders",
        languages: [Python, Rust],
        severity: Error,
        tags: ["concurrency", "deadlock"],
    };
}

pub const ENTRY: RuleEntry = RuleEntry {
    meta: &LOCK_ORDER_INVERSION,
    python: Some(|| Box::<LockOrderInversion>::default()),
    rust: Some(|| Box::<LockOrderInversion>::default()),
};

/// One acquisition of `inner` while `outer` is held.
struct Nesting {
    /// The class or `impl` the function belongs to; empty for the module.
    group: String,
    /// The function, by name and position (two functions may share a name).
    function: (String, u32),
    outer: String,
    outer_span: Span,
    inner: String,
    inner_span: Span,
    /// Both acquisitions are shared `read()` guards.
    shared: bool,
}

#[derive(Default)]
struct LockOrderInversion {
    nestings: Vec<Nesting>,
}

impl LockOrderInversion {
    /// Reports, at the later nesting, every pair of functions that take
    /// two locks in opposite orders; one finding per lock pair and group.
    fn report(&self, out: &mut Vec<Diagnostic>, language: Language) {
        let mut first: HashMap<(&str, &str, &str), &Nesting> = HashMap::default();
        let mut reported: HashSet<(&str, &str, &str)> = HashSet::default();
        for nesting in &self.nestings {
            let reversed = (
                nesting.group.as_str(),
                nesting.inner.as_str(),
                nesting.outer.as_str(),
            );
            if let Some(earlier) = first.get(&reversed) {
                let pair = if nesting.outer < nesting.inner {
                    (
                        nesting.group.as_str(),
                        nesting.outer.as_str(),
                        nesting.inner.as_str(),
                    )
                } else {
                    reversed
                };
                if earlier.function != nesting.function
                    && !(earlier.shared && nesting.shared)
                    && reported.insert(pair)
                {
                    out.push(
                        Diagnostic::new(
                            &LOCK_ORDER_INVERSION,
                            nesting.inner_span,
                            format!(
                                "`{}` is acquired while holding `{}`, but `{}` acquires them in the opposite order: deadlock risk",
                                nesting.inner, nesting.outer, earlier.function.0
                            ),
                        )
                        .with_help(help(language, &earlier.outer, &earlier.inner))
                        .with_related(nesting.outer_span, format!("`{}` held from here", nesting.outer))
                        .with_related(earlier.outer_span, format!("`{}` first takes `{}` here", earlier.function.0, earlier.outer))
                        .with_related(earlier.inner_span, format!("and then `{}` here", earlier.inner)),
                    );
                }
            }
            first
                .entry((
                    nesting.group.as_str(),
                    nesting.outer.as_str(),
                    nesting.inner.as_str(),
                ))
                .or_insert(nesting);
        }
    }
}

fn help(language: Language, first: &str, second: &str) -> String {
    let order =
        format!("acquire `{first}` before `{second}` everywhere, or merge them into one lock");
    match language {
        Language::Python => order,
        Language::Rust => {
            format!("{order}; `#[harden_harness::guarded]` always acquires fields in their declared order")
        }
    }
}

impl LockOrderInversion {
    fn record_python(
        &mut self,
        cx: &PyContext<'_>,
        inner: &Expr,
        span: Span,
        outers: &[(String, Span)],
    ) {
        let Some(frame) = cx.function() else { return };
        let Some(def) = frame.def else { return };
        // Set-up code (`__init__`, `init_*`, `setup*`) runs before the
        // threads that take the locks exist, or in a child just forked:
        // its order cannot meet another thread's.
        if frame.name == "__init__" || frame.runs_once_at_setup() {
            return;
        }
        // A lock held in a local variable is a different object in every
        // function (and every call): only module, class and `self` locks
        // can be taken in opposite orders by two functions.
        if !is_shared_lock(cx, inner) {
            return;
        }
        let inner_key = cx.text(inner).to_string();
        let group = cx
            .class()
            .map(|class| class.name.to_string())
            .unwrap_or_default();
        for (outer, outer_span) in outers {
            let outer_root = outer.split('.').next().unwrap_or_default();
            let outer_shared = (outer.contains('.') && matches!(outer_root, "self" | "cls"))
                || cx.refers_to_module_global(outer_root);
            if *outer == inner_key || !outer_shared {
                continue;
            }
            self.nestings.push(Nesting {
                group: group.clone(),
                function: (def.name.to_string(), def.start().to_u32()),
                outer: outer.clone(),
                outer_span: *outer_span,
                inner: inner_key.clone(),
                inner_span: span,
                shared: false,
            });
        }
    }
}

/// True when a lock expression names one object across functions: a
/// module global, or an attribute of `self`, `cls` or a module-level name.
fn is_shared_lock(cx: &PyContext<'_>, lock: &Expr) -> bool {
    let mut root = lock;
    while let Expr::Attribute(attribute) = root {
        root = &attribute.value;
    }
    let Expr::Name(name) = root else {
        return false;
    };
    let name = name.id.as_str();
    if matches!(name, "self" | "cls") && !std::ptr::eq(root, lock) {
        return true;
    }
    cx.refers_to_module_global(name)
}

/// True when a Rust lock expression names one object across functions: a
/// field of `self`, or a static.
fn is_shared_rust_lock(cx: &RsContext<'_>, lock: &str) -> bool {
    let root = lock.split(['.', ' ', '(']).next().unwrap_or_default();
    root == "self" || cx.is_static(root)
}

impl PythonRule for LockOrderInversion {
    fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt, _out: &mut Vec<Diagnostic>) {
        let Stmt::With(with) = stmt else { return };
        let mut outers: Vec<(String, Span)> = cx
            .held_locks()
            .iter()
            .map(|lock| (lock.key.clone(), lock.span))
            .collect();
        for item in &with.items {
            let lock = &item.context_expr;
            if cx.lock_kind(lock).is_none() {
                continue;
            }
            self.record_python(cx, lock, lock.into(), &outers);
            outers.push((cx.text(lock).to_string(), lock.into()));
        }
    }

    fn on_expr(&mut self, cx: &PyContext<'_>, expr: &Expr, _out: &mut Vec<Diagnostic>) {
        let Expr::Call(call) = expr else { return };
        let Expr::Attribute(method) = call.func.as_ref() else {
            return;
        };
        // `acquire(False)` / `acquire(timeout=..)` gives up instead of waiting.
        if method.attr.as_str() != "acquire"
            || !call.arguments.is_empty()
            || cx.lock_kind(&method.value).is_none()
        {
            return;
        }
        let outers: Vec<(String, Span)> = cx
            .held_locks()
            .iter()
            .map(|lock| (lock.key.clone(), lock.span))
            .collect();
        self.record_python(cx, &method.value, expr.into(), &outers);
    }

    fn on_module_exit(&mut self, _cx: &PyContext<'_>, out: &mut Vec<Diagnostic>) {
        self.report(out, Language::Python);
    }
}

impl RustRule for LockOrderInversion {
    fn on_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr, _out: &mut Vec<Diagnostic>) {
        // Only the acquiring call itself, not the `.unwrap()` around it.
        let syn::Expr::MethodCall(call) = expr else {
            return;
        };
        if !call.args.is_empty()
            || !matches!(call.method.to_string().as_str(), "lock" | "read" | "write")
        {
            return;
        }
        let (Some(inner), Some(function)) = (cx.guard_of(expr), cx.function()) else {
            return;
        };
        if !is_shared_rust_lock(cx, &inner.lock) {
            return;
        }
        let group = cx.impl_type().unwrap_or_default().to_string();
        for outer in cx.guards() {
            if outer.lock == inner.lock || !is_shared_rust_lock(cx, &outer.lock) {
                continue;
            }
            self.nestings.push(Nesting {
                group: group.clone(),
                function: (function.name.clone(), function.span.start),
                outer: outer.lock.clone(),
                outer_span: outer.span,
                inner: inner.lock.clone(),
                inner_span: inner.span,
                shared: outer.kind == GuardKind::Read && inner.kind == GuardKind::Read,
            });
        }
    }

    fn on_file_exit(&mut self, _cx: &RsContext<'_>, out: &mut Vec<Diagnostic>) {
        self.report(out, Language::Rust);
    }
}
