//! The one walk over a Python module. It keeps the [semantic
//! model](super::semantic) up to date and hands every statement and
//! expression to the enabled rules' hooks, so adding a rule never adds a walk.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::function_roles::FunctionRoles;
use super::inline_callbacks::{helpers_called_in_place, inline_callbacks};
use super::lock_handoff::{lock_acquired_for_caller, locks_released_for_caller};
use super::semantic::{
    class_methods, source_text, ClassAttributes, FunctionBindings, FunctionFrame, HeldLock,
    LockHelper, LockKind, QualifiedName, Scope, Semantic,
};
use super::test_module::is_test_module;
use crate::api::{Diagnostic, FilePlace, RuleEntry, Settings};
use crate::blk::CallFacts;

/// A rule's Python check. Every hook has a no-op default: a rule implements
/// the ones for the nodes it cares about.
///
/// Hooks run pre-order: `on_stmt` for a `with` statement sees the locks held
/// *before* the statement; its body's statements see them acquired.
pub trait PythonRule: Send {
    fn on_stmt(&mut self, _cx: &PyContext<'_>, _stmt: &Stmt, _out: &mut Vec<Diagnostic>) {}

    fn on_expr(&mut self, _cx: &PyContext<'_>, _expr: &Expr, _out: &mut Vec<Diagnostic>) {}

    /// After a function's (or lambda's) body; [`PyContext::function`] is
    /// still that function.
    fn on_function_exit(&mut self, _cx: &PyContext<'_>, _out: &mut Vec<Diagnostic>) {}

    /// After a class body; [`PyContext::class`] is still that class.
    fn on_class_exit(&mut self, _cx: &PyContext<'_>, _out: &mut Vec<Diagnostic>) {}

    /// After the whole module: for rules that compare places across it.
    fn on_module_exit(&mut self, _cx: &PyContext<'_>, _out: &mut Vec<Diagnostic>) {}

    /// True when the rule asks [`PyContext::function_roles`]: the walk
    /// gathers them only for such rules.
    fn uses_function_roles(&self) -> bool {
        false
    }

    /// After the walk: what the rule gathered for its project-wide half
    /// (BLK006's calls), if it has one.
    fn take_facts(&mut self) -> Option<CallFacts> {
        None
    }
}

/// What a rule can ask about the point of the walk it is called at.
pub struct PyContext<'a> {
    source: &'a str,
    /// The module's top-level statements, for the rare question about the
    /// whole module that the walk so far cannot answer.
    module_body: &'a [Stmt],
    settings: &'a Settings,
    /// Test code by its place or its content (see [`PyContext::in_test_file`]).
    test_file: bool,
    semantic: Semantic<'a>,
    /// Where the module's functions run, gathered as the walk goes; whole
    /// at [`PythonRule::on_module_exit`].
    roles: FunctionRoles<'a>,
}

impl<'a> PyContext<'a> {
    pub fn source(&self) -> &'a str {
        self.source
    }

    pub fn settings(&self) -> &'a Settings {
        self.settings
    }

    /// True when the whole file is test code: test support by its place in
    /// the project (see [`FilePlace::of`]) or a test module by its content
    /// (it imports `pytest` or `unittest`, or defines a module-level
    /// `test_*` function). It runs for a test run, not for a service's life.
    pub fn in_test_file(&self) -> bool {
        self.test_file
    }

    /// The source text of a node.
    pub fn text(&self, node: &impl Ranged) -> &'a str {
        source_text(self.source, node)
    }

    /// The qualified name of a name or attribute chain, through imports and
    /// aliases: `nap` -> `time.sleep` after `from time import sleep as nap`.
    pub fn resolve(&self, expr: &Expr) -> Option<QualifiedName> {
        self.semantic.resolve(expr)
    }

    /// True when the innermost enclosing function is `async def`. Code in a
    /// nested sync `def` or `lambda` is not async context: it may run on a
    /// thread.
    pub fn in_async(&self) -> bool {
        self.semantic
            .functions
            .last()
            .is_some_and(|frame| frame.is_async)
    }

    /// True when the innermost named function says in its text (a comment
    /// or the docstring) that it is not thread-safe: "This is not
    /// thread-safe", "not particularly threadsafe", "It does not use any
    /// thread safety locks". Its author has looked
    /// at the race and documented it; a finding would repeat them.
    pub fn function_disclaims_thread_safety(&self) -> bool {
        self.semantic
            .functions
            .iter()
            .rev()
            .find_map(|frame| frame.def)
            .is_some_and(|def| disclaims_thread_safety(self.text(def)))
    }

    /// True when the comment block right above the module-level definition
    /// of `name` says its updates are not thread-safe or race benignly
    /// ("mutated without a lock ... The race is benign"): reviewed, like a
    /// function that disclaims thread safety.
    pub fn global_disclaims_thread_safety(&self, name: &str) -> bool {
        let Some(definition) = self.module_body.iter().find(|stmt| match stmt {
            Stmt::Assign(assign) => assign
                .targets
                .iter()
                .any(|target| matches!(target, Expr::Name(target) if target.id.as_str() == name)),
            Stmt::AnnAssign(assign) => {
                matches!(assign.target.as_ref(), Expr::Name(target) if target.id.as_str() == name)
            }
            _ => false,
        }) else {
            return false;
        };
        // The lines above the definition, up to a blank line: its comment
        // block and the definitions that share it.
        let above = &self.source[..definition.start().to_usize()];
        let block: Vec<&str> = above
            .lines()
            .rev()
            .skip(1)
            .take_while(|line| !line.trim().is_empty())
            .collect();
        let comments: String = block
            .iter()
            .rev()
            .filter_map(|line| line.trim_start().strip_prefix('#'))
            .collect::<Vec<_>>()
            .join(" ");
        disclaims_thread_safety(&comments)
    }

    /// True when an `await`, `async with` or `async for` of the innermost
    /// named function lies within `range` (a check and the write that
    /// acts on it): only there can another coroutine of the same event
    /// loop run in between.
    pub fn awaits_within(&self, range: TextRange) -> bool {
        struct Awaits {
            range: TextRange,
            found: bool,
        }
        impl<'v> Visitor<'v> for Awaits {
            fn visit_stmt(&mut self, stmt: &'v Stmt) {
                let outside = stmt.end() <= self.range.start() || stmt.start() >= self.range.end();
                if self.found || outside {
                    return;
                }
                match stmt {
                    Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                    Stmt::With(ast::StmtWith { is_async: true, .. })
                    | Stmt::For(ast::StmtFor { is_async: true, .. })
                        if self.range.contains(stmt.start()) =>
                    {
                        self.found = true;
                    }
                    other => visitor::walk_stmt(self, other),
                }
            }
            fn visit_expr(&mut self, expr: &'v Expr) {
                if matches!(expr, Expr::Await(_)) && self.range.contains(expr.start()) {
                    self.found = true;
                } else if !self.found {
                    visitor::walk_expr(self, expr);
                }
            }
        }
        let Some(def) = self.functions().iter().rev().find_map(|frame| frame.def) else {
            return false;
        };
        let mut awaits = Awaits {
            range,
            found: false,
        };
        awaits.visit_body(&def.body);
        awaits.found
    }

    /// The innermost function or lambda being walked.
    pub fn function(&self) -> Option<&FunctionFrame<'a>> {
        self.semantic.functions.last()
    }

