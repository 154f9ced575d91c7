//! Human output: one miette report per finding, with the source snippet,
//! then a summary line.

use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

use miette::{
    Diagnostic as MietteDiagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan,
    NamedSource, SourceCode, SourceSpan,
};

use super::{plural, Located, LocatedFile, LocatedRelated, ReportOptions, Totals};
use harden_rules::Severity;

/// Fixed so that output (and its snapshots) does not depend on the terminal.
const WIDTH: usize = 100;

/// Lines longer than this (minified or generated code) are not shown: the
/// snippet would flood the terminal.
const MAX_SNIPPET_LINE: usize = 400;

pub fn write(
    out: &mut dyn Write,
    files: &[LocatedFile<'_>],
    totals: &Totals,
    options: ReportOptions,
) -> io::Result<()> {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false);
    for file in files {
        let source: Arc<str> = file.source.cloned().unwrap_or_else(|| Arc::from(""));
        let named = NamedSource::new(&file.path, Arc::clone(&source));
        for located in file
            .findings
            .iter()
            .filter(|located| !located.finding.suppressed)
        {
            let long_line = file.index.as_ref().is_some_and(|index| {
                index.line_text(&source, located.start.line).len() > MAX_SNIPPET_LINE
            });
            let report = if long_line {
                TextFinding::without_snippet(located, &file.path)
            } else {
                TextFinding::new(located, &named, source.len())
            };
            let mut rendered = String::new();
            handler
                .render_report(&mut rendered, &report)
                .map_err(io::Error::other)?;
            out.write_all(rendered.as_bytes())?;
            writeln!(out)?;
        }
    }
    if !options.quiet {
        writeln!(out, "{}", summary_line(totals))?;
    }
    Ok(())
}

fn summary_line(totals: &Totals) -> String {
    let mut checked = format!("{} checked", plural(totals.files_checked, "file"));
    if totals.suppressed > 0 {
        checked.push_str(&format!(", {} suppressed", totals.suppressed));
    }
    if totals.findings == 0 {
        format!("All checks passed ({checked})")
    } else {
        format!(
            "Found {} in {} ({checked})",
            plural(totals.findings, "finding"),
            plural(totals.files_with_findings, "file")
        )
    }
}

/// `--statistics`: a count per rule, most frequent first.
pub fn write_statistics(out: &mut dyn Write, totals: &Totals) -> io::Result<()> {
    let mut rows: Vec<_> = totals.by_rule.values().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.code.cmp(b.0.code)));
    let width = rows.first().map_or(1, |(_, count)| count.to_string().len());
    for (rule, count) in rows {
        writeln!(out, "{count:>width$}  {:<7} {}", rule.code, rule.name)?;
    }
    Ok(())
}

/// A finding as miette wants it.
struct TextFinding<'a> {
    located: &'a Located<'a>,
    source: Option<&'a NamedSource<Arc<str>>>,
    message: String,
    code: String,
    labels: Vec<LabeledSpan>,
    /// Related locations in other files, each shown with its own snippet.
    elsewhere: Vec<ElsewhereNote>,
}

/// A related location in another file than the finding's.
struct ElsewhereNote {
    message: String,
    source: NamedSource<Arc<str>>,
    label: LabeledSpan,
}

impl ElsewhereNote {
    fn of(located: &LocatedRelated<'_>) -> Option<Self> {
        let (path, source) = located.elsewhere.as_ref()?;
        let len = source.len();
        let start = (located.related.span.start as usize).min(len);
        let end = (located.related.span.end as usize).clamp(start, len);
        Some(Self {
            message: format!("{} (in {path})", located.related.message),
            source: NamedSource::new(path, Arc::clone(source)),
            label: LabeledSpan::new_with_span(None, SourceSpan::new(start.into(), end - start)),
        })
    }
}

impl fmt::Debug for ElsewhereNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for ElsewhereNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ElsewhereNote {}

impl MietteDiagnostic for ElsewhereNote {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(self.label.clone())))
    }
}

impl<'a> TextFinding<'a> {
    fn new(located: &'a Located<'a>, source: &'a NamedSource<Arc<str>>, len: usize) -> Self {
        let diagnostic = &located.finding.diagnostic;
        let rule = located.rule();
        let clamp = |span: harden_rules::Span| {
            let start = (span.start as usize).min(len);
            let end = (span.end as usize).clamp(start, len);
            SourceSpan::new(start.into(), end - start)
        };
        let mut labels = vec![LabeledSpan::new_primary_with_span(
            Some(rule.summary.to_string()),
            clamp(diagnostic.span),
        )];
        let here = located.related.iter().filter(|r| r.elsewhere.is_none());
        labels.extend(here.map(|located| {
            let related = located.related;
            LabeledSpan::new_with_span(Some(related.message.clone()), clamp(related.span))
        }));
        Self {
            located,
            source: Some(source),
            message: diagnostic.message.clone(),
            code: format!("{} {}", rule.code, rule.name),
            labels,
            elsewhere: located
                .related
                .iter()
                .filter_map(ElsewhereNote::of)
                .collect(),
        }
    }

    /// The location in the message instead of a snippet of a huge line.
    fn without_snippet(located: &'a Located<'a>, path: &str) -> Self {
        let rule = located.rule();
        Self {
            located,
            source: None,
            message: format!(
                "{} (at {path}:{}:{}; line too long to show)",
                located.finding.diagnostic.message, located.start.line, located.start.column
            ),
            code: format!("{} {}", rule.code, rule.name),
            labels: Vec::new(),
            elsewhere: Vec::new(),
        }
    }
}

impl fmt::Debug for TextFinding<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextFinding")
            .field("code", &self.code)
            .finish()
    }
}

impl fmt::Display for TextFinding<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TextFinding<'_> {}

impl MietteDiagnostic for TextFinding<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.located.rule().severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.located
            .finding
            .diagnostic
            .help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.map(|source| source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn MietteDiagnostic> + 'b>> {
        if self.elsewhere.is_empty() {
            return None;
        }
        Some(Box::new(
            self.elsewhere
                .iter()
                .map(|note| note as &dyn MietteDiagnostic),
        ))
    }
}
