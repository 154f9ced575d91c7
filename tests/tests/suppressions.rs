//! Inline suppressions and E004.

use harden_tests::{harden, json_findings, scratch};

/// (code, line, suppressed) of every finding in the JSON report.
fn findings(stdout: &str) -> Vec<(String, u64, bool)> {
    json_findings(stdout)
        .into_iter()
        .map(|found| (found.code, found.line, found.suppressed))
        .collect()
}

fn hit(code: &str, line: u64, suppressed: bool) -> (String, u64, bool) {
    (code.to_string(), line, suppressed)
}

const PYTHON: &str = "\
import time


async def handler():
    time.sleep(1)  # harden: ignore[BLK001]
    time.sleep(2)  # harden: ignore[blocking-sleep-in-async]
    # harden: ignore[BLK001]
    time.sleep(3)
    time.sleep(4)  # noqa: E501, BLK001
    time.sleep(5)  # harden: ignore
    time.sleep(6)  # type: ignore  # noqa: BLK001
    time.sleep(7)  # noqa: E501
    time.sleep(8)
    note = \"# harden: ignore[BLK001]\"; time.sleep(9)
";

#[test]
fn python_suppressions_cover_their_line_or_the_next() {
    let dir = scratch(&[("app.py", PYTHON)]);
    let run = harden(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        findings(&run.stdout),
        [
            hit("BLK001", 5, true),
            hit("BLK001", 6, true),
            hit("BLK001", 8, true),
            hit("BLK001", 9, true),
            hit("BLK001", 10, true),
            hit("BLK001", 11, true),
            hit("BLK001", 12, false),
            hit("BLK001", 13, false),
            hit("BLK001", 14, false),
        ]
    );
}

const RUST: &str = r#"use std::time::Duration;

pub async fn handler() {
    std::thread::sleep(Duration::from_secs(1)); // harden: ignore[BLK001]
    // harden: ignore[blocking-sleep-in-async]
    std::thread::sleep(Duration::from_secs(2));
    std::thread::sleep(Duration::from_secs(3)); /* harden: ignore */
    let note = "// harden: ignore[BLK001]"; std::thread::sleep(Duration::from_secs(4));
    let raw = r"/*"; std::thread::sleep(Duration::from_secs(5)); // noqa: BLK001
}
"#;

#[test]
fn rust_suppressions_ignore_markers_inside_literals() {
    let dir = scratch(&[("lib.rs", RUST)]);
    let run = harden(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        findings(&run.stdout),
        [
            hit("BLK001", 4, true),
            hit("BLK001", 6, true),
            hit("BLK001", 7, true),
            hit("BLK001", 8, false),
            hit("BLK001", 9, true),
        ]
    );
}

#[test]
fn suppressed_findings_do_not_fail_the_gate() {
    let dir = scratch(&[(
        "app.py",
        "import time\n\n\nasync def f():\n    time.sleep(1)  # harden: ignore[BLK001]\n",
    )]);
    let run = harden(dir.path(), &["check"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        "All checks passed (1 file checked, 1 suppressed)\n"
    );
    let run = harden(dir.path(), &["check", "--output-format", "github"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""));
}

const STALE: &str = "\
import time


def sync():
    time.sleep(1)  # harden: ignore[BLK001]
    total = 1  # harden: ignore[NOPE001, BLK001]
    other = 2  # harden: ignore
    more = 3  # noqa: BLK001
    flake = 4  # noqa: E501
    bare = 5  # noqa
";

#[test]
fn unknown_and_unused_suppressions_are_e004() {
    let dir = scratch(&[("app.py", STALE)]);
    let run = harden(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        findings(&run.stdout),
        [
            hit("E004", 5, false),
            hit("E004", 6, false),
            hit("E004", 6, false),
            hit("E004", 7, false),
            hit("E004", 8, false),
        ]
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.contains(&"unknown rule `NOPE001` in suppression"),
        "{messages:?}"
    );
    assert!(
        messages.contains(&"unused suppression of `BLK001` (blocking-sleep-in-async)"),
        "{messages:?}"
    );
}

#[test]
fn e004_can_be_deselected_and_skips_rules_that_are_off() {
    let dir = scratch(&[("app.py", STALE)]);
    let run = harden(dir.path(), &["check", "--ignore", "E004"]);
    assert_eq!(run.code, 0, "{run:?}");
    // With BLK001 off, suppressions of BLK001 are not "unused"; the unknown
    // code and the bare ignore still are.
    let run = harden(
        dir.path(),
        &["check", "--ignore", "BLK001", "--output-format", "json"],
    );
    assert_eq!(
        findings(&run.stdout),
        [hit("E004", 6, false), hit("E004", 7, false)]
    );
}

const FLAKE8_ASYNC: &str = "\
import time


async def handler(path):
    time.sleep(1)  # noqa: ASYNC251
    with open(path) as f:  # noqa: ASYNC230
        f.read()
    time.sleep(2)  # noqa: ASYNC230
    total = 3  # noqa: ASYNC251
";

#[test]
fn flake8_async_codes_suppress_the_same_hazard_and_are_never_e004() {
    let dir = scratch(&[("app.py", FLAKE8_ASYNC)]);
    let run = harden(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    // ASYNC230 is about files: it does not cover the sleep on line 8, and
    // the unused ASYNC251 on line 9 is flake8-async's to report.
    assert_eq!(
        findings(&run.stdout),
        [
            hit("BLK001", 5, true),
            hit("BLK004", 6, true),
            hit("BLK001", 8, false),
        ]
    );
}
