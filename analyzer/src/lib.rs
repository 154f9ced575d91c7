//! harden, the product around the rules: file discovery, the parsers,
//! configuration, suppressions, the parallel driver and the reports. The
//! `harden` binary (`main.rs`) is a thin clap layer over [`check`],
//! [`list_rules`] and [`explain_rule`].

pub mod config;
pub mod discover;
pub mod driver;
pub mod link;
pub mod locate;
pub mod modules;
pub mod parse;
pub mod project;
pub mod report;
pub mod rules;
pub mod selection;
pub mod suppress;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub use project::{CheckRequest, UsageError};
pub use report::{OutputFormat, ReportOptions};
pub use rules::{explain_rule, list_rules};

/// The process exit status, as documented in the README.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// No unsuppressed findings (or `--exit-zero`).
    Success = 0,
    /// Unsuppressed findings.
    Failure = 1,
    /// Usage or configuration error.
    Error = 2,
}

/// How a `check` run reports and ends, besides what it checks.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    pub report: ReportOptions,
    /// Worker threads; 0 means one per core.
    pub threads: usize,
    pub exit_zero: bool,
    /// Write the report here instead of stdout.
    pub output_file: Option<PathBuf>,
}

/// A run that could not complete: exit status 2.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Usage(#[from] UsageError),
    #[error("cannot write {path}: {source}")]
    Output { path: String, source: io::Error },
}

/// `harden check`: discovers, checks and reports.
pub fn check(
    request: &CheckRequest,
    options: &RunOptions,
    cwd: &Path,
) -> Result<ExitStatus, RunError> {
    let project = project::Project::resolve(request, cwd)?;
    let (candidates, walk_errors) = discover::discover(&project.roots, &project.excludes);
    let result = driver::check_all(&project, &candidates, walk_errors, options.threads)
        .map_err(|error| UsageError::Threads(error.to_string()))?;

    let output_error = |path: &Path| {
        let path = path.display().to_string();
        move |source| RunError::Output { path, source }
    };
    match &options.output_file {
        Some(path) => {
            let file = std::fs::File::create(path).map_err(output_error(path))?;
            let mut out = io::BufWriter::new(file);
            report::write(&mut out, &result, cwd, options.report)
                .and_then(|()| out.flush())
                .map_err(output_error(path))?;
        }
        None => {
            let mut out = io::BufWriter::new(io::stdout().lock());
            let written =
                report::write(&mut out, &result, cwd, options.report).and_then(|()| out.flush());
            // A closed pipe (`harden check | head`) is not an error of the run.
            if let Err(error) = written {
                if error.kind() != io::ErrorKind::BrokenPipe {
                    return Err(output_error(Path::new("<stdout>"))(error));
                }
            }
        }
    }
    if report::has_failures(&result) && !options.exit_zero {
        Ok(ExitStatus::Failure)
    } else {
        Ok(ExitStatus::Success)
    }
}
