use crate::api::{Diagnostic, RuleEntry, Span};
use crate::declare_rule;
use crate::unb::grow_only;

declare_rule! {
    /// ## What it does
    /// Flags a long-lived collection that is grown and never shrunk: a
    /// list, set or deque without `maxlen` (Rust: `Vec`, `VecDeque`,
    /// `HashSet`, `BTreeSet`, `BinaryHeap`, ...) that code running after
    /// start-up adds to, with no removal anywhere in its scope (`pop*`,
    /// `remove`, `discard`, `clear`, `del x[..]`, slice assignment,
    /// reassignment; Rust `truncate`, `drain`, `retain`, `split_off`,
    /// `mem::take`, ...).
    ///
    /// Long-lived means a module global or class attribute; an instance
    /// attribute of a class that is evidently long-lived (a module-level
    /// instance of it exists, it is a singleton, or it holds a lock, queue,
    /// thread, executor or event loop, unless that member is made by an
    /// `__init__` that takes a per-event id such as `run_id`, `request_id`
    /// or `session_id`: such an object lives for one run, request or
    /// session); in Rust a private `static` (also in
    /// `lazy_static!`), or a
    /// private field of a type that is stored in a static (`OnceLock`,
    /// `LazyLock`) or holds a `Mutex`, `RwLock` or channel.
    ///
    /// Only growth with per-event data counts, because that is what grows
    /// with traffic:
    /// - lists and deques: an id-like value (a name the metric-label
    ///   policy forbids that is minted per event, such as `request.id`,
    ///   `session_id`, `trace_id`, `client_ip`, where an id must be one the
    ///   policy names, not one only its `*_id` pattern matches; a uuid) or
    ///   a record built on the spot that carries one (a tuple, dict,
    ///   f-string; Rust a tuple, struct literal, `format!`: `(request_id,
    ///   payload)`, `f"{session_id}: {text}"`). A record without an id (a
    ///   pattern and its event name, an interface selection, a provider and
    ///   its shutdown hook) was, on real code, nearly always configuration
    ///   or a bounded measurement;
    /// - sets, and lists used as sets (`if x not in items`, or searched in
    ///   the function that appends to them: a loop, `.iter().any(..)`,
    ///   `.contains(..)`): an id-like
    ///   value, since they are otherwise bounded by their value domain;
    /// - dicts and maps: an id-like key, for the same reason.
    ///
    /// The diagnostic points at the definition; the growth sites are
    /// listed as related locations.
    ///
    /// ## Why is this bad?
    /// A collection that lives as long as the process and only ever grows
    /// is a memory leak with a delay: every request, event or retry leaves
    /// an entry behind until the process is killed. The growth is slow
    /// enough to pass every test and shows up weeks later as a restart.
    ///
    /// ## Example
    /// ```python
    /// _seen_requests = set()
    ///
    /// def handle(request):
    ///     _seen_requests.add(request.id)
    /// ```
    /// ```rust
    /// static AUDIT: Mutex<Vec<Event>> = Mutex::new(Vec::new());
    ///
    /// fn record(event: Event) {
    ///     AUDIT.lock().unwrap().push(event);
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// _recent_requests = collections.deque(maxlen=10_000)
    /// ```
    /// An `OrderedDict` used as an LRU (`popitem(last=False)` past a size),
    /// or removing entries when the work they track is done. In Rust,
    /// `harden_harness::BoundedVec` and `harden_harness::LruMap` are drop-in bounded
    /// replacements.
    ///
    /// ## Known limitations
    /// The rule errs on the side of silence. A removal anywhere in the file
    /// (through any object, for attributes) counts, and so does a container
    /// handed to other code (returned, passed as an argument, aliased, a
    /// `&mut` borrow or a guard passed on), since that code may shrink it;
    /// removals in other files are not seen. So a Python container bound to
    /// a public name (no leading underscore: `self.url_to_reset`,
    /// `Pool.forked_connections`) is not reported: it is part of its
    /// module's interface, which other modules may drain. Code that looks at the size
    /// (`len(x) < n`, `if not x:`) is taken to bound it. Growth at import
    /// time (module level, or in a function called there, or in a method
    /// called there on the module's own objects: `validators["x"].add(..)`),
    /// in `__init__`, in functions named for start-up (`setup*`, `init`,
    /// `init_*`, `initialize*`, `configure*`, `__init_subclass__`,
    /// `__set_name__`, `__new__`, `__post_init__`, and loaders of plugins,
    /// hooks and extensions: `load_plugins`, `discover_extensions`), in Rust constructors
    /// (`new`, `default`, `with_*`, `from_*`) and builder steps (methods
    /// taking `self` by value), and in test code is not counted. Test code
    /// also means a test-support file (below a `tests`, `test`, `testing`,
    /// `benches` or `benchmarks` directory, `test_*.py`, `*_test.py`,
    /// `conftest.py`), a Python module that imports `pytest` or `unittest`
    /// or defines a module-level `test_*` function, a test double (a class
    /// named `Fake*`, `Mock*`, `Stub*`, `Dummy*`) and a Rust file with a
    /// top-level `#[test]` function, a `criterion`/`divan` harness or a
    /// top-level `main` that asserts (an integration test crate, with or
    /// without the test harness). Registries (existing objects such as
    /// functions or plugins appended by `register()`-style code, and any
    /// growth inside a function named `register*` or a decorator nested in
    /// one, even under an id-like key, and a decorator that adds the object
    /// it returns, alone or in a record: `order.append((priority, cls));
    /// return cls`, and a table of hook functions filled from a parameter
    /// named for one: `hooks.append((name, var_fun))`, `func`, `hook`) are
    /// bounded by the code that calls them and are not reported. Listeners
    /// and callbacks (`callback`, `listener`) still count: event systems
    /// subscribe them at run time. A Python container bound to an UPPER_CASE
    /// name (`_HANDLERS = []`) is a table its author declares constant,
    /// filled by registration or configuration code, and is not reported;
    /// an UPPER_CASE key (`cls.API_KEY`) is a constant, never id-like.
    /// `id(obj)` keys are not id-like: an identity map caches data about
    /// objects (types, writers, models) that mostly live as long as it. A
    /// record made of literals only (`("hidden", "IsHidden")`) is one
    /// value, not per-event data; one that bundles the function's
    /// parameters with its `*args`/`**kwargs` (`def callback(self, fn,
    /// *args): self._callbacks.append((fn, args))`) is a callback
    /// registration. In Rust, a container behind an `Arc`/`Rc`
    /// (`adds: Arc<Mutex<Vec<_>>>`) is shared with the holders of the other
    /// clones, which may drain it, and is not reported. Keys and values
    /// named by the `*_id` pattern alone (`node_id`, `thread_id`,
    /// `function_id`, `run_id`) are not id-like here: in
    /// service code they mostly name parts of the deployment or the code,
    /// bounded by it (the cost: an unbounded `shuffle_id` is missed too);
    /// name one in `extend-forbidden-labels` to count it. Nor are the
    /// forbidden names of a population the service serves (`user_id`,
    /// `user.id`, `username`, `email`, `account_id`, `customer_id`,
    /// `device_id`, `url`, `uri`, `api_key`, `hash`): a map over users or
    /// endpoints holds one entry per member and stops growing with them.
    /// Maps keyed by requests, sessions, traces, orders, tokens and client
    /// addresses grow with traffic. A uuid named for what it identifies is
    /// judged by that name (`workspace_uuid` as `workspace_id`, a tenant).
    /// Neither is growth with values the rule cannot classify
    /// (`items.append(event)` where `event` is a plain parameter). Public
    /// Rust statics and fields, and `thread_local!` statics, are not
    /// checked.
    pub static GROW_ONLY_COLLECTION = {
        code: "UNB002",
        name: "grow-only-collection",
        summary: "long-lived collection that is grown and never shrunk",
        languages: [Python, Rust],
        severity: Warning,
        tags: ["resources", "memory"],
        preview: true,
    };
}

