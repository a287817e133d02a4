//! A shim that re-exports `parking_lot`/`std` normally and `loom` under `--cfg loom`, so the
//! readiness hand-off in [`crate::scheduled_io`] is model-checked by the same code that runs in
//! production (the idea is tokio's `src/loom/`). Only what this crate uses is here.

#[cfg(not(loom))]
pub(crate) mod sync {
    pub(crate) use parking_lot::Mutex;

    pub(crate) mod atomic {
        pub(crate) use std::sync::atomic::{AtomicUsize, Ordering};
    }
}

#[cfg(loom)]
pub(crate) mod sync {
    /// A `parking_lot`-shaped wrapper over loom's `std`-shaped mutex.
    #[derive(Debug, Default)]
    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Mutex(loom::sync::Mutex::new(value))
        }
        pub(crate) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
            self.0.lock().unwrap()
        }
    }

    pub(crate) mod atomic {
        pub(crate) use loom::sync::atomic::{AtomicUsize, Ordering};
    }
}
