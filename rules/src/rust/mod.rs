//! The Rust side: a semantic model built during one walk of a `syn::File`
//! (`use` paths, async context, guards alive, local constructor types) and
//! the hook trait rules implement.

mod checker;
mod return_types;
mod semantic;
mod test_file;

pub(crate) use test_file::is_test_function_attribute;

pub use checker::{check, check_with_facts, span_of, RsContext, RustRule};
pub use semantic::{strip_result_handling, Frame, FrameKind, Guard, GuardKind};
