//! Test-support files, told by their place below the checked root: the
//! rules about long-lived state and thread races stay quiet in them.

use harden_tests::{harden, json_findings, scratch};

/// An unbounded method cache (UNB003), an attribute updated with and
/// without its lock (SHR003) and a check-then-insert on a lock-owning
/// object's dict (SHR002).
const HAZARDS_PY: &str = "\
import functools
import threading


class Reports:
    def __init__(self):
        self._lock = threading.Lock()
        self.rendered = 0
        self.by_owner = {}

    @functools.cache
    def render(self, request_id):
        with self._lock:
            self.rendered += 1
        return str(request_id)

    def forget(self):
        self.rendered -= 1

    def track(self, owner, report):
        if owner not in self.by_owner:
            self.by_owner[owner] = []
        self.by_owner[owner].append(report)
";

/// The (code, path) pairs of a JSON report of UNB003, SHR002 and SHR003.
fn found(root: &std::path::Path, target: &str) -> Vec<(String, String)> {
    let run = harden(
        root,
        &[
            "check",
            "--isolated",
            "--select",
            "UNB003,SHR002,SHR003",
            "--output-format",
            "json",
            target,
        ],
    );
    json_findings(&run.stdout)
        .into_iter()
        .map(|found| (found.code, found.path))
        .collect()
}

#[test]
fn test_directories_and_test_modules_are_not_checked_for_long_lived_hazards() {
    let dir = scratch(&[
        ("svc/reports.py", HAZARDS_PY),
        ("svc/tests/helpers.py", HAZARDS_PY),
        ("svc/test_reports.py", HAZARDS_PY),
        ("svc/conftest.py", HAZARDS_PY),
        ("svc/benches/load.py", HAZARDS_PY),
    ]);
    let found = found(dir.path(), "svc");
    let pair = |code: &str| (code.to_string(), "svc/reports.py".to_string());
    assert_eq!(found, [pair("UNB003"), pair("SHR003"), pair("SHR002")]);
}

#[test]
fn the_checked_roots_own_name_does_not_make_it_test_support() {
    let dir = scratch(&[("tests/svc/reports.py", HAZARDS_PY)]);
    let found = found(&dir.path().join("tests"), "svc");
    let codes: Vec<&str> = found.iter().map(|(code, _)| code.as_str()).collect();
    assert_eq!(codes, ["UNB003", "SHR003", "SHR002"]);
}
