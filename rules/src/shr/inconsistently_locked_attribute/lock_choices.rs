//! Where a class's author chose, path by path, whether the lock is needed:
//! branches that deliberately skip it, locked blocks that reset many
//! attributes at once, and double-checked one-time set-up. SHR003 trusts
//! these choices.

use rustc_hash::FxHashSet as HashSet;

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use super::{assigned_targets, reads_attribute, written_attribute};
use crate::python::{LockKind, PyContext};

/// Collects the branches of `body` that skip a lock the method takes on
/// another path: the other arm of `if self.lock: with self.lock: ..
/// else: ..`, or a fast path `if unlimited: self.n += 1; return` before a
/// `with self.lock:`. The author chose per path whether the lock is needed
/// (single-threaded mode, unlimited capacity); the rule trusts that choice.
pub(super) fn lock_free_branches(cx: &PyContext<'_>, body: &[Stmt], out: &mut Vec<TextRange>) {
    for (index, stmt) in body.iter().enumerate() {
        match stmt {
            Stmt::If(if_stmt) => {
                let branches: Vec<&[Stmt]> = std::iter::once(if_stmt.body.as_slice())
                    .chain(if_stmt.elif_else_clauses.iter().map(|c| c.body.as_slice()))
                    .collect();
                let locked: Vec<bool> = branches
                    .iter()
                    .map(|branch| takes_thread_lock(cx, branch))
                    .collect();
                let exits = |branch: &[Stmt]| {
                    matches!(branch.last(), Some(Stmt::Return(_) | Stmt::Raise(_)))
                };
                let later_locked = takes_thread_lock(cx, &body[index + 1..]);
                for (branch, &has_lock) in branches.iter().zip(&locked) {
                    let other_locked = locked.iter().any(|&l| l) || (later_locked && exits(branch));
                    if !has_lock && other_locked {
                        if let (Some(first), Some(last)) = (branch.first(), branch.last()) {
                            out.push(TextRange::new(first.start(), last.end()));
                        }
                    } else {
                        lock_free_branches(cx, branch, out);
                    }
                }
            }
            Stmt::For(ast::StmtFor { body, orelse, .. })
            | Stmt::While(ast::StmtWhile { body, orelse, .. }) => {
                lock_free_branches(cx, body, out);
                lock_free_branches(cx, orelse, out);
            }
            Stmt::With(with) => lock_free_branches(cx, &with.body, out),
            Stmt::Try(try_stmt) => {
                lock_free_branches(cx, &try_stmt.body, out);
                for handler in &try_stmt.handlers {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    lock_free_branches(cx, &handler.body, out);
                }
                lock_free_branches(cx, &try_stmt.orelse, out);
                lock_free_branches(cx, &try_stmt.finalbody, out);
            }
            _ => {}
        }
    }
}

/// True for the locked half of a double-checked one-time set-up: a `with
/// <thread lock>:` whose body starts by testing again what the method
/// tested before taking the lock (`if self._ready: return` both before
/// and inside, or `if not self._ready: with lock: if not self._ready:
/// ..`). The lock makes the set-up run once; the values it stores are not
/// thereby values every later update must lock for.
pub(super) fn is_once_setup_block(
    cx: &PyContext<'_>,
    def: &ast::StmtFunctionDef,
    with: &ast::StmtWith,
) -> bool {
    let Some(Stmt::If(recheck)) = with.body.first() else {
        return false;
    };
    if !enters_thread_lock(cx, with) {
        return false;
    }
    let test = cx.text(recheck.test.as_ref());
    def.body
        .iter()
        .take_while(|stmt| stmt.start() <= with.start())
        .any(|stmt| matches!(stmt, Stmt::If(first) if cx.text(first.test.as_ref()) == test))
}

/// Distinct attributes a locked block must store for it to count as a
/// reset of the object's state.
const RESET_BLOCK_MIN_ATTRIBUTES: usize = 5;

/// True for `with <thread lock>:` blocks that store fresh values into at
/// least [`RESET_BLOCK_MIN_ATTRIBUTES`] attributes of `self` (`self.x = 0`,
/// `self.buf = []`, ...): a reset or re-initialisation made atomic as a
/// whole. Such a block says readers must not see half a reset; it does not
/// say that each of those attributes is only ever updated under the lock.
pub(super) fn is_reset_block(cx: &PyContext<'_>, with: &ast::StmtWith) -> bool {
    if !enters_thread_lock(cx, with) {
        return false;
    }
    let mut stored = HashSet::default();
    collect_plain_stores(&with.body, &mut stored);
    stored.len() >= RESET_BLOCK_MIN_ATTRIBUTES
}

/// The `self` attributes that `body` stores values into without reading
/// them, looking into `if`/`try` blocks but not nested functions.
fn collect_plain_stores<'a>(body: &'a [Stmt], stored: &mut HashSet<&'a str>) {
    for stmt in body {
        match stmt {
            Stmt::Assign(assign) => {
                for target in assigned_targets(assign) {
                    if let (Expr::Attribute(_), Some(attr)) = (target, written_attribute(target)) {
                        if !reads_attribute(&assign.value, attr) {
                            stored.insert(attr);
                        }
                    }
                }
            }
            Stmt::AnnAssign(ast::StmtAnnAssign {
                target,
                value: Some(value),
                ..
            }) => {
                if let (Expr::Attribute(_), Some(attr)) =
                    (target.as_ref(), written_attribute(target))
                {
                    if !reads_attribute(value, attr) {
                        stored.insert(attr);
                    }
                }
            }
            Stmt::If(if_stmt) => {
                collect_plain_stores(&if_stmt.body, stored);
                for clause in &if_stmt.elif_else_clauses {
                    collect_plain_stores(&clause.body, stored);
                }
            }
            Stmt::Try(try_stmt) => {
                collect_plain_stores(&try_stmt.body, stored);
                collect_plain_stores(&try_stmt.finalbody, stored);
            }
            _ => {}
        }
    }
}

/// True for `with <thread lock>:` (not `async with`, not an asyncio lock).
fn enters_thread_lock(cx: &PyContext<'_>, with: &ast::StmtWith) -> bool {
    !with.is_async
        && with.items.iter().any(|item| {
            cx.lock_kind(&item.context_expr)
                .is_some_and(|kind| kind != LockKind::Async)
        })
}

/// True when `body` enters a thread lock with `with` somewhere.
fn takes_thread_lock(cx: &PyContext<'_>, body: &[Stmt]) -> bool {
    struct Finder<'c, 'a> {
        cx: &'c PyContext<'a>,
        found: bool,
    }
    impl<'v> ruff_python_ast::visitor::Visitor<'v> for Finder<'_, '_> {
        fn visit_stmt(&mut self, stmt: &'v Stmt) {
            if self.found {
                return;
            }
            if let Stmt::With(with) = stmt {
                if enters_thread_lock(self.cx, with) {
                    self.found = true;
                    return;
                }
            }
            if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
                ruff_python_ast::visitor::walk_stmt(self, stmt);
            }
        }
    }
    let mut finder = Finder { cx, found: false };
    for stmt in body {
        ruff_python_ast::visitor::Visitor::visit_stmt(&mut finder, stmt);
    }
    finder.found
}
