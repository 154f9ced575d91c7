//! Which metric label names are forbidden: the default list of RULES.md,
//! adjusted by `forbidden-labels` (replace), `extend-forbidden-labels` and
//! `allowed-labels`. Shared by MET001 and UNB002 (whose id-like dict keys
//! are the names this policy forbids).

use std::fmt;
use std::sync::LazyLock;

use crate::api::{glob_match, LabelPolicy};

const DEFAULT_LABEL_POLICY_TXT: &str = include_str!("../../data/forbidden_labels.txt");

/// Label names whose values are unbounded per request, user or event: the
/// default list of RULES.md, from `rules/data/forbidden_labels.txt`. `url`,
/// `uri` and `query` also name configured probe targets or named queries at
/// times; `allowed-labels` exempts them.
pub static DEFAULT_FORBIDDEN: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    policy_lines()
        .filter(|line| !line.starts_with('!'))
        .collect()
});

/// Ids of a small, fixed set of things: matched by `*_id` but fine as labels.
/// Naming one of them in `forbidden-labels` or `extend-forbidden-labels`
/// forbids it again.
pub static DEFAULT_ALLOWED: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    policy_lines()
        .filter_map(|line| line.strip_prefix('!'))
        .collect()
});

fn policy_lines() -> impl Iterator<Item = &'static str> {
    DEFAULT_LABEL_POLICY_TXT
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// A configured label pattern that can never match a label name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidLabelPattern {
    /// The configuration key it came from: `forbidden-labels`.
    pub setting: &'static str,
    pub pattern: String,
}

impl fmt::Display for InvalidLabelPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid label pattern {:?} in `{}`: use letters, digits, `_`, `.`, `-` and `*`",
            self.pattern, self.setting
        )
    }
}

impl std::error::Error for InvalidLabelPattern {}

impl LabelPolicy {
    /// Checks every configured pattern: non-empty, made of `[A-Za-z0-9_.-]`
    /// and `*`. The analyzer reports the first bad one as a usage error.
    pub fn validate(&self) -> Result<(), InvalidLabelPattern> {
        let lists = [
            (
                "forbidden-labels",
                self.forbidden.as_deref().unwrap_or_default(),
            ),
            ("extend-forbidden-labels", self.extend_forbidden.as_slice()),
            ("allowed-labels", self.allowed.as_slice()),
        ];
        for (setting, patterns) in lists {
            if let Some(bad) = patterns.iter().find(|pattern| !is_valid_pattern(pattern)) {
                return Err(InvalidLabelPattern {
                    setting,
                    pattern: bad.clone(),
                });
            }
        }
        Ok(())
    }

    /// True when `name` is a named id (see [`Self::is_named_id`]) minted per
    /// event: a request, session, trace, span, transaction or order, a
    /// token, a timestamp, a client address; not a member of a population
    /// ([`POPULATION_KEYS`], `*_email`). UNB002 reads keys this way: an
    /// entry per request is never done growing, an entry per user is
    /// bounded by the users.
    pub fn is_event_id(&self, name: &str) -> bool {
        let label = normalize(name);
        self.is_named_id(name)
            && !POPULATION_KEYS.contains(&label.as_str())
            && !label.ends_with("_email")
    }

    /// True when `name` is forbidden and, if it is an id (`*_id`), the
    /// policy names it exactly (`user_id`, `session_id`) rather than through
    /// the `*_id` pattern. The named ids are of things that grow with
    /// traffic (users, requests, sessions, traces, orders), while ids
    /// caught only by the pattern (`node_id`,
    /// `thread_id`, `task_id`, `run_id`) mostly name things bounded by the
    /// deployment or the code, too few to exhaust memory.
    pub fn is_named_id(&self, name: &str) -> bool {
        if !self.is_forbidden(name) {
            return false;
        }
        let label = normalize(name);
        if !label.ends_with("_id") {
            return true;
        }
        let forbidden: Box<dyn Iterator<Item = &str>> = match &self.forbidden {
            Some(list) => Box::new(list.iter().map(String::as_str)),
            None => Box::new(DEFAULT_FORBIDDEN.iter().copied()),
        };
        forbidden
            .chain(self.extend_forbidden.iter().map(String::as_str))
            .any(|entry| !entry.contains('*') && normalize(entry) == label)
    }

    /// True when `label` (as written: `user_id`, `User-Id`, the OpenTelemetry
    /// spelling `user.id`) is forbidden by this policy.
    pub fn is_forbidden(&self, label: &str) -> bool {
        let label = normalize(label);
        if label.is_empty() {
            return false;
        }
        let forbidden: Box<dyn Iterator<Item = &str>> = match &self.forbidden {
            Some(list) => Box::new(list.iter().map(String::as_str)),
            None => Box::new(DEFAULT_FORBIDDEN.iter().copied()),
        };
        let configured = self.extend_forbidden.iter().map(String::as_str);
        if !forbidden
            .chain(configured)
            .any(|p| glob_match(&normalize(p), &label))
        {
            return false;
        }
        if self
            .allowed
            .iter()
            .any(|p| glob_match(&normalize(p), &label))
        {
            return false;
        }
        let named_explicitly = self
            .forbidden
            .iter()
            .flatten()
            .chain(&self.extend_forbidden)
            .any(|name| normalize(name) == label);
        named_explicitly || !DEFAULT_ALLOWED.contains(&label.as_str())
    }
}

