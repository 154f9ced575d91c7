//! Finds calls to listed blocking APIs in an async fn body.
//!
//! The macro sees only the body, not the module's `use` items, so a call
//! path matches an entry when it equals it or is a suffix of it with at
//! least two segments (`thread::sleep`, `fs::read`, `File::open`). Method
//! entries match calls on locals built in the body (`let c =
//! Command::new(..)`, `let s: UdpSocket = ..`) and on builder chains
//! rooted at a constructor (`Command::new(..).arg(..).output()`).
//!
//! Not reported: calls inside the closure handed to `spawn_blocking`,
//! `block_in_place` or `thread::spawn`, calls that are `.await`ed directly
//! (an awaited `fs::read` is `tokio::fs::read`), and nested `fn` items.

use super::blocking_list::{Entry, Kind};
use crate::attr::segments;
use proc_macro2::TokenStream;
use quote::ToTokens;
use std::collections::HashMap;
use syn::visit::Visit;

/// Entry points whose closure argument runs off the async executor,
/// matched on the last path segment or method name.
const OFFLOADERS: &[&str] = &["spawn_blocking", "block_in_place"];

/// `thread::spawn(..)`: its closure runs on a new OS thread. Matched as a
/// path suffix, since a bare `spawn` is usually a task spawn.
const THREAD_SPAWN: [&str; 2] = ["thread", "spawn"];

/// Methods whose result type the body does not show but a `method` entry
/// needs: `(receiver type, method, result type)`.
const RESULT_TYPES: &[(&str, &str, &[&str])] = &[("Command", "spawn", &["Child"])];

/// A reported call.
pub struct BlockingCall {
    /// What the error spans: the called path or the method name.
    pub tokens: TokenStream,
    /// The call as written.
    pub written: String,
    pub entry: &'static Entry,
}

impl BlockingCall {
    pub fn message(&self) -> String {
        format!(
            "blocking call `{}` ({}, {}) in a #[nonblocking] async fn: it stalls the executor thread; {}, or move it into `tokio::task::spawn_blocking`",
            self.written,
            self.entry.display_path(),
            self.entry.code,
            self.entry.advice(),
        )
    }
}

pub fn blocking_calls(body: &syn::Block, entries: &'static [Entry]) -> Vec<BlockingCall> {
    let mut finder = Finder {
        entries,
        locals: HashMap::new(),
        found: Vec::new(),
    };
    finder.visit_block(body);
    finder.found
}

struct Finder {
    entries: &'static [Entry],
    /// Local name -> type path, for locals whose type the body shows.
    locals: HashMap<String, Vec<String>>,
    found: Vec<BlockingCall>,
}

impl Finder {
    fn check_fn(&mut self, path: &syn::Path) {
        let written = segments(path);
        let entry = self
            .entries
            .iter()
            .filter(|entry| entry.kind == Kind::Fn)
            .find(|entry| fn_matches(&written, &entry.path));
        if let Some(entry) = entry {
            self.found.push(BlockingCall {
                tokens: path.to_token_stream(),
                written: written.join("::"),
                entry,
            });
        }
    }

    fn check_method(&mut self, call: &syn::ExprMethodCall) {
        let Some(receiver_type) = self.receiver_type(&call.receiver) else {
            return;
        };
        let method = call.method.to_string();
        let entry = self
            .entries
            .iter()
            .filter(|entry| entry.kind == Kind::Method)
            .find(|entry| {
                let Some((entry_method, entry_type)) = entry.path.split_last() else {
                    return false;
                };
                *entry_method == method && entry_type.ends_with(&receiver_type)
            });
        if let Some(entry) = entry {
            self.found.push(BlockingCall {
                tokens: call.method.to_token_stream(),
                written: format!("{}::{method}", receiver_type.join("::")),
                entry,
            });
        }
    }

    /// The type of a method receiver: a tracked local, or the root
    /// constructor of a builder chain.
    fn receiver_type(&self, receiver: &syn::Expr) -> Option<Vec<String>> {
        match strip_unwrap(receiver) {
            syn::Expr::Path(path) => {
                let ident = path.path.get_ident()?;
                self.locals.get(&ident.to_string()).cloned()
            }
            syn::Expr::MethodCall(call) => self.receiver_type(&call.receiver),
            syn::Expr::Reference(reference) => self.receiver_type(&reference.expr),
            syn::Expr::Paren(paren) => self.receiver_type(&paren.expr),
            other => constructed_type(other),
        }
    }

    fn track_local(&mut self, local: &syn::Local) {
        let (name, annotated) = match &local.pat {
            syn::Pat::Ident(ident) => (ident.ident.to_string(), None),
            syn::Pat::Type(typed) => match (&*typed.pat, &*typed.ty) {
                (syn::Pat::Ident(ident), syn::Type::Path(ty)) => {
                    (ident.ident.to_string(), Some(segments(&ty.path)))
                }
                _ => return,
            },
            _ => return,
        };
        let inferred = local
            .init
            .as_ref()
            .and_then(|init| self.value_type(strip_unwrap(&init.expr)));
        match annotated.or(inferred) {
            Some(ty) => self.locals.insert(name, ty),
            // Shadowed by something we cannot type: forget the old binding.
            None => self.locals.remove(&name),
        };
    }

