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
