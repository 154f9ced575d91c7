//! The facade's model-checking backend: loom's primitives.

pub use loom::sync::{
    mpsc, Arc, Barrier, Condvar, LockResult, Mutex, MutexGuard, RwLock, RwLockReadGuard,
    RwLockWriteGuard,
};

/// Atomics, as `loom::sync::atomic`.
pub mod atomic {
    pub use loom::sync::atomic::*;
    pub use std::sync::atomic::Ordering;
}

/// Threads, as `loom::thread`.
pub mod thread {
    pub use loom::thread::{current, panicking, spawn, yield_now, JoinHandle, LocalKey};
}

pub use loom::thread_local;

mod once_lock;
pub use once_lock::OnceLock;
