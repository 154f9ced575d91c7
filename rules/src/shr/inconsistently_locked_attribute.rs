use rustc_hash::FxHashMap as HashMap;

use ruff_python_ast::{self as ast, CmpOp, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use crate::api::{Diagnostic, RuleEntry, Span};
use crate::declare_rule;
use crate::python::{last_name, locks_released_for_caller, self_attribute};
use crate::python::{LockKind, PyContext, PythonRule};
use crate::sgl::is_named_for_caller_held_lock;
use crate::shr::{is_container, is_thread_identity};

mod class_state;
mod lock_choices;

use class_state::{is_exclusive_method, Access, ClassState, SelfCall};
use lock_choices::{is_once_setup_block, is_reset_block, lock_free_branches};

declare_rule! {
    /// ## What it does
    /// RacerD-style consistency check within one class: an attribute that
    /// is written or mutated (assignment, also as one target of an
    /// unpacking `self.state, found = ..`, `+=`, `self.x[k] = ..`, `del
    /// self.x[k]`, `self.x.append(..)` and other mutating methods) while a
    /// thread lock is held in one method, and updated in a non-atomic way
    /// with no lock held in another (or later in the same method, after the
    /// lock is released: a check-then-act): `self.n += 1`, a rebuild that reads
    /// the old value (`self.items = [i for i in self.items if ..]`), or a
    /// replacement of the container the locked code fills (`self.buf = []`).
    ///
    /// ## Why is this bad?
    /// Taking the lock for some updates says the author expects several
    /// threads to use the object. The unlocked update races with the locked
    /// ones: a `+=` loses increments, a rebuild drops the items another
    /// thread added meanwhile, a replaced container swallows the appends
    /// that went into the old one.
    ///
    /// ## Example
    /// ```python
    /// class SessionStore:
    ///     def __init__(self):
    ///         self._lock = threading.Lock()
    ///         self._sessions = {}
    ///
    ///     def add(self, sid, session):
    ///         with self._lock:
    ///             self._sessions[sid] = session
    ///
    ///     def expire(self, now):
    ///         self._sessions = {
    ///             sid: s for sid, s in self._sessions.items() if s.expires > now
    ///         }
    /// ```
    ///
    /// ## Use instead
    /// ```python
    ///     def expire(self, now):
    ///         with self._lock:
    ///             self._sessions = {
    ///                 sid: s for sid, s in self._sessions.items() if s.expires > now
    ///             }
    /// ```
    ///
    /// ## Known limitations
    /// Stores that rebind the attribute without reading it (`self.closed =
    /// True`, `self.buffer = []`, or reading it only as a fallback:
    /// `getattr(new, "version", self.version)`, `new or self.x`, or to keep
    /// it once set: `self.x or new`), no-op
    /// self-assignments (`self.x = self.x`), in-place updates of a built-in
    /// container (`self.disabled |= schemas` on a set, `+=` on a list) and
    /// single container operations
    /// (`self.d[k] = v`, `self.d.pop(k)`) are atomic in CPython and not
    /// reported: a locked append racing with `self.buffer = []` lands in
    /// the old list, as if it had run first. A value that only the class's
    /// one worker thread writes (in the method the module starts one
    /// `threading.Thread` on, and in the methods only it calls) cannot lose
    /// an update, whatever lock some of those writes take, and is not
    /// reported; nor is one entry of a container under a literal key
    /// (`self.stats["batches"] += 1`) that only the worker thread writes,
    /// when request threads count other keys under the lock. A value that
    /// several threads may update still is.
    /// Construction and teardown
    /// methods (`__init__`, `__new__`, `__del__`, `__enter__`/`__exit__`,
    /// `__post_init__`, `__setstate__`, `close`, `shutdown`, `stop`,
    /// `terminate`, `dispose`), fork handlers (any name containing `fork`),
    /// test fixtures and test methods, property getters and setters,
    /// methods named `*_locked` / `*_unlocked` / `_unlocked*`, and methods that the class
    /// only calls with a lock held (directly or through such helpers) are
    /// not checked. Methods that only construction or teardown calls
    /// (`__init__` calling `self.load()`) run before the object is shared:
    /// a lock they take (around a state file being read) is no evidence
    /// that the fields need it. A private method of a class with a base
    /// class that nothing in the module names, not even a comment (`def
    /// _spill_write(self, ..)`), is a hook the base class calls from
    /// another module, under locks the tool cannot see: it is not checked.
    /// A lambda or nested function handed, under a lock, to a
    /// method of the class that calls it before returning
    /// (`self._transaction(lambda: self._record(..))` with `def
    /// _transaction(self, body): ... body()`) runs under that lock, and so
    /// does a helper defined in the locked block and only called there
    /// (`def _check(k): ..` then `all(_check(k) for k in keys)`); one
    /// that is kept for later does not. A branch that skips a lock another branch of the same
    /// method takes (`if self.lock: with self.lock: .. else: ..`, or a fast
    /// path that returns before `with self.lock:`) is trusted as a
    /// deliberate choice, in `except` handlers too. A locked block that
    /// stores fresh values into five or more attributes at once is a reset
    /// made atomic as a whole; its stores are not taken as evidence that
    /// each of those attributes needs the lock for its other updates (a
    /// locked `+=` elsewhere still is), and so are the plain stores of a
    /// double-checked one-time set-up (`if self._ready: return`, then
    /// `with self._lock: if self._ready: return; ...`). Only this object's or the module's locks count:
    /// `with self._conn.lock:` serialises the connection, not this
    /// object's fields, and attributes that carry their own lock (`with
    /// self.pool.lock:`) are skipped. A write under another object's lock
    /// is neither evidence nor a finding: it is not made without a lock,
    /// and the tool cannot tell whether the locked writes' callers take
    /// that lock too. Nor is a write in the body of an owner check (`if
    /// self._owner == get_ident():`, as a hand-rolled reentrant lock counts
    /// its re-entries): only the owning thread runs it. Async locks are
    /// not counted, and
    /// writes in `async def` methods are not reported: without an `await`
    /// between read and write, coroutines cannot interleave. Classes in
    /// test-support files (below a `tests`/`test`/`benches` directory,
    /// `test_*.py`, `conftest.py`) and in modules that use green threads
    /// (`gevent`, `eventlet`) or a test
    /// framework are not checked. A method that the class never calls
    /// itself and that code outside it only calls holding the receiver's
    /// own lock (`with router.condition: router.pop()`) runs under that
    /// lock. A class that lends its lock to a caller's `with` block
    /// (`@contextmanager def ceremony(self): with self.lock: yield`) is not
    /// checked: the methods that block calls back run under the lock. Nor
    /// is a method whose docstring or comments say it takes no lock ("It
    /// does not use any thread safety locks", "not thread-safe", "safe for
    /// single-threaded use") or that
    /// it serves tests only ("Only use this in test code"), a method
    /// that gives back a `self` lock it did not take (its caller took it:
    /// `try: self._readers += 1 finally: self._read_ready.release()`), and
    /// the `emit` of a `logging.Handler` subclass (`Handler.handle` holds
    /// the handler's lock around it). Reads,
    /// accesses from other classes and from nested functions are not
    /// checked.
    ///
    /// Locks are taken by `with`, by `acquire()` up to `release()`, by a
    /// module helper whose whole body acquires one, by `with` on a module
    /// `@contextmanager` that holds a module lock around its `yield`
    /// (`with _locked():`), by a method of the class whose whole body
    /// takes one (`self._acquire_write()`, also when it picks a
    /// reader-writer lock's `acquire_write` or a plain `acquire` in an
    /// `if`) up to a method that releases it, by callables named
    /// `lock_*` / `unlock_*` that the class does not define itself
    /// (bound to a lock's `acquire` and `release` elsewhere), and by a
    /// `Condition` of any library built over a known lock, by `with
    /// value.get_lock():` on a `multiprocessing.Value`, and through a local
    /// alias (`cond = self.cond; cond.acquire()`). A release in
    /// a block that then leaves (`except: lock.release(); raise`) does
    /// not end the hold for the code after it.
    pub static INCONSISTENTLY_LOCKED_ATTRIBUTE = {
        code: "SHR003",
        name: "inconsistently-locked-attribute",
        summary: "attribute written both with and without its lock",
        languages: [Python],
        severity: Error,
        tags: ["concurrency", "shared-state"],
    };
}

pub const ENTRY: RuleEntry = RuleEntry {
    meta: &INCONSISTENTLY_LOCKED_ATTRIBUTE,
    python: Some(|| Box::<InconsistentlyLockedAttribute>::default()),
    rust: None,
};

/// Methods that mutate the container they are called on.
const MUTATING_METHODS: &[&str] = &[
    "append",
    "extend",
    "insert",
    "pop",
    "remove",
    "clear",
    "update",
    "setdefault",
    "add",
    "discard",
    "popitem",
    "move_to_end",
    "appendleft",
    "popleft",
];

#[derive(Default)]
struct InconsistentlyLockedAttribute {
    /// Keyed by the class statement's start offset.
    classes: HashMap<u32, ClassState>,
    /// Method name -> (calls `obj.method()` from outside the object made
    /// holding one of `obj`'s own locks (`with router.condition:
    /// router.pop()`), other calls `x.method()` on anything but `self`).
    outside_calls: HashMap<String, (usize, usize)>,
    /// Findings wait for the module's end, where all outside calls of
    /// their method are known.
    pending: Vec<PendingWrite>,
    /// The last function asked about, by start offset, and what
    /// [`FunctionExemptions`] found in it: read once per function, not once
    /// per write in it.
    exemptions: Option<(u32, FunctionExemptions)>,
    /// Bodies of `if self._owner == get_ident():` in this file: code only
    /// the thread that owns the object runs.
    owner_branches: Vec<TextRange>,
}

/// What a method's own text says about the locks around its writes.
#[derive(Clone, Copy)]
struct FunctionExemptions {
    /// Its docstring or comments say it takes no lock.
    disclaims_thread_safety: bool,
    /// It releases a `self` lock it did not take (`try: self._readers += 1
    /// finally: self._read_ready.release()`): its caller acquired the lock
    /// for it.
    runs_under_callers_lock: bool,
}

/// An unlocked write, held until the module has been seen.
struct PendingWrite {
    method: String,
    /// The class itself calls the method (`self.method()`).
    called_by_class: bool,
    diagnostic: Diagnostic,
}

impl InconsistentlyLockedAttribute {
    /// True when code outside the class calls `method` only with the
    /// receiver's own lock held: the callers take the object's lock for it.
    fn locked_by_outside_callers(&self, method: &str) -> bool {
        self.outside_calls
            .get(method)
            .is_some_and(|&(locked, other)| locked > 0 && other == 0)
    }
}

impl InconsistentlyLockedAttribute {
    /// The state of the class whose method is being walked directly (not
    /// a nested function, unless it runs inline), and the method's name.
    fn method_state<'c>(&mut self, cx: &'c PyContext<'_>) -> Option<(&mut ClassState, &'c str)> {
        let frame = cx.running_function()?;
        let class = cx.class()?;
        let method_class = frame.class?;
        if !std::ptr::eq(method_class, class) {
            return None;
        }
        let state = self.classes.entry(class.start().to_u32()).or_default();
        Some((state, frame.name))
    }

    /// [`FunctionExemptions`] of the innermost named function, once per
    /// function.
    fn exemptions(&mut self, cx: &PyContext<'_>) -> Option<FunctionExemptions> {
        let def = cx.functions().iter().rev().find_map(|frame| frame.def)?;
        let start = def.start().to_u32();
        match self.exemptions {
            Some((cached, exemptions)) if cached == start => Some(exemptions),
            _ => {
                let exemptions = FunctionExemptions {
                    disclaims_thread_safety: cx.function_disclaims_thread_safety(),
                    runs_under_callers_lock: !locks_released_for_caller(def).is_empty(),
                };
                self.exemptions = Some((start, exemptions));
                Some(exemptions)
            }
        }
    }

    fn record(
        &mut self,
        cx: &PyContext<'_>,
        target: &Expr,
        value: Option<&Expr>,
        kind: WriteKind,
        span: Span,
    ) {
        let Some(attr) = written_attribute(target) else {
            return;
        };
        // A hand-rolled reentrant lock counts its re-entries on the owner's
        // thread alone: no other thread runs that branch.
        if self
            .owner_branches
            .iter()
            .any(|branch| branch.contains_range(target.range()))
        {
            return;
        }
        let locked = holds_own_thread_lock(cx);
        // Under another object's lock (`with ctx.eval_lock:`): not this
        // object's lock, so no evidence of how its fields are guarded, but
        // not "without any lock" either. Callers may take that same lock
        // around the locked writes too (`run_jobs` holds `eval_lock` while
        // `run_job` takes `self.pending_lock`); the tool cannot pair them.
        if !locked && holds_thread_lock(cx) {
            return;
        }
        // Coroutine code runs on one event loop: without an `await` inside
        // the statement no other coroutine interleaves with it.
        let in_coroutine = cx.function().is_some_and(|frame| frame.is_async);
        let plain_store =
            kind == WriteKind::Store && value.is_some_and(|v| !reads_attribute(v, attr));
        let racy = !in_coroutine
            && match value {
                // Augmented assignment: a read-modify-write.
                None => matches!(kind, WriteKind::Update),
                // Rebinding to a new object is one atomic store, even when
                // locked code fills the old one (`self.buffer = []`): a
                // locked append either precedes the swap or lands in the
                // old object, as if it had run before. Only a value
                // computed from the attribute itself loses updates.
                Some(value) => reads_attribute(value, attr),
            };
        // "It does not use any thread safety locks": the author chose a
        // lock-free path (`emit_fast` beside a locked `emit`). A method that
        // gives back a lock its caller took runs under a lock the tool does
        // not see taken, and so does a logging handler's `emit`
        // (`Handler.handle` holds the handler's lock around it): their
        // writes are neither evidence nor findings.
        if !locked {
            let exempt = self.exemptions(cx).is_some_and(|exemptions| {
                exemptions.disclaims_thread_safety || exemptions.runs_under_callers_lock
            });
            if exempt || is_logging_handler_emit(cx) {
                return;
            }
        }
        let Some((state, method)) = self.method_state(cx) else {
            return;
        };
        if is_exclusive_method(method) || state.properties.contains(method) {
            return;
        }
        state
            .accesses
            .entry(attr.to_string())
            .or_default()
            .push(Access {
                span,
                method: method.to_string(),
                locked,
                racy,
                plain_store,
                key: literal_key(target),
            });
    }
}

