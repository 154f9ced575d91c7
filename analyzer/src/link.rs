//! BLK006's second phase: once every file is checked, name each file's
//! module, hand all call facts to [`link_project`] and file its findings
//! with the others, suppressed by the comments of the file they are in.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use harden_rules::blk::transitively_blocking_call_in_async::TRANSITIVELY_BLOCKING_CALL_IN_ASYNC as LINKED;
use harden_rules::blk::{link_project, CallFacts, FileFacts};
use harden_rules::tool::INTERNAL_ERROR;
use harden_rules::{Diagnostic, Language, Span};

use crate::driver::{catch_panic, read_source, report, sort_findings, FileReport};
use crate::modules::ModuleNamer;
use crate::parse::SourceKind;
use crate::project::Project;
use crate::suppress::Finding;

/// What one file contributes to the second phase. Its text is not kept:
/// the few files that findings land in are read again.
#[derive(Debug)]
pub struct Linkable {
    path: PathBuf,
    kind: SourceKind,
    facts: CallFacts,
    /// Calls from async code that a comment suppresses BLK006 on.
    suppressed: HashSet<Span>,
}

impl Linkable {
    pub fn new(path: &Path, kind: SourceKind, facts: CallFacts, suppressed: Vec<Span>) -> Self {
        Self {
            path: path.to_path_buf(),
            kind,
            facts,
            suppressed: suppressed.into_iter().collect(),
        }
    }
}

/// Where a BLK006 finding may appear in a file: every call from async
/// code. Suppression comments are matched against these while the file's
/// comments are at hand.
pub fn probes(facts: &CallFacts) -> Vec<Diagnostic> {
    facts
        .functions
        .iter()
        .filter(|function| function.is_async)
        .flat_map(|function| &function.calls)
        .map(|call| Diagnostic::new(&LINKED, call.span, String::new()))
        .collect()
}

/// Adds BLK006's findings to `files` (kept sorted by path) and returns the
/// sources of the other files their related locations point into.
pub fn link(
    project: &Project,
    files: &mut Vec<FileReport>,
    mut linkables: Vec<Linkable>,
) -> BTreeMap<PathBuf, Arc<str>> {
    linkables.sort_by(|a, b| a.path.cmp(&b.path));
    let mut namer = ModuleNamer::default();
    let names: Vec<_> = linkables
        .iter()
        .map(|linkable| match linkable.kind {
            SourceKind::Python => namer.python(&linkable.path),
            SourceKind::Rust => namer.rust(&linkable.path),
        })
        .collect();
    let facts: Vec<FileFacts<'_>> = linkables
        .iter()
        .zip(&names)
        .map(|(linkable, name)| FileFacts {
            path: &linkable.path,
            language: match linkable.kind {
                SourceKind::Python => Language::Python,
                SourceKind::Rust => Language::Rust,
            },
            root: &name.root,
            module: name.module.clone(),
            is_package: name.is_package,
            facts: &linkable.facts,
        })
        .collect();
    let mut related_sources = BTreeMap::new();
    let mut found: BTreeMap<usize, Vec<Finding>> = BTreeMap::new();
    let linked = match catch_panic(|| link_project(&facts)) {
        Ok(linked) => linked,
        Err(message) => {
            // No one file is to blame. The first file of the run carries
            // the E003, so the gate fails and says why BLK006 is missing.
            if !linkables.is_empty() {
                found.entry(0).or_default().push(Finding {
                    diagnostic: Diagnostic::new(
                        &INTERNAL_ERROR,
                        Span::default(),
                        format!("internal error in BLK006's cross-file pass, its findings are missing: {message}"),
                    ),
                    suppressed: false,
                });
            }
            Vec::new()
        }
    };
    for mut finding in linked {
        let linkable = &linkables[finding.file];
        if !project.enabled_for(&linkable.path).contains(LINKED.code) {
            continue;
        }
        // A related location is shown from its file's text; one whose file
        // can no longer be read is left out rather than misplaced.
        finding.diagnostic.related.retain(|related| {
            let Some(path) = &related.path else {
                return true;
            };
            if !related_sources.contains_key(path) {
                match read_source(path) {
                    Some(source) => related_sources.insert(path.clone(), source),
                    None => return false,
                };
            }
            true
        });
        let suppressed = linkable.suppressed.contains(&finding.diagnostic.span);
        found.entry(finding.file).or_default().push(Finding {
            diagnostic: finding.diagnostic,
            suppressed,
        });
    }
    for (index, findings) in found {
        let linkable = &linkables[index];
        match files.iter_mut().find(|file| file.path == linkable.path) {
            Some(file) => {
                file.findings.extend(findings);
                sort_findings(&mut file.findings);
            }
            None => files.push(report(
                &linkable.path,
                read_source(&linkable.path),
                findings,
            )),
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    related_sources
}
