//! Checks files in parallel: read, decode, parse, run the enabled rules
//! from one walk, apply suppressions. Each file's work runs inside
//! `catch_unwind` on a thread with a large stack, so neither a bug in a
//! rule nor a hostile file takes the run down.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};

use rayon::prelude::*;

use harden_rules::blk::transitively_blocking_call_in_async::{
    ENTRY as LINKED_ENTRY, TRANSITIVELY_BLOCKING_CALL_IN_ASYNC as LINKED,
};
use harden_rules::blk::CallFacts;
use harden_rules::tool::{INTERNAL_ERROR, PARSE_ERROR, READ_ERROR};
use harden_rules::{Diagnostic, RuleEntry, Settings, Span};

use crate::discover::{io_message, Candidate, WalkError};
use crate::link::{self, Linkable};
use crate::parse::{self, SourceKind};
use crate::project::Project;
use crate::suppress::{self, Finding};

/// Stack of each checking thread. Parsers and rule walks recurse once per
/// nesting level; the nesting pre-scan bounds brackets, this bounds the rest.
const STACK_SIZE: usize = 64 * 1024 * 1024;

/// The outcome for one file.
#[derive(Debug)]
pub struct FileReport {
    /// Absolute path.
    pub path: PathBuf,
    /// The text, kept only when there are findings to render.
    pub source: Option<Arc<str>>,
    /// Sorted by position, then code.
    pub findings: Vec<Finding>,
}

/// Everything a run found.
#[derive(Debug)]
pub struct CheckResult {
    pub files_checked: usize,
    /// Only files with findings, sorted by path.
    pub files: Vec<FileReport>,
    /// The text of files that only related locations point into (BLK006's
    /// blocking call inside a helper of another file).
    pub related_sources: BTreeMap<PathBuf, Arc<str>>,
}

/// Checks `candidates` on `threads` threads (0: one per core) and turns
/// walk errors into E002 findings.
pub fn check_all(
    project: &Project,
    candidates: &[Candidate],
    walk_errors: Vec<WalkError>,
    threads: usize,
) -> Result<CheckResult, rayon::ThreadPoolBuildError> {
    install_panic_hook();
    // More threads than files would only reserve idle stacks.
    let threads = match threads {
        0 => 0,
        n => n.min(candidates.len().max(1)),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(STACK_SIZE)
        .build()?;
    // BLK006 needs the calls of every file, also those it is ignored in.
    let linked = project.enabled.contains(LINKED.code);
    let checked: Vec<(FileReport, Option<Linkable>)> = pool.install(|| {
        candidates
            .par_iter()
            .map(|candidate| check_file_linked(project, candidate, linked))
            .collect()
    });
    let mut files = Vec::new();
    let mut linkables = Vec::new();
    for (report, linkable) in checked {
        if !report.findings.is_empty() {
            files.push(report);
        }
        linkables.extend(linkable);
    }
    let related_sources = if linked {
        link::link(project, &mut files, linkables)
    } else {
        BTreeMap::new()
    };
    let walk_errors = walk_errors
        .into_iter()
        .filter(|_| project.enabled.contains(READ_ERROR.code));
    files.extend(walk_errors.map(|error| FileReport {
        path: error.path,
        source: None,
        findings: vec![tool_finding(Diagnostic::new(
            &READ_ERROR,
            Span::default(),
            error.message,
        ))],
    }));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(CheckResult {
        files_checked: candidates.len(),
        files,
        related_sources,
    })
}

fn tool_finding(diagnostic: Diagnostic) -> Finding {
    Finding {
        diagnostic,
        suppressed: false,
    }
}

/// One file, start to end. Never panics: a panic becomes E003.
pub fn check_file(project: &Project, candidate: &Candidate) -> FileReport {
    check_file_linked(project, candidate, false).0
}

/// One file, and with `linked`, what it tells BLK006's project-wide half.
fn check_file_linked(
    project: &Project,
    candidate: &Candidate,
    linked: bool,
) -> (FileReport, Option<Linkable>) {
    let path = &candidate.path;
    let enabled = project.enabled_for(path);
    let (mut report, linkable) = analyse_file(project, candidate, &enabled, linked);
    report
        .findings
        .retain(|finding| enabled.contains(finding.diagnostic.rule.code));
    if report.findings.is_empty() {
        report.source = None;
    }
    (report, linkable)
}

fn analyse_file(
    project: &Project,
    candidate: &Candidate,
    enabled: &BTreeSet<&'static str>,
    linked: bool,
) -> (FileReport, Option<Linkable>) {
    let path = &candidate.path;
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            let finding = tool_finding(Diagnostic::new(
                &READ_ERROR,
                Span::default(),
                format!("cannot read file: {}", io_message(&error)),
            ));
            return (report(path, None, vec![finding]), None);
        }
    };
    let source: Arc<str> = match String::from_utf8(bytes) {
        // Offsets and columns count from after a byte order mark, as
        // editors do.
        Ok(text) => text.strip_prefix('\u{feff}').unwrap_or(&text).into(),
        Err(error) => {
            let offset = error.utf8_error().valid_up_to() as u32;
            let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
            let diagnostic = Diagnostic::new(
                &READ_ERROR,
                Span::new(offset, offset + 1),
                "file is not valid UTF-8",
            )
            .with_help("save the file as UTF-8 or exclude it");
            let findings = vec![tool_finding(diagnostic)];
            return (report(path, Some(text.into()), findings), None);
        }
    };
    let outcome = catch_panic(|| analyse(project, candidate, &source, enabled, linked));
    if candidate.kind == SourceKind::Rust {
        parse::rust::forget_spans();
    }
    let (findings, linked) = match outcome {
        Ok(outcome) => outcome,
        Err(message) => {
            let finding = tool_finding(Diagnostic::new(
                &INTERNAL_ERROR,
                Span::default(),
                format!("internal error: {message}"),
            ));
            (vec![finding], None)
        }
    };
    let linkable =
        linked.map(|(facts, suppressed)| Linkable::new(path, candidate.kind, facts, suppressed));
    (report(path, Some(source), findings), linkable)
}

