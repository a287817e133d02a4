//! [`Builder`]: configure and start a [`Runtime`].

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use super::metrics::{Histogram, HistogramConfiguration, SlowPollCallback, SlowPollReport};
use super::{
    run_start_hook, run_stop_hook, thread_start_error, Callback, Config, Handle, Runtime,
    WorkerLatch,
};
use crate::blocking::BlockingPool;
use crate::driver::{CondvarDriver, Driver};
use crate::scheduler::park::SharedDriver;
use crate::scheduler::watchdog::{self, Extras, FreeSlot};
use crate::scheduler::{worker, Shared};

/// Environment variable read by [`Builder::build`] for the worker count.
pub const WORKER_THREADS_ENV: &str = "FILCH_WORKER_THREADS";
/// Environment variable read by [`Builder::build`] for the blocking-thread limit.
pub const MAX_BLOCKING_THREADS_ENV: &str = "FILCH_MAX_BLOCKING_THREADS";
/// Environment variable read by [`Builder::build`] for the stall threshold, in milliseconds
/// (`0` turns stall handling off).
pub const STALL_THRESHOLD_ENV: &str = "FILCH_STALL_THRESHOLD_MS";

/// Environment variable read by [`Builder::build`] for the slow-poll threshold, in
/// milliseconds (`0` or unset: no slow-poll reports).
pub const SLOW_POLL_ENV: &str = "FILCH_SLOW_POLL_MS";

const DEFAULT_MAX_BLOCKING: usize = 512;
const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(10);
const DEFAULT_STACK_SIZE: usize = 2 * 1024 * 1024;
/// Beyond this the idle bookkeeping's counters would overflow; nobody needs more workers.
const MAX_WORKERS: usize = 32_767;
/// The most blocking threads a runtime may be allowed (`Builder::max_blocking_threads`,
/// `FILCH_MAX_BLOCKING_THREADS`). Linux's default limits (`threads-max`, `pid_max`) are in the
/// tens to hundreds of thousands for the whole system, and 100 000 threads with the default
/// 2 MiB stack already reserve 200 GiB of address space: a larger limit could only be a mistake.
const MAX_BLOCKING_THREADS: usize = 100_000;
/// The smallest stack `Builder::thread_stack_size` accepts: 256 KiB. A worker's own frames
/// (its loop, a task's poll through the vtable, the budget and panic-catching wrappers) take a
/// few KiB in release builds and several times that in debug builds, and filch boxes futures
/// larger than 2 KiB (debug) or 16 KiB (release) on spawn, but a future's poll may still put a
/// large buffer on the stack. A function with a 64 KiB local array needs about twice that in a
/// debug build (the array is built in a temporary and copied), so 256 KiB is the smallest
/// power of two that runs such a task, with a little room for the worker's frames around it
/// (tested in `tests/robustness.rs`). Below it, a task that runs fine with the default stack
/// aborts the whole process with a stack overflow.
const MIN_STACK_SIZE: usize = 256 * 1024;

type DriverFactory = Arc<dyn Fn() -> io::Result<Arc<dyn Driver>> + Send + Sync>;

/// Configures a [`Runtime`].
///
/// Precedence for the worker count and the blocking-thread limit: a value set on the builder,
/// then the environment variable (`FILCH_WORKER_THREADS`, `FILCH_MAX_BLOCKING_THREADS`), then
/// the default (one worker per CPU; 512 blocking threads).
///
/// ```
/// use std::time::Duration;
/// use filch_executor::runtime::Builder;
///
/// let rt = Builder::new()
///     .worker_threads(2)
///     .max_blocking_threads(16)
///     .thread_keep_alive(Duration::from_secs(1))
///     .thread_stack_size(4 * 1024 * 1024)
///     .on_thread_start(|| {})
///     .on_thread_stop(|| {})
///     .build()
///     .unwrap();
/// assert_eq!(rt.handle().max_blocking_threads(), 16);
/// ```
#[derive(Clone, Default)]
pub struct Builder {
    worker_threads: Option<usize>,
    max_blocking_threads: Option<usize>,
    keep_alive: Option<Duration>,
    stack_size: Option<usize>,
    on_thread_start: Option<Callback>,
    on_thread_stop: Option<Callback>,
    stall_threshold: Option<Duration>,
    histogram_enabled: bool,
    histogram: Option<HistogramConfiguration>,
    slow_poll_threshold: Option<Duration>,
    on_slow_poll: Option<SlowPollCallback>,
    driver: Option<DriverFactory>,
    /// Built by `new_current_thread`: no workers (`scheduler/current_thread.rs`).
    current_thread: bool,
}

