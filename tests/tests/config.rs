//! Configuration discovery, precedence and errors.

use harden_tests::{harden, json_findings, scratch, SLEEPY_PY};

/// The codes and paths found, from the JSON report.
fn found(stdout: &str) -> Vec<(String, String)> {
    json_findings(stdout)
        .into_iter()
        .map(|found| (found.code, found.path))
        .collect()
}

fn pair(code: &str, path: &str) -> (String, String) {
    (code.to_string(), path.to_string())
}

const JSON: [&str; 2] = ["--output-format", "json"];

#[test]
fn nearest_configuration_wins() {
    let dir = scratch(&[
        ("harden.toml", "ignore = [\"BLK001\"]\n"),
        ("svc/pyproject.toml", "[tool.harden]\nselect = [\"BLK\"]\n"),
        ("svc/app.py", SLEEPY_PY),
    ]);
    let run = harden(&dir.path().join("svc"), &["check", JSON[0], JSON[1]]);
    assert_eq!(found(&run.stdout), [pair("BLK001", "app.py")]);
    // From the root, the root's harden.toml applies to everything under it.
    let run = harden(dir.path(), &["check"]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn discovery_starts_at_the_first_path_not_the_current_directory() {
    let dir = scratch(&[
        ("svc/harden.toml", "ignore = [\"BLK\"]\n"),
        ("svc/app.py", SLEEPY_PY),
    ]);
    let run = harden(dir.path(), &["check", "svc"]);
    assert_eq!(run.code, 0, "{run:?}");
    let run = harden(dir.path(), &["check", "svc/app.py"]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn harden_toml_beats_pyproject_in_the_same_directory() {
    let dir = scratch(&[
        ("harden.toml", "select = [\"E\"]\n"),
        ("pyproject.toml", "[tool.harden]\nselect = [\"BLK\"]\n"),
        ("app.py", SLEEPY_PY),
    ]);
    let run = harden(dir.path(), &["check"]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn pyproject_without_a_harden_table_is_skipped() {
    let dir = scratch(&[
        ("harden.toml", "select = [\"E\"]\n"),
        (
            "svc/pyproject.toml",
            "[project]\nname = \"svc\"\n[tool.ruff]\nline-length = 100\n",
        ),
        ("svc/app.py", SLEEPY_PY),
    ]);
    let run = harden(&dir.path().join("svc"), &["check"]);
    assert_eq!(run.code, 0, "the root harden.toml should apply: {run:?}");
}

#[test]
fn config_flag_overrides_and_isolated_ignores() {
    let dir = scratch(&[
        ("harden.toml", "select = [\"E\"]\n"),
        ("strict.toml", "select = [\"ALL\"]\n"),
        ("app.py", SLEEPY_PY),
    ]);
    assert_eq!(harden(dir.path(), &["check"]).code, 0);
    assert_eq!(
        harden(dir.path(), &["check", "--config", "strict.toml"]).code,
        1
    );
    assert_eq!(harden(dir.path(), &["check", "--isolated"]).code, 1);
    let run = harden(dir.path(), &["check", "--config", "missing.toml"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("missing.toml"), "{}", run.stderr);
}

#[test]
fn command_line_selection_combines_with_the_configuration() {
    let dir = scratch(&[("harden.toml", "select = [\"E\"]\n"), ("app.py", SLEEPY_PY)]);
    assert_eq!(harden(dir.path(), &["check", "--select", "BLK001"]).code, 1);
    assert_eq!(
        harden(dir.path(), &["check", "--extend-select", "BLK"]).code,
        1
    );
    let dir = scratch(&[
        ("harden.toml", "ignore = [\"BLK001\"]\n"),
        ("app.py", SLEEPY_PY),
    ]);
    assert_eq!(harden(dir.path(), &["check", "--select", "ALL"]).code, 0);
}

#[test]
fn unknown_keys_are_errors_naming_file_and_key() {
    let dir = scratch(&[
        ("harden.toml", "selcet = [\"BLK\"]\n"),
        ("app.py", SLEEPY_PY),
    ]);
    let run = harden(dir.path(), &["check"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("harden.toml"), "{}", run.stderr);
    assert!(
        run.stderr.contains("unknown field `selcet`"),
        "{}",
        run.stderr
    );
    let dir = scratch(&[
        (
            "pyproject.toml",
            "[tool.harden.rules.BLK001]\nblocking-function = [\"x\"]\n",
        ),
        ("app.py", SLEEPY_PY),
    ]);
    let run = harden(dir.path(), &["check"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("pyproject.toml"), "{}", run.stderr);
    assert!(
        run.stderr.contains("unknown field `blocking-function`"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_selectors_in_config_are_errors() {
    let dir = scratch(&[
        ("harden.toml", "ignore = [\"BLK001\", \"XYZ9\"]\n"),
        ("app.py", SLEEPY_PY),
    ]);
    let run = harden(dir.path(), &["check"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("unknown rule selector `XYZ9` in `ignore`"),
        "{}",
        run.stderr
    );
    let dir = scratch(&[
        ("harden.toml", "[rules.nope-rule]\n"),
        ("app.py", SLEEPY_PY),
    ]);
    let run = harden(dir.path(), &["check"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("unknown rule `nope-rule` in `rules`"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_label_patterns_are_errors_naming_the_pattern() {
    for (key, pattern) in [
        ("forbidden-labels", "user id"),
        ("extend-forbidden-labels", ""),
        ("allowed-labels", "tenant?"),
    ] {
        let config = format!("{key} = [\"ok_*\", \"{pattern}\"]\n");
        let dir = scratch(&[("harden.toml", &config), ("app.py", SLEEPY_PY)]);
        let run = harden(dir.path(), &["check"]);
        assert_eq!(run.code, 2, "{run:?}");
        let expected = format!("invalid label pattern `{pattern}` in `{key}`");
        assert!(run.stderr.contains(&expected), "{}", run.stderr);
    }
    let dir = scratch(&[
        (
            "harden.toml",
            "forbidden-labels = [\"user_id\", \"*_uuid\", \"http.route\", \"a-b\"]\n",
        ),
        ("app.py", SLEEPY_PY),
    ]);
    assert_eq!(harden(dir.path(), &["check"]).code, 1);
}

#[test]
fn per_file_ignores_and_excludes_are_relative_to_the_config() {
    let dir = scratch(&[
        (
            "harden.toml",
            "exclude = [\"generated/*\"]\n[per-file-ignores]\n\"tests/*\" = [\"BLK001\"]\n",
        ),
        ("generated/a.py", SLEEPY_PY),
        ("tests/test_a.py", SLEEPY_PY),
        ("src/a.py", SLEEPY_PY),
    ]);
    let run = harden(&dir.path().join("src"), &["check", "..", JSON[0], JSON[1]]);
    assert_eq!(found(&run.stdout), [pair("BLK001", "a.py")]);
    // Named explicitly, an excluded file is still checked.
    let run = harden(dir.path(), &["check", "generated/a.py", JSON[0], JSON[1]]);
    assert_eq!(found(&run.stdout), [pair("BLK001", "generated/a.py")]);
}

#[test]
fn exclude_flag_gitignore_and_skipped_directories() {
    let dir = scratch(&[
        (".gitignore", "ignored/\n"),
        ("ignored/a.py", SLEEPY_PY),
        (".hidden/a.py", SLEEPY_PY),
        ("venv/a.py", SLEEPY_PY),
        (".venv/a.py", SLEEPY_PY),
        ("node_modules/a.py", SLEEPY_PY),
        ("__pycache__/a.py", SLEEPY_PY),
        ("target/a.rs", harden_tests::SLEEPY_RS),
        ("gen/a.py", SLEEPY_PY),
        ("app/a_pb2.py", SLEEPY_PY),
        ("app/main.py", SLEEPY_PY),
        ("notes.txt", "time.sleep(1)\n"),
    ]);
    let run = harden(
        dir.path(),
        &[
            "check",
            "--exclude",
            "gen",
            "--exclude",
            "*_pb2.py",
            JSON[0],
            JSON[1],
        ],
    );
    assert_eq!(found(&run.stdout), [pair("BLK001", "app/main.py")]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["files_checked"], 1);
}

#[test]
fn shared_types_extend_sgl001() {
    let code = "import threading\n\nfrom .metrics import MetricsRegistry\n\n_metrics = None\n\n\ndef get_metrics():\n    global _metrics\n    if _metrics is None:\n        _metrics = MetricsRegistry()\n    return _metrics\n";
    let dir = scratch(&[
        (
            "pyproject.toml",
            "[tool.harden.rules.unsynchronized-lazy-singleton]\nshared-types = [\"Metrics*\"]\n",
        ),
        ("app.py", code),
    ]);
    let run = harden(dir.path(), &["check", JSON[0], JSON[1]]);
    assert_eq!(found(&run.stdout), [pair("SGL001", "app.py")]);
    // Without the configuration an ordinary object is not reported.
    assert_eq!(harden(dir.path(), &["check", "--isolated"]).code, 0);
    for (options, message) in [
        (
            "[rules.SHR002]\nshared-types = [\"Metrics\"]\n",
            "`shared-types` applies to SGL001, not `SHR002`",
        ),
        (
            "[rules.SGL001]\nshared-types = [\"app.Metrics\"]\n",
            "invalid type pattern `app.Metrics` in `shared-types`",
        ),
    ] {
        let dir = scratch(&[("harden.toml", options), ("app.py", code)]);
        let run = harden(dir.path(), &["check"]);
        assert_eq!(run.code, 2, "{run:?}");
        assert!(run.stderr.contains(message), "{}", run.stderr);
    }
}

#[test]
fn blocking_functions_extend_blk_rules() {
    let code = "import mylib\n\n\nasync def f():\n    mylib.nap(1)\n";
    let dir = scratch(&[
        (
            "pyproject.toml",
            "[tool.harden.rules.blocking-sleep-in-async]\nblocking-functions = [\"mylib.nap\"]\n",
        ),
        ("app.py", code),
    ]);
    let run = harden(dir.path(), &["check", JSON[0], JSON[1]]);
    assert_eq!(found(&run.stdout), [pair("BLK001", "app.py")]);
    assert_eq!(harden(dir.path(), &["check", "--isolated"]).code, 0);
    let dir = scratch(&[
        (
            "harden.toml",
            "[rules.E004]\nblocking-functions = [\"x\"]\n",
        ),
        ("app.py", code),
    ]);
    let run = harden(dir.path(), &["check"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("`blocking-functions` applies to BLK001-BLK004"),
        "{}",
        run.stderr
    );
}