/// `"batches"` for `self.stats["batches"]` (and `self.stats["batches"]["ok"]`):
/// the literal key of the entry of the attribute that a write changes.
fn literal_key(target: &Expr) -> Option<String> {
    let Expr::Subscript(subscript) = target else {
        return None;
    };
    if subscript.value.is_subscript_expr() {
        return literal_key(&subscript.value);
    }
    match subscript.slice.as_ref() {
        Expr::StringLiteral(key) => Some(key.value.to_str().to_string()),
        Expr::NumberLiteral(key) => Some(format!("{:?}", key.value)),
        _ => None,
    }
}

/// A private method of a derived class that nothing in the module names
/// (`def _spill_write(self, ..)` under `class Store(_LruStore)`): a hook
/// its base class, in another module, calls under whatever lock that code
/// holds there ("Caller holds lock"). Its writes cannot be judged here.
fn is_unseen_hook(cx: &PyContext<'_>, class: &ast::StmtClassDef, method: &str) -> bool {
    let private = method.starts_with('_') && !method.starts_with("__");
    private && derives_from_a_class(class) && !is_named_outside_its_def(cx.source(), method)
}

/// The class has a base other than `object` and the typing markers
/// (`ABC`, `Generic[T]`, `Protocol`), which call none of its methods.
fn derives_from_a_class(class: &ast::StmtClassDef) -> bool {
    class.bases().iter().any(|base| {
        let base = match base {
            Expr::Subscript(subscript) => subscript.value.as_ref(),
            other => other,
        };
        !last_name(base)
            .is_some_and(|name| matches!(name, "object" | "ABC" | "Generic" | "Protocol"))
    })
}