    /// The type of a `let` initialiser: a constructor call, or a method
    /// whose result type is known (`command.spawn()` is a `Child`).
    fn value_type(&self, init: &syn::Expr) -> Option<Vec<String>> {
        if let syn::Expr::MethodCall(call) = init {
            let receiver = self.receiver_type(&call.receiver)?;
            let receiver = receiver.last()?;
            return RESULT_TYPES
                .iter()
                .find(|(ty, method, _)| receiver == ty && call.method == method)
                .map(|(_, _, result)| result.iter().map(ToString::to_string).collect());
        }
        constructed_type(init)
    }

    /// Visit a directly awaited call's parts without checking the call.
    fn visit_awaited(&mut self, expr: &syn::Expr) {
        match expr {
            syn::Expr::Call(call) => {
                self.visit_expr(&call.func);
                call.args.iter().for_each(|arg| self.visit_expr(arg));
            }
            syn::Expr::MethodCall(call) => {
                self.visit_expr(&call.receiver);
                call.args.iter().for_each(|arg| self.visit_expr(arg));
            }
            other => self.visit_expr(other),
        }
    }
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let syn::Expr::Path(func) = &*call.func {
            let written = segments(&func.path);
            let is_offloader = written
                .last()
                .is_some_and(|last| OFFLOADERS.contains(&last.as_str()))
                || written.ends_with(&THREAD_SPAWN.map(String::from));
            if is_offloader {
                return;
            }
            self.check_fn(&func.path);
        }
        syn::visit::visit_expr_call(self, call);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if OFFLOADERS.contains(&call.method.to_string().as_str()) {
            self.visit_expr(&call.receiver);
            return;
        }
        self.check_method(call);
        syn::visit::visit_expr_method_call(self, call);
    }

    fn visit_expr_await(&mut self, awaited: &'ast syn::ExprAwait) {
        self.visit_awaited(&awaited.base);
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        // The initialiser runs before the binding exists.
        if let Some(init) = &local.init {
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
        self.track_local(local);
    }

    fn visit_item(&mut self, _item: &'ast syn::Item) {
        // A nested item is not part of the async body.
    }
}

/// `fn` entry matching: equal, or a suffix of at least two segments; for a
/// `module::*` entry, a path whose leading part is a suffix of `module`.
fn fn_matches(written: &[String], entry: &[String]) -> bool {
    if written.len() < 2 {
        return false;
    }
    match entry.split_last() {
        Some((last, module)) if last == "*" => {
            (1..written.len()).any(|split| module.ends_with(&written[..split]))
        }
        _ => entry.ends_with(written),
    }
}

/// The type a constructor call builds: `Type::new(..)` -> `Type`, `a::Type::bind(..)` -> `a::Type`.
fn constructed_type(expr: &syn::Expr) -> Option<Vec<String>> {
    let syn::Expr::Call(call) = expr else {
        return None;
    };
    let syn::Expr::Path(func) = &*call.func else {
        return None;
    };
    let mut path = segments(&func.path);
    path.pop();
    let is_type = path
        .last()
        .is_some_and(|name| name.starts_with(char::is_uppercase));
    is_type.then_some(path)
}

/// Look through `?`, `.unwrap()` and `.expect(..)`, which keep the type.
fn strip_unwrap(expr: &syn::Expr) -> &syn::Expr {
    match expr {
        syn::Expr::Try(inner) => strip_unwrap(&inner.expr),
        syn::Expr::MethodCall(call) if call.method == "unwrap" || call.method == "expect" => {
            strip_unwrap(&call.receiver)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::super::blocking_list::entries;
    use super::*;

    fn found(body: &str) -> Vec<String> {
        let block: syn::Block = syn::parse_str(body).expect("test body parses");
        blocking_calls(&block, entries())
            .into_iter()
            .map(|call| call.written)
            .collect()
    }

    #[test]
    fn flags_suffix_paths_and_wildcards() {
        assert_eq!(
            found("{ thread::sleep(d); std::thread::sleep(d); fs::read_to_string(p); File::open(p); ureq::get(u); }"),
            ["thread::sleep", "std::thread::sleep", "fs::read_to_string", "File::open", "ureq::get"]
        );
    }

    #[test]
    fn ignores_single_segments_awaited_calls_and_offloaded_closures() {
        assert!(found("{ sleep(d); tokio::time::sleep(d).await; fs::read(p).await; tokio::task::spawn_blocking(move || std::fs::read(p)); }").is_empty());
        assert!(found("{ std::thread::spawn(move || thread::sleep(d)); handle.spawn_blocking(|| fs::read(p)); }").is_empty());
        assert_eq!(
            found("{ tokio::spawn(async { thread::sleep(d) }); }"),
            ["thread::sleep"]
        );
    }

    #[test]
    fn flags_methods_on_tracked_locals_and_chains() {
        assert_eq!(
            found("{ let mut c = Command::new(\"ls\"); c.arg(\"-l\"); c.output(); Command::new(\"x\").arg(\"y\").status().unwrap(); let s = UdpSocket::bind(a)?; s.send(b); }"),
            ["Command::output", "Command::status", "UdpSocket::send"]
        );
        assert_eq!(
            found("{ let mut child = Command::new(\"x\").spawn()?; child.wait()?; }"),
            ["Child::wait"]
        );
    }

    #[test]
    fn forgets_shadowed_locals_and_skips_nested_fns() {
        assert!(found("{ let c = Command::new(\"ls\"); let c = other(); c.output(); fn helper() { std::thread::sleep(d) } }").is_empty());
    }
}
