//! Coordinating tasks: channels, locks, semaphores, notifications and cancellation.
//!
//! These primitives need no I/O driver; they work on any filch runtime (and their futures on any
//! executor).
//!
//! * [`mpsc`]: multi-producer, single-consumer channels, bounded and unbounded;
//! * [`oneshot`]: a channel for exactly one value;
//! * [`broadcast`]: every receiver sees every value;
//! * [`watch`]: receivers see the latest value;
//! * [`CancellationToken`]: a cancellation signal shared between tasks, with child tokens
//!   (tokio-util's `CancellationToken`);
//! * [`Semaphore`]: a fair counting semaphore ([`SemaphorePermit`], [`OwnedSemaphorePermit`]);
//! * [`Mutex`]: a fair async lock ([`MutexGuard`], [`OwnedMutexGuard`], [`MappedMutexGuard`]);
//! * [`RwLock`]: a fair, writer-preferring reader-writer lock;
//! * [`Notify`]: wakes one waiting task or all of them;
//! * [`Barrier`]: waits until a number of tasks arrived;
//! * [`OnceCell`]: a value initialized once, by an async function.

pub mod broadcast;
pub mod mpsc;
pub mod oneshot;
pub mod watch;

mod barrier;
mod cancellation;
mod mutex;
mod notify;
mod once_cell;
mod rwlock;
mod semaphore;

pub use barrier::{Barrier, BarrierWaitResult};
pub use cancellation::{
    CancellationToken, DropGuard, WaitForCancellationFuture, WaitForCancellationFutureOwned,
};
pub use mutex::{
    MappedMutexGuard, Mutex, MutexGuard, OwnedMappedMutexGuard, OwnedMutexGuard, TryLockError,
};
pub use notify::{Notified, Notify};
pub use once_cell::{OnceCell, SetError};
pub use rwlock::{
    OwnedRwLockMappedWriteGuard, OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock,
    RwLockMappedWriteGuard, RwLockReadGuard, RwLockWriteGuard,
};
pub use semaphore::{
    AcquireError, OwnedSemaphorePermit, Semaphore, SemaphorePermit, TryAcquireError,
};

/// Runs `future` to completion on this thread for the `blocking_*` methods.
///
/// # Panics
///
/// Panics inside a filch task or `block_on`, where blocking would stall a worker.
#[track_caller]
pub(crate) fn blocking<F: std::future::Future>(what: &str, future: F) -> F::Output {
    let Some(_entered) = crate::context::enter_runtime() else {
        panic!(
            "{what} was called from inside a filch task or block_on; blocking there would \
             stall a worker thread. Use the async method with `.await` instead."
        );
    };
    crate::runtime::block_on::block_on(future)
}

#[cfg(all(test, loom))]
mod loom_tests;

#[cfg(all(test, not(loom)))]
mod tests;
