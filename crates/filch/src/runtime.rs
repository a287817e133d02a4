//! Building and running a runtime by hand.
//!
//! Most programs use [`#[filch::main]`](crate::main) and never touch this module. Build a
//! [`Runtime`] yourself when the runtime's life must be controlled (a library that runs async
//! code inside a synchronous API, a test harness, a program that needs two runtimes).
//!
//! [`Runtime`] and [`Builder`] wrap the executor's types so that every runtime built through the
//! facade has the I/O driver installed when any of the `net`, `time`, `signal` or `process`
//! features is on: its idle workers block in the operating system's poller and fire timers.
//! [`Handle`], [`EnterGuard`] and [`TryCurrentError`] are the executor's own.
//!
//! # Flavours
//!
//! [`Builder::new_multi_thread`] (the same as [`Builder::new`]) builds a runtime whose tasks run
//! on a pool of work-stealing worker threads. [`Builder::new_current_thread`] builds one with
//! no worker threads: its tasks, sockets and timers all run on the thread that calls
//! [`Runtime::block_on`], and only while that thread is inside `block_on`.
//! [`Runtime::flavor`] and [`Handle::runtime_flavor`] say which. `docs/runtime-flavours.md`
//! compares the two.
//!
//! ```
//! use filch::runtime::{Builder, RuntimeFlavor};
//!
//! let runtime = Builder::new_current_thread().enable_all().build().unwrap();
//! assert_eq!(runtime.flavor(), RuntimeFlavor::CurrentThread);
//! let here = std::thread::current().id();
//! let ran_on = runtime.block_on(async {
//!     filch::spawn(async { std::thread::current().id() }).await.unwrap()
//! });
//! assert_eq!(ran_on, here);
//! ```
//!
//! ```
//! use filch::runtime::Builder;
//!
//! let runtime = Builder::new().worker_threads(2).build().unwrap();
//! let sum = runtime.block_on(async {
//!     let a = filch::spawn(async { 20 });
//!     let b = filch::spawn(async { 22 });
//!     a.await.unwrap() + b.await.unwrap()
//! });
//! assert_eq!(sum, 42);
//! ```

use std::future::Future;
use std::io;
use std::time::Duration;

use crate::task::JoinHandle;

pub use filch_executor::runtime::{
    EnterGuard, Handle, HistogramConfiguration, LogHistogram, RuntimeFlavor, RuntimeMetrics,
    SlowPollReport, TaskDump, TaskInfo, TaskState, TryCurrentError,
};

/// Whether `err` is the error a socket returns because the runtime that owns it has shut down
/// (rather than an error of the operating system or of the peer).
///
/// Once a runtime is dropped, every operation on its sockets fails with an [`io::Error`] of
/// kind [`Other`](io::ErrorKind::Other) whose message says so; this recognises it by the type of
/// its inner error, not by the text. Timers do not return errors: awaiting a timer of a runtime
/// that has shut down panics with a message saying so.
///
/// ```
/// use filch::net::UdpSocket;
///
/// let runtime = filch::runtime::Runtime::new().unwrap();
/// let socket = runtime.block_on(async { UdpSocket::bind("127.0.0.1:0").await.unwrap() });
/// drop(runtime);
///
/// let other = filch::runtime::Runtime::new().unwrap();
/// let err = other
///     .block_on(async { socket.recv_from(&mut [0u8; 16]).await })
///     .unwrap_err();
/// assert!(filch::runtime::is_rt_shutdown_err(&err));
/// assert!(!filch::runtime::is_rt_shutdown_err(&std::io::Error::other("unrelated")));
/// ```
pub fn is_rt_shutdown_err(err: &io::Error) -> bool {
    #[cfg(any(feature = "net", feature = "time"))]
    {
        filch_io::is_runtime_shutdown(err)
    }
    #[cfg(not(any(feature = "net", feature = "time")))]
    {
        // Without the I/O driver no filch resource returns this error.
        let _ = err;
        false
    }
}

