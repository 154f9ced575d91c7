//! UNB002's per-language checks. The rule's documentation and report
//! format live in [`grow_only_collection`](super::grow_only_collection).

pub(crate) mod python;
mod python_classes;
mod python_uses;
mod python_values;
pub(crate) mod rust;
mod rust_paths;
