//! UNB002 for Rust. Records private statics and private struct fields of
//! container type, growth calls on them (directly, through a lock chain,
//! or through a named guard), and anything that may shrink them: a removal
//! method, any method not known to keep the size, an assignment, or a
//! `&mut` borrow handed elsewhere. Decides at the end of the file.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use quote::ToTokens;

use crate::api::{Diagnostic, Span};
use crate::rust::{span_of, RsContext, RustRule};
use crate::unb::grow_only_collection::{report, ContainerKind};
use crate::unb::test_code::TestCode;

use super::rust_paths::{
    container_kind, designate, is_id_like, is_record_of_id, is_shared, type_name, words,
    LazyStatics,
};
use super::Ids;

/// Members that say a type is shared between threads or tasks.
const SYNC_MEMBERS: &[&str] = &[
    "Mutex",
    "RwLock",
    "Sender",
    "SyncSender",
    "Receiver",
    "UnboundedSender",
    "UnboundedReceiver",
];

const GROWTH_METHODS: &[&str] = &[
    "push",
    "push_back",
    "push_front",
    "insert",
    "extend",
    "append",
    "entry",
];

/// Methods that keep the container's size (reads, lock and cell access):
/// any other method call on it may shrink it.
const SIZE_KEEPING_METHODS: &[&str] = &[
    "len",
    "is_empty",
    "iter",
    "iter_mut",
    "contains",
    "contains_key",
    "get",
    "get_mut",
    "first",
    "last",
    "clone",
    "keys",
    "values",
    "values_mut",
    "to_vec",
    "as_slice",
    "capacity",
    "lock",
    "read",
    "write",
    "try_lock",
    "try_read",
    "try_write",
    "borrow",
    "borrow_mut",
    "unwrap",
    "expect",
    "get_or_init",
    "get_or_try_init",
    "as_ref",
    "deref",
    "front",
    "back",
    "peek",
    "binary_search",
    "sort",
    "sort_by",
    "sort_by_key",
    "sort_unstable",
    "reserve",
    "range",
    "starts_with",
    "ends_with",
    "windows",
    "chunks",
    "concat",
    "join",
    "last_mut",
    "first_mut",
];

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum Name {
    Static(String),
    Field(String),
}

struct Definition {
    name: Name,
    /// The struct a field belongs to.
    owner: Option<String>,
    kind: ContainerKind,
    span: Span,
    display: String,
}

struct Growth {
    name: Name,
    /// The `impl` type the growth happens in.
    owner: Option<String>,
    span: Span,
    /// Counts for a `Vec`-like collection: the pushed value is an id or a
    /// record built on the spot (a registry pushes existing objects).
    grows_collection: bool,
    /// Counts for a map: the key is id-like.
    grows_map: bool,
    /// The pushed value is a record, not an id: bounded when the function
    /// searches the collection first.
    record_only: bool,
    function: String,
}

#[derive(Default)]
pub(crate) struct GrowOnlyCollection {
    definitions: Vec<Definition>,
    growth: Vec<Growth>,
    maybe_shrunk: HashSet<Name>,
    /// Collections searched (`.iter()`, `.contains(..)`) in a function:
    /// a function that looks for a value before it pushes it (`if
    /// !servers.iter().any(|s| s == &addr) { servers.push((addr, 0)) }`)
    /// uses the collection as a set, bounded by its value domain.
    searched_in: HashSet<(Name, String)>,
    /// Struct name -> true when it has a `Mutex`/`RwLock`/channel member.
    holds_sync: HashMap<String, bool>,
    /// Every identifier in the types of the file's statics.
    static_type_words: HashSet<String>,
    /// Containers defined or grown in test code are not counted.
    tests: TestCode,
    /// `(impl type, method)` for methods taking `self` by value: builder
    /// steps, run while one owner configures the value, not per request.
    by_value_methods: HashSet<(String, String)>,
    /// `static ref` names declared in `lazy_static!` blocks.
    lazy_statics: HashSet<String>,
}

