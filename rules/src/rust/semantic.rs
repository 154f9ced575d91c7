//! What the Rust checker knows at each point of its walk: `use` paths in
//! scope, the enclosing functions and whether they are async, the lock
//! guards alive, and the constructor types of `let` bindings.
//!
//! Everything is owned (strings and spans, no references into the tree) so
//! the checker can also walk expressions it parses out of macro bodies.

use rustc_hash::FxHashMap as HashMap;

use syn::spanned::Spanned;

use super::return_types::{function_return, method_return};
use crate::api::Span;

/// How a lock guard was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardKind {
    /// `.lock()` on a `Mutex`.
    Lock,
    /// `.read()` on an `RwLock`.
    Read,
    /// `.write()` on an `RwLock`.
    Write,
}

/// A lock guard alive at the current point of the walk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guard {
    /// The `let` binding holding it, if it is held by one.
    pub binding: Option<String>,
    /// Source text of the locked object: `self.accounts`, `STATE`.
    pub lock: String,
    pub kind: GuardKind,
    /// `.lock().await` (tokio's Mutex): an async lock, fine across `.await`.
    pub is_async: bool,
    /// The acquiring call.
    pub span: Span,
}

/// What kind of code an enclosing frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameKind {
    Fn,
    Closure,
    AsyncBlock,
}

/// A function, closure or async block being walked.
#[derive(Clone, Debug)]
pub struct Frame {
    pub kind: FrameKind,
    /// The function's name; empty for closures and async blocks.
    pub name: String,
    pub is_async: bool,
    pub span: Span,
}

#[derive(Default, Debug)]
pub(crate) struct UseScope {
    /// Local name -> full path: `slurp` -> `std::fs::read_to_string`.
    pub(crate) paths: HashMap<String, String>,
    /// Local variable -> the type its initialiser constructs; `None` when a
    /// later `let` of the same name has an unknown type (it shadows).
    pub(crate) locals: HashMap<String, Option<String>>,
}

#[derive(Default)]
pub(crate) struct Semantic {
    pub(crate) scopes: Vec<UseScope>,
    pub(crate) frames: Vec<Frame>,
    pub(crate) guards: Vec<Guard>,
    /// Self types of the `impl` blocks being walked, innermost last.
    pub(crate) impls: Vec<String>,
    /// `static` items of the file (any module): name -> is `static mut`.
    pub(crate) statics: HashMap<String, bool>,
    /// Struct name -> named field -> the field's type path, resolved through
    /// the file's `use` items (generic arguments dropped).
    pub(crate) fields: HashMap<String, HashMap<String, String>>,
}

impl Semantic {
    pub(crate) fn new(file: &syn::File) -> Self {
        let mut semantic = Semantic {
            scopes: vec![UseScope::default()],
            ..Semantic::default()
        };
        semantic.bind_items(&file.items);
        semantic.collect_statics(&file.items);
        semantic.collect_fields(&file.items);
        semantic
    }

    fn collect_fields(&mut self, items: &[syn::Item]) {
        for item in items {
            match item {
                syn::Item::Struct(item) => {
                    let fields = item
                        .fields
                        .iter()
                        .filter_map(|field| {
                            let name = field.ident.as_ref()?.to_string();
                            Some((name, self.type_path(&field.ty)?))
                        })
                        .collect();
                    self.fields.insert(item.ident.to_string(), fields);
                }
                syn::Item::Mod(module) => {
                    if let Some((_, items)) = &module.content {
                        self.collect_fields(items);
                    }
                }
                _ => {}
            }
        }
    }

