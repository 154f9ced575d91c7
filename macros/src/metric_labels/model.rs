//! Parsed and validated `#[derive(MetricLabels)]` input.

use super::forbidden;
use crate::attr;
use crate::ctxt::Ctxt;
use syn::ext::IdentExt;

pub struct LabelSet<'a> {
    pub ident: &'a syn::Ident,
    pub labels: Vec<Label<'a>>,
    /// `#[metric_labels(max_series = N)]`.
    pub max_series: Option<syn::LitInt>,
}

pub struct Label<'a> {
    pub ident: &'a syn::Ident,
    /// The label name: the field name without `r#`.
    pub name: String,
    pub ty: &'a syn::Type,
    pub kind: LabelKind,
}

/// An integer label's declared range, inclusive at both ends.
pub struct IntRange {
    pub lo: syn::Expr,
    pub hi: syn::Expr,
    /// Values in the range plus the shared out-of-range value.
    pub count: u128,
}

pub enum LabelKind {
    /// The type implements `LabelValue`.
    Typed,
    /// An integer with `#[label(range = lo..=hi)]`.
    Range(Box<IntRange>),
    /// `#[label(unbounded)]`: rendered with `Display`, no cardinality bound.
    Unbounded,
}

const INTEGERS: &[&str] = &[
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
];
const STRINGS: &[&str] = &["String", "str", "Cow"];

/// What a field's `#[label(...)]` said.
#[derive(Default)]
struct LabelAttr {
    /// The attribute had an error, already reported: check nothing else.
    invalid: bool,
    unbounded: bool,
    range: Option<(syn::Expr, syn::Expr, u128)>,
}

impl<'a> LabelSet<'a> {
    pub fn from_ast(input: &'a syn::DeriveInput) -> syn::Result<Self> {
        let mut cx = Ctxt::default();
        if input.generics.lt_token.is_some() {
            cx.error_spanned_by(
                &input.generics,
                "MetricLabels cannot be derived for a generic struct",
            );
        }
        let max_series = parse_max_series(&mut cx, &input.attrs);
        let fields: Vec<&syn::Field> = match &input.data {
            syn::Data::Struct(syn::DataStruct {
                fields: syn::Fields::Named(named),
                ..
            }) => named.named.iter().collect(),
            _ => {
                cx.error_spanned_by(&input.ident, "MetricLabels needs a struct with named fields: the field names are the label names");
                Vec::new()
            }
        };
        let labels: Vec<Label<'a>> = fields
            .into_iter()
            .filter_map(|field| Label::from_ast(&mut cx, field))
            .collect();
        if let Some(limit) = &max_series {
            if let Some(free) = labels
                .iter()
                .find(|label| matches!(label.kind, LabelKind::Unbounded))
            {
                cx.error_spanned_by(
                    limit,
                    format!(
                        "max_series cannot be checked: label `{}` is #[label(unbounded)]",
                        free.name
                    ),
                );
            }
        }
        cx.check()?;
        Ok(Self {
            ident: &input.ident,
            labels,
            max_series,
        })
    }
}

impl<'a> Label<'a> {
    fn from_ast(cx: &mut Ctxt, field: &'a syn::Field) -> Option<Self> {
        let ident = field.ident.as_ref()?;
        let name = ident.unraw().to_string();
        if let Some(why) = forbidden::reason(&name) {
            cx.error_spanned_by(
                ident,
                format!("`{name}` is a high-cardinality metric label (MET001): {why}; every distinct value creates a new time series, so label by a bounded category instead"),
            );
        }
        let label_attr = parse_label_attr(cx, field);
        let type_name = last_type_name(&field.ty);
        let is_integer = type_name
            .as_deref()
            .is_some_and(|name| INTEGERS.contains(&name));
        let is_string = type_name
            .as_deref()
            .is_some_and(|name| STRINGS.contains(&name));
        let kind = if label_attr.invalid {
            LabelKind::Typed
        } else if label_attr.unbounded {
            LabelKind::Unbounded
        } else if let Some((lo, hi, count)) = label_attr.range {
            if !is_integer {
                cx.error_spanned_by(&field.ty, format!("#[label(range = ..)] applies to integer labels; `{name}` is not an integer"));
            }
            LabelKind::Range(Box::new(IntRange { lo, hi, count }))
        } else if is_integer {
            cx.error_spanned_by(
                &field.ty,
                format!("integer label `{name}` needs a declared range, e.g. #[label(range = 0..=9)], so its series count is bounded"),
            );
            LabelKind::Typed
        } else if is_string {
            cx.error_spanned_by(
                &field.ty,
                format!("string label `{name}` has no bounded set of values: use a #[derive(LabelValue)] enum, or mark it #[label(unbounded)] if its values are known to be few"),
            );
            LabelKind::Typed
        } else {
            LabelKind::Typed
        };
        Some(Self {
            ident,
            name,
            ty: &field.ty,
            kind,
        })
    }
}

