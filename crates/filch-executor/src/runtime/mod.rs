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

mod block_on;
mod builder;
mod handle;

pub(crate) use builder::spawn_runtime_thread;
pub use builder::{Builder, MAX_BLOCKING_THREADS_ENV, STALL_THRESHOLD_ENV, WORKER_THREADS_ENV};
pub use handle::{EnterGuard, Handle, TryCurrentError};

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::task::JoinHandle;

pub(crate) type Callback = Arc<dyn Fn() + Send + Sync>;

/// The effective configuration of a runtime, after builder, environment and defaults.
pub(crate) struct Config {
    pub(crate) worker_threads: usize,
    pub(crate) max_blocking_threads: usize,
    pub(crate) keep_alive: Duration,
    pub(crate) stack_size: Option<usize>,
    pub(crate) on_thread_start: Option<Callback>,
    pub(crate) on_thread_stop: Option<Callback>,
    /// `None`: stall handling off (`Builder::stall_threshold`).
    pub(crate) stall_threshold: Option<Duration>,
}

/// Counts running worker threads so shutdown can wait for them with a deadline.
#[derive(Default)]
pub(crate) struct WorkerLatch {
    live: Mutex<usize>,
    exited: Condvar,
}

impl WorkerLatch {
    pub(crate) fn started(&self) {
        *self.live.lock() += 1;
    }

    pub(crate) fn exited(&self) {
        *self.live.lock() -= 1;
        self.exited.notify_all();
    }

    /// Waits until no worker runs or the deadline passes; `true` if all exited.
    fn wait(&self, deadline: Option<Instant>, exclude_current: bool) -> bool {
        let mut live = self.live.lock();
        let target = usize::from(exclude_current);
        while *live > target {
            match deadline {
                Some(d) => {
                    if self.exited.wait_until(&mut live, d).timed_out() {
                        return *live <= target;
                    }
                }
                None => self.exited.wait(&mut live),
            }
        }
        true
    }
}

/// A multi-threaded, work-stealing async runtime.
///
/// Dropping it shuts it down: the workers stop, every unfinished task is cancelled (its future is
/// dropped, its `JoinHandle` resolves to a cancelled [`JoinError`](crate::task::JoinError)), and
/// the drop waits for running blocking work. Use [`shutdown_timeout`](Runtime::shutdown_timeout)
/// to bound that wait.
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
        let _current = crate::context::set_current(&self.handle);
        block_on::block_on(future)
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
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Shuts the runtime down, waiting at most `timeout` for workers stuck in a poll and for
    /// running blocking work. Threads still busy after that are left to finish on their own.
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
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shutdown(Some(Instant::now() + timeout));
    }

    fn shutdown(&mut self, deadline: Option<Instant>) {
        let shared = &self.handle.shared;
        if !shared.begin_shutdown() {
            return;
        }
        // Dropping a runtime from one of its own workers must not wait for that worker.
        let on_own_worker =
            crate::context::with_worker(|w| w.is_some_and(|w| std::ptr::eq(w.shared(), &**shared)));
        if self.latch.wait(deadline, on_own_worker) {
            let me = std::thread::current().id();
            for thread in self.threads.drain(..) {
                if thread.thread().id() != me {
                    let _ = thread.join();
                }
            }
        } else {
            self.threads.clear();
        }
        shared.cancel_owned();
        shared.final_drain();
        shared.blocking.shutdown(deadline);
        shared.driver.driver().shutdown();
    }
}

impl Drop for Runtime {
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
