use crate::api::RuleMeta;

/// A half-open byte range `[start, end)` into one file's source text.
///
/// Byte offsets rather than line/column so that rules never need a line
/// index: the analyzer converts once, when it reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub const fn new(start: u32, end: u32) -> Self {
        Self { start, end }
    }

    pub fn len(self) -> u32 {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

impl From<ruff_text_size::TextRange> for Span {
    fn from(range: ruff_text_size::TextRange) -> Self {
        Self::new(range.start().to_u32(), range.end().to_u32())
    }
}

impl<T: ruff_text_size::Ranged> From<&T> for Span {
    fn from(node: &T) -> Self {
        node.range().into()
    }
}

impl From<proc_macro2::Span> for Span {
    /// Needs proc-macro2's `span-locations`; the range is relative to the
    /// file most recently parsed on this thread.
    fn from(span: proc_macro2::Span) -> Self {
        let range = span.byte_range();
        Self::new(range.start as u32, range.end as u32)
    }
}

/// A place that explains a finding: the growth site, the other lock
/// acquisition, the blocking call inside a helper.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub span: Span,
    pub message: String,
    /// The file the span is in when it is not the finding's own file
    /// (BLK006: the blocking call inside a helper of another module).
    pub path: Option<std::path::PathBuf>,
}

/// One finding of one rule in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub rule: &'static RuleMeta,
    /// Lowercase, no trailing period: "`time.sleep` blocks the event loop".
    pub message: String,
    /// The primary location, as defined per rule in RULES.md.
    pub span: Span,
    /// The concrete fix, e.g. "use `await asyncio.sleep(..)`".
    pub help: Option<String>,
    pub related: Vec<Related>,
}

impl Diagnostic {
    pub fn new(rule: &'static RuleMeta, span: impl Into<Span>, message: impl Into<String>) -> Self {
        Self {
            rule,
            message: message.into(),
            span: span.into(),
            help: None,
            related: Vec::new(),
        }
    }

    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    #[must_use]
    pub fn with_related(mut self, span: impl Into<Span>, message: impl Into<String>) -> Self {
        self.related.push(Related {
            span: span.into(),
            message: message.into(),
            path: None,
        });
        self
    }
}
