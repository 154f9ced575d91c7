//! The Rust front-end: `syn`, plus a small lexer that finds comments (for
//! suppressions) and measures bracket nesting in the same pass.

use super::{check_nesting, NestingDepth, SyntaxError};
use harden_rules::Span;

/// A parsed Rust file and its comments.
pub struct ParsedRust {
    file: syn::File,
    comments: Vec<Span>,
}

impl ParsedRust {
    pub fn file(&self) -> &syn::File {
        &self.file
    }

    /// Every line and block comment, markers included.
    pub fn comments(&self) -> impl Iterator<Item = Span> + '_ {
        self.comments.iter().copied()
    }
}

/// Parses a file; the syntax error otherwise.
///
/// syn's spans index a thread-local source map: the caller must call
/// [`forget_spans`] once it is done with the file's diagnostics.
pub fn parse(source: &str) -> Result<ParsedRust, SyntaxError> {
    let (depth, comments) = scan(source);
    check_nesting(depth)?;
    // syn drops a shebang line before parsing, which would shift every span
    // by its length: blank it instead so offsets stay those of `source`.
    let blanked;
    let text = match shebang_len(source) {
        Some(len) => {
            blanked = format!("{}{}", " ".repeat(len), &source[len..]);
            blanked.as_str()
        }
        None => source,
    };
    match syn::parse_file(text) {
        Ok(file) => Ok(ParsedRust { file, comments }),
        Err(error) => {
            let range = error.span().byte_range();
            Err(SyntaxError {
                message: format!(
                    "syntax error: {}",
                    super::lowercase_first(&error.to_string())
                ),
                span: Span::new(range.start as u32, range.end as u32),
            })
        }
    }
}

/// The length of a `#!` interpreter line; `#![attr]` is not one.
fn shebang_len(source: &str) -> Option<usize> {
    let rest = source.strip_prefix("#!")?;
    if rest.trim_start().starts_with('[') {
        return None;
    }
    Some(source.find('\n').unwrap_or(source.len()))
}

/// Drops this thread's span source map, which otherwise grows with every
/// file parsed on the thread.
pub fn forget_spans() {
    proc_macro2::extra::invalidate_current_thread_spans();
}

/// One pass over the bytes: comments out, literal contents skipped, bracket
/// depth measured.
fn scan(source: &str) -> (NestingDepth, Vec<Span>) {
    let bytes = source.as_bytes();
    let mut depth = NestingDepth::default();
    let mut comments = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        i = match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = memchr_newline(bytes, i);
                comments.push(span(start, end));
                end
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = skip_block_comment(bytes, i);
                comments.push(span(start, end));
                end
            }
            b'"' => skip_quoted(bytes, i + 1, b'"'),
            b'\'' => skip_char_or_lifetime(bytes, i),
            byte if is_ident_byte(Some(byte)) => {
                if let Some(end) = matches!(byte, b'r' | b'b' | b'c')
                    .then(|| skip_prefixed_literal(bytes, i))
                    .flatten()
                {
                    end
                } else {
                    let end = i + bytes[i..]
                        .iter()
                        .take_while(|&&byte| is_ident_byte(Some(byte)))
                        .count();
                    if is_operator_keyword(&bytes[i..end]) {
                        depth.operator(i);
                    }
                    end
                }
            }
            b'(' | b'[' | b'{' => {
                depth.open(i);
                i + 1
            }
            b')' | b']' | b'}' => {
                depth.close();
                i + 1
            }
            b',' | b';' => {
                depth.separator();
                i + 1
            }
            b'+' | b'-' | b'*' | b'/' | b'%' | b'&' | b'|' | b'^' | b'!' | b'<' | b'>' | b'='
            | b'.' | b'?' => {
                depth.operator(i);
                i + 1
            }
            _ => i + 1,
        };
    }
    (depth, comments)
}

/// Keywords that take an expression operand: `return return x` nests.
fn is_operator_keyword(word: &[u8]) -> bool {
    matches!(
        word,
        b"return" | b"break" | b"yield" | b"as" | b"move" | b"async" | b"box"
    )
}

fn span(start: usize, end: usize) -> Span {
    Span::new(start as u32, end as u32)
}

fn is_ident_byte(byte: Option<u8>) -> bool {
    byte.is_some_and(|byte| byte == b'_' || byte.is_ascii_alphanumeric() || byte >= 0x80)
}

fn memchr_newline(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&byte| byte == b'\n')
        .map_or(bytes.len(), |offset| from + offset)
}

