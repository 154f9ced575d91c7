//! The default forbidden metric label names of RULES.md (MET001).

/// Exact names, compared case-insensitively.
const EXACT: &[&str] = &[
    "user_id",
    "userid",
    "user",
    "username",
    "email",
    "request_id",
    "session_id",
    "session",
    "trace_id",
    "span_id",
    "correlation_id",
    "transaction_id",
    "order_id",
    "customer_id",
    "account_id",
    "device_id",
    "ip",
    "ip_address",
    "client_ip",
    "remote_addr",
    "url",
    "uri",
    "full_path",
    "query",
    "user_agent",
    "token",
    "api_key",
    "password",
    "timestamp",
    "time",
    "date",
    "uuid",
    "guid",
    "hash",
];

/// Suffixes of forbidden names (`*_id`, ...).
const SUFFIXES: &[&str] = &["_id", "_uuid", "_email", "_ip", "_token", "_timestamp"];

/// `*_id` names that identify a small, operator-controlled set.
const ALLOWED: &[&str] = &["cluster_id", "region_id", "shard_id", "tenant_id"];

/// Why `name` is forbidden as a label, or `None` if it is fine.
pub fn reason(name: &str) -> Option<&'static str> {
    let name = name.to_ascii_lowercase();
    if ALLOWED.contains(&name.as_str()) {
        return None;
    }
    if EXACT.contains(&name.as_str()) {
        return Some("it is on harden's forbidden label list");
    }
    SUFFIXES
        .iter()
        .any(|suffix| name.ends_with(suffix))
        .then_some(
        "it matches a forbidden label pattern (*_id, *_uuid, *_email, *_ip, *_token, *_timestamp)",
    )
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
