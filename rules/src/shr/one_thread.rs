//! Signs that Python code runs on one thread at a time, whatever its
//! module imports: SHR001 stays silent there.

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::Ranged;

use crate::python::{is_test_function_name, runs_when_decorating, PyContext};

/// A program's `main` and test functions run on one thread (tests start
/// and join the threads they exercise); module-level code runs once at
/// import.
pub(crate) fn runs_single_threaded(cx: &PyContext<'_>) -> bool {
    cx.function().is_none()
        || cx
            .functions()
            .iter()
            .any(|frame| frame.name == "main" || is_test_function_name(frame.name))
        || cx.function().is_some_and(runs_when_decorating)
}

/// True for either half of a scope counter: `global depth; depth += 1`
/// directly followed by a `try` whose `finally` does `depth -= 1`. It
/// counts how deep the current call chain is (import tracing indentation)
/// or whether a long-running loop is active (`_is_running()`): state of
/// one caller's nesting, entered by one thread at a time in practice, not
/// a tally that several request threads update.
pub(crate) fn is_scope_counter(cx: &PyContext<'_>, stmt: &Stmt) -> bool {
    let Some(def) = cx.function().and_then(|frame| frame.def) else {
        return false;
    };
    let Stmt::AugAssign(update) = stmt else {
        return false;
    };
    let Expr::Name(name) = update.target.as_ref() else {
        return false;
    };
    let is_update = |candidate: &Stmt, op: ast::Operator| {
        matches!(candidate, Stmt::AugAssign(other)
            if other.op == op
                && matches!(other.target.as_ref(), Expr::Name(target) if target.id == name.id)
                && cx.text(other.value.as_ref()) == cx.text(update.value.as_ref()))
    };
    let is_scope_pair = |entry: &Stmt, next: Option<&Stmt>| {
        let Some(Stmt::Try(try_stmt)) = next else {
            return false;
        };
        is_update(entry, ast::Operator::Add)
            && try_stmt
                .finalbody
                .iter()
                .any(|exit| is_update(exit, ast::Operator::Sub))
            && (std::ptr::eq(entry, stmt)
                || try_stmt
                    .finalbody
                    .iter()
                    .any(|exit| std::ptr::eq(exit, stmt)))
    };
    let mut blocks = vec![def.body.as_slice()];
    while let Some(block) = blocks.pop() {
        for (index, entry) in block.iter().enumerate() {
            if entry.range().contains_range(stmt.range())
                || block
                    .get(index + 1)
                    .is_some_and(|next| next.range().contains_range(stmt.range()))
            {
                if is_scope_pair(entry, block.get(index + 1)) {
                    return true;
                }
                blocks.extend(nested_blocks(entry));
            }
        }
    }
    false
}

/// The statement lists directly inside a compound statement.
fn nested_blocks(stmt: &Stmt) -> Vec<&[Stmt]> {
    match stmt {
        Stmt::If(if_stmt) => std::iter::once(if_stmt.body.as_slice())
            .chain(
                if_stmt
                    .elif_else_clauses
                    .iter()
                    .map(|clause| clause.body.as_slice()),
            )
            .collect(),
        Stmt::For(for_stmt) => vec![&for_stmt.body, &for_stmt.orelse],
        Stmt::While(while_stmt) => vec![&while_stmt.body, &while_stmt.orelse],
        Stmt::With(with) => vec![&with.body],
        Stmt::Try(try_stmt) => {
            let mut blocks = vec![
                try_stmt.body.as_slice(),
                &try_stmt.orelse,
                &try_stmt.finalbody,
            ];
            for handler in &try_stmt.handlers {
                let ast::ExceptHandler::ExceptHandler(handler) = handler;
                blocks.push(&handler.body);
            }
            blocks
        }
        Stmt::Match(match_stmt) => match_stmt
            .cases
            .iter()
            .map(|case| case.body.as_slice())
            .collect(),
        _ => Vec::new(),
    }
}
