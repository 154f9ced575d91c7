//! The Python front-end: `ruff_python_parser`, plus the nesting pre-scan.

use ruff_python_ast::token::TokenKind;
use ruff_python_ast::{ModModule, PySourceType};
use ruff_python_parser::Parsed;
use ruff_text_size::Ranged;

use super::{check_nesting, NestingDepth, SyntaxError};
use harden_rules::Span;

/// A parsed Python module and its comments (for suppressions).
pub struct ParsedPython {
    parsed: Parsed<ModModule>,
}

impl ParsedPython {
    pub fn module(&self) -> &ModModule {
        self.parsed.syntax()
    }

    /// Every comment, `#` included, from the parser's own token stream so
    /// that a `#` inside a string never counts.
    pub fn comments(&self) -> impl Iterator<Item = Span> + '_ {
        self.parsed
            .tokens()
            .iter()
            .filter(|token| token.kind() == TokenKind::Comment)
            .map(|token| Span::from(token.range()))
    }
}

/// Parses a module (a stub when `is_stub`); the first syntax error otherwise.
pub fn parse(source: &str, is_stub: bool) -> Result<ParsedPython, SyntaxError> {
    check_nesting(nesting_depth(source))?;
    let source_type = if is_stub {
        PySourceType::Stub
    } else {
        PySourceType::Python
    };
    let parsed = ruff_python_parser::parse_unchecked_source(source, source_type);
    if let Some(error) = parsed.errors().first() {
        return Err(SyntaxError {
            message: format!(
                "syntax error: {}",
                super::lowercase_first(&error.error.to_string())
            ),
            span: Span::from(error.location),
        });
    }
    Ok(ParsedPython { parsed })
}

/// Bracket nesting and operator chains outside strings and comments. Every
/// quote starts a string whatever its prefix (the prefix is read as a word
/// first); a backslash escapes the next byte in all of them, raw ones
/// included, which is how Python tokenises them too.
fn nesting_depth(source: &str) -> NestingDepth {
    let bytes = source.as_bytes();
    let mut depth = NestingDepth::default();
    let mut indents: Vec<usize> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' if depth.at_top() => {
                depth.separator();
                track_indentation(bytes, i + 1, &mut indents, &mut depth);
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            quote @ (b'\'' | b'"') => {
                i = skip_string(bytes, i, quote);
                continue;
            }
            byte if byte == b'_' || byte.is_ascii_alphanumeric() || byte >= 0x80 => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric() || bytes[i] >= 0x80)
                {
                    i += 1;
                }
                if is_operator_keyword(&bytes[start..i]) {
                    depth.operator(start);
                }
                continue;
            }
            b'\\' => i += 1,
            b'(' | b'[' | b'{' => depth.open(i),
            b')' | b']' | b'}' => depth.close(),
            b',' | b';' => depth.separator(),
            b'+' | b'-' | b'*' | b'/' | b'%' | b'@' | b'&' | b'|' | b'^' | b'~' | b'<' | b'>'
            | b'=' | b'!' | b'.' => depth.operator(i),
            _ => {}
        }
        i += 1;
    }
    depth
}

/// Indented blocks nest statements like brackets nest expressions: compares
/// the indentation of the line starting at `start` with the open blocks.
/// Blank and comment-only lines do not count.
fn track_indentation(
    bytes: &[u8],
    start: usize,
    indents: &mut Vec<usize>,
    depth: &mut NestingDepth,
) {
    let width = bytes[start..]
        .iter()
        .take_while(|&&byte| byte == b' ' || byte == b'\t')
        .count();
    if matches!(bytes.get(start + width), None | Some(b'\n' | b'\r' | b'#')) {
        return;
    }
    while indents.last().is_some_and(|&open| open > width) {
        indents.pop();
        depth.leave_block();
    }
    if width > indents.last().copied().unwrap_or(0) {
        indents.push(width);
        depth.enter_block(start + width);
    }
}

fn is_operator_keyword(word: &[u8]) -> bool {
    matches!(
        word,
        b"not" | b"and" | b"or" | b"if" | b"else" | b"await" | b"lambda" | b"is" | b"in" | b"yield"
    )
}

/// Returns the offset just past the string literal starting at `start`.
fn skip_string(bytes: &[u8], start: usize, quote: u8) -> usize {
    let triple = bytes.get(start..start + 3) == Some(&[quote; 3][..]);
    let mut i = start + if triple { 3 } else { 1 };
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'\n' if !triple => return i,
            byte if byte == quote => {
                if !triple {
                    return i + 1;
                }
                if bytes.get(i..i + 3) == Some(&[quote; 3][..]) {
                    return i + 3;
                }
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let source = "x = '((('  # (((\ny = \"\"\"\n[[[\n\"\"\"\nz = ((1))\n";
        assert_eq!(nesting_depth(source).max, 2);
        assert_eq!(nesting_depth(source).max_chain, 1);
    }

    #[test]
    fn escaped_quotes_stay_inside_the_string() {
        assert_eq!(nesting_depth(r#"s = "\"(" + f(g(1))"#).max, 2);
    }

    #[test]
    fn deep_nesting_is_a_syntax_error_at_the_first_bracket_too_deep() {
        let source = format!("x = {}1{}", "(".repeat(300), ")".repeat(300));
        let Err(error) = parse(&source, false) else {
            panic!("expected an error");
        };
        assert_eq!(
            error.message,
            "nested too deeply to analyse (depth 300 > 256)"
        );
        assert_eq!(error.span, Span::new(260, 261));
    }

    #[test]
    fn operator_chains_reset_at_commas_and_statement_ends() {
        let list = format!("x = [{}]\n", "-1, ".repeat(5000));
        assert_eq!(nesting_depth(&list).max_chain, 2);
        let lines = "y = a + b\n".repeat(5000);
        assert_eq!(nesting_depth(&lines).max_chain, 2);
        let chain = format!("z = {}x\n", "not ".repeat(20_000));
        assert_eq!(nesting_depth(&chain).max_chain, 20_001);
        let Err(error) = parse(&chain, false) else {
            panic!("expected an error");
        };
        assert_eq!(
            error.message,
            "expression too deeply chained to analyse (20001 operators > 16384)"
        );
    }

    #[test]
    fn indented_blocks_nest() {
        let mut source = String::new();
        for level in 0..300 {
            source.push_str(&format!("{}if x:\n", " ".repeat(level)));
        }
        source.push_str(&format!("{}pass\n", " ".repeat(300)));
        assert_eq!(nesting_depth(&source).max, 300);
        let flat = "if x:\n    pass\n# c\n\nif y:\n    pass\n";
        assert_eq!(nesting_depth(flat).max, 1);
    }

    #[test]
    fn comments_come_from_tokens() {
        let parsed = parse("s = '# not a comment'  # real\n", false).unwrap();
        let spans: Vec<Span> = parsed.comments().collect();
        assert_eq!(spans, vec![Span::new(23, 29)]);
    }
}