/// Configures and builds a [`Runtime`].
///
/// Every setting left unset gets its default when [`build`](Builder::build) runs; the worker
/// count and the blocking-thread limit are first looked up in the environment
/// (`FILCH_WORKER_THREADS`, `FILCH_MAX_BLOCKING_THREADS`). A value set here takes precedence over
/// the environment. The setters take `&mut self` and return `&mut Self`, so they chain.
///
/// ```
/// use std::time::Duration;
/// use filch::runtime::Builder;
///
/// let runtime = Builder::new()
///     .worker_threads(2)
///     .max_blocking_threads(16)
///     .thread_keep_alive(Duration::from_secs(5))
///     .build()
///     .unwrap();
/// assert_eq!(runtime.handle().worker_threads(), 2);
/// assert_eq!(runtime.handle().max_blocking_threads(), 16);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Builder {
    inner: filch_executor::runtime::Builder,
    /// `start_paused(true)`: pause the clock once the runtime is built.
    #[cfg(feature = "time")]
    start_paused: bool,
}

impl Builder {
    /// Creates a builder with every setting unset.
    ///
    /// ```
    /// let runtime = filch::runtime::Builder::new().build().unwrap();
    /// assert!(runtime.handle().worker_threads() >= 1);
    /// ```
    pub fn new() -> Builder {
        Builder {
            inner: filch_executor::runtime::Builder::new(),
            #[cfg(feature = "time")]
            start_paused: false,
        }
    }

    /// Creates a builder of a multi-thread runtime (tasks run on a pool of worker threads). The
    /// same as [`new`](Builder::new), under tokio's name.
    ///
    /// ```
    /// use filch::runtime::{Builder, RuntimeFlavor};
    ///
    /// let runtime = Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    /// assert_eq!(runtime.flavor(), RuntimeFlavor::MultiThread);
    /// assert_eq!(runtime.handle().worker_threads(), 2);
    /// ```
    pub fn new_multi_thread() -> Builder {
        Builder {
            inner: filch_executor::runtime::Builder::new_multi_thread(),
            #[cfg(feature = "time")]
            start_paused: false,
        }
    }

    /// Creates a builder of a current-thread runtime: no worker threads. Every task, socket
    /// and timer of the runtime runs on the thread that calls [`Runtime::block_on`], and only
    /// while some thread is inside `block_on` (as in tokio); between two `block_on` calls
    /// spawned tasks wait. The blocking pool ([`spawn_blocking`](crate::task::spawn_blocking))
    /// still has threads of its own.
    ///
    /// [`worker_threads`](Builder::worker_threads), `FILCH_WORKER_THREADS` and
    /// [`stall_threshold`](Builder::stall_threshold) are ignored: there are no workers. A task
    /// that blocks the thread blocks the whole runtime (no compensating worker), and
    /// [`block_in_place`](crate::task::block_in_place) panics; use `spawn_blocking`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use filch::runtime::Builder;
    ///
    /// let runtime = Builder::new_current_thread().build().unwrap();
    /// let out = runtime.block_on(async {
    ///     let ticker = filch::spawn(async {
    ///         filch::time::sleep(Duration::from_millis(5)).await;
    ///         "ticked"
    ///     });
    ///     ticker.await.unwrap()
    /// });
    /// assert_eq!(out, "ticked");
    /// ```
    pub fn new_current_thread() -> Builder {
        Builder {
            inner: filch_executor::runtime::Builder::new_current_thread(),
            #[cfg(feature = "time")]
            start_paused: false,
        }
    }

    /// Does nothing: every filch runtime has its I/O driver and timers (with the `net` or
    /// `time` feature). It exists so that code written for tokio's builder compiles unchanged.
    ///
    /// ```
    /// let runtime = filch::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    /// runtime.block_on(async { filch::time::sleep(std::time::Duration::from_millis(1)).await });
    /// ```
    pub fn enable_all(&mut self) -> &mut Self {
        self.inner.enable_all();
        self
    }

    /// Does nothing, like [`enable_all`](Builder::enable_all): the I/O driver is always there.
    pub fn enable_io(&mut self) -> &mut Self {
        self.inner.enable_io();
        self
    }

    /// Does nothing, like [`enable_all`](Builder::enable_all): timers always work.
    pub fn enable_time(&mut self) -> &mut Self {
        self.inner.enable_time();
        self
    }

    /// Sets the number of worker threads that run tasks.
    ///
    /// Takes precedence over `FILCH_WORKER_THREADS`. When neither is set, the runtime uses one
    /// worker per CPU. A current-thread builder ignores it, as tokio's does.
    ///
    /// ```
    /// let runtime = filch::runtime::Builder::new().worker_threads(3).build().unwrap();
    /// assert_eq!(runtime.handle().worker_threads(), 3);
    /// ```
    pub fn worker_threads(&mut self, count: usize) -> &mut Self {
        self.inner.worker_threads(count);
        self
    }

