//! What one class's methods do to their attributes, gathered during the
//! walk, and which methods run with the lock held or with no other thread
//! around.

use rustc_hash::FxHashSet as HashSet;
use std::collections::BTreeMap;

use ruff_text_size::TextRange;

use crate::api::Span;
use crate::python::is_test_function_name;
use crate::sgl::is_named_for_caller_held_lock;

/// Methods that run before the object is shared or after it no longer is.
const SETUP_METHODS: &[&str] = &[
    "__init__",
    "_afterfork",
    "_after_fork",
    "_at_fork_reinit",
    "__new__",
    "__del__",
    "__enter__",
    "__exit__",
    "__aenter__",
    "__aexit__",
    "__post_init__",
    "__setstate__",
    "__init_subclass__",
    "__set_name__",
    // Teardown: the object is going away; a counter or field it leaves
    // inconsistent is not read again.
    "close",
    "shutdown",
    "stop",
    "terminate",
    "dispose",
];

/// True for methods that run while no other thread uses the object:
/// construction, teardown, fork handlers, recovery from a previous run's
/// state (`recover`, `_recover_jobs`: a replay before the object serves),
/// test fixtures and test methods (which start and join the threads they
/// test).
pub(super) fn is_exclusive_method(name: &str) -> bool {
    SETUP_METHODS.contains(&name)
        || is_test_function_name(name)
        || name.contains("fork")
        || name.trim_start_matches('_').starts_with("recover")
}

pub(super) struct Access {
    pub(super) span: Span,
    pub(super) method: String,
    pub(super) locked: bool,
    /// Not one atomic step: `self.n += 1`, `self.items = [i for i in
    /// self.items if ..]`, or replacing a container that locked code fills
    /// (`self.buffer = []`). Only these are reported when unlocked: a single
    /// store or a single dict/list operation is atomic in CPython.
    pub(super) racy: bool,
    /// A store of a new value that does not read the old one.
    pub(super) plain_store: bool,
    /// The literal key of a write to one entry (`"batches"` for
    /// `self.stats["batches"] += 1`); `None` for a write to the whole
    /// attribute.
    pub(super) key: Option<String>,
}

impl Access {
    /// True when the two writes can change the same value: either changes
    /// the whole attribute, or both change the entry of one literal key.
    pub(super) fn overlaps(&self, other: &Access) -> bool {
        match (&self.key, &other.key) {
            (Some(key), Some(other_key)) => key == other_key,
            _ => true,
        }
    }
}

/// A call `self.method(..)` inside another method of the class.
pub(super) struct SelfCall {
    pub(super) caller: String,
    pub(super) callee: String,
    pub(super) locked: bool,
}

/// What one class's methods do, gathered during the walk.
#[derive(Default)]
pub(super) struct ClassState {
    /// Attribute -> its writes, in source order.
    pub(super) accesses: BTreeMap<String, Vec<Access>>,
    pub(super) calls: Vec<SelfCall>,
    /// Attributes that carry their own lock (`with self.pools.lock:`): the
    /// object synchronises itself, its method calls are not ours to check.
    pub(super) self_locking: HashSet<String>,
    /// `@property` methods: `self.x` is computed, not a stored field.
    pub(super) properties: HashSet<String>,
    /// Branches that deliberately run without the lock another branch of
    /// the same method takes (see [`super::lock_free_branches`]).
    pub(super) lock_free_branches: Vec<TextRange>,
    /// Locked blocks that re-initialise many attributes at once (see
    /// [`super::is_reset_block`]).
    pub(super) reset_blocks: Vec<TextRange>,
    /// A method yields while holding the object's lock (`@contextmanager
    /// def session(self): with self.lock: yield`): the caller's `with`
    /// block runs under it, and so do the methods that block calls back.
    pub(super) lends_lock: bool,
}

impl ClassState {
    /// Methods that only set-up or teardown code calls (`__init__` calling
    /// `self.load()`), to a fixed point: they run before the object is
    /// shared or after it no longer is, like their callers. A lock they
    /// take guards something else (the state file being read), not the
    /// fields against other threads.
    pub(super) fn setup_helpers(&self) -> HashSet<&str> {
        self.callees_always_covered(HashSet::default(), |_| false)
    }

    /// Methods that always run with a lock held or without other threads:
    /// named `*_locked` / `*_unlocked` / `_unlocked*`, or helpers that every
    /// call in the class makes under a lock or from such a method (to a
    /// fixed point, so helpers of helpers count). Public methods too: one
    /// that the class itself only calls under its lock (`make_connection`
    /// from `get_connection`) is part of the locked path.
    pub(super) fn exclusive_helpers(&self) -> HashSet<&str> {
        let named = self
            .calls
            .iter()
            .flat_map(|call| [call.caller.as_str(), call.callee.as_str()])
            .filter(|method| is_named_for_caller_held_lock(method))
            .collect();
        self.callees_always_covered(named, |call| call.locked)
    }

    /// Methods that run only on the one thread the module starts on a
    /// method of the class (`threading.Thread(target=self._loop)`, not in
    /// a loop): that method, and to a fixed point the methods only it (or
    /// set-up code) calls. No two threads run them at once.
    pub(super) fn worker_thread_methods(
        &self,
        started_once: impl Fn(&str) -> bool,
    ) -> HashSet<&str> {
        let callers = self.calls.iter().map(|call| call.caller.as_str());
        let writers = self
            .accesses
            .values()
            .flatten()
            .map(|access| access.method.as_str());
        let targets = callers
            .chain(writers)
            .filter(|method| started_once(method))
            .collect();
        self.callees_always_covered(targets, |_| false)
    }

    /// `found`, grown to a fixed point with every method (dunders aside)
    /// whose every call in the class is `covered`, or made from a set-up or
    /// teardown method, or from a method already found.
    fn callees_always_covered<'s>(
        &'s self,
        mut found: HashSet<&'s str>,
        covered: impl Fn(&SelfCall) -> bool,
    ) -> HashSet<&'s str> {
        loop {
            let mut changed = false;
            for call in &self.calls {
                let callee = call.callee.as_str();
                let dunder = callee.starts_with("__") && callee.ends_with("__");
                if dunder || found.contains(callee) {
                    continue;
                }
                let always_covered = self
                    .calls
                    .iter()
                    .filter(|other| other.callee == callee)
                    .all(|other| {
                        covered(other)
                            || is_exclusive_method(&other.caller)
                            || found.contains(other.caller.as_str())
                    });
                if always_covered {
                    found.insert(callee);
                    changed = true;
                }
            }
            if !changed {
                return found;
            }
        }
    }
}
