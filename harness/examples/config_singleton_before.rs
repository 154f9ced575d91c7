//! BEFORE (harden SGL001): check-then-act lazy initialisation. Two threads
//! that both see "not loaded yet" both load the config; one result is
//! thrown away, and any side effect of loading happens twice.
//!
//! `cargo run -p harden-harness --example config_singleton_before`

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

static LOADS: AtomicUsize = AtomicUsize::new(0);
static CONFIG: OnceLock<Config> = OnceLock::new();

struct Config {
    database_url: String,
}

fn load() -> Config {
    LOADS.fetch_add(1, Ordering::SeqCst);
    std::thread::sleep(std::time::Duration::from_millis(10)); // read a file, call a vault...
    Config {
        database_url: "postgres://db/prod".into(),
    }
}

fn config() -> &'static Config {
    if CONFIG.get().is_none() {
        // Another thread can be here at the same time.
        let _ = CONFIG.set(load());
    }
    CONFIG.get().expect("set above")
}

fn main() {
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| config().database_url.len());
        }
    });
    println!("config loaded {} times", LOADS.load(Ordering::SeqCst));
}