    /// Sets the most threads the blocking pool ([`spawn_blocking`](crate::task::spawn_blocking))
    /// may start.
    ///
    /// Takes precedence over `FILCH_MAX_BLOCKING_THREADS`.
    ///
    /// ```
    /// let runtime = filch::runtime::Builder::new().max_blocking_threads(4).build().unwrap();
    /// assert_eq!(runtime.handle().max_blocking_threads(), 4);
    /// ```
    pub fn max_blocking_threads(&mut self, count: usize) -> &mut Self {
        self.inner.max_blocking_threads(count);
        self
    }

    /// Sets the stack size, in bytes, of the worker and blocking threads (default 2 MiB).
    ///
    /// [`build`](Builder::build) refuses less than 256 KiB with
    /// [`io::ErrorKind::InvalidInput`]: a smaller stack overflows, aborting the process, as soon
    /// as a task puts a 64 KiB buffer on it in a debug build.
    ///
    /// ```
    /// let runtime = filch::runtime::Builder::new()
    ///     .thread_stack_size(4 * 1024 * 1024)
    ///     .build()
    ///     .unwrap();
    /// runtime.block_on(async {});
    /// ```
    pub fn thread_stack_size(&mut self, bytes: usize) -> &mut Self {
        self.inner.thread_stack_size(bytes);
        self
    }

    /// Sets the stall threshold (default 100 ms; env `FILCH_STALL_THRESHOLD_MS`; zero turns it
    /// off). When every worker has been stuck in one task's poll for longer than this, the
    /// runtime starts a compensating worker thread, one at a time, up to `worker_threads` extra,
    /// so timers, sockets and queued tasks keep moving; the extras retire as soon as one of the
    /// stuck workers returns. A task stuck for longer than this is reported once on standard
    /// error with its spawn location.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runtime = filch::runtime::Builder::new()
    ///     .worker_threads(1)
    ///     .stall_threshold(Duration::from_millis(50))
    ///     .build()
    ///     .unwrap();
    /// runtime.block_on(async {
    ///     let ticker = filch::spawn(async {
    ///         for _ in 0..5 {
    ///             filch::time::sleep(Duration::from_millis(20)).await;
    ///         }
    ///     });
    ///     // The only worker blocks; the ticker keeps going on a compensating worker.
    ///     let blocker = filch::spawn(async { std::thread::sleep(Duration::from_millis(300)) });
    ///     ticker.await.unwrap();
    ///     blocker.await.unwrap();
    /// });
    /// ```
    pub fn stall_threshold(&mut self, threshold: Duration) -> &mut Self {
        self.inner.stall_threshold(threshold);
        self
    }

    /// Sets how long an idle blocking-pool thread waits for more work before it exits.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runtime = filch::runtime::Builder::new()
    ///     .thread_keep_alive(Duration::from_millis(500))
    ///     .build()
    ///     .unwrap();
    /// let n = runtime.block_on(runtime.spawn_blocking(|| 2 + 2)).unwrap();
    /// assert_eq!(n, 4);
    /// ```
    pub fn thread_keep_alive(&mut self, duration: Duration) -> &mut Self {
        self.inner.thread_keep_alive(duration);
        self
    }

