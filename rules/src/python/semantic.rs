//! What the Python checker knows at each point of its walk.
//!
//! Built incrementally by the one walk in [`checker`](super::checker), plus a
//! shallow pre-pass over module-level and class-level statements so that
//! names bound later in the file (a lock created in `__init__` below the
//! method that uses it, a module-level import after a function) are known
//! wherever they are used.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

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
    /// False for a try-lock (`acquire(False)`, `acquire(blocking=False)`,
    /// `acquire(timeout=0)`): the code takes it only if it is free, often
    /// as a capacity permit (`if not sem.acquire(False): raise Busy`).
    pub waits: bool,
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
    /// A lambda or nested function that a method of its class runs before
    /// returning, under the locks its definer holds: part of the enclosing
    /// function's run, not code that runs later.
    pub runs_inline: bool,
    /// Names declared `global` in this function.
    pub globals: Vec<&'a str>,
    /// Names declared `nonlocal` in this function.
    pub nonlocals: Vec<&'a str>,
    /// Names this function binds anywhere in its body (parameters,
    /// assignments, loop and `with` targets, imports, nested defs), minus
    /// the `global`/`nonlocal` ones: Python decides a name's scope per
    /// function, so a use before the assignment is local too.
    pub locals: HashSet<&'a str>,
}

impl FunctionFrame<'_> {
    /// True when the name says the function runs once, while the program,
    /// a class or a new object's parts are set up: `__new__`,
    /// `__post_init__`, `__init_subclass__`, `__set_name__`, and `init`,
    /// `init_*`, `setup*`, `set_up*`, `initialize*`, `configure*`,
    /// `register*` (also with leading underscores), and the loaders of
    /// plugins, hooks and extensions (`load_plugins`, `_load_single_plugin`,
    /// `discover_extensions`: bounded by what is installed). `__init__` is
    /// not among them: it runs once per object, as often as objects are
    /// made.
    pub fn runs_once_at_setup(&self) -> bool {
        let name = self.name;
        if name.ends_with("__") {
            return matches!(
                name,
                "__new__" | "__post_init__" | "__init_subclass__" | "__set_name__"
            );
        }
        let bare = name.trim_start_matches('_');
        let loads_installed_code = ["load", "discover"]
            .iter()
            .any(|verb| bare.starts_with(verb))
            && ["plugin", "hook", "extension"]
                .iter()
                .any(|part| bare.contains(part));
        bare == "init"
            || loads_installed_code
            || [
                "init_",
                "setup",
                "set_up",
                "initialize",
                "configure",
                "register",
            ]
            .iter()
            .any(|prefix| bare.starts_with(prefix))
    }

    pub fn declares_global(&self, name: &str) -> bool {
        self.globals.contains(&name)
    }

    pub fn declares_nonlocal(&self, name: &str) -> bool {
        self.nonlocals.contains(&name)
    }

    /// True when `name` is a local variable of this function.
    pub fn binds_locally(&self, name: &str) -> bool {
        self.locals.contains(name)
    }

    /// The name of the first positional parameter: `self`, `cls`.
    pub fn first_parameter(&self) -> Option<&str> {
        let parameters = &self.def?.parameters;
        parameters
            .posonlyargs
            .iter()
            .chain(&parameters.args)
            .next()
            .map(|parameter| parameter.parameter.name.as_str())
    }

    /// The decorators of this function, empty for a lambda.
    pub fn decorators(&self) -> &[ast::Decorator] {
        self.def.map_or(&[], |def| &def.decorator_list)
    }

    /// True when `name` is a parameter of this function that carries a
    /// function to hook in: `func`, `fn`, `hook`, `hook_func`, `var_fun`.
    /// A container that collects such parameters is a table of hooks,
    /// filled by the code that registers them while the program is set up,
    /// not by traffic. Listeners and callbacks (`callback`, `listener`,
    /// `handler`) are not counted: event systems subscribe them at run
    /// time, per connection or per request.
    pub fn takes_hook_function(&self, name: &str) -> bool {
        self.has_parameter(name) && names_a_hook_function(name)
    }

    /// True when `added` is such a parameter ([`Self::takes_hook_function`])
    /// or a tuple that holds one (`(predicate, func)`, `(priority, hook)`).
    pub fn carries_hook_function(&self, added: &Expr) -> bool {
        match added {
            Expr::Name(name) => self.takes_hook_function(name.id.as_str()),
            Expr::Tuple(record) => record
                .elts
                .iter()
                .any(|element| self.carries_hook_function(element)),
            _ => false,
        }
    }

    /// True when `name` is one of this function's parameters (any kind:
    /// positional, keyword-only, `*args`, `**kwargs`).
    pub fn has_parameter(&self, name: &str) -> bool {
        self.def.is_some_and(|def| {
            def.parameters
                .iter()
                .any(|parameter| parameter.name().as_str() == name)
        })
    }
}

