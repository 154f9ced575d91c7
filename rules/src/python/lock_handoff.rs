//! Methods that give back a lock their caller took: `def send_and_recv(self):
//! ...; self.send_recv_lock.release()`, called as `self.send_recv_lock.acquire();
//! self.send_and_recv()`. After such a call the caller no longer holds the
//! lock, whatever its own block says. And methods whose whole job is to take
//! one (`def _acquire_write(self): self._lock.acquire_write()`): after the
//! call the caller holds it.

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{self as ast, Expr, Stmt};

use super::semantic::{body_after_docstring, lone_method_call, self_attribute};

/// The `self` attributes a method releases before it takes them itself
/// (in source order), or without taking them at all: locks its callers
/// hold when they call it.
pub(crate) fn locks_released_for_caller(def: &ast::StmtFunctionDef) -> Vec<&str> {
    let mut operations = LockOperations::default();
    operations.visit_body(&def.body);
    operations.released_first
}

/// The `self` lock a method takes and keeps for its caller, when taking it
/// is the method's whole body (a docstring aside): `self._lock.acquire()`,
/// or one such call in every branch of an `if` (`if self._use_rwlock:
/// self._lock.acquire_write() else: self._lock.acquire()`), the same lock
/// in each. A branch may be missing (`if self._lock: ..`), as the lock may
/// be optional.
pub(crate) fn lock_acquired_for_caller(def: &ast::StmtFunctionDef) -> Option<&Expr> {
    match body_after_docstring(&def.body) {
        [Stmt::If(if_stmt)] => {
            let lock = acquired_alone(&if_stmt.body)?;
            let same = |other: &Expr| self_attribute(other) == self_attribute(lock);
            if_stmt
                .elif_else_clauses
                .iter()
                .all(|clause| acquired_alone(&clause.body).is_some_and(same))
                .then_some(lock)
        }
        body => acquired_alone(body),
    }
}

/// The `self` lock of `body` when `body` is that lock's `acquire*()` call
/// alone.
fn acquired_alone(body: &[Stmt]) -> Option<&Expr> {
    let (lock, method) = lone_method_call(body)?;
    self_attribute(lock)?;
    takes_lock(method).then_some(lock)
}

/// `acquire`, and a reader-writer lock's `acquire_read` / `acquire_write`.
fn takes_lock(method: &str) -> bool {
    method == "acquire" || method.starts_with("acquire_")
}

/// `release`, `release_read`, `release_write`.
fn gives_back_lock(method: &str) -> bool {
    method == "release" || method.starts_with("release_")
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
                    let method = method.attr.as_str();
                    if takes_lock(method) {
                        self.taken.push(attr);
                    } else if gives_back_lock(method)
                        && !self.taken.contains(&attr)
                        && !self.released_first.contains(&attr)
                    {
                        self.released_first.push(attr);
                    }
                }
            }
        }
        visitor::walk_expr(self, expr);
    }
}