    /// The function whose run the walk is part of: the innermost one, or,
    /// inside lambdas and nested functions that run inline (see
    /// [`FunctionFrame::runs_inline`]), the function that defines them.
    pub fn running_function(&self) -> Option<&FunctionFrame<'a>> {
        self.semantic
            .functions
            .iter()
            .rev()
            .find(|frame| !frame.runs_inline)
    }

    /// All enclosing functions, outermost first.
    pub fn functions(&self) -> &[FunctionFrame<'a>] {
        &self.semantic.functions
    }

    /// The innermost class whose body (or a method of which) is being walked.
    pub fn class(&self) -> Option<&'a ast::StmtClassDef> {
        self.semantic.classes.last().map(|(class, _)| *class)
    }

    /// Locks held at this point, in acquisition order. Locks held by an
    /// enclosing function are not listed inside a nested function.
    pub fn held_locks(&self) -> &[HeldLock] {
        &self.semantic.held
    }

    /// True when a lock that protects against threads (or an unknown lock)
    /// is held.
    pub fn holds_thread_lock(&self) -> bool {
        self.semantic
            .held
            .iter()
            .any(|lock| lock.kind != LockKind::Async)
    }

    /// The lock kind of an expression, if it is (or looks like) a lock.
    pub fn lock_kind(&self, expr: &Expr) -> Option<LockKind> {
        self.semantic.lock_kind(expr)
    }

    /// The expression last assigned to the local `name` where it is used
    /// (`s = requests.Session()`, `with Popen(..) as proc:`), or the first
    /// module-level assignment for a global. `None` for parameters, imports,
    /// loop targets and unpackings.
    pub fn value_of(&self, name: &str) -> Option<&'a Expr> {
        self.semantic.value_of(name)
    }

    /// Every value assigned to attribute `attr` of the innermost class:
    /// `self.attr = ..` in any of its methods, `attr = ..` in its body.
    /// Empty outside a class or for a class nested in a function.
    pub fn attribute_values(&self, attr: &str) -> &[&'a Expr] {
        self.semantic.attribute_values(attr)
    }

    /// The value of the first module-level assignment to `name`.
    pub fn module_value(&self, name: &str) -> Option<&'a Expr> {
        self.semantic.module_values.get(name).copied()
    }

    /// True when `name`, used at this point, refers to module-level state: at
    /// module level, or declared `global` in the current function.
    pub fn is_module_global(&self, name: &str) -> bool {
        match self.semantic.functions.last() {
            None => true,
            Some(frame) => frame.declares_global(name),
        }
    }

    /// True when `name`, read or mutated (not rebound) here, is a variable
    /// the module binds: declared `global`, or bound by no enclosing
    /// function (through `nonlocal` chains) and bound at module level.
    /// `cache[k] = v` in a function mutates the module's `cache` without any
    /// `global` statement.
    pub fn refers_to_module_global(&self, name: &str) -> bool {
        for frame in self.semantic.functions.iter().rev() {
            if frame.declares_global(name) {
                return true;
            }
            if frame.binds_locally(name) {
                return false;
            }
        }
        self.semantic.module_values.contains_key(name)
            || self.semantic.scopes[0].bindings.contains_key(name)
    }

    /// True when the module imports thread APIs (`threading`,
    /// `concurrent.futures`, `queue`, ...) or a server framework that runs
    /// handlers on a thread pool (`flask`, `django`, `fastapi`, ...): evidence
    /// that its module-level state is shared between threads.
    /// A module built on green threads (`gevent`, `eventlet`: greenlets
    /// switch only at I/O) or a test module is not.
    pub fn module_is_concurrent(&self) -> bool {
        self.semantic.imports_concurrency && !self.module_runs_one_thread_at_a_time()
    }

    /// True when the module imports `gevent`, `eventlet` or `greenlet`
    /// (cooperatively scheduled green threads) or `pytest` / `unittest`, or
    /// is test support by its place in the project (tests join the threads
    /// they start): one thread at a time runs it.
    pub fn module_runs_one_thread_at_a_time(&self) -> bool {
        self.semantic.imports_green_threads || self.in_test_file()
    }

    /// True when a module-level assignment calls `name`: `noValue =
    /// NoValue()` instantiates class `NoValue` once at import.
    pub fn is_instantiated_at_import(&self, name: &str) -> bool {
        self.semantic.instantiated_at_import.contains(name)
    }

    /// True when `expr` is a module global bound to `threading.local()` or
    /// to an instance of a `threading.local` subclass of this module: each
    /// thread sees its own attributes.
    pub fn is_thread_local(&self, expr: &Expr) -> bool {
        let Expr::Name(name) = expr else { return false };
        if !self.refers_to_module_global(name.id.as_str()) {
            return false;
        }
        let Some(Expr::Call(call)) = self.module_value(name.id.as_str()) else {
            return false;
        };
        let local_class = matches!(call.func.as_ref(), Expr::Name(class)
            if self.semantic.thread_local_classes.contains(class.id.as_str()));
        local_class
            || matches!(
                self.resolve(&call.func).as_deref(),
                Some("threading.local" | "_threading_local.local")
            )
    }

    /// The class-level and instance attributes of a class of this module.
    pub fn class_attributes(&self, class: &str) -> Option<&ClassAttributes<'a>> {
        self.semantic.class_attributes.get(class)
    }

    /// The module's top-level statements.
    pub fn module_body(&self) -> &'a [Stmt] {
        self.module_body
    }

    /// Where the module's functions run (see [`FunctionRoles`]): whole only
    /// at [`PythonRule::on_module_exit`].
    pub fn function_roles(&self) -> &FunctionRoles<'a> {
        &self.roles
    }

    /// The lock attributes of a class of this module: `self._lock =
    /// threading.Lock()` in any method, or `_lock = Lock()` in its body.
    pub fn class_locks(&self, class: &str) -> impl Iterator<Item = (&str, LockKind)> {
        self.semantic
            .class_locks
            .get(class)
            .into_iter()
            .flat_map(|locks| locks.iter().map(|(name, kind)| (name.as_str(), *kind)))
    }
}

