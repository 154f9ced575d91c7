use ruff_python_ast::{self as ast, CmpOp, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::api::{Diagnostic, RuleEntry};
use crate::declare_rule;
use crate::python::{PyContext, PythonRule};
use crate::sgl::{caller_holds_lock_by_convention, is_instance_construction};
use crate::shr::{container_sharing, is_container, Sharing};

declare_rule! {
    /// ## What it does
    /// Flags a check-then-act on a shared container with no thread lock
    /// held: `if k not in d: d[k] = v`, `if d.get(k) is None: d[k] = v`,
    /// `if k in d: del d[k]` (or `d.pop(k)`, `s.remove(k)`), `if len(q) <
    /// LIMIT: q.append(x)`. Shared means a module global, a class-level
    /// attribute, or `self.x` of a class that owns a `threading` lock.
    ///
    /// ## Why is this bad?
    /// Another thread can change the container between the check and the
    /// write: two threads both insert (the second overwrites the first's
    /// object, which may already be in use), both delete (the second raises
    /// `KeyError`), or both append past the limit.
    ///
    /// ## Example
    /// ```python
    /// class ConnectionPool:
    ///     def __init__(self):
    ///         self._lock = threading.Lock()
    ///         self._by_host = {}
    ///
    ///     def release(self, host):
    ///         if host in self._by_host:
    ///             del self._by_host[host]
    /// ```
    ///
    /// ## Use instead
    /// Make the pair one atomic step: `d.setdefault(k, v)`, `d.pop(k,
    /// None)`, `s.discard(k)`, or hold the class's lock around both:
    /// ```python
    ///     def release(self, host):
    ///         with self._lock:
    ///             if host in self._by_host:
    ///                 del self._by_host[host]
    /// ```
    ///
    /// ## Known limitations
    /// The check and the write must name the same container and key
    /// textually. An insert is reported only when it stores a fresh
    /// container that is then filled (`d[k] = []`): memoising a computed
    /// value (`cache[k] = compute(k)`) races benignly and is not reported.
    /// A length check against a literal (`len(cache) < 100`) is a soft cap
    /// and is not reported either. Instances of classes without a thread lock are assumed
    /// to be used by one thread. Registries that build instances
    /// (`if k not in _reg: _reg[k] = Client()`) are SGL001's.
    pub static CHECK_THEN_ACT_ON_SHARED_CONTAINER = {
        code: "SHR002",
        name: "check-then-act-on-shared-container",
        summary: "check-then-act on a shared container outside a lock",
        languages: [Python],
        severity: Error,
        tags: ["concurrency", "shared-state"],
    };
}

pub const ENTRY: RuleEntry = RuleEntry {
    meta: &CHECK_THEN_ACT_ON_SHARED_CONTAINER,
    python: Some(|| Box::<CheckThenActOnSharedContainer>::default()),
    rust: None,
};

/// What the check found out, and so which write it makes racy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Act {
    /// `k not in d`, `d.get(k) is None`: then `d[k] = ..`.
    Insert,
    /// `k in d`: then `del d[k]`, `d.pop(k)`, `d.remove(k)`.
    Remove,
    /// `len(d) < n`: then `d.append(..)` and friends.
    Grow,
}

struct OpenCheck {
    container: String,
    /// The key text; empty for [`Act::Grow`].
    key: String,
    act: Act,
    sharing: Sharing,
    test: TextRange,
    body: TextRange,
    function: Option<TextSize>,
}

#[derive(Default)]
struct CheckThenActOnSharedContainer {
    open: Vec<OpenCheck>,
}

impl PythonRule for CheckThenActOnSharedContainer {
    fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt, out: &mut Vec<Diagnostic>) {
        self.open.retain(|check| check.body.contains(stmt.start()));
        let function = cx.function().and_then(|frame| frame.def).map(Ranged::start);
        if function.is_none() || caller_holds_lock_by_convention(cx) {
            return;
        }
        if let Stmt::If(if_stmt) = stmt {
            let (Some(first), Some(last)) = (if_stmt.body.first(), if_stmt.body.last()) else {
                return;
            };
            let body = TextRange::new(first.start(), last.end());
            let mut checks = Vec::new();
            collect_checks(cx, &if_stmt.test, &mut checks);
            for (container, key, act, sharing) in checks {
                self.open.push(OpenCheck {
                    container,
                    key,
                    act,
                    sharing,
                    test: if_stmt.test.range(),
                    body,
                    function,
                });
            }
            return;
        }
        if self.open.is_empty() || cx.holds_thread_lock() {
            return;
        }
        for (container, key, act) in writes(cx, stmt) {
            let Some(check) = self.open.iter().rev().find(|check| {
                check.function == function
                    && check.act == act
                    && check.container == container
                    && (act == Act::Grow || check.key == key)
            }) else {
                continue;
            };
            let whose = match check.sharing {
                Sharing::ModuleGlobal => "module global",
                Sharing::ClassAttribute => "class attribute",
                Sharing::LockedInstance => "lock-owning object's",
            };
            out.push(
                Diagnostic::new(
                    &CHECK_THEN_ACT_ON_SHARED_CONTAINER,
                    stmt,
                    format!("check-then-act on {whose} `{container}` without a lock: another thread can change it between the check and this write"),
                )
                .with_help(help(act))
                .with_related(check.test, "the check"),
            );
            return;
        }
    }
}

