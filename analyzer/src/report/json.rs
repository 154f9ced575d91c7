//! The JSON report. Its schema is documented in the README and is stable:
//! fields are only ever added.

use std::io::{self, Write};

use serde::Serialize;

use super::{LocatedFile, Totals};
use crate::locate::Position;

#[derive(Serialize)]
struct Report<'a> {
    version: &'static str,
    files_checked: usize,
    findings: Vec<JsonFinding<'a>>,
    summary: Summary<'a>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'static str,
    name: &'static str,
    severity: &'static str,
    message: &'a str,
    path: &'a str,
    start: Position,
    end: Position,
    help: Option<&'a str>,
    related: Vec<JsonRelated<'a>>,
    suppressed: bool,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    path: &'a str,
    start: Position,
    end: Position,
    message: &'a str,
}

#[derive(Serialize)]
struct Summary<'a> {
    findings: usize,
    suppressed: usize,
    files_with_findings: usize,
    by_rule: Vec<RuleCount<'a>>,
}

#[derive(Serialize)]
struct RuleCount<'a> {
    code: &'a str,
    name: &'a str,
    count: usize,
}

fn summary<'a>(totals: &'a Totals) -> Summary<'a> {
    Summary {
        findings: totals.findings,
        suppressed: totals.suppressed,
        files_with_findings: totals.files_with_findings,
        by_rule: totals
            .by_rule
            .values()
            .map(|(rule, count)| RuleCount {
                code: rule.code,
                name: rule.name,
                count: *count,
            })
            .collect(),
    }
}

pub fn write(out: &mut dyn Write, files: &[LocatedFile<'_>], totals: &Totals) -> io::Result<()> {
    let findings = files
        .iter()
        .flat_map(|file| {
            file.findings.iter().map(|located| {
                let diagnostic = &located.finding.diagnostic;
                let rule = located.rule();
                JsonFinding {
                    code: rule.code,
                    name: rule.name,
                    severity: rule.severity.as_str(),
                    message: &diagnostic.message,
                    path: &file.path,
                    start: located.start,
                    end: located.end,
                    help: diagnostic.help.as_deref(),
                    related: located
                        .related
                        .iter()
                        .map(|located| JsonRelated {
                            path: located
                                .elsewhere
                                .as_ref()
                                .map_or(&file.path, |(path, _)| path),
                            start: located.start,
                            end: located.end,
                            message: &located.related.message,
                        })
                        .collect(),
                    suppressed: located.finding.suppressed,
                }
            })
        })
        .collect();
    let report = Report {
        version: env!("CARGO_PKG_VERSION"),
        files_checked: totals.files_checked,
        findings,
        summary: summary(totals),
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}

/// `--statistics --output-format json`: the summary alone.
pub fn write_statistics(out: &mut dyn Write, totals: &Totals) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &summary(totals))?;
    writeln!(out)
}
