//! Tasks: spawning, joining, cancelling and yielding.
//!
//! A task is a future that the runtime polls on its worker threads. [`spawn`] starts one and
//! returns a [`JoinHandle`], itself a future that resolves to the task's output (or to a
//! [`JoinError`] if the task panicked or was cancelled). Dropping a `JoinHandle` detaches the
//! task: it keeps running. [`JoinHandle::abort`] and [`AbortHandle`] cancel it.
//!
//! A [`JoinSet`] holds a group of tasks: it joins them in the order they finish and aborts the
//! rest when dropped. Every task has an [`Id`] ([`JoinHandle::id`], and [`id()`] inside the
//! task).
//!
//! Blocking code (file system calls, CPU-heavy work, a synchronous library) belongs on the
//! blocking pool through [`spawn_blocking`], so that it does not hold up the workers.
//!
//! Futures that are not `Send` (they hold an `Rc` or a `RefCell` across an `.await`) run as
//! *local tasks*: [`spawn_local`] inside a [`LocalSet`], which runs them all on one thread. A
//! value can be attached to a task, and follow it from worker to worker, with
//! [`task_local!`](crate::task_local) and [`LocalKey::scope`].
//!
//! ```
//! use filch::task;
//!
//! #[filch::main]
//! async fn main() {
//!     let sleeper = task::spawn(std::future::pending::<()>());
//!     sleeper.abort();
//!     assert!(sleeper.await.unwrap_err().is_cancelled());
//!
//!     let digest = task::spawn_blocking(|| (1..=10u64).product::<u64>()).await.unwrap();
//!     assert_eq!(digest, 3_628_800);
//!
//!     task::yield_now().await;
//! }
//! ```

pub use filch_executor::task::{
    block_in_place, id, spawn, spawn_blocking, spawn_local, try_id, yield_now, AbortHandle,
    AccessError, Id, JoinError, JoinHandle, JoinSet, LocalEnterGuard, LocalKey, LocalSet,
};

/// Futures returned by the task module's functions.
pub mod futures {
    pub use filch_executor::task::futures::TaskLocalFuture;
}
