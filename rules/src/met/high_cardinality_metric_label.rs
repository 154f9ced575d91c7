use crate::api::{Diagnostic, RuleEntry, Span};
use crate::declare_rule;
use crate::met::python_labels::PythonMetricLabels;
use crate::met::rust_labels;
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
    /// In Rust, `#[derive(harden_harness::MetricLabels)]` on a label struct checks
    /// the names at compile time.
    ///
    /// ## Known limitations
    /// Only label names written as string literals (or keyword names) are
    /// checked; names built at run time or passed through variables are
    /// not. A label whose value is a literal at the site
    /// (`.labels(user="system")`, `"env:prod"` tags, `"k" => "v"`,
    /// `.const_label("k", "v")`) has one value there and is not reported;
    /// label names declared without a value (`labelnames`, `&[..]`) always
    /// are. A `prometheus_client` metric named for the label
    /// (`requests_by_user_total`, `LOGINS_PER_USER`) is a breakdown its
    /// author chose, usually kept apart so that the other metrics stay
    /// small: its `user` label is not reported. Ids of what a deployment is
    /// configured with (`tenant_id`, `cluster_id`, `project_id`,
    /// `client_id`, `rule_id`, `model_id`, ...) are allowed by default; name
    /// one in `extend-forbidden-labels` where it is per user. `.labels(..)`
    /// is checked in files that import `prometheus_client`, and elsewhere
    /// on a metric held in a name or attribute (`REQUESTS.labels(..)`,
    /// imported from the module that defines it), but not on `self` or
    /// `cls` (a client's own `labels()` method, listing a labelling
    /// service's labels). OpenTelemetry attributes only in files that
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

const RUST_HELP: &str =
    "drop the label, or move the value to logs, exemplars or trace attributes; \
     `#[derive(harden_harness::MetricLabels)]` checks label names at compile time";

/// Reports a Python `label` (declared at `span`) when the policy forbids it.
pub(crate) fn check_label(
    settings: &crate::Settings,
    label: &str,
    span: Span,
    out: &mut Vec<Diagnostic>,
) {
    out.extend(forbidden_label(settings, label, span, HELP));
}

/// Reports a Rust `label` (declared at `span`) when the policy forbids it.
fn check_rust_label(
    settings: &crate::Settings,
    label: &str,
    span: Span,
    out: &mut Vec<Diagnostic>,
) {
    out.extend(forbidden_label(settings, label, span, RUST_HELP));
}

fn forbidden_label(
    settings: &crate::Settings,
    label: &str,
    span: Span,
    help: &str,
) -> Option<Diagnostic> {
    settings.labels.is_forbidden(label).then(|| {
        Diagnostic::new(
            &HIGH_CARDINALITY_METRIC_LABEL,
            span,
            format!("metric label `{label}` has unbounded cardinality: one time series per value"),
        )
        .with_help(help)
    })
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
                            check_rust_label(
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
                    check_rust_label(cx.settings(), &literal.value(), literal.span().into(), out);
                }
            }
            _ => {}
        }
    }

    fn on_macro(&mut self, cx: &RsContext<'_>, mac: &syn::Macro, out: &mut Vec<Diagnostic>) {
        let resolved = cx.resolve_path(&mac.path);
        for literal in rust_labels::macro_label_names(&resolved, mac) {
            check_rust_label(cx.settings(), &literal.value(), literal.span().into(), out);
        }
    }
}