impl RustRule for GrowOnlyCollection {
    fn on_item(&mut self, cx: &RsContext<'_>, item: &syn::Item, _out: &mut Vec<Diagnostic>) {
        self.tests.note_rust_item(cx, item);
        if self.tests.contains(span_of(item)) {
            return;
        }
        match item {
            syn::Item::Static(item) => {
                self.static_type_words.extend(words(&item.ty));
                let checked =
                    matches!(item.vis, syn::Visibility::Inherited) && !is_shared(&item.ty);
                if let (true, Some(kind)) = (checked, container_kind(&item.ty)) {
                    self.definitions.push(Definition {
                        name: Name::Static(item.ident.to_string()),
                        owner: None,
                        kind,
                        span: item.ident.span().into(),
                        display: item.ident.to_string(),
                    });
                }
            }
            syn::Item::Impl(item) => {
                let ty = type_name(&item.self_ty.to_token_stream().to_string().replace(' ', ""));
                for member in &item.items {
                    let syn::ImplItem::Fn(method) = member else {
                        continue;
                    };
                    if let Some(syn::FnArg::Receiver(receiver)) = method.sig.inputs.first() {
                        if receiver.reference.is_none() {
                            self.by_value_methods
                                .insert((ty.clone(), method.sig.ident.to_string()));
                        }
                    }
                }
            }
            syn::Item::Struct(item) => {
                let name = item.ident.to_string();
                let holds_sync = item.fields.iter().any(|field| {
                    words(&field.ty)
                        .iter()
                        .any(|word| SYNC_MEMBERS.contains(&word.as_str()))
                });
                self.holds_sync.insert(name.clone(), holds_sync);
                for field in &item.fields {
                    let (Some(ident), syn::Visibility::Inherited) = (&field.ident, &field.vis)
                    else {
                        continue;
                    };
                    if let (Some(kind), false) = (container_kind(&field.ty), is_shared(&field.ty)) {
                        self.definitions.push(Definition {
                            name: Name::Field(ident.to_string()),
                            owner: Some(name.clone()),
                            kind,
                            span: ident.span().into(),
                            display: format!("{name}::{ident}"),
                        });
                    }
                }
            }
            _ => {}
        }
    }

