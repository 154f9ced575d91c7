//! Where a file sits in its project, for the names BLK006 resolves across
//! files: a Python file's dotted module (climbing the directories that hold
//! an `__init__.py`), a Rust file's crate and module path (from its place
//! under the crate's `src/`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A file's module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleName {
    /// Rust: the crate's root (its `src/`, a `src/bin/<name>` directory,
    /// or the file itself when it is a crate of its own). Python: empty,
    /// one namespace for every module.
    pub root: PathBuf,
    /// `["pkg", "mod"]`, Rust `["a", "b"]`.
    pub module: Vec<String>,
    /// A Python package's `__init__.py`.
    pub is_package: bool,
}

/// Names modules, remembering what it learnt about directories.
#[derive(Default)]
pub struct ModuleNamer {
    /// Directory -> holds an `__init__.py` / a `Cargo.toml`.
    marks: HashMap<(PathBuf, &'static str), bool>,
}

impl ModuleNamer {
    fn holds(&mut self, dir: &Path, file: &'static str) -> bool {
        *self
            .marks
            .entry((dir.to_path_buf(), file))
            .or_insert_with(|| dir.join(file).is_file())
    }

    /// `pkg/sub/mod.py` -> `pkg.sub.mod` when `pkg/` and `pkg/sub/` are
    /// packages; `pkg/__init__.py` -> `pkg`.
    pub fn python(&mut self, path: &Path) -> ModuleName {
        let stem = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        let is_package = stem == "__init__";
        let mut parts = if is_package { Vec::new() } else { vec![stem] };
        let mut dir = path.parent();
        while let Some(current) = dir {
            if !self.holds(current, "__init__.py") {
                break;
            }
            let Some(name) = current.file_name() else {
                break;
            };
            parts.push(name.to_string_lossy().into_owned());
            dir = current.parent();
        }
        parts.reverse();
        ModuleName {
            root: PathBuf::new(),
            module: parts,
            is_package,
        }
    }

    /// `<crate>/src/a/b.rs` and `<crate>/src/a/b/mod.rs` -> `a::b` in the
    /// crate rooted at `<crate>/src`; `lib.rs` and `main.rs` are the root
    /// module; `src/bin/x.rs` and files outside a `src/` next to a
    /// `Cargo.toml` (tests, examples) are crates of their own.
    pub fn rust(&mut self, path: &Path) -> ModuleName {
        let own_crate = ModuleName {
            root: path.to_path_buf(),
            module: Vec::new(),
            is_package: false,
        };
        let Some(src) = path.ancestors().skip(1).find(|dir| {
            dir.file_name().is_some_and(|name| name == "src")
                && dir
                    .parent()
                    .is_some_and(|parent| self.holds(parent, "Cargo.toml"))
        }) else {
            return own_crate;
        };
        let Ok(relative) = path.strip_prefix(src) else {
            return own_crate;
        };
        let mut parts: Vec<String> = relative
            .components()
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect();
        let mut root = src.to_path_buf();
        if parts.first().is_some_and(|first| first == "bin") {
            if parts.len() <= 2 {
                return own_crate;
            }
            root = src.join("bin").join(&parts[1]);
            parts.drain(..2);
        }
        let Some(last) = parts.pop() else {
            return own_crate;
        };
        let stem = last.strip_suffix(".rs").unwrap_or(&last);
        let is_root = parts.is_empty() && matches!(stem, "lib" | "main");
        if stem != "mod" && !is_root {
            parts.push(stem.to_string());
        }
        ModuleName {
            root,
            module: parts,
            is_package: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, files: &[&str]) {
        for file in files {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
    }

    #[test]
    fn python_modules_climb_packages() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                "src/pkg/__init__.py",
                "src/pkg/sub/__init__.py",
                "src/pkg/sub/io.py",
            ],
        );
        let mut namer = ModuleNamer::default();
        let io = namer.python(&dir.path().join("src/pkg/sub/io.py"));
        assert_eq!(io.module, ["pkg", "sub", "io"]);
        assert!(!io.is_package);
        let package = namer.python(&dir.path().join("src/pkg/__init__.py"));
        assert_eq!(package.module, ["pkg"]);
        assert!(package.is_package);
    }

    #[test]
    fn rust_modules_follow_the_crate_layout() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &[
                "app/Cargo.toml",
                "app/src/lib.rs",
                "app/src/a/b.rs",
                "app/src/a/mod.rs",
            ],
        );
        let mut namer = ModuleNamer::default();
        let src = dir.path().join("app/src");
        let lib = namer.rust(&src.join("lib.rs"));
        assert_eq!((lib.root.as_path(), lib.module.len()), (src.as_path(), 0));
        assert_eq!(namer.rust(&src.join("a/b.rs")).module, ["a", "b"]);
        assert_eq!(namer.rust(&src.join("a/mod.rs")).module, ["a"]);
        let bin = namer.rust(&src.join("bin/tool.rs"));
        assert_eq!(bin.root, src.join("bin/tool.rs"));
        let loose = dir.path().join("loose.rs");
        assert_eq!(namer.rust(&loose).root, loose);
    }
}