/// True when `text` (a function's source, a comment block) says the code
/// is not thread-safe or races benignly: "This is not thread-safe", "not
/// particularly threadsafe", "does not use any thread safety locks",
/// "The race is benign", "a harmless race"; that no thread shares it:
/// "single caller, no concurrent access", "_mutation_lock not required
/// here", "no lock needed"; or that it serves tests only: "Test helper",
/// "Only use this in test code", "for testing only", "test-only".
fn disclaims_thread_safety(text: &str) -> bool {
    // Words, lowercased, across comment and docstring line breaks.
    let words: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '\'' && c != '-')
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let within = |index: usize, reach: usize, matches: &dyn Fn(&str) -> bool| {
        let start = index.saturating_sub(reach);
        let end = (index + reach + 1).min(words.len());
        words[start..end].iter().any(|word| matches(word))
    };
    words.iter().enumerate().any(|(index, word)| {
        let safety = matches!(
            word.as_str(),
            "thread-safe" | "threadsafe" | "thread-safety"
        ) || (matches!(word.as_str(), "safe" | "safety")
            && index > 0
            && words[index - 1] == "thread");
        // "not thread-safe", "isn't threadsafe", "not particularly
        // thread safe", "does not use any thread safety locks",
        // "without thread-safety": a negation at most three words
        // before.
        let disclaimed = safety
            && words[index.saturating_sub(4)..index].iter().any(|before| {
                matches!(before.as_str(), "not" | "no" | "without") || before.ends_with("n't")
            });
        // "The race is benign", "a harmless race", "racy but benign".
        let benign_race = matches!(word.as_str(), "race" | "races" | "racy")
            && within(index, 3, &|other| matches!(other, "benign" | "harmless"));
        disclaimed
            || benign_race
            || needs_no_lock(&words, index)
            || serves_tests_only(&words, index)
    })
}