pub const ENTRY: RuleEntry = RuleEntry {
    meta: &GROW_ONLY_COLLECTION,
    python: Some(|| Box::new(grow_only::python::GrowOnlyCollection::default())),
    rust: Some(|| Box::new(grow_only::rust::GrowOnlyCollection::default())),
};

/// Whether a container is a sequence-like collection or a keyed map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ContainerKind {
    /// list, set, deque; `Vec`, `VecDeque`, `HashSet`, ...
    Collection,
    /// dict and friends; `HashMap`, `BTreeMap`, ...: reported only when
    /// grown under an id-like key.
    Map,
}

impl ContainerKind {
    fn noun(self) -> &'static str {
        match self {
            ContainerKind::Collection => "collection",
            ContainerKind::Map => "map",
        }
    }
}

/// The finding: at the definition, with every growth site related.
pub(crate) fn report(
    display: &str,
    kind: ContainerKind,
    definition: Span,
    growth: &[Span],
    evidence: Option<&str>,
    rust: bool,
) -> Diagnostic {
    let help = match (kind, rust) {
        (ContainerKind::Collection, false) => {
            "bound it with `collections.deque(maxlen=N)`, evict old entries, or remove entries when done"
        }
        (ContainerKind::Map, false) => {
            "evict old entries (an `OrderedDict` LRU with `popitem(last=False)`) or delete them when done"
        }
        (ContainerKind::Collection, true) => {
            "bound it (`harden_harness::BoundedVec`, or `truncate`/`drain` past a limit) or remove entries when done"
        }
        (ContainerKind::Map, true) => {
            "evict old entries (`harden_harness::LruMap`, or `retain`/`remove` past a limit) or remove them when done"
        }
    };
    let mut message = format!(
        "`{display}` is a long-lived {} that is grown but never shrunk",
        kind.noun()
    );
    if let Some(evidence) = evidence {
        message.push_str(&format!(" (long-lived because {evidence})"));
    }
    let mut diagnostic =
        Diagnostic::new(&GROW_ONLY_COLLECTION, definition, message).with_help(help);
    for span in growth {
        diagnostic = diagnostic.with_related(*span, "grown here");
    }
    diagnostic
}

