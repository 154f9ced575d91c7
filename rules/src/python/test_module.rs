//! Whether a Python module is test code by its content: it imports `pytest`
//! or `unittest`, or defines a `test_*` function at module level. Such a
//! module (a test, a fixture, a helper for tests) runs for a test run, on
//! one thread at a time (tests join the threads they start), and nothing in
//! it lives as long as a service.

use ruff_python_ast::{self as ast, Stmt};

/// True for a test module (see the module docs). Looks at module-level
/// statements and into module-level `if`/`try` blocks (`try: import
/// pytest`), not into functions.
pub(crate) fn is_test_module(body: &[Stmt]) -> bool {
    body.iter().any(|stmt| match stmt {
        Stmt::Import(import) => import
            .names
            .iter()
            .any(|alias| is_test_framework(alias.name.as_str())),
        Stmt::ImportFrom(ast::StmtImportFrom { module, level, .. }) => {
            *level == 0
                && module
                    .as_ref()
                    .is_some_and(|module| is_test_framework(module.as_str()))
        }
        Stmt::FunctionDef(def) => def.name.starts_with("test_"),
        Stmt::If(if_stmt) => {
            is_test_module(&if_stmt.body)
                || if_stmt
                    .elif_else_clauses
                    .iter()
                    .any(|clause| is_test_module(&clause.body))
        }
        Stmt::Try(try_stmt) => {
            is_test_module(&try_stmt.body)
                || try_stmt.handlers.iter().any(|handler| {
                    let ast::ExceptHandler::ExceptHandler(handler) = handler;
                    is_test_module(&handler.body)
                })
        }
        _ => false,
    })
}

/// True for a test function or a unittest fixture method by its name:
/// `test*`, `setUp`, `tearDown`, `setUpClass`, `tearDownClass`,
/// `asyncSetUp`, `asyncTearDown`. It runs for a test, on one thread.
pub(crate) fn is_test_function_name(name: &str) -> bool {
    name.starts_with("test")
        || matches!(
            name,
            "setUp" | "tearDown" | "setUpClass" | "tearDownClass" | "asyncSetUp" | "asyncTearDown"
        )
}

fn is_test_framework(module: &str) -> bool {
    let root = module.split('.').next().unwrap_or(module);
    matches!(root, "pytest" | "unittest")
}