/// True when the words around `index` say the code is never run by two
/// threads at once, or needs no lock: "no concurrent access", "never
/// called concurrently", "lock not required here", "no lock needed",
/// "locking is unnecessary", "the counter is deliberately unlocked", "safe
/// for single-threaded use".
fn needs_no_lock(words: &[String], index: usize) -> bool {
    let negation = |word: &String| {
        matches!(word.as_str(), "not" | "no" | "never" | "without") || word.ends_with("n't")
    };
    let before = &words[index.saturating_sub(3)..index];
    let after = &words[index + 1..(index + 4).min(words.len())];
    match words[index].as_str() {
        "concurrent" | "concurrently" => before.iter().any(negation),
        // "safe for single-threaded use", "single-threaded only".
        "single-threaded" => {
            before
                .last()
                .is_some_and(|word| matches!(word.as_str(), "for" | "only"))
                || after
                    .first()
                    .is_some_and(|word| matches!(word.as_str(), "use" | "only"))
        }
        // A choice the author states: "deliberately unlocked",
        // "intentionally lock-free".
        "unlocked" | "lock-free" | "unsynchronized" | "unsynchronised" => {
            before.iter().any(|word| {
                matches!(
                    word.as_str(),
                    "deliberately" | "intentionally" | "purposely" | "knowingly"
                )
            })
        }
        "lock" | "locks" | "locking" => {
            let needed =
                |word: &String| matches!(word.as_str(), "required" | "needed" | "necessary");
            let unneeded = |word: &String| matches!(word.as_str(), "unnecessary" | "unneeded");
            after.iter().any(unneeded)
                || (after.iter().any(needed) && (before.iter().chain(after).any(negation)))
        }
        _ => false,
    }
}

/// True when the words from `index` on say "test-only", "test helper",
/// "testing only", "for tests only", "only for testing" or "(only ...) in
/// test code": code written for a test suite, which drives it on one
/// thread.
fn serves_tests_only(words: &[String], index: usize) -> bool {
    let word = |offset: usize| words.get(index + offset).map(String::as_str);
    let is_test = |word: Option<&str>| matches!(word, Some("test" | "tests" | "testing"));
    match words[index].as_str() {
        "test-only" => true,
        "test" | "testing" => matches!(word(1), Some("helper" | "helpers" | "only")),
        "for" | "in" => is_test(word(1)) && word(2) == Some("only"),
        "only" => {
            (matches!(word(1), Some("for" | "in")) && is_test(word(2)))
                || (1..=4).any(|offset| is_test(word(offset)) && word(offset + 1) == Some("code"))
        }
        _ => false,
    }
}

struct Checker<'a> {
    cx: PyContext<'a>,
    rules: Vec<Box<dyn PythonRule>>,
    /// Some rule uses [`PyContext::function_roles`].
    gathers_roles: bool,
    diagnostics: Vec<Diagnostic>,
    /// Start offsets of the lambdas and nested functions that a method of
    /// their class runs while the locks of their definer are held (see
    /// [`inline_callbacks`]).
    runs_under_definers_locks: Vec<TextSize>,
}

