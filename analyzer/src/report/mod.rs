//! Renders a run's findings: text (miette), JSON, SARIF and GitHub
//! workflow commands. Every format sees the same sorted, located findings.

mod github;
mod json;
mod sarif;
mod text;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
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
    pub related: Vec<LocatedRelated<'a>>,
}

/// A related location with positions resolved.
pub struct LocatedRelated<'a> {
    pub related: &'a Related,
    /// Set when the location is in another file than the finding: its
    /// display path and text.
    pub elsewhere: Option<(String, &'a Arc<str>)>,
    pub start: Position,
    pub end: Position,
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
    let files: Vec<LocatedFile<'_>> = result
        .files
        .iter()
        .map(|file| locate(file, &result.related_sources, cwd))
        .collect();
    match (options.format, options.statistics) {
        (OutputFormat::Json, true) => json::write_statistics(out, &totals),
        (_, true) => text::write_statistics(out, &totals),
        (OutputFormat::Text, false) => text::write(out, &files, &totals, options),
        (OutputFormat::Json, false) => json::write(out, &files, &totals),
        (OutputFormat::Sarif, false) => sarif::write(out, &files),
        (OutputFormat::Github, false) => github::write(out, &files),
    }
}

fn locate<'a>(
    file: &'a FileReport,
    related_sources: &'a BTreeMap<PathBuf, Arc<str>>,
    cwd: &Path,
) -> LocatedFile<'a> {
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
                    .map(|related| {
                        let elsewhere = related
                            .path
                            .as_ref()
                            .and_then(|path| Some((path, related_sources.get(path)?)));
                        match elsewhere {
                            Some((path, other)) => {
                                let index = LineIndex::new(other);
                                LocatedRelated {
                                    related,
                                    elsewhere: Some((display_path(path, cwd), other)),
                                    start: index.position(other, related.span.start),
                                    end: index.end_position(other, related.span.end),
                                }
                            }
                            None => LocatedRelated {
                                related,
                                elsewhere: None,
                                start: at(related.span.start),
                                end: at_end(related.span.end),
                            },
                        }
                    })
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use harden_rules::Diagnostic;

    use super::*;

    /// No rule of the BLK001 kind has related locations, so build one.
    fn result_with_related() -> CheckResult {
        let source = "def helper():\n    time.sleep(1)\n\nasync def f():\n    helper()\n";
        let call = source.find("helper()\n").unwrap() as u32;
        let sleep = source.find("time.sleep").unwrap() as u32;
        let diagnostic = Diagnostic::new(
            harden_rules::REGISTRY[0].meta,
            harden_rules::Span::new(call, call + 8),
            "`helper` blocks",
        )
        .with_related(
            harden_rules::Span::new(sleep, sleep + 13),
            "the blocking call",
        );
        CheckResult {
            related_sources: BTreeMap::new(),
            files_checked: 1,
            files: vec![FileReport {
                path: PathBuf::from("/repo/app.py"),
                source: Some(Arc::from(source)),
                findings: vec![Finding {
                    diagnostic,
                    suppressed: false,
                }],
            }],
        }
    }

    fn render(format: OutputFormat) -> String {
        let mut out = Vec::new();
        let options = ReportOptions {
            format,
            ..ReportOptions::default()
        };
        write(
            &mut out,
            &result_with_related(),
            Path::new("/repo"),
            options,
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn related_locations_reach_every_format() {
        let text = render(OutputFormat::Text);
        assert!(text.contains("the blocking call"), "{text}");
        assert!(text.contains("[app.py:5:5]"), "{text}");

        let json: serde_json::Value = serde_json::from_str(&render(OutputFormat::Json)).unwrap();
        let related = &json["findings"][0]["related"][0];
        assert_eq!(related["path"], "app.py");
        assert_eq!(
            related["start"],
            serde_json::json!({"line": 2, "column": 5})
        );
        assert_eq!(related["end"], serde_json::json!({"line": 2, "column": 18}));
        assert_eq!(related["message"], "the blocking call");

        let sarif: serde_json::Value = serde_json::from_str(&render(OutputFormat::Sarif)).unwrap();
        let related = &sarif["runs"][0]["results"][0]["relatedLocations"][0];
        assert_eq!(related["message"]["text"], "the blocking call");
        assert_eq!(related["physicalLocation"]["region"]["startLine"], 2);
    }

    #[test]
    fn paths_outside_the_current_directory_stay_absolute() {
        assert_eq!(
            display_path(Path::new("/repo/a/b.py"), Path::new("/repo")),
            "a/b.py"
        );
        assert_eq!(
            display_path(Path::new("/other/b.py"), Path::new("/repo")),
            "/other/b.py"
        );
    }
}
