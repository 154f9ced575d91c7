//! Rules-only scan of a directory tree, for sampling findings on real code
//! while developing a rule: `cargo run --release -p harden-rules --example
//! scan -- DIR [CODE_PREFIX]`. Prints `path:line:col: CODE message` per
//! finding and counts per rule. The product is the `harden` binary; this
//! skips configuration, suppressions and reporting on purpose.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use harden_rules::{RuleEntry, Settings, REGISTRY};

fn main() {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(args.next().expect("usage: scan DIR [CODE_PREFIX]"));
    let prefix = args.next().unwrap_or_default();
    let rules: Vec<&'static RuleEntry> = REGISTRY
        .iter()
        .filter(|entry| entry.meta.code.starts_with(&prefix))
        .collect();
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let settings = Settings::default();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for path in &files {
        let Ok(source) = std::fs::read_to_string(path) else {
            continue;
        };
        let diagnostics = if path.extension().is_some_and(|ext| ext == "py") {
            let Ok(parsed) = ruff_python_parser::parse_module(&source) else {
                continue;
            };
            harden_rules::python::check(parsed.syntax(), &source, &settings, &rules)
        } else {
            let Ok(file) = syn::parse_file(&source) else {
                continue;
            };
            let found = harden_rules::rust::check(&file, &source, &settings, &rules);
            proc_macro2::extra::invalidate_current_thread_spans();
            found
        };
        for diagnostic in diagnostics {
            let before = &source[..diagnostic.span.start as usize];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            println!(
                "{}:{line}:{column}: {} {}",
                path.display(),
                diagnostic.rule.code,
                diagnostic.message
            );
            *counts.entry(diagnostic.rule.code).or_default() += 1;
        }
    }
    eprintln!("{} files", files.len());
    for (code, count) in counts {
        eprintln!("{code}: {count}");
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            collect(&path, out);
        } else if kind.is_file()
            && path
                .extension()
                .is_some_and(|ext| ext == "py" || ext == "rs")
        {
            out.push(path);
        }
    }
}
