//! MET001 for Python: label names in `prometheus_client` constructors and
//! `.labels(..)` calls, OpenTelemetry attribute dicts, statsd/Datadog tags.

use ruff_python_ast::{self as ast, Expr, Stmt};

use super::high_cardinality_metric_label::check_label;
use crate::api::{Diagnostic, Span};
use crate::python::{last_name, PyContext, PythonRule};

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
            let metric_name = match arguments.find_argument_value("name", 0) {
                Some(Expr::StringLiteral(name)) => name.value.to_str(),
                _ => "",
            };
            if let Some(names) = arguments.find_argument_value("labelnames", 2) {
                for (label, span) in string_elements(names) {
                    if !is_named_for_label(metric_name, label) {
                        check_label(cx.settings(), label, span, out);
                    }
                }
            }
        }
        if resolved == "opentelemetry.metrics.Observation" {
            check_attribute_dict(cx, arguments.find_argument_value("attributes", 1), out);
        }
        if let Expr::Attribute(attribute) = call.func.as_ref() {
            let method = attribute.attr.as_str();
            // `METRIC.labels(..)` also in modules that get their metrics
            // from elsewhere: the shape is prometheus_client's. Not
            // `self.labels(..)`: a method of the object itself (a labelling
            // service's client listing its labels), not a metric's.
            let metric_receiver = match attribute.value.as_ref() {
                Expr::Name(name) => !matches!(name.id.as_str(), "self" | "cls"),
                Expr::Attribute(_) => true,
                _ => false,
            };
            if method == "labels" && (self.prometheus || metric_receiver) {
                let metric_name = last_name(&attribute.value).unwrap_or_default();
                for keyword in &arguments.keywords {
                    if let (Some(name), false) = (&keyword.arg, is_literal(&keyword.value)) {
                        if !is_named_for_label(metric_name, name.as_str()) {
                            check_label(cx.settings(), name.as_str(), name.range.into(), out);
                        }
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

/// True when the metric's name (`requests_by_user_total`, or the variable
/// `REQUESTS_PER_USER` that holds it) says it exists to break a count down
/// by this label: its author chose that cardinality, usually in a metric
/// of its own so that the others stay small.
fn is_named_for_label(metric_name: &str, label: &str) -> bool {
    let metric_name = metric_name.to_ascii_lowercase();
    let label = label.to_ascii_lowercase();
    let entity = label.strip_suffix("_id").unwrap_or(&label);
    [label.as_str(), entity].iter().any(|name| {
        ["by_", "per_"].iter().any(|preposition| {
            metric_name
                .match_indices(&format!("{preposition}{name}"))
                .any(|(start, matched)| {
                    let end = start + matched.len();
                    let word_starts = start == 0 || metric_name.as_bytes()[start - 1] == b'_';
                    let word_ends = metric_name[end..]
                        .chars()
                        .next()
                        .is_none_or(|next| !next.is_ascii_alphanumeric());
                    word_starts && word_ends
                })
        })
    })
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

#[cfg(test)]
mod tests {
    use super::is_named_for_label;

    #[test]
    fn a_metric_named_for_its_label_is_a_chosen_breakdown() {
        assert!(is_named_for_label("requests_by_user_total", "user"));
        assert!(is_named_for_label("SKY_REQUESTS_BY_USER_TOTAL", "user"));
        assert!(is_named_for_label("logins_per_user", "user_id"));
        assert!(is_named_for_label("by_session", "session"));
    }

    #[test]
    fn only_a_whole_word_names_the_label() {
        assert!(!is_named_for_label("requests_total", "user"));
        assert!(!is_named_for_label("requests_by_username", "user"));
        assert!(!is_named_for_label("requests_by_route", "user_id"));
        assert!(!is_named_for_label("standby_user", "user"));
        assert!(!is_named_for_label("", "user"));
    }
}