    /// Runs `f` on each worker and blocking thread when it starts, before it runs any task.
    ///
    /// A panic in `f` does not abort the process. On a worker thread it makes
    /// [`build`](Builder::build) return an error carrying the panic's message (`build` waits for
    /// every worker's hook). On a blocking thread, the job that thread was started for is not
    /// run and its `JoinHandle` resolves to a panic [`JoinError`](crate::task::JoinError) whose
    /// message says the hook panicked.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let started = Arc::new(AtomicUsize::new(0));
    /// let counter = started.clone();
    /// let runtime = filch::runtime::Builder::new()
    ///     .worker_threads(2)
    ///     .on_thread_start(move || {
    ///         counter.fetch_add(1, Ordering::SeqCst);
    ///     })
    ///     .build()
    ///     .unwrap();
    /// drop(runtime); // joins the workers, so both have started by now
    /// assert!(started.load(Ordering::SeqCst) >= 2);
    /// ```
    pub fn on_thread_start<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.inner.on_thread_start(f);
        self
    }

    /// Runs `f` on each worker and blocking thread just before it exits.
    ///
    /// A panic in `f` is reported on stderr, in one line naming the thread, and shutdown goes on.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let stopped = Arc::new(AtomicUsize::new(0));
    /// let counter = stopped.clone();
    /// let runtime = filch::runtime::Builder::new()
    ///     .worker_threads(2)
    ///     .on_thread_stop(move || {
    ///         counter.fetch_add(1, Ordering::SeqCst);
    ///     })
    ///     .build()
    ///     .unwrap();
    /// drop(runtime); // shutting down stops and joins the workers
    /// assert!(stopped.load(Ordering::SeqCst) >= 2);
    /// ```
    pub fn on_thread_stop<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.inner.on_thread_stop(f);
        self
    }

    /// Starts the runtime with its clock paused, as if [`time::pause`](crate::time::pause) had
    /// been called first thing (feature `time`). Only for current-thread runtimes, as in tokio.
    ///
    /// While the clock is paused, [`Instant::now`](crate::time::Instant::now) stands still until
    /// [`time::advance`](crate::time::advance) moves it, and a runtime with nothing to do but
    /// wait for a timer jumps its clock to that timer's deadline. See "Testing with a paused
    /// clock" in `docs/testing.md`.
    ///
    /// On a builder that is not current-thread, [`build`](Builder::build) returns an error of
    /// kind [`io::ErrorKind::InvalidInput`] saying that the clock can only be paused on a
    /// current-thread runtime (tokio panics there; an error is friendlier and `build` already
    /// returns one for other bad settings).
    ///
    /// ```
    /// use std::io::ErrorKind;
    ///
    /// // `Builder::new()` builds a multi-thread runtime, whose clock cannot be paused.
    /// let error = filch::runtime::Builder::new().start_paused(true).build().unwrap_err();
    /// assert_eq!(error.kind(), ErrorKind::InvalidInput);
    /// assert!(error.to_string().contains("current-thread runtime"));
    /// ```
    #[cfg(feature = "time")]
    pub fn start_paused(&mut self, start_paused: bool) -> &mut Self {
        self.start_paused = start_paused;
        self
    }

    /// Turns on the poll-time histogram of [`RuntimeMetrics`] (`Handle::metrics`): every poll
    /// is timed and counted in a bucket. Off by default (it costs two clock reads per poll).
    ///
    /// ```
    /// use std::time::Duration;
    /// use filch::runtime::{Builder, HistogramConfiguration};
    ///
    /// // Current-thread: the poll is recorded on the thread inside `block_on`, before it
    /// // returns. (A multi-thread worker records it right after the poll, which may be just
    /// // after `block_on` has seen the task's output.)
    /// let runtime = Builder::new_current_thread()
    ///     .enable_metrics_poll_time_histogram()
    ///     .metrics_poll_time_histogram_configuration(HistogramConfiguration::linear(
    ///         Duration::from_millis(1),
    ///         5,
    ///     ))
    ///     .build()
    ///     .unwrap();
    /// runtime.block_on(async { filch::spawn(async {}).await.unwrap() });
    /// let metrics = runtime.handle().metrics();
    /// assert_eq!(metrics.poll_time_histogram_bucket_count(), 5);
    /// let polls: u64 = (0..5)
    ///     .map(|bucket| metrics.worker_poll_time_histogram_bucket_count(0, bucket))
    ///     .sum();
    /// assert_eq!(polls, 1);
    /// ```
    pub fn enable_metrics_poll_time_histogram(&mut self) -> &mut Self {
        self.inner.enable_metrics_poll_time_histogram();
        self
    }

    /// The poll-time histogram's buckets: [`HistogramConfiguration::linear`] or
    /// [`HistogramConfiguration::log`] (default: 10 linear buckets of 100 µs).
    pub fn metrics_poll_time_histogram_configuration(
        &mut self,
        configuration: HistogramConfiguration,
    ) -> &mut Self {
        self.inner
            .metrics_poll_time_histogram_configuration(configuration);
        self
    }

    /// Reports each poll longer than `threshold` once, with the task's id, spawn location and
    /// the poll's duration (one line on stderr unless [`on_slow_poll`](Builder::on_slow_poll)
    /// is set). Takes precedence over `FILCH_SLOW_POLL_MS`; off by default; zero turns it off.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runtime = filch::runtime::Builder::new()
    ///     .slow_poll_threshold(Duration::from_millis(10))
    ///     .on_slow_poll(|report| println!("{report}"))
    ///     .build()
    ///     .unwrap();
    /// runtime.block_on(async {
    ///     filch::spawn(async { std::thread::sleep(Duration::from_millis(20)) })
    ///         .await
    ///         .unwrap()
    /// });
    /// ```
    pub fn slow_poll_threshold(&mut self, threshold: Duration) -> &mut Self {
        self.inner.slow_poll_threshold(threshold);
        self
    }

    /// Receives slow-poll reports instead of the default line on stderr; called on the worker
    /// right after the slow poll (a panic in `f` is caught and reported).
    pub fn on_slow_poll<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn(&SlowPollReport) + Send + Sync + 'static,
    {
        self.inner.on_slow_poll(f);
        self
    }

    /// Builds the runtime and starts its worker threads.
    ///
    /// Settings left unset are read from the environment (`FILCH_WORKER_THREADS`,
    /// `FILCH_MAX_BLOCKING_THREADS`, `FILCH_STALL_THRESHOLD_MS`, `FILCH_SLOW_POLL_MS`) or take
    /// their defaults. When the `net`, `time`, `fs`, `signal` or `process` feature is on, the
    /// runtime gets filch's I/O driver.
    ///
    /// # Errors
    ///
    /// An error of kind [`io::ErrorKind::InvalidInput`] when an environment variable or a setting
    /// holds a value that is not accepted (its message names the variable and the value; the
    /// blocking-thread limit is at most 100 000, the stack at least 256 KiB, `start_paused(true)`
    /// only on a current-thread builder); an error carrying
    /// the panic's message when `on_thread_start` panicked on a worker; or the operating
    /// system's error when the poller or a thread cannot be created (for a thread, the message
    /// names it and says what to change).
    ///
    /// ```
    /// let runtime = filch::runtime::Builder::new().build();
    /// assert!(runtime.is_ok());
    /// ```
    pub fn build(&mut self) -> io::Result<Runtime> {
        #[cfg(any(
            feature = "net",
            feature = "time",
            feature = "signal",
            feature = "process"
        ))]
        self.inner.driver(filch_io::new_driver);
        let inner = self.inner.build()?;
        #[cfg(feature = "time")]
        if self.start_paused {
            // Refused (and the runtime dropped) unless the runtime is current-thread.
            filch_io::pause_at_start(inner.handle())?;
        }
        Ok(Runtime { inner })
    }
}