fn help(act: Act) -> &'static str {
    match act {
        Act::Insert => "use `d.setdefault(k, v)` to insert atomically, or hold the lock around the check and the write",
        Act::Remove => "use `d.pop(k, None)` / `s.discard(k)`, or hold the lock around the check and the removal",
        Act::Grow => "hold the lock around the length check and the append, or use a bounded `queue.Queue(maxsize=..)`",
    }
}

/// The (container, key, act, sharing) checks an `if` test makes; `and` /
/// `or` operands each count.
fn collect_checks(cx: &PyContext<'_>, test: &Expr, out: &mut Vec<(String, String, Act, Sharing)>) {
    let mut push = |container: &Expr, key: Option<&Expr>, act: Act| {
        if let Some(sharing) = container_sharing(cx, container) {
            let key = key.map(|key| cx.text(key).to_string()).unwrap_or_default();
            out.push((cx.text(container).to_string(), key, act, sharing));
        }
    };
    match test {
        Expr::BoolOp(bool_op) => {
            for value in &bool_op.values {
                collect_checks(cx, value, out);
            }
        }
        Expr::UnaryOp(unary) if unary.op == ast::UnaryOp::Not => {
            if let Some((container, key)) = dict_get(&unary.operand) {
                push(container, Some(key), Act::Insert);
            }
        }
        Expr::Compare(compare) if compare.ops.len() == 1 => {
            let (left, right) = (compare.left.as_ref(), &compare.comparators[0]);
            match compare.ops[0] {
                CmpOp::NotIn => push(right, Some(left), Act::Insert),
                CmpOp::In => push(right, Some(left), Act::Remove),
                CmpOp::Is | CmpOp::Eq if right.is_none_literal_expr() => {
                    if let Some((container, key)) = dict_get(left) {
                        push(container, Some(key), Act::Insert);
                    }
                }
                // A literal bound (`len(cache) < 100`) is a soft cap that a
                // racing append overshoots harmlessly.
                CmpOp::Lt | CmpOp::LtE if !right.is_number_literal_expr() => {
                    if let Some(container) = len_of(cx, left) {
                        push(container, None, Act::Grow);
                    }
                }
                CmpOp::Gt | CmpOp::GtE if !left.is_number_literal_expr() => {
                    if let Some(container) = len_of(cx, right) {
                        push(container, None, Act::Grow);
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
}

/// `(d, k)` for `d.get(k)`.
fn dict_get(expr: &Expr) -> Option<(&Expr, &Expr)> {
    let Expr::Call(call) = expr else { return None };
    let Expr::Attribute(attribute) = call.func.as_ref() else {
        return None;
    };
    (attribute.attr.as_str() == "get" && call.arguments.len() == 1)
        .then(|| Some((attribute.value.as_ref(), call.arguments.args.first()?)))
        .flatten()
}

/// `x` for `len(x)`.
fn len_of<'e>(cx: &PyContext<'_>, expr: &'e Expr) -> Option<&'e Expr> {
    let Expr::Call(call) = expr else { return None };
    if cx.resolve(&call.func)? != "builtins.len" {
        return None;
    }
    match &*call.arguments.args {
        [container] => Some(container),
        _ => None,
    }
}

/// True when the inserted value is a fresh container (`d[k] = []`, then
/// filled through `d[k]`): a racing insert replaces it and loses what the
/// other thread put in. A memoised value (`cache[k] = compute(k)`) comes out
/// the same whichever thread stores it last: a benign race.
fn inserts_identity(cx: &PyContext<'_>, value: &Expr) -> bool {
    match value {
        // A comprehension arrives complete: a memoised value.
        Expr::ListComp(_) | Expr::SetComp(_) | Expr::DictComp(_) => false,
        other => is_container(cx, other),
    }
}

/// The (container, key, act) writes a statement makes.
fn writes(cx: &PyContext<'_>, stmt: &Stmt) -> Vec<(String, String, Act)> {
    let mut found = Vec::new();
    match stmt {
        Stmt::Assign(assign) => {
            for target in &assign.targets {
                if let Expr::Subscript(subscript) = target {
                    // A registry of new instances is SGL001's finding.
                    let registry = matches!(subscript.value.as_ref(), Expr::Name(_))
                        && is_instance_construction(cx, &assign.value);
                    if !registry && inserts_identity(cx, &assign.value) {
                        found.push((
                            cx.text(subscript.value.as_ref()).to_string(),
                            cx.text(subscript.slice.as_ref()).to_string(),
                            Act::Insert,
                        ));
                    }
                }
            }
        }
        Stmt::Delete(delete) => {
            for target in &delete.targets {
                if let Expr::Subscript(subscript) = target {
                    found.push((
                        cx.text(subscript.value.as_ref()).to_string(),
                        cx.text(subscript.slice.as_ref()).to_string(),
                        Act::Remove,
                    ));
                }
            }
        }
        Stmt::Expr(ast::StmtExpr { value, .. }) => {
            let Expr::Call(call) = value.as_ref() else {
                return found;
            };
            let Expr::Attribute(attribute) = call.func.as_ref() else {
                return found;
            };
            let container = cx.text(attribute.value.as_ref()).to_string();
            let args = &call.arguments;
            match attribute.attr.as_str() {
                // `d.pop(k)` without a default raises when k is gone.
                "pop" | "remove" if args.args.len() == 1 && args.keywords.is_empty() => {
                    found.push((container, cx.text(&args.args[0]).to_string(), Act::Remove));
                }
                "append" | "appendleft" | "add" | "insert" | "extend" => {
                    found.push((container, String::new(), Act::Grow));
                }
                _ => {}
            }
        }
        _ => {}
    }
    found
}