/// Runs the enabled rules over one parsed module.
pub fn check(
    module: &ast::ModModule,
    source: &str,
    settings: &Settings,
    rules: &[&'static RuleEntry],
) -> Vec<Diagnostic> {
    check_with_facts(module, source, FilePlace::Shipped, settings, rules).0
}

/// Runs the enabled rules over one parsed module; also returns the facts
/// gathered for project-wide rules.
pub fn check_with_facts(
    module: &ast::ModModule,
    source: &str,
    place: FilePlace,
    settings: &Settings,
    rules: &[&'static RuleEntry],
) -> (Vec<Diagnostic>, Option<CallFacts>) {
    let rules: Vec<Box<dyn PythonRule>> = rules
        .iter()
        .filter_map(|entry| entry.python.map(|make| make()))
        .collect();
    check_with(module, source, place, settings, rules)
}

/// Runs the given rule instances over one parsed module.
pub(crate) fn check_with(
    module: &ast::ModModule,
    source: &str,
    place: FilePlace,
    settings: &Settings,
    rules: Vec<Box<dyn PythonRule>>,
) -> (Vec<Diagnostic>, Option<CallFacts>) {
    if rules.is_empty() {
        return (Vec::new(), None);
    }
    let gathers_roles = rules.iter().any(|rule| rule.uses_function_roles());
    let mut checker = Checker {
        gathers_roles,
        cx: PyContext {
            source,
            module_body: &module.body,
            settings,
            test_file: place.is_test_support() || is_test_module(&module.body),
            semantic: Semantic::new(module),
            roles: FunctionRoles::default(),
        },
        rules,
        diagnostics: Vec::new(),
        runs_under_definers_locks: Vec::new(),
    };
    checker.visit_body(&module.body);
    for rule in &mut checker.rules {
        rule.on_module_exit(&checker.cx, &mut checker.diagnostics);
    }
    let facts = checker.rules.iter_mut().find_map(|rule| rule.take_facts());
    (checker.diagnostics, facts)
}

impl<'a> Checker<'a> {
    fn enter_function(
        &mut self,
        frame: FunctionFrame<'a>,
        parameters: Option<&'a ast::Parameters>,
    ) {
        let mut scope = Scope::default();
        if let Some(parameters) = parameters {
            for parameter in parameters.iter() {
                scope.bindings.insert(parameter.name().to_string(), None);
            }
        }
        self.cx.semantic.scopes.push(scope);
        self.cx.semantic.functions.push(frame);
    }

    fn exit_function(&mut self) {
        for rule in &mut self.rules {
            rule.on_function_exit(&self.cx, &mut self.diagnostics);
        }
        self.cx.semantic.functions.pop();
        self.cx.semantic.scopes.pop();
    }

    /// Walks the body of the function just entered with its own held-lock
    /// stack: a nested function runs later, not under the locks its definer
    /// holds. One that runs inline (see [`FunctionFrame::runs_inline`]) runs
    /// under them.
    fn with_locks_of_function(&mut self, walk: impl FnOnce(&mut Self)) {
        if self.cx.function().is_some_and(|frame| frame.runs_inline) {
            walk(self);
        } else {
            self.with_fresh_locks(walk);
        }
    }

    /// Walks a body with its own, empty held-lock stack.
    fn with_fresh_locks(&mut self, walk: impl FnOnce(&mut Self)) {
        let outer = std::mem::take(&mut self.cx.semantic.held);
        walk(self);
        self.cx.semantic.held = outer;
    }

    fn visit_function(&mut self, def: &'a ast::StmtFunctionDef) {
        for decorator in &def.decorator_list {
            self.visit_decorator(decorator);
        }
        self.visit_parameters(&def.parameters);
        if let Some(returns) = &def.returns {
            self.visit_annotation(returns);
        }
        if !self.cx.semantic.functions.is_empty() {
            self.cx.semantic.bind_local(def.name.as_str());
        }
        let class = self.method_class();
        let bindings = FunctionBindings::of(Some(&def.parameters), &def.body);
        let frame = FunctionFrame {
            def: Some(def),
            name: def.name.as_str(),
            is_async: def.is_async,
            class,
            runs_inline: self.runs_under_definers_locks.contains(&def.start()),
            globals: bindings.globals,
            nonlocals: bindings.nonlocals,
            locals: bindings.locals,
        };
        self.enter_function(frame, Some(&def.parameters));
        self.with_locks_of_function(|checker| checker.visit_body(&def.body));
        self.exit_function();
    }

    /// The class a function defined here would be a method of: the
    /// innermost class, if it was entered inside the innermost function.
    fn method_class(&self) -> Option<&'a ast::StmtClassDef> {
        let (class, function_depth) = *self.cx.semantic.classes.last()?;
        (function_depth == self.cx.semantic.functions.len()).then_some(class)
    }

    fn visit_lambda(&mut self, lambda: &'a ast::ExprLambda) {
        if let Some(parameters) = &lambda.parameters {
            self.visit_parameters(parameters);
        }
        let frame = FunctionFrame {
            def: None,
            name: "<lambda>",
            is_async: false,
            class: None,
            runs_inline: self.runs_under_definers_locks.contains(&lambda.start()),
            globals: Vec::new(),
            nonlocals: Vec::new(),
            locals: FunctionBindings::of(lambda.parameters.as_deref(), &[]).locals,
        };
        self.enter_function(frame, lambda.parameters.as_deref());
        self.with_locks_of_function(|checker| checker.visit_expr(&lambda.body));
        self.exit_function();
    }

    fn visit_class(&mut self, class: &'a ast::StmtClassDef) {
        for decorator in &class.decorator_list {
            self.visit_decorator(decorator);
        }
        if let Some(arguments) = &class.arguments {
            self.visit_arguments(arguments);
        }
        if !self.cx.semantic.functions.is_empty() {
            self.cx.semantic.bind_local(class.name.as_str());
        }
        self.cx
            .semantic
            .classes
            .push((class, self.cx.semantic.functions.len()));
        // Methods of a class nested in a function still start with no locks.
        self.with_fresh_locks(|checker| checker.visit_body(&class.body));
        for rule in &mut self.rules {
            rule.on_class_exit(&self.cx, &mut self.diagnostics);
        }
        self.cx.semantic.classes.pop();
    }

    fn visit_with(&mut self, with: &'a ast::StmtWith) {
        let depth = self.cx.semantic.held.len();
        for item in &with.items {
            self.visit_with_item(item);
            // `with requests.Session() as s:` binds `s` to what the context
            // manager's `__enter__` returns, which for sessions, clients,
            // processes and files is the object itself.
            match item.optional_vars.as_deref() {
                Some(target @ Expr::Name(_)) => {
                    self.bind_assignment_target(target, &item.context_expr);
                }
                Some(target) => self.forget_values(target),
                None => {}
            }
            if let Some(kind) = self.cx.semantic.lock_kind(&item.context_expr) {
                let kind = match kind {
                    LockKind::Unknown if with.is_async => LockKind::Async,
                    kind => kind,
                };
                self.acquire(
                    &item.context_expr,
                    kind,
                    item.context_expr.range().into(),
                    true,
                );
            }
        }
        if self.cx.semantic.held.len() > depth {
            if let Some(class) = self.cx.functions().last().and_then(|frame| frame.class) {
                self.runs_under_definers_locks
                    .extend(inline_callbacks(class, &with.body));
            }
            if let Some(def) = self.cx.functions().last().and_then(|frame| frame.def) {
                self.runs_under_definers_locks
                    .extend(helpers_called_in_place(&def.body, &with.body));
            }
        }
        self.visit_body(&with.body);
        self.cx.semantic.held.truncate(depth);
    }

    /// Lets [`FunctionRoles`] note what it needs from the point of the walk;
    /// it reads the context it lives in, so it is taken out meanwhile.
    fn gather_roles(&mut self, note: impl FnOnce(&mut FunctionRoles<'a>, &PyContext<'a>)) {
        let mut roles = std::mem::take(&mut self.cx.roles);
        note(&mut roles, &self.cx);
        self.cx.roles = roles;
    }

    fn acquire(&mut self, lock: &Expr, kind: LockKind, span: crate::api::Span, waits: bool) {
        let key = self.cx.text(lock).to_string();
        self.hold(key, kind, span, waits);
    }

    fn hold(&mut self, key: String, kind: LockKind, span: crate::api::Span, waits: bool) {
        self.cx.semantic.held.push(HeldLock {
            key,
            kind,
            span,
            waits,
        });
    }

    /// A block that may end by leaving (`except: lock.release(); raise`,
    /// `if failed: lock.release(); return`): what it releases is still
    /// held on the path that falls through past it.
    fn visit_leaving_block(&mut self, body: &'a [Stmt]) {
        if !leaves_block(body) {
            self.visit_body(body);
            return;
        }
        let held = self.cx.semantic.held.clone();
        self.visit_body(body);
        self.cx.semantic.held = held;
    }

    /// `lock.acquire()` as a statement (or awaited, or as an `if` test):
    /// the lock is held until `lock.release()` or the end of the block.
    fn acquire_call(&mut self, expr: &'a Expr) {
        let (expr, awaited) = match expr {
            Expr::Await(await_expr) => (await_expr.value.as_ref(), true),
            other => (other, false),
        };
        let Some((receiver, method)) = method_call(expr) else {
            return;
        };
        if method != "acquire" {
            return;
        }
        if let Some(kind) = self.cx.semantic.lock_kind(receiver) {
            // Only an asyncio lock's `acquire` is awaited, as only an
            // asyncio lock is entered with `async with`.
            let kind = match kind {
                LockKind::Unknown if awaited => LockKind::Async,
                kind => kind,
            };
            self.acquire(receiver, kind, expr.range().into(), !is_try_lock(expr));
        }
    }

    fn release_call(&mut self, expr: &Expr) {
        if let Some(LockHelper::Release(key)) = self.lock_helper_called(expr) {
            self.release(&key);
            return;
        }
        if let Some((false, key)) = self.named_lock_method(expr) {
            self.release(&key);
            return;
        }
        for attr in self.locks_released_by_method_call(expr) {
            self.release(&format!("self.{attr}"));
        }
        let Some((receiver, "release")) = method_call(expr) else {
            return;
        };
        let key = self.cx.text(receiver);
        self.release(key);
    }

    fn release(&mut self, key: &str) {
        if let Some(index) = self
            .cx
            .semantic
            .held
            .iter()
            .rposition(|lock| lock.key == key)
        {
            self.cx.semantic.held.remove(index);
        }
    }

    /// `_acquireLock()` as a statement: a module helper that takes a lock;
    /// `tracer.lock_data()`: a method named for taking one.
    fn acquire_helper_call(&mut self, expr: &Expr) {
        if let Some(LockHelper::Acquire(key)) = self.lock_helper_called(expr) {
            self.hold(key, LockKind::Threading, expr.range().into(), true);
        } else if let Some(lock) = self.lock_taken_by_method_call(expr) {
            let kind = self
                .cx
                .semantic
                .lock_kind(lock)
                .unwrap_or(LockKind::Unknown);
            let key = self.cx.text(lock).to_string();
            self.hold(key, kind, expr.range().into(), true);
        } else if let Some((true, key)) = self.named_lock_method(expr) {
            self.hold(key, LockKind::Unknown, expr.range().into(), true);
        }
    }

    /// `x.lock_data()` / `x.unlock_data()` (also `lock()` / `unlock()`):
    /// callables named for taking and giving back a lock, bound to a lock's
    /// `acquire` and `release` in another module (`tracer.lock_data =
    /// lock.acquire`). A method the class being walked defines itself is
    /// judged by its body, not its name (`def lock_nonce(self): return
    /// None`). Whether the call takes the lock, and the key that pairs the
    /// two calls.
    fn named_lock_method(&self, expr: &Expr) -> Option<(bool, String)> {
        let (receiver, method) = method_call(expr)?;
        let (takes, what) = match method.strip_prefix("un") {
            Some(rest) => (false, rest),
            None => (true, method),
        };
        let what = what.strip_prefix("lock")?;
        if !(what.is_empty() || what.starts_with('_')) {
            return None;
        }
        let own_method = matches!(receiver, Expr::Name(name) if name.id.as_str() == "self")
            && self
                .cx
                .class()
                .is_some_and(|class| class_methods(class, method).next().is_some());
        if own_method {
            return None;
        }
        Some((takes, format!("{}.lock{what}", self.cx.text(receiver))))
    }

    /// `self.send_and_recv()` while a `self` lock is held: the `self` locks
    /// that method of the class being walked gives back for its caller.
    /// Read from the method only then, off the common path.
    fn locks_released_by_method_call(&self, expr: &Expr) -> Vec<&'a str> {
        let Some((Expr::Name(receiver), method)) = method_call(expr) else {
            return Vec::new();
        };
        let holds_self_lock = || {
            self.cx
                .semantic
                .held
                .iter()
                .any(|lock| lock.key.starts_with("self."))
        };
        if receiver.id.as_str() != "self" || !holds_self_lock() {
            return Vec::new();
        }
        let Some(class) = self.cx.class() else {
            return Vec::new();
        };
        // The last definition that releases something, as Python keeps
        // the last definition of a name.
        class_methods(class, method)
            .map(locks_released_for_caller)
            .filter(|released| !released.is_empty())
            .last()
            .unwrap_or_default()
    }

    /// `self._acquire_write()`: the `self` lock that a method of the class
    /// being walked takes for its caller (see [`lock_acquired_for_caller`]).
    fn lock_taken_by_method_call(&self, expr: &Expr) -> Option<&'a Expr> {
        let Expr::Call(call) = expr else { return None };
        let (Expr::Name(receiver), method) = method_call(expr)? else {
            return None;
        };
        if receiver.id.as_str() != "self" || !call.arguments.is_empty() {
            return None;
        }
        // The last definition, as Python keeps the last definition of a name.
        class_methods(self.cx.class()?, method)
            .last()
            .and_then(lock_acquired_for_caller)
    }

    /// The lock helper a call calls, unless the name is shadowed locally.
    fn lock_helper_called(&self, expr: &Expr) -> Option<LockHelper> {
        let Expr::Call(call) = expr else { return None };
        let Expr::Name(name) = call.func.as_ref() else {
            return None;
        };
        let id = name.id.as_str();
        let shadowed = self
            .cx
            .semantic
            .functions
            .iter()
            .any(|frame| frame.binds_locally(id));
        if shadowed {
            return None;
        }
        self.cx.semantic.lock_helpers.get(id).cloned()
    }

    /// `if lock: lock.acquire()` (the lock may be optional), or `if not
    /// lock.acquire(False): return`: the lock is held after the `if`, in
    /// the enclosing block, until it is released.
    fn conditional_acquire(&mut self, if_stmt: &'a ast::StmtIf) {
        if !if_stmt.elif_else_clauses.is_empty() {
            return;
        }
        if let [Stmt::Expr(ast::StmtExpr { value, .. })] = if_stmt.body.as_slice() {
            self.acquire_call(value);
            self.acquire_helper_call(value);
            return;
        }
        let leaves = leaves_block(&if_stmt.body);
        if let Expr::UnaryOp(ast::ExprUnaryOp {
            op: ast::UnaryOp::Not,
            operand,
            ..
        }) = if_stmt.test.as_ref()
        {
            if leaves {
                self.acquire_call(operand);
            }
        }
    }

    fn bind_assignment_target(&mut self, target: &Expr, value: &'a Expr) {
        if self.cx.semantic.functions.is_empty() {
            return;
        }
        if !matches!(target, Expr::Name(_)) {
            self.forget_values(target);
        }
        if let Expr::Name(name) = target {
            let global = self
                .cx
                .semantic
                .functions
                .last()
                .is_some_and(|frame| frame.declares_global(name.id.as_str()));
            if global {
                return;
            }
            self.cx.semantic.bind_local(name.id.as_str());
            // `lock = threading.Lock()`, or a local alias of a known lock
            // (`cond = self.cond`, then `cond.acquire()`).
            let kind = match value {
                Expr::Name(_) | Expr::Attribute(_) => self.cx.semantic.lock_kind(value),
                other => self.cx.semantic.lock_constructor_kind(other),
            };
            let scope = self.cx.semantic.scopes.last_mut().expect("function scope");
            if let Some(kind) = kind {
                scope.locks.insert(name.id.to_string(), kind);
            }
            scope.values.insert(name.id.to_string(), value);
        }
    }

    /// Binds the names of a loop target, an unpacking or a `with .. as`
    /// tuple as locals whose value is unknown.
    fn forget_values(&mut self, target: &Expr) {
        if self.cx.semantic.functions.is_empty() {
            return;
        }
        match target {
            Expr::Name(name) => {
                self.cx.semantic.bind_local(name.id.as_str());
                let scope = self.cx.semantic.scopes.last_mut().expect("function scope");
                scope.values.remove(name.id.as_str());
            }
            Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
                for elt in elts {
                    self.forget_values(elt);
                }
            }
            Expr::Starred(starred) => self.forget_values(&starred.value),
            _ => {}
        }
    }
}

