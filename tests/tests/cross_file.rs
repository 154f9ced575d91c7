//! BLK006 across files: a Python package and a Rust crate whose async code
//! reaches a blocking call through helpers of other modules.

use harden_tests::{harden, json_findings, scratch};

const PACKAGE: &[(&str, &str)] = &[
    ("src/app/__init__.py", ""),
    ("src/app/util/__init__.py", ""),
    (
        "src/app/util/files.py",
        "import json\n\n\ndef read_file(path):\n    with open(path) as f:\n        return f.read()\n\n\ndef load_config(path):\n    return json.loads(read_file(path))\n",
    ),
    (
        "src/app/handlers.py",
        "import asyncio\n\nfrom .util.files import load_config\nfrom .util import files\nfrom app.util.files import read_file\n\n\nasync def main():\n    load_config(\"a.json\")\n    files.read_file(\"b\")  # harden: ignore[BLK006]\n    read_file(\"c\")\n    await asyncio.to_thread(load_config, \"a.json\")\n",
    ),
    // Outside any package: module `files`, not `app.util.files`.
    (
        "other/app/util/files.py",
        "def read_file(path):\n    return path\n",
    ),
    (
        "crate/Cargo.toml",
        "[package]\nname = \"svc\"\n",
    ),
    (
        "crate/src/lib.rs",
        "mod io;\n\nuse crate::io::read_config;\n\npub async fn handler() {\n    let _ = read_config();\n    let _ = tokio::task::spawn_blocking(|| read_config());\n    io::helpers::touch();\n}\n",
    ),
    (
        "crate/src/io/mod.rs",
        "pub mod helpers;\n\npub fn read_config() -> String {\n    helpers::slurp(\"config.toml\")\n}\n",
    ),
    (
        "crate/src/io/helpers.rs",
        "pub fn slurp(path: &str) -> String {\n    std::fs::read_to_string(path).unwrap_or_default()\n}\n\npub fn touch() {}\n",
    ),
];

#[test]
fn calls_are_followed_across_modules_and_suppressed_where_they_are_made() {
    let dir = scratch(PACKAGE);
    let run = harden(
        dir.path(),
        &[
            "check",
            "--isolated",
            "--preview",
            "--output-format",
            "json",
            "src",
            "crate",
        ],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let found: Vec<(String, String, u64, bool)> = json_findings(&run.stdout)
        .into_iter()
        .map(|found| (found.code, found.path, found.line, found.suppressed))
        .collect();
    let hit =
        |path: &str, line, suppressed| ("BLK006".to_string(), path.to_string(), line, suppressed);
    assert_eq!(
        found,
        [
            hit("crate/src/lib.rs", 6, false),
            hit("src/app/handlers.py", 9, false),
            hit("src/app/handlers.py", 10, true),
            hit("src/app/handlers.py", 11, false),
        ]
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let first = &report["findings"][0];
    assert_eq!(
        first["message"],
        "`read_config` blocks a runtime worker thread: it calls `std::fs::read_to_string` (BLK004) through `slurp`"
    );
    assert_eq!(first["related"][0]["path"], "crate/src/io/helpers.rs");
    assert_eq!(first["related"][0]["start"]["line"], 2);
    let python = &report["findings"][1];
    assert_eq!(python["related"][0]["path"], "src/app/util/files.py");
    assert_eq!(python["related"][0]["start"]["line"], 5);
}

#[test]
fn the_other_file_shows_in_text_and_sarif() {
    let dir = scratch(PACKAGE);
    let text = harden(dir.path(), &["check", "--isolated", "--preview", "crate"]);
    assert!(
        text.stdout
            .contains("`std::fs::read_to_string` blocks here (in crate/src/io/helpers.rs)"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("[crate/src/io/helpers.rs:2:5]"),
        "{}",
        text.stdout
    );
    let sarif = harden(
        dir.path(),
        &[
            "check",
            "--isolated",
            "--preview",
            "--output-format",
            "sarif",
            "crate",
        ],
    );
    let sarif: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    let related = &sarif["runs"][0]["results"][0]["relatedLocations"][0];
    assert_eq!(
        related["physicalLocation"]["artifactLocation"]["uri"],
        "crate/src/io/helpers.rs"
    );
}

#[test]
fn output_is_the_same_with_one_thread_or_eight() {
    let dir = scratch(PACKAGE);
    let run = |threads: &str| {
        harden(
            dir.path(),
            &[
                "check",
                "--isolated",
                "--preview",
                "--output-format",
                "sarif",
                "--threads",
                threads,
                ".",
            ],
        )
        .stdout
    };
    let one = run("1");
    assert!(one.contains("BLK006"), "{one}");
    assert_eq!(one, run("8"));
}

#[test]
fn ignoring_the_rule_turns_the_second_phase_off() {
    let dir = scratch(PACKAGE);
    let run = harden(
        dir.path(),
        &[
            "check",
            "--isolated",
            "--preview",
            "--output-format",
            "json",
            "--ignore",
            "BLK006",
            ".",
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
}
