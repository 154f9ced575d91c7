//! What the Python checker knows at each point of its walk.
//!
//! Built incrementally by the one walk in [`checker`](super::checker), plus a
//! shallow pre-pass over module-level and class-level statements so that
//! names bound later in the file (a lock created in `__init__` below the
//! method that uses it, a module-level import after a function) are known
//! wherever they are used.

use std::collections::HashMap;

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::Ranged;

use crate::api::Span;

/// A dotted, fully resolved name: `time.sleep`, `subprocess.run`,
/// `builtins.open`.
pub type QualifiedName = String;

/// What kind of lock an acquired object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    /// `threading.Lock/RLock/Semaphore/BoundedSemaphore/Condition`: protects
    /// against other threads.
    Threading,
    /// `asyncio.Lock/Semaphore/Condition`: protects against other coroutines
    /// of one event loop only.
    Async,
    /// Looks like a lock (`with self._lock:`) but its constructor is not in
    /// this file. Rules that need precision treat it as "some lock is held".
    Unknown,
}

/// A lock held at the current point of the walk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldLock {
    /// Source text of the lock expression: `self._lock`, `_registry_lock`.
    pub key: String,
    pub kind: LockKind,
    /// The acquisition: the `with` item or the `.acquire()` call.
    pub span: Span,
}

/// A function (or lambda) being walked.
#[derive(Clone, Debug)]
pub struct FunctionFrame<'a> {
    /// `None` for a lambda.
    pub def: Option<&'a ast::StmtFunctionDef>,
    pub name: &'a str,
    pub is_async: bool,
    /// The class this function is a method of, if it is defined directly in
    /// a class body.
    pub class: Option<&'a ast::StmtClassDef>,
    /// Names declared `global` in this function.
    pub globals: Vec<&'a str>,
}

impl FunctionFrame<'_> {
    pub fn declares_global(&self, name: &str) -> bool {
        self.globals.contains(&name)
    }

    /// The decorators of this function, empty for a lambda.
    pub fn decorators(&self) -> &[ast::Decorator] {
        self.def.map_or(&[], |def| &def.decorator_list)
    }
}

/// Names visible in one function or module scope.
#[derive(Default, Debug)]
pub(crate) struct Scope<'a> {
    /// Local name -> qualified name for imports; `None` when a local binding
    /// (parameter, assignment, def) shadows whatever an outer scope imported.
    pub(crate) bindings: HashMap<String, Option<QualifiedName>>,
    /// Locks created in this scope: `lock = threading.Lock()`.
    pub(crate) locks: HashMap<String, LockKind>,
    /// Local name -> the expression most recently assigned to it in walk
    /// order (`s = requests.Session()`, `with Popen(..) as p:`); absent when
    /// the last binding was not a plain assignment (a loop target, an
    /// unpacking, an import).
    pub(crate) values: HashMap<String, &'a Expr>,
}

const THREADING_LOCKS: &[&str] = &[
    "threading.Lock",
    "threading.RLock",
    "threading.Semaphore",
    "threading.BoundedSemaphore",
    "threading.Condition",
    "_thread.allocate_lock",
    "multiprocessing.Lock",
    "multiprocessing.RLock",
];

const ASYNC_LOCKS: &[&str] = &[
    "asyncio.Lock",
    "asyncio.Semaphore",
    "asyncio.BoundedSemaphore",
    "asyncio.Condition",
];

/// The semantic state during a walk.
#[derive(Default)]
pub(crate) struct Semantic<'a> {
    /// Innermost last; the module scope is `scopes[0]`.
    pub(crate) scopes: Vec<Scope<'a>>,
    pub(crate) functions: Vec<FunctionFrame<'a>>,
    /// Classes being walked, each with the function depth it was entered at.
    pub(crate) classes: Vec<(&'a ast::StmtClassDef, usize)>,
    pub(crate) held: Vec<HeldLock>,
    /// Module-level assignments, first one wins: name -> value.
    pub(crate) module_values: HashMap<&'a str, &'a Expr>,
    /// Class name -> attribute -> lock kind, for `self._lock = Lock()` and
    /// class-level `_lock = Lock()`.
    pub(crate) class_locks: HashMap<&'a str, HashMap<String, LockKind>>,
    /// Class name -> attribute -> every value assigned to it as `self.x = ..`
    /// in a method or `x = ..` in the class body.
    pub(crate) class_attribute_values: HashMap<&'a str, HashMap<&'a str, Vec<&'a Expr>>>,
}