/// `lock.acquire(False)`, `acquire(blocking=False)`, `acquire(timeout=0)`:
/// takes the lock only if it is free.
fn is_try_lock(acquire: &Expr) -> bool {
    let Expr::Call(call) = acquire else {
        return false;
    };
    let is_false = |value: &Expr| matches!(value, Expr::BooleanLiteral(literal) if !literal.value);
    let is_zero = |value: &Expr| matches!(value, Expr::NumberLiteral(ast::ExprNumberLiteral { value: ast::Number::Int(int), .. }) if int.as_u8() == Some(0));
    call.arguments.args.first().is_some_and(is_false)
        || call
            .arguments
            .find_keyword("blocking")
            .is_some_and(|keyword| is_false(&keyword.value))
        || call
            .arguments
            .find_keyword("timeout")
            .is_some_and(|keyword| is_zero(&keyword.value))
}

/// True when a block ends by leaving the code that follows it: `return`,
/// `raise`, `continue`, `break`.
fn leaves_block(body: &[Stmt]) -> bool {
    matches!(
        body.last(),
        Some(Stmt::Return(_) | Stmt::Raise(_) | Stmt::Continue(_) | Stmt::Break(_))
    )
}

/// `(receiver, method)` for `receiver.method(...)`.
fn method_call(expr: &Expr) -> Option<(&Expr, &str)> {
    let Expr::Call(call) = expr else { return None };
    let Expr::Attribute(attribute) = call.func.as_ref() else {
        return None;
    };
    Some((attribute.value.as_ref(), attribute.attr.as_str()))
}

