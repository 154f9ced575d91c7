//! Byte offsets to 1-based line and column, columns counted in Unicode
//! scalar values (what editors and SARIF's `unicodeCodePoints` expect).

use serde::Serialize;

/// A 1-based line and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Start offsets of every line of one source text.
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(source: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            source
                .bytes()
                .enumerate()
                .filter(|&(_, byte)| byte == b'\n')
                .map(|(offset, _)| offset + 1),
        );
        Self { line_starts }
    }

    /// The position of a byte offset; offsets past the end or inside a
    /// character are clamped to the nearest character boundary before it.
    pub fn position(&self, source: &str, offset: u32) -> Position {
        let mut offset = (offset as usize).min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let column = source[self.line_starts[line]..offset].chars().count() + 1;
        Position {
            line: line + 1,
            column,
        }
    }

    /// The position of an exclusive end offset: an offset inside a
    /// character moves to the character's end.
    pub fn end_position(&self, source: &str, offset: u32) -> Position {
        let mut offset = (offset as usize).min(source.len());
        while !source.is_char_boundary(offset) {
            offset += 1;
        }
        self.position(source, offset as u32)
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text<'a>(&self, source: &'a str, line: usize) -> &'a str {
        let start = self.line_starts[line - 1];
        let end = self
            .line_starts
            .get(line)
            .map_or(source.len(), |&next| next);
        source[start..end].trim_end_matches(['\n', '\r'])
    }

    /// The byte offset where a 1-based line starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts[line - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_not_bytes() {
        let source = "a\nnaïve = time.sleep(1)\n";
        let index = LineIndex::new(source);
        let offset = source.find("time").unwrap() as u32;
        assert_eq!(
            index.position(source, offset),
            Position { line: 2, column: 9 }
        );
        assert_eq!(index.position(source, 0), Position { line: 1, column: 1 });
        assert_eq!(index.line_text(source, 2), "naïve = time.sleep(1)");
    }

    #[test]
    fn end_of_file_is_after_the_last_character() {
        let source = "ab";
        let index = LineIndex::new(source);
        assert_eq!(index.position(source, 99), Position { line: 1, column: 3 });
    }
}