#[cfg(test)]
mod tests {
    use crate::{Diagnostic, Settings};

    fn python(source: &str) -> Vec<Diagnostic> {
        let parsed = ruff_python_parser::parse_module(source).expect("valid python");
        crate::python::check(
            parsed.syntax(),
            source,
            &Settings::default(),
            &[&super::ENTRY],
        )
    }

    fn rust(source: &str) -> Vec<Diagnostic> {
        let file = syn::parse_file(source).expect("valid rust");
        crate::rust::check(&file, source, &Settings::default(), &[&super::ENTRY])
    }

    fn texts<'s>(source: &'s str, diagnostic: &Diagnostic) -> Vec<&'s str> {
        diagnostic
            .related
            .iter()
            .map(|related| &source[related.span.start as usize..related.span.end as usize])
            .collect()
    }

    #[test]
    fn python_finding_points_at_the_definition_and_lists_growth_sites() {
        let source = "_seen = set()\n\n\ndef handle(request):\n    _seen.add(request.request_id)\n\n\ndef audit(request):\n    _seen.add(request.session_id)\n";
        let found = python(source);
        assert_eq!(found.len(), 1);
        let span = found[0].span;
        assert_eq!(&source[span.start as usize..span.end as usize], "_seen");
        assert_eq!(
            texts(source, &found[0]),
            [
                "_seen.add(request.request_id)",
                "_seen.add(request.session_id)"
            ]
        );
        assert!(found[0].related.iter().all(|r| r.message == "grown here"));
    }

    #[test]
    fn rust_finding_points_at_the_static_and_lists_growth_sites() {
        let source = "static SEEN: Mutex<Vec<u64>> = Mutex::new(Vec::new());\nfn record(user_id: u64) {\n    SEEN.lock().unwrap().push(user_id);\n}\n";
        let found = rust(source);
        assert_eq!(found.len(), 1);
        let span = found[0].span;
        assert_eq!(&source[span.start as usize..span.end as usize], "SEEN");
        assert_eq!(
            texts(source, &found[0]),
            ["SEEN.lock().unwrap().push(user_id)"]
        );
    }

    #[test]
    fn a_top_level_cfg_test_helper_does_not_make_the_file_a_test() {
        let source = "static SEEN: Mutex<Vec<u64>> = Mutex::new(Vec::new());\nfn record(user_id: u64) {\n    SEEN.lock().unwrap().push(user_id);\n}\n#[cfg(test)]\nfn helper() {}\n";
        assert_eq!(rust(source).len(), 1);
        let test_crate = source.replace("#[cfg(test)]", "#[test]");
        assert!(rust(&test_crate).is_empty());
    }

    #[test]
    fn init_is_not_start_up_code_for_a_class_attribute() {
        // `__init__` runs per instance: a class-level list grows with them.
        let source = "class Conn:\n    _opened = []\n\n    def __init__(self, peer):\n        self._opened.append((peer, time.time()))\n";
        assert_eq!(python(source).len(), 1);
        let setup = source.replace("__init__", "setup");
        assert!(python(&setup).is_empty());
    }

    #[test]
    fn a_public_name_may_be_drained_by_other_modules() {
        let source = "_seen = set()\n\n\ndef handle(request):\n    _seen.add(request.request_id)\n";
        assert_eq!(python(source).len(), 1);
        assert!(python(&source.replace("_seen", "seen")).is_empty());
    }

    #[test]
    fn a_set_of_users_is_bounded_by_the_users_but_a_log_of_them_is_not() {
        let set = "_seen = set()\n\n\ndef handle(request):\n    _seen.add(request.user_id)\n";
        assert!(python(set).is_empty());
        assert_eq!(
            python(&set.replace("request.user_id", "request.request_id")).len(),
            1
        );
        let log = "_logins = []\n\n\ndef handle(request):\n    _logins.append(request.user_id)\n";
        assert_eq!(python(log).len(), 1);
    }

    #[test]
    fn a_main_that_asserts_makes_the_file_a_test() {
        let source = "static SEEN: Mutex<Vec<u64>> = Mutex::new(Vec::new());\nfn record(user_id: u64) {\n    SEEN.lock().unwrap().push(user_id);\n}\nfn main() {\n    record(1);\n    println!(\"{}\", SEEN.lock().unwrap().len());\n}\n";
        assert_eq!(rust(source).len(), 1);
        let harnessless_test = source.replace("println!(\"{}\", ", "assert_eq!(1, ");
        assert!(rust(&harnessless_test).is_empty());
    }

    #[test]
    fn a_removal_anywhere_silences_the_collection() {
        let source = "_seen = set()\n\n\ndef handle(request):\n    _seen.add(request.request_id)\n\n\ndef forget(request):\n    _seen.discard(request.request_id)\n";
        assert!(python(source).is_empty());
    }
}