/// Words that name a function to hook in, whole or as the last
/// `_`-joined part (`hook_func`, `var_fun`, `pre_hook`).
const HOOK_FUNCTION_WORDS: &[&str] = &["fn", "func", "fun", "function", "hook", "callable"];

fn names_a_hook_function(name: &str) -> bool {
    let name = name.trim_start_matches('_').to_ascii_lowercase();
    let last = name
        .rsplit_once('_')
        .map_or(name.as_str(), |(_, last)| last);
    HOOK_FUNCTION_WORDS.contains(&last)
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
    /// Class name -> its class-level and instance attributes.
    pub(crate) class_attributes: HashMap<&'a str, ClassAttributes<'a>>,
    /// Module-level functions that only take or only give back a module
    /// lock (`def _acquireLock(): if _lock: _lock.acquire()`): a call to one
    /// acquires or releases that lock.
    pub(crate) lock_helpers: HashMap<&'a str, LockHelper>,
    /// Module-level context managers that hold a module thread lock around
    /// their `yield` (`@contextmanager def _locked(): with FD_LOCK: yield`):
    /// `with _locked():` holds a lock.
    pub(crate) locking_context_managers: HashSet<&'a str>,
    /// The module imports threads or a server framework (see
    /// [`CONCURRENT_MODULES`]): its globals are touched by several threads.
    pub(crate) imports_concurrency: bool,
    /// The module imports a green-thread library (`gevent`, `eventlet`:
    /// its "threads" switch only at I/O, so a statement without I/O runs
    /// whole; see [`GREEN_THREAD_MODULES`]).
    pub(crate) imports_green_threads: bool,
    /// Names called in a module-level assignment: `noValue = NoValue()`
    /// makes `NoValue` instantiated at import.
    pub(crate) instantiated_at_import: HashSet<&'a str>,
    /// Classes of this module derived from `threading.local`: each thread
    /// sees its own attributes.
    pub(crate) thread_local_classes: HashSet<&'a str>,
}

/// Modules whose import says "this code runs on several threads at once":
/// thread APIs, and servers that dispatch requests to a thread pool.
const CONCURRENT_MODULES: &[&str] = &[
    "threading",
    "_thread",
    "concurrent",
    "multiprocessing",
    "queue",
    "socketserver",
    "flask",
    "django",
    "fastapi",
    "starlette",
    "werkzeug",
    "gunicorn",
    "celery",
    "grpc",
    "falcon",
    "bottle",
    "pyramid",
    "cherrypy",
    "waitress",
];

/// True when `module` (dotted) is or is inside one of [`CONCURRENT_MODULES`].
fn is_concurrent_module(module: &str) -> bool {
    let head = module.split('.').next().unwrap_or(module);
    CONCURRENT_MODULES.contains(&head)
}

/// Green-thread libraries: cooperative scheduling that switches only at
/// I/O, so one thread at a time runs this code. (Test modules, the other
/// such code, are told by `PyContext::in_test_file`.)
const GREEN_THREAD_MODULES: &[&str] = &["gevent", "eventlet", "greenlet"];

/// True when `module` (dotted) is or is inside one of
/// [`GREEN_THREAD_MODULES`].
fn is_green_thread_module(module: &str) -> bool {
    let head = module.split('.').next().unwrap_or(module);
    GREEN_THREAD_MODULES.contains(&head)
}

/// What calling a lock helper function does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LockHelper {
    /// Acquires the lock with this key and returns holding it.
    Acquire(String),
    /// Releases the lock with this key.
    Release(String),
}

