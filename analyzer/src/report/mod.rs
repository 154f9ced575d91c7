//! Renders a run's findings: text (miette), JSON, SARIF and GitHub
//! workflow commands. Every format sees the same sorted, located findings.

mod github;
mod json;
mod sarif;
mod text;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use harden_rules::{Related, RuleMeta};

use crate::driver::{CheckResult, FileReport};
use crate::locate::{LineIndex, Position};
use crate::suppress::Finding;

/// `--output-format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
    Sarif,
    Github,
}

/// How to render, besides the format.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReportOptions {
    pub format: OutputFormat,
    /// A count per rule instead of the findings.
    pub statistics: bool,
    /// Findings only, no summary.
    pub quiet: bool,
    pub color: bool,
}

/// A file's findings with positions resolved.
pub struct LocatedFile<'a> {
    /// Relative to the current directory when under it, `/`-separated.
    pub path: String,
    pub source: Option<&'a Arc<str>>,
    pub index: Option<LineIndex>,
    pub findings: Vec<Located<'a>>,
}

/// One finding with 1-based positions; `end` is exclusive.
pub struct Located<'a> {
    pub finding: &'a Finding,
    pub start: Position,
    pub end: Position,
    pub related: Vec<(&'a Related, Position, Position)>,
}

impl Located<'_> {
    pub fn rule(&self) -> &'static RuleMeta {
        self.finding.diagnostic.rule
    }
}

/// What the summary line and the JSON summary count.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub files_checked: usize,
    pub findings: usize,
    pub suppressed: usize,
    pub files_with_findings: usize,
    /// Unsuppressed findings per code.
    pub by_rule: BTreeMap<&'static str, (&'static RuleMeta, usize)>,
}

impl Totals {
    fn of(result: &CheckResult) -> Self {
        let mut totals = Totals {
            files_checked: result.files_checked,
            ..Totals::default()
        };
        for file in &result.files {
            let mut counted = false;
            for finding in &file.findings {
                if finding.suppressed {
                    totals.suppressed += 1;
                    continue;
                }
                totals.findings += 1;
                counted = true;
                let rule = finding.diagnostic.rule;
                totals.by_rule.entry(rule.code).or_insert((rule, 0)).1 += 1;
            }
            totals.files_with_findings += usize::from(counted);
        }
        totals
    }
}

/// True when the gate fails: an unsuppressed finding exists.
pub fn has_failures(result: &CheckResult) -> bool {
    result
        .files
        .iter()
        .flat_map(|file| &file.findings)
        .any(|finding| !finding.suppressed)
}

/// Writes the report in the chosen format.
pub fn write(
    out: &mut dyn Write,
    result: &CheckResult,
    cwd: &Path,
    options: ReportOptions,
) -> io::Result<()> {
    let totals = Totals::of(result);
    let files: Vec<LocatedFile<'_>> = result.files.iter().map(|file| locate(file, cwd)).collect();
    match (options.format, options.statistics) {
        (OutputFormat::Json, true) => json::write_statistics(out, &totals),
        (_, true) => text::write_statistics(out, &totals),
        (OutputFormat::Text, false) => text::write(out, &files, &totals, options),
        (OutputFormat::Json, false) => json::write(out, &files, &totals),
        (OutputFormat::Sarif, false) => sarif::write(out, &files),
        (OutputFormat::Github, false) => github::write(out, &files),
    }
}

fn locate<'a>(file: &'a FileReport, cwd: &Path) -> LocatedFile<'a> {
    let source = file.source.as_ref();
    let index = source.map(|source| LineIndex::new(source));
    let at = |offset: u32| match (source, &index) {
        (Some(source), Some(index)) => index.position(source, offset),
        _ => Position { line: 1, column: 1 },
    };
    let at_end = |offset: u32| match (source, &index) {
        (Some(source), Some(index)) => index.end_position(source, offset),
        _ => Position { line: 1, column: 1 },
    };
    let findings = file
        .findings
        .iter()
        .map(|finding| {
            let diagnostic = &finding.diagnostic;
            Located {
                finding,
                start: at(diagnostic.span.start),
                end: at_end(diagnostic.span.end),
                related: diagnostic
                    .related
                    .iter()
                    .map(|related| (related, at(related.span.start), at_end(related.span.end)))
                    .collect(),
            }
        })
        .collect();
    LocatedFile {
        path: display_path(&file.path, cwd),
        source,
        index,
        findings,
    }
}

/// Relative to `cwd` when under it, always with `/`.
pub fn display_path(path: &Path, cwd: &Path) -> String {
    let shown = path.strip_prefix(cwd).unwrap_or(path);
    let text = shown.to_string_lossy().replace('\\', "/");
    if text.is_empty() {
        ".".to_string()
    } else {
        text
    }
}

/// `1 finding`, `2 findings`.
fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("{count} {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
