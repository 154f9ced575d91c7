use std::path::Path;

/// Where a file sits in its project, as far as the rules care: in test or
/// benchmark support, which runs for a test run and then exits, or in the
/// code that ships and runs as a service.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FilePlace {
    #[default]
    Shipped,
    TestSupport,
}

/// Directories that hold tests, test helpers and benchmarks, in Python and
/// Cargo layouts.
const TEST_DIRS: &[&str] = &[
    "tests",
    "test",
    "testing",
    "test_utils",
    "testing_utils",
    "testutils",
    "benches",
    "benchmarks",
];

impl FilePlace {
    /// Judged by `path` relative to the root it was found under: a file
    /// below a `tests`, `test`, `testing`, `test_utils`, `testing_utils`,
    /// `testutils`, `benches` or `benchmarks` directory, or a Python file
    /// named `test_*.py`, `*_test.py` or `conftest.py`. The root's own name does not count: checking
    /// `~/tests/service` checks a service.
    pub fn of(relative: &Path) -> Self {
        let mut components = relative.components().peekable();
        let mut in_test_dir = false;
        let mut file_name = None;
        while let Some(component) = components.next() {
            let name = component.as_os_str().to_str().unwrap_or_default();
            if components.peek().is_some() {
                in_test_dir |= TEST_DIRS.contains(&name);
            } else {
                file_name = Some(name);
            }
        }
        let test_module = file_name.is_some_and(|name| {
            name == "conftest.py"
                || (name.starts_with("test_") && name.ends_with(".py"))
                || name.ends_with("_test.py")
        });
        if in_test_dir || test_module {
            FilePlace::TestSupport
        } else {
            FilePlace::Shipped
        }
    }

    pub fn is_test_support(self) -> bool {
        self == FilePlace::TestSupport
    }
}

#[cfg(test)]
mod tests {
    use super::FilePlace;
    use std::path::Path;

    fn place(path: &str) -> FilePlace {
        FilePlace::of(Path::new(path))
    }

    #[test]
    fn test_directories_and_test_modules_are_test_support() {
        for path in [
            "os_vif/tests/functional/base.py",
            "tests/integration.rs",
            "benches/throughput.rs",
            "pkg/test_client.py",
            "pkg/client_test.py",
            "conftest.py",
            "jupyter_contrib_core/testing_utils/__init__.py",
            "pkg/test_utils/fake_server.py",
        ] {
            assert_eq!(place(path), FilePlace::TestSupport, "{path}");
        }
    }

    #[test]
    fn shipped_code_is_not_test_support() {
        for path in [
            "service/handlers.py",
            "src/testing_tools.rs",
            "pkg/contest.py",
            "pkg/test_data.json/reader.py",
            "latest.py",
        ] {
            assert_eq!(place(path), FilePlace::Shipped, "{path}");
        }
    }
}
