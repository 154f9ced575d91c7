//! The one walk over a Rust file. It keeps the [semantic
//! model](super::semantic) up to date and hands items, expressions, `let`
//! statements and macro invocations to the enabled rules' hooks.

use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};

use super::semantic::{span_text, Frame, FrameKind, Guard, Semantic, UseScope};
use super::test_file::is_test_file;
use crate::api::{Diagnostic, FilePlace, RuleEntry, Settings, Span};
use crate::blk::CallFacts;

/// A rule's Rust check. Every hook has a no-op default. Hooks run pre-order:
/// `on_expr` for an `.await` sees the guards alive at that point.
pub trait RustRule: Send {
    fn on_item(&mut self, _cx: &RsContext<'_>, _item: &syn::Item, _out: &mut Vec<Diagnostic>) {}

    fn on_expr(&mut self, _cx: &RsContext<'_>, _expr: &syn::Expr, _out: &mut Vec<Diagnostic>) {}

    /// A `let` statement, after its initialiser was walked.
    fn on_local(&mut self, _cx: &RsContext<'_>, _local: &syn::Local, _out: &mut Vec<Diagnostic>) {}

    /// Any macro invocation (item, statement or expression position). Its
    /// tokens are not parsed by syn; comma-separated expression arguments are
    /// walked afterwards like ordinary code.
    fn on_macro(&mut self, _cx: &RsContext<'_>, _mac: &syn::Macro, _out: &mut Vec<Diagnostic>) {}

    /// After a function, closure or async block; [`RsContext::frame`] is
    /// still that frame.
    fn on_frame_exit(&mut self, _cx: &RsContext<'_>, _out: &mut Vec<Diagnostic>) {}

    /// After the whole file: for rules that compare places across it.
    fn on_file_exit(&mut self, _cx: &RsContext<'_>, _out: &mut Vec<Diagnostic>) {}

    /// After the walk: what the rule gathered for its project-wide half
    /// (BLK006's calls), if it has one.
    fn take_facts(&mut self) -> Option<CallFacts> {
        None
    }
}

/// What a rule can ask about the point of the walk it is called at.
pub struct RsContext<'a> {
    source: &'a str,
    settings: &'a Settings,
    /// Test code by its place or its content (see [`RsContext::in_test_file`]).
    test_file: bool,
    semantic: Semantic,
}

impl<'a> RsContext<'a> {
    pub fn source(&self) -> &'a str {
        self.source
    }

    pub fn settings(&self) -> &'a Settings {
        self.settings
    }

    /// True when the whole file is test code: test support by its place in
    /// the project (see [`FilePlace::of`]), or a test or benchmark by its
    /// content (a top-level `#[test]` function, a `criterion`/`divan`
    /// harness, a top-level `main` that asserts). It runs for a test, not
    /// for a service's life.
    pub fn in_test_file(&self) -> bool {
        self.test_file
    }

    /// The source text of a node.
    pub fn text(&self, node: &impl Spanned) -> &'a str {
        span_text(self.source, node.span().into())
    }

    /// The full path of a path through the `use` items in scope.
    pub fn resolve_path(&self, path: &syn::Path) -> String {
        self.semantic.resolve_path(path)
    }

    /// The full path of the function a call expression calls, if it calls
    /// a path (not a closure or method).
    pub fn callee_path(&self, call: &syn::ExprCall) -> Option<String> {
        match call.func.as_ref() {
            syn::Expr::Path(path) => Some(self.resolve_path(&path.path)),
            _ => None,
        }
    }

    /// The type an expression evaluates to, as far as constructors and
    /// builder chains tell (`Command::new(..).arg(..)`, a `let` bound to one).
    pub fn infer_type(&self, expr: &syn::Expr) -> Option<String> {
        self.semantic.infer_type(expr)
    }

    /// True when the innermost function, closure or block is async.
    pub fn in_async(&self) -> bool {
        self.semantic
            .frames
            .last()
            .is_some_and(|frame| frame.is_async)
    }

    /// The innermost function, closure or async block.
    pub fn frame(&self) -> Option<&Frame> {
        self.semantic.frames.last()
    }

    /// All enclosing frames, outermost first.
    pub fn frames(&self) -> &[Frame] {
        &self.semantic.frames
    }

    /// The innermost named function (skipping closures and async blocks).
    pub fn function(&self) -> Option<&Frame> {
        self.semantic
            .frames
            .iter()
            .rev()
            .find(|frame| frame.kind == FrameKind::Fn)
    }

    /// The self type of the innermost `impl` block, as written.
    pub fn impl_type(&self) -> Option<&str> {
        self.semantic.impls.last().map(String::as_str)
    }

    /// Lock guards alive at this point, in acquisition order. Guards of an
    /// enclosing function are not listed inside a closure or async block.
    pub fn guards(&self) -> &[Guard] {
        &self.semantic.guards
    }

    /// The guard an expression acquires, if it is a `.lock()` / `.read()` /
    /// `.write()` call (optionally unwrapped or awaited).
    pub fn guard_of(&self, expr: &syn::Expr) -> Option<Guard> {
        self.semantic.guard_of(expr, self.source)
    }

    /// True when `name` is a local variable or parameter here.
    pub fn is_local(&self, name: &str) -> bool {
        self.semantic.binds_local(name)
    }

    /// True when `name` is a `static mut` of this file.
    pub fn is_static_mut(&self, name: &str) -> bool {
        self.semantic.statics.get(name).copied().unwrap_or(false)
    }

    /// True when `name` is a `static` (mutable or not) of this file.
    pub fn is_static(&self, name: &str) -> bool {
        self.semantic.statics.contains_key(name)
    }
}

struct Checker<'a> {
    cx: RsContext<'a>,
    rules: Vec<Box<dyn RustRule>>,
    diagnostics: Vec<Diagnostic>,
}

/// Runs the enabled rules over one parsed file.
pub fn check(
    file: &syn::File,
    source: &str,
    settings: &Settings,
    rules: &[&'static RuleEntry],
) -> Vec<Diagnostic> {
    check_with_facts(file, source, FilePlace::Shipped, settings, rules).0
}

/// Runs the enabled rules over one parsed file; also returns the facts
/// gathered for project-wide rules.
pub fn check_with_facts(
    file: &syn::File,
    source: &str,
    place: FilePlace,
    settings: &Settings,
    rules: &[&'static RuleEntry],
) -> (Vec<Diagnostic>, Option<CallFacts>) {
    let rules: Vec<Box<dyn RustRule>> = rules
        .iter()
        .filter_map(|entry| entry.rust.map(|make| make()))
        .collect();
    if rules.is_empty() {
        return (Vec::new(), None);
    }
    let mut checker = Checker {
        cx: RsContext {
            source,
            settings,
            test_file: place.is_test_support() || is_test_file(file),
            semantic: Semantic::new(file),
        },
        rules,
        diagnostics: Vec::new(),
    };
    checker.visit_file(file);
    for rule in &mut checker.rules {
        rule.on_file_exit(&checker.cx, &mut checker.diagnostics);
    }
    let facts = checker.rules.iter_mut().find_map(|rule| rule.take_facts());
    (checker.diagnostics, facts)
}

impl Checker<'_> {
    /// Walks a function, closure or async block as its own frame, with no
    /// guards alive: it runs later, or elsewhere, than where it is written.
    fn in_frame(&mut self, frame: Frame, walk: impl FnOnce(&mut Self)) {
        let outer_guards = std::mem::take(&mut self.cx.semantic.guards);
        self.cx.semantic.frames.push(frame);
        walk(self);
        for rule in &mut self.rules {
            rule.on_frame_exit(&self.cx, &mut self.diagnostics);
        }
        self.cx.semantic.frames.pop();
        self.cx.semantic.guards = outer_guards;
    }

    fn in_scope(&mut self, walk: impl FnOnce(&mut Self)) {
        self.cx.semantic.scopes.push(UseScope::default());
        walk(self);
        self.cx.semantic.scopes.pop();
    }

    fn visit_fn(&mut self, sig: &syn::Signature, block: &syn::Block) {
        let frame = Frame {
            kind: FrameKind::Fn,
            name: sig.ident.to_string(),
            is_async: sig.asyncness.is_some(),
            span: sig.ident.span().into(),
        };
        self.in_frame(frame, |checker| {
            checker.in_scope(|checker| {
                checker.bind_parameters(sig);
                checker.visit_block(block);
            });
        });
    }

    /// Records the declared types of a function's parameters as local types:
    /// `child: &mut std::process::Child`.
    fn bind_parameters(&mut self, sig: &syn::Signature) {
        for input in &sig.inputs {
            let syn::FnArg::Typed(typed) = input else {
                continue;
            };
            let Some(name) = bound_name(&typed.pat) else {
                continue;
            };
            let ty = self.cx.semantic.type_path(&typed.ty);
            let scope = self.cx.semantic.scopes.last_mut().expect("parameter scope");
            scope.locals.insert(name, ty);
        }
    }

    /// A guard passed by value (`drop(guard)`, `std::mem::drop(guard)`,
    /// `consume(guard)`) is moved: its life in this function ends there,
    /// before its block does. A reference (`&guard`) does not move it.
    fn release_moved_guards<'e>(&mut self, args: impl IntoIterator<Item = &'e syn::Expr>) {
        for arg in args {
            let syn::Expr::Path(arg) = arg else {
                continue;
            };
            let Some(ident) = arg.path.get_ident() else {
                continue;
            };
            let name = ident.to_string();
            if let Some(index) = self
                .cx
                .semantic
                .guards
                .iter()
                .rposition(|guard| guard.binding.as_deref() == Some(name.as_str()))
            {
                self.cx.semantic.guards.remove(index);
            }
        }
    }
}

/// The variable a `let` pattern binds, when it binds exactly one.
fn bound_name(pat: &syn::Pat) -> Option<String> {
    match pat {
        syn::Pat::Ident(ident) => Some(ident.ident.to_string()),
        syn::Pat::Type(typed) => bound_name(&typed.pat),
        _ => None,
    }
}

impl<'ast> Visit<'ast> for Checker<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        for rule in &mut self.rules {
            rule.on_item(&self.cx, item, &mut self.diagnostics);
        }
        visit::visit_item(self, item);
    }

    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        for attr in &item.attrs {
            self.visit_attribute(attr);
        }
        self.visit_fn(&item.sig, &item.block);
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.visit_fn(&item.sig, &item.block);
    }

    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        if let Some(block) = &item.default {
            self.visit_fn(&item.sig, block);
        }
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        let self_ty = span_text(self.cx.source, item.self_ty.span().into()).to_string();
        self.cx.semantic.impls.push(self_ty);
        visit::visit_item_impl(self, item);
        self.cx.semantic.impls.pop();
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.in_scope(|checker| {
            if let Some((_, items)) = &item.content {
                checker.cx.semantic.bind_items(items);
            }
            visit::visit_item_mod(checker, item);
        });
    }

    fn visit_block(&mut self, block: &'ast syn::Block) {
        let alive = self.cx.semantic.guards.len();
        self.in_scope(|checker| {
            let items = block.stmts.iter().filter_map(|stmt| match stmt {
                syn::Stmt::Item(item) => Some(item),
                _ => None,
            });
            checker.cx.semantic.bind_items(items);
            visit::visit_block(checker, block);
        });
        // Guards bound in this block are dropped at its end.
        self.cx
            .semantic
            .guards
            .truncate(alive.min(self.cx.semantic.guards.len()));
    }

    fn visit_local(&mut self, local: &'ast syn::Local) {
        visit::visit_local(self, local);
        let name = bound_name(&local.pat);
        if let Some(init) = &local.init {
            // `let _ = m.lock()` drops the guard at once; only a named
            // binding keeps it alive.
            if let (Some(mut guard), Some(name)) = (self.cx.guard_of(&init.expr), name.clone()) {
                if name != "_" {
                    guard.binding = Some(name);
                    self.cx.semantic.guards.push(guard);
                }
            }
            if let Some(name) = name {
                let ty = self.cx.semantic.infer_type(&init.expr);
                let scope = self.cx.semantic.scopes.last_mut().expect("block scope");
                scope.locals.insert(name, ty);
            }
        }
        for rule in &mut self.rules {
            rule.on_local(&self.cx, local, &mut self.diagnostics);
        }
    }

    fn visit_expr(&mut self, expr: &'ast syn::Expr) {
        for rule in &mut self.rules {
            rule.on_expr(&self.cx, expr, &mut self.diagnostics);
        }
        match expr {
            syn::Expr::Closure(closure) => {
                let frame = Frame {
                    kind: FrameKind::Closure,
                    name: String::new(),
                    is_async: closure.asyncness.is_some(),
                    span: closure.or1_token.span.into(),
                };
                self.in_frame(frame, |checker| visit::visit_expr_closure(checker, closure));
            }
            syn::Expr::Async(async_block) => {
                let frame = Frame {
                    kind: FrameKind::AsyncBlock,
                    name: String::new(),
                    is_async: true,
                    span: async_block.async_token.span.into(),
                };
                self.in_frame(frame, |checker| {
                    visit::visit_expr_async(checker, async_block)
                });
            }
            syn::Expr::Call(call) => {
                visit::visit_expr_call(self, call);
                self.release_moved_guards(&call.args);
            }
            syn::Expr::MethodCall(call) => {
                visit::visit_expr_method_call(self, call);
                self.release_moved_guards(&call.args);
            }
            _ => visit::visit_expr(self, expr),
        }
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        for rule in &mut self.rules {
            rule.on_macro(&self.cx, mac, &mut self.diagnostics);
        }
        // `vec![..]`, `println!(..)`, `tokio::join!(..)`: walk arguments
        // that parse as expressions so calls inside them are seen too.
        if let Ok(args) =
            mac.parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        {
            for arg in &args {
                self.visit_expr(arg);
            }
        }
    }
}

/// The span of a node, for rules.
pub fn span_of(node: &impl Spanned) -> Span {
    node.span().into()
}
