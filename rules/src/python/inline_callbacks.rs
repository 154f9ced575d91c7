//! Callbacks a method of the same class runs before it returns:
//! `with self._lock: self._transaction(lambda: self._record(..))`, where
//! `def _transaction(self, body): ...; return body()`. The callback runs
//! while the caller still holds its locks, so its body is walked with them
//! held, not with the fresh lock stack of code that runs later.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextSize};

use super::semantic::self_attribute;

/// The start offsets of the lambdas and nested `def`s in `body` (a locked
/// block of a method of `class`) that are handed to a method of `class`
/// which calls the matching parameter directly.
pub(crate) fn inline_callbacks(class: &ast::StmtClassDef, body: &[Stmt]) -> Vec<TextSize> {
    let mut handed = HandedToOwnMethods {
        class,
        lambdas: Vec::new(),
        names: Vec::new(),
    };
    handed.visit_body(body);
    let mut starts = handed.lambdas;
    starts.extend(body.iter().filter_map(|stmt| match stmt {
        Stmt::FunctionDef(def) if handed.names.contains(&def.name.as_str()) => Some(def.start()),
        _ => None,
    }));
    starts
}

/// Arguments of `self.method(..)` calls whose method runs them.
struct HandedToOwnMethods<'a> {
    class: &'a ast::StmtClassDef,
    lambdas: Vec<TextSize>,
    names: Vec<&'a str>,
}

impl<'a> Visitor<'a> for HandedToOwnMethods<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        // A nested function's own calls happen when it runs.
        if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
            visitor::walk_stmt(self, stmt);
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr {
            if let Some(method) =
                self_attribute(&call.func).and_then(|name| method(self.class, name))
            {
                for argument in arguments_it_calls(method, call) {
                    match argument {
                        Expr::Lambda(lambda) => self.lambdas.push(lambda.start()),
                        Expr::Name(name) => self.names.push(name.id.as_str()),
                        _ => {}
                    }
                }
            }
        }
        if !matches!(expr, Expr::Lambda(_)) {
            visitor::walk_expr(self, expr);
        }
    }
}

fn method<'a>(class: &'a ast::StmtClassDef, name: &str) -> Option<&'a ast::StmtFunctionDef> {
    class.body.iter().find_map(|stmt| match stmt {
        Stmt::FunctionDef(def) if def.name.as_str() == name && !def.is_async => Some(def),
        _ => None,
    })
}

/// The arguments of `call` bound to a parameter that `method` calls in its
/// own body (`body()`, not in a nested function): positionally after
/// `self`, or by keyword.
fn arguments_it_calls<'c>(method: &ast::StmtFunctionDef, call: &'c ast::ExprCall) -> Vec<&'c Expr> {
    let parameters: Vec<&str> = method
        .parameters
        .posonlyargs
        .iter()
        .chain(&method.parameters.args)
        .skip(1)
        .map(|parameter| parameter.parameter.name.as_str())
        .collect();
    let positional = call.arguments.args.iter().zip(parameters.iter().copied());
    let keywords = call.arguments.keywords.iter().filter_map(|keyword| {
        keyword
            .arg
            .as_ref()
            .map(|name| (&keyword.value, name.as_str()))
    });
    positional
        .chain(keywords)
        .filter(|(_, parameter)| calls_name(&method.body, parameter))
        .map(|(argument, _)| argument)
        .collect()
}

/// True when `body` calls `name(..)` outside nested functions.
fn calls_name(body: &[Stmt], name: &str) -> bool {
    struct Calls<'n> {
        name: &'n str,
        found: bool,
    }
    impl<'v> Visitor<'v> for Calls<'_> {
        fn visit_stmt(&mut self, stmt: &'v Stmt) {
            if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                visitor::walk_stmt(self, stmt);
            }
        }
        fn visit_expr(&mut self, expr: &'v Expr) {
            if let Expr::Call(call) = expr {
                if matches!(call.func.as_ref(), Expr::Name(callee) if callee.id.as_str() == self.name)
                {
                    self.found = true;
                }
            }
            if !matches!(expr, Expr::Lambda(_)) {
                visitor::walk_expr(self, expr);
            }
        }
    }
    let mut calls = Calls { name, found: false };
    calls.visit_body(body);
    calls.found
}
