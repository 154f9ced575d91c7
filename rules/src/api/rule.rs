use crate::python::PythonRule;
use crate::rust::RustRule;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Language {
    Python,
    Rust,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Everything the product needs to know about a rule besides its checks.
///
/// Built by [`declare_rule!`](crate::declare_rule), which takes the doc
/// comment as the rule's documentation so that `harden rule CODE`, SARIF
/// help text and the source never drift apart.
#[derive(Debug, PartialEq, Eq)]
pub struct RuleMeta {
    /// Stable code shared across languages: `BLK001`.
    pub code: &'static str,
    /// Kebab-case name of the hazard: `blocking-sleep-in-async`.
    pub name: &'static str,
    /// One line, lowercase, no trailing period.
    pub summary: &'static str,
    pub languages: &'static [Language],
    pub severity: Severity,
    pub tags: &'static [&'static str],
    /// A preview rule runs only when asked for (`--preview`, or selected by
    /// its exact code or name): its precision on real code is not yet
    /// proven at the level a CI gate needs.
    pub preview: bool,
    /// Markdown with the headings What it does / Why is this bad? /
    /// Example / Use instead / Known limitations.
    pub doc: &'static str,
}

impl RuleMeta {
    /// The family prefix, `BLK` for `BLK001`.
    pub fn prefix(&self) -> &'static str {
        self.code.trim_end_matches(|c: char| c.is_ascii_digit())
    }

    /// The doc comment with the one leading space rustdoc keeps removed.
    pub fn doc_markdown(&self) -> String {
        let mut out = String::with_capacity(self.doc.len());
        for line in self.doc.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }
}

/// One line of the registry: a rule's metadata and its per-language checks.
///
/// A check is created fresh for every file, so it may keep per-file state
/// (e.g. acquisitions seen so far) without locks.
pub struct RuleEntry {
    pub meta: &'static RuleMeta,
    pub python: Option<fn() -> Box<dyn PythonRule>>,
    pub rust: Option<fn() -> Box<dyn RustRule>>,
}

/// Declares a rule's [`RuleMeta`] from its doc comment and fields.
///
/// ```ignore
/// declare_rule! {
///     /// ## What it does
///     /// ...
///     pub static BLOCKING_SLEEP_IN_ASYNC = {
///         code: "BLK001",
///         name: "blocking-sleep-in-async",
///         summary: "blocking sleep inside async code",
///         languages: [Python, Rust],
///         severity: Error,
///         tags: ["concurrency", "async"],
///     };
/// }
/// ```
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:expr])*
        $vis:vis static $ident:ident = {
            code: $code:literal,
            name: $name:literal,
            summary: $summary:literal,
            languages: [$($lang:ident),* $(,)?],
            severity: $severity:ident,
            tags: [$($tag:literal),* $(,)?]
            $(, preview: $preview:literal)? $(,)?
        };
    ) => {
        $(#[doc = $doc])*
        $vis static $ident: $crate::api::RuleMeta = $crate::api::RuleMeta {
            code: $code,
            name: $name,
            summary: $summary,
            languages: &[$($crate::api::Language::$lang),*],
            severity: $crate::api::Severity::$severity,
            tags: &[$($tag),*],
            preview: false $(|| $preview)?,
            doc: concat!($($doc, "\n"),*),
        };
    };
}
