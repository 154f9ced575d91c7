//! Callbacks a method of the same class runs before it returns:
//! `with self._lock: self._transaction(lambda: self._record(..))`, where
//! `def _transaction(self, body): ...; return body()`. The callback runs
//! while the caller still holds its locks, so its body is walked with them
//! held, not with the fresh lock stack of code that runs later. So does a
//! helper defined in the locked block and only called there: `with
//! self._lock: def _check(k): ..; return all(_check(k) for k in keys)`.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextSize};

use super::semantic::{class_methods, self_attribute};

/// The start offsets of the lambdas and nested `def`s in `body` (a locked
/// block of a method of `class`) that are handed to a method of `class`
/// which calls the matching parameter directly.
pub(crate) fn inline_callbacks(class: &ast::StmtClassDef, body: &[Stmt]) -> Vec<TextSize> {
    let mut starts = Vec::new();
    let mut names = Vec::new();
    for_each_own_call(body, |call| {
        let Some(method) = self_attribute(&call.func).and_then(|name| method(class, name)) else {
            return;
        };
        for argument in arguments_it_calls(method, call) {
            match argument {
                Expr::Lambda(lambda) => starts.push(lambda.start()),
                Expr::Name(name) => names.push(name.id.as_str()),
                _ => {}
            }
        }
    });
    starts.extend(body.iter().filter_map(|stmt| match stmt {
        Stmt::FunctionDef(def) if names.contains(&def.name.as_str()) => Some(def.start()),
        _ => None,
    }));
    starts
}

/// The start offsets of the nested `def`s of `locked` (a locked block of
/// the function whose body is `function_body`) that the function names
/// only to call them, inside that block: they run while its locks are
/// held. One that is returned, stored, handed on or called later is not.
pub(crate) fn helpers_called_in_place(function_body: &[Stmt], locked: &[Stmt]) -> Vec<TextSize> {
    let helpers = locked.iter().filter_map(|stmt| match stmt {
        Stmt::FunctionDef(def) if !def.is_async => Some(def),
        _ => None,
    });
    helpers
        .filter(|def| {
            let name = def.name.as_str();
            let mut calls = 0;
            for_each_own_call(locked, |call| {
                calls += usize::from(
                    matches!(call.func.as_ref(), Expr::Name(callee) if callee.id.as_str() == name),
                );
            });
            calls > 0 && calls == loads_of(function_body, name)
        })
        .map(|def| def.start())
        .collect()
}

/// How many times `body` reads the name `name`, nested code included.
fn loads_of(body: &[Stmt], name: &str) -> usize {
    struct Loads<'n> {
        name: &'n str,
        count: usize,
    }
    impl<'a> Visitor<'a> for Loads<'_> {
        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Name(read) = expr {
                self.count += usize::from(read.ctx.is_load() && read.id.as_str() == self.name);
            }
            visitor::walk_expr(self, expr);
        }
    }
    let mut loads = Loads { name, count: 0 };
    loads.visit_body(body);
    loads.count
}

/// Runs `on_call` on each call that `body` makes itself: not the calls in
/// nested functions, classes and lambdas, which happen when those run.
fn for_each_own_call<'a>(body: &'a [Stmt], on_call: impl FnMut(&'a ast::ExprCall)) {
    struct OwnCalls<F> {
        on_call: F,
    }
    impl<'a, F: FnMut(&'a ast::ExprCall)> Visitor<'a> for OwnCalls<F> {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                visitor::walk_stmt(self, stmt);
            }
        }

        fn visit_expr(&mut self, expr: &'a Expr) {
            if let Expr::Call(call) = expr {
                (self.on_call)(call);
            }
            if !matches!(expr, Expr::Lambda(_)) {
                visitor::walk_expr(self, expr);
            }
        }
    }
    OwnCalls { on_call }.visit_body(body);
}

/// The method `name` of `class` as Python binds it (its last definition),
/// if calling it runs its body: a coroutine function's body runs later.
fn method<'a>(class: &'a ast::StmtClassDef, name: &str) -> Option<&'a ast::StmtFunctionDef> {
    class_methods(class, name)
        .last()
        .filter(|def| !def.is_async)
}

/// The arguments of `call` bound to a parameter that `method` calls in its
/// own body (`body()`, not in a nested function): positionally after
/// `self`, or by keyword.
fn arguments_it_calls<'c>(method: &ast::StmtFunctionDef, call: &'c ast::ExprCall) -> Vec<&'c Expr> {
    let mut called = Vec::new();
    for_each_own_call(&method.body, |own_call| {
        if let Expr::Name(callee) = own_call.func.as_ref() {
            called.push(callee.id.as_str());
        }
    });
    let parameters = method
        .parameters
        .posonlyargs
        .iter()
        .chain(&method.parameters.args)
        .skip(1)
        .map(|parameter| parameter.parameter.name.as_str());
    let positional = call.arguments.args.iter().zip(parameters);
    let keywords = call.arguments.keywords.iter().filter_map(|keyword| {
        keyword
            .arg
            .as_ref()
            .map(|name| (&keyword.value, name.as_str()))
    });
    positional
        .chain(keywords)
        .filter(|(_, parameter)| called.contains(parameter))
        .map(|(argument, _)| argument)
        .collect()
}