impl<'a> Semantic<'a> {
    pub(crate) fn new(module: &'a ast::ModModule) -> Self {
        let mut semantic = Semantic {
            scopes: vec![Scope::default()],
            ..Semantic::default()
        };
        semantic.prescan_module(&module.body);
        semantic
    }

    /// Binds module-level imports, names and locks, and every class's lock
    /// attributes, before the walk starts.
    fn prescan_module(&mut self, body: &'a [Stmt]) {
        for stmt in body {
            match stmt {
                Stmt::Import(_) | Stmt::ImportFrom(_) => self.bind_import(stmt),
                Stmt::Assign(ast::StmtAssign { targets, value, .. }) => {
                    for target in targets {
                        if let Expr::Name(name) = target {
                            self.module_values.entry(name.id.as_str()).or_insert(value);
                        }
                    }
                }
                Stmt::AnnAssign(ast::StmtAnnAssign {
                    target,
                    value: Some(value),
                    ..
                }) => {
                    if let Expr::Name(name) = target.as_ref() {
                        self.module_values.entry(name.id.as_str()).or_insert(value);
                    }
                }
                Stmt::FunctionDef(def) => self.bind_local(def.name.as_str()),
                Stmt::ClassDef(class) => self.bind_local(class.name.as_str()),
                Stmt::If(ast::StmtIf {
                    body,
                    elif_else_clauses,
                    ..
                }) => {
                    self.prescan_module(body);
                    for clause in elif_else_clauses {
                        self.prescan_module(&clause.body);
                    }
                }
                Stmt::Try(ast::StmtTry {
                    body,
                    handlers,
                    orelse,
                    finalbody,
                    ..
                }) => {
                    self.prescan_module(body);
                    for handler in handlers {
                        let ast::ExceptHandler::ExceptHandler(handler) = handler;
                        self.prescan_module(&handler.body);
                    }
                    self.prescan_module(orelse);
                    self.prescan_module(finalbody);
                }
                _ => {}
            }
        }
        // Locks need imports resolved, so they come after the bindings.
        for stmt in body {
            match stmt {
                Stmt::Assign(ast::StmtAssign { targets, value, .. }) => {
                    if let Some(kind) = self.lock_constructor_kind(value) {
                        for target in targets {
                            if let Expr::Name(name) = target {
                                self.scopes[0].locks.insert(name.id.to_string(), kind);
                            }
                        }
                    }
                }
                Stmt::ClassDef(class) => self.prescan_class(class),
                _ => {}
            }
        }
    }

    fn prescan_class(&mut self, class: &'a ast::StmtClassDef) {
        let mut locks = HashMap::new();
        for stmt in &class.body {
            match stmt {
                Stmt::Assign(ast::StmtAssign { targets, value, .. }) => {
                    if let Some(kind) = self.lock_constructor_kind(value) {
                        for target in targets {
                            if let Expr::Name(name) = target {
                                locks.insert(name.id.to_string(), kind);
                            }
                        }
                    }
                }
                Stmt::FunctionDef(def) => self.prescan_self_locks(&def.body, &mut locks),
                _ => {}
            }
        }
        self.class_locks.insert(class.name.as_str(), locks);
        let mut values = HashMap::new();
        for stmt in &class.body {
            match stmt {
                Stmt::Assign(ast::StmtAssign { targets, value, .. }) => {
                    for target in targets {
                        if let Expr::Name(name) = target {
                            values
                                .entry(name.id.as_str())
                                .or_insert_with(Vec::new)
                                .push(value.as_ref());
                        }
                    }
                }
                Stmt::FunctionDef(def) => prescan_self_values(&def.body, &mut values),
                _ => {}
            }
        }
        self.class_attribute_values
            .insert(class.name.as_str(), values);
    }

    /// Every value assigned to the attribute `attr` of the innermost class
    /// being walked (`self.x = ..` in its methods, `x = ..` in its body).
    pub(crate) fn attribute_values(&self, attr: &str) -> &[&'a Expr] {
        self.classes
            .last()
            .and_then(|(class, _)| self.class_attribute_values.get(class.name.as_str()))
            .and_then(|values| values.get(attr))
            .map_or(&[], Vec::as_slice)
    }

