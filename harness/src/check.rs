//! Run a concurrent test body as a model check under loom, or as a stress
//! test on real threads otherwise.

/// How many times [`model`] repeats the body on real threads when not
/// built with `--cfg loom`; `HARDEN_MODEL_ITERATIONS` overrides it.
pub const DEFAULT_ITERATIONS: usize = 200;

/// Check a concurrent scenario.
///
/// Under `RUSTFLAGS="--cfg loom"` this is `loom::model`: every interleaving
/// of the threads the body spawns through [`crate::sync::thread`] is explored
/// (bounded by `LOOM_MAX_PREEMPTIONS`), so an assertion that can fail in
/// some schedule, or a deadlock, is found deterministically.
///
/// Otherwise the body runs [`DEFAULT_ITERATIONS`] times on real threads: a
/// cheap smoke test, not a proof. Statics (such as a `Singleton`'s instance)
/// are reset between loom executions but not between real-thread runs.
pub fn model<F>(body: F)
where
    F: Fn() + Sync + Send + 'static,
{
    #[cfg(loom)]
    loom::model(body);

    #[cfg(not(loom))]
    for _ in 0..iterations() {
        body();
    }
}

#[cfg(not(loom))]
fn iterations() -> usize {
    std::env::var("HARDEN_MODEL_ITERATIONS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(DEFAULT_ITERATIONS)
}