/// The attributes a class defines, found by the pre-pass.
#[derive(Default, Debug)]
pub struct ClassAttributes<'a> {
    /// `x = value` in the class body: one object shared by every instance
    /// (and every thread using any of them). First assignment wins.
    pub class_level: HashMap<&'a str, &'a Expr>,
    /// `self.x = value` in a method, first assignment wins.
    pub instance: HashMap<&'a str, InstanceAttribute<'a>>,
    /// Every value assigned to each attribute, class-level and `self.x`
    /// alike, in source order: what the attribute may hold at any time.
    pub assigned: HashMap<&'a str, Vec<&'a Expr>>,
}

/// One `self.x = value` attribute of a class.
#[derive(Clone, Copy, Debug)]
pub struct InstanceAttribute<'a> {
    pub value: &'a Expr,
    /// The method that first assigns it: `__init__` for most.
    pub method: &'a str,
}

impl<'a> ClassAttributes<'a> {
    /// Records a class-level `name = value`.
    fn record_class_level(&mut self, name: &'a str, value: &'a Expr) {
        self.class_level.entry(name).or_insert(value);
        self.assigned.entry(name).or_default().push(value);
    }

    /// The value a class-level or instance attribute was first bound to.
    pub fn value_of(&self, attribute: &str) -> Option<&'a Expr> {
        self.class_level
            .get(attribute)
            .copied()
            .or_else(|| self.instance.get(attribute).map(|attr| attr.value))
    }
}

/// Collects the names a function body binds and declares, without entering
/// nested functions, classes, lambdas or comprehensions (their own scopes).
#[derive(Default)]
pub(crate) struct FunctionBindings<'a> {
    pub(crate) locals: HashSet<&'a str>,
    pub(crate) globals: Vec<&'a str>,
    pub(crate) nonlocals: Vec<&'a str>,
}

impl<'a> FunctionBindings<'a> {
    pub(crate) fn of(parameters: Option<&'a ast::Parameters>, body: &'a [Stmt]) -> Self {
        let mut bindings = FunctionBindings::default();
        if let Some(parameters) = parameters {
            for parameter in parameters.iter() {
                bindings.locals.insert(parameter.name().as_str());
            }
        }
        bindings.scan_body(body);
        for name in bindings.globals.iter().chain(&bindings.nonlocals) {
            bindings.locals.remove(name);
        }
        bindings
    }

    fn scan_body(&mut self, body: &'a [Stmt]) {
        for stmt in body {
            self.scan_stmt(stmt);
        }
    }