impl<'a> Visitor<'a> for Checker<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if let (Stmt::Assign(_), true) = (stmt, self.gathers_roles) {
            self.gather_roles(|roles, cx| roles.on_stmt(cx, stmt));
        }
        for rule in &mut self.rules {
            rule.on_stmt(&self.cx, stmt, &mut self.diagnostics);
        }
        match stmt {
            Stmt::FunctionDef(def) => self.visit_function(def),
            Stmt::ClassDef(class) => self.visit_class(class),
            Stmt::With(with) => self.visit_with(with),
            Stmt::Import(_) | Stmt::ImportFrom(_) => self.cx.semantic.bind_import(stmt),
            // `global` and `nonlocal` names are collected when the function
            // is entered: they apply to the whole body.
            Stmt::Global(_) | Stmt::Nonlocal(_) => {}
            Stmt::Assign(assign) => {
                visitor::walk_stmt(self, stmt);
                for target in &assign.targets {
                    self.bind_assignment_target(target, &assign.value);
                }
            }
            Stmt::AnnAssign(ast::StmtAnnAssign {
                target,
                value: Some(value),
                ..
            }) => {
                visitor::walk_stmt(self, stmt);
                self.bind_assignment_target(target, value);
            }
            Stmt::For(ast::StmtFor {
                target,
                iter,
                body,
                orelse,
                ..
            }) => {
                self.visit_expr(iter);
                self.forget_values(target);
                self.visit_expr(target);
                self.visit_body(body);
                self.visit_body(orelse);
            }
            Stmt::Expr(ast::StmtExpr { value, .. }) => {
                visitor::walk_stmt(self, stmt);
                self.acquire_call(value);
                self.acquire_helper_call(value);
            }
            Stmt::If(if_stmt) => {
                let ast::StmtIf {
                    test,
                    body,
                    elif_else_clauses,
                    ..
                } = if_stmt;
                // `if lock.acquire(timeout=1):` holds the lock in the body.
                let depth = self.cx.semantic.held.len();
                self.visit_expr(test);
                self.acquire_call(test);
                self.visit_leaving_block(body);
                self.cx.semantic.held.truncate(depth);
                for clause in elif_else_clauses {
                    // `if not lock.acquire(False): ... else:` holds it in
                    // the `else`.
                    if clause.test.is_none() {
                        if let Expr::UnaryOp(ast::ExprUnaryOp {
                            op: ast::UnaryOp::Not,
                            operand,
                            ..
                        }) = test.as_ref()
                        {
                            self.acquire_call(operand);
                        }
                    }
                    if let Some(test) = &clause.test {
                        self.visit_expr(test);
                    }
                    self.visit_leaving_block(&clause.body);
                    self.cx.semantic.held.truncate(depth);
                }
                self.conditional_acquire(if_stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let (Expr::Call(call), true) = (expr, self.gathers_roles) {
            self.gather_roles(|roles, cx| roles.on_call(cx, call));
        }
        for rule in &mut self.rules {
            rule.on_expr(&self.cx, expr, &mut self.diagnostics);
        }
        match expr {
            Expr::Lambda(lambda) => self.visit_lambda(lambda),
            Expr::Call(_) => {
                visitor::walk_expr(self, expr);
                self.release_call(expr);
            }
            _ => visitor::walk_expr(self, expr),
        }
    }

    fn visit_except_handler(&mut self, handler: &'a ast::ExceptHandler) {
        let ast::ExceptHandler::ExceptHandler(handler) = handler;
        if let Some(type_) = &handler.type_ {
            self.visit_expr(type_);
        }
        self.visit_leaving_block(&handler.body);
    }

    fn visit_body(&mut self, body: &'a [Stmt]) {
        let depth = self.cx.semantic.held.len();
        visitor::walk_body(self, body);
        // A lock acquired by `.acquire()` in this block and never released
        // here is treated as released when the block ends.
        self.cx
            .semantic
            .held
            .truncate(depth.min(self.cx.semantic.held.len()));
    }
}
