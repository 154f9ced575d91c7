use rustc_hash::FxHashSet as HashSet;

use ruff_python_ast::{Expr, Stmt};

use crate::api::{Diagnostic, RuleEntry, Span};
use crate::blk::{
    python_blocking_callee, rust_blocking_callee, rust_call_span, AwaitedCalls, BlockingMatcher,
    NonBlockingRegions, NonBlockingSockets,
};
use crate::declare_rule;
use crate::python::{PyContext, PythonRule};
use crate::rust::{RsContext, RustRule};

declare_rule! {
    /// ## What it does
    /// Flags blocking network calls inside async code: `requests`,
    /// `urllib.request.urlopen`, `httpx`'s sync API and `httpx.Client`,
    /// `urllib3` pools, `http.client` connections and blocking sockets in an
    /// `async def`; `reqwest::blocking`, `ureq`, `std::net::TcpStream::connect`
    /// and `std::net::UdpSocket` I/O in an `async fn` or `async` block.
    ///
    /// ## Why is this bad?
    /// A network round trip takes milliseconds to seconds, and a timeout far
    /// longer. For all that time the event loop (asyncio) or a runtime worker
    /// thread (tokio) runs nothing else: one slow upstream stalls every
    /// request the process serves. `reqwest::blocking` inside a tokio runtime
    /// can also panic.
    ///
    /// ## Example
    /// ```python
    /// @app.get("/users/{user_id}")
    /// async def user(user_id: str):
    ///     return requests.get(f"{USERS_API}/{user_id}", timeout=5).json()
    /// ```
    /// ```rust
    /// async fn user(id: u64) -> reqwest::Result<String> {
    ///     reqwest::blocking::get(format!("{USERS_API}/{id}"))?.text()
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// @app.get("/users/{user_id}")
    /// async def user(user_id: str):
    ///     async with httpx.AsyncClient() as client:
    ///         response = await client.get(f"{USERS_API}/{user_id}", timeout=5)
    ///     return response.json()
    /// ```
    /// ```rust
    /// async fn user(client: &reqwest::Client, id: u64) -> reqwest::Result<String> {
    ///     client.get(format!("{USERS_API}/{id}")).send().await?.text().await
    /// }
    /// ```
    /// Code that must stay synchronous can run on a thread:
    /// `await asyncio.to_thread(..)`, `tokio::task::spawn_blocking`.
    ///
    /// ## Known limitations
    /// Session, client and socket methods are recognised only when the file
    /// shows the object's construction: bound to a local or module-level name
    /// (`s = requests.Session()`, `with httpx.Client() as c:`), or to an
    /// attribute that the class only ever sets to that type
    /// (`self._session = requests.Session()`); a client passed in as a
    /// parameter is not followed. In Rust, a method is recognised when its
    /// receiver's type is evident from a constructor (`UdpSocket::bind(..)`,
    /// `Client::new()`), a parameter's declared type or the declared type of
    /// a field of `self`.
    ///
    /// Sockets in non-blocking mode are left alone: one switched with
    /// `setblocking(False)` / `set_nonblocking(true)` in the same function,
    /// a call inside a `try` that catches `BlockingIOError`, and a Python
    /// socket kept on an object (`self._sock`), whose mode is set elsewhere.
    /// A Python call whose result is awaited (`await client.get(..)`) is
    /// taken for an async API and not flagged, whatever its receiver's
    /// inferred type.
    /// DNS lookups (`socket.getaddrinfo`) and other protocol libraries
    /// (`smtplib`, `ftplib`) are not listed.
    pub static BLOCKING_NETWORK_IN_ASYNC = {
        code: "BLK002",
        name: "blocking-network-in-async",
        summary: "blocking network call inside async code",
        languages: [Python, Rust],
        severity: Error,
        tags: ["concurrency", "async", "performance", "network"],
    };
}

pub const ENTRY: RuleEntry = RuleEntry {
    meta: &BLOCKING_NETWORK_IN_ASYNC,
    python: Some(|| Box::<BlockingNetworkInAsync>::default()),
    rust: Some(|| Box::<BlockingNetworkInAsync>::default()),
};

