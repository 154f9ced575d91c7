//! Methods that give back a lock their caller took: `def send_and_recv(self):
//! ...; self.send_recv_lock.release()`, called as `self.send_recv_lock.acquire();
//! self.send_and_recv()`. After such a call the caller no longer holds the
//! lock, whatever its own block says.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};

use super::semantic::self_attribute;

/// The `self` attributes a method releases before it takes them itself
/// (in source order), or without taking them at all: locks its callers
/// hold when they call it.
pub(crate) fn locks_released_for_caller(def: &ast::StmtFunctionDef) -> Vec<&str> {
    let mut operations = LockOperations::default();
    operations.visit_body(&def.body);
    operations.released_first
}

#[derive(Default)]
struct LockOperations<'a> {
    taken: Vec<&'a str>,
    released_first: Vec<&'a str>,
}

impl<'a> Visitor<'a> for LockOperations<'a> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            // Nested functions and classes run at another time.
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
            Stmt::With(with) => {
                for item in &with.items {
                    if let Some(attr) = self_attribute(&item.context_expr) {
                        self.taken.push(attr);
                    }
                }
                visitor::walk_stmt(self, stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr {
            if let Expr::Attribute(method) = call.func.as_ref() {
                if let Some(attr) = self_attribute(&method.value) {
                    match method.attr.as_str() {
                        "acquire" => self.taken.push(attr),
                        "release"
                            if !self.taken.contains(&attr)
                                && !self.released_first.contains(&attr) =>
                        {
                            self.released_first.push(attr);
                        }
                        _ => {}
                    }
                }
            }
        }
        visitor::walk_expr(self, expr);
    }
}
