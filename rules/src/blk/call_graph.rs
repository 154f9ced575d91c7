//! BLK006's project-wide half. Each file's walk records [`CallFacts`]: its
//! functions, the BLK001-BLK004 calls their bodies make and their calls to
//! what may be functions of the project. [`link_project`] merges the facts
//! of every file, finds the sync functions that block (directly or through
//! further project functions) and reports their call sites in async code.
//!
//! Names are resolved exactly, and only to a unique function: a name that
//! two files or two definitions claim (a `cfg` pair, a redefinition) is
//! left alone, as is every call whose target the walk could not name.

use std::collections::hash_map::Entry;
use std::collections::VecDeque;
use std::path::Path;

use rustc_hash::FxHashMap as HashMap;

use crate::api::{Diagnostic, Language, Related, Span};
use crate::blk::transitively_blocking_call_in_async::TRANSITIVELY_BLOCKING_CALL_IN_ASYNC;

/// What one file's walk tells the project-wide analysis.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallFacts {
    pub functions: Vec<FunctionFacts>,
}

impl CallFacts {
    /// Drops what the project-wide half does not need, before the facts of
    /// every file are held at once: functions that neither call nor block
    /// (a call to one resolves to nothing that blocks, as to nothing at
    /// all) unless their name is claimed twice in the file (`cfg`
    /// variants, redefinitions: the name stays ambiguous), a sync
    /// function's repeated calls of one target (one edge is enough; only
    /// async code reports each call site) and spare capacity.
    pub fn compact(&mut self) {
        let mut claims: HashMap<String, usize> = HashMap::default();
        for path in self.functions.iter().filter_map(|f| f.path.clone()) {
            *claims.entry(path).or_default() += 1;
        }
        self.functions.retain(|function| {
            let twin = function
                .path
                .as_ref()
                .is_some_and(|path| claims.get(path).is_some_and(|&count| count > 1));
            twin || !function.calls.is_empty() || !function.blocking.is_empty()
        });
        for function in &mut self.functions {
            if !function.is_async {
                let mut seen = rustc_hash::FxHashSet::default();
                function
                    .calls
                    .retain(|call| seen.insert((call.target.anchor, call.target.path.clone())));
            }
            function.calls.shrink_to_fit();
            function.blocking.shrink_to_fit();
        }
        self.functions.shrink_to_fit();
    }
}

/// A function of the file, or a piece of async code without a name (an
/// `async` block, an async closure, a nested `async def`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FunctionFacts {
    /// The name it is called by inside its module, parts joined by `.`
    /// (in both languages: one allocation per name): `Config.load`;
    /// `None` when nothing can call it by name (a nested function, a
    /// generator, a function behind an unknown decorator, async blocks).
    pub path: Option<String>,
    pub is_async: bool,
    /// BLK001-BLK004 calls made in its own body (sync functions only).
    pub blocking: Vec<BlockingCall>,
    /// Calls that may reach a function of the project, in source order.
    pub calls: Vec<ProjectCall>,
}

