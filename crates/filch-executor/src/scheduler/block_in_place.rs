//! [`block_in_place`]: run blocking code on a worker thread without stalling the runtime.
//!
//! On a **multi-thread** runtime's worker the call:
//!
//! 1. marks the worker *in place* (`Remote::in_place`);
//! 2. hands everything the worker has queued (its LIFO slot, its deque, its deferred yielders)
//!    to the injector and wakes a parked worker for it (`Shared::rescue`, the hand-over the
//!    monitor uses for a stuck worker, `watchdog.rs`);
//! 3. wakes the monitor, which treats an in-place worker as stuck from the start, without
//!    reporting it and without waiting for the stall threshold (or even with stall handling
//!    turned off): when every core worker is stuck or in place, it starts a compensating worker
//!    (`filch-extra-{i}`) at its next check, within one period (10 ms), which runs the queued
//!    tasks and sits in the driver so timers and sockets keep firing. The extras retire as
//!    usual once a core worker is free again;
//! 4. runs `f` with no worker registered on the thread (tasks that `f` spawns or wakes go to
//!    the injector, not to queues nobody runs) and outside the runtime's "blocking forbidden"
//!    mark, so `f` may call `Handle::block_on`;
//! 5. when `f` returns (or unwinds), restores both and clears the mark; the task's poll goes
//!    on on this worker as before.
//!
//! This is tokio's contract (the worker's queues move to another thread while `f` runs in
//! place); the mechanism differs: tokio hands the worker's whole core to a newly spawned
//! thread, filch reuses the stall machinery's hand-over and compensating workers, so no thread
//! is started while another core worker is free.
//!
//! On a thread that is **not a worker** (the thread inside a multi-thread `block_on`, a
//! blocking-pool thread, a thread outside any runtime) `f` simply runs, also outside the
//! "blocking forbidden" mark. On a **current-thread** runtime (inside its `block_on` or one of
//! its tasks) it panics: there is no other thread to run the tasks meanwhile.

use crate::context;
use crate::loom::sync::atomic::Ordering;
use crate::scheduler::Remote;

/// Runs the blocking function `f` on this thread, first moving this worker's queued tasks to
/// other threads so the runtime keeps going while `f` blocks.
///
/// Use it for blocking code that must run on the task's own thread (it borrows from the task,
/// or it is short but not short enough to ignore); otherwise
/// [`spawn_blocking`](crate::task::spawn_blocking) is simpler. Inside `f`,
/// [`Handle::block_on`](crate::runtime::Handle::block_on) is allowed.
///
/// # Panics
///
/// On a current-thread runtime (inside its `block_on` or one of its tasks): there is no other
/// thread to run the runtime's tasks while this one blocks. Use `spawn_blocking` there, or a
/// multi-thread runtime. A panic of `f` propagates to the caller.
///
/// ```
/// use std::time::Duration;
///
/// let rt = filch::runtime::Builder::new().worker_threads(1).build().unwrap();
/// let n = rt.block_on(async {
///     filch::spawn(async {
///         filch::task::block_in_place(|| {
///             std::thread::sleep(Duration::from_millis(10));
///             5
///         })
///     })
///     .await
///     .unwrap()
/// });
/// assert_eq!(n, 5);
/// ```
#[track_caller]
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    if context::with_core(|core| core.is_some()) {
        panic!(
            "filch::task::block_in_place was called on a current-thread runtime: its tasks all \
             run on this one thread, so nothing could run them while it blocks. Run the \
             blocking code with filch::task::spawn_blocking and await its JoinHandle, or use \
             a multi-thread runtime (Builder::new_multi_thread, \
             #[filch::main(flavor = \"multi_thread\")])."
        );
    }
    context::with_worker(|worker| match worker {
        None => context::exit_runtime(f),
        Some(worker) => {
            let shared = worker.shared();
            let remote: &Remote = &shared.remotes[worker.index];
            struct Back<'a>(&'a Remote);
            impl Drop for Back<'_> {
                fn drop(&mut self) {
                    self.0.in_place.store(false, Ordering::SeqCst);
                }
            }
            remote.in_place.store(true, Ordering::SeqCst);
            let _back = Back(remote);
            shared.rescue(worker.index);
            shared.monitor.wake();
            context::without_worker(|| context::exit_runtime(f))
        }
    })
}
