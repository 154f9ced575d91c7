//! Which files to check: the paths given, walked with `ignore` (so
//! `.gitignore` is honoured and hidden directories are skipped), minus the
//! usual virtualenv and build directories and the configured excludes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};
use harden_rules::FilePlace;

use crate::parse::{lowercase_first, SourceKind};

/// Directories never worth walking, whatever `.gitignore` says.
const SKIPPED_DIRS: &[&str] = &["target", ".venv", "venv", "node_modules", "__pycache__"];

/// A file to check.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub path: PathBuf,
    pub kind: SourceKind,
    /// Test support or shipped code, by the path below the walked root.
    pub place: FilePlace,
}

/// A path that could not be walked: a symlink loop, a missing path, an
/// unreadable directory. Reported as an E002 finding on that path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkError {
    pub path: PathBuf,
    pub message: String,
}

/// Exclude globs, each matched on the path relative to its base directory
/// (the configuration file's directory, or the walked root for
/// `--exclude`) and on the file name alone.
#[derive(Clone, Debug, Default)]
pub struct Excludes {
    /// Globs relative to a fixed directory.
    anchored: Vec<(PathBuf, GlobSet)>,
    /// Globs relative to whichever root is being walked.
    per_root: Option<GlobSet>,
}

impl Excludes {
    pub fn add_anchored(&mut self, base: &Path, globs: &[String]) -> Result<(), globset::Error> {
        if !globs.is_empty() {
            self.anchored.push((base.to_path_buf(), build_set(globs)?));
        }
        Ok(())
    }

    pub fn set_per_root(&mut self, globs: &[String]) -> Result<(), globset::Error> {
        if !globs.is_empty() {
            self.per_root = Some(build_set(globs)?);
        }
        Ok(())
    }

    fn is_excluded(&self, path: &Path, root: &Path) -> bool {
        let name = path.file_name().map(Path::new);
        let hit = |base: &Path, set: &GlobSet| {
            path.strip_prefix(base)
                .is_ok_and(|relative| set.is_match(relative))
                || name.is_some_and(|name| set.is_match(name))
        };
        self.anchored.iter().any(|(base, set)| hit(base, set))
            || self.per_root.as_ref().is_some_and(|set| hit(root, set))
    }
}

fn build_set(globs: &[String]) -> Result<GlobSet, globset::Error> {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        builder.add(Glob::new(glob)?);
    }
    builder.build()
}

/// Collects the files under `roots` (absolute paths), sorted and without
/// duplicates. Files named directly are always checked.
pub fn discover(roots: &[PathBuf], excludes: &Excludes) -> (Vec<Candidate>, Vec<WalkError>) {
    let excludes = Arc::new(excludes.clone());
    let mut files = BTreeSet::new();
    let mut errors = Vec::new();
    for root in roots {
        match std::fs::metadata(root) {
            Ok(metadata) if !metadata.is_dir() => {
                let name = root.file_name().map(Path::new).unwrap_or(root);
                files.insert(Candidate {
                    path: root.clone(),
                    kind: SourceKind::of_named(root),
                    place: FilePlace::of(name),
                });
                continue;
            }
            Ok(_) => {}
            Err(error) => {
                errors.push(WalkError {
                    path: root.clone(),
                    message: io_message(&error),
                });
                continue;
            }
        }
        walk(root, &excludes, &mut files, &mut errors);
    }
    (files.into_iter().collect(), errors)
}

fn walk(
    root: &Path,
    excludes: &Arc<Excludes>,
    files: &mut BTreeSet<Candidate>,
    errors: &mut Vec<WalkError>,
) {
    let filter_root = root.to_path_buf();
    let filter_excludes = Arc::clone(excludes);
    let walker = ignore::WalkBuilder::new(root)
        .follow_links(true)
        .require_git(false)
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|kind| kind.is_dir());
            let skipped_dir = is_dir
                && entry.depth() > 0
                && entry
                    .file_name()
                    .to_str()
                    .is_some_and(|name| SKIPPED_DIRS.contains(&name));
            !skipped_dir
                && (entry.depth() == 0 || !filter_excludes.is_excluded(entry.path(), &filter_root))
        })
        .build();
    for entry in walker {
        match entry {
            Ok(entry) => {
                if !entry.file_type().is_some_and(|kind| kind.is_file()) {
                    continue;
                }
                if let Some(kind) = SourceKind::of_discovered(entry.path()) {
                    let below_root = entry.path().strip_prefix(root).unwrap_or(entry.path());
                    let place = FilePlace::of(below_root);
                    files.insert(Candidate {
                        path: entry.into_path(),
                        kind,
                        place,
                    });
                }
            }
            Err(error) => errors.push(walk_error(root, &error)),
        }
    }
}

fn walk_error(root: &Path, error: &ignore::Error) -> WalkError {
    let path = error_path(error).unwrap_or(root).to_path_buf();
    let message = match innermost(error) {
        ignore::Error::Loop { ancestor, .. } => {
            format!(
                "symlink loop: points to its ancestor {}",
                ancestor.display()
            )
        }
        inner => match inner.io_error() {
            Some(io) => io_message(io),
            None => lowercase_first(&inner.to_string()),
        },
    };
    WalkError { path, message }
}

/// `No such file or directory (os error 2)` -> `no such file or directory`.
pub(crate) fn io_message(error: &std::io::Error) -> String {
    let text = error.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text);
    lowercase_first(text)
}

fn error_path(error: &ignore::Error) -> Option<&Path> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::Loop { child, .. } => Some(child),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

fn innermost(error: &ignore::Error) -> &ignore::Error {
    match error {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => innermost(err),
        _ => error,
    }
}