/// A running filch runtime: its worker threads (none for a current-thread runtime), blocking
/// pool and (with `net`, `time`, `fs`, `signal` or `process`) its I/O driver.
///
/// Dropping the runtime shuts it down: the workers stop and are joined, every unfinished task is
/// cancelled (its future dropped, its `JoinHandle` resolving to a cancelled
/// [`JoinError`](crate::task::JoinError)), and the drop waits for blocking work that is already
/// running. [`shutdown_timeout`](Runtime::shutdown_timeout) bounds that wait.
///
/// Dropping the runtime from inside one of its own tasks panics (the drop would wait for the
/// worker it runs on); the runtime is told to stop first. Drop it from outside its tasks, or
/// from [`spawn_blocking`](crate::task::spawn_blocking).
///
/// ```
/// let runtime = filch::runtime::Runtime::new().unwrap();
/// let handle = runtime.spawn(async { "spawned" });
/// assert_eq!(runtime.block_on(handle).unwrap(), "spawned");
/// ```
#[derive(Debug)]
pub struct Runtime {
    inner: filch_executor::runtime::Runtime,
}

/// So that `LocalSet::block_on(&runtime, ..)` accepts this runtime, as it does the executor's.
impl AsRef<filch_executor::runtime::Runtime> for Runtime {
    fn as_ref(&self) -> &filch_executor::runtime::Runtime {
        &self.inner
    }
}