const PYTHON_NETWORK_CALLS: &[&str] = &[
    "requests.get",
    "requests.post",
    "requests.put",
    "requests.patch",
    "requests.delete",
    "requests.head",
    "requests.options",
    "requests.request",
    "requests.Session.get",
    "requests.Session.post",
    "requests.Session.put",
    "requests.Session.patch",
    "requests.Session.delete",
    "requests.Session.head",
    "requests.Session.options",
    "requests.Session.request",
    "requests.Session.send",
    "httpx.get",
    "httpx.post",
    "httpx.put",
    "httpx.patch",
    "httpx.delete",
    "httpx.head",
    "httpx.options",
    "httpx.request",
    "httpx.stream",
    "httpx.Client.get",
    "httpx.Client.post",
    "httpx.Client.put",
    "httpx.Client.patch",
    "httpx.Client.delete",
    "httpx.Client.head",
    "httpx.Client.options",
    "httpx.Client.request",
    "httpx.Client.send",
    "httpx.Client.stream",
    "urllib.request.urlopen",
    "urllib.request.urlretrieve",
    "urllib3.request",
    "urllib3.PoolManager.request",
    "urllib3.PoolManager.urlopen",
    "urllib3.PoolManager.request_encode_url",
    "urllib3.PoolManager.request_encode_body",
    "http.client.HTTPConnection.connect",
    "http.client.HTTPConnection.request",
    "http.client.HTTPConnection.getresponse",
    "socket.create_connection",
    "socket.socket.accept",
    "socket.socket.connect",
    "socket.socket.connect_ex",
    "socket.socket.recv",
    "socket.socket.recv_into",
    "socket.socket.recvfrom",
    "socket.socket.recvfrom_into",
    "socket.socket.recvmsg",
    "socket.socket.send",
    "socket.socket.sendall",
    "socket.socket.sendto",
    "socket.socket.sendmsg",
    "socket.socket.sendfile",
];

/// Per file: sockets and descriptors known to be in non-blocking mode.
#[derive(Default)]
struct BlockingNetworkInAsync {
    non_blocking_sockets: NonBlockingSockets,
    non_blocking: NonBlockingRegions,
    awaited: AwaitedCalls,
    /// Rust: (frame span, receiver text) of `x.set_nonblocking(true)`.
    non_blocking_rust_sockets: HashSet<(Option<Span>, String)>,
}

fn python_help(name: &str) -> &'static str {
    if name.starts_with("socket.") {
        "use `asyncio.open_connection(..)` or the `loop.sock_*` coroutines, or `await asyncio.to_thread(..)`"
    } else {
        "use `httpx.AsyncClient` or `aiohttp`, or `await asyncio.to_thread(..)`"
    }
}

pub(crate) fn blocking_matcher() -> Box<dyn BlockingMatcher> {
    Box::<BlockingNetworkInAsync>::default()
}

impl BlockingMatcher for BlockingNetworkInAsync {
    fn code(&self) -> &'static str {
        BLOCKING_NETWORK_IN_ASYNC.code
    }

    fn observe_python_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt) {
        self.non_blocking.on_stmt(cx, stmt);
    }

    fn observe_python_expr(&mut self, cx: &PyContext<'_>, expr: &Expr) {
        self.awaited.on_expr(expr);
        if let Expr::Call(call) = expr {
            self.non_blocking_sockets.on_call(cx, call);
        }
    }

    fn python_blocking(&self, cx: &PyContext<'_>, expr: &Expr) -> Option<String> {
        let Expr::Call(call) = expr else { return None };
        if self.non_blocking.contains(expr) || self.awaited.contains(expr) {
            return None;
        }
        let name = python_blocking_callee(
            cx,
            call,
            PYTHON_NETWORK_CALLS,
            BLOCKING_NETWORK_IN_ASYNC.code,
        )?;
        if let (true, Expr::Attribute(method)) =
            (name.starts_with("socket.socket."), call.func.as_ref())
        {
            if self.non_blocking_sockets.contains(cx, &method.value) {
                return None;
            }
        }
        Some(name)
    }

    fn observe_rust_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr) {
        if let Some(socket) = rust_switched_socket(expr) {
            let frame = cx.frame().map(|frame| frame.span);
            let receiver = cx.text(socket).to_string();
            self.non_blocking_rust_sockets.insert((frame, receiver));
        }
    }

    fn rust_blocking(&self, cx: &RsContext<'_>, expr: &syn::Expr) -> Option<String> {
        if let syn::Expr::MethodCall(call) = expr {
            let frame = cx.frame().map(|frame| frame.span);
            let receiver = cx.text(&call.receiver).to_string();
            if self.non_blocking_rust_sockets.contains(&(frame, receiver)) {
                return None;
            }
        }
        rust_blocking_callee(cx, expr, BLOCKING_NETWORK_IN_ASYNC.code)
    }
}

