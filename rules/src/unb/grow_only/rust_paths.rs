//! What UNB002 reads from Rust syntax: which types are containers (through
//! locks, cells and lazies), which expression designates a tracked
//! container (through lock chains and guards), and which keys are ids.

use rustc_hash::FxHashSet as HashSet;

use quote::ToTokens;
use syn::punctuated::Punctuated;

use super::rust::Name;
use super::Ids;
use crate::rust::RsContext;
use crate::unb::grow_only_collection::ContainerKind;

pub(super) const COLLECTIONS: &[&str] = &[
    "Vec",
    "VecDeque",
    "HashSet",
    "BTreeSet",
    "BinaryHeap",
    "LinkedList",
    "IndexSet",
];

pub(super) const MAPS: &[&str] = &["HashMap", "BTreeMap", "IndexMap", "DashMap"];

/// Types that hold one value and hand it out: the container is inside.
pub(super) const WRAPPERS: &[&str] = &[
    "Mutex",
    "RwLock",
    "Arc",
    "Rc",
    "Box",
    "RefCell",
    "UnsafeCell",
    "LazyLock",
    "LazyCell",
    "Lazy",
    "OnceLock",
    "OnceCell",
    "CachePadded",
];

/// The container an expression designates, through lock and cell access,
/// `unwrap`, `?`, derefs and named guards: `self.items`,
/// `self.items.lock().unwrap()`, `AUDIT.write()?`, `*guard`.
pub(super) fn designate(
    cx: &RsContext<'_>,
    lazy_statics: &HashSet<String>,
    expr: &syn::Expr,
) -> Option<Name> {
    match expr {
        syn::Expr::Field(field) => match &field.member {
            syn::Member::Named(ident) => Some(Name::Field(ident.to_string())),
            syn::Member::Unnamed(_) => None,
        },
        syn::Expr::Path(path) => {
            let ident = path.path.get_ident()?.to_string();
            if cx.is_static(&ident) || lazy_statics.contains(&ident) {
                return Some(Name::Static(ident));
            }
            let guard = cx
                .guards()
                .iter()
                .rev()
                .find(|guard| guard.binding.as_deref() == Some(ident.as_str()))?;
            match guard.lock.rsplit_once('.') {
                Some((_, field)) => Some(Name::Field(field.trim().to_string())),
                None if cx.is_static(guard.lock.trim())
                    || lazy_statics.contains(guard.lock.trim()) =>
                {
                    Some(Name::Static(guard.lock.trim().to_string()))
                }
                None => None,
            }
        }
        syn::Expr::MethodCall(call)
            if matches!(
                call.method.to_string().as_str(),
                "lock"
                    | "read"
                    | "write"
                    | "try_lock"
                    | "try_read"
                    | "try_write"
                    | "borrow_mut"
                    | "get_mut"
                    | "unwrap"
                    | "expect"
                    | "get_or_init"
                    | "as_mut"
            ) =>
        {
            designate(cx, lazy_statics, &call.receiver)
        }
        syn::Expr::Try(try_expr) => designate(cx, lazy_statics, &try_expr.expr),
        syn::Expr::Paren(paren) => designate(cx, lazy_statics, &paren.expr),
        syn::Expr::Await(await_expr) => designate(cx, lazy_statics, &await_expr.base),
        syn::Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Deref(_)) => {
            designate(cx, lazy_statics, &unary.expr)
        }
        _ => None,
    }
}

/// The `static ref NAME: TYPE = EXPR;` items of a `lazy_static!` body.
pub(super) struct LazyStatics(pub(super) Vec<(syn::Visibility, syn::Ident, syn::Type)>);

impl syn::parse::Parse for LazyStatics {
    fn parse(input: syn::parse::ParseStream<'_>) -> syn::Result<Self> {
        let mut statics = Vec::new();
        while !input.is_empty() {
            input.call(syn::Attribute::parse_outer)?;
            let vis: syn::Visibility = input.parse()?;
            input.parse::<syn::Token![static]>()?;
            input.parse::<syn::Token![ref]>()?;
            let ident: syn::Ident = input.parse()?;
            input.parse::<syn::Token![:]>()?;
            let ty: syn::Type = input.parse()?;
            input.parse::<syn::Token![=]>()?;
            input.parse::<syn::Expr>()?;
            input.parse::<syn::Token![;]>()?;
            statics.push((vis, ident, ty));
        }
        Ok(LazyStatics(statics))
    }
}