impl Builder {
    /// A builder of a multi-thread runtime with nothing set: everything comes from the
    /// environment or the defaults. The same as [`new_multi_thread`](Self::new_multi_thread).
    pub fn new() -> Builder {
        Builder::default()
    }

    /// A builder of a multi-thread runtime: tasks run on a pool of work-stealing worker threads
    /// (one per CPU unless [`worker_threads`](Self::worker_threads) or `FILCH_WORKER_THREADS`
    /// says otherwise). The same as [`new`](Self::new); tokio's name.
    pub fn new_multi_thread() -> Builder {
        Builder::default()
    }

    /// A builder of a current-thread runtime: no worker threads; every task, the I/O driver and
    /// the timers run on the thread that calls `block_on`, and only while it is inside
    /// `block_on`. The blocking pool still exists. `worker_threads`, `FILCH_WORKER_THREADS` and
    /// `stall_threshold` are ignored (there are no workers to count or to compensate for). See
    /// `docs/runtime-flavours.md`.
    ///
    /// ```
    /// use filch_executor::runtime::{Builder, RuntimeFlavor};
    ///
    /// let rt = Builder::new_current_thread().build().unwrap();
    /// assert_eq!(rt.flavor(), RuntimeFlavor::CurrentThread);
    /// let here = std::thread::current().id();
    /// let ran_on = rt.block_on(async {
    ///     filch_executor::spawn(async { std::thread::current().id() }).await.unwrap()
    /// });
    /// assert_eq!(ran_on, here);
    /// ```
    pub fn new_current_thread() -> Builder {
        Builder {
            current_thread: true,
            ..Builder::default()
        }
    }

    /// Does nothing: filch runtimes always have their I/O driver and timers (when one is
    /// installed, as the `filch` facade does). Kept so that tokio code ports unchanged.
    pub fn enable_all(&mut self) -> &mut Self {
        self
    }

    /// Does nothing, like [`enable_all`](Self::enable_all).
    pub fn enable_io(&mut self) -> &mut Self {
        self
    }

    /// Does nothing, like [`enable_all`](Self::enable_all).
    pub fn enable_time(&mut self) -> &mut Self {
        self
    }

    /// The number of worker threads (named `filch-worker-{i}`). Overrides
    /// `FILCH_WORKER_THREADS`. `0` makes [`build`](Self::build) fail. Ignored by a
    /// current-thread builder ([`new_current_thread`](Self::new_current_thread)), as in tokio.
    pub fn worker_threads(&mut self, n: usize) -> &mut Self {
        self.worker_threads = Some(n);
        self
    }

    /// The most threads `spawn_blocking` may start. Overrides `FILCH_MAX_BLOCKING_THREADS`.
    /// `0`, or more than 100 000, makes [`build`](Self::build) fail.
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Self {
        self.max_blocking_threads = Some(n);
        self
    }

    /// How long an idle blocking thread waits for work before it exits (default 10 s).
    pub fn thread_keep_alive(&mut self, duration: Duration) -> &mut Self {
        self.keep_alive = Some(duration);
        self
    }

    /// Stack size of worker and blocking threads, in bytes (default 2 MiB).
    ///
    /// Less than 256 KiB (262 144 bytes) makes [`build`](Self::build) fail with
    /// `InvalidInput`: a smaller stack overflows, aborting the process, as soon as a task puts a
    /// 64 KiB buffer on it in a debug build.
    pub fn thread_stack_size(&mut self, bytes: usize) -> &mut Self {
        self.stack_size = Some(bytes);
        self
    }

