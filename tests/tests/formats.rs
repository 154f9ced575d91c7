//! Every output format on one small project: snapshots, SARIF validity and
//! what GitHub code scanning relies on.

use std::path::Path;

use harden_tests::{harden, scratch};
use serde_json::Value;

const APP_PY: &str = "\
import time
from time import sleep as nap


async def handler(request):
    time.sleep(0.5)
    nap(1)  # harden: ignore[BLK001]
    return {\"ok\": True}


def sync():
    x = 1  # noqa: BLK001
";

const LIB_RS: &str = "\
pub async fn naïve() {
    std::thread::sleep(std::time::Duration::from_millis(5));
}
";

const BROKEN_PY: &str = "def f(:\n    pass\n";

fn project() -> tempfile::TempDir {
    scratch(&[
        ("svc/app.py", APP_PY),
        ("svc/lib.rs", LIB_RS),
        ("svc/broken.py", BROKEN_PY),
    ])
}

fn run(dir: &Path, format: &str) -> String {
    let run = harden(dir, &["check", "--output-format", format]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    run.stdout
}

#[test]
fn text() {
    let dir = project();
    insta::assert_snapshot!(run(dir.path(), "text"));
}

#[test]
fn github() {
    let dir = project();
    insta::assert_snapshot!(run(dir.path(), "github"));
}

#[test]
fn json() {
    let dir = project();
    let mut report: Value = serde_json::from_str(&run(dir.path(), "json")).unwrap();
    assert_eq!(report["version"], env!("CARGO_PKG_VERSION"));
    report["version"] = "[version]".into();
    insta::assert_json_snapshot!(report);
}

fn sarif(dir: &Path) -> Value {
    serde_json::from_str(&run(dir, "sarif")).unwrap()
}

/// `shared/sarif-schema-2.1.0.json` beside the repository
/// (`<repo>/../shared`), searched upward so that a checkout in a nested
/// folder finds it too.
fn schema_path() -> std::path::PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|dir| dir.join("shared/sarif-schema-2.1.0.json"))
        .find(|path| path.is_file())
        .expect("shared/sarif-schema-2.1.0.json beside the repository")
}

#[test]
fn sarif_validates_against_the_2_1_0_schema() {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path()).unwrap()).unwrap();
    let validator = jsonschema::draft4::new(&schema).unwrap();
    let dir = project();
    let log = sarif(dir.path());
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|error| format!("{} at {}", error, error.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The validator must be able to say no.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&broken));
}

#[test]
fn sarif_has_what_code_scanning_needs() {
    let dir = project();
    let log = sarif(dir.path());
    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "harden");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(driver["informationUri"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    let rules = driver["rules"].as_array().unwrap();
    let listed = harden_tests::harden(dir.path(), &["rules", "--output-format", "json"]).stdout;
    let listed: Vec<Value> = serde_json::from_str(&listed).unwrap();
    assert_eq!(rules.len(), listed.len(), "every rule is described");
    for rule in rules {
        for key in [
            "id",
            "name",
            "shortDescription",
            "fullDescription",
            "help",
            "defaultConfiguration",
        ] {
            assert!(!rule[key].is_null(), "{key} missing in {rule}");
        }
        assert!(rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## What it does"));
        assert!(rule["properties"]["tags"].is_array());
    }
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );
    assert_eq!(run["columnKind"], "unicodeCodePoints");

    let results = run["results"].as_array().unwrap();
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[index]["id"], result["ruleId"],
            "ruleIndex points at the rule"
        );
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(location["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("svc/"));
        assert!(result["partialFingerprints"]["harden/v1"].is_string());
    }
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|result| !result["suppressions"].is_null())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["suppressions"][0]["kind"], "inSource");
    assert_eq!(
        suppressed[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        7
    );

    // Columns count characters: `std` follows `naïve` on line 2 at column 5,
    // and the E001 in broken.py is a tool notification too.
    let rust = results
        .iter()
        .find(|result| {
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "svc/lib.rs"
        })
        .unwrap();
    assert_eq!(
        rust["locations"][0]["physicalLocation"]["region"]["startColumn"],
        5
    );
    let invocation = &run["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], true);
    let notifications = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notifications.len(), 1);
    assert_eq!(notifications[0]["associatedRule"]["id"], "E001");
}

#[test]
fn sarif_snapshot() {
    let dir = project();
    let mut log = sarif(dir.path());
    let run = &mut log["runs"][0];
    // Rule descriptions and indices change whenever a rule is added; they
    // are checked structurally above.
    run["tool"]["driver"]["rules"] = "[rules]".into();
    run["tool"]["driver"]["version"] = "[version]".into();
    run["tool"]["driver"]["semanticVersion"] = "[version]".into();
    run["originalUriBaseIds"]["%SRCROOT%"]["uri"] = "file:///[root]/".into();
    for result in run["results"].as_array_mut().unwrap() {
        result["ruleIndex"] = "[index]".into();
    }
    for notification in run["invocations"][0]["toolExecutionNotifications"]
        .as_array_mut()
        .unwrap()
    {
        notification["associatedRule"]["index"] = "[index]".into();
    }
    insta::assert_json_snapshot!(log);
}

fn fingerprints(log: &Value) -> Vec<(String, String)> {
    log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| {
            (
                result["ruleId"].as_str().unwrap().to_string(),
                result["partialFingerprints"]["harden/v1"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect()
}

#[test]
fn fingerprints_survive_unrelated_edits_above() {
    let source = "import time\n\n\nasync def f():\n    time.sleep(1)\n    time.sleep(1)\n";
    let dir = scratch(&[("app.py", source)]);
    let before = fingerprints(&sarif(dir.path()));
    assert_eq!(before.len(), 2);
    assert_ne!(
        before[0].1, before[1].1,
        "identical lines get distinct fingerprints"
    );
    let edited = format!("\"\"\"Module doc.\"\"\"\n\nimport os\n{source}");
    std::fs::write(dir.path().join("app.py"), edited).unwrap();
    assert_eq!(fingerprints(&sarif(dir.path())), before);
    let changed = source.replace("time.sleep(1)\n    time", "time.sleep(2)\n    time");
    std::fs::write(dir.path().join("app.py"), changed).unwrap();
    let after = fingerprints(&sarif(dir.path()));
    assert_ne!(
        after[0], before[0],
        "editing the finding's line changes its fingerprint"
    );
}
