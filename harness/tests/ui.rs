//! trybuild: every compile error the macros emit, with its exact message
//! and span. Regenerate with `TRYBUILD=overwrite` after a deliberate change,
//! then read the `.stderr` diffs.
#![cfg(not(loom))]

#[test]
fn compile_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
