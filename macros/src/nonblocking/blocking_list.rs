//! The shared list of blocking Rust APIs, `rules/data/rust_blocking_apis.txt`,
//! compiled into the macro so it and harden's BLK rules cannot drift apart.

use std::sync::OnceLock;

const LIST: &str = include_str!("../../../rules/data/rust_blocking_apis.txt");

/// One line of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `BLK001`..: the harden rule that flags this call.
    pub code: String,
    pub kind: Kind,
    /// Path segments; a trailing `*` is kept as its own segment.
    pub path: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Called by path: `std::thread::sleep(..)`.
    Fn,
    /// Called as a method on a value of the type: `command.output()`.
    Method,
}

impl Entry {
    pub fn display_path(&self) -> String {
        self.path.join("::")
    }

    /// How to fix a call in this entry's family.
    pub fn advice(&self) -> &'static str {
        match self.code.as_str() {
            "BLK001" => "use an async sleep such as `tokio::time::sleep(..).await`",
            "BLK002" => "use an async client or socket",
            "BLK003" => "use `tokio::process::Command`",
            "BLK004" => "use `tokio::fs`",
            _ => "use the async equivalent",
        }
    }
}

/// The parsed list, parsed once per compiler process.
pub fn entries() -> &'static [Entry] {
    static ENTRIES: OnceLock<Vec<Entry>> = OnceLock::new();
    ENTRIES.get_or_init(|| parse(LIST))
}

/// Parse the list format documented at the top of the file. A malformed
/// line is a bug in the repository, caught by this crate's tests.
pub fn parse(text: &str) -> Vec<Entry> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let code = parts.next()?.to_owned();
            let kind = match parts.next()? {
                "fn" => Kind::Fn,
                "method" => Kind::Method,
                _ => return None,
            };
            let path = parts.next()?.split("::").map(str::to_owned).collect();
            Some(Entry { code, kind, path })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_of_the_shared_list_parses() {
        let lines = LIST
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
            .count();
        assert_eq!(entries().len(), lines);
        assert!(lines > 10, "the shared list looks truncated");
    }

    #[test]
    fn parses_both_kinds_and_wildcards() {
        let parsed = parse("# comment\nBLK001 fn std::thread::sleep\nBLK004 fn std::fs::*\nBLK003 method std::process::Command::output\n");
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[1].path, ["std", "fs", "*"]);
        assert_eq!(parsed[2].kind, Kind::Method);
    }
}