    /// Runs `f` on every worker and blocking thread when it starts.
    ///
    /// A panic in `f` is caught. On a worker thread it makes [`build`](Self::build) fail: `build`
    /// waits until every worker's hook has finished and returns an error carrying the panic's
    /// message (the runtime is shut down again). On a blocking thread, the job the thread was
    /// started for is not run: its `JoinHandle` resolves to a panic `JoinError` whose message
    /// says the hook panicked, and the thread exits.
    pub fn on_thread_start<F: Fn() + Send + Sync + 'static>(&mut self, f: F) -> &mut Self {
        self.on_thread_start = Some(Arc::new(f));
        self
    }

    /// Runs `f` on every worker and blocking thread just before it exits.
    ///
    /// A panic in `f` is caught and reported on stderr, in one line naming the thread; the
    /// thread exits and shutdown goes on. A thread whose start hook panicked does not run it.
    pub fn on_thread_stop<F: Fn() + Send + Sync + 'static>(&mut self, f: F) -> &mut Self {
        self.on_thread_stop = Some(Arc::new(f));
        self
    }

    /// How long every worker must have been stuck in one task's poll before the runtime starts
    /// a compensating worker thread, and how long one task must be stuck before it is reported
    /// on standard error (once per task, with its spawn location). Default 100 ms; overrides
    /// `FILCH_STALL_THRESHOLD_MS`. `Duration::ZERO` turns both off (timers, sockets and queued
    /// tasks still move while *some* worker is free).
    ///
    /// Compensating workers (`filch-extra-{i}`) are started one at a time, at most
    /// `worker_threads` of them, and retire as soon as one of the stuck workers returns. See
    /// `docs/architecture.md`, "What happens when a task blocks".
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = filch_executor::runtime::Builder::new()
    ///     .worker_threads(1)
    ///     .stall_threshold(Duration::from_millis(50))
    ///     .build()
    ///     .unwrap();
    /// // The only worker blocks for 300 ms; the second task still runs meanwhile.
    /// let started = std::time::Instant::now();
    /// let (blocker, other) = rt.block_on(async {
    ///     let blocker = filch_executor::spawn(async {
    ///         std::thread::sleep(Duration::from_millis(300));
    ///     });
    ///     std::thread::sleep(Duration::from_millis(20));
    ///     let other = filch_executor::spawn(async { std::time::Instant::now() });
    ///     (blocker, other)
    /// });
    /// let other_ran_at = rt.block_on(other).unwrap();
    /// rt.block_on(blocker).unwrap();
    /// assert!(other_ran_at.duration_since(started) < Duration::from_millis(300));
    /// ```
    pub fn stall_threshold(&mut self, threshold: Duration) -> &mut Self {
        self.stall_threshold = Some(threshold);
        self
    }

    /// Turns on the poll-time histogram of [`RuntimeMetrics`](super::RuntimeMetrics): each
    /// worker times every poll and counts it in a bucket (layout:
    /// [`metrics_poll_time_histogram_configuration`](Self::metrics_poll_time_histogram_configuration),
    /// default 10 linear buckets of 100 µs). Costs two clock reads per poll; off by default.
    pub fn enable_metrics_poll_time_histogram(&mut self) -> &mut Self {
        self.histogram_enabled = true;
        self
    }

    /// The poll-time histogram's buckets (linear or logarithmic). Has no effect unless
    /// [`enable_metrics_poll_time_histogram`](Self::enable_metrics_poll_time_histogram) is
    /// called too.
    pub fn metrics_poll_time_histogram_configuration(
        &mut self,
        configuration: HistogramConfiguration,
    ) -> &mut Self {
        self.histogram = Some(configuration);
        self
    }

    /// Reports every poll that takes longer than `threshold`, once, with the task's id, spawn
    /// location and the poll's duration: one line on standard error, or a call of the
    /// [`on_slow_poll`](Self::on_slow_poll) callback. Overrides `FILCH_SLOW_POLL_MS`. Off by
    /// default; `Duration::ZERO` turns it off. With it on, each poll costs two clock reads.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    ///
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let seen2 = seen.clone();
    /// let rt = filch_executor::runtime::Builder::new()
    ///     .slow_poll_threshold(Duration::from_millis(20))
    ///     .on_slow_poll(move |report| seen2.lock().unwrap().push(report.duration()))
    ///     .build()
    ///     .unwrap();
    /// rt.block_on(rt.spawn(async {
    ///     std::thread::sleep(Duration::from_millis(40));
    /// }))
    /// .unwrap();
    /// drop(rt); // joins the workers: the report has been made
    /// assert!(seen.lock().unwrap()[0] >= Duration::from_millis(40));
    /// ```
    pub fn slow_poll_threshold(&mut self, threshold: Duration) -> &mut Self {
        self.slow_poll_threshold = Some(threshold);
        self
    }

    /// Replaces the default slow-poll report (one line on standard error) with `f`, called on
    /// the worker thread right after the slow poll returns (so a task that finished in that poll
    /// may already have delivered its output to its `JoinHandle`). A panic in `f` is caught and reported on
    /// standard error. Has no effect without a threshold ([`slow_poll_threshold`](Self::slow_poll_threshold)
    /// or `FILCH_SLOW_POLL_MS`).
    pub fn on_slow_poll<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn(&SlowPollReport) + Send + Sync + 'static,
    {
        self.on_slow_poll = Some(Arc::new(f));
        self
    }

    /// Installs an I/O driver: `build` calls `factory` once and idle workers block in the driver
    /// it returns (see [`Driver`]). Without this, idle workers sleep on a condition variable.
    /// The `filch` facade installs its reactor here.
    pub fn driver<F>(&mut self, factory: F) -> &mut Self
    where
        F: Fn() -> io::Result<Arc<dyn Driver>> + Send + Sync + 'static,
    {
        self.driver = Some(Arc::new(factory));
        self
    }

    /// Starts the runtime's worker threads.
    ///
    /// # Errors
    ///
    /// `io::ErrorKind::InvalidInput` if a count is `0` or too large (more than 32 767 workers or
    /// 100 000 blocking threads), if the stack size is below 256 KiB, or if
    /// `FILCH_WORKER_THREADS` / `FILCH_MAX_BLOCKING_THREADS` (read only when the builder did
    /// not set the value) is not a whole number of at least 1; the message names the variable
    /// and the value. An error of kind `Other` if the `on_thread_start` hook panicked on a
    /// worker; its message carries the panic's. Other errors come from the driver factory or
    /// from the OS refusing a thread (the message names the thread and what to change; the kind
    /// is the OS error's).
    ///
    /// ```
    /// let err = filch_executor::runtime::Builder::new().worker_threads(0).build().unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    pub fn build(&mut self) -> io::Result<Runtime> {
        let config = self.config()?;
        let driver: Arc<dyn Driver> = match &self.driver {
            Some(factory) => factory()?,
            None => Arc::new(CondvarDriver::new()),
        };
        if self.current_thread {
            return Ok(crate::scheduler::current_thread::start(config, driver));
        }
        start(config, driver)
    }

    fn config(&self) -> io::Result<Config> {
        let worker_threads = if self.current_thread {
            // No workers: `Handle::worker_threads` reports 1 (the `block_on` thread).
            0
        } else {
            match self.worker_threads {
                Some(n) => check_count(n, "worker thread", "Builder::worker_threads", MAX_WORKERS)?,
                None => from_env(WORKER_THREADS_ENV, MAX_WORKERS, "the number of CPUs")?
                    .unwrap_or_else(|| num_cpus::get().clamp(1, MAX_WORKERS)),
            }
        };
        let max_blocking_threads = match self.max_blocking_threads {
            Some(n) => check_count(
                n,
                "blocking thread",
                "Builder::max_blocking_threads",
                MAX_BLOCKING_THREADS,
            )?,
            None => from_env(MAX_BLOCKING_THREADS_ENV, MAX_BLOCKING_THREADS, "512")?
                .unwrap_or(DEFAULT_MAX_BLOCKING),
        };
        let stack_size = self.stack_size.unwrap_or(DEFAULT_STACK_SIZE);
        if stack_size < MIN_STACK_SIZE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "Builder::thread_stack_size({stack_size}) is too small: the least filch \
                     accepts is {MIN_STACK_SIZE} bytes (256 KiB), the default is \
                     {DEFAULT_STACK_SIZE} (2 MiB)"
                ),
            ));
        }
        let stall_threshold = match self.stall_threshold {
            Some(d) => d,
            None => match std::env::var_os(STALL_THRESHOLD_ENV) {
                None => crate::scheduler::watchdog::DEFAULT_STALL_THRESHOLD,
                Some(value) => {
                    Duration::from_millis(parse_millis(STALL_THRESHOLD_ENV, value, "100")?)
                }
            },
        };
        let slow_poll_threshold = match self.slow_poll_threshold {
            Some(d) => d,
            None => match std::env::var_os(SLOW_POLL_ENV) {
                None => Duration::ZERO,
                Some(value) => Duration::from_millis(parse_millis(SLOW_POLL_ENV, value, "0, off")?),
            },
        };
        let histogram = self
            .histogram_enabled
            .then(|| Histogram::new(self.histogram.unwrap_or_default()));
        Ok(Config {
            // No monitor on a current-thread runtime (`scheduler/current_thread.rs`).
            stall_threshold: (!stall_threshold.is_zero() && !self.current_thread)
                .then_some(stall_threshold),
            worker_threads,
            max_blocking_threads,
            keep_alive: self.keep_alive.unwrap_or(DEFAULT_KEEP_ALIVE),
            stack_size,
            on_thread_start: self.on_thread_start.clone(),
            on_thread_stop: self.on_thread_stop.clone(),
            histogram,
            slow_poll_threshold: (!slow_poll_threshold.is_zero()).then_some(slow_poll_threshold),
            on_slow_poll: self.on_slow_poll.clone(),
        })
    }
}

