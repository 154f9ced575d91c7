//! Diagnostics about the run itself rather than the code: a file that could
//! not be parsed or read, a rule that panicked, a suppression that does
//! nothing. They are reported like findings so that the gate fails on
//! unchecked code instead of passing silently.

use crate::declare_rule;

declare_rule! {
    /// ## What it does
    /// Reports a file that could not be parsed, at the position of the syntax error.
    ///
    /// ## Why is this bad?
    /// Unparsed code is unchecked code: the gate must not pass it silently.
    /// The file's other findings are skipped.
    ///
    /// ## Example
    /// ```python
    /// def handler(:
    /// ```
    ///
    /// ## Use instead
    /// Fix the syntax error, or exclude the file (`--exclude`, `exclude = [...]`).
    ///
    /// ## Known limitations
    /// Only the first syntax error is reported.
    pub static PARSE_ERROR = {
        code: "E001",
        name: "parse-error",
        summary: "file could not be parsed",
        languages: [Python, Rust],
        severity: Error,
        tags: ["tool"],
    };
}

declare_rule! {
    /// ## What it does
    /// Reports a file that could not be read: an I/O error, a file that is not
    /// UTF-8, a symlink loop.
    ///
    /// ## Why is this bad?
    /// A file harden cannot read is a file it did not check.
    ///
    /// ## Example
    /// A `.py` file saved as Latin-1.
    ///
    /// ## Use instead
    /// Save the file as UTF-8, fix its permissions, or exclude it.
    ///
    /// ## Known limitations
    /// None.
    pub static READ_ERROR = {
        code: "E002",
        name: "read-error",
        summary: "file could not be read",
        languages: [Python, Rust],
        severity: Error,
        tags: ["tool"],
    };
}

declare_rule! {
    /// ## What it does
    /// Reports an internal error (a panic) inside harden while checking a file.
    ///
    /// ## Why is this bad?
    /// The file was not fully checked. The run goes on with the other files.
    ///
    /// ## Example
    /// Any file that triggers a bug in a rule.
    ///
    /// ## Use instead
    /// Report the bug with the file; exclude the file meanwhile.
    ///
    /// ## Known limitations
    /// None.
    pub static INTERNAL_ERROR = {
        code: "E003",
        name: "internal-error",
        summary: "internal error while checking a file",
        languages: [Python, Rust],
        severity: Error,
        tags: ["tool"],
    };
}

declare_rule! {
    /// ## What it does
    /// Reports a suppression comment (`# harden: ignore[...]`, `# noqa: ...`,
    /// `// harden: ignore[...]`) that names an unknown rule or suppresses nothing.
    ///
    /// ## Why is this bad?
    /// Stale suppressions hide the next real finding on that line and make
    /// reviewers doubt every other suppression.
    ///
    /// ## Example
    /// ```python
    /// total = compute()  # harden: ignore[BLK001]
    /// ```
    ///
    /// ## Use instead
    /// Remove the comment, or name the rule that actually fires.
    ///
    /// ## Known limitations
    /// `noqa` codes of other tools are ignored, not reported.
    pub static UNUSED_SUPPRESSION = {
        code: "E004",
        name: "unused-suppression",
        summary: "unused or unknown suppression comment",
        languages: [Python, Rust],
        severity: Warning,
        tags: ["tool"],
    };
}

/// The tool diagnostics, in code order.
pub static TOOL_RULES: &[&crate::api::RuleMeta] = &[
    &PARSE_ERROR,
    &READ_ERROR,
    &INTERNAL_ERROR,
    &UNUSED_SUPPRESSION,
];