/// The last path segment of `ty`, looking through references.
fn last_type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Reference(reference) => last_type_name(&reference.elem),
        syn::Type::Path(path) => path
            .path
            .segments
            .last()
            .map(|segment| segment.ident.to_string()),
        _ => None,
    }
}

fn parse_max_series(cx: &mut Ctxt, attrs: &[syn::Attribute]) -> Option<syn::LitInt> {
    let mut max_series = None;
    for attribute in attr::named(attrs, "metric_labels") {
        let parsed = attribute.parse_nested_meta(|meta| {
            if meta.path.is_ident("max_series") {
                let limit: syn::LitInt = meta.value()?.parse()?;
                limit.base10_parse::<u64>()?;
                max_series = Some(limit);
                Ok(())
            } else {
                Err(meta.error("unknown #[metric_labels] option: expected `max_series = N`"))
            }
        });
        if let Err(error) = parsed {
            cx.syn_error(error);
        }
    }
    max_series
}

fn parse_label_attr(cx: &mut Ctxt, field: &syn::Field) -> LabelAttr {
    let mut label = LabelAttr::default();
    for attribute in attr::named(&field.attrs, "label") {
        let parsed = attribute.parse_nested_meta(|meta| {
            if meta.path.is_ident("unbounded") {
                label.unbounded = true;
                Ok(())
            } else if meta.path.is_ident("range") {
                let range: syn::ExprRange = meta.value()?.parse()?;
                label.range = Some(parse_range(&range)?);
                Ok(())
            } else {
                Err(meta
                    .error("unknown #[label] option: expected `range = LO..=HI` or `unbounded`"))
            }
        });
        if let Err(error) = parsed {
            cx.syn_error(error);
            label.invalid = true;
        }
        if label.unbounded && label.range.is_some() && !label.invalid {
            cx.error_spanned_by(
                attribute,
                "a label is either #[label(unbounded)] or #[label(range = ..)], not both",
            );
            label.invalid = true;
        }
    }
    label
}

/// `lo..=hi` or `lo..hi` with integer literal ends: the inclusive ends and
/// the value count, one more than the range for the shared out-of-range
/// value.
fn parse_range(range: &syn::ExprRange) -> syn::Result<(syn::Expr, syn::Expr, u128)> {
    let invalid = || {
        syn::Error::new_spanned(
            range,
            "expected an integer range with literal ends, e.g. 100..=599",
        )
    };
    let (Some(start), Some(end)) = (&range.start, &range.end) else {
        return Err(invalid());
    };
    let lo = int_value(start).ok_or_else(invalid)?;
    let mut hi = int_value(end).ok_or_else(invalid)?;
    let mut hi_expr = (**end).clone();
    if matches!(range.limits, syn::RangeLimits::HalfOpen(_)) {
        hi -= 1;
        hi_expr = syn::parse_quote!((#end) - 1);
    }
    if hi < lo {
        return Err(syn::Error::new_spanned(range, "empty label range"));
    }
    let count = u128::try_from(hi - lo).map_err(|_| invalid())? + 2;
    Ok(((**start).clone(), hi_expr, count))
}

fn int_value(expr: &syn::Expr) -> Option<i128> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(int),
            ..
        }) => int.base10_parse().ok(),
        syn::Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => int_value(expr).map(|value: i128| -value),
        syn::Expr::Group(group) => int_value(&group.expr),
        syn::Expr::Paren(paren) => int_value(&paren.expr),
        _ => None,
    }
}