/// True when `name` occurs in `source` as a whole word other than right
/// after `def `: called, referenced (`target=self._run`) or named in a
/// string (`getattr(self, "_run")`).
fn is_named_outside_its_def(source: &str, name: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    source.match_indices(name).any(|(at, _)| {
        let before = &source[..at];
        let after = &source[at + name.len()..];
        let whole = !before.ends_with(is_word) && !after.starts_with(is_word);
        whole && !before.ends_with("def ")
    })
}

/// True in the `emit` method of a `logging.Handler` subclass
/// (`logging.Handler`, `logging.StreamHandler`, `logging.handlers.*`):
/// `Handler.handle` calls it with the handler's lock held.
fn is_logging_handler_emit(cx: &PyContext<'_>) -> bool {
    let Some(frame) = cx.function() else {
        return false;
    };
    frame.name == "emit"
        && frame.class.is_some_and(|class| {
            class.bases().iter().any(|base| {
                cx.resolve(base)
                    .is_some_and(|name| name.starts_with("logging.") && name.ends_with("Handler"))
            })
        })
}

/// True when `target` is `self.x` and every value the class assigns to
/// `x` is a built-in list, set or dict: an augmented assignment to it
/// changes the object in place, in one C call. (`WeakSet` and other
/// containers written in Python are not.)
fn holds_a_container(cx: &PyContext<'_>, target: &Expr) -> bool {
    let Some(attr) = self_attribute(target) else {
        return false;
    };
    let is_builtin_container = |value: &&Expr| match value {
        Expr::Call(call) => matches!(
            call.func.as_ref(),
            Expr::Name(name) if matches!(name.id.as_str(), "list" | "set" | "dict")
        ),
        other => is_container(cx, other),
    };
    let values = cx.attribute_values(attr);
    !values.is_empty() && values.iter().all(is_builtin_container)
}

