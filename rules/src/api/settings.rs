/// What the configuration tells the rules. Built by the analyzer from
/// `harden.toml` / `[tool.harden]`; rules only read it.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Extra blocking callables from `[tool.harden.rules.<rule>]
    /// blocking-functions = [...]`: (rule code, path). Python paths are
    /// dotted (`mylib.sync_call`), Rust paths use `::`.
    pub blocking_functions: Vec<(&'static str, String)>,
    /// MET001's label policy.
    pub labels: LabelPolicy,
    /// Type names (patterns with `*`) whose lazily built singletons SGL001
    /// reports besides locks, executors, pools and threads, from
    /// `[tool.harden.rules.unsynchronized-lazy-singleton] shared-types`.
    pub shared_types: Vec<String>,
}

impl Settings {
    /// Extra blocking functions configured for `code`.
    pub fn blocking_functions_for<'a>(
        &'a self,
        code: &'a str,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.blocking_functions
            .iter()
            .filter(move |(c, _)| *c == code)
            .map(|(_, path)| path.as_str())
    }
}

/// Which metric label names are forbidden (MET001). Patterns may contain `*`.
#[derive(Clone, Debug, Default)]
pub struct LabelPolicy {
    /// Replaces the default list when `Some` (`forbidden-labels`).
    pub forbidden: Option<Vec<String>>,
    /// Added to the list in force (`extend-forbidden-labels`).
    pub extend_forbidden: Vec<String>,
    /// Exempt even when they match (`allowed-labels`).
    pub allowed: Vec<String>,
}

/// Glob match where `*` stands for any run of characters (also none).
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let Some((first, rest)) = pattern.split_once('*') else {
        return pattern == text;
    };
    let Some(mut remaining) = text.strip_prefix(first) else {
        return false;
    };
    let mut parts: Vec<&str> = rest.split('*').collect();
    let last = parts.pop().unwrap_or_default();
    for part in parts {
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}
