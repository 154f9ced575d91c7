//! BLK006's share of the walk over a Python module: its functions, the
//! blocking calls in their bodies and their calls to names that may be
//! functions of the project, as [`CallFacts`].

use rustc_hash::FxHashMap as HashMap;

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use crate::api::Diagnostic;
use crate::blk::call_graph::{
    Anchor, BlockingCall, CallFacts, CallTarget, FunctionFacts, ProjectCall,
};
use crate::blk::{blocking_matchers, AwaitedCalls, BlockingMatcher};
use crate::python::{PyContext, PythonRule};

/// Decorators that hand back the function itself (or call it as it is):
/// any other decorator may wrap it in something else, a thread-pool
/// runner for one, so its function is not followed. A cached function
/// (`functools.cache`) blocks once, to fill the cache: not followed either.
const TRANSPARENT_DECORATORS: &[&str] = &[
    "builtins.staticmethod",
    "builtins.classmethod",
    "functools.wraps",
    "typing.final",
    "typing.override",
    "typing_extensions.override",
];

pub(crate) struct PythonCallFacts {
    matchers: Vec<Box<dyn BlockingMatcher>>,
    facts: CallFacts,
    /// `def` start offset -> index in `facts.functions`.
    functions: HashMap<u32, usize>,
    /// Classes defined outside any function, in walk order (outer first).
    classes: Vec<(TextRange, String)>,
    awaited: AwaitedCalls,
}

impl Default for PythonCallFacts {
    fn default() -> Self {
        Self {
            matchers: blocking_matchers(),
            facts: CallFacts::default(),
            functions: HashMap::default(),
            classes: Vec::new(),
            awaited: AwaitedCalls::default(),
        }
    }
}

impl PythonCallFacts {
    /// The names of the module-level classes enclosing `range`, joined by
    /// `.`.
    fn class_path(&self, range: TextRange) -> String {
        let names: Vec<&str> = self
            .classes
            .iter()
            .filter(|(class, _)| class.contains_range(range))
            .map(|(_, name)| name.as_str())
            .collect();
        names.join(".")
    }

    fn register(&mut self, cx: &PyContext<'_>, def: &ast::StmtFunctionDef) {
        let transparent = def.decorator_list.iter().all(|decorator| {
            let callee = match &decorator.expression {
                Expr::Call(call) => &call.func,
                other => other,
            };
            cx.resolve(callee)
                .is_some_and(|name| TRANSPARENT_DECORATORS.contains(&name.as_str()))
        });
        let path = (cx.function().is_none() && transparent).then(|| {
            let mut path = self.class_path(def.range());
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&def.name);
            path
        });
        self.functions
            .insert(def.range().start().to_u32(), self.facts.functions.len());
        self.facts.functions.push(FunctionFacts {
            path,
            is_async: def.is_async,
            ..FunctionFacts::default()
        });
    }

    /// The innermost `def` being walked (not a lambda: it runs whenever
    /// its receiver calls it).
    fn current(&self, cx: &PyContext<'_>) -> Option<usize> {
        let def = cx.function()?.def?;
        self.functions.get(&def.range().start().to_u32()).copied()
    }

    /// What `call` names, if it may be a function of the project.
    fn target(&self, cx: &PyContext<'_>, call: &ast::ExprCall) -> Option<CallTarget> {
        if let Expr::Attribute(method) = call.func.as_ref() {
            if let Expr::Name(receiver) = method.value.as_ref() {
                // `self.load()` / `cls.load()`: a method of this class.
                let frame = cx.function()?;
                if frame.first_parameter() == Some(receiver.id.as_str()) && frame.class.is_some() {
                    let def = frame.def?;
                    let mut path = self.class_path(def.range());
                    if path.is_empty() {
                        return None;
                    }
                    path.push('.');
                    path.push_str(&method.attr);
                    return Some(CallTarget {
                        anchor: Anchor::Module { up: 0 },
                        path,
                    });
                }
                // `Config.load()` for a class of this module.
                if is_module_definition(cx, &method.value) {
                    return Some(CallTarget {
                        anchor: Anchor::Module { up: 0 },
                        path: format!("{}.{}", receiver.id, method.attr),
                    });
                }
            }
        }
        // `load()` for a function of this module.
        if let Expr::Name(name) = call.func.as_ref() {
            if is_module_definition(cx, &call.func) {
                return Some(CallTarget {
                    anchor: Anchor::Module { up: 0 },
                    path: name.id.to_string(),
                });
            }
        }
        let name = cx.resolve(&call.func)?;
        if name.starts_with("builtins.") {
            return None;
        }
        let level = name.len() - name.trim_start_matches('.').len();
        let path = name[level..].to_string();
        let anchor = match level {
            0 => Anchor::Root,
            level => Anchor::Package { level },
        };
        Some(CallTarget { anchor, path })
    }
}