    fn scan_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Global(global) => self.globals.extend(global.names.iter().map(|n| n.as_str())),
            Stmt::Nonlocal(nonlocal) => self
                .nonlocals
                .extend(nonlocal.names.iter().map(|n| n.as_str())),
            Stmt::FunctionDef(def) => {
                self.locals.insert(def.name.as_str());
            }
            Stmt::ClassDef(class) => {
                self.locals.insert(class.name.as_str());
            }
            Stmt::Import(ast::StmtImport { names, .. }) => {
                for alias in names {
                    let bound = match &alias.asname {
                        Some(asname) => asname.as_str(),
                        None => alias.name.split('.').next().unwrap_or_default(),
                    };
                    self.locals.insert(bound);
                }
            }
            Stmt::ImportFrom(ast::StmtImportFrom { names, .. }) => {
                for alias in names {
                    self.locals
                        .insert(alias.asname.as_ref().unwrap_or(&alias.name).as_str());
                }
            }
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    self.bind_target(target);
                }
            }
            Stmt::AugAssign(assign) => self.bind_target(&assign.target),
            Stmt::AnnAssign(assign) => self.bind_target(&assign.target),
            Stmt::Delete(delete) => {
                for target in &delete.targets {
                    self.bind_target(target);
                }
            }
            Stmt::For(for_stmt) => {
                self.bind_target(&for_stmt.target);
                self.scan_body(&for_stmt.body);
                self.scan_body(&for_stmt.orelse);
            }
            Stmt::While(while_stmt) => {
                self.scan_body(&while_stmt.body);
                self.scan_body(&while_stmt.orelse);
            }
            Stmt::If(if_stmt) => {
                self.scan_body(&if_stmt.body);
                for clause in &if_stmt.elif_else_clauses {
                    self.scan_body(&clause.body);
                }
            }
            Stmt::With(with) => {
                for item in &with.items {
                    if let Some(vars) = &item.optional_vars {
                        self.bind_target(vars);
                    }
                }
                self.scan_body(&with.body);
            }
            Stmt::Try(try_stmt) => {
                self.scan_body(&try_stmt.body);
                for handler in &try_stmt.handlers {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    if let Some(name) = &handler.name {
                        self.locals.insert(name.as_str());
                    }
                    self.scan_body(&handler.body);
                }
                self.scan_body(&try_stmt.orelse);
                self.scan_body(&try_stmt.finalbody);
            }
            Stmt::Match(match_stmt) => {
                for case in &match_stmt.cases {
                    self.scan_body(&case.body);
                }
            }
            _ => {}
        }
    }

    /// Binds the names of an assignment target: `x`, `a, (b, *c)`; not
    /// `x.attr` or `x[k]`, which bind nothing.
    fn bind_target(&mut self, target: &'a Expr) {
        match target {
            Expr::Name(name) => {
                self.locals.insert(name.id.as_str());
            }
            Expr::Tuple(tuple) => tuple.elts.iter().for_each(|elt| self.bind_target(elt)),
            Expr::List(list) => list.elts.iter().for_each(|elt| self.bind_target(elt)),
            Expr::Starred(starred) => self.bind_target(&starred.value),
            _ => {}
        }
    }
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

    /// Records `Name(...)` assigned at module level (`x = Name()`, `x: T =
    /// Name()`) as instantiated at import.
    fn note_instantiation(&mut self, value: &'a Expr) {
        if let Expr::Call(call) = value {
            if let Expr::Name(callee) = call.func.as_ref() {
                self.instantiated_at_import.insert(callee.id.as_str());
            }
        }
    }

    /// Binds module-level imports, names and locks, and every class's lock
    /// attributes, before the walk starts.
    fn prescan_module(&mut self, body: &'a [Stmt]) {
        for stmt in body {
            match stmt {
                Stmt::Import(ast::StmtImport { names, .. }) => {
                    self.imports_concurrency |= names
                        .iter()
                        .any(|alias| is_concurrent_module(alias.name.as_str()));
                    self.imports_green_threads |= names
                        .iter()
                        .any(|alias| is_green_thread_module(alias.name.as_str()));
                    self.bind_import(stmt);
                }
                Stmt::ImportFrom(ast::StmtImportFrom { module, level, .. }) => {
                    let absolute = module.as_ref().filter(|_| *level == 0);
                    self.imports_concurrency |=
                        absolute.is_some_and(|module| is_concurrent_module(module.as_str()));
                    self.imports_green_threads |=
                        absolute.is_some_and(|module| is_green_thread_module(module.as_str()));
                    self.bind_import(stmt);
                }
                Stmt::Assign(ast::StmtAssign { targets, value, .. }) => {
                    for target in targets {
                        if let Expr::Name(name) = target {
                            self.module_values.entry(name.id.as_str()).or_insert(value);
                        }
                    }
                    self.note_instantiation(value);
                }
                Stmt::AnnAssign(ast::StmtAnnAssign {
                    target,
                    value: Some(value),
                    ..
                }) => {
                    if let Expr::Name(name) = target.as_ref() {
                        self.module_values.entry(name.id.as_str()).or_insert(value);
                    }
                    self.note_instantiation(value);
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
                Stmt::ClassDef(class) => {
                    if self.derives_from_thread_local(class) {
                        self.thread_local_classes.insert(class.name.as_str());
                    }
                    self.prescan_class(class);
                }
                _ => {}
            }
        }
        for stmt in body {
            if let Stmt::FunctionDef(def) = stmt {
                if let Some(helper) = self.lock_helper(def) {
                    self.lock_helpers.insert(def.name.as_str(), helper);
                }
                if self.yields_under_module_lock(def) {
                    self.locking_context_managers.insert(def.name.as_str());
                }
            }
        }
    }

    /// A module function whose whole job is to acquire or to release one
    /// module lock: its statements (a docstring aside) are `lock.acquire()`
    /// or `lock.release()`, possibly under `if lock:`.
    fn lock_helper(&self, def: &'a ast::StmtFunctionDef) -> Option<LockHelper> {
        if !def.parameters.is_empty() {
            return None;
        }
        let mut body = body_after_docstring(&def.body);
        if let [Stmt::If(ast::StmtIf {
            body: inner,
            elif_else_clauses,
            ..
        })] = body
        {
            if elif_else_clauses.is_empty() {
                body = inner;
            }
        }
        let (Expr::Name(lock), method) = lone_method_call(body)? else {
            return None;
        };
        if self.scopes[0].locks.get(lock.id.as_str()) != Some(&LockKind::Threading) {
            return None;
        }
        match method {
            "acquire" => Some(LockHelper::Acquire(lock.id.to_string())),
            "release" => Some(LockHelper::Release(lock.id.to_string())),
            _ => None,
        }
    }

    /// A `@contextmanager` function whose body holds a module thread lock
    /// around its `yield`: `with FD_LOCK: _drain(); yield`.
    fn yields_under_module_lock(&self, def: &'a ast::StmtFunctionDef) -> bool {
        let is_context_manager = def
            .decorator_list
            .iter()
            .any(|decorator| last_name(&decorator.expression) == Some("contextmanager"));
        is_context_manager
            && def.body.iter().any(|stmt| {
                let Stmt::With(with) = stmt else {
                    return false;
                };
                let holds_module_lock = with.items.iter().any(|item| {
                    matches!(&item.context_expr, Expr::Name(lock)
                        if self.scopes[0].locks.get(lock.id.as_str()) == Some(&LockKind::Threading))
                });
                holds_module_lock
                    && with.body.iter().any(|inner| {
                        matches!(inner, Stmt::Expr(ast::StmtExpr { value, .. }) if value.is_yield_expr())
                    })
            })
    }

    /// Every value assigned to the attribute `attr` of the innermost class
    /// being walked (`self.x = ..` in its methods, `x = ..` in its body).
    pub(crate) fn attribute_values(&self, attr: &str) -> &[&'a Expr] {
        self.classes
            .last()
            .and_then(|(class, _)| self.class_attributes.get(class.name.as_str()))
            .and_then(|attributes| attributes.assigned.get(attr))
            .map_or(&[], Vec::as_slice)
    }

    /// True for `class Local(threading.local)`, also through an alias of
    /// `threading.local`, a thread-local class defined earlier, or a base
    /// re-exported by another module under a thread-local name (`from
    /// .utils import localbase`, `ThreadLocal`).
    fn derives_from_thread_local(&self, class: &ast::StmtClassDef) -> bool {
        class.bases().iter().any(|base| {
            matches!(base, Expr::Name(name) if self.thread_local_classes.contains(name.id.as_str()))
                || self.resolve(base).is_some_and(|name| {
                    let last = name
                        .rsplit('.')
                        .next()
                        .unwrap_or(&name)
                        .to_ascii_lowercase();
                    name == "_threading_local.local"
                        || last == "localbase"
                        || (last.ends_with("local") && !name.starts_with("builtins."))
                })
        })
    }

    fn prescan_class(&mut self, class: &'a ast::StmtClassDef) {
        let mut locks = HashMap::default();
        let mut attributes = ClassAttributes::default();
        for stmt in &class.body {
            match stmt {
                Stmt::Assign(ast::StmtAssign { targets, value, .. }) => {
                    let kind = self.lock_constructor_kind(value);
                    for target in targets {
                        if let Expr::Name(name) = target {
                            if let Some(kind) = kind {
                                locks.insert(name.id.to_string(), kind);
                            }
                            attributes.record_class_level(name.id.as_str(), value);
                        }
                    }
                }
                Stmt::AnnAssign(ast::StmtAnnAssign {
                    target,
                    value: Some(value),
                    ..
                }) => {
                    if let Expr::Name(name) = target.as_ref() {
                        if let Some(kind) = self.lock_constructor_kind(value) {
                            locks.insert(name.id.to_string(), kind);
                        }
                        attributes.record_class_level(name.id.as_str(), value);
                    }
                }
                Stmt::FunctionDef(def) => {
                    let mut method = MethodPrescan {
                        method: def.name.as_str(),
                        locks: &mut locks,
                        attributes: &mut attributes,
                    };
                    self.prescan_self_attributes(&def.body, &mut method);
                }
                // A class nested in this one (`class _WriterQueue(Queue):`
                // inside the client) binds its own locks.
                Stmt::ClassDef(nested) => self.prescan_class(nested),
                _ => {}
            }
        }
        self.class_locks.insert(class.name.as_str(), locks);
        self.class_attributes
            .insert(class.name.as_str(), attributes);
    }

    /// Finds `self.x = value` (and so `self.x = threading.Lock()`) anywhere
    /// in a method's statements, outside nested functions and classes.
    fn prescan_self_attributes(&self, body: &'a [Stmt], method: &mut MethodPrescan<'a, '_>) {
        for stmt in body {
            match stmt {
                Stmt::Assign(ast::StmtAssign { targets, value, .. }) => {
                    for target in targets {
                        method.record(self, target, value);
                    }
                }
                Stmt::AnnAssign(ast::StmtAnnAssign {
                    target,
                    value: Some(value),
                    ..
                }) => method.record(self, target, value),
                Stmt::If(ast::StmtIf {
                    body,
                    elif_else_clauses,
                    ..
                }) => {
                    self.prescan_self_attributes(body, method);
                    for clause in elif_else_clauses {
                        self.prescan_self_attributes(&clause.body, method);
                    }
                }
                Stmt::Try(ast::StmtTry {
                    body,
                    handlers,
                    orelse,
                    finalbody,
                    ..
                }) => {
                    self.prescan_self_attributes(body, method);
                    for handler in handlers {
                        let ast::ExceptHandler::ExceptHandler(handler) = handler;
                        self.prescan_self_attributes(&handler.body, method);
                    }
                    self.prescan_self_attributes(orelse, method);
                    self.prescan_self_attributes(finalbody, method);
                }
                Stmt::With(ast::StmtWith { body, .. })
                | Stmt::For(ast::StmtFor { body, .. })
                | Stmt::While(ast::StmtWhile { body, .. }) => {
                    self.prescan_self_attributes(body, method);
                }
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
        } else if name.rsplit('.').next() == Some("Condition") {
            // `Condition(mutex)` of another library (`aiologic`, `gevent`):
            // entering the condition takes the lock it wraps.
            call.arguments
                .args
                .first()
                .and_then(|lock| self.lock_kind(lock))
        } else {
            None
        }
    }

    /// What kind of lock `expr` (a `with` item, an `.acquire()` receiver)
    /// is, or `None` when it is not a lock at all.
    /// The class of this module that module-level `name` is an instance of
    /// (`_STATE = _State()`, `_STATE: Final[_State] = _State()`).
    pub(crate) fn module_instance_class(&self, name: &str) -> Option<&'a str> {
        let Expr::Call(call) = self.module_values.get(name)? else {
            return None;
        };
        let Expr::Name(class) = call.func.as_ref() else {
            return None;
        };
        self.class_attributes
            .get_key_value(class.id.as_str())
            .map(|(class, _)| *class)
    }

    /// The kind of the lock that classes of this module bind to attribute
    /// `attr`, when they agree on one.
    fn lock_attribute_of_any_class(&self, attr: &str) -> Option<LockKind> {
        let mut kinds = self
            .class_locks
            .values()
            .filter_map(|locks| locks.get(attr).copied());
        let first = kinds.next()?;
        kinds.all(|kind| kind == first).then_some(first)
    }

    pub(crate) fn lock_kind(&self, expr: &Expr) -> Option<LockKind> {
        if let Some(kind) = self.lock_constructor_kind(expr) {
            return Some(kind);
        }
        if is_get_lock_call(expr) {
            return Some(LockKind::Threading);
        }
        if let Expr::Call(call) = expr {
            if let Expr::Name(helper) = call.func.as_ref() {
                if self.locking_context_managers.contains(helper.id.as_str()) {
                    return Some(LockKind::Threading);
                }
            }
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
                        other if self.class_locks.contains_key(other) => Some(other),
                        // `_STATE.gate` after `_STATE = _State()`: the lock
                        // attribute of a module-level instance.
                        other => self.module_instance_class(other),
                    };
                    match class {
                        Some(class) => self
                            .class_locks
                            .get(class)
                            .and_then(|locks| locks.get(attribute.attr.as_str()).copied()),
                        // `router.condition` on a local or parameter: a
                        // lock attribute of a class of this module.
                        None => self.lock_attribute_of_any_class(attribute.attr.as_str()),
                    }
                }
                _ => None,
            },
            _ => None,
        };
        known.or_else(|| looks_like_lock(expr).then_some(LockKind::Unknown))
    }
}

