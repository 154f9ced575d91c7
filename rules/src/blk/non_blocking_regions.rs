//! Python code that handles `BlockingIOError` runs on descriptors in
//! non-blocking mode: the BLK rules leave the calls inside alone.

use ruff_python_ast::{self as ast, Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use crate::python::PyContext;

/// Exceptions that only a non-blocking file descriptor or socket raises.
const WOULD_BLOCK_ERRORS: &[&str] = &[
    "builtins.BlockingIOError",
    "ssl.SSLWantReadError",
    "ssl.SSLWantWriteError",
];

/// The bodies of `try` statements that catch `BlockingIOError` (or ssl's
/// want-read/want-write): code whose author put the descriptor in
/// non-blocking mode and waits for readiness in the handler, as event loops
/// themselves do. Calls inside are not blocking.
#[derive(Default)]
pub struct NonBlockingRegions {
    bodies: Vec<TextRange>,
}

impl NonBlockingRegions {
    /// Records `stmt` if it is such a `try`; call from `on_stmt`, which runs
    /// before the body's expressions are visited.
    pub fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt) {
        let Stmt::Try(try_stmt) = stmt else { return };
        let (Some(first), Some(last)) = (try_stmt.body.first(), try_stmt.body.last()) else {
            return;
        };
        let catches_would_block = try_stmt.handlers.iter().any(|handler| {
            let ast::ExceptHandler::ExceptHandler(handler) = handler;
            let caught: Vec<&Expr> = match handler.type_.as_deref() {
                Some(Expr::Tuple(tuple)) => tuple.elts.iter().collect(),
                Some(single) => vec![single],
                None => Vec::new(),
            };
            caught.into_iter().any(|exception| {
                cx.resolve(exception)
                    .is_some_and(|name| WOULD_BLOCK_ERRORS.contains(&name.as_str()))
            })
        });
        if catches_would_block {
            self.bodies
                .push(TextRange::new(first.range().start(), last.range().end()));
        }
    }

    pub fn contains(&self, node: &impl Ranged) -> bool {
        let range = node.range();
        self.bodies.iter().any(|body| body.contains_range(range))
    }
}
