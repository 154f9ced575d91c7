//! MET001 for Python: label names in `prometheus_client` constructors and
//! `.labels(..)` calls, OpenTelemetry attribute dicts, statsd/Datadog tags.

use ruff_python_ast::{self as ast, Expr, Stmt};

use super::high_cardinality_metric_label::check_label;
use crate::api::{Diagnostic, Span};
use crate::python::{PyContext, PythonRule};

const PROMETHEUS_METRICS: &[&str] = &["Counter", "Gauge", "Histogram", "Summary", "Info", "Enum"];

/// Methods of OpenTelemetry instruments that take an attributes mapping as
/// their second argument.
const OTEL_RECORDING_METHODS: &[&str] = &["add", "record", "set"];

/// Which metric libraries the module imports: the untyped call shapes
/// (`.labels(..)`, `.add(v, {..})`, `tags=[..]`) are only read as metric
/// calls in a module that uses such a library.
#[derive(Default)]
pub(crate) struct PythonMetricLabels {
    prometheus: bool,
    opentelemetry: bool,
    statsd: bool,
}

impl PythonMetricLabels {
    fn note_import(&mut self, module: &str) {
        let root = module.split('.').next().unwrap_or(module);
        match root {
            "prometheus_client" => self.prometheus = true,
            "opentelemetry" => self.opentelemetry = true,
            "datadog" | "statsd" | "datadog_api_client" | "aiodogstatsd" => self.statsd = true,
            _ => {}
        }
    }
}

impl PythonRule for PythonMetricLabels {
    fn on_stmt(&mut self, _cx: &PyContext<'_>, stmt: &Stmt, _out: &mut Vec<Diagnostic>) {
        match stmt {
            Stmt::Import(import) => {
                for alias in &import.names {
                    self.note_import(alias.name.as_str());
                }
            }
            Stmt::ImportFrom(import) => {
                if let Some(module) = &import.module {
                    self.note_import(module.as_str());
                }
            }
            _ => {}
        }
    }

    fn on_expr(&mut self, cx: &PyContext<'_>, expr: &Expr, out: &mut Vec<Diagnostic>) {
        let Expr::Call(call) = expr else { return };
        let arguments = &call.arguments;
        let resolved = cx.resolve(&call.func);
        let resolved = resolved.as_deref().unwrap_or_default();
        if is_prometheus_metric(resolved) {
            if let Some(names) = arguments.find_argument_value("labelnames", 2) {
                for (label, span) in string_elements(names) {
                    check_label(cx.settings(), label, span, out);
                }
            }
        }
        if resolved == "opentelemetry.metrics.Observation" {
            check_attribute_dict(cx, arguments.find_argument_value("attributes", 1), out);
        }
        if let Expr::Attribute(attribute) = call.func.as_ref() {
            let method = attribute.attr.as_str();
            // `METRIC.labels(..)` also in modules that get their metrics
            // from elsewhere: the shape is prometheus_client's.
            let metric_receiver =
                matches!(attribute.value.as_ref(), Expr::Name(_) | Expr::Attribute(_));
            if method == "labels" && (self.prometheus || metric_receiver) {
                for keyword in &arguments.keywords {
                    if let (Some(name), false) = (&keyword.arg, is_literal(&keyword.value)) {
                        check_label(cx.settings(), name.as_str(), name.range.into(), out);
                    }
                }
            }
            if self.opentelemetry && OTEL_RECORDING_METHODS.contains(&method) {
                check_attribute_dict(cx, arguments.find_argument_value("attributes", 1), out);
            }
        }
        if self.statsd {
            if let Some(tags) = arguments.find_keyword("tags") {
                check_tags(cx, &tags.value, out);
            }
        }
    }
}

fn is_prometheus_metric(resolved: &str) -> bool {
    let Some((module, name)) = resolved.rsplit_once('.') else {
        return false;
    };
    matches!(module, "prometheus_client" | "prometheus_client.metrics")
        && PROMETHEUS_METRICS.contains(&name)
}

/// The string literals of a list or tuple literal, with their spans.
fn string_elements(expr: &Expr) -> Vec<(&str, Span)> {
    let elements = match expr {
        Expr::List(list) => &list.elts,
        Expr::Tuple(tuple) => &tuple.elts,
        _ => return Vec::new(),
    };
    elements
        .iter()
        .filter_map(|element| match element {
            Expr::StringLiteral(literal) => Some((literal.value.to_str(), Span::from(literal))),
            _ => None,
        })
        .collect()
}

/// The string keys of an attributes dict literal.
fn check_attribute_dict(cx: &PyContext<'_>, attributes: Option<&Expr>, out: &mut Vec<Diagnostic>) {
    let Some(Expr::Dict(dict)) = attributes else {
        return;
    };
    for item in &dict.items {
        if let (Some(Expr::StringLiteral(key)), false) = (&item.key, is_literal(&item.value)) {
            check_label(cx.settings(), key.value.to_str(), Span::from(key), out);
        }
    }
}

/// A value written as a literal is the same on every call: the label has
/// one value at this site, whatever its name.
fn is_literal(value: &Expr) -> bool {
    matches!(
        value,
        Expr::StringLiteral(_)
            | Expr::NumberLiteral(_)
            | Expr::BooleanLiteral(_)
            | Expr::NoneLiteral(_)
            | Expr::BytesLiteral(_)
    )
}

/// `tags=["user_id:42", f"session:{sid}"]`: the tag name is the text before
/// the first `:`; a tag without one carries no value and is fine.
fn check_tags(cx: &PyContext<'_>, tags: &Expr, out: &mut Vec<Diagnostic>) {
    let elements = match tags {
        Expr::List(list) => &list.elts,
        Expr::Tuple(tuple) => &tuple.elts,
        _ => return,
    };
    for element in elements {
        // A fully literal tag (`"env:prod"`) has one value: only tags built
        // at run time can carry per-request values.
        let name = match element {
            Expr::FString(_) => fstring_tag_name(cx.text(element)),
            Expr::BinOp(ast::ExprBinOp { left, .. }) => match left.as_ref() {
                Expr::StringLiteral(prefix) => {
                    prefix.value.to_str().split_once(':').map(|(n, _)| n)
                }
                _ => None,
            },
            _ => None,
        };
        if let Some(name) = name {
            check_label(cx.settings(), name, Span::from(element), out);
        }
    }
}

/// The literal text before `:` at the start of an f-string's source,
/// when no `{` comes first: `f"user_id:{uid}"` -> `user_id`.
fn fstring_tag_name(source: &str) -> Option<&str> {
    let body = source.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let body = body.strip_prefix(['"', '\''])?;
    let end = body.find([':', '{', '"', '\''])?;
    body[end..].starts_with(':').then(|| &body[..end])
}
