//! `#[derive(Singleton)]` on real threads.
#![cfg(not(loom))]

use harden_harness::sync::atomic::{AtomicUsize, Ordering};
use harden_harness::Singleton;
use std::sync::Barrier;

#[derive(Default, Singleton)]
struct Defaulted {
    value: u32,
}

static CONSTRUCTED: AtomicUsize = AtomicUsize::new(0);

#[derive(Singleton)]
#[singleton(init = Config::load)]
struct Config {
    name: &'static str,
}

impl Config {
    fn load() -> Self {
        CONSTRUCTED.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(std::time::Duration::from_millis(20));
        Config { name: "prod" }
    }
}

#[test]
fn default_singleton_is_the_default_value() {
    assert_eq!(Defaulted::instance().value, 0);
    assert!(std::ptr::eq(Defaulted::instance(), Defaulted::instance()));
}

#[test]
fn racing_threads_share_one_instance_built_once() {
    let start = Barrier::new(8);
    let addresses: Vec<usize> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    std::ptr::from_ref(Config::instance()).addr()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    assert!(addresses.windows(2).all(|pair| pair[0] == pair[1]));
    assert_eq!(CONSTRUCTED.load(Ordering::SeqCst), 1);
    assert_eq!(Config::instance().name, "prod");
}

static FLAKY_ATTEMPTS: AtomicUsize = AtomicUsize::new(0);

#[derive(Singleton)]
#[singleton(init = Flaky::connect)]
struct Flaky {
    attempt: usize,
}

impl Flaky {
    fn connect() -> Self {
        let attempt = FLAKY_ATTEMPTS.fetch_add(1, Ordering::SeqCst) + 1;
        assert!(attempt > 1, "first connection attempt fails");
        Flaky { attempt }
    }
}

#[test]
fn a_panicking_init_leaves_it_uninitialised_and_the_next_call_retries() {
    let first = std::panic::catch_unwind(|| Flaky::instance().attempt);
    assert!(first.is_err());
    assert_eq!(Flaky::instance().attempt, 2);
    assert_eq!(Flaky::instance().attempt, 2);
    assert_eq!(FLAKY_ATTEMPTS.load(Ordering::SeqCst), 2);
}
