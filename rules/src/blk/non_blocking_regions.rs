//! Python code that the BLK rules leave alone although a listed name
//! matches: `try` bodies that handle `BlockingIOError`, sockets switched
//! with `setblocking(False)`, and calls whose result is awaited.

use rustc_hash::FxHashSet as HashSet;

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

/// Sockets put in non-blocking mode (`sock.setblocking(False)`,
/// `sock.settimeout(0)`), as (function start offset, receiver source text).
#[derive(Default)]
pub struct NonBlockingSockets {
    sockets: HashSet<(u32, String)>,
}

/// Identifies the innermost function (its start offset; 0 at module level).
fn function_key(cx: &PyContext<'_>) -> u32 {
    cx.function()
        .and_then(|frame| frame.def)
        .map_or(0, |def| def.range().start().to_u32())
}

/// `sock.setblocking(False)` or `sock.settimeout(0)`: the receiver.
fn switched_socket(call: &ast::ExprCall) -> Option<&Expr> {
    let Expr::Attribute(method) = call.func.as_ref() else {
        return None;
    };
    let [argument] = &*call.arguments.args else {
        return None;
    };
    let switches_off = match (method.attr.as_str(), argument) {
        ("setblocking", Expr::BooleanLiteral(literal)) => !literal.value,
        ("setblocking" | "settimeout", Expr::NumberLiteral(number)) => match &number.value {
            ast::Number::Int(int) => int.as_u8() == Some(0),
            ast::Number::Float(float) => *float == 0.0,
            ast::Number::Complex { .. } => false,
        },
        _ => false,
    };
    switches_off.then_some(method.value.as_ref())
}

impl NonBlockingSockets {
    /// Records the socket if `call` switches it to non-blocking mode;
    /// returns whether it did.
    pub fn on_call(&mut self, cx: &PyContext<'_>, call: &ast::ExprCall) -> bool {
        let Some(socket) = switched_socket(call) else {
            return false;
        };
        self.sockets
            .insert((function_key(cx), cx.text(socket).to_string()));
        true
    }

    /// A socket this function switched to non-blocking mode, or one kept on
    /// an object (`self._sock`), whose mode is set wherever the object is
    /// set up: event-loop code keeps its sockets there.
    pub fn contains(&self, cx: &PyContext<'_>, socket: &Expr) -> bool {
        if matches!(socket, Expr::Attribute(_)) {
            return true;
        }
        let key = (function_key(cx), cx.text(socket).to_string());
        self.sockets.contains(&key)
    }
}

/// Calls whose result is awaited (`await client.get(..)`): whatever the
/// inferred receiver type says, the code treats them as coroutines, so they
/// are not the blocking API (a client chosen at run time between a sync and
/// an async class, say).
#[derive(Default)]
pub struct AwaitedCalls {
    operands: HashSet<TextRange>,
}

impl AwaitedCalls {
    /// Records the operand of an `await`; call from `on_expr`, which sees
    /// the `await` before its operand.
    pub fn on_expr(&mut self, expr: &Expr) {
        if let Expr::Await(await_expr) = expr {
            self.operands.insert(await_expr.value.range());
        }
    }

    pub fn contains(&self, call: &impl Ranged) -> bool {
        self.operands.contains(&call.range())
    }
}
