//! The contract between rules and the product around them: what a rule is
//! ([`RuleMeta`]), what it produces ([`Diagnostic`]), and what it is told
//! ([`Settings`], [`FilePlace`]). Nothing here does I/O.

mod diagnostic;
mod place;
mod rule;
mod settings;

pub use diagnostic::{Diagnostic, Related, Span};
pub use place::FilePlace;
pub use rule::{Language, RuleEntry, RuleMeta, Severity};
pub(crate) use settings::glob_match;
pub use settings::{LabelPolicy, Settings};
