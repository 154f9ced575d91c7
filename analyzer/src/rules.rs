//! `harden rules` and `harden rule CODE`: the catalogue, from the registry.

use std::io::{self, Write};

use serde::Serialize;

use harden_rules::{Language, RuleMeta};

use crate::report::OutputFormat;

fn languages(rule: &RuleMeta) -> Vec<&'static str> {
    rule.languages
        .iter()
        .map(|language| match language {
            Language::Python => "python",
            Language::Rust => "rust",
        })
        .collect()
}

#[derive(Serialize)]
struct RuleRow {
    code: &'static str,
    name: &'static str,
    languages: Vec<&'static str>,
    severity: &'static str,
    summary: &'static str,
    tags: &'static [&'static str],
    /// Off unless `--preview` or selected by code or name.
    preview: bool,
}

/// Every rule and tool diagnostic, as a table or JSON.
pub fn list_rules(out: &mut dyn Write, format: OutputFormat) -> io::Result<()> {
    let rules: Vec<&'static RuleMeta> = harden_rules::all_rules().collect();
    if format == OutputFormat::Json {
        let rows: Vec<RuleRow> = rules
            .iter()
            .map(|rule| RuleRow {
                code: rule.code,
                name: rule.name,
                languages: languages(rule),
                severity: rule.severity.as_str(),
                summary: rule.summary,
                tags: rule.tags,
                preview: rule.preview,
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        return writeln!(out);
    }
    let name_width = rules.iter().map(|rule| rule.name.len()).max().unwrap_or(4);
    writeln!(
        out,
        "{:<7} {:<name_width$} {:<10} summary",
        "code", "name", "languages"
    )?;
    for rule in rules {
        let short: Vec<&str> = languages(rule)
            .into_iter()
            .map(|language| if language == "python" { "py" } else { "rs" })
            .collect();
        let preview = if rule.preview { " (preview)" } else { "" };
        writeln!(
            out,
            "{:<7} {:<name_width$} {:<10} {}{preview}",
            rule.code,
            rule.name,
            short.join(", "),
            rule.summary
        )?;
    }
    Ok(())
}

/// The documentation of one rule under a title line; `None` if unknown.
pub fn explain_rule(code_or_name: &str) -> Option<String> {
    let rule = harden_rules::find_rule(code_or_name)?;
    let preview = if rule.preview {
        "\n\nPreview rule: off by default; enable it with `--preview` or by selecting it by code or name."
    } else {
        ""
    };
    Some(format!(
        "# {} {}\n\n{}{preview}\n\n{}",
        rule.code,
        rule.name,
        rule.summary,
        rule.doc_markdown()
    ))
}
