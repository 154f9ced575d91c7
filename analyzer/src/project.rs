//! The command line and the configuration file, merged into what one run
//! checks and how: roots, enabled rules, excludes, per-file ignores and the
//! rules' settings.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobMatcher};

use crate::config::{self, Config, ConfigError};
use crate::discover::Excludes;
use crate::selection::{self, Selector, UnknownSelector};
use harden_rules::Settings;

/// What `harden check` was asked on the command line.
#[derive(Clone, Debug, Default)]
pub struct CheckRequest {
    pub paths: Vec<PathBuf>,
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub extend_select: Vec<String>,
    /// `--preview`: `ALL` and prefixes also pick preview rules.
    pub preview: bool,
    pub exclude: Vec<String>,
    pub config: Option<PathBuf>,
    pub isolated: bool,
}

/// A usage or configuration error: exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0} in `{1}`")]
    Selector(UnknownSelector, &'static str),
    #[error("invalid glob `{glob}` in `--exclude`: {message}")]
    Exclude { glob: String, message: String },
    #[error("cannot start the worker threads: {0}")]
    Threads(String),
}

/// One run's resolved settings.
#[derive(Debug)]
pub struct Project {
    /// Absolute, normalised paths to check.
    pub roots: Vec<PathBuf>,
    /// The configuration file in force, if any.
    pub config: Option<PathBuf>,
    /// Codes enabled everywhere.
    pub enabled: BTreeSet<&'static str>,
    pub per_file_ignores: Vec<(GlobMatcher, BTreeSet<&'static str>)>,
    /// The directory per-file-ignore globs are relative to.
    pub base: PathBuf,
    pub excludes: Excludes,
    pub settings: Settings,
}

impl Project {
    pub fn resolve(request: &CheckRequest, cwd: &Path) -> Result<Self, UsageError> {
        let paths = if request.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            request.paths.clone()
        };
        let roots: Vec<PathBuf> = paths.iter().map(|path| absolute(cwd, path)).collect();
        let config = load_config(request, cwd, &roots[0])?;
        let options = config
            .as_ref()
            .map(|config| config.options.clone())
            .unwrap_or_default();
        let base = config
            .as_ref()
            .map_or_else(|| cwd.to_path_buf(), |config| config.base().to_path_buf());

        let parse = |list: &[String], key: &'static str| {
            selection::parse_all(list).map_err(|error| UsageError::Selector(error, key))
        };
        let select = match &request.select {
            Some(list) => parse(list, "--select")?,
            None => options
                .select_selectors()
                .unwrap_or_else(|| vec![Selector::All]),
        };
        let mut extend_select = options
            .extend_select
            .iter()
            .filter_map(|text| Selector::parse(text).ok())
            .collect::<Vec<_>>();
        extend_select.extend(parse(&request.extend_select, "--extend-select")?);
        let mut ignore = options
            .ignore
            .iter()
            .filter_map(|text| Selector::parse(text).ok())
            .collect::<Vec<_>>();
        ignore.extend(parse(&request.ignore, "--ignore")?);
        let preview = request.preview || options.preview.unwrap_or(false);
        let enabled = selection::resolve(&select, &extend_select, &ignore, preview);

        let mut per_file_ignores = Vec::new();
        for (glob, codes) in &options.per_file_ignores {
            let Ok(glob) = Glob::new(glob) else { continue };
            let selectors = selection::parse_all(codes).unwrap_or_default();
            per_file_ignores.push((
                glob.compile_matcher(),
                // An ignore list reaches preview rules too.
                selection::resolve(&selectors, &[], &[], true),
            ));
        }

        let mut excludes = Excludes::default();
        if let Err(error) = excludes.add_anchored(&base, &options.exclude) {
            return Err(ConfigError::Invalid {
                path: config.map(|config| config.path).unwrap_or_default(),
                message: format!("invalid glob in `exclude`: {error}"),
            }
            .into());
        }
        excludes
            .set_per_root(&request.exclude)
            .map_err(|error| UsageError::Exclude {
                glob: error.glob().unwrap_or_default().to_string(),
                message: error.kind().to_string(),
            })?;

        Ok(Self {
            roots,
            settings: options.settings(),
            config: config.map(|config| config.path),
            enabled,
            per_file_ignores,
            base,
            excludes,
        })
    }

    /// The codes enabled for one file, after `per-file-ignores`.
    pub fn enabled_for(&self, path: &Path) -> Cow<'_, BTreeSet<&'static str>> {
        let relative = path.strip_prefix(&self.base).unwrap_or(path);
        let name = path.file_name().map(Path::new);
        let mut enabled = Cow::Borrowed(&self.enabled);
        for (matcher, codes) in &self.per_file_ignores {
            let hit = matcher.is_match(relative) || name.is_some_and(|name| matcher.is_match(name));
            if hit {
                enabled.to_mut().retain(|code| !codes.contains(code));
            }
        }
        enabled
    }
}

fn load_config(
    request: &CheckRequest,
    cwd: &Path,
    first_root: &Path,
) -> Result<Option<Config>, ConfigError> {
    if request.isolated {
        return Ok(None);
    }
    if let Some(path) = &request.config {
        return config::load(&absolute(cwd, path)).map(Some);
    }
    let start = if first_root.is_dir() {
        first_root
    } else {
        first_root.parent().unwrap_or(first_root)
    };
    config::discover(start)
}

/// `cwd.join(path)` with `.` and `..` folded away, without touching the
/// file system (symlinks stay as named).
pub fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in cwd.join(path).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_folds_dots() {
        assert_eq!(
            absolute(Path::new("/repo/src"), Path::new("../tests/./a.py")),
            PathBuf::from("/repo/tests/a.py")
        );
        assert_eq!(
            absolute(Path::new("/repo"), Path::new(".")),
            PathBuf::from("/repo")
        );
    }
}