    /// Finds `self.x = threading.Lock()` anywhere in a method's statements.
    fn prescan_self_locks(&self, body: &'a [Stmt], locks: &mut HashMap<String, LockKind>) {
        for stmt in body {
            match stmt {
                Stmt::Assign(ast::StmtAssign { targets, value, .. }) => {
                    if let Some(kind) = self.lock_constructor_kind(value) {
                        for target in targets {
                            if let Some(attr) = self_attribute(target) {
                                locks.insert(attr.to_string(), kind);
                            }
                        }
                    }
                }
                Stmt::AnnAssign(ast::StmtAnnAssign {
                    target,
                    value: Some(value),
                    ..
                }) => {
                    if let (Some(kind), Some(attr)) =
                        (self.lock_constructor_kind(value), self_attribute(target))
                    {
                        locks.insert(attr.to_string(), kind);
                    }
                }
                Stmt::If(ast::StmtIf {
                    body,
                    elif_else_clauses,
                    ..
                }) => {
                    self.prescan_self_locks(body, locks);
                    for clause in elif_else_clauses {
                        self.prescan_self_locks(&clause.body, locks);
                    }
                }
                Stmt::Try(ast::StmtTry {
                    body, finalbody, ..
                }) => {
                    self.prescan_self_locks(body, locks);
                    self.prescan_self_locks(finalbody, locks);
                }
                Stmt::With(ast::StmtWith { body, .. }) => self.prescan_self_locks(body, locks),
                _ => {}
            }
        }
    }

    /// Records the names an `import` / `from ... import` binds in the
    /// innermost scope.
    pub(crate) fn bind_import(&mut self, stmt: &Stmt) {
        let scope = self.scopes.last_mut().expect("module scope");
        match stmt {
            Stmt::Import(ast::StmtImport { names, .. }) => {
                for alias in names {
                    let module = alias.name.as_str();
                    match &alias.asname {
                        // `import os.path as p` binds p to os.path.
                        Some(asname) => {
                            scope.values.remove(asname.as_str());
                            scope
                                .bindings
                                .insert(asname.to_string(), Some(module.to_string()));
                        }
                        // `import os.path` binds os to os.
                        None => {
                            let head = module.split('.').next().unwrap_or(module);
                            scope
                                .bindings
                                .insert(head.to_string(), Some(head.to_string()));
                        }
                    }
                }
            }
            Stmt::ImportFrom(ast::StmtImportFrom {
                module,
                names,
                level,
                ..
            }) => {
                let mut base = ".".repeat(*level as usize);
                if let Some(module) = module {
                    base.push_str(module.as_str());
                }
                for alias in names {
                    if alias.name.as_str() == "*" {
                        continue;
                    }
                    let local = alias.asname.as_ref().unwrap_or(&alias.name);
                    scope.values.remove(local.as_str());
                    let qualified = if base.is_empty() || base.ends_with('.') {
                        format!("{base}{}", alias.name)
                    } else {
                        format!("{base}.{}", alias.name)
                    };
                    scope.bindings.insert(local.to_string(), Some(qualified));
                }
            }
            _ => {}
        }
    }

    /// Marks `name` as a local binding of the innermost scope, shadowing any
    /// import of the same name in an outer scope.
    pub(crate) fn bind_local(&mut self, name: &str) {
        let scope = self.scopes.last_mut().expect("module scope");
        scope.bindings.entry(name.to_string()).or_insert(None);
    }

