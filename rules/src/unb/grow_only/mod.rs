//! UNB002's per-language checks. The rule's documentation and report
//! format live in [`grow_only_collection`](super::grow_only_collection).

pub(crate) mod python;
mod python_classes;
mod python_uses;
mod python_values;
pub(crate) mod rust;
mod rust_paths;

use crate::api::LabelPolicy;

/// Which named ids make an added value or key count as per-event data.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ids {
    /// Any id the label policy names: a list gains an entry per event
    /// whatever the id is of (`logins.append(user)`).
    Named,
    /// Only ids minted per event: a set or map over users, devices or
    /// endpoints holds one entry per member and stops growing with them.
    PerEvent,
}

impl Ids {
    /// `name` (a variable, field or attribute) is an id of this kind. A
    /// uuid is, unless it is named for what it identifies: `workspace_uuid`
    /// is judged as `workspace_id` would be.
    pub(crate) fn match_name(self, policy: &LabelPolicy, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        if let Some(owner) = lower
            .strip_suffix("_uuid")
            .filter(|owner| !owner.is_empty())
        {
            return self.match_name(policy, &format!("{owner}_id"));
        }
        lower.contains("uuid")
            || match self {
                Ids::Named => policy.is_named_id(name),
                Ids::PerEvent => policy.is_event_id(name),
            }
    }
}