    /// The resolved path of a named type, through references, parens and the
    /// smart pointers that method calls see through: `&mut Child` ->
    /// `std::process::Child` after `use std::process::Child;`,
    /// `Arc<tokio::sync::Mutex<T>>` -> `tokio::sync::Mutex`.
    pub(crate) fn type_path(&self, ty: &syn::Type) -> Option<String> {
        match ty {
            syn::Type::Path(path) if path.qself.is_none() => {
                let full = self.resolve_path(&path.path);
                if SMART_POINTERS.contains(&full.as_str()) {
                    let last = path.path.segments.last()?;
                    if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
                        if let Some(syn::GenericArgument::Type(inner)) = args.args.first() {
                            return self.type_path(inner);
                        }
                    }
                }
                Some(full)
            }
            syn::Type::Reference(reference) => self.type_path(&reference.elem),
            syn::Type::Paren(paren) => self.type_path(&paren.elem),
            syn::Type::Group(group) => self.type_path(&group.elem),
            _ => None,
        }
    }

    /// The type of field `field` of the innermost `impl` block's self type.
    fn self_field_type(&self, field: &str) -> Option<String> {
        let self_ty = self.impls.last()?;
        let name = self_ty.split('<').next()?.trim();
        self.fields.get(name)?.get(field).cloned()
    }

    fn collect_statics(&mut self, items: &[syn::Item]) {
        for item in items {
            match item {
                syn::Item::Static(item) => {
                    let mutable = matches!(item.mutability, syn::StaticMutability::Mut(_));
                    self.statics.insert(item.ident.to_string(), mutable);
                }
                syn::Item::Mod(module) => {
                    if let Some((_, items)) = &module.content {
                        self.collect_statics(items);
                    }
                }
                _ => {}
            }
        }
    }

    /// Binds the `use` items among `items` in the innermost scope: item
    /// scope in Rust is the whole block, wherever the `use` stands.
    pub(crate) fn bind_items<'i>(&mut self, items: impl IntoIterator<Item = &'i syn::Item>) {
        for item in items {
            if let syn::Item::Use(item_use) = item {
                let mut bindings = Vec::new();
                flatten_use_tree(&item_use.tree, String::new(), &mut bindings);
                let scope = self.scopes.last_mut().expect("file scope");
                scope.paths.extend(bindings);
            }
        }
    }

    /// The full path of `path` through the `use` items in scope:
    /// `thread::sleep` -> `std::thread::sleep` after `use std::thread;`.
    pub(crate) fn resolve_path(&self, path: &syn::Path) -> String {
        let mut segments = path
            .segments
            .iter()
            .map(|segment| segment.ident.to_string());
        let Some(first) = segments.next() else {
            return String::new();
        };
        let rest: Vec<String> = segments.collect();
        let head = if path.leading_colon.is_some() {
            first
        } else {
            self.scopes
                .iter()
                .rev()
                .find_map(|scope| scope.paths.get(&first).cloned())
                .unwrap_or(first)
        };
        let mut full = head;
        for segment in rest {
            full.push_str("::");
            full.push_str(&segment);
        }
        full
    }

    /// True when a scope binds `name` as a local (typed or not).
    pub(crate) fn binds_local(&self, name: &str) -> bool {
        self.scopes
            .iter()
            .any(|scope| scope.locals.contains_key(name))
    }

    /// The type a local variable was constructed as, if known.
    pub(crate) fn local_type(&self, name: &str) -> Option<&str> {
        self.scopes
            .iter()
            .rev()
            .find_map(|scope| scope.locals.get(name))?
            .as_deref()
    }

    /// The type an expression evaluates to, as far as constructors tell:
    /// `Command::new("ls").arg("-l")` is a `std::process::Command`,
    /// `TcpStream::connect(addr)?` is a `std::net::TcpStream`.
    pub(crate) fn infer_type(&self, expr: &syn::Expr) -> Option<String> {
        match strip_result_handling(expr) {
            syn::Expr::Call(call) => {
                let syn::Expr::Path(func) = call.func.as_ref() else {
                    return None;
                };
                let full = self.resolve_path(&func.path);
                if let Some(returned) = function_return(&full) {
                    return Some(returned.to_string());
                }
                let (ty, function) = full.rsplit_once("::")?;
                CONSTRUCTORS.contains(&function).then(|| ty.to_string())
            }
            syn::Expr::MethodCall(call) => {
                let receiver = self.infer_type(&call.receiver)?;
                let method = call.method.to_string();
                if let Some(returned) = method_return(&receiver, &method) {
                    return Some(returned.to_string());
                }
                BUILDER_METHODS
                    .contains(&method.as_str())
                    .then_some(receiver)
            }
            syn::Expr::Path(path) => {
                let ident = path.path.get_ident()?;
                self.local_type(&ident.to_string()).map(str::to_string)
            }
            syn::Expr::Field(field) => {
                let syn::Expr::Path(base) = field.base.as_ref() else {
                    return None;
                };
                let syn::Member::Named(name) = &field.member else {
                    return None;
                };
                if !base.path.is_ident("self") {
                    return None;
                }
                self.self_field_type(&name.to_string())
            }
            syn::Expr::Reference(reference) => self.infer_type(&reference.expr),
            syn::Expr::Paren(paren) => self.infer_type(&paren.expr),
            _ => None,
        }
    }

    /// `Some(guard)` when `expr` acquires a lock guard that outlives the
    /// expression if bound: `m.lock().unwrap()`, `rw.write()?`,
    /// `m.lock().await`.
    pub(crate) fn guard_of(&self, expr: &syn::Expr, source: &str) -> Option<Guard> {
        let (inner, is_async) = match strip_result_handling(expr) {
            syn::Expr::Await(await_expr) => (strip_result_handling(&await_expr.base), true),
            other => (other, false),
        };
        let syn::Expr::MethodCall(call) = inner else {
            return None;
        };
        let (lock, kind) = lock_acquisition(call)?;
        Some(Guard {
            binding: None,
            lock: span_text(source, lock.span().into()).to_string(),
            kind,
            is_async,
            span: call.span().into(),
        })
    }
}

