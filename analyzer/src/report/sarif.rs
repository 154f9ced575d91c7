//! SARIF 2.1.0, shaped for GitHub code scanning: every rule described in
//! `tool.driver.rules`, results with relative URIs under `%SRCROOT%`,
//! in-source suppressions, and fingerprints that survive edits elsewhere in
//! the file.

use std::collections::HashMap;
use std::io::{self, Write};

use serde_json::{json, Value};

use super::{Located, LocatedFile};
use crate::locate::Position;
use harden_rules::{RuleMeta, Severity};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/harden-dev/harden";

pub fn write(out: &mut dyn Write, files: &[LocatedFile<'_>]) -> io::Result<()> {
    let rules: Vec<&'static RuleMeta> = harden_rules::all_rules().collect();
    let rule_index: HashMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(index, rule)| (rule.code, index))
        .collect();
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    let mut internal_errors = false;
    for file in files {
        let mut occurrences: HashMap<(&str, &str), usize> = HashMap::new();
        for located in &file.findings {
            let rule = located.rule();
            let line_text = line_text(file, located.start.line);
            let occurrence = occurrences.entry((rule.code, line_text)).or_default();
            let fingerprint = fingerprint(rule.code, &file.path, line_text, *occurrence);
            *occurrence += 1;
            results.push(result(file, located, rule_index[rule.code], &fingerprint));
            if matches!(rule.code, "E001" | "E002" | "E003") {
                internal_errors |= rule.code == "E003";
                notifications.push(json!({
                    "level": "error",
                    "message": { "text": located.finding.diagnostic.message },
                    "locations": [location(&file.path, located.start, located.end)],
                    "associatedRule": { "id": rule.code, "index": rule_index[rule.code] },
                }));
            }
        }
    }
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "harden",
                    "version": env!("CARGO_PKG_VERSION"),
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "informationUri": INFORMATION_URI,
                    "rules": rules.iter().map(|rule| describe(rule)).collect::<Vec<_>>(),
                }
            },
            "invocations": [{
                "executionSuccessful": !internal_errors,
                "toolExecutionNotifications": notifications,
            }],
            "originalUriBaseIds": {
                "%SRCROOT%": { "uri": src_root_uri() }
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

/// The current directory as a `file://` URI ending in `/`, which relative
/// result URIs resolve against.
fn src_root_uri() -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut path = cwd.to_string_lossy().replace('\\', "/");
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    if !path.ends_with('/') {
        path.push('/');
    }
    format!("file://{}", percent_encode(&path))
}

/// Percent-encodes what may not appear raw in a URI path.
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn describe(rule: &RuleMeta) -> Value {
    let doc = rule.doc_markdown();
    json!({
        "id": rule.code,
        "name": rule.name,
        "shortDescription": { "text": rule.summary },
        "fullDescription": { "text": first_paragraph(&doc) },
        "help": { "text": doc, "markdown": doc },
        "helpUri": format!("{INFORMATION_URI}#{}", rule.code.to_ascii_lowercase()),
        "defaultConfiguration": { "level": level(rule.severity) },
        "properties": { "tags": rule.tags },
    })
}

/// The "What it does" paragraph, headings dropped.
fn first_paragraph(doc: &str) -> String {
    doc.lines()
        .skip_while(|line| line.trim().is_empty() || line.starts_with('#'))
        .take_while(|line| !line.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn location(path: &str, start: Position, end: Position) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": percent_encode(path), "uriBaseId": "%SRCROOT%" },
            "region": {
                "startLine": start.line,
                "startColumn": start.column,
                "endLine": end.line,
                "endColumn": end.column,
            }
        }
    })
}

fn result(
    file: &LocatedFile<'_>,
    located: &Located<'_>,
    rule_index: usize,
    fingerprint: &str,
) -> Value {
    let diagnostic = &located.finding.diagnostic;
    let rule = located.rule();
    let mut message = diagnostic.message.clone();
    if let Some(help) = &diagnostic.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let mut result = json!({
        "ruleId": rule.code,
        "ruleIndex": rule_index,
        "level": level(rule.severity),
        "message": { "text": message },
        "locations": [location(&file.path, located.start, located.end)],
        "partialFingerprints": { "harden/v1": fingerprint },
    });
    if !located.related.is_empty() {
        result["relatedLocations"] = located
            .related
            .iter()
            .enumerate()
            .map(|(id, located)| {
                let path = located
                    .elsewhere
                    .as_ref()
                    .map_or(&file.path, |(path, _)| path);
                let mut value = location(path, located.start, located.end);
                value["id"] = json!(id);
                value["message"] = json!({ "text": located.related.message });
                value
            })
            .collect();
    }
    if located.finding.suppressed {
        result["suppressions"] = json!([{ "kind": "inSource" }]);
    }
    result
}

fn line_text<'a>(file: &'a LocatedFile<'_>, line: usize) -> &'a str {
    match (file.source, &file.index) {
        (Some(source), Some(index)) => index.line_text(source, line).trim(),
        _ => "",
    }
}

/// FNV-1a (64-bit) of code, path, trimmed line text and the occurrence
/// index of that (code, text) pair in the file: stable when unrelated lines
/// move the finding, and across Rust releases (unlike `DefaultHasher`).
fn fingerprint(code: &str, path: &str, line_text: &str, occurrence: usize) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    let occurrence = occurrence.to_string();
    for part in [code, path, line_text, &occurrence] {
        for byte in part.bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_fnv1a() {
        // Pinned (computed independently): a change in the recipe would
        // reopen every alert in code scanning, so it must be deliberate.
        assert_eq!(
            fingerprint("BLK001", "a.py", "time.sleep(1)", 0),
            "27d87364ba9d5f11"
        );
        assert_ne!(
            fingerprint("BLK001", "a.py", "time.sleep(1)", 0),
            fingerprint("BLK001", "a.py", "time.sleep(1)", 1)
        );
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(percent_encode("dir name/a#b.py"), "dir%20name/a%23b.py");
    }
}
