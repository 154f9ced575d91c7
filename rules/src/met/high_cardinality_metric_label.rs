use ruff_python_ast::{self as ast, Expr, Stmt};

use crate::api::{Diagnostic, RuleEntry, Span};
use crate::declare_rule;
use crate::met::rust_labels;
use crate::python::{PyContext, PythonRule};
use crate::rust::{RsContext, RustRule};

declare_rule! {
    /// ## What it does
    /// Flags a metric label whose name says its values are unbounded: a
    /// user, request, session or trace id, an IP address, a URL, a
    /// timestamp (the forbidden list, configurable). Label names are read
    /// where they are declared or used:
    /// - `prometheus_client`: `Counter/Gauge/Histogram/Summary/Info/Enum`
    ///   label names (third argument or `labelnames=`) and `.labels(key=..)`;
    /// - OpenTelemetry: attribute dicts of `counter.add(v, {..})`,
    ///   `histogram.record(v, attributes={..})`, `Observation(v, {..})`,
    ///   where the dotted spelling `user.id` counts as `user_id`;
    /// - statsd / Datadog: `tags=["user_id:.."]`;
    /// - Rust `prometheus`: `*Vec::new(opts, &[..])`, `register_*_vec!`,
    ///   `labels! {..}`, `.const_label(..)`, `.variable_label(..)`;
    /// - Rust `metrics`: `counter!/gauge!/histogram!("name", "key" => v)`
    ///   and label slices `&[("key", v)]`.
    ///
    /// ## Why is this bad?
    /// Every distinct label value is a new time series. A label fed with
    /// user ids or URLs grows the series count with traffic until the
    /// metrics backend runs out of memory or drops data, and every query
    /// over the metric gets slower on the way there.
    ///
    /// ## Example
    /// ```python
    /// REQUESTS = Counter("http_requests_total", "requests", ["route", "user_id"])
    /// REQUESTS.labels(route="/orders", user_id=user.id).inc()
    /// ```
    /// ```rust
    /// counter!("http_requests_total", "route" => route, "user_id" => user.id.to_string())
    ///     .increment(1);
    /// ```
    ///
    /// ## Use instead
    /// Drop the label and put the value where per-event detail belongs: a
    /// log line, an exemplar, or a trace attribute.
    /// ```python
    /// REQUESTS = Counter("http_requests_total", "requests", ["route"])
    /// REQUESTS.labels(route="/orders").inc()
    /// log.info("order placed", extra={"user_id": user.id})
    /// ```
    /// In Rust, `#[derive(harden::MetricLabels)]` on a label struct checks
    /// the names at compile time.
    ///
    /// ## Known limitations
    /// Only label names written as string literals (or keyword names) are
    /// checked; names built at run time or passed through variables are
    /// not. A label whose value is a literal at the site
    /// (`.labels(user="system")`, `"env:prod"` tags, `"k" => "v"`,
    /// `.const_label("k", "v")`) has one value there and is not reported;
    /// label names declared without a value (`labelnames`, `&[..]`) always
    /// are. `.labels(..)` is checked only in files that import
    /// `prometheus_client`, OpenTelemetry attributes only in files that
    /// import `opentelemetry`, tags only in files that import `datadog` or
    /// `statsd`. Span attributes are not metric labels and are not checked.
    pub static HIGH_CARDINALITY_METRIC_LABEL = {
        code: "MET001",
        name: "high-cardinality-metric-label",
        summary: "metric label with unbounded cardinality",
        languages: [Python, Rust],
        severity: Error,
        tags: ["metrics", "resources"],
    };
}

pub const ENTRY: RuleEntry = RuleEntry {
    meta: &HIGH_CARDINALITY_METRIC_LABEL,
    python: Some(|| Box::new(PythonMetricLabels::default())),
    rust: Some(|| Box::new(RustMetricLabels)),
};

const HELP: &str = "drop the label, or move the value to logs, exemplars or trace attributes";

/// Reports `label` (declared at `span`) when the policy forbids it.
pub(crate) fn check_label(
    settings: &crate::Settings,
    label: &str,
    span: Span,
    out: &mut Vec<Diagnostic>,
) {
    if settings.labels.is_forbidden(label) {
        out.push(
            Diagnostic::new(
                &HIGH_CARDINALITY_METRIC_LABEL,
                span,
                format!(
                    "metric label `{label}` has unbounded cardinality: one time series per value"
                ),
            )
            .with_help(HELP),
        );
    }
}

const PROMETHEUS_METRICS: &[&str] = &["Counter", "Gauge", "Histogram", "Summary", "Info", "Enum"];

/// Methods of OpenTelemetry instruments that take an attributes mapping as
/// their second argument.
const OTEL_RECORDING_METHODS: &[&str] = &["add", "record", "set"];

/// Which metric libraries the module imports: the untyped call shapes
/// (`.labels(..)`, `.add(v, {..})`, `tags=[..]`) are only read as metric
/// calls in a module that uses such a library.
#[derive(Default)]
struct PythonMetricLabels {
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

/// Prometheus label vectors whose `new(opts, &[..])` takes label names.
const PROMETHEUS_VECS: &[&str] = &[
    "CounterVec",
    "IntCounterVec",
    "GaugeVec",
    "IntGaugeVec",
    "HistogramVec",
    "GenericCounterVec",
    "GenericGaugeVec",
];

struct RustMetricLabels;

impl RustRule for RustMetricLabels {
    fn on_expr(&mut self, cx: &RsContext<'_>, expr: &syn::Expr, out: &mut Vec<Diagnostic>) {
        match expr {
            syn::Expr::Call(call) => {
                let Some(callee) = cx.callee_path(call) else {
                    return;
                };
                let mut segments = callee.rsplit("::");
                let (Some("new"), Some(ty)) = (segments.next(), segments.next()) else {
                    return;
                };
                if PROMETHEUS_VECS.contains(&ty) {
                    if let Some(names) = call.args.iter().nth(1) {
                        for literal in rust_labels::string_array(names) {
                            check_label(
                                cx.settings(),
                                &literal.value(),
                                literal.span().into(),
                                out,
                            );
                        }
                    }
                }
            }
            syn::Expr::MethodCall(call) => {
                let method = call.method.to_string();
                if !matches!(
                    method.as_str(),
                    "const_label" | "variable_label" | "variable_labels"
                ) {
                    return;
                }
                let Some(first) = call.args.first() else {
                    return;
                };
                // `.const_label("region", "eu")`: one value for the process.
                let constant_value = method == "const_label"
                    && matches!(call.args.iter().nth(1), Some(syn::Expr::Lit(_)));
                if constant_value {
                    return;
                }
                let literals = match first {
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(literal),
                        ..
                    }) => {
                        vec![literal.clone()]
                    }
                    other => rust_labels::string_array(other),
                };
                for literal in literals {
                    check_label(cx.settings(), &literal.value(), literal.span().into(), out);
                }
            }
            _ => {}
        }
    }

    fn on_macro(&mut self, cx: &RsContext<'_>, mac: &syn::Macro, out: &mut Vec<Diagnostic>) {
        let resolved = cx.resolve_path(&mac.path);
        for literal in rust_labels::macro_label_names(&resolved, mac) {
            check_label(cx.settings(), &literal.value(), literal.span().into(), out);
        }
    }
}
