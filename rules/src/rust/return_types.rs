//! Library return types the model cannot read off a call's path
//! (`File::options()` is an `OpenOptions`, `client.get(url)` a
//! `RequestBuilder`), from the data file `rust_return_types.txt`.

use std::sync::LazyLock;

use rustc_hash::FxHashMap as HashMap;

const RUST_RETURN_TYPES_TXT: &str = include_str!("../../data/rust_return_types.txt");

/// The table, parsed once.
struct ReturnTypes {
    /// Function path -> returned type.
    functions: HashMap<&'static str, &'static str>,
    /// (receiver type, method) -> returned type.
    methods: HashMap<(&'static str, &'static str), &'static str>,
}

static RETURN_TYPES: LazyLock<ReturnTypes> = LazyLock::new(|| parse(RUST_RETURN_TYPES_TXT));

fn parse(text: &'static str) -> ReturnTypes {
    let mut table = ReturnTypes {
        functions: HashMap::default(),
        methods: HashMap::default(),
    };
    let entries = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'));
    for line in entries {
        let mut parts = line.split_whitespace();
        let (Some(kind), Some(path), Some(returned)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        match kind {
            "fn" => {
                table.functions.insert(path, returned);
            }
            "method" => {
                if let Some((ty, method)) = path.rsplit_once("::") {
                    table.methods.insert((ty, method), returned);
                }
            }
            _ => {}
        }
    }
    table
}

/// The type a call of the function at `path` returns, when listed.
pub(crate) fn function_return(path: &str) -> Option<&'static str> {
    RETURN_TYPES.functions.get(path).copied()
}

/// The type `method` on a value of type `receiver` returns, when listed.
pub(crate) fn method_return(receiver: &str, method: &str) -> Option<&'static str> {
    RETURN_TYPES.methods.get(&(receiver, method)).copied()
}

#[cfg(test)]
mod tests {
    use super::{function_return, method_return, RETURN_TYPES};

    #[test]
    fn every_line_of_the_data_file_is_read() {
        let entries = super::RUST_RETURN_TYPES_TXT
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.trim().starts_with('#'))
            .count();
        assert_eq!(
            RETURN_TYPES.functions.len() + RETURN_TYPES.methods.len(),
            entries
        );
    }

    #[test]
    fn functions_and_methods_are_looked_up_by_path() {
        assert_eq!(
            function_return("std::fs::File::options"),
            Some("std::fs::OpenOptions")
        );
        assert_eq!(
            method_return("reqwest::blocking::Client", "get"),
            Some("reqwest::blocking::RequestBuilder")
        );
        assert_eq!(method_return("std::fs::OpenOptions", "custom_flags"), None);
    }
}