/// Block comments nest in Rust.
fn skip_block_comment(bytes: &[u8], start: usize) -> usize {
    let mut level = 0usize;
    let mut i = start;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"/*") {
            level += 1;
            i += 2;
        } else if bytes[i..].starts_with(b"*/") {
            level -= 1;
            i += 2;
            if level == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// Skips to just past the closing `quote`, honouring backslash escapes.
fn skip_quoted(bytes: &[u8], mut i: usize, quote: u8) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            byte if byte == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// `'a'`, `'\n'`, `'\u{1F600}'` are characters; `'a` and `'static` are
/// lifetimes or labels, which end at the quote itself.
fn skip_char_or_lifetime(bytes: &[u8], start: usize) -> usize {
    match bytes.get(start + 1) {
        Some(b'\\') => skip_quoted(bytes, start + 1, b'\''),
        Some(&first) => {
            let width = utf8_width(first);
            if bytes.get(start + 1 + width) == Some(&b'\'') {
                start + 2 + width
            } else {
                start + 1
            }
        }
        None => start + 1,
    }
}

fn utf8_width(first: u8) -> usize {
    match first {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

/// `b"…"`, `b'…'`, `c"…"`, `r"…"`, `r#"…"#`, `br##"…"##`, `cr"…"`; `None`
/// when the identifier at `start` is not a literal prefix.
fn skip_prefixed_literal(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    if matches!(bytes[i], b'b' | b'c') {
        i += 1;
        match bytes.get(i) {
            Some(b'"') => return Some(skip_quoted(bytes, i + 1, b'"')),
            Some(b'\'') if bytes[start] == b'b' => return Some(skip_quoted(bytes, i + 1, b'\'')),
            Some(b'r') => {}
            _ => return None,
        }
    }
    // A raw string: `r`, hashes, a quote, and no escapes until the quote
    // followed by as many hashes.
    i += 1;
    let hashes = bytes[i..].iter().take_while(|&&byte| byte == b'#').count();
    i += hashes;
    if bytes.get(i) != Some(&b'"') {
        return None;
    }
    i += 1;
    while i < bytes.len() {
        if bytes[i] == b'"' && bytes[i + 1..].iter().take(hashes).all(|&byte| byte == b'#') {
            let end = i + 1 + hashes;
            if end <= bytes.len() {
                return Some(end);
            }
        }
        i += 1;
    }
    Some(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comment_texts(source: &str) -> Vec<&str> {
        scan(source)
            .1
            .iter()
            .map(|span| &source[span.start as usize..span.end as usize])
            .collect()
    }

    #[test]
    fn markers_inside_literals_are_not_comments() {
        let source = r###"let a = "// no"; let b = r#"/* no "# "#; let c = '"'; // yes
let d = b"//"; let e: &'static str = "x"; /* outer /* inner */ still */ let f = br##"//"##;"###;
        assert_eq!(
            comment_texts(source),
            ["// yes", "/* outer /* inner */ still */"]
        );
    }

    #[test]
    fn lifetimes_do_not_open_char_literals() {
        let source = "fn f<'a>(x: &'a str) -> char { '(' } // c\n";
        let (depth, _) = scan(source);
        assert_eq!(comment_texts(source), ["// c"]);
        // The `(` inside the char literal does not count.
        assert_eq!(depth.max, 1);
    }

    #[test]
    fn long_method_chains_are_rejected_but_long_lists_are_not() {
        let list = format!("const X: [i32; 5000] = [{}];", "-1, ".repeat(5000));
        assert!(scan(&list).0.max_chain < 10);
        let chain = format!("fn f() {{ x{}; }}", ".f()".repeat(20_000));
        let Err(error) = parse(&chain) else {
            panic!("expected an error");
        };
        assert_eq!(
            error.message,
            "expression too deeply chained to analyse (20000 operators > 16384)"
        );
    }

    #[test]
    fn a_shebang_does_not_shift_spans() {
        let source = "#!/usr/bin/env run-cargo-script\nfn main() { let x = ; }\n";
        let Err(error) = parse(source) else {
            panic!("expected an error");
        };
        let at = source.find("; }").unwrap() as u32;
        assert_eq!(error.span.start, at);
        forget_spans();
    }

    #[test]
    fn raw_identifiers_are_not_raw_strings() {
        assert_eq!(comment_texts("let r#type = 1; // c"), ["// c"]);
    }

    #[test]
    fn deep_nesting_is_rejected_before_parsing() {
        let source = format!(
            "fn f() {{ let x = {}1{}; }}",
            "[".repeat(400),
            "]".repeat(400)
        );
        let Err(error) = parse(&source) else {
            panic!("expected an error");
        };
        assert_eq!(
            error.message,
            "nested too deeply to analyse (depth 401 > 256)"
        );
    }
}
