//! Runs the real `harden` binary for the end-to-end tests.
//!
//! The binary belongs to another package, so Cargo does not hand its path
//! to these tests. [`binary`] builds it once per test process with the
//! same profile and target directory as the tests themselves (a no-op when
//! it is fresh), so a test never runs a stale binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository")
        .to_path_buf()
}

/// The path of an up-to-date `harden` binary.
pub fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(build_binary)
}

fn build_binary() -> PathBuf {
    // The test executable is `<target>/<profile>/deps/<name>-<hash>`.
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executable lives in <target>/<profile>/deps");
    let target_dir = profile_dir.parent().expect("profile dir has a parent");
    let mut cargo = Command::new(option_env!("CARGO").unwrap_or("cargo"));
    cargo
        .current_dir(repo_root())
        .args(["build", "--quiet", "-p", "harden", "--bin", "harden"])
        .arg("--target-dir")
        .arg(target_dir);
    if profile_dir
        .file_name()
        .is_some_and(|name| name == "release")
    {
        cargo.arg("--release");
    }
    let status = cargo.status().expect("cargo runs");
    assert!(status.success(), "building the harden binary failed");
    profile_dir.join(format!("harden{}", std::env::consts::EXE_SUFFIX))
}

/// What one run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `harden ARGS` in `cwd`, without colour and with configuration
/// discovery starting from `cwd`.
pub fn harden(cwd: &Path, args: &[&str]) -> Run {
    harden_with_env(cwd, args, &[])
}

/// [`harden`] with extra environment variables.
pub fn harden_with_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = Command::new(binary())
        .current_dir(cwd)
        .args(args)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .expect("harden runs");
    Run {
        code: output
            .status
            .code()
            .expect("harden exits normally, not by a signal"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// A scratch directory with the given files (`path`, `contents`).
pub fn scratch(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, contents) in files {
        write(dir.path(), path, contents.as_bytes());
    }
    dir
}

/// Writes a file, creating its directories.
pub fn write(root: &Path, path: &str, contents: &[u8]) {
    let path = root.join(path);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create dirs");
    }
    std::fs::write(path, contents).expect("write file");
}

/// One finding of a JSON report: the fields the tests compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub code: String,
    pub path: String,
    pub line: u64,
    pub column: u64,
    pub suppressed: bool,
}

/// The findings of a `--output-format json` report, in report order.
pub fn json_findings(stdout: &str) -> Vec<Found> {
    let report: serde_json::Value =
        serde_json::from_str(stdout).unwrap_or_else(|error| panic!("{error}: {stdout}"));
    findings_of(&report)
}

/// The findings of a parsed JSON report, in report order.
pub fn findings_of(report: &serde_json::Value) -> Vec<Found> {
    report["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array: {report}"))
        .iter()
        .map(|finding| Found {
            code: finding["code"].as_str().unwrap().to_string(),
            path: finding["path"].as_str().unwrap().to_string(),
            line: finding["start"]["line"].as_u64().unwrap(),
            column: finding["start"]["column"].as_u64().unwrap(),
            suppressed: finding["suppressed"].as_bool().unwrap(),
        })
        .collect()
}

/// A small async handler with one BLK001 finding on line 5.
pub const SLEEPY_PY: &str = "\
import time


async def handler():
    time.sleep(1)
";

/// A tokio handler with one BLK001 finding on line 4.
pub const SLEEPY_RS: &str = "\
use std::time::Duration;

pub async fn handler() {
    std::thread::sleep(Duration::from_secs(1));
}
";

/// Code with nothing to report.
pub const CLEAN_PY: &str = "\
import asyncio


async def handler():
    await asyncio.sleep(1)
";
