//! Inline suppressions: `# harden: ignore[BLK001, blocking-sleep-in-async]`,
//! `// harden: ignore[BLK001]`, a bare `# harden: ignore`, and `# noqa:
//! BLK001`. A suppression covers its own line and, when the comment is
//! alone on its line, the line below. `# noqa:` with a flake8-async code
//! for the same hazard (`ASYNC230`, see [`FLAKE8_ASYNC_ALIASES`]) covers
//! the BLK rule too: the call was reviewed once already.
//!
//! Comments come from the front-ends (the Python token stream, the Rust
//! comment lexer), so markers inside string literals never count.

use std::cell::OnceCell;
use std::collections::{BTreeSet, HashMap};

use harden_rules::tool::UNUSED_SUPPRESSION;
use harden_rules::{Diagnostic, RuleMeta, Span};

use crate::locate::LineIndex;

/// A finding and whether an inline comment suppressed it.
#[derive(Clone, Debug)]
pub struct Finding {
    pub diagnostic: Diagnostic,
    pub suppressed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flavour {
    Harden,
    Noqa,
}

/// One parsed suppression comment.
#[derive(Debug)]
struct Suppression {
    span: Span,
    flavour: Flavour,
    /// `None` for a bare directive, which covers every rule.
    codes: Option<Vec<SuppressedCode>>,
    used: bool,
}

#[derive(Debug)]
struct SuppressedCode {
    text: String,
    rule: Option<&'static RuleMeta>,
    used: bool,
    /// Another tool's code for the same hazard: it suppresses the rule,
    /// but is that tool's to report when unused, not E004's.
    alias: bool,
}

/// flake8-async (and ruff's `ASYNC`) codes that flag the calls a BLK rule
/// flags, so that one reviewed `# noqa: ASYNC230` serves both tools.
const FLAKE8_ASYNC_ALIASES: &[(&str, &str)] = &[
    ("ASYNC210", "BLK002"),
    ("ASYNC212", "BLK002"),
    ("ASYNC220", "BLK003"),
    ("ASYNC221", "BLK003"),
    ("ASYNC222", "BLK003"),
    ("ASYNC230", "BLK004"),
    ("ASYNC232", "BLK004"),
    ("ASYNC251", "BLK001"),
];

impl Suppression {
    /// Marks the suppression used for `code` and says whether it covers it.
    fn claim(&mut self, code: &str) -> bool {
        let covers = match &mut self.codes {
            None => true,
            Some(codes) => {
                let mut hit = false;
                for entry in codes.iter_mut() {
                    if entry.rule.is_some_and(|rule| rule.code == code) {
                        entry.used = true;
                        hit = true;
                    }
                }
                hit
            }
        };
        self.used |= covers;
        covers
    }
}

/// Applies the suppressions in `comments` to `diagnostics` and reports
/// unknown or unused ones as E004 when `enabled` contains it.
///
/// `enabled` is the set of codes in force for this file: a suppression of a
/// rule that is not enabled is not reported as unused.
pub fn apply(
    source: &str,
    comments: impl Iterator<Item = Span>,
    diagnostics: Vec<Diagnostic>,
    enabled: &BTreeSet<&'static str>,
) -> Vec<Finding> {
    // Most files have no suppression at all: build the line index only
    // when one is found.
    let index = OnceCell::new();
    let index = || index.get_or_init(|| LineIndex::new(source));
    let mut suppressions = Vec::new();
    let mut by_line: HashMap<usize, Vec<usize>> = HashMap::new();
    for comment in comments {
        let text = &source[comment.start as usize..comment.end as usize];
        let parsed = parse_comment(text, comment);
        if parsed.is_empty() {
            continue;
        }
        let line = index().position(source, comment.start).line;
        let alone = source[index().line_start(line)..comment.start as usize]
            .trim()
            .is_empty();
        for suppression in parsed {
            let slot = suppressions.len();
            by_line.entry(line).or_default().push(slot);
            if alone {
                by_line.entry(line + 1).or_default().push(slot);
            }
            suppressions.push(suppression);
        }
    }

    let mut findings: Vec<Finding> = diagnostics
        .into_iter()
        .map(|diagnostic| {
            let mut suppressed = false;
            if !suppressions.is_empty() {
                let line = index().position(source, diagnostic.span.start).line;
                for &slot in by_line.get(&line).into_iter().flatten() {
                    suppressed |= suppressions[slot].claim(diagnostic.rule.code);
                }
            }
            Finding {
                diagnostic,
                suppressed,
            }
        })
        .collect();

    if enabled.contains(UNUSED_SUPPRESSION.code) {
        for suppression in &suppressions {
            findings.extend(problems(suppression, enabled).into_iter().map(|message| {
                Finding {
                    diagnostic: Diagnostic::new(&UNUSED_SUPPRESSION, suppression.span, message)
                        .with_help("remove the suppression or name the rule that fires here"),
                    suppressed: false,
                }
            }));
        }
    }
    findings
}

/// [`apply`], plus `probes`: findings a project-wide rule (BLK006) may
/// report here once every file is checked. Returns which probes a comment
/// suppresses; a suppression that covers a probe counts as used.
pub fn apply_with_probes(
    source: &str,
    comments: impl Iterator<Item = Span>,
    mut diagnostics: Vec<Diagnostic>,
    enabled: &BTreeSet<&'static str>,
    probes: Vec<Diagnostic>,
) -> (Vec<Finding>, Vec<Span>) {
    let own = diagnostics.len();
    let probed = probes.len();
    diagnostics.extend(probes);
    let mut findings = apply(source, comments, diagnostics, enabled);
    let suppressed = findings
        .drain(own..own + probed)
        .filter(|probe| probe.suppressed)
        .map(|probe| probe.diagnostic.span)
        .collect();
    (findings, suppressed)
}

/// What is wrong with a suppression, one message per problem.
fn problems(suppression: &Suppression, enabled: &BTreeSet<&'static str>) -> Vec<String> {
    match &suppression.codes {
        None if suppression.flavour == Flavour::Harden && !suppression.used => {
            vec!["unused suppression: nothing to suppress on this line".to_string()]
        }
        None => Vec::new(),
        Some(codes) => codes
            .iter()
            .filter_map(|entry| match entry.rule {
                None => Some(format!("unknown rule `{}` in suppression", entry.text)),
                Some(rule) if !entry.used && !entry.alias && enabled.contains(rule.code) => Some(
                    format!("unused suppression of `{}` ({})", rule.code, rule.name),
                ),
                Some(_) => None,
            })
            .collect(),
    }
}

/// The suppressions in one comment (`#` or `//`/`/* */` included). A
/// Python comment may hold several directives: `# type: ignore  # noqa: X`.
fn parse_comment(text: &str, span: Span) -> Vec<Suppression> {
    let body = text.strip_prefix("//").or_else(|| {
        text.strip_prefix("/*")
            .map(|rest| rest.trim_end_matches("*/"))
    });
    let segments: Vec<&str> = match body {
        Some(body) => vec![body.trim_start_matches(['/', '!', '*'])],
        None => text.split('#').skip(1).collect(),
    };
    segments
        .into_iter()
        .filter_map(|segment| parse_directive(segment.trim(), span))
        .collect()
}

fn parse_directive(segment: &str, span: Span) -> Option<Suppression> {
    if let Some(rest) = strip_prefix_ignore_case(segment, "harden:") {
        let rest = rest.trim_start().strip_prefix("ignore")?;
        let codes = match rest.trim_start().strip_prefix('[') {
            Some(list) => Some(
                list.split(']')
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|text| !text.is_empty())
                    .map(|text| SuppressedCode {
                        text: text.to_string(),
                        rule: harden_rules::find_rule(text),
                        used: false,
                        alias: false,
                    })
                    .collect(),
            ),
            None if rest.is_empty() || rest.starts_with(char::is_whitespace) => None,
            None => return None,
        };
        return Some(Suppression {
            span,
            flavour: Flavour::Harden,
            codes,
            used: false,
        });
    }
    let rest = strip_prefix_ignore_case(segment, "noqa")?;
    let codes = match rest.strip_prefix(':') {
        // Codes of other tools (`E501`, `F401`) are theirs: dropped quietly.
        Some(list) => {
            let ours: Vec<SuppressedCode> = list
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|text| !text.is_empty())
                .take_while(|text| looks_like_code(text))
                .filter_map(|text| {
                    let own = harden_rules::find_rule(text).filter(|rule| rule.code == text);
                    let alias = FLAKE8_ASYNC_ALIASES
                        .iter()
                        .find(|(theirs, _)| *theirs == text)
                        .and_then(|(_, ours)| harden_rules::find_rule(ours));
                    Some(SuppressedCode {
                        text: text.to_string(),
                        rule: Some(own.or(alias)?),
                        used: false,
                        alias: own.is_none(),
                    })
                })
                .collect();
            if ours.is_empty() {
                return None;
            }
            Some(ours)
        }
        None if rest.is_empty() || rest.starts_with(char::is_whitespace) => None,
        None => return None,
    };
    Some(Suppression {
        span,
        flavour: Flavour::Noqa,
        codes,
        used: false,
    })
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `[A-Z]+[0-9]+`, the shape of a lint code.
fn looks_like_code(text: &str) -> bool {
    let digits = text.trim_start_matches(|c: char| c.is_ascii_uppercase());
    digits.len() < text.len() && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (flavour, codes) of each directive in a comment; `None` for bare.
    fn parse(text: &str) -> Vec<(Flavour, Option<Vec<String>>)> {
        parse_comment(text, Span::default())
            .into_iter()
            .map(|suppression| {
                let codes = suppression
                    .codes
                    .map(|codes| codes.into_iter().map(|code| code.text).collect());
                (suppression.flavour, codes)
            })
            .collect()
    }

    fn codes(list: &[&str]) -> Option<Vec<String>> {
        Some(list.iter().map(|code| code.to_string()).collect())
    }

    #[test]
    fn harden_directives() {
        assert_eq!(
            parse("# harden: ignore[BLK001, blocking-sleep-in-async]"),
            [(
                Flavour::Harden,
                codes(&["BLK001", "blocking-sleep-in-async"])
            )]
        );
        assert_eq!(
            parse("#harden:ignore [BLK001]"),
            [(Flavour::Harden, codes(&["BLK001"]))]
        );
        assert_eq!(parse("# harden: ignore"), [(Flavour::Harden, None)]);
        assert_eq!(
            parse("// harden: ignore[BLK001]"),
            [(Flavour::Harden, codes(&["BLK001"]))]
        );
        assert_eq!(parse("/* harden: ignore */"), [(Flavour::Harden, None)]);
        assert!(parse("# harden: ignored").is_empty());
        assert!(parse("# see harden: ignore[BLK001] docs").is_empty());
    }

    #[test]
    fn noqa_keeps_only_harden_codes() {
        assert_eq!(
            parse("# noqa: E501, BLK001"),
            [(Flavour::Noqa, codes(&["BLK001"]))]
        );
        assert_eq!(parse("#NOQA:BLK001"), [(Flavour::Noqa, codes(&["BLK001"]))]);
        assert_eq!(parse("# noqa"), [(Flavour::Noqa, None)]);
        assert!(parse("# noqa: E501").is_empty());
        assert!(parse("# noqanything").is_empty());
    }

    #[test]
    fn noqa_takes_flake8_async_codes_for_the_same_hazard() {
        let parsed = parse_comment("# noqa: ASYNC230, ASYNC999, E501", Span::default());
        let [suppression] = parsed.as_slice() else {
            panic!("{parsed:?}");
        };
        let codes = suppression.codes.as_deref().unwrap_or_default();
        let [code] = codes else { panic!("{codes:?}") };
        assert_eq!(code.text, "ASYNC230");
        assert_eq!(code.rule.map(|rule| rule.code), Some("BLK004"));
        assert!(code.alias);
        assert!(parse("# noqa: ASYNC999").is_empty());
    }

    #[test]
    fn several_directives_in_one_python_comment() {
        assert_eq!(
            parse("# type: ignore  # noqa: BLK001  # harden: ignore[E004]"),
            [
                (Flavour::Noqa, codes(&["BLK001"])),
                (Flavour::Harden, codes(&["E004"]))
            ]
        );
    }

    #[test]
    fn codes_look_like_codes() {
        assert!(looks_like_code("BLK001"));
        assert!(looks_like_code("E4"));
        assert!(!looks_like_code("BLK"));
        assert!(!looks_like_code("001"));
        assert!(!looks_like_code("blk001"));
    }
}
