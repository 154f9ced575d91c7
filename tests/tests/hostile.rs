//! Bad input never crashes the run and never passes silently.

use harden_tests::{findings_of, harden, harden_with_env, repo_root, scratch, write, SLEEPY_PY};

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|error| panic!("{error}: {stdout}"))
}

/// (code, path, line, column) of every finding.
fn findings(report: &serde_json::Value) -> Vec<(String, String, u64, u64)> {
    findings_of(report)
        .into_iter()
        .map(|found| (found.code, found.path, found.line, found.column))
        .collect()
}

fn finding(code: &str, path: &str, line: u64, column: u64) -> (String, String, u64, u64) {
    (code.to_string(), path.to_string(), line, column)
}

#[test]
fn syntax_errors_are_e001_at_their_position_and_skip_the_file() {
    let dir = scratch(&[
        (
            "broken.py",
            "import time\n\nasync def f():\n    time.sleep(1)\n    x = (1,\n",
        ),
        (
            "broken.rs",
            "pub async fn f() {\n    std::thread::sleep(d);\n    let x = ;\n}\n",
        ),
    ]);
    let run = harden(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let report = json(&run.stdout);
    assert_eq!(
        findings(&report),
        [
            finding("E001", "broken.py", 6, 1),
            finding("E001", "broken.rs", 3, 13)
        ]
    );
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("syntax error: "), "{message}");
}