fn check_count(n: usize, what: &str, setter: &str, max: usize) -> io::Result<usize> {
    if n == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{setter}(0) is invalid: a runtime needs at least 1 {what}"),
        ));
    }
    if n > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{setter}({n}) is too large: the most filch supports is {max}"),
        ));
    }
    Ok(n)
}

/// Reads a positive count from the environment. `Ok(None)` when the variable is unset.
pub(crate) fn from_env(name: &str, max: usize, default: &str) -> io::Result<Option<usize>> {
    match std::env::var_os(name) {
        None => Ok(None),
        Some(value) => parse_env(name, value, max, default).map(Some),
    }
}

fn parse_env(name: &str, value: OsString, max: usize, default: &str) -> io::Result<usize> {
    let fix = format!(
        "set it to a whole number of at least 1 (for example {name}=4), \
         or unset it to use the default ({default})"
    );
    let invalid =
        |what: String| io::Error::new(io::ErrorKind::InvalidInput, format!("{what}; {fix}"));
    let Some(text) = value.to_str() else {
        return Err(invalid(format!("{name}={value:?} is not valid UTF-8")));
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(invalid(format!("{name} is set but empty")));
    }
    match trimmed.parse::<usize>() {
        Ok(0) => Err(invalid(format!(
            "{name}=\"{text}\" is invalid: 0 threads cannot run anything"
        ))),
        Ok(n) if n > max => Err(invalid(format!(
            "{name}=\"{text}\" is too large: the most filch supports is {max}"
        ))),
        Ok(n) => Ok(n),
        Err(_) if trimmed.starts_with('-') => Err(invalid(format!(
            "{name}=\"{text}\" is invalid: a thread count cannot be negative"
        ))),
        Err(_) if trimmed.bytes().all(|b| b.is_ascii_digit()) => Err(invalid(format!(
            "{name}=\"{text}\" is too large: the most filch supports is {max}"
        ))),
        Err(_) => Err(invalid(format!("{name}=\"{text}\" is not a number"))),
    }
}

