//! AFTER: `#[derive(Singleton)]` loads the config exactly once however
//! many threads race to it; a failed (panicking) load is retried by the
//! next caller.
//!
//! `cargo run -p harden-harness --example config_singleton_after`

use harden_harness::Singleton;
use std::sync::atomic::{AtomicUsize, Ordering};

static LOADS: AtomicUsize = AtomicUsize::new(0);

#[derive(Singleton)]
#[singleton(init = Config::load)]
struct Config {
    database_url: String,
}

impl Config {
    fn load() -> Self {
        LOADS.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(std::time::Duration::from_millis(10));
        Config {
            database_url: "postgres://db/prod".into(),
        }
    }
}

fn main() {
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| Config::instance().database_url.len());
        }
    });
    assert_eq!(LOADS.load(Ordering::SeqCst), 1);
    println!("config loaded {} time", LOADS.load(Ordering::SeqCst));
}
