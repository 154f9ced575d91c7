//! Meta-tests that keep the rule catalogue honest: unique codes and names,
//! names in kebab case, complete docs, and fixtures for every language a
//! rule claims.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use harden_rules::{all_rules, Language, REGISTRY};

const DOC_HEADINGS: &[&str] = &[
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
    "## Known limitations",
];

#[test]
fn codes_and_names_are_unique() {
    let mut codes = HashSet::new();
    let mut names = HashSet::new();
    for meta in all_rules() {
        assert!(codes.insert(meta.code), "duplicate code {}", meta.code);
        assert!(names.insert(meta.name), "duplicate name {}", meta.name);
    }
}

#[test]
fn codes_are_a_family_prefix_and_three_digits() {
    for meta in all_rules() {
        let digits = &meta.code[meta.prefix().len()..];
        assert_eq!(
            digits.len(),
            3,
            "{}: code must end in three digits",
            meta.code
        );
        assert!(
            meta.prefix().chars().all(|c| c.is_ascii_uppercase()),
            "{}: prefix must be uppercase letters",
            meta.code
        );
    }
}

#[test]
fn names_are_kebab_case() {
    for meta in all_rules() {
        assert!(
            meta.name.split('-').all(|word| !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
            "{}: name `{}` is not kebab-case",
            meta.code,
            meta.name
        );
    }
}

#[test]
fn summaries_are_lowercase_without_trailing_period() {
    for meta in all_rules() {
        let first = meta.summary.chars().next().expect("summary is empty");
        assert!(
            !first.is_uppercase(),
            "{}: summary starts uppercase",
            meta.code
        );
        assert!(
            !meta.summary.ends_with('.'),
            "{}: summary ends with a period",
            meta.code
        );
    }
}

#[test]
fn every_doc_has_the_fixed_headings_in_order() {
    for meta in all_rules() {
        let doc = meta.doc_markdown();
        let mut from = 0;
        for heading in DOC_HEADINGS {
            let found = doc[from..].find(heading).unwrap_or_else(|| {
                panic!(
                    "{}: doc lacks `{heading}` (or it is out of order)",
                    meta.code
                )
            });
            from += found + heading.len();
        }
    }
}

#[test]
fn every_rule_has_good_and_bad_fixtures_for_each_language() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    for entry in REGISTRY {
        let meta = entry.meta;
        let folder = fixture_folder(&root, meta.prefix(), meta.name);
        for language in meta.languages {
            let ext = match language {
                Language::Python => "py",
                Language::Rust => "rs",
            };
            for kind in ["bad", "good"] {
                let file = folder.join(format!("{kind}.{ext}"));
                assert!(
                    file.is_file(),
                    "{}: missing fixture {}",
                    meta.code,
                    file.display()
                );
            }
        }
        let has_python = entry.python.is_some();
        let has_rust = entry.rust.is_some();
        assert_eq!(
            has_python,
            meta.languages.contains(&Language::Python),
            "{}: languages and Python check disagree",
            meta.code
        );
        assert_eq!(
            has_rust,
            meta.languages.contains(&Language::Rust),
            "{}: languages and Rust check disagree",
            meta.code
        );
    }
}

#[test]
fn every_fixture_folder_belongs_to_a_rule() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let known: HashSet<PathBuf> = REGISTRY
        .iter()
        .map(|entry| fixture_folder(&root, entry.meta.prefix(), entry.meta.name))
        .collect();
    for family in std::fs::read_dir(&root)
        .expect("fixtures/ exists")
        .flatten()
    {
        if !family.path().is_dir() {
            continue;
        }
        for rule in std::fs::read_dir(family.path())
            .expect("family folder")
            .flatten()
        {
            assert!(
                known.contains(&rule.path()),
                "fixture folder {} matches no registered rule",
                rule.path().display()
            );
        }
    }
}

/// `fixtures/blk/blocking_sleep_in_async` for BLK001.
fn fixture_folder(root: &Path, prefix: &str, name: &str) -> PathBuf {
    root.join(prefix.to_ascii_lowercase())
        .join(name.replace('-', "_"))
}