impl Runtime {
    /// Builds a runtime with the default settings and the environment's overrides; the same as
    /// `Builder::new().build()`.
    ///
    /// # Errors
    ///
    /// As for [`Builder::build`].
    ///
    /// ```
    /// let runtime = filch::runtime::Runtime::new().unwrap();
    /// assert_eq!(runtime.block_on(async { 1 + 1 }), 2);
    /// ```
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// Runs `future` on the current thread until it completes, and returns its output.
    ///
    /// While it runs, this thread is inside the runtime: [`spawn`](crate::spawn), sockets and
    /// timers find this runtime. Spawned tasks run on the worker threads of a multi-thread
    /// runtime; on a current-thread runtime this thread runs them (and the sockets and timers)
    /// while it waits for `future`.
    ///
    /// # Panics
    ///
    /// When called from inside an asynchronous context (a task, or another `block_on`).
    ///
    /// ```
    /// let runtime = filch::runtime::Runtime::new().unwrap();
    /// let output = runtime.block_on(async {
    ///     filch::task::yield_now().await;
    ///     "finished"
    /// });
    /// assert_eq!(output, "finished");
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.inner.block_on(future)
    }

    /// Which scheduler this runtime runs: [`RuntimeFlavor::MultiThread`] or
    /// [`RuntimeFlavor::CurrentThread`].
    ///
    /// ```
    /// use filch::runtime::{Runtime, RuntimeFlavor};
    ///
    /// assert_eq!(Runtime::new().unwrap().flavor(), RuntimeFlavor::MultiThread);
    /// ```
    pub fn flavor(&self) -> RuntimeFlavor {
        self.inner.flavor()
    }

    /// Spawns a task on this runtime; on a multi-thread runtime it starts running on a worker
    /// thread at once, on a current-thread runtime at the next `block_on`.
    ///
    /// ```
    /// let runtime = filch::runtime::Runtime::new().unwrap();
    /// let handle = runtime.spawn(async { 7 });
    /// assert_eq!(runtime.block_on(handle).unwrap(), 7);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.spawn(future)
    }

    /// Runs the blocking function `f` on this runtime's blocking pool.
    ///
    /// ```
    /// let runtime = filch::runtime::Runtime::new().unwrap();
    /// let handle = runtime.spawn_blocking(|| std::thread::current().name().map(String::from));
    /// let name = runtime.block_on(handle).unwrap();
    /// assert!(name.is_some());
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.inner.handle().spawn_blocking(f)
    }

    /// Returns a handle to this runtime, which can be cloned and sent to other threads.
    ///
    /// ```
    /// let runtime = filch::runtime::Builder::new().worker_threads(2).build().unwrap();
    /// let handle = runtime.handle().clone();
    /// let joined = std::thread::spawn(move || handle.spawn(async { 5 }))
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(runtime.block_on(joined).unwrap(), 5);
    /// assert_eq!(runtime.handle().worker_threads(), 2);
    /// ```
    pub fn handle(&self) -> &Handle {
        self.inner.handle()
    }

    /// The runtime's figures (tokio's `Runtime::metrics`); the same as
    /// `self.handle().metrics()`, see [`RuntimeMetrics`].
    ///
    /// ```
    /// let runtime = filch::runtime::Builder::new_current_thread().build().unwrap();
    /// let metrics = runtime.metrics();
    /// runtime.block_on(async { filch::spawn(async {}).await.unwrap() });
    /// assert_eq!(metrics.num_workers(), 1);
    /// assert_eq!(metrics.worker_poll_count(0), 1);
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        self.inner.handle().metrics()
    }

    /// Makes this runtime the current one on this thread until the guard is dropped, so that
    /// [`spawn`](crate::spawn) and [`Handle::current`] work outside `block_on`.
    ///
    /// Guards must be dropped in the reverse order of their creation; dropping one out of order
    /// panics (see [`Handle::enter`]).
    ///
    /// ```
    /// let runtime = filch::runtime::Runtime::new().unwrap();
    /// let guard = runtime.enter();
    /// let handle = filch::spawn(async { 3 });
    /// drop(guard);
    /// assert_eq!(runtime.block_on(handle).unwrap(), 3);
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        self.inner.enter()
    }

    /// Shuts the runtime down, waiting at most `timeout` for workers stuck in a poll and for
    /// running blocking work.
    ///
    /// Unfinished tasks are cancelled. A thread still busy when `timeout` has passed (a task that
    /// never yields, a long blocking function) is left to finish on its own. A `timeout` too
    /// large to add to the current time, such as `Duration::MAX`, means no limit.
    ///
    /// # Panics
    ///
    /// When called from inside one of this runtime's own tasks, like dropping it.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runtime = filch::runtime::Runtime::new().unwrap();
    /// runtime.spawn(std::future::pending::<()>()); // never finishes; cancelled at shutdown
    /// runtime.shutdown_timeout(Duration::from_secs(1));
    /// ```
    #[track_caller]
    pub fn shutdown_timeout(self, timeout: Duration) {
        self.inner.shutdown_timeout(timeout)
    }
}
