//! Rule selectors: `ALL`, a code (`BLK001`), a code prefix (`BLK`, `E`) or
//! a kebab-case name (`blocking-sleep-in-async`).

use std::collections::BTreeSet;

use harden_rules::RuleMeta;

/// A parsed selector. Unknown selectors are rejected when parsed, so a typo
/// in `--select` fails the run instead of silently selecting nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    All,
    Prefix(String),
    Rule(&'static RuleMeta),
}

/// The selector named something no rule answers to.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule selector `{0}`")]
pub struct UnknownSelector(pub String);

impl Selector {
    pub fn parse(text: &str) -> Result<Self, UnknownSelector> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("ALL") {
            return Ok(Self::All);
        }
        if let Some(rule) = harden_rules::find_rule(text) {
            return Ok(Self::Rule(rule));
        }
        let prefix = text.to_ascii_uppercase();
        let is_prefix = !prefix.is_empty()
            && harden_rules::all_rules().any(|rule| rule.code.starts_with(&prefix));
        if is_prefix {
            Ok(Self::Prefix(prefix))
        } else {
            Err(UnknownSelector(text.to_string()))
        }
    }

    /// True when this selector picks `rule`. `ALL` and prefixes pick a
    /// preview rule only with `preview` on; naming the rule always picks it.
    pub fn matches(&self, rule: &RuleMeta, preview: bool) -> bool {
        match self {
            Self::All => preview || !rule.preview,
            Self::Prefix(prefix) => {
                (preview || !rule.preview) && rule.code.starts_with(prefix.as_str())
            }
            Self::Rule(selected) => selected.code == rule.code,
        }
    }
}

/// Parses a list of selectors, naming the first unknown one.
pub fn parse_all<S: AsRef<str>>(texts: &[S]) -> Result<Vec<Selector>, UnknownSelector> {
    texts
        .iter()
        .map(|text| Selector::parse(text.as_ref()))
        .collect()
}

/// The codes that `select` (then `extend_select`) pick and `ignore` does
/// not: ignoring wins over selecting. Preview rules are picked only with
/// `preview` on or when named; ignoring always reaches them.
pub fn resolve(
    select: &[Selector],
    extend_select: &[Selector],
    ignore: &[Selector],
    preview: bool,
) -> BTreeSet<&'static str> {
    harden_rules::all_rules()
        .filter(|rule| {
            select
                .iter()
                .chain(extend_select)
                .any(|selector| selector.matches(rule, preview))
        })
        .filter(|rule| !ignore.iter().any(|selector| selector.matches(rule, true)))
        .map(|rule| rule.code)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_accept_codes_prefixes_and_names() {
        assert!(
            matches!(Selector::parse("blk001"), Ok(Selector::Rule(rule)) if rule.code == "BLK001")
        );
        assert!(matches!(
            Selector::parse("blocking-sleep-in-async"),
            Ok(Selector::Rule(_))
        ));
        assert_eq!(Selector::parse("BLK"), Ok(Selector::Prefix("BLK".into())));
        assert_eq!(Selector::parse("all"), Ok(Selector::All));
        assert_eq!(
            Selector::parse("NOPE42"),
            Err(UnknownSelector("NOPE42".into()))
        );
    }

    #[test]
    fn ignore_wins_over_select() {
        let codes = resolve(
            &[Selector::parse("BLK").unwrap()],
            &[Selector::parse("E004").unwrap()],
            &[Selector::parse("BLK001").unwrap()],
            false,
        );
        assert!(codes.contains("E004"));
        assert!(!codes.contains("BLK001"));
        assert!(!codes.contains("E001"));
    }

    #[test]
    fn preview_rules_need_preview_or_their_own_name() {
        let preview_rule = harden_rules::all_rules()
            .find(|rule| rule.preview)
            .expect("a preview rule exists");
        let all = [Selector::All];
        let family = [Selector::parse(preview_rule.prefix()).unwrap()];
        let named = [Selector::parse(preview_rule.name).unwrap()];
        assert!(!resolve(&all, &[], &[], false).contains(preview_rule.code));
        assert!(!resolve(&family, &[], &[], false).contains(preview_rule.code));
        assert!(resolve(&named, &[], &[], false).contains(preview_rule.code));
        assert!(resolve(&all, &[], &[], true).contains(preview_rule.code));
        assert!(!resolve(&all, &[], &family, true).contains(preview_rule.code));
        assert!(resolve(&all, &[], &[], false).contains("BLK001"));
    }
}
