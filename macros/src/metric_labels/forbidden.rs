//! The default forbidden metric label names of RULES.md (MET001).

/// The default label policy, shared with harden's MET001 rule.
const POLICY_TXT: &str = include_str!("../../../rules/data/forbidden_labels.txt");

/// The policy's entries, without comments and blank lines.
fn entries() -> impl Iterator<Item = &'static str> {
    POLICY_TXT
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// True when `name` (lowercase) matches a forbidden entry: an exact name or
/// a `*` pattern.
fn matches_forbidden(name: &str) -> Option<&'static str> {
    entries()
        .filter(|entry| !entry.starts_with('!'))
        .find(|entry| wildcard_match(entry, name))
}

/// `*` matches any run of characters; everything else matches itself.
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Why `name` is forbidden as a label, or `None` if it is fine.
pub fn reason(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    if entries().any(|entry| entry.strip_prefix('!') == Some(name.as_str())) {
        return None;
    }
    let entry = matches_forbidden(&name)?;
    Some(if entry.contains('*') {
        "it matches a forbidden label pattern (*_id, *_uuid, *_email, *_ip, *_token, *_timestamp)"
    } else {
        "it is on harden's forbidden label list"
    })
}

#[cfg(test)]
mod tests {
    use super::reason;

    #[test]
    fn flags_exact_names_and_patterns_case_insensitively() {
        assert!(reason("user_id").is_some());
        assert!(reason("User_Id").is_some());
        assert!(reason("payment_id").is_some());
        assert!(reason("client_token").is_some());
        assert!(reason("time").is_some());
    }

    #[test]
    fn allows_bounded_names() {
        assert!(reason("method").is_none());
        assert!(reason("status").is_none());
        assert!(reason("tenant_id").is_none());
        assert!(reason("shard_id").is_none());
        assert!(reason("identity").is_none());
    }
}
