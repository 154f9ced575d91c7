//! The front-ends: the only place that calls `ruff_python_parser` and
//! `syn::parse_file`, so a parser upgrade touches this folder alone.
//!
//! Before parsing, a cheap scan measures bracket nesting: recursive-descent
//! parsers recurse once per level, and a stack overflow aborts the process
//! instead of unwinding, so files nested deeper than [`MAX_NESTING`] are
//! reported instead of parsed.

pub mod python;
pub mod rust;

use std::path::Path;

use harden_rules::Span;

/// Deepest bracket nesting a file may have to be analysed.
pub const MAX_NESTING: usize = 256;

/// The language of a checked file, from its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SourceKind {
    Python,
    Rust,
}

impl SourceKind {
    /// The language of a file found while walking a directory; `None` for
    /// files harden does not check.
    pub fn of_discovered(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()? {
            "py" | "pyi" => Some(Self::Python),
            "rs" => Some(Self::Rust),
            _ => None,
        }
    }

    /// The language of a file named on the command line: always checked,
    /// as Python unless it is a `.rs` file.
    pub fn of_named(path: &Path) -> Self {
        Self::of_discovered(path).unwrap_or(Self::Python)
    }
}

/// Why a file could not be parsed: the message and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub span: Span,
}

/// Rejects files nested deeper than [`MAX_NESTING`], before any parser runs.
pub(crate) fn check_nesting(depth: NestingDepth) -> Result<(), SyntaxError> {
    if depth.max <= MAX_NESTING {
        return Ok(());
    }
    Err(SyntaxError {
        message: format!(
            "nested too deeply to analyse (depth {} > {MAX_NESTING})",
            depth.max
        ),
        span: Span::new(depth.offset, depth.offset + 1),
    })
}

/// The deepest bracket nesting of a file and the offset of the bracket
/// that first exceeded [`MAX_NESTING`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct NestingDepth {
    pub max: usize,
    pub offset: u32,
    current: usize,
}

impl NestingDepth {
    pub(crate) fn open(&mut self, offset: usize) {
        self.current += 1;
        if self.current > self.max {
            self.max = self.current;
            if self.max == MAX_NESTING + 1 {
                self.offset = offset as u32;
            }
        }
    }

    pub(crate) fn close(&mut self) {
        self.current = self.current.saturating_sub(1);
    }
}

/// `Expected ')'` -> `expected ')'`: messages are lowercase.
pub(crate) fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}
