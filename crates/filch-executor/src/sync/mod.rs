//! Coordinating tasks: channels, locks, semaphores, notifications and cancellation.
//!
//! These primitives need no I/O driver; they work on any filch runtime (and their futures on any
//! executor).
//!
//! * [`CancellationToken`]: a cancellation signal shared between tasks, with child tokens
//!   (tokio-util's `CancellationToken`);
//! * [`Semaphore`]: a fair counting semaphore ([`SemaphorePermit`], [`OwnedSemaphorePermit`]);
//! * [`Mutex`]: a fair async lock ([`MutexGuard`], [`OwnedMutexGuard`], [`MappedMutexGuard`]);
//! * [`RwLock`]: a fair, writer-preferring reader-writer lock;
//! * [`Notify`]: wakes one waiting task or all of them;
//! * [`Barrier`]: waits until a number of tasks arrived;
//! * [`OnceCell`]: a value initialized once, by an async function.

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

/// Runs `fut` to completion on this thread, parking between polls (for the `blocking_*` methods).
fn block_on_local<F: std::future::Future>(fut: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};

    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }

    let waker = Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = std::pin::pin!(fut);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