/// `(locked object, kind)` for `x.lock()`, `x.read()`, `x.write()` with no
/// arguments (which tells a lock apart from `file.write(buf)`).
pub(crate) fn lock_acquisition(call: &syn::ExprMethodCall) -> Option<(&syn::Expr, GuardKind)> {
    if !call.args.is_empty() {
        return None;
    }
    let kind = match call.method.to_string().as_str() {
        "lock" | "try_lock" => GuardKind::Lock,
        "read" | "try_read" => GuardKind::Read,
        "write" | "try_write" => GuardKind::Write,
        _ => return None,
    };
    Some((&call.receiver, kind))
}

/// Constructor-like associated functions whose `Type::f(..)` yields a `Type`.
const CONSTRUCTORS: &[&str] = &[
    "new",
    "bind",
    "connect",
    "connect_timeout",
    "open",
    "create",
    "default",
    "with_capacity",
    "from_std",
];

/// Pointers whose methods are the pointee's, by auto-deref.
const SMART_POINTERS: &[&str] = &[
    "Arc",
    "std::sync::Arc",
    "alloc::sync::Arc",
    "Rc",
    "std::rc::Rc",
    "Box",
    "std::boxed::Box",
];

/// Builder methods that return the receiver's own type (and copies of it).
const BUILDER_METHODS: &[&str] = &[
    "clone",
    "try_clone",
    "arg",
    "args",
    "env",
    "envs",
    "env_clear",
    "env_remove",
    "current_dir",
    "stdin",
    "stdout",
    "stderr",
    "kill_on_drop",
    "read",
    "write",
    "append",
    "truncate",
    "create",
];

/// Peels `?`, `.unwrap()`, `.expect(..)` and friends, which pass a value
/// through without changing what it is.
pub fn strip_result_handling(mut expr: &syn::Expr) -> &syn::Expr {
    loop {
        expr = match expr {
            syn::Expr::Try(try_expr) => &try_expr.expr,
            syn::Expr::Paren(paren) => &paren.expr,
            syn::Expr::MethodCall(call)
                if matches!(
                    call.method.to_string().as_str(),
                    "unwrap" | "expect" | "unwrap_or_else" | "unwrap_or_default"
                ) =>
            {
                &call.receiver
            }
            _ => return expr,
        };
    }
}

/// The source text of a span, empty when out of range.
pub(crate) fn span_text(source: &str, span: Span) -> &str {
    source
        .get(span.start as usize..span.end as usize)
        .unwrap_or_default()
}

fn flatten_use_tree(tree: &syn::UseTree, prefix: String, out: &mut Vec<(String, String)>) {
    let join = |name: &str| {
        if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}::{name}")
        }
    };
    match tree {
        syn::UseTree::Path(path) => {
            flatten_use_tree(&path.tree, join(&path.ident.to_string()), out)
        }
        syn::UseTree::Name(name) if name.ident == "self" => {
            if let Some(last) = prefix.rsplit("::").next() {
                out.push((last.to_string(), prefix.clone()));
            }
        }
        syn::UseTree::Name(name) => {
            let name = name.ident.to_string();
            out.push((name.clone(), join(&name)));
        }
        syn::UseTree::Rename(rename) => {
            out.push((rename.rename.to_string(), join(&rename.ident.to_string())));
        }
        syn::UseTree::Group(group) => {
            for tree in &group.items {
                flatten_use_tree(tree, prefix.clone(), out);
            }
        }
        // A glob binds names we cannot see; resolving through it would guess.
        syn::UseTree::Glob(_) => {}
    }
}
