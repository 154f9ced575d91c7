//! `harden.toml` (top-level keys) or `[tool.harden]` in `pyproject.toml`,
//! discovered from the first checked path upward: the nearest wins, and in
//! one directory `harden.toml` beats `pyproject.toml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::selection::{self, Selector};
use harden_rules::api::LabelPolicy;

/// The keys of a configuration. Unknown keys are errors: a misspelt
/// `ingore` must not silently enable everything.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Options {
    pub select: Option<Vec<String>>,
    #[serde(default)]
    pub ignore: Vec<String>,
    #[serde(default)]
    pub extend_select: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub per_file_ignores: BTreeMap<String, Vec<String>>,
    /// Enable preview rules with `ALL` and prefixes too.
    pub preview: Option<bool>,
    pub forbidden_labels: Option<Vec<String>>,
    #[serde(default)]
    pub extend_forbidden_labels: Vec<String>,
    #[serde(default)]
    pub allowed_labels: Vec<String>,
    #[serde(default)]
    pub rules: BTreeMap<String, RuleOptions>,
}

/// `[tool.harden.rules.<code-or-name>]`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RuleOptions {
    #[serde(default)]
    pub blocking_functions: Vec<String>,
    /// SGL001 only: more types whose lazy singletons are reported.
    #[serde(default)]
    pub shared_types: Vec<String>,
}

/// Only `[tool.harden]` of a pyproject.toml is ours; other tools' tables
/// are none of our business.
#[derive(Deserialize)]
struct Pyproject {
    tool: Option<PyprojectTools>,
}

#[derive(Deserialize)]
struct PyprojectTools {
    harden: Option<Options>,
}

/// A configuration file that was found and read.
#[derive(Clone, Debug)]
pub struct Config {
    /// The file it came from.
    pub path: PathBuf,
    pub options: Options,
}

impl Config {
    /// The directory relative paths in the configuration start from.
    pub fn base(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }
}

/// A configuration that cannot be used, always naming the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid configuration in {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl ConfigError {
    fn invalid(path: &Path, message: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

/// Finds the nearest configuration at or above `start` (a directory).
pub fn discover(start: &Path) -> Result<Option<Config>, ConfigError> {
    for dir in start.ancestors() {
        let harden_toml = dir.join("harden.toml");
        if harden_toml.is_file() {
            return load(&harden_toml).map(Some);
        }
        let pyproject = dir.join("pyproject.toml");
        if pyproject.is_file() {
            if let Some(config) = load_pyproject(&pyproject)? {
                return Ok(Some(config));
            }
        }
    }
    Ok(None)
}

/// Loads the file named by `--config`: a pyproject.toml is read for its
/// `[tool.harden]`, anything else as a harden.toml.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    if path
        .file_name()
        .is_some_and(|name| name == "pyproject.toml")
    {
        return Ok(load_pyproject(path)?.unwrap_or_else(|| Config {
            path: path.to_path_buf(),
            options: Options::default(),
        }));
    }
    let text = read(path)?;
    let options: Options = toml::from_str(&text)
        .map_err(|error| ConfigError::invalid(path, toml_message(&error, &text)))?;
    validate(path, &options)?;
    Ok(Config {
        path: path.to_path_buf(),
        options,
    })
}

