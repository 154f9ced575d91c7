//! Loom models: `#[guarded]`'s `select()` cannot deadlock, while the
//! hand-written inversion it replaces does, and loom says so.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p harden-harness --test loom_guarded`
#![cfg(loom)]

use harden_harness::check;
use harden_harness::guarded;
use harden_harness::sync::{thread, Arc, Mutex};

#[guarded]
struct Accounts {
    checking: i64,
    savings: i64,
}

#[test]
fn select_in_opposite_orders_never_deadlocks() {
    check::model(|| {
        let accounts = Arc::new(Accounts::from_fields(100, 0));
        let mover = {
            let accounts = Arc::clone(&accounts);
            thread::spawn(move || {
                let mut held = accounts.select().checking().savings().lock();
                *held.checking -= 10;
                *held.savings += 10;
            })
        };
        let auditor = {
            let accounts = Arc::clone(&accounts);
            thread::spawn(move || *accounts.lock_savings())
        };
        // Named the other way round: still acquired checking-then-savings.
        let mut held = accounts.select().savings().checking().lock();
        *held.savings -= 5;
        *held.checking += 5;
        drop(held);
        mover.join().unwrap();
        let seen_savings = auditor.join().unwrap();
        assert!([-5, 0, 5, 10].contains(&seen_savings));
        let held = accounts.select().checking().savings().lock();
        assert_eq!(*held.checking + *held.savings, 100);
    });
}

/// Set in the child process that runs the deadlocking model.
const RUN_INVERSION: &str = "HARDEN_LOOM_RUN_INVERSION";

/// The harness can fail: two plain mutexes taken in opposite orders by two
/// threads deadlock in some interleaving, and loom finds it.
///
/// Loom reports a deadlock by panicking, and then panics again while
/// unwinding through its own primitives, which aborts the process; so the
/// model runs in a child process and this test checks how the child died.
#[test]
fn hand_written_inversion_is_reported_as_a_deadlock() {
    if std::env::var_os(RUN_INVERSION).is_some() {
        inverted_transfer_model();
        return;
    }
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "hand_written_inversion_is_reported_as_a_deadlock",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(RUN_INVERSION, "1")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&child.stderr);
    assert!(
        !child.status.success(),
        "the inverted model passed; loom missed the deadlock"
    );
    assert!(
        stderr.contains("deadlock; threads"),
        "child failed for another reason:\n{stderr}"
    );
}

fn inverted_transfer_model() {
    check::model(|| {
        let checking = Arc::new(Mutex::new(100_i64));
        let savings = Arc::new(Mutex::new(0_i64));
        let mover = {
            let (checking, savings) = (Arc::clone(&checking), Arc::clone(&savings));
            thread::spawn(move || {
                let mut from = checking.lock().unwrap();
                let mut to = savings.lock().unwrap();
                *from -= 10;
                *to += 10;
            })
        };
        let mut from = savings.lock().unwrap();
        let mut to = checking.lock().unwrap();
        *from -= 5;
        *to += 5;
        drop((from, to));
        mover.join().unwrap();
    });
}

/// Under loom the order check is on even in release builds: the inversion
/// is caught at the first out-of-order acquisition, in every interleaving.
#[test]
#[should_panic(expected = "lock order violation: acquiring `checking` while holding `savings`")]
fn out_of_order_accessors_panic_under_loom() {
    check::model(|| {
        let accounts = Accounts::from_fields(100, 0);
        let _savings = accounts.lock_savings();
        let _checking = accounts.lock_checking();
    });
}
