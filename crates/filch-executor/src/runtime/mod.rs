//! The runtime: [`Builder`], [`Runtime`] and [`Handle`].
//!
//! ```
//! use filch_executor::runtime::Builder;
//!
//! let rt = Builder::new().worker_threads(2).build().unwrap();
//! assert_eq!(rt.handle().worker_threads(), 2);
//! let v = rt.block_on(async { filch_executor::spawn(async { 1 + 1 }).await.unwrap() });
//! assert_eq!(v, 2);
//! ```

pub(crate) mod block_on;
mod builder;
mod config;
mod dump;
mod handle;
pub(crate) mod metrics;
pub(crate) mod spawn;

pub(crate) use builder::spawn_runtime_thread;
pub use builder::{
    Builder, MAX_BLOCKING_THREADS_ENV, SLOW_POLL_ENV, STALL_THRESHOLD_ENV, WORKER_THREADS_ENV,
};
pub use dump::{TaskDump, TaskInfo, TaskState};
pub use handle::{EnterGuard, Handle, TryCurrentError};
pub use metrics::{HistogramConfiguration, LogHistogram, RuntimeMetrics, SlowPollReport};

/// Which scheduler a runtime runs: see [`Handle::runtime_flavor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RuntimeFlavor {
    /// Every task runs on the thread that calls `block_on`.
    CurrentThread,
    /// Tasks run on a pool of work-stealing worker threads.
    MultiThread,
}

pub(crate) use config::{
    report, run_start_hook, run_stop_hook, thread_start_error, Callback, Config,
};

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::task::JoinHandle;

/// Counts running worker threads so shutdown can wait for them with a deadline.
#[derive(Default)]
pub(crate) struct WorkerLatch {
    live: Mutex<usize>,
    exited: Condvar,
}

impl WorkerLatch {
    /// Counts a thread that is about to start; returns how many were running before it.
    pub(crate) fn started(&self) -> usize {
        let mut live = self.live.lock();
        *live += 1;
        *live - 1
    }

    pub(crate) fn exited(&self) {
        *self.live.lock() -= 1;
        self.exited.notify_all();
    }

    /// Waits until no worker runs or the deadline passes; `true` if all exited.
    fn wait(&self, deadline: Option<Instant>) -> bool {
        let mut live = self.live.lock();
        while *live > 0 {
            match deadline {
                Some(d) => {
                    if self.exited.wait_until(&mut live, d).timed_out() {
                        return *live == 0;
                    }
                }
                None => self.exited.wait(&mut live),
            }
        }
        true
    }
}

