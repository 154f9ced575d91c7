//! One test per fixture file under `fixtures/<family>/<rule_name>/`.
//!
//! Every finding in a `bad.*` file must sit on a line carrying a marker
//! `# expect: CODE` (Python) or `// expect: CODE` (Rust), several codes
//! separated by commas, and every marker must be hit exactly. `good.*`
//! files must yield nothing. All rules run on every fixture, so a rule that
//! fires on another rule's fixture fails too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use harden_rules::blk::{link_project, FileFacts};
use harden_rules::{Diagnostic, FilePlace, Language, RuleEntry, Settings, REGISTRY};
use libtest_mimic::{Arguments, Failed, Trial};

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let trials = files
        .into_iter()
        .map(|path| {
            let name = path
                .strip_prefix(&root)
                .unwrap_or(&path)
                .display()
                .to_string()
                .replace('\\', "/");
            Trial::test(name, move || check_fixture(&path))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if is_fixture(&path) {
            out.push(path);
        }
    }
}

fn is_fixture(path: &Path) -> bool {
    let stem = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or_default();
    let ext = path
        .extension()
        .and_then(|ext| ext.to_str())
        .unwrap_or_default();
    (stem.starts_with("bad") || stem.starts_with("good")) && matches!(ext, "py" | "rs")
}

/// Runs every rule on one fixture and compares findings with its markers.
pub fn check_fixture(path: &Path) -> Result<(), Failed> {
    let source =
        std::fs::read_to_string(path).map_err(|err| format!("{}: {err}", path.display()))?;
    let rules: Vec<&'static RuleEntry> = REGISTRY.iter().collect();
    let settings = Settings::default();
    let is_python = path.extension().is_some_and(|ext| ext == "py");
    let (mut diagnostics, facts) = if is_python {
        let parsed = ruff_python_parser::parse_module(&source)
            .map_err(|err| format!("syntax error: {err}"))?;
        harden_rules::python::check_with_facts(
            parsed.syntax(),
            &source,
            FilePlace::Shipped,
            &settings,
            &rules,
        )
    } else {
        let file = syn::parse_file(&source).map_err(|err| format!("syntax error: {err}"))?;
        harden_rules::rust::check_with_facts(&file, &source, FilePlace::Shipped, &settings, &rules)
    };
    // BLK006's project-wide half, over a project of this one file.
    if let Some(facts) = &facts {
        let file = FileFacts {
            path,
            language: if is_python {
                Language::Python
            } else {
                Language::Rust
            },
            root: path,
            module: Vec::new(),
            is_package: false,
            facts,
        };
        let linked = link_project(&[file]);
        diagnostics.extend(linked.into_iter().map(|finding| finding.diagnostic));
    }
    for diagnostic in &diagnostics {
        let message = &diagnostic.message;
        if message.chars().next().is_some_and(char::is_uppercase) || message.ends_with('.') {
            return Err(format!(
                "{}: message must start lowercase without a trailing period: {message}",
                diagnostic.rule.code
            )
            .into());
        }
    }
    let marker = if is_python { "# expect:" } else { "// expect:" };
    let expected = expected_findings(&source, marker);
    let actual = actual_findings(&source, &diagnostics);
    let is_good = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .is_some_and(|stem| stem.starts_with("good"));
    if is_good && !expected.is_empty() {
        return Err("a good fixture must not carry expect markers".into());
    }
    if !is_good && expected.is_empty() {
        return Err("a bad fixture must carry at least one expect marker".into());
    }
    if expected == actual {
        return Ok(());
    }
    Err(describe_mismatch(&expected, &actual, &diagnostics, &source).into())
}

type Findings = BTreeMap<(usize, String), usize>;

fn expected_findings(source: &str, marker: &str) -> Findings {
    let mut findings = Findings::new();
    for (index, line) in source.lines().enumerate() {
        let Some((_, codes)) = line.split_once(marker) else {
            continue;
        };
        for code in codes
            .split(',')
            .map(str::trim)
            .filter(|code| !code.is_empty())
        {
            let code = code.split_whitespace().next().unwrap_or(code);
            *findings.entry((index + 1, code.to_string())).or_default() += 1;
        }
    }
    findings
}

fn actual_findings(source: &str, diagnostics: &[Diagnostic]) -> Findings {
    let mut findings = Findings::new();
    for diagnostic in diagnostics {
        let line = line_of(source, diagnostic.span.start);
        *findings
            .entry((line, diagnostic.rule.code.to_string()))
            .or_default() += 1;
    }
    findings
}

fn line_of(source: &str, offset: u32) -> usize {
    let offset = (offset as usize).min(source.len());
    source.as_bytes()[..offset]
        .iter()
        .filter(|&&byte| byte == b'\n')
        .count()
        + 1
}

fn describe_mismatch(
    expected: &Findings,
    actual: &Findings,
    diagnostics: &[Diagnostic],
    source: &str,
) -> String {
    let mut report = String::new();
    for (key, count) in expected {
        let got = actual.get(key).copied().unwrap_or(0);
        if got < *count {
            report.push_str(&format!(
                "missing: line {} {} (expected {count}, got {got})\n",
                key.0, key.1
            ));
        }
    }
    for (key, count) in actual {
        let want = expected.get(key).copied().unwrap_or(0);
        if *count > want {
            let messages: Vec<&str> = diagnostics
                .iter()
                .filter(|d| d.rule.code == key.1 && line_of(source, d.span.start) == key.0)
                .map(|d| d.message.as_str())
                .collect();
            report.push_str(&format!(
                "unexpected: line {} {} (expected {want}, got {count}): {}\n",
                key.0,
                key.1,
                messages.join("; ")
            ));
        }
    }
    report
}