    /// The expression last assigned to `name` where it is used: the
    /// innermost function scope that binds it, else the first module-level
    /// assignment. `None` when the binding is not a plain assignment
    /// (parameter, import, loop target).
    pub(crate) fn value_of(&self, name: &str) -> Option<&'a Expr> {
        for scope in self.scopes[1..].iter().rev() {
            if let Some(value) = scope.values.get(name) {
                return Some(value);
            }
            if scope.bindings.contains_key(name) {
                return None;
            }
        }
        if self.scopes.first()?.bindings.contains_key(name) {
            return None;
        }
        self.module_values.get(name).copied()
    }

    /// Resolves a name or attribute chain to its qualified name through the
    /// imports in scope. Unbound names resolve to `builtins.<name>`.
    pub(crate) fn resolve(&self, expr: &Expr) -> Option<QualifiedName> {
        match expr {
            Expr::Name(name) => {
                let id = name.id.as_str();
                for scope in self.scopes.iter().rev() {
                    if let Some(binding) = scope.bindings.get(id) {
                        return binding.clone();
                    }
                }
                Some(format!("builtins.{id}"))
            }
            Expr::Attribute(attribute) => {
                let base = self.resolve(&attribute.value)?;
                // An attribute of a builtin-resolved unknown name is not a
                // module member: `x.sleep` where x is a local object.
                if base.starts_with("builtins.") {
                    return None;
                }
                Some(format!("{base}.{}", attribute.attr))
            }
            _ => None,
        }
    }

    /// The lock kind created by `value`, if it is a lock constructor call.
    pub(crate) fn lock_constructor_kind(&self, value: &Expr) -> Option<LockKind> {
        let Expr::Call(call) = value else { return None };
        let name = self.resolve(&call.func)?;
        if THREADING_LOCKS.contains(&name.as_str()) {
            Some(LockKind::Threading)
        } else if ASYNC_LOCKS.contains(&name.as_str()) {
            Some(LockKind::Async)
        } else {
            None
        }
    }

    /// What kind of lock `expr` (a `with` item, an `.acquire()` receiver)
    /// is, or `None` when it is not a lock at all.
    pub(crate) fn lock_kind(&self, expr: &Expr) -> Option<LockKind> {
        if let Some(kind) = self.lock_constructor_kind(expr) {
            return Some(kind);
        }
        let known = match expr {
            Expr::Name(name) => self
                .scopes
                .iter()
                .rev()
                .find_map(|scope| scope.locks.get(name.id.as_str()).copied()),
            Expr::Attribute(attribute) => match attribute.value.as_ref() {
                Expr::Name(owner) => {
                    let class = match owner.id.as_str() {
                        "self" | "cls" => self.classes.last().map(|(class, _)| class.name.as_str()),
                        other => self.class_locks.contains_key(other).then_some(other),
                    };
                    class
                        .and_then(|class| self.class_locks.get(class))
                        .and_then(|locks| locks.get(attribute.attr.as_str()).copied())
                }
                _ => None,
            },
            _ => None,
        };
        known.or_else(|| looks_like_lock(expr).then_some(LockKind::Unknown))
    }
}

/// Collects `self.x = value` anywhere in a method's statements (including
/// nested blocks, excluding nested functions and classes).
fn prescan_self_values<'a>(body: &'a [Stmt], values: &mut HashMap<&'a str, Vec<&'a Expr>>) {
    for stmt in body {
        match stmt {
            Stmt::Assign(ast::StmtAssign { targets, value, .. }) => {
                for target in targets {
                    if let Some(attr) = self_attribute(target) {
                        values.entry(attr).or_default().push(value);
                    }
                }
            }
            Stmt::AnnAssign(ast::StmtAnnAssign {
                target,
                value: Some(value),
                ..
            }) => {
                if let Some(attr) = self_attribute(target) {
                    values.entry(attr).or_default().push(value);
                }
            }
            Stmt::If(ast::StmtIf {
                body,
                elif_else_clauses,
                ..
            }) => {
                prescan_self_values(body, values);
                for clause in elif_else_clauses {
                    prescan_self_values(&clause.body, values);
                }
            }
            Stmt::Try(ast::StmtTry {
                body,
                handlers,
                orelse,
                finalbody,
                ..
            }) => {
                prescan_self_values(body, values);
                for handler in handlers {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    prescan_self_values(&handler.body, values);
                }
                prescan_self_values(orelse, values);
                prescan_self_values(finalbody, values);
            }
            Stmt::With(ast::StmtWith { body, .. })
            | Stmt::For(ast::StmtFor { body, .. })
            | Stmt::While(ast::StmtWhile { body, .. }) => prescan_self_values(body, values),
            _ => {}
        }
    }
}

/// `x` for `self.x`.
pub(crate) fn self_attribute(expr: &Expr) -> Option<&str> {
    let Expr::Attribute(attribute) = expr else {
        return None;
    };
    match attribute.value.as_ref() {
        Expr::Name(name) if name.id.as_str() == "self" => Some(attribute.attr.as_str()),
        _ => None,
    }
}

/// A name or attribute whose last part says it is a lock: `_lock`,
/// `self.state_lock`, `mutex`, `self._sem`.
fn looks_like_lock(expr: &Expr) -> bool {
    let last = match expr {
        Expr::Name(name) => name.id.as_str(),
        Expr::Attribute(attribute) => attribute.attr.as_str(),
        _ => return false,
    };
    let last = last.to_ascii_lowercase();
    last.ends_with("lock")
        || last.ends_with("mutex")
        || last.ends_with("_sem")
        || last.ends_with("semaphore")
}

/// The source text of `node`, used as a lock's identity.
pub(crate) fn source_text<'s>(source: &'s str, node: &impl Ranged) -> &'s str {
    let range = node.range();
    source
        .get(range.start().to_usize()..range.end().to_usize())
        .unwrap_or_default()
}
