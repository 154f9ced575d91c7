//! The BLK rules end to end on small snippets, for logic the fixtures
//! cannot isolate: configuration, rebinding, once-per-acquisition.

use super::*;
use crate::api::Settings;
use crate::REGISTRY;

fn line_of(source: &str, span: Span) -> usize {
    source[..span.start as usize].matches('\n').count() + 1
}

/// Every diagnostic of all rules on a snippet.
fn diagnostics(source: &str, is_python: bool, settings: &Settings) -> Vec<crate::Diagnostic> {
    let rules: Vec<_> = REGISTRY.iter().collect();
    if is_python {
        let parsed = ruff_python_parser::parse_module(source).expect("valid Python");
        crate::python::check(parsed.syntax(), source, settings, &rules)
    } else {
        let file = syn::parse_file(source).expect("valid Rust");
        crate::rust::check(&file, source, settings, &rules)
    }
}

#[test]
fn a_lock_held_across_several_awaits_is_reported_once_with_the_first_await() {
    let python = "\
import asyncio, threading
lock = threading.Lock()
async def refresh():
    with lock:
        await asyncio.sleep(0)
        await asyncio.sleep(1)
";
    let rust = "\
async fn refresh(m: &std::sync::Mutex<u8>) {
    let guard = m.lock().unwrap();
    first().await;
    second().await;
}
";
    for (source, is_python) in [(python, true), (rust, false)] {
        let found = diagnostics(source, is_python, &Settings::default());
        assert_eq!(found.len(), 1, "{found:?}");
        let finding = &found[0];
        assert_eq!(finding.rule.code, "BLK005");
        let lines: Vec<usize> = std::iter::once(finding.span)
            .chain(finding.related.iter().map(|related| related.span))
            .map(|span| line_of(source, span))
            .collect();
        let expected = if is_python { [4, 5] } else { [2, 3] };
        assert_eq!(lines, expected);
    }
}

/// (line, code) of every finding of all rules on a snippet.
fn findings(source: &str, is_python: bool, settings: &Settings) -> Vec<(usize, &'static str)> {
    let mut found: Vec<_> = diagnostics(source, is_python, settings)
        .iter()
        .map(|d| (line_of(source, d.span), d.rule.code))
        .collect();
    found.sort();
    found
}

fn configured(entries: &[(&'static str, &str)]) -> Settings {
    Settings {
        blocking_functions: entries
            .iter()
            .map(|(code, path)| (*code, path.to_string()))
            .collect(),
        ..Settings::default()
    }
}

#[test]
fn configured_python_functions_and_methods_are_blocking_for_their_rule() {
    let source = "\
from mylib import fetch as get_it
import mylib
async def handler():
    get_it(1)
    client = mylib.Client()
    client.pull()
    mylib.spawn()
def worker():
    get_it(2)
";
    let settings = configured(&[
        ("BLK002", "mylib.fetch"),
        ("BLK002", "mylib.Client.pull"),
        ("BLK003", "mylib.spawn"),
    ]);
    assert_eq!(
        findings(source, true, &settings),
        [(4, "BLK002"), (6, "BLK002"), (7, "BLK003")]
    );
    assert_eq!(findings(source, true, &Settings::default()), []);
}

#[test]
fn configured_rust_functions_and_methods_are_blocking_for_their_rule() {
    let source = "\
use mylib::fetch as get_it;
async fn handler() {
    get_it();
    let client = mylib::Client::new();
    client.pull();
}
fn worker() {
    get_it();
}
";
    let settings = configured(&[
        ("BLK004", "mylib::fetch"),
        ("BLK002", "mylib::Client::pull"),
    ]);
    assert_eq!(
        findings(source, false, &settings),
        [(3, "BLK004"), (5, "BLK002")]
    );
    assert_eq!(findings(source, false, &Settings::default()), []);
}

#[test]
fn rebound_python_names_lose_their_constructed_type() {
    let source = "\
import subprocess
async def handler(jobs):
    proc = subprocess.Popen(['true'])
    proc.wait()
    proc, other = jobs
    proc.wait()
    proc = subprocess.Popen(['true'])
    for proc in jobs:
        proc.wait()
    proc = subprocess.Popen(['true'])
    from jobs import proc
    proc.wait()
";
    assert_eq!(
        findings(source, true, &Settings::default()),
        [(4, "BLK003")]
    );
}

#[test]
fn awaited_calls_are_not_the_blocking_api() {
    let source = "\
import subprocess, httpx
async def handler(factory):
    client = httpx.Client()
    if factory:
        await client.get('/a')
    client.get('/b')
    proc = subprocess.Popen(['true'])
    await proc.wait()
";
    assert_eq!(
        findings(source, true, &Settings::default()),
        [(6, "BLK002")]
    );
}

#[test]
fn shadowing_rust_lets_lose_their_constructed_type() {
    let source = "\
use std::process::Command;
async fn handler(job: Job) {
    let mut child = Command::new(\"true\").spawn().unwrap();
    child.wait();
    let child = job;
    child.wait();
}
";
    assert_eq!(
        findings(source, false, &Settings::default()),
        [(4, "BLK003")]
    );
}

#[test]
fn data_file_parses_completely() {
    let listed = RUST_BLOCKING_APIS_TXT
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .count();
    assert_eq!(RUST_BLOCKING_APIS.len(), listed);
    assert!(RUST_BLOCKING_APIS
        .iter()
        .all(|api| api.code.starts_with("BLK") && api.path.contains("::")));
}

#[test]
fn module_wildcards_match_only_below_the_module() {
    assert!(path_matches("std::fs::*", "std::fs::read_to_string"));
    assert!(path_matches("std::fs::*", "std::fs::File::open"));
    assert!(!path_matches("std::fs::*", "std::fsx::read"));
    assert!(!path_matches("std::fs::*", "std::fs"));
    assert!(path_matches("std::thread::sleep", "std::thread::sleep"));
    assert!(!path_matches("std::thread::sleep", "std::thread::sleep_ms"));
}