fn load_pyproject(path: &Path) -> Result<Option<Config>, ConfigError> {
    let text = read(path)?;
    let pyproject: Pyproject = toml::from_str(&text)
        .map_err(|error| ConfigError::invalid(path, toml_message(&error, &text)))?;
    let Some(options) = pyproject.tool.and_then(|tool| tool.harden) else {
        return Ok(None);
    };
    validate(path, &options)?;
    Ok(Some(Config {
        path: path.to_path_buf(),
        options,
    }))
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// toml's message on one line, with the position it points at.
fn toml_message(error: &toml::de::Error, text: &str) -> String {
    let mut message = error.message().trim_end().to_string();
    if let Some(span) = error.span() {
        let index = crate::locate::LineIndex::new(text);
        let at = index.position(text, span.start as u32);
        message.push_str(&format!(" (line {}, column {})", at.line, at.column));
    }
    message
}

/// Checks what serde cannot: selectors, label patterns, rule sections.
fn validate(path: &Path, options: &Options) -> Result<(), ConfigError> {
    let selector_lists = [
        ("select", options.select.as_deref().unwrap_or_default()),
        ("ignore", &options.ignore[..]),
        ("extend-select", &options.extend_select[..]),
    ];
    for (key, list) in selector_lists {
        selection::parse_all(list)
            .map_err(|error| ConfigError::invalid(path, format!("{error} in `{key}`")))?;
    }
    for (glob, codes) in &options.per_file_ignores {
        globset::Glob::new(glob).map_err(|error| {
            ConfigError::invalid(
                path,
                format!("invalid glob `{glob}` in `per-file-ignores`: {error}"),
            )
        })?;
        selection::parse_all(codes).map_err(|error| {
            ConfigError::invalid(path, format!("{error} in `per-file-ignores` for `{glob}`"))
        })?;
    }
    for glob in &options.exclude {
        globset::Glob::new(glob).map_err(|error| {
            ConfigError::invalid(path, format!("invalid glob `{glob}` in `exclude`: {error}"))
        })?;
    }
    let label_lists = [
        (
            "forbidden-labels",
            options.forbidden_labels.as_deref().unwrap_or_default(),
        ),
        (
            "extend-forbidden-labels",
            &options.extend_forbidden_labels[..],
        ),
        ("allowed-labels", &options.allowed_labels[..]),
    ];
    for (key, patterns) in label_lists {
        if let Some(bad) = patterns.iter().find(|pattern| !is_label_pattern(pattern)) {
            return Err(ConfigError::invalid(
                path,
                format!(
                    "invalid label pattern `{bad}` in `{key}` (use letters, digits, `_`, `.`, `-` and `*`)"
                ),
            ));
        }
    }
    for (rule, rule_options) in &options.rules {
        let Some(meta) = harden_rules::find_rule(rule) else {
            return Err(ConfigError::invalid(
                path,
                format!("unknown rule `{rule}` in `rules`"),
            ));
        };
        if !rule_options.shared_types.is_empty() && meta.code != "SGL001" {
            return Err(ConfigError::invalid(
                path,
                format!(
                    "`shared-types` applies to SGL001, not `{rule}` ({})",
                    meta.code
                ),
            ));
        }
        if let Some(bad) = rule_options
            .shared_types
            .iter()
            .find(|pattern| !is_type_pattern(pattern))
        {
            return Err(ConfigError::invalid(
                path,
                format!(
                    "invalid type pattern `{bad}` in `shared-types` (use a class name, with `*` for any run of characters)"
                ),
            ));
        }
        if !rule_options.blocking_functions.is_empty() && !takes_blocking_functions(meta.code) {
            return Err(ConfigError::invalid(
                path,
                format!(
                    "`blocking-functions` applies to BLK001-BLK004, not `{rule}` ({})",
                    meta.code
                ),
            ));
        }
    }
    Ok(())
}

fn takes_blocking_functions(code: &str) -> bool {
    matches!(code, "BLK001" | "BLK002" | "BLK003" | "BLK004")
}

/// A type pattern is a class name (letters, digits, `_`) with `*` wildcards.
fn is_type_pattern(pattern: &str) -> bool {
    !pattern.is_empty()
        && pattern
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'*'))
}

/// A label pattern is a non-empty run of `[A-Za-z0-9_.-]` and `*` wildcards.
pub fn is_label_pattern(pattern: &str) -> bool {
    !pattern.is_empty()
        && pattern
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-' | b'*'))
}

impl Options {
    /// What the rules are told.
    pub fn settings(&self) -> harden_rules::Settings {
        let mut blocking_functions = Vec::new();
        let mut shared_types = Vec::new();
        for (rule, options) in &self.rules {
            let Some(meta) = harden_rules::find_rule(rule) else {
                continue;
            };
            blocking_functions.extend(
                options
                    .blocking_functions
                    .iter()
                    .map(|path| (meta.code, path.clone())),
            );
            shared_types.extend(options.shared_types.iter().cloned());
        }
        harden_rules::Settings {
            blocking_functions,
            shared_types,
            labels: LabelPolicy {
                forbidden: self.forbidden_labels.clone(),
                extend_forbidden: self.extend_forbidden_labels.clone(),
                allowed: self.allowed_labels.clone(),
            },
        }
    }

    /// `select`, parsed (validated on load).
    pub fn select_selectors(&self) -> Option<Vec<Selector>> {
        self.select
            .as_ref()
            .map(|list| selection::parse_all(list).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_patterns() {
        assert!(is_label_pattern("*_id"));
        assert!(is_label_pattern("http.route"));
        assert!(!is_label_pattern(""));
        assert!(!is_label_pattern("user id"));
        assert!(!is_label_pattern("a?"));
    }
}