/// What the class pre-pass collects while reading one method.
struct MethodPrescan<'a, 'p> {
    method: &'a str,
    locks: &'p mut HashMap<String, LockKind>,
    attributes: &'p mut ClassAttributes<'a>,
}

impl<'a> MethodPrescan<'a, '_> {
    fn record(&mut self, semantic: &Semantic<'a>, target: &'a Expr, value: &'a Expr) {
        let Some(attr) = self_attribute(target) else {
            return;
        };
        if let Some(kind) = semantic.lock_constructor_kind(value) {
            self.locks.insert(attr.to_string(), kind);
        }
        self.attributes
            .instance
            .entry(attr)
            .or_insert(InstanceAttribute {
                value,
                method: self.method,
            });
        self.attributes
            .assigned
            .entry(attr)
            .or_default()
            .push(value);
    }
}

/// The last part of a name or an attribute: `lock` for `lock`,
/// `ThreadPoolExecutor` for `futures.ThreadPoolExecutor`, `user` for
/// `self.user`.
pub(crate) fn last_name(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Name(name) => Some(name.id.as_str()),
        Expr::Attribute(attribute) => Some(attribute.attr.as_str()),
        _ => None,
    }
}

/// The definitions of method `name` in `class`, in source order. Python
/// keeps the last one; `@overload` stubs and platform variants come first.
pub(crate) fn class_methods<'a, 'n>(
    class: &'a ast::StmtClassDef,
    name: &'n str,
) -> impl Iterator<Item = &'a ast::StmtFunctionDef> + use<'a, 'n> {
    class.body.iter().filter_map(move |stmt| match stmt {
        Stmt::FunctionDef(def) if def.name.as_str() == name => Some(def),
        _ => None,
    })
}