    fn on_macro(&mut self, _cx: &RsContext<'_>, mac: &syn::Macro, _out: &mut Vec<Diagnostic>) {
        let is_lazy_static = mac
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "lazy_static");
        if !is_lazy_static || self.tests.contains(span_of(mac)) {
            return;
        }
        let Ok(LazyStatics(statics)) = mac.parse_body::<LazyStatics>() else {
            return;
        };
        for (vis, ident, ty) in statics {
            self.lazy_statics.insert(ident.to_string());
            let checked = matches!(vis, syn::Visibility::Inherited) && !is_shared(&ty);
            if let (true, Some(kind)) = (checked, container_kind(&ty)) {
                self.definitions.push(Definition {
                    name: Name::Static(ident.to_string()),
                    owner: None,
                    kind,
                    span: ident.span().into(),
                    display: ident.to_string(),
                });
            }
        }
    }

    fn on_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr, _out: &mut Vec<Diagnostic>) {
        match expr {
            syn::Expr::MethodCall(call) => {
                for argument in &call.args {
                    if let Some(name) = designate(cx, &self.lazy_statics, argument) {
                        self.maybe_shrunk.insert(name);
                    }
                }
                let Some(name) = designate(cx, &self.lazy_statics, &call.receiver) else {
                    return;
                };
                let method = call.method.to_string();
                if GROWTH_METHODS.contains(&method.as_str()) {
                    let args: Vec<&syn::Expr> = call.args.iter().collect();
                    self.grow(cx, name, expr, &method, &args);
                } else if matches!(method.as_str(), "iter" | "contains") {
                    if let Some(function) = cx.function() {
                        self.searched_in.insert((name, function.name.clone()));
                    }
                } else if !SIZE_KEEPING_METHODS.contains(&method.as_str()) {
                    self.maybe_shrunk.insert(name);
                }
            }
            syn::Expr::Call(call) => {
                // A container (or its guard) handed to a function may be
                // drained there.
                for argument in &call.args {
                    if let Some(name) = designate(cx, &self.lazy_statics, argument) {
                        self.maybe_shrunk.insert(name);
                    }
                }
            }
            syn::Expr::Assign(assign) => {
                if let Some(name) = designate(cx, &self.lazy_statics, &assign.left) {
                    self.maybe_shrunk.insert(name);
                }
            }
            syn::Expr::Reference(reference) if reference.mutability.is_some() => {
                if let Some(name) = designate(cx, &self.lazy_statics, &reference.expr) {
                    self.maybe_shrunk.insert(name);
                }
            }
            _ => {}
        }
    }

    fn on_file_exit(&mut self, cx: &RsContext<'_>, out: &mut Vec<Diagnostic>) {
        // An integration test, a test module's own file or a benchmark.
        if cx.in_test_file() {
            return;
        }
        for definition in &self.definitions {
            if self.maybe_shrunk.contains(&definition.name) {
                continue;
            }
            let long_lived = match &definition.owner {
                None => true,
                Some(owner) => {
                    self.holds_sync.get(owner).copied().unwrap_or(false)
                        || self.static_type_words.contains(owner)
                }
            };
            if !long_lived {
                continue;
            }
            let sites: Vec<Span> = self
                .growth
                .iter()
                .filter(|growth| growth.name == definition.name)
                .filter(|growth| definition.owner.is_none() || growth.owner == definition.owner)
                .filter(|growth| match definition.kind {
                    ContainerKind::Collection => {
                        let searched = (growth.name.clone(), growth.function.clone());
                        growth.grows_collection
                            && !(growth.record_only && self.searched_in.contains(&searched))
                    }
                    ContainerKind::Map => growth.grows_map,
                })
                .map(|growth| growth.span)
                .collect();
            if !sites.is_empty() {
                out.push(report(
                    &definition.display,
                    definition.kind,
                    definition.span,
                    &sites,
                    None,
                    true,
                ));
            }
        }
    }
}

impl GrowOnlyCollection {
    fn grow(
        &mut self,
        cx: &RsContext<'_>,
        name: Name,
        expr: &syn::Expr,
        method: &str,
        args: &[&syn::Expr],
    ) {
        // Filling a container while constructing its owner is bounded.
        let Some(function) = cx.function() else {
            return;
        };
        let constructor = matches!(function.name.as_str(), "new" | "default")
            || function.name.starts_with("with_")
            || function.name.starts_with("from_");
        let owner = cx.impl_type().map(type_name);
        let builder_step = owner.as_ref().is_some_and(|ty| {
            self.by_value_methods
                .contains(&(ty.clone(), function.name.clone()))
        });
        if constructor || builder_step {
            return;
        }
        let id =
            |index: usize, ids: Ids| args.get(index).is_some_and(|arg| is_id_like(cx, arg, ids));
        let record = |index: usize| args.get(index).is_some_and(|arg| is_record_of_id(cx, arg));
        let (grows_collection, grows_map) = match (method, args.len()) {
            ("push" | "push_back" | "push_front", _) => (id(0, Ids::Named) || record(0), false),
            // `Vec::insert(index, value)` or `HashMap::insert(key, value)`.
            ("insert", 2) => (id(1, Ids::Named) || record(1), id(0, Ids::PerEvent)),
            // `HashSet::insert(value)`: bounded by its value domain.
            ("insert", _) => (id(0, Ids::PerEvent), false),
            ("entry", _) => (false, id(0, Ids::PerEvent)),
            _ => (false, false),
        };
        let value = match (method, args.len()) {
            ("insert", 2) => 1,
            _ => 0,
        };
        self.growth.push(Growth {
            name,
            owner,
            span: span_of(expr),
            grows_collection,
            grows_map,
            record_only: !id(value, Ids::Named),
            function: function.name.clone(),
        });
    }
}
