//! The command-line contract: exit statuses, selection, subcommands.

use harden_tests::{harden, scratch, CLEAN_PY, SLEEPY_PY, SLEEPY_RS};

#[test]
fn clean_code_exits_zero() {
    let dir = scratch(&[("app.py", CLEAN_PY)]);
    let run = harden(dir.path(), &["check"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "All checks passed (1 file checked)\n");
}

#[test]
fn findings_exit_one_and_exit_zero_overrides() {
    let dir = scratch(&[("app.py", SLEEPY_PY), ("lib.rs", SLEEPY_RS)]);
    let run = harden(dir.path(), &["check", "."]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .ends_with("Found 2 findings in 2 files (2 files checked)\n"),
        "{}",
        run.stdout
    );
    let run = harden(dir.path(), &["check", "--exit-zero"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("BLK001 blocking-sleep-in-async"));
}

#[test]
fn selectors_accept_codes_prefixes_and_names() {
    let dir = scratch(&[("app.py", SLEEPY_PY)]);
    for selector in ["BLK001", "BLK", "blocking-sleep-in-async", "ALL"] {
        let run = harden(dir.path(), &["check", "--select", selector]);
        assert_eq!(run.code, 1, "--select {selector}: {run:?}");
    }
    let run = harden(dir.path(), &["check", "--select", "E"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = harden(
        dir.path(),
        &["check", "--ignore", "blocking-sleep-in-async"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let run = harden(
        dir.path(),
        &["check", "--select", "E", "--extend-select", "BLK001"],
    );
    assert_eq!(run.code, 1, "{run:?}");
}

/// A call that BLK006 (a preview rule) flags: async code calling a project
/// function that sleeps.
const TRANSITIVE_SLEEP_PY: &str =
    "import time\n\n\ndef pause():\n    time.sleep(1)\n\n\nasync def handler():\n    pause()\n";

#[test]
fn preview_rules_run_only_when_asked_for() {
    let dir = scratch(&[("app.py", TRANSITIVE_SLEEP_PY)]);
    let run = harden(dir.path(), &["check"]);
    assert_eq!(run.code, 0, "preview rules are off by default: {run:?}");
    for args in [
        &["check", "--preview"][..],
        &["check", "--select", "BLK006"],
        &["check", "--select", "transitively-blocking-call-in-async"],
        &["check", "--select", "BLK", "--preview"],
    ] {
        let run = harden(dir.path(), args);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(
            run.stdout
                .contains("BLK006 transitively-blocking-call-in-async"),
            "{args:?}: {run:?}"
        );
    }
    let run = harden(dir.path(), &["check", "--select", "BLK"]);
    assert_eq!(
        run.code, 0,
        "a prefix alone does not enable preview rules: {run:?}"
    );
    let config = scratch(&[
        ("app.py", TRANSITIVE_SLEEP_PY),
        ("harden.toml", "preview = true\n"),
    ]);
    let run = harden(config.path(), &["check"]);
    assert_eq!(
        run.code, 1,
        "`preview = true` in the configuration: {run:?}"
    );
}

#[test]
fn unknown_selector_exits_two_naming_it() {
    let dir = scratch(&[("app.py", SLEEPY_PY)]);
    let run = harden(dir.path(), &["check", "--select", "BLK001,NOPE123"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert_eq!(
        run.stderr,
        "error: unknown rule selector `NOPE123` in `--select`\n"
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn usage_errors_exit_two() {
    let dir = scratch(&[]);
    let run = harden(dir.path(), &["check", "--no-such-flag"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--no-such-flag"), "{}", run.stderr);
    let run = harden(dir.path(), &["check", "--output-format", "xml"]);
    assert_eq!(run.code, 2, "{run:?}");
    let run = harden(dir.path(), &["check", "--exclude", "a[", "."]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("`a[`"), "{}", run.stderr);
}

#[test]
fn statistics_count_per_rule() {
    let dir = scratch(&[
        ("a.py", SLEEPY_PY),
        ("b.py", SLEEPY_PY),
        ("c.py", "def f(:\n"),
    ]);
    let run = harden(dir.path(), &["check", "--statistics"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stdout,
        "2  BLK001  blocking-sleep-in-async\n1  E001    parse-error\n"
    );
    let run = harden(
        dir.path(),
        &["check", "--statistics", "--output-format", "json"],
    );
    let summary: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(summary["findings"], 3);
    assert_eq!(summary["by_rule"][0]["code"], "BLK001");
    assert_eq!(summary["by_rule"][0]["count"], 2);
}

#[test]
fn quiet_drops_the_summary() {
    let dir = scratch(&[("app.py", CLEAN_PY)]);
    let run = harden(dir.path(), &["check", "-q"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "");
}

#[test]
fn output_file_receives_the_report() {
    let dir = scratch(&[("app.py", SLEEPY_PY)]);
    let run = harden(
        dir.path(),
        &[
            "check",
            "--output-format",
            "json",
            "-o",
            "report.json",
            "app.py",
        ],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "");
    let report = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["findings"][0]["code"], "BLK001");
}

#[test]
fn rules_lists_every_rule() {
    let dir = scratch(&[]);
    let run = harden(dir.path(), &["rules"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.starts_with("code "), "{}", run.stdout);
    let run = harden(dir.path(), &["rules", "--output-format", "json"]);
    let rules: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    let codes: Vec<&str> = rules
        .iter()
        .map(|rule| rule["code"].as_str().unwrap())
        .collect();
    for code in ["BLK001", "E001", "E002", "E003", "E004"] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    let blk001 = rules.iter().find(|rule| rule["code"] == "BLK001").unwrap();
    assert_eq!(blk001["name"], "blocking-sleep-in-async");
    assert_eq!(blk001["languages"], serde_json::json!(["python", "rust"]));
}

#[test]
fn rule_prints_the_documentation() {
    let dir = scratch(&[]);
    for query in ["BLK001", "blk001", "blocking-sleep-in-async"] {
        let run = harden(dir.path(), &["rule", query]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stdout.starts_with("# BLK001 blocking-sleep-in-async\n"),
            "{}",
            run.stdout
        );
        for heading in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
            "## Known limitations",
        ] {
            assert!(run.stdout.contains(heading), "{heading} missing");
        }
    }
    let run = harden(dir.path(), &["rule", "XYZ999"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("`XYZ999`"), "{}", run.stderr);
}

#[test]
fn default_path_is_the_current_directory_and_paths_are_relative() {
    let dir = scratch(&[("pkg/app.py", SLEEPY_PY)]);
    let run = harden(dir.path(), &["check", "--output-format", "github"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .starts_with("::error file=pkg/app.py,line=5,col=5,"),
        "{}",
        run.stdout
    );
    let run = harden(
        &dir.path().join("pkg"),
        &["check", "--output-format", "github", "../pkg/app.py"],
    );
    assert!(
        run.stdout.starts_with("::error file=app.py,"),
        "{}",
        run.stdout
    );
}