/// The container kind of a type, looking through locks, cells and lazies:
/// `Mutex<Vec<T>>`, `LazyLock<RwLock<HashMap<K, V>>>`.
pub(super) fn container_kind(ty: &syn::Type) -> Option<ContainerKind> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    let ident = last.ident.to_string();
    if COLLECTIONS.contains(&ident.as_str()) {
        return Some(ContainerKind::Collection);
    }
    if MAPS.contains(&ident.as_str()) {
        return Some(ContainerKind::Map);
    }
    if !WRAPPERS.contains(&ident.as_str()) {
        return None;
    }
    let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    arguments.args.iter().find_map(|argument| match argument {
        syn::GenericArgument::Type(inner) => container_kind(inner),
        _ => None,
    })
}

/// `Arc<Mutex<Vec<_>>>`: a container behind a reference count is shared
/// with the holders of its other clones, which may drain it out of sight.
pub(super) fn is_shared(ty: &syn::Type) -> bool {
    words(ty)
        .iter()
        .any(|word| matches!(word.as_str(), "Arc" | "Rc"))
}

/// The identifiers in a type: `LazyLock<Mutex<Registry>>` -> LazyLock,
/// Mutex, Registry.
pub(super) fn words(ty: &syn::Type) -> Vec<String> {
    ty.to_token_stream()
        .to_string()
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
        .map(str::to_string)
        .collect()
}

/// `Registry<T>` / `crate::state::Registry` -> `Registry`.
pub(super) fn type_name(written: &str) -> String {
    let base = written.split('<').next().unwrap_or(written);
    base.rsplit("::").next().unwrap_or(base).trim().to_string()
}

/// A value built on the spot, per call, that carries an id the label
/// policy names: a tuple or struct literal with such a part (`(request_id,
/// path)`), or `format!` of one (`format!("{request_id}: {event}")`). A
/// record without one (an interface selection, a name and its index) is
/// mostly what the code was configured with.
pub(super) fn is_record_of_id(cx: &RsContext<'_>, value: &syn::Expr) -> bool {
    let id = |part: &syn::Expr| is_id_like(cx, part, Ids::Named);
    match value {
        syn::Expr::Tuple(tuple) => tuple.elems.iter().any(id),
        syn::Expr::Struct(record) => record.fields.iter().any(|field| id(&field.expr)),
        syn::Expr::Macro(mac) if mac.mac.path.is_ident("format") => {
            let Ok(arguments) = mac
                .mac
                .parse_body_with(Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
            else {
                return false;
            };
            let mut arguments = arguments.iter();
            let captures_id = match arguments.next() {
                Some(syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(template),
                    ..
                })) => captures_inline(&template.value(), |name| {
                    Ids::Named.match_name(&cx.settings().labels, name)
                }),
                _ => false,
            };
            captures_id || arguments.any(id)
        }
        _ => false,
    }
}

/// True when a format string captures inline a name that `is_id` accepts:
/// `request_id` in `"{request_id}: {event:?}"`. `{{` escapes and
/// positional `{}` capture nothing.
fn captures_inline(template: &str, is_id: impl Fn(&str) -> bool) -> bool {
    let template = template.replace("{{", "").replace("}}", "");
    template
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(inside, _)| inside))
        .map(|inside| inside.split(':').next().unwrap_or_default())
        .any(|name| !name.is_empty() && is_id(name))
}

/// A key or value that names an id of the kind `ids` selects: a
/// `request_id`, a `user.name`, a uuid.
pub(super) fn is_id_like(cx: &RsContext<'_>, key: &syn::Expr, ids: Ids) -> bool {
    let name = match key {
        syn::Expr::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        syn::Expr::Field(field) => match &field.member {
            syn::Member::Named(ident) => Some(ident.to_string()),
            syn::Member::Unnamed(_) => None,
        },
        syn::Expr::MethodCall(call)
            if matches!(
                call.method.to_string().as_str(),
                "clone" | "to_string" | "to_owned" | "into"
            ) =>
        {
            return is_id_like(cx, &call.receiver, ids);
        }
        syn::Expr::Reference(reference) => return is_id_like(cx, &reference.expr, ids),
        syn::Expr::Call(call) => {
            let callee = cx.callee_path(call).unwrap_or_default();
            return callee.to_ascii_lowercase().contains("uuid");
        }
        _ => None,
    };
    name.is_some_and(|name| ids.match_name(&cx.settings().labels, &name))
}