/// Reads a duration in milliseconds (`0` allowed: it turns the feature off). `default` is what
/// the message says unsetting gives.
fn parse_millis(name: &str, value: OsString, default: &str) -> io::Result<u64> {
    let invalid = |what: String| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{what}; set it to a whole number of milliseconds (for example {name}=100, or \
                 {name}=0 to turn it off), or unset it to use the default ({default})"
            ),
        )
    };
    let Some(text) = value.to_str() else {
        return Err(invalid(format!("{name}={value:?} is not valid UTF-8")));
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(invalid(format!("{name} is set but empty")));
    }
    match trimmed.parse::<u64>() {
        Ok(n) if n <= MAX_STALL_THRESHOLD_MS => Ok(n),
        Ok(_) => Err(invalid(format!(
            "{name}=\"{text}\" is too large: the most filch supports is {MAX_STALL_THRESHOLD_MS} \
             (a day)"
        ))),
        Err(_) if trimmed.starts_with('-') => Err(invalid(format!(
            "{name}=\"{text}\" is invalid: a duration cannot be negative"
        ))),
        Err(_) if trimmed.bytes().all(|b| b.is_ascii_digit()) => Err(invalid(format!(
            "{name}=\"{text}\" is too large: the most filch supports is {MAX_STALL_THRESHOLD_MS} \
             (a day)"
        ))),
        Err(_) => Err(invalid(format!("{name}=\"{text}\" is not a number"))),
    }
}

