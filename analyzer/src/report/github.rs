//! GitHub Actions workflow commands: one `::error` / `::warning` line per
//! unsuppressed finding, shown as annotations on the pull request.

use std::io::{self, Write};

use harden_rules::Severity;

use super::LocatedFile;

pub fn write(out: &mut dyn Write, files: &[LocatedFile<'_>]) -> io::Result<()> {
    for file in files {
        for located in file
            .findings
            .iter()
            .filter(|located| !located.finding.suppressed)
        {
            let diagnostic = &located.finding.diagnostic;
            let rule = located.rule();
            let command = match rule.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let mut message = diagnostic.message.clone();
            if let Some(help) = &diagnostic.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            writeln!(
                out,
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(&file.path),
                located.start.line,
                located.start.column,
                located.end.line,
                located.end.column,
                escape_property(&format!("{} {}", rule.code, rule.name)),
                escape_data(&message),
            )?;
        }
    }
    Ok(())
}

/// Escaping of a command's message.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a property value: the message escapes plus `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_the_workflow_command_rules() {
        assert_eq!(escape_data("50%\r\nnext"), "50%25%0D%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