#[test]
fn non_utf8_files_are_e002_and_the_run_goes_on() {
    let dir = scratch(&[("ok.py", SLEEPY_PY)]);
    write(dir.path(), "latin1.py", b"# caf\xe9\nx = 1\n");
    let run = harden(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let report = json(&run.stdout);
    assert_eq!(
        findings(&report),
        [
            finding("E002", "latin1.py", 1, 6),
            finding("BLK001", "ok.py", 5, 5)
        ]
    );
    assert_eq!(report["findings"][0]["message"], "file is not valid UTF-8");
}

#[test]
fn deep_nesting_is_e001_not_a_stack_overflow() {
    let depth = 10_000;
    let python = format!("x = {}1{}\n", "(".repeat(depth), ")".repeat(depth));
    let rust = format!(
        "fn f() {{ let x = {}1{}; }}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let dir = scratch(&[("deep.py", &python), ("deep.rs", &rust)]);
    let run = harden(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let report = json(&run.stdout);
    assert_eq!(
        findings(&report),
        [
            finding("E001", "deep.py", 1, 261),
            finding("E001", "deep.rs", 1, 273)
        ]
    );
    assert_eq!(
        report["findings"][0]["message"],
        "nested too deeply to analyse (depth 10000 > 256)"
    );
}

#[test]
fn the_longest_accepted_chains_are_analysed_without_overflow() {
    // Unary chains recurse in the parsers and the rule walk without a bracket
    // in sight: up to the chain limit (16,384), the worker stack has to
    // absorb them.
    let depth = 16_000;
    let python = format!("async def f():\n    x = {}1\n", "not ".repeat(depth));
    let rust = format!("async fn f() {{ let x = {}1; }}\n", "!".repeat(depth));
    let dir = scratch(&[
        ("unary.py", &python),
        ("unary.rs", &rust),
        ("ok.py", SLEEPY_PY),
    ]);
    let run = harden(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        findings(&json(&run.stdout)),
        [finding("BLK001", "ok.py", 5, 5)]
    );
}

#[test]
fn long_operator_chains_are_e001_not_a_stack_overflow() {
    let depth = 100_000;
    let files = [
        ("not.py", format!("x = {}1\n", "not ".repeat(depth))),
        ("sum.py", format!("x = 1{}\n", " + 1".repeat(depth))),
        (
            "bang.rs",
            format!("fn f() {{ let x = {}1; }}\n", "!".repeat(depth)),
        ),
        (
            "sum.rs",
            format!("fn f() {{ let x = 1{}; }}\n", " + 1".repeat(depth)),
        ),
    ];
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, c)| (*p, c.as_str())).collect();
    let dir = scratch(&borrowed);
    let run = harden(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let report = json(&run.stdout);
    let codes: Vec<String> = findings(&report)
        .into_iter()
        .map(|(code, ..)| code)
        .collect();
    assert_eq!(codes, ["E001"; 4]);
    for finding in report["findings"].as_array().unwrap() {
        let message = finding["message"].as_str().unwrap();
        assert!(
            message.starts_with("expression too deeply chained to analyse"),
            "{message}"
        );
    }
}

#[test]
fn a_50_mb_file_finishes() {
    let mut source = String::with_capacity(51 << 20);
    source.push_str("import time\n");
    let mut index = 0;
    while source.len() < 50 << 20 {
        source.push_str(&format!(
            "def handler_{index}(request):\n    return {{'id': {index}, 'ok': True}}\n\n"
        ));
        index += 1;
    }
    source.push_str("async def last():\n    time.sleep(1)\n");
    let lines = source.lines().count() as u64;
    let dir = scratch(&[("huge.py", &source)]);
    let started = std::time::Instant::now();
    let run = harden(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        findings(&json(&run.stdout)),
        [finding("BLK001", "huge.py", lines, 5)]
    );
    assert!(
        started.elapsed().as_secs() < 120,
        "took {:?}",
        started.elapsed()
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_e002_and_the_run_goes_on() {
    let dir = scratch(&[("pkg/app.py", SLEEPY_PY)]);
    std::os::unix::fs::symlink(dir.path().join("pkg"), dir.path().join("pkg/again")).unwrap();
    let run = harden(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let report = json(&run.stdout);
    assert_eq!(
        findings(&report),
        [
            finding("E002", "pkg/again", 1, 1),
            finding("BLK001", "pkg/app.py", 5, 5)
        ]
    );
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("symlink loop"), "{message}");
}

#[cfg(unix)]
#[test]
fn unreadable_files_are_e002() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch(&[("secret.py", SLEEPY_PY)]);
    let path = dir.path().join("secret.py");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        // Running as root: permissions do not stop reads, nothing to test.
        return;
    }
    let run = harden(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        findings(&json(&run.stdout)),
        [finding("E002", "secret.py", 1, 1)]
    );
}

#[test]
fn missing_paths_are_e002() {
    let dir = scratch(&[]);
    let run = harden(dir.path(), &["check", "--output-format", "json", "nope.py"]);
    assert_eq!(run.code, 1, "{run:?}");
    let report = json(&run.stdout);
    assert_eq!(findings(&report), [finding("E002", "nope.py", 1, 1)]);
    assert_eq!(
        report["findings"][0]["message"],
        "no such file or directory"
    );
}

#[test]
fn a_panic_while_checking_a_file_is_e003_for_that_file() {
    let dir = scratch(&[("boom.py", "x = 1\n"), ("ok.py", SLEEPY_PY)]);
    let run = harden_with_env(
        dir.path(),
        &["check", "--output-format", "json"],
        &[("HARDEN_DEBUG_PANIC_ON", "boom.py")],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let report = json(&run.stdout);
    assert_eq!(
        findings(&report),
        [
            finding("E003", "boom.py", 1, 1),
            finding("BLK001", "ok.py", 5, 5)
        ]
    );
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("internal error: panic requested by HARDEN_DEBUG_PANIC_ON at "),
        "{message}"
    );
    assert!(
        !run.stderr.contains("panicked"),
        "the default panic hook must stay quiet: {}",
        run.stderr
    );
}

#[test]
fn output_is_identical_with_one_or_eight_threads() {
    let mut files = Vec::new();
    for index in 0..150 {
        files.push((
            format!("pkg{}/mod_{index}.py", index % 7),
            SLEEPY_PY.to_string(),
        ));
        files.push((
            format!("crate{}/m{index}.rs", index % 5),
            harden_tests::SLEEPY_RS.to_string(),
        ));
    }
    files.push(("broken.py".to_string(), "def f(:\n".to_string()));
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    let dir = scratch(&borrowed);
    for format in ["text", "json", "sarif", "github"] {
        let one = harden(
            dir.path(),
            &["check", "--threads", "1", "--output-format", format],
        );
        let eight = harden(
            dir.path(),
            &["check", "--threads", "8", "--output-format", format],
        );
        assert_eq!(one.code, 1);
        assert_eq!(one.stdout, eight.stdout, "{format} output differs");
    }
    let fixtures = repo_root().join("fixtures");
    let fixtures = fixtures.to_str().unwrap();
    let one = harden(
        &repo_root(),
        &[
            "check",
            "--isolated",
            "--threads",
            "1",
            "--output-format",
            "json",
            fixtures,
        ],
    );
    let eight = harden(
        &repo_root(),
        &[
            "check",
            "--isolated",
            "--threads",
            "8",
            "--output-format",
            "json",
            fixtures,
        ],
    );
    assert!(one.stdout.contains("\"findings\""));
    assert_eq!(one.stdout, eight.stdout);
}

#[test]
fn byte_order_marks_shebangs_and_crlf_keep_positions_right() {
    let python = format!("\u{feff}{}", SLEEPY_PY.replace('\n', "\r\n"));
    let rust = format!("#!/usr/bin/env rust-script\n{}", harden_tests::SLEEPY_RS);
    let dir = scratch(&[("bom.py", &python), ("script.rs", &rust)]);
    let run = harden(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let report = json(&run.stdout);
    assert_eq!(
        findings(&report),
        [
            finding("BLK001", "bom.py", 5, 5),
            finding("BLK001", "script.rs", 5, 5)
        ]
    );
    assert_eq!(report["findings"][0]["end"]["column"], 18);
}