fn is_valid_pattern(pattern: &str) -> bool {
    !pattern.is_empty()
        && pattern
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '*'))
}

/// Forbidden names that key a population the service serves (its users,
/// accounts, devices, endpoints, credentials) rather than a stream of
/// events. A metric label over them is still one series per member; a map
/// over them holds one entry per member and stops growing with the
/// population, which the code cannot see.
const POPULATION_KEYS: &[&str] = &[
    "user",
    "userid",
    "user_id",
    "username",
    "email",
    "customer_id",
    "account_id",
    "device_id",
    "url",
    "uri",
    "full_path",
    "api_key",
    "password",
    "hash",
];

/// Lowercase, with the OpenTelemetry `.` and the header-style `-`
/// separators read as `_`: `User.Id` and `user-id` both become `user_id`.
fn normalize(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| match c {
            '.' | '-' => '_',
            other => other.to_ascii_lowercase(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> LabelPolicy {
        LabelPolicy::default()
    }

    #[test]
    fn named_ids_are_the_listed_ones_not_every_id() {
        let policy = policy();
        assert!(policy.is_named_id("user_id"));
        assert!(policy.is_named_id("Session.Id"));
        assert!(policy.is_named_id("client_ip"));
        assert!(!policy.is_named_id("node_id"));
        assert!(!policy.is_named_id("thread_id"));
        assert!(!policy.is_named_id("route"));
        let extended = LabelPolicy {
            extend_forbidden: vec!["run_id".into()],
            ..LabelPolicy::default()
        };
        assert!(extended.is_named_id("run_id"));
    }

    #[test]
    fn event_ids_are_named_ids_that_no_population_bounds() {
        let policy = policy();
        for name in [
            "request_id",
            "Session.Id",
            "trace_id",
            "client_ip",
            "order_id",
        ] {
            assert!(policy.is_event_id(name), "{name}");
        }
        for name in [
            "user_id",
            "User.Id",
            "device_id",
            "uri",
            "owner_email",
            "node_id",
        ] {
            assert!(!policy.is_event_id(name), "{name}");
        }
    }

    #[test]
    fn default_list_matches_exact_names_and_patterns_case_insensitively() {
        let policy = policy();
        for name in [
            "user_id",
            "USER_ID",
            "email",
            "Session",
            "ip",
            "card_uuid",
            "url",
            "query",
        ] {
            assert!(policy.is_forbidden(name), "{name}");
        }
        for name in ["method", "status", "route", "endpoint", "id_kind", "region"] {
            assert!(!policy.is_forbidden(name), "{name}");
        }
    }

    #[test]
    fn opentelemetry_dotted_spelling_counts() {
        assert!(policy().is_forbidden("user.id"));
        assert!(policy().is_forbidden("enduser.id"));
        assert!(policy().is_forbidden("client-ip"));
        assert!(!policy().is_forbidden("http.route"));
    }

    #[test]
    fn default_allowlist_exempts_small_id_domains_unless_named() {
        assert!(!policy().is_forbidden("tenant_id"));
        assert!(!policy().is_forbidden("shard_id"));
        assert!(!policy().is_forbidden("step_id"));
        assert!(!policy().is_forbidden("Project_ID"));
        assert!(!policy().is_forbidden("client_id"));
        assert!(policy().is_forbidden("job_id"));
        assert!(policy().is_forbidden("agent_id"));
        let policy = LabelPolicy {
            extend_forbidden: vec!["tenant_id".into()],
            ..LabelPolicy::default()
        };
        assert!(policy.is_forbidden("tenant_id"));
        assert!(!policy.is_forbidden("shard_id"));
    }

    #[test]
    fn configuration_replaces_extends_and_allows() {
        let replaced = LabelPolicy {
            forbidden: Some(vec!["customer".into(), "sku_*".into()]),
            ..LabelPolicy::default()
        };
        assert!(replaced.is_forbidden("Customer"));
        assert!(replaced.is_forbidden("sku_code"));
        assert!(!replaced.is_forbidden("user_id"));

        let extended = LabelPolicy {
            extend_forbidden: vec!["*_path".into()],
            allowed: vec!["user".into(), "job_*".into()],
            ..LabelPolicy::default()
        };
        assert!(extended.is_forbidden("file_path"));
        assert!(extended.is_forbidden("user_id"));
        assert!(!extended.is_forbidden("user"));
        assert!(!extended.is_forbidden("job_id"));
    }

    #[test]
    fn glob_handles_several_stars() {
        assert!(glob_match("*_id", "user_id"));
        assert!(!glob_match("*_id", "user_ids"));
        assert!(glob_match("a*b*c", "aXbYc"));
        assert!(glob_match("a*b*c", "abc"));
        assert!(!glob_match("a*b*c", "acb"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("ab*ba", "aba"));
    }

    #[test]
    fn validation_names_the_bad_pattern() {
        assert_eq!(policy().validate(), Ok(()));
        let bad = LabelPolicy {
            allowed: vec!["ok_*".into(), "user id".into()],
            ..LabelPolicy::default()
        };
        let err = bad.validate().unwrap_err();
        assert_eq!(err.setting, "allowed-labels");
        assert_eq!(err.pattern, "user id");
        assert!(err.to_string().contains("\"user id\""));
        let empty = LabelPolicy {
            forbidden: Some(vec![String::new()]),
            ..LabelPolicy::default()
        };
        assert_eq!(empty.validate().unwrap_err().setting, "forbidden-labels");
    }
}