/// A lock that excludes other threads is held. Under an async lock alone,
/// a write without an `await` between check and store cannot interleave
/// with other coroutines, so async-only classes are not this rule's.
fn holds_thread_lock(cx: &PyContext<'_>) -> bool {
    cx.held_locks()
        .iter()
        .any(|lock| lock.kind != LockKind::Async)
}

/// A thread lock of this object (`self._lock`) or of the module is held.
/// Another object's lock (`with self._conn.lock:`) serialises that object,
/// not the fields of this one.
fn holds_own_thread_lock(cx: &PyContext<'_>) -> bool {
    cx.held_locks().iter().any(|lock| {
        lock.kind != LockKind::Async
            && match lock.key.strip_prefix("self.") {
                Some(attr) => !attr.contains('.'),
                None => !lock.key.contains('.'),
            }
    })
}

/// `self._owner == get_ident()` (or `is`, either way round, or with a local
/// `me = threading.get_ident()`): the running thread owns the object.
fn is_owner_check(cx: &PyContext<'_>, test: &Expr) -> bool {
    let Expr::Compare(compare) = test else {
        return false;
    };
    let ([op], [right]) = (compare.ops.as_ref(), compare.comparators.as_ref()) else {
        return false;
    };
    if !matches!(op, CmpOp::Eq | CmpOp::Is) {
        return false;
    }
    let left = compare.left.as_ref();
    (self_attribute(left).is_some() && names_running_thread(cx, right))
        || (self_attribute(right).is_some() && names_running_thread(cx, left))
}