/// A function's statements after its docstring, if it has one.
pub(crate) fn body_after_docstring(body: &[Stmt]) -> &[Stmt] {
    match body {
        [Stmt::Expr(docstring), rest @ ..] if docstring.value.is_string_literal_expr() => rest,
        body => body,
    }
}

/// The receiver and method of `body` when `body` is one method call
/// statement and nothing else: `_lock.acquire()`, `self._lock.release()`.
pub(crate) fn lone_method_call(body: &[Stmt]) -> Option<(&Expr, &str)> {
    let [Stmt::Expr(ast::StmtExpr { value, .. })] = body else {
        return None;
    };
    let Expr::Call(call) = value.as_ref() else {
        return None;
    };
    let Expr::Attribute(method) = call.func.as_ref() else {
        return None;
    };
    Some((method.value.as_ref(), method.attr.as_str()))
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

/// `counter.get_lock()`: the lock of a `multiprocessing.Value` or `Array`
/// (`with counter.get_lock(): counter.value += 1`), an `RLock` that
/// excludes other threads as well as other processes.
fn is_get_lock_call(expr: &Expr) -> bool {
    matches!(expr, Expr::Call(call)
        if call.arguments.is_empty()
            && matches!(call.func.as_ref(), Expr::Attribute(method) if method.attr.as_str() == "get_lock"))
}

/// A name or attribute whose last part says it is a lock: `_lock`,
/// `self.state_lock`, `mutex`, `self._sem`, or a condition variable over
/// one: `self._cond`, `self._notification_condition`.
fn looks_like_lock(expr: &Expr) -> bool {
    let Some(last) = last_name(expr) else {
        return false;
    };
    let last = last.to_ascii_lowercase();
    last.ends_with("lock")
        || last.ends_with("mutex")
        || last.ends_with("_sem")
        || last.ends_with("semaphore")
        // A condition variable holds its lock inside `with`.
        || last.ends_with("condition")
        || last.trim_start_matches('_') == "cond"
        || last.ends_with("_cond")
}

/// The source text of `node`, used as a lock's identity.
pub(crate) fn source_text<'s>(source: &'s str, node: &impl Ranged) -> &'s str {
    let range = node.range();
    source
        .get(range.start().to_usize()..range.end().to_usize())
        .unwrap_or_default()
}