impl PythonRule for BlockingNetworkInAsync {
    fn on_stmt(&mut self, cx: &PyContext<'_>, stmt: &Stmt, _out: &mut Vec<Diagnostic>) {
        self.observe_python_stmt(cx, stmt);
    }

    fn on_expr(&mut self, cx: &PyContext<'_>, expr: &Expr, out: &mut Vec<Diagnostic>) {
        let switches_socket =
            matches!(expr, Expr::Call(call) if self.non_blocking_sockets.on_call(cx, call));
        self.awaited.on_expr(expr);
        if switches_socket || !cx.in_async() {
            return;
        }
        let Some(name) = self.python_blocking(cx, expr) else {
            return;
        };
        out.push(
            Diagnostic::new(
                &BLOCKING_NETWORK_IN_ASYNC,
                expr,
                format!("`{name}` blocks the event loop on network I/O inside `async def`"),
            )
            .with_help(python_help(&name)),
        );
    }
}

fn rust_help(callee: &str) -> &'static str {
    if callee.starts_with("std::net::") {
        "use `tokio::net`, or `tokio::task::spawn_blocking`, or mark the fn `#[harden_harness::nonblocking]`"
    } else {
        "use the async `reqwest::Client` (`.send().await`), or `tokio::task::spawn_blocking`, or mark the fn `#[harden_harness::nonblocking]`"
    }
}

/// `socket.set_nonblocking(true)`: the receiver.
fn rust_switched_socket(expr: &syn::Expr) -> Option<&syn::Expr> {
    let syn::Expr::MethodCall(call) = expr else {
        return None;
    };
    let is_true = matches!(
        call.args.first(),
        Some(syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Bool(flag), .. })) if flag.value
    );
    (call.method == "set_nonblocking" && is_true).then_some(&*call.receiver)
}

impl RustRule for BlockingNetworkInAsync {
    fn on_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr, out: &mut Vec<Diagnostic>) {
        if rust_switched_socket(expr).is_some() {
            self.observe_rust_expr(cx, expr);
            return;
        }
        if !cx.in_async() {
            return;
        }
        if let Some(callee) = self.rust_blocking(cx, expr) {
            out.push(
                Diagnostic::new(
                    &BLOCKING_NETWORK_IN_ASYNC,
                    rust_call_span(expr),
                    format!(
                        "`{callee}` blocks a runtime worker thread on network I/O inside async code"
                    ),
                )
                .with_help(rust_help(&callee)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    const HTTP_VERBS: &[&str] = &[
        "get", "post", "put", "patch", "delete", "head", "options", "request",
    ];

    #[test]
    fn every_http_verb_is_listed_for_every_sync_client() {
        for client in ["requests", "requests.Session", "httpx", "httpx.Client"] {
            for verb in HTTP_VERBS {
                let name = format!("{client}.{verb}");
                assert!(
                    super::PYTHON_NETWORK_CALLS.contains(&name.as_str()),
                    "{name} is not listed"
                );
            }
        }
    }
}
