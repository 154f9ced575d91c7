//! The facade's normal backend: plain `std`.

pub use std::sync::{
    mpsc, Arc, Barrier, Condvar, LockResult, Mutex, MutexGuard, OnceLock, RwLock, RwLockReadGuard,
    RwLockWriteGuard,
};

/// Atomics, as `std::sync::atomic` (loom's under `--cfg loom`).
pub mod atomic {
    pub use std::sync::atomic::*;
}

/// Threads, as `std::thread` (loom's under `--cfg loom`).
pub mod thread {
    pub use std::thread::{current, panicking, spawn, yield_now, JoinHandle, LocalKey};
}

pub use std::thread_local;
