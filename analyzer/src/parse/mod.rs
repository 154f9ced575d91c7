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

/// Longest chain of operators one expression may have along any path
/// (counted between commas and statement ends). Unary and right-associative
/// chains (`not not x`, `!!x`, `a ** b ** c`) and long left-associative
/// ones (`a + b + ...`, `x.f().g()...`) all become trees as deep as the
/// chain is long, and parsers, rule walks and drops recurse through them.
pub const MAX_OPERATOR_CHAIN: usize = 16_384;

/// Rejects files nested deeper than [`MAX_NESTING`] or with operator chains
/// longer than [`MAX_OPERATOR_CHAIN`], before any parser runs.
pub(crate) fn check_nesting(depth: NestingDepth) -> Result<(), SyntaxError> {
    if depth.max > MAX_NESTING {
        return Err(SyntaxError {
            message: format!(
                "nested too deeply to analyse (depth {} > {MAX_NESTING})",
                depth.max
            ),
            span: Span::new(depth.offset, depth.offset + 1),
        });
    }
    if depth.max_chain > MAX_OPERATOR_CHAIN {
        return Err(SyntaxError {
            message: format!(
                "expression too deeply chained to analyse ({} operators > {MAX_OPERATOR_CHAIN})",
                depth.max_chain
            ),
            span: Span::new(depth.chain_offset, depth.chain_offset + 1),
        });
    }
    Ok(())
}

/// What the pre-scan measures: bracket depth, and the operators chained
/// along the current path (the sum over open brackets of the operators
/// seen since that bracket's last comma or statement end).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NestingDepth {
    /// Deepest bracket nesting.
    pub max: usize,
    /// Where nesting first exceeded [`MAX_NESTING`].
    pub offset: u32,
    /// Longest operator chain.
    pub max_chain: usize,
    /// Where the chain first exceeded [`MAX_OPERATOR_CHAIN`].
    pub chain_offset: u32,
    /// Operators per open bracket (index 0: the top level).
    chains: Vec<usize>,
    chain: usize,
    /// Indented blocks (Python) around the current line.
    blocks: usize,
}

impl NestingDepth {
    fn current(&self) -> usize {
        self.chains.len().saturating_sub(1)
    }

    pub(crate) fn open(&mut self, offset: usize) {
        if self.chains.is_empty() {
            self.chains.push(0);
        }
        self.chains.push(0);
        self.deepen(offset);
    }

    /// An indented block starts (Python): it nests like a bracket.
    pub(crate) fn enter_block(&mut self, offset: usize) {
        self.blocks += 1;
        self.deepen(offset);
    }

    pub(crate) fn leave_block(&mut self) {
        self.blocks = self.blocks.saturating_sub(1);
    }

    fn deepen(&mut self, offset: usize) {
        let current = self.current() + self.blocks;
        if current > self.max {
            self.max = current;
            if self.max == MAX_NESTING + 1 {
                self.offset = offset as u32;
            }
        }
    }

    pub(crate) fn close(&mut self) {
        if self.chains.len() > 1 {
            self.chain -= self.chains.pop().unwrap_or(0);
        }
    }

    /// An operator token (or keyword) inside the current expression.
    pub(crate) fn operator(&mut self, offset: usize) {
        if self.chains.is_empty() {
            self.chains.push(0);
        }
        if let Some(top) = self.chains.last_mut() {
            *top += 1;
        }
        self.chain += 1;
        if self.chain > self.max_chain {
            self.max_chain = self.chain;
            if self.max_chain == MAX_OPERATOR_CHAIN + 1 {
                self.chain_offset = offset as u32;
            }
        }
    }

    /// A comma or statement end: the next operand starts a new chain.
    pub(crate) fn separator(&mut self) {
        if let Some(top) = self.chains.last_mut() {
            self.chain -= *top;
            *top = 0;
        }
    }

    /// True at the top level, outside every bracket.
    pub(crate) fn at_top(&self) -> bool {
        self.chains.len() <= 1
    }
}

/// `Expected ')'` -> `expected ')'`: messages are lowercase.
pub(crate) fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}