/// `if _config is not None: return _config`, `if self._data: return
/// self._data`: the function hands back a value kept in a module global or
/// on the object when it has one, and computes it (blocking) otherwise.
fn returns_cached_value(cx: &PyContext<'_>, if_stmt: &ast::StmtIf) -> bool {
    let Some(Stmt::Return(ast::StmtReturn {
        value: Some(value), ..
    })) = if_stmt.body.last()
    else {
        return false;
    };
    let kept = match value.as_ref() {
        Expr::Name(name) => cx.refers_to_module_global(name.id.as_str()),
        Expr::Attribute(attribute) => matches!(
            attribute.value.as_ref(),
            Expr::Name(owner) if matches!(owner.id.as_str(), "self" | "cls")
        ),
        _ => false,
    };
    kept && cx
        .text(if_stmt.test.as_ref())
        .contains(cx.text(value.as_ref()))
}

/// `if _tempdir is None: _tempdir = compute()` on a global the function
/// declares, `if self._data is None: self._data = load()`: lazy
/// initialisation, which blocks on the first call only.
fn fills_cache(cx: &PyContext<'_>, if_stmt: &ast::StmtIf) -> bool {
    let Some(frame) = cx.function() else {
        return false;
    };
    let test = cx.text(if_stmt.test.as_ref());
    let mentions = |target: &str| {
        test.match_indices(target).any(|(at, _)| {
            let identifier = |c: char| c.is_alphanumeric() || c == '_';
            let before = test[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !identifier(c) && c != '.');
            let after = test[at + target.len()..]
                .chars()
                .next()
                .is_none_or(|c| !identifier(c));
            before && after
        })
    };
    if_stmt.body.iter().any(|stmt| {
        let targets: &[Expr] = match stmt {
            Stmt::Assign(assign) => &assign.targets,
            Stmt::AnnAssign(assign) => std::slice::from_ref(assign.target.as_ref()),
            _ => return false,
        };
        targets.iter().any(|target| match target {
            Expr::Name(name) => {
                frame.declares_global(name.id.as_str()) && mentions(name.id.as_str())
            }
            Expr::Attribute(attribute) => {
                let on_self = matches!(
                    attribute.value.as_ref(),
                    Expr::Name(owner) if matches!(owner.id.as_str(), "self" | "cls")
                );
                on_self && mentions(cx.text(target))
            }
            _ => false,
        })
    })
}

/// True when `name` here is a function or class the module defines (an
/// import would resolve; a local or parameter shadows it).
fn is_module_definition(cx: &PyContext<'_>, expr: &Expr) -> bool {
    let Expr::Name(name) = expr else { return false };
    cx.resolve(expr).is_none() && cx.refers_to_module_global(name.id.as_str())
}

impl PythonRule for PythonCallFacts {
    fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt, _out: &mut Vec<Diagnostic>) {
        for matcher in &mut self.matchers {
            matcher.observe_python_stmt(cx, stmt);
        }
        match stmt {
            Stmt::ClassDef(class) if cx.function().is_none() => {
                self.classes.push((class.range(), class.name.to_string()));
            }
            Stmt::FunctionDef(def) => self.register(cx, def),
            Stmt::If(if_stmt) if returns_cached_value(cx, if_stmt) || fills_cache(cx, if_stmt) => {
                // It blocks once, to fill the cache, typically at startup.
                if let Some(index) = self.current(cx) {
                    self.facts.functions[index].path = None;
                }
            }
            _ => {}
        }
    }

    fn on_expr(&mut self, cx: &PyContext<'_>, expr: &Expr, _out: &mut Vec<Diagnostic>) {
        for matcher in &mut self.matchers {
            matcher.observe_python_expr(cx, expr);
        }
        self.awaited.on_expr(expr);
        let Some(index) = self.current(cx) else {
            return;
        };
        // Calling a generator function runs none of its body.
        if matches!(expr, Expr::Yield(_) | Expr::YieldFrom(_)) {
            self.facts.functions[index].path = None;
            return;
        }
        let Expr::Call(call) = expr else { return };
        let blocking = self.matchers.iter().find_map(|matcher| {
            let api = matcher.python_blocking(cx, expr)?;
            Some((matcher.code(), api))
        });
        if let Some((code, api)) = blocking {
            self.facts.functions[index].note_blocking(BlockingCall {
                code,
                api: api.strip_prefix("builtins.").unwrap_or(&api).to_string(),
                span: expr.into(),
            });
            return;
        }
        // An awaited call of a sync function: a decorator or the function
        // itself hands back an awaitable; what runs is not known.
        if self.awaited.contains(expr) {
            return;
        }
        if let Some(target) = self.target(cx, call) {
            self.facts.functions[index].calls.push(ProjectCall {
                target,
                span: expr.into(),
            });
        }
    }

    fn take_facts(&mut self) -> Option<CallFacts> {
        let mut facts = std::mem::take(&mut self.facts);
        facts.compact();
        Some(facts)
    }
}
