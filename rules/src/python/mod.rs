//! The Python side: a semantic model built during one walk of the module
//! (scopes, imports and aliases, async context, locks held) and the hook
//! trait rules implement.

mod checker;
mod function_roles;
mod inline_callbacks;
mod lock_handoff;
mod semantic;
mod test_module;

pub(crate) use function_roles::runs_when_decorating;
pub(crate) use lock_handoff::locks_released_for_caller;
pub(crate) use semantic::{last_name, self_attribute};
pub(crate) use test_module::is_test_function_name;
#[cfg(test)]
mod tests;

pub use checker::{check, check_with_facts, PyContext, PythonRule};
pub use function_roles::{FunctionKey, FunctionRoles};
pub use semantic::{
    ClassAttributes, FunctionFrame, HeldLock, InstanceAttribute, LockKind, QualifiedName,
};
