//! harden's analysis: pure functions from a parsed file plus [`Settings`] to
//! [`Diagnostic`]s. No I/O, no parsing of configuration, no output.
//!
//! Every rule lives in one file under its family folder and is listed once in
//! [`REGISTRY`]. The per-language checkers ([`python::check`],
//! [`rust::check`]) walk each tree once and hand every node to the enabled
//! rules' hooks.

pub mod api;
pub mod blk;
pub mod met;
pub mod python;
pub mod rust;
pub mod sgl;
pub mod shr;
pub mod tool;
pub mod unb;

pub use api::{
    Diagnostic, FilePlace, Language, Related, RuleEntry, RuleMeta, Settings, Severity, Span,
};

/// Every analysis rule, in catalogue order. Adding a rule adds one line here.
pub static REGISTRY: &[RuleEntry] = &[
    // BLK: blocking calls inside async code
    blk::blocking_sleep_in_async::ENTRY,
    blk::blocking_network_in_async::ENTRY,
    blk::blocking_subprocess_in_async::ENTRY,
    blk::blocking_file_io_in_async::ENTRY,
    blk::sync_lock_held_across_await::ENTRY,
    blk::transitively_blocking_call_in_async::ENTRY,
    // SGL: singletons
    sgl::unsynchronized_lazy_singleton::ENTRY,
    sgl::async_lock_guarded_singleton::ENTRY,
    // SHR: shared mutable state
    shr::unlocked_global_mutation::ENTRY,
    shr::check_then_act_on_shared_container::ENTRY,
    shr::inconsistently_locked_attribute::ENTRY,
    shr::lock_order_inversion::ENTRY,
    // UNB: unbounded growth
    unb::unbounded_queue::ENTRY,
    unb::grow_only_collection::ENTRY,
    unb::unbounded_cache::ENTRY,
    // MET: metric labels
    met::high_cardinality_metric_label::ENTRY,
];

/// Rules and tool diagnostics (`E00x`) together: what `--select` accepts.
pub fn all_rules() -> impl Iterator<Item = &'static RuleMeta> {
    REGISTRY
        .iter()
        .map(|entry| entry.meta)
        .chain(tool::TOOL_RULES.iter().copied())
}

/// Finds a rule by code (`BLK001`) or name (`blocking-sleep-in-async`),
/// case-insensitively for codes.
pub fn find_rule(code_or_name: &str) -> Option<&'static RuleMeta> {
    all_rules()
        .find(|meta| meta.code.eq_ignore_ascii_case(code_or_name) || meta.name == code_or_name)
}