/// A day: a longer stall threshold is a mistake, not a setting.
const MAX_STALL_THRESHOLD_MS: u64 = 24 * 60 * 60 * 1000;

/// Starts a runtime thread counted in `latch`. With `hooks`, the thread runs the start hook
/// first and tells `started` how it went (it goes on only if the hook did not panic), and runs
/// the stop hook last. A panic in `body` (the driver) aborts: the other workers count on this
/// one, and unwinding would leave the scheduler's bookkeeping inconsistent.
pub(crate) fn spawn_runtime_thread(
    name: String,
    handle: &Handle,
    latch: &Arc<WorkerLatch>,
    hooks: bool,
    started: impl FnOnce(Result<(), String>) + Send + 'static,
    body: impl FnOnce(Handle) + Send + 'static,
) -> io::Result<std::thread::JoinHandle<()>> {
    let handle2 = handle.clone();
    let latch2 = latch.clone();
    let builder = std::thread::Builder::new()
        .name(name.clone())
        .stack_size(handle.shared.config.stack_size);
    let running = latch.started();
    let spawned = builder.spawn(move || {
        struct Exit(Arc<WorkerLatch>);
        impl Drop for Exit {
            fn drop(&mut self) {
                self.0.exited();
            }
        }
        let _exit = Exit(latch2);
        let config = &handle2.shared.config;
        if hooks {
            let result = run_start_hook(config.on_thread_start.as_ref());
            let ok = result.is_ok();
            started(result);
            if !ok {
                return;
            }
        }
        let stop = config.on_thread_stop.clone().filter(|_| hooks);
        {
            let _abort = crate::context::AbortOnPanic("a worker thread (in the driver)");
            body(handle2);
        }
        run_stop_hook(stop.as_ref());
    });
    spawned.map_err(|err| {
        latch.exited();
        thread_start_error(&name, running, err)
    })
}