/// A file's text as the first phase saw it (after a byte order mark), for
/// the second phase, which keeps no text; `None` if it is gone or changed
/// into something unreadable.
pub(crate) fn read_source(path: &Path) -> Option<Arc<str>> {
    let text = String::from_utf8(std::fs::read(path).ok()?).ok()?;
    Some(text.strip_prefix('\u{feff}').unwrap_or(&text).into())
}

pub(crate) fn report(
    path: &Path,
    source: Option<Arc<str>>,
    mut findings: Vec<Finding>,
) -> FileReport {
    sort_findings(&mut findings);
    FileReport {
        path: path.to_path_buf(),
        source: source.filter(|_| !findings.is_empty()),
        findings,
    }
}

/// By position, then code, then message: the order every format shows.
pub(crate) fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let key = |finding: &Finding| {
            let diagnostic = &finding.diagnostic;
            (
                diagnostic.span.start,
                diagnostic.rule.code,
                diagnostic.span.end,
            )
        };
        key(a)
            .cmp(&key(b))
            .then_with(|| a.diagnostic.message.cmp(&b.diagnostic.message))
    });
}

/// A file's findings, and its call facts with the calls a comment
/// suppresses BLK006 on.
type Analysed = (Vec<Finding>, Option<(CallFacts, Vec<Span>)>);

/// Parse, check, suppress.
fn analyse(
    project: &Project,
    candidate: &Candidate,
    source: &str,
    enabled: &BTreeSet<&'static str>,
    linked: bool,
) -> Analysed {
    debug_panic_hook(&candidate.path);
    let is_stub = candidate.path.extension().is_some_and(|ext| ext == "pyi");
    // Stubs would claim every name of the module they describe a second time.
    let gather = linked && !is_stub;
    let mut rules: Vec<&'static RuleEntry> = harden_rules::REGISTRY
        .iter()
        .filter(|entry| enabled.contains(entry.meta.code))
        .filter(|entry| gather || entry.meta.code != LINKED.code)
        .collect();
    if gather && !enabled.contains(LINKED.code) {
        rules.push(&LINKED_ENTRY);
    }
    let settings: &Settings = &project.settings;
    let finish = |comments: &mut dyn Iterator<Item = Span>,
                  (diagnostics, facts): (Vec<Diagnostic>, Option<CallFacts>)| {
        let probes = match &facts {
            Some(facts) if enabled.contains(LINKED.code) => link::probes(facts),
            _ => Vec::new(),
        };
        let (findings, suppressed) =
            suppress::apply_with_probes(source, comments, diagnostics, enabled, probes);
        (findings, facts.map(|facts| (facts, suppressed)))
    };
    let parsed = match candidate.kind {
        SourceKind::Python => parse::python::parse(source, is_stub).map(|parsed| {
            let checked = harden_rules::python::check_with_facts(
                parsed.module(),
                source,
                candidate.place,
                settings,
                &rules,
            );
            finish(&mut parsed.comments(), checked)
        }),
        SourceKind::Rust => parse::rust::parse(source).map(|parsed| {
            let checked = harden_rules::rust::check_with_facts(
                parsed.file(),
                source,
                candidate.place,
                settings,
                &rules,
            );
            finish(&mut parsed.comments(), checked)
        }),
    };
    parsed.unwrap_or_else(|error| {
        let finding = tool_finding(
            Diagnostic::new(&PARSE_ERROR, error.span, error.message)
                .with_help("unparsed code is unchecked code: fix the syntax or exclude the file"),
        );
        (vec![finding], None)
    })
}

/// Lets the end-to-end tests exercise the E003 path: debug builds panic on
/// files whose name is in `HARDEN_DEBUG_PANIC_ON`. Release builds never do.
fn debug_panic_hook(path: &Path) {
    if cfg!(debug_assertions) {
        if let Ok(name) = std::env::var("HARDEN_DEBUG_PANIC_ON") {
            if path.file_name().is_some_and(|file| file == name.as_str()) {
                panic!("panic requested by HARDEN_DEBUG_PANIC_ON");
            }
        }
    }
}

thread_local! {
    /// Set while a file is being checked: panics there are findings, not crashes.
    static CHECKING: Cell<bool> = const { Cell::new(false) };
    /// Where the last caught panic happened.
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Keeps the default hook for panics outside file checks and records the
/// location, quietly, for panics inside them.
fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CHECKING.get() {
                let location = info
                    .location()
                    .map(|location| format!("{}:{}", location.file(), location.line()));
                PANIC_LOCATION.set(location);
            } else {
                default(info);
            }
        }));
    });
}

/// Runs `work`, turning a panic into its message.
pub(crate) fn catch_panic<T>(work: impl FnOnce() -> T) -> Result<T, String> {
    CHECKING.set(true);
    let outcome = panic::catch_unwind(AssertUnwindSafe(work));
    CHECKING.set(false);
    outcome.map_err(|payload| {
        let message = panic_message(payload.as_ref());
        match PANIC_LOCATION.take() {
            Some(location) => format!("{message} at {location}"),
            None => message,
        }
    })
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| (*text).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic with a non-text payload".to_string())
}
