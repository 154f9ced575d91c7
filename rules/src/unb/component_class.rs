//! Classes a framework instantiates once per process, by their role: a
//! command, a plugin, an add-on, an extension, a driver, a backend, an
//! environment (by the class's name or a base's), or a logger. A cache on
//! one of their methods holds one `self`; whether it grows depends on the
//! other parameters only.

use ruff_python_ast as ast;

use crate::python::PyContext;

/// Name endings of the component roles: `Command` (Django's
/// `BaseCommand`), `BeetsPlugin`, `ComputeDriver`, `BaseBackend`,
/// `MetaflowEnvironment`, a mitmproxy `Addon`, a Flask `Extension`.
const COMPONENT_ROLES: &[&str] = &[
    "Command",
    "Plugin",
    "Addon",
    "Extension",
    "Driver",
    "Backend",
    "Environment",
];

/// Loggers are one per name, kept by the logging registry for the life of
/// the process anyway.
const LOGGER_BASES: &[&str] = &["logging.Logger", "logging.LoggerAdapter"];

/// True when `class` is named for a component role or derives from a class
/// that is, or from a logger.
pub(crate) fn is_component_class(cx: &PyContext<'_>, class: &ast::StmtClassDef) -> bool {
    is_component_name(class.name.as_str())
        || class.bases().iter().any(|base| {
            let logger = cx
                .resolve(base)
                .is_some_and(|name| LOGGER_BASES.contains(&name.as_str()));
            // `driver.ComputeDriver`, `MetadataSourcePlugin[Album]`.
            let text = cx.text(base);
            let text = text.split('[').next().unwrap_or(text);
            let name = text.rsplit('.').next().unwrap_or(text);
            logger || is_component_name(name)
        })
}

fn is_component_name(name: &str) -> bool {
    COMPONENT_ROLES.iter().any(|role| name.ends_with(role))
}
