//! BLK006's share of the walk over a Rust file: its functions and
//! methods, the blocking calls in their bodies and their calls to paths
//! that may be functions of the crate, as [`CallFacts`].

use rustc_hash::FxHashMap as HashMap;

use crate::api::{Diagnostic, Span};
use crate::blk::call_graph::{
    Anchor, BlockingCall, CallFacts, CallTarget, FunctionFacts, ProjectCall,
};
use crate::blk::{blocking_matchers, rust_call_span, BlockingMatcher};
use crate::rust::{span_of, RsContext, RustRule};

pub(crate) struct RustCallFacts {
    matchers: Vec<Box<dyn BlockingMatcher>>,
    facts: CallFacts,
    /// Frame span (a function's name, an `async` token) -> index in
    /// `facts.functions`.
    functions: HashMap<Span, usize>,
    /// Inline modules outside functions, in walk order (outer first).
    modules: Vec<(Span, String)>,
}

impl Default for RustCallFacts {
    fn default() -> Self {
        Self {
            matchers: blocking_matchers(),
            facts: CallFacts::default(),
            functions: HashMap::default(),
            modules: Vec::new(),
        }
    }
}

/// `Config` for `impl Config` / `impl<T> Display for Config<T>`; `None`
/// for a type written as a path or anything else.
fn type_name(text: &str) -> Option<String> {
    let name = text.split('<').next()?.trim();
    let plain = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    plain.then(|| name.to_string())
}

impl RustCallFacts {
    /// The inline modules (`mod inner { .. }`) enclosing `span`.
    fn module_path(&self, span: Span) -> Vec<String> {
        self.modules
            .iter()
            .filter(|(module, _)| module.start <= span.start && span.end <= module.end)
            .map(|(_, name)| name.clone())
            .collect()
    }

    /// Records a function; `owner` is the `impl` type of a method, `None`
    /// inside for an `impl` of a type we cannot name.
    fn register(
        &mut self,
        cx: &RsContext<'_>,
        sig: &syn::Signature,
        owner: Option<Option<String>>,
    ) {
        let span = span_of(&sig.ident);
        let path = match owner {
            _ if !cx.frames().is_empty() => None,
            Some(None) => None,
            Some(Some(owner)) => Some(vec![owner]),
            None => Some(Vec::new()),
        }
        .map(|mut within| {
            let mut path = self.module_path(span);
            path.append(&mut within);
            path.push(sig.ident.to_string());
            path.join(".")
        });
        self.functions.insert(span, self.facts.functions.len());
        self.facts.functions.push(FunctionFacts {
            path,
            is_async: sig.asyncness.is_some(),
            ..FunctionFacts::default()
        });
    }

    /// The function or async code being walked; a sync closure is neither
    /// (it runs whenever its receiver calls it).
    fn current(&mut self, cx: &RsContext<'_>) -> Option<usize> {
        let frame = cx.frame()?;
        if let Some(&index) = self.functions.get(&frame.span) {
            return Some(index);
        }
        if !frame.is_async {
            return None;
        }
        let index = self.facts.functions.len();
        self.functions.insert(frame.span, index);
        self.facts.functions.push(FunctionFacts {
            is_async: true,
            ..FunctionFacts::default()
        });
        Some(index)
    }

    /// What `expr` calls, if it may be a function of the crate.
    fn target(&self, cx: &RsContext<'_>, expr: &syn::Expr) -> Option<CallTarget> {
        let segments: Vec<String> = match expr {
            syn::Expr::Call(call) => {
                let syn::Expr::Path(func) = call.func.as_ref() else {
                    return None;
                };
                if func.qself.is_some() || func.path.leading_colon.is_some() {
                    return None;
                }
                if let Some(ident) = func.path.get_ident() {
                    if cx.is_local(&ident.to_string()) {
                        return None;
                    }
                }
                cx.resolve_path(&func.path)
                    .split("::")
                    .map(str::to_string)
                    .collect()
            }
            syn::Expr::MethodCall(call) => {
                let syn::Expr::Path(receiver) = call.receiver.as_ref() else {
                    return None;
                };
                if !receiver.path.is_ident("self") {
                    return None;
                }
                vec!["Self".to_string(), call.method.to_string()]
            }
            _ => return None,
        };
        // `Some(..)`, `Wrapper(..)`, `std::mem::take(..)`: constructors and
        // the standard library are not functions of the crate.
        let constructor = segments
            .last()
            .is_some_and(|last| last.starts_with(|c: char| c.is_uppercase()));
        let standard = matches!(
            segments.first().map(String::as_str),
            Some("std" | "core" | "alloc")
        );
        if constructor || standard {
            return None;
        }
        let mut base = self.module_path(span_of(expr));
        let mut up = 0;
        let mut rest = segments.as_slice();
        match rest.first().map(String::as_str) {
            Some("crate") => {
                return Some(CallTarget {
                    anchor: Anchor::Root,
                    path: rest[1..].join("."),
                })
            }
            Some("self") => rest = &rest[1..],
            Some("Self") => {
                base.push(type_name(cx.impl_type()?)?);
                rest = &rest[1..];
            }
            _ => {}
        }
        while rest.first().is_some_and(|segment| segment == "super") {
            if base.pop().is_none() {
                up += 1;
            }
            rest = &rest[1..];
        }
        base.extend(rest.iter().cloned());
        Some(CallTarget {
            anchor: Anchor::Module { up },
            path: base.join("."),
        })
    }
}

impl RustRule for RustCallFacts {
    fn on_item(&mut self, cx: &RsContext<'_>, item: &syn::Item, _out: &mut Vec<Diagnostic>) {
        match item {
            syn::Item::Mod(module) if module.content.is_some() && cx.frames().is_empty() => {
                self.modules
                    .push((span_of(module), module.ident.to_string()));
            }
            syn::Item::Fn(function) => self.register(cx, &function.sig, None),
            syn::Item::Impl(block) => {
                let owner = type_name(cx.text(&block.self_ty));
                for impl_item in &block.items {
                    if let syn::ImplItem::Fn(method) = impl_item {
                        self.register(cx, &method.sig, Some(owner.clone()));
                    }
                }
            }
            _ => {}
        }
    }

    fn on_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr, _out: &mut Vec<Diagnostic>) {
        for matcher in &mut self.matchers {
            matcher.observe_rust_expr(cx, expr);
        }
        if !matches!(expr, syn::Expr::Call(_) | syn::Expr::MethodCall(_)) {
            return;
        }
        let Some(index) = self.current(cx) else {
            return;
        };
        let blocking = self.matchers.iter().find_map(|matcher| {
            let api = matcher.rust_blocking(cx, expr)?;
            Some((matcher.code(), api))
        });
        if let Some((code, api)) = blocking {
            self.facts.functions[index].note_blocking(BlockingCall {
                code,
                api,
                span: rust_call_span(expr),
            });
            return;
        }
        if let Some(target) = self.target(cx, expr) {
            self.facts.functions[index].calls.push(ProjectCall {
                target,
                span: rust_call_span(expr),
            });
        }
    }

    fn take_facts(&mut self) -> Option<CallFacts> {
        let mut facts = std::mem::take(&mut self.facts);
        facts.compact();
        Some(facts)
    }
}