/// `get_ident()`, `threading.current_thread()`, or a name bound to one.
fn names_running_thread(cx: &PyContext<'_>, expr: &Expr) -> bool {
    let value = match expr {
        Expr::Name(name) => cx.value_of(name.id.as_str()).unwrap_or(expr),
        other => other,
    };
    let Expr::Call(call) = value else {
        return false;
    };
    is_thread_identity(cx, value)
        || last_name(&call.func).is_some_and(|name| {
            matches!(
                name,
                "get_ident" | "get_native_id" | "current_thread" | "currentThread"
            )
        })
}

/// How a statement changes an attribute when no new value is stored.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WriteKind {
    /// A store (`=`), judged by its value.
    Store,
    /// `+=` and friends.
    Update,
    /// A mutating method call, subscript store or `del`: one operation.
    Mutation,
}

/// True when `value` reads `self.<attr>`: `self.items + [x]`,
/// `[i for i in self.items if i.alive]`.
fn reads_attribute(value: &Expr, attr: &str) -> bool {
    let mut found = false;
    let mut visitor = ReadsAttribute {
        attr,
        found: &mut found,
    };
    ruff_python_ast::visitor::Visitor::visit_expr(&mut visitor, value);
    found
}

struct ReadsAttribute<'v> {
    attr: &'v str,
    found: &'v mut bool,
}

