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
/// runner for one, so its function is not followed.
const TRANSPARENT_DECORATORS: &[&str] = &[
    "builtins.staticmethod",
    "builtins.classmethod",
    "functools.cache",
    "functools.lru_cache",
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
    /// The names of the module-level classes enclosing `range`.
    fn class_path(&self, range: TextRange) -> Vec<String> {
        self.classes
            .iter()
            .filter(|(class, _)| class.contains_range(range))
            .map(|(_, name)| name.clone())
            .collect()
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
            path.push(def.name.to_string());
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
                    path.push(method.attr.to_string());
                    return Some(CallTarget {
                        anchor: Anchor::Module { up: 0 },
                        path,
                    });
                }
                // `Config.load()` for a class of this module.
                if is_module_definition(cx, &method.value) {
                    return Some(CallTarget {
                        anchor: Anchor::Module { up: 0 },
                        path: vec![receiver.id.to_string(), method.attr.to_string()],
                    });
                }
            }
        }
        // `load()` for a function of this module.
        if let Expr::Name(name) = call.func.as_ref() {
            if is_module_definition(cx, &call.func) {
                return Some(CallTarget {
                    anchor: Anchor::Module { up: 0 },
                    path: vec![name.id.to_string()],
                });
            }
        }
        let name = cx.resolve(&call.func)?;
        if name.starts_with("builtins.") {
            return None;
        }
        let level = name.len() - name.trim_start_matches('.').len();
        let path = name[level..].split('.').map(str::to_string).collect();
        let anchor = match level {
            0 => Anchor::Root,
            level => Anchor::Package { level },
        };
        Some(CallTarget { anchor, path })
    }
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
            // In async code the call is BLK001-BLK004's finding already.
            let function = &mut self.facts.functions[index];
            if !function.is_async {
                function.blocking.push(BlockingCall {
                    code,
                    api: api.strip_prefix("builtins.").unwrap_or(&api).to_string(),
                    span: expr.into(),
                });
            }
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
        Some(std::mem::take(&mut self.facts))
    }
}