impl FunctionFacts {
    /// Records a direct blocking call. In async code the call is
    /// BLK001-BLK004's finding already, so only sync functions keep it.
    pub(crate) fn note_blocking(&mut self, call: BlockingCall) {
        if !self.is_async {
            self.blocking.push(call);
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockingCall {
    /// The rule that lists the API: `BLK004`.
    pub code: &'static str,
    /// `open`, `std::fs::read_to_string`.
    pub api: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectCall {
    pub target: CallTarget,
    pub span: Span,
}

/// A callee named relative to something the file does not know about
/// itself: the project root, its own module, its package.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallTarget {
    pub anchor: Anchor,
    /// Joined by `.`: `util.files.load_config`, `io.Store.load`.
    pub path: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Anchor {
    /// Python `pkg.mod.f`, Rust `crate::a::f`.
    Root,
    /// The file's own module, `up` levels up (Rust `super::`).
    Module { up: usize },
    /// Python `from ..x import f`: the file's package, `level - 1` up.
    Package { level: usize },
}

/// One file's facts and where it sits in the project.
pub struct FileFacts<'a> {
    pub path: &'a Path,
    pub language: Language,
    /// What Rust `crate::` means: the crate's root directory. Python
    /// modules share one namespace: empty.
    pub root: &'a Path,
    /// The file's module: `["pkg", "mod"]`, Rust `["a", "b"]`.
    pub module: Vec<String>,
    /// A Python package's `__init__.py`: its module is its package.
    pub is_package: bool,
    pub facts: &'a CallFacts,
}

/// A BLK006 finding in `files[file]`.
#[derive(Debug)]
pub struct ProjectFinding {
    pub file: usize,
    pub diagnostic: Diagnostic,
}

/// Identifies a function: (file index, function index).
type FnId = (usize, usize);

/// Why a sync function blocks.
#[derive(Clone, Copy)]
enum Witness {
    /// Its own first blocking call.
    Direct,
    /// Its call `calls[index]` reaches `callee`, which blocks.
    Through { callee: FnId },
}

/// Resolves every call across `files` and reports the calls from async
/// code to sync project functions that block. Deterministic for a given
/// order of `files` (the driver sorts them by path).
pub fn link_project(files: &[FileFacts<'_>]) -> Vec<ProjectFinding> {
    let functions = index_functions(files);
    let resolve = |file: usize, call: &ProjectCall| -> Option<FnId> {
        let key = qualify(&files[file], &call.target)?;
        match functions.get(&(files[file].language, files[file].root, key)) {
            Some(&Some(id)) => Some(id),
            _ => None,
        }
    };
    let is_sync = |(file, function): FnId| !files[file].facts.functions[function].is_async;

    // Breadth-first from the functions that block directly, along reversed
    // calls: every sync caller of a blocking sync function blocks, with the
    // shortest chain as its witness. Cycles end where a function is seen.
    let mut callers: HashMap<FnId, Vec<FnId>> = HashMap::default();
    let mut witness: HashMap<FnId, Witness> = HashMap::default();
    let mut queue = VecDeque::new();
    for (file_index, file) in files.iter().enumerate() {
        for (function_index, function) in file.facts.functions.iter().enumerate() {
            let id = (file_index, function_index);
            if function.is_async {
                continue;
            }
            if !function.blocking.is_empty() {
                witness.insert(id, Witness::Direct);
                queue.push_back(id);
            }
            for call in &function.calls {
                if let Some(callee) = resolve(file_index, call).filter(|&callee| is_sync(callee)) {
                    callers.entry(callee).or_default().push(id);
                }
            }
        }
    }
    while let Some(callee) = queue.pop_front() {
        for &caller in callers.get(&callee).into_iter().flatten() {
            if let Entry::Vacant(slot) = witness.entry(caller) {
                slot.insert(Witness::Through { callee });
                queue.push_back(caller);
            }
        }
    }

    let mut findings = Vec::new();
    for (file_index, file) in files.iter().enumerate() {
        let async_functions = file.facts.functions.iter().filter(|f| f.is_async);
        for call in async_functions.flat_map(|function| &function.calls) {
            let Some(callee) = resolve(file_index, call).filter(|&callee| is_sync(callee)) else {
                continue;
            };
            if witness.contains_key(&callee) {
                let diagnostic = report(files, file_index, call.span, callee, &witness);
                findings.push(ProjectFinding {
                    file: file_index,
                    diagnostic,
                });
            }
        }
    }
    findings
}

/// Named functions by (language, root, qualified path); `None` when the
/// name is claimed twice.
fn index_functions<'a>(
    files: &'a [FileFacts<'a>],
) -> HashMap<(Language, &'a Path, String), Option<FnId>> {
    let mut functions: HashMap<_, Option<FnId>> = HashMap::default();
    for (file_index, file) in files.iter().enumerate() {
        for (function_index, function) in file.facts.functions.iter().enumerate() {
            let Some(path) = &function.path else { continue };
            let key = join(&file.module, path);
            functions
                .entry((file.language, file.root, key))
                .and_modify(|slot| *slot = None)
                .or_insert(Some((file_index, function_index)));
        }
    }
    functions
}

/// The full path a call target names from `file`.
fn qualify(file: &FileFacts<'_>, target: &CallTarget) -> Option<String> {
    let base = match target.anchor {
        Anchor::Root => &[][..],
        Anchor::Module { up } => {
            let keep = file.module.len().checked_sub(up)?;
            &file.module[..keep]
        }
        Anchor::Package { level } => {
            let package_len = if file.is_package {
                file.module.len()
            } else {
                file.module.len().checked_sub(1)?
            };
            let keep = package_len.checked_sub(level.checked_sub(1)?)?;
            &file.module[..keep]
        }
    };
    Some(join(base, &target.path))
}

/// `pkg.mod` + `f` -> `pkg.mod.f`.
fn join(module: &[String], path: &str) -> String {
    let mut key = module.join(".");
    if !key.is_empty() {
        key.push('.');
    }
    key.push_str(path);
    key
}

/// The finding for a call from async code (at `span` in `files[file]`) to
/// the blocking sync function `callee`.
fn report(
    files: &[FileFacts<'_>],
    file: usize,
    span: Span,
    callee: FnId,
    witness: &HashMap<FnId, Witness>,
) -> Diagnostic {
    let name = |(file, function): FnId| {
        let path = files[file].facts.functions[function]
            .path
            .as_deref()
            .unwrap_or_default();
        match files[file].language {
            Language::Python => path.to_string(),
            Language::Rust => path.replace('.', "::"),
        }
    };
    let mut through = Vec::new();
    let mut current = callee;
    while let Some(Witness::Through { callee: next }) = witness.get(&current) {
        current = *next;
        through.push(format!("`{}`", name(current)));
    }
    let blocker = &files[current.0].facts.functions[current.1].blocking[0];
    let (victim, help) = match files[file].language {
        Language::Python => (
            "the event loop",
            "run it on a thread with `await asyncio.to_thread(..)`, or make the blocking helper async",
        ),
        Language::Rust => (
            "a runtime worker thread",
            "run it with `tokio::task::spawn_blocking`, or make the blocking helper async",
        ),
    };
    let mut message = format!(
        "`{}` blocks {victim}: it calls `{}` ({})",
        name(callee),
        blocker.api,
        blocker.code
    );
    if !through.is_empty() {
        message.push_str(&format!(" through {}", through.join(", ")));
    }
    let mut diagnostic =
        Diagnostic::new(&TRANSITIVELY_BLOCKING_CALL_IN_ASYNC, span, message).with_help(help);
    diagnostic.related.push(Related {
        span: blocker.span,
        message: format!("`{}` blocks here", blocker.api),
        path: (current.0 != file).then(|| files[current.0].path.to_path_buf()),
    });
    diagnostic
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(path: Option<&str>, is_async: bool) -> FunctionFacts {
        FunctionFacts {
            path: path.map(str::to_string),
            is_async,
            ..FunctionFacts::default()
        }
    }

    fn call(anchor: Anchor, path: &str, at: u32) -> ProjectCall {
        ProjectCall {
            target: CallTarget {
                anchor,
                path: path.to_string(),
            },
            span: Span::new(at, at + 1),
        }
    }

    fn blocking(at: u32) -> BlockingCall {
        BlockingCall {
            code: "BLK004",
            api: "open".to_string(),
            span: Span::new(at, at + 1),
        }
    }

    fn file<'a>(
        path: &'a str,
        module: &[&str],
        is_package: bool,
        facts: &'a CallFacts,
    ) -> FileFacts<'a> {
        FileFacts {
            path: Path::new(path),
            language: Language::Python,
            root: Path::new(""),
            module: module.iter().map(|part| part.to_string()).collect(),
            is_package,
            facts,
        }
    }

    #[test]
    fn relative_imports_climb_from_the_package() {
        let helpers = CallFacts {
            functions: vec![FunctionFacts {
                blocking: vec![blocking(5)],
                ..function(Some("read"), false)
            }],
        };
        // `from ..io.helpers import read` in pkg/sub/__init__.py and
        // `from .helpers import read` in pkg/io/handlers.py.
        let package = CallFacts {
            functions: vec![FunctionFacts {
                calls: vec![call(Anchor::Package { level: 2 }, "io.helpers.read", 1)],
                ..function(None, true)
            }],
        };
        let handlers = CallFacts {
            functions: vec![FunctionFacts {
                calls: vec![call(Anchor::Package { level: 1 }, "helpers.read", 2)],
                ..function(None, true)
            }],
        };
        let files = [
            file(
                "pkg/io/helpers.py",
                &["pkg", "io", "helpers"],
                false,
                &helpers,
            ),
            file("pkg/sub/__init__.py", &["pkg", "sub"], true, &package),
            file(
                "pkg/io/handlers.py",
                &["pkg", "io", "handlers"],
                false,
                &handlers,
            ),
        ];
        let findings = link_project(&files);
        let files_hit: Vec<usize> = findings.iter().map(|finding| finding.file).collect();
        assert_eq!(files_hit, [1, 2]);
        let related = &findings[0].diagnostic.related[0];
        assert_eq!(
            related.path.as_deref(),
            Some(Path::new("pkg/io/helpers.py"))
        );
    }

    #[test]
    fn a_name_claimed_twice_is_not_followed_and_cycles_end() {
        let facts = CallFacts {
            functions: vec![
                FunctionFacts {
                    blocking: vec![blocking(1)],
                    ..function(Some("load"), false)
                },
                function(Some("load"), false),
                FunctionFacts {
                    calls: vec![call(Anchor::Module { up: 0 }, "pong", 2)],
                    ..function(Some("ping"), false)
                },
                FunctionFacts {
                    calls: vec![call(Anchor::Module { up: 0 }, "ping", 3)],
                    ..function(Some("pong"), false)
                },
                FunctionFacts {
                    calls: vec![
                        call(Anchor::Module { up: 0 }, "load", 4),
                        call(Anchor::Module { up: 0 }, "ping", 5),
                    ],
                    ..function(None, true)
                },
            ],
        };
        let mut compacted = facts.clone();
        compacted.compact();
        assert_eq!(compacted, facts);
        assert!(link_project(&[file("app.py", &["app"], false, &facts)]).is_empty());
    }
}