/// An async runtime: multi-threaded and work-stealing ([`Builder::new_multi_thread`], the
/// default), or current-thread ([`Builder::new_current_thread`]: every task runs on the thread
/// inside `block_on`; `scheduler/current_thread.rs`).
///
/// Dropping it shuts it down: the workers stop, every unfinished task is cancelled (its future is
/// dropped, its `JoinHandle` resolves to a cancelled [`JoinError`](crate::task::JoinError)), and
/// the drop waits for running blocking work. Use [`shutdown_timeout`](Runtime::shutdown_timeout)
/// to bound that wait.
///
/// # Panics
///
/// Dropping a runtime (or calling [`shutdown_timeout`](Runtime::shutdown_timeout)) from inside
/// one of its own tasks panics: the drop waits for the runtime's workers to stop, and one of them
/// is the thread doing the drop, so the wait could never end. Before the panic the runtime is
/// still shut down as far as that allows (the other workers are told to stop, unfinished tasks
/// are cancelled), without waiting for any thread; the panic then ends the task that did it
/// (its `JoinHandle` resolves to a panic `JoinError`). tokio makes the same choice. Drop the
/// runtime from a thread that is not one of its workers, for example inside
/// [`spawn_blocking`](crate::task::spawn_blocking), where dropping it is allowed (the drop does
/// not wait for that blocking thread itself).
pub struct Runtime {
    handle: Handle,
    latch: Arc<WorkerLatch>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Runtime {
    /// A runtime with the default configuration (one worker per CPU), honouring
    /// `FILCH_WORKER_THREADS` and `FILCH_MAX_BLOCKING_THREADS`. See [`Builder`].
    ///
    /// # Errors
    ///
    /// If an environment variable holds a bad value, or the OS refuses a thread.
    pub fn new() -> std::io::Result<Runtime> {
        Builder::new().build()
    }

    pub(crate) fn from_parts(
        handle: Handle,
        latch: Arc<WorkerLatch>,
        threads: Vec<std::thread::JoinHandle<()>>,
    ) -> Runtime {
        Runtime {
            handle,
            latch,
            threads,
        }
    }

    /// Runs `future` to completion on the calling thread, while the workers run spawned tasks.
    ///
    /// Inside `future`, [`spawn`](crate::spawn) and [`Handle::current`] use this runtime.
    ///
    /// # Panics
    ///
    /// When called from inside a task or another `block_on` (blocking there would stall a
    /// worker). Panics of `future` itself propagate to the caller.
    ///
    /// ```
    /// let rt = filch_executor::runtime::Runtime::new().unwrap();
    /// assert_eq!(rt.block_on(async { 40 + 2 }), 42);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let Some(_entered) = crate::context::enter_runtime() else {
            panic!(
                "Runtime::block_on was called from inside a filch task or another block_on; \
                 blocking there would stall a worker thread. Use `.await` on the future \
                 instead, or run the blocking code with filch::task::spawn_blocking."
            );
        };
        self.handle.enter_and_block_on(future)
    }

    /// Which scheduler this runtime runs; the same as
    /// [`Handle::runtime_flavor`](Handle::runtime_flavor).
    ///
    /// ```
    /// use filch_executor::runtime::{Builder, RuntimeFlavor};
    ///
    /// let rt = Builder::new_current_thread().build().unwrap();
    /// assert_eq!(rt.flavor(), RuntimeFlavor::CurrentThread);
    /// ```
    pub fn flavor(&self) -> RuntimeFlavor {
        self.handle.runtime_flavor()
    }

    /// Spawns a task on this runtime. See [`Handle::spawn`].
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// The runtime's handle: cloneable, usable from any thread.
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Makes this runtime current on this thread until the guard is dropped, so `spawn` and
    /// resources that need a runtime work outside `block_on`.
    ///
    /// # Panics
    ///
    /// Guards must be dropped in the reverse order of their creation; see [`Handle::enter`].
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Shuts the runtime down, waiting at most `timeout` for workers stuck in a poll and for
    /// running blocking work. Threads still busy after that are left to finish on their own.
    /// A `timeout` too large to add to the current time (`Duration::MAX`) means no limit.
    ///
    /// # Panics
    ///
    /// When called from inside one of this runtime's own tasks, like dropping it (see
    /// [`Runtime`]).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let rt = filch_executor::runtime::Runtime::new().unwrap();
    /// rt.handle().spawn_blocking(|| std::thread::sleep(Duration::from_secs(2)));
    /// let start = Instant::now();
    /// rt.shutdown_timeout(Duration::from_millis(50));
    /// assert!(start.elapsed() < Duration::from_secs(2));
    /// ```
    #[track_caller]
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        // A deadline beyond what `Instant` can represent is no deadline at all.
        self.shutdown(Instant::now().checked_add(timeout));
    }

    #[track_caller]
    fn shutdown(&mut self, deadline: Option<Instant>) {
        let shared = &self.handle.shared;
        if !shared.begin_shutdown() {
            return;
        }
        // On one of its own workers the wait below would wait for this very thread.
        let on_own_worker =
            crate::context::with_worker(|w| w.is_some_and(|w| std::ptr::eq(w.shared(), &**shared)));
        if on_own_worker {
            // Stop what can be stopped without waiting for any thread, then say what is wrong.
            self.threads.clear();
            self.finish_shutdown(Some(Instant::now()));
            panic!(
                "a filch Runtime was dropped (or shut down) from inside one of its own tasks; \
                 that would block a worker thread waiting for itself. The runtime was told to \
                 stop without waiting. Drop the runtime outside its tasks, for example from \
                 spawn_blocking or from the thread that called block_on."
            );
        }
        if self.latch.wait(deadline) {
            for thread in self.threads.drain(..) {
                let _ = thread.join();
            }
        } else {
            self.threads.clear();
        }
        self.finish_shutdown(deadline);
    }

    /// Shutdown once the workers have stopped (or were given up on): cancel, drain, and wait for
    /// blocking work until `deadline`.
    fn finish_shutdown(&self, deadline: Option<Instant>) {
        let shared = &self.handle.shared;
        shared.cancel_owned();
        if let Some(ct) = &shared.current_thread {
            ct.shutdown();
        }
        shared.final_drain();
        shared.blocking.shutdown(deadline);
        shared.driver.driver().shutdown();
    }
}

/// So that APIs that take a runtime (`LocalSet::block_on`) accept both this type and the
/// `filch` facade's `Runtime`, which wraps it.
impl AsRef<Runtime> for Runtime {
    fn as_ref(&self) -> &Runtime {
        self
    }
}

impl Drop for Runtime {
    /// Shuts the runtime down; see [`Runtime`] (including when this panics).
    fn drop(&mut self) {
        self.shutdown(None);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("handle", &self.handle)
            .finish_non_exhaustive()
    }
}