impl<'a> ruff_python_ast::visitor::Visitor<'a> for ReadsAttribute<'_> {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if written_attribute(expr) == Some(self.attr) && matches!(expr, Expr::Attribute(_)) {
            *self.found = true;
            return;
        }
        // `getattr(updated, "version", self.version)`, `new.get(k,
        // self.x)`, `value or self.x`: the old value is only the fallback
        // when the new one is missing, not an operand of an update; in
        // `self.x or value` it is kept as it is.
        match expr {
            Expr::Call(call) if is_fallback_lookup(call) => {
                let Some((fallback, looked_up)) = call.arguments.args.split_last() else {
                    return;
                };
                self.visit_expr(&call.func);
                for argument in looked_up {
                    self.visit_expr(argument);
                }
                if !matches!(fallback, Expr::Attribute(_)) {
                    self.visit_expr(fallback);
                }
            }
            Expr::BoolOp(ast::ExprBoolOp {
                op: ast::BoolOp::Or,
                values,
                ..
            }) => {
                let Some((fallback, preferred)) = values.split_last() else {
                    return;
                };
                // `self.reason or str(exc)`: the current value kept when
                // set, a one-time fill otherwise, whichever thread wins.
                for value in preferred {
                    if self_attribute(value) != Some(self.attr) {
                        self.visit_expr(value);
                    }
                }
                if !matches!(fallback, Expr::Attribute(_)) {
                    self.visit_expr(fallback);
                }
            }
            _ => ruff_python_ast::visitor::walk_expr(self, expr),
        }
    }
}

/// `getattr(obj, name, default)` or `mapping.get(key, default)`: a lookup
/// whose last positional argument is the fallback.
fn is_fallback_lookup(call: &ast::ExprCall) -> bool {
    let arguments = call.arguments.args.len();
    call.arguments.keywords.is_empty()
        && match call.func.as_ref() {
            Expr::Name(name) => name.id.as_str() == "getattr" && arguments == 3,
            Expr::Attribute(method) => method.attr.as_str() == "get" && arguments == 2,
            _ => false,
        }
}

/// The places an assignment stores to, unpackings opened up: `self.state,
/// rest = ..` stores to `self.state` as much as `self.state = ..` does.
fn assigned_targets(assign: &ast::StmtAssign) -> Vec<&Expr> {
    fn unpack<'a>(target: &'a Expr, out: &mut Vec<&'a Expr>) {
        match target {
            Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
                elts.iter().for_each(|elt| unpack(elt, out));
            }
            Expr::Starred(starred) => unpack(&starred.value, out),
            _ => out.push(target),
        }
    }
    let mut targets = Vec::new();
    assign
        .targets
        .iter()
        .for_each(|target| unpack(target, &mut targets));
    targets
}

/// `x` for `self.x` and `self.x[k]`: the attribute of `self` a store to
/// this target changes. `self.x.y = ..` changes another object.
fn written_attribute(target: &Expr) -> Option<&str> {
    match target {
        Expr::Attribute(_) => self_attribute(target),
        Expr::Subscript(subscript) => match subscript.value.as_ref() {
            Expr::Attribute(_) => written_attribute(&subscript.value),
            _ => None,
        },
        _ => None,
    }
}

impl PythonRule for InconsistentlyLockedAttribute {
    fn uses_function_roles(&self) -> bool {
        true
    }

    fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt, _out: &mut Vec<Diagnostic>) {
        match stmt {
            Stmt::Assign(assign) => {
                for target in assigned_targets(assign) {
                    // `self.x = self.x`: a no-op, not an update.
                    if cx.text(target) == cx.text(assign.value.as_ref()) {
                        continue;
                    }
                    let kind = match target {
                        Expr::Subscript(_) => WriteKind::Mutation,
                        _ => WriteKind::Store,
                    };
                    let value = (kind == WriteKind::Store).then_some(assign.value.as_ref());
                    self.record(cx, target, value, kind, stmt.into());
                }
            }
            Stmt::AugAssign(ast::StmtAugAssign { target, .. }) => {
                // `self.disabled |= schemas` on a set (`+=` on a list,
                // `|=` on a dict) updates the object in place: one call.
                let kind = if holds_a_container(cx, target) {
                    WriteKind::Mutation
                } else {
                    WriteKind::Update
                };
                self.record(cx, target, None, kind, stmt.into());
            }
            Stmt::AnnAssign(ast::StmtAnnAssign {
                target,
                value: Some(value),
                ..
            }) => {
                self.record(cx, target, Some(value), WriteKind::Store, stmt.into());
            }
            Stmt::Delete(delete) => {
                for target in &delete.targets {
                    if let Expr::Subscript(_) = target {
                        self.record(cx, target, None, WriteKind::Mutation, stmt.into());
                    }
                }
            }
            Stmt::If(if_stmt) if is_owner_check(cx, &if_stmt.test) => {
                if let (Some(first), Some(last)) = (if_stmt.body.first(), if_stmt.body.last()) {
                    self.owner_branches
                        .push(TextRange::new(first.start(), last.end()));
                }
            }
            Stmt::With(with) => {
                let once_setup = cx
                    .function()
                    .and_then(|frame| frame.def)
                    .is_some_and(|def| is_once_setup_block(cx, def, with));
                if once_setup || is_reset_block(cx, with) {
                    if let Some((state, _)) = self.method_state(cx) {
                        state.reset_blocks.push(with.range());
                    }
                }
                // `with self.pools.lock:` makes `pools` a self-locking object.
                for item in &with.items {
                    if let Expr::Attribute(lock) = &item.context_expr {
                        if let Some(attr) = written_attribute(&lock.value) {
                            let attr = attr.to_string();
                            if let Some((state, _)) = self.method_state(cx) {
                                state.self_locking.insert(attr);
                            }
                        }
                    }
                }
            }
            Stmt::FunctionDef(def)
                if cx.function().is_none() || cx.function().and_then(|f| f.class).is_none() =>
            {
                if let Some(class) = cx.class() {
                    let mut branches = Vec::new();
                    lock_free_branches(cx, &def.body, &mut branches);
                    if !branches.is_empty() {
                        self.classes
                            .entry(class.start().to_u32())
                            .or_default()
                            .lock_free_branches
                            .extend(branches);
                    }
                }
                let is_property = def.decorator_list.iter().any(|decorator| {
                    matches!(&decorator.expression, Expr::Name(name) if name.id.as_str() == "property")
                        || matches!(&decorator.expression, Expr::Attribute(attr) if attr.attr.as_str() == "setter")
                });
                if is_property {
                    if let Some(class) = cx.class() {
                        self.classes
                            .entry(class.start().to_u32())
                            .or_default()
                            .properties
                            .insert(def.name.to_string());
                    }
                }
            }
            _ => {}
        }
    }

    fn on_expr(&mut self, cx: &PyContext<'_>, expr: &Expr, _out: &mut Vec<Diagnostic>) {
        if matches!(expr, Expr::Yield(_) | Expr::YieldFrom(_)) && holds_own_thread_lock(cx) {
            if let Some((state, _)) = self.method_state(cx) {
                state.lends_lock = true;
            }
            return;
        }
        let Expr::Call(call) = expr else { return };
        let Expr::Attribute(method) = call.func.as_ref() else {
            return;
        };
        let receiver = cx.text(method.value.as_ref());
        if receiver != "self" {
            // `router.condition` for receiver `router`.
            let holds_receiver_lock = cx.held_locks().iter().any(|lock| {
                lock.kind != LockKind::Async
                    && lock
                        .key
                        .strip_prefix(receiver)
                        .is_some_and(|attribute| attribute.starts_with('.'))
            });
            let count = if holds_receiver_lock { (1, 0) } else { (0, 1) };
            // Look up before inserting: a key is allocated once per method
            // name, not once per call.
            match self.outside_calls.get_mut(method.attr.as_str()) {
                Some(counts) => {
                    counts.0 += count.0;
                    counts.1 += count.1;
                }
                None => {
                    self.outside_calls.insert(method.attr.to_string(), count);
                }
            }
        }
        if let Expr::Name(receiver) = method.value.as_ref() {
            // `self.helper()`: remember whether helpers run under a lock.
            if receiver.id.as_str() == "self" {
                let locked = holds_thread_lock(cx);
                if let Some((state, caller)) = self.method_state(cx) {
                    state.calls.push(SelfCall {
                        caller: caller.to_string(),
                        callee: method.attr.to_string(),
                        locked,
                    });
                }
            }
            return;
        }
        if MUTATING_METHODS.contains(&method.attr.as_str()) {
            self.record(cx, &method.value, None, WriteKind::Mutation, expr.into());
        }
    }

    fn on_class_exit(&mut self, cx: &PyContext<'_>, _out: &mut Vec<Diagnostic>) {
        let Some(class) = cx.class() else { return };
        let Some(state) = self.classes.remove(&class.start().to_u32()) else {
            return;
        };
        // Greenlets switch only at I/O (a write without I/O runs whole);
        // tests join the threads they start. A class that lends its lock
        // to a caller's `with` block has writers the tool cannot follow:
        // the methods that block calls back (`request_pin()` during a
        // `with console.ceremony():`) run under that lock.
        if cx.module_runs_one_thread_at_a_time() || state.lends_lock {
            return;
        }
        let exclusive = state.exclusive_helpers();
        let setup = state.setup_helpers();
        let roles = cx.function_roles();
        let worker_thread =
            state.worker_thread_methods(|method| roles.runs_on_its_own_thread(method));
        let runs_locked =
            |method: &str| exclusive.contains(method) || is_named_for_caller_held_lock(method);
        for (attr, accesses) in &state.accesses {
            if state.self_locking.contains(attr) || state.properties.contains(attr) {
                continue;
            }
            // A plain store inside a reset block or a double-checked
            // one-time set-up shows that the reset or set-up is atomic, not
            // that every update of the attribute needs the lock.
            let in_reset_block = |access: &Access| {
                access.plain_store
                    && state.reset_blocks.iter().any(|range| {
                        range.start().to_u32() <= access.span.start
                            && access.span.end <= range.end().to_u32()
                    })
            };
            // A value that only the class's one worker thread writes cannot
            // lose an update, whatever lock some of its writes take: the
            // attribute, or one entry of it under a literal key (a locked
            // `stats["submitted"] += 1` on request threads is no evidence
            // against the worker's own `stats["batches"] += 1`). Written
            // from several threads, unlocked updates lose each other's.
            let owned_by_worker_thread = |unlocked: &Access| {
                accesses
                    .iter()
                    .filter(|access| access.overlaps(unlocked))
                    .all(|access| worker_thread.contains(access.method.as_str()))
            };
            // The lock guards the attribute in another method, or earlier in
            // this one: a write after the lock is released works on what was
            // read under it (a check-then-act). A write before the method
            // takes its lock is the method's own preparation (a reader
            // thread's buffer, drained under the lock for its consumers).
            // Set-up code has the object to itself, whatever lock it takes.
            let protected_for = |unlocked: &Access| {
                accesses.iter().find(|access| {
                    access.locked
                        && !in_reset_block(access)
                        && !setup.contains(access.method.as_str())
                        && (access.method != unlocked.method
                            || access.span.start < unlocked.span.start)
                })
            };
            let on_lock_free_branch = |access: &Access| {
                state.lock_free_branches.iter().any(|range| {
                    range.start().to_u32() <= access.span.start
                        && access.span.end <= range.end().to_u32()
                })
            };
            for access in accesses.iter().filter(|access| {
                !access.locked
                    && access.racy
                    && !runs_locked(&access.method)
                    && !on_lock_free_branch(access)
                    && !owned_by_worker_thread(access)
            }) {
                let Some(protected) = protected_for(access) else {
                    continue;
                };
                if is_unseen_hook(cx, class, &access.method) {
                    continue;
                }
                let called_by_class = state.calls.iter().any(|call| call.callee == access.method);
                self.pending.push(PendingWrite {
                    method: access.method.clone(),
                    called_by_class,
                    diagnostic: Diagnostic::new(
                        &INCONSISTENTLY_LOCKED_ATTRIBUTE,
                        access.span,
                        format!(
                            "`self.{attr}` is written here in `{}` without a lock, but under a lock elsewhere in `{}`",
                            access.method, class.name
                        ),
                    )
                    .with_help("take the same lock around this write as the other writes do")
                    .with_related(protected.span, "written under a lock here"),
                });
            }
        }
    }

    fn on_module_exit(&mut self, _cx: &PyContext<'_>, out: &mut Vec<Diagnostic>) {
        for pending in std::mem::take(&mut self.pending) {
            if pending.called_by_class || !self.locked_by_outside_callers(&pending.method) {
                out.push(pending.diagnostic);
            }
        }
    }
}