fn start(config: Config, driver: Arc<dyn Driver>) -> io::Result<Runtime> {
    let shared_driver = crate::loom::sync::Arc::new(SharedDriver::new(driver));
    let n = config.worker_threads;
    let mut locals = Vec::with_capacity(n);
    let mut remotes = Vec::with_capacity(2 * n);
    let mut parkers = Vec::with_capacity(n);
    let mut extra_slots = Vec::with_capacity(n);
    // Slots 0..n are the workers; n..2n wait for compensating workers (`watchdog.rs`).
    for index in 0..2 * n {
        let (local, remote, parker) = worker::new_parts(shared_driver.clone());
        remotes.push(crossbeam_utils::CachePadded::new(remote));
        if index < n {
            locals.push(local);
            parkers.push(parker);
        } else {
            extra_slots.push(FreeSlot {
                index,
                queues: local,
                parker,
            });
        }
    }
    // Claimed from the back: the lowest slot first.
    extra_slots.reverse();
    let blocking = BlockingPool::new(&config);
    let extras = Extras::new(n, extra_slots);
    let shared = Shared::new(
        remotes.into_boxed_slice(),
        extras,
        shared_driver,
        blocking,
        config,
    );
    let handle = Handle {
        shared: crate::loom::sync::Arc::new(shared),
    };
    let latch = Arc::new(WorkerLatch::default());
    let mut threads = Vec::with_capacity(n + 1);
    // Each worker reports whether its start hook finished or panicked.
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<(usize, Result<(), String>)>();
    for (index, (local, parker)) in locals.into_iter().zip(parkers).enumerate() {
        let ready = ready_tx.clone();
        let spawned = spawn_runtime_thread(
            format!("filch-worker-{index}"),
            &handle,
            &latch,
            true,
            // `build` may have given up already (another thread failed); nothing to tell then.
            move |started| drop(ready.send((index, started))),
            move |handle| worker::run(handle, index, local, parker),
        );
        match spawned {
            Ok(thread) => threads.push(thread),
            Err(err) => {
                // Stop what started; dropping the runtime runs the normal shutdown.
                drop(Runtime::from_parts(handle, latch, threads));
                return Err(err);
            }
        }
    }
    drop(ready_tx);
    // Wait for every worker's start hook, so a panic in one is reported here.
    let mut failed = None;
    for _ in 0..n {
        match ready_rx.recv() {
            Ok((index, Err(message))) => {
                failed.get_or_insert((index, message));
            }
            Ok((_, Ok(()))) => {}
            // Every sender is gone: all workers have reported (they cannot die before that).
            Err(_) => break,
        }
    }
    if let Some((index, message)) = failed {
        drop(Runtime::from_parts(handle, latch, threads));
        return Err(io::Error::other(format!(
            "the on_thread_start hook panicked on thread filch-worker-{index}: {message}; \
             the runtime was shut down"
        )));
    }
    let latch2 = latch.clone();
    let spawned = spawn_runtime_thread(
        "filch-monitor".to_string(),
        &handle,
        &latch,
        false,
        drop,
        move |handle| watchdog::run_monitor(&handle, &latch2),
    );
    match spawned {
        Ok(thread) => threads.push(thread),
        Err(err) => {
            drop(Runtime::from_parts(handle, latch, threads));
            return Err(err);
        }
    }
    Ok(Runtime::from_parts(handle, latch, threads))
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("worker_threads", &self.worker_threads)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .field("thread_keep_alive", &self.keep_alive)
            .field("thread_stack_size", &self.stack_size)
            .field("stall_threshold", &self.stall_threshold)
            .field("poll_time_histogram", &self.histogram_enabled)
            .field("slow_poll_threshold", &self.slow_poll_threshold)
            .field("driver", &self.driver.is_some())
            .field("current_thread", &self.current_thread)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn parse(value: &str) -> io::Result<usize> {
        parse_env("FILCH_TEST_VAR", value.into(), 100, "8")
    }

    #[test]
    fn accepts_positive_counts() {
        assert_eq!(parse("4").unwrap(), 4);
        assert_eq!(parse(" 12 ").unwrap(), 12);
    }

    #[test]
    fn rejects_bad_values_with_named_messages() {
        for (value, needle) in [
            ("0", "0 threads"),
            ("-3", "negative"),
            ("abc", "not a number"),
            ("", "empty"),
            ("4.5", "not a number"),
            ("1000", "too large"),
            ("99999999999999999999999", "too large"),
        ] {
            let err = parse(value).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{value}");
            let msg = err.to_string();
            assert!(msg.contains("FILCH_TEST_VAR"), "{msg}");
            assert!(msg.contains(needle), "{value}: {msg}");
            if !value.trim().is_empty() {
                assert!(msg.contains(value), "message shows the value: {msg}");
            }
        }
    }

    #[test]
    fn stall_threshold_values() {
        let ms = |v: &str| parse_millis("FILCH_STALL_THRESHOLD_MS", v.into(), "100");
        assert_eq!(ms("0").unwrap(), 0, "0 turns it off");
        assert_eq!(ms(" 250 ").unwrap(), 250);
        for (value, needle) in [
            ("-1", "negative"),
            ("abc", "not a number"),
            ("", "empty"),
            ("1.5", "not a number"),
            ("99999999999", "too large"),
            ("99999999999999999999999", "too large"),
        ] {
            let err = ms(value).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
            let msg = err.to_string();
            assert!(msg.contains("FILCH_STALL_THRESHOLD_MS"), "{msg}");
            assert!(msg.contains(needle), "{value}: {msg}");
            assert!(msg.contains("milliseconds"), "{msg}");
        }
    }

    #[test]
    fn rejects_non_utf8() {
        use std::os::unix::ffi::OsStringExt;
        let value = OsString::from_vec(vec![0x66, 0xff, 0x6f]);
        let err = parse_env("FILCH_TEST_VAR", value, 100, "8").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("not valid UTF-8"), "{err}");
    }
}
