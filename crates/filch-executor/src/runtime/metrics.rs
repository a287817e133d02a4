//! [`RuntimeMetrics`]: what a running runtime is doing, read from any thread, on by default.
//!
//! `Handle::metrics()` returns a [`RuntimeMetrics`], a cheap view (one `Arc` clone) whose
//! methods read the counters live; tokio's names throughout. Unlike tokio, nothing here needs an
//! unstable flag: every counter is always kept, because keeping it costs nothing measurable (see
//! "Cost" below and `docs/benchmarks.md`, "Cost of metrics"). `docs/observability.md` says how to
//! read the figures when a service is slow.
//!
//! # Where each figure lives and who writes it
//!
//! | figure | cell | writer | how |
//! |---|---|---|---|
//! | `worker_poll_count`, `worker_park_count`, `worker_noop_count`, `worker_steal_count`, `worker_steal_operations`, `worker_local_schedule_count`, `worker_total_busy_duration`, the poll-time histogram | the worker's [`WorkerMetrics`], one `CachePadded` cell per worker slot in `Shared::metrics` | the owning worker thread only | relaxed load + relaxed store |
//! | `budget_forced_yield_count` | the worker's `WorkerMetrics`; one shared cell for forced yields outside a worker (`block_on`) | the owning worker; any thread for the shared cell | load + store; `fetch_add` on the shared cell |
//! | `worker_overflow_count` | the worker's `WorkerMetrics` | the monitor thread (and a retiring compensating worker) | `fetch_add`: this path is rare (see below) |
//! | `spawned_tasks_count` | one counter beside each shard lock of the owner list (`scheduler/owned.rs`) | whoever holds that shard's lock (a spawn inserts the task there anyway) | load + store under the lock |
//! | `num_alive_tasks` | not counted: the occupied slots of the owner list | — | read under each shard's lock when asked |
//! | `stall_count` | the monitor (`scheduler/watchdog.rs`) | the monitor thread | load + store |
//! | `global_queue_depth`, `worker_local_queue_depth` | the queues themselves | — | `len()` of the injector / deque, read when asked |
//! | `num_blocking_threads`, `num_idle_blocking_threads`, `blocking_queue_depth` | the blocking pool's state (`blocking.rs`) | — | read under the pool's lock when asked |
//! | `io_driver_*`, `num_active_timers` | the driver (`Driver::metrics`; `filch-io` keeps them) | the driver | see `filch-io`'s `reactor.rs` |
//!
//! Reads are relaxed loads: a figure may be a moment old, and two figures read one after the
//! other are not a consistent snapshot of one instant (as in tokio). Counters are `u64` and
//! never reset; they wrap after 2^64 events (centuries).
//!
//! # Memory ordering, and why no read-modify-write
//!
//! A counter written by one thread only needs no atomic read-modify-write: the owner loads its
//! own last value (always in its cache) and stores the next one. `Relaxed` suffices because no
//! other memory is published through a counter: a reader only wants *some* recent value, and
//! relaxed atomics guarantee it never sees a torn one. A worker slot of a compensating worker
//! (`watchdog.rs`) is written by one thread at a time; the slot's hand-over between two such
//! threads goes through the slot list's lock, which orders the two writers.
//!
//! The worker cells are `CachePadded`, so a worker's stores never invalidate another worker's
//! line; a reader (`RuntimeMetrics`) pulls the line in shared state now and then, which costs the
//! owner one line transfer per read, not per event.
//!
//! # What is measured, and when the clock is read
//!
//! * Busy time is measured per park-to-park interval: the worker reads the clock when it wakes
//!   and when it parks (both already cost a system call or a condvar), and also at each
//!   maintenance tick (every `EVENT_INTERVAL` ticks) so a worker that never parks still shows as
//!   busy. A worker stuck inside one long poll shows that poll's time only once it returns.
//! * No clock is read around a poll unless *timing* is on: the poll-time histogram is enabled
//!   or a slow-poll threshold is set. Off, the poll path pays one branch on a flag the worker
//!   cached when it started (nothing in the task code: `task/raw.rs` knows nothing of timing).
//!   On, the scheduler reads the clock before and after each run of a task ([`TimedRun`]),
//!   which also adds the duration to the task's total in the owner list under its shard's lock
//!   (for `Handle::dump`). A run is a poll, or the cancellation of an aborted task's future.
//! * `worker_mean_poll_time`: with timing on, the total measured poll time over the number of
//!   polls; with timing off, busy time over the number of polls (so it also counts the scheduler's
//!   own work between polls: an upper bound).
//! * `worker_noop_count`: a wake-up after which the worker polled nothing before parking again.
//! * `worker_steal_count`: tasks taken from other workers' deques (the batch and the task run at
//!   once); `worker_steal_operations`: successful steal attempts. Taking from the global
//!   injector is not stealing.
//! * `worker_overflow_count`: filch's local deques are unbounded, so nothing overflows in tokio's
//!   sense. The figure counts the tasks that left this worker's queues for the global queue
//!   anyway: handed over by the monitor because the worker was stuck in one poll, or by a
//!   retiring compensating worker. Written with `fetch_add` by those threads: once per hand-over,
//!   not per task run.
//! * `worker_local_schedule_count`: tasks scheduled (spawned or woken) from this worker onto its
//!   own queues (LIFO slot, deque, or deferred yielders).
//!
//! # Workers
//!
//! The per-worker methods take an index `0..num_workers()` (the core workers; a current-thread
//! runtime has one, see below). Compensating workers (`filch-extra-{i}`) keep counters in their own slots;
//! they show in no per-worker figure, but their forced yields are in
//! `budget_forced_yield_count`. An index out of range panics, as in tokio, with a message that
//! names the range.
//!
//! # The current-thread flavour
//!
//! A current-thread runtime has one worker slot (index 0), written by the thread inside
//! `block_on` that holds the scheduler's core; `num_workers()` is 1 (tokio says 1 too). It
//! calls the same things as a worker: `bump(polls)` after each task poll and, with timing on,
//! [`TimedRun`]; busy time, parks and no-op wake-ups around each blocking driver park;
//! `bump(local_schedules)` when it queues onto its own queue. Its local queue depth is its local
//! schedules less its local pops (both counted by the loop). Steal and overflow counts stay 0. The
//! details are in `scheduler/current_thread.rs`, "Metrics". Forced yields there go to the
//! runtime's shared cell (no `WorkerCtx` is registered), which `budget_forced_yield_count` sums
//! too.
//!
//! # The poll-time histogram
//!
//! Off by default (`Builder::enable_metrics_poll_time_histogram`). Buckets are linear
//! ([`HistogramConfiguration::linear`], default: 10 buckets of 100 µs, tokio's legacy default)
//! or logarithmic ([`HistogramConfiguration::log`], each bucket twice as wide as the one before).
//! The last bucket is open-ended: its range ends at `Duration::MAX`. Each worker has its own
//! array of counters, written like the other worker counters.
//!
//! # Cost
//!
//! On the poll path with nothing enabled: one relaxed load and store to a line the worker
//! owns (its poll count; a plain counter in the worker's loop state, stored in the cell at
//! maintenance ticks and parks, was tried and measured no cheaper), one to the task header the
//! poll already wrote (the task's poll count), and one predictable branch on the cached timing
//! flag. Per spawn: the spawned count under the owner shard's lock the spawn takes anyway, the
//! spawn time (the worker's latest clock reading on a worker or current-thread loop, a clock
//! read elsewhere), and a local-schedule count. The task header did not grow
//! (`runtime/dump.rs`). `docs/benchmarks.md` ("Cost of metrics") has the figures.

use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

use super::Handle;

/// Adds `n` to a counter that only the calling thread writes (see the module docs: no
/// read-modify-write).
#[inline]
pub(crate) fn bump(cell: &AtomicU64, n: u64) {
    cell.store(cell.load(Relaxed).wrapping_add(n), Relaxed);
}

/// One worker slot's counters. Written only by the thread running that slot (except
/// `overflow`), read by anyone.
#[derive(Default)]
pub(crate) struct WorkerMetrics {
    pub(crate) polls: AtomicU64,
    pub(crate) parks: AtomicU64,
    pub(crate) noops: AtomicU64,
    pub(crate) steals: AtomicU64,
    pub(crate) steal_operations: AtomicU64,
    pub(crate) local_schedules: AtomicU64,
    /// Current-thread runtimes only: tasks taken off the core's own queue (its depth is
    /// `local_schedules - local_pops`).
    pub(crate) local_pops: AtomicU64,
    pub(crate) overflows: AtomicU64,
    pub(crate) forced_yields: AtomicU64,
    pub(crate) busy_nanos: AtomicU64,
    /// Total measured poll time (only while timing is on).
    pub(crate) poll_nanos: AtomicU64,
    /// Polls measured into `poll_nanos`.
    pub(crate) timed_polls: AtomicU64,
    /// Empty unless the histogram is enabled.
    pub(crate) histogram: Box<[AtomicU64]>,
}

impl WorkerMetrics {
    pub(crate) fn new(histogram: Option<&Histogram>) -> WorkerMetrics {
        WorkerMetrics {
            histogram: (0..histogram.map_or(0, |h| h.num_buckets))
                .map(|_| AtomicU64::new(0))
                .collect(),
            ..WorkerMetrics::default()
        }
    }

    /// Records one measured poll (owner only).
    #[inline]
    pub(crate) fn record_poll_time(&self, histogram: Option<&Histogram>, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        bump(&self.poll_nanos, nanos);
        bump(&self.timed_polls, 1);
        if let Some(h) = histogram {
            bump(&self.histogram[h.bucket(nanos)], 1);
        }
    }
}

/// The runtime's metric cells that are not elsewhere (see the module docs' table).
pub(crate) struct MetricsCells {
    /// One per worker slot (core workers, then the compensating workers' slots). In an `Arc`
    /// so the worker thread keeps a direct pointer to its own cell.
    pub(crate) workers: Box<[Arc<CachePadded<WorkerMetrics>>]>,
    /// Forced yields of futures run outside a worker (`block_on`).
    pub(crate) outside_forced_yields: AtomicU64,
    pub(crate) histogram: Option<Histogram>,
}

impl MetricsCells {
    pub(crate) fn new(slots: usize, histogram: Option<Histogram>) -> MetricsCells {
        MetricsCells {
            workers: (0..slots)
                .map(|_| Arc::new(CachePadded::new(WorkerMetrics::new(histogram.as_ref()))))
                .collect(),
            outside_forced_yields: AtomicU64::new(0),
            histogram,
        }
    }
}

thread_local! {
    /// A worker thread's latest clock reading (taken at its wake-ups, parks and maintenance
    /// ticks anyway): the spawn time of tasks spawned on that worker, so a spawn reads no clock.
    static RECENT_NOW: std::cell::Cell<Option<Instant>> = const { std::cell::Cell::new(None) };
}

/// Records the worker's latest clock reading (worker threads only).
#[inline]
pub(crate) fn set_recent_now(now: Instant) {
    RECENT_NOW.with(|c| c.set(Some(now)));
}

/// Forgets the thread's latest clock reading (a current-thread loop that ends: its thread is
/// no longer a worker).
#[inline]
pub(crate) fn clear_recent_now() {
    let _ = RECENT_NOW.try_with(|c| c.set(None));
}

/// The spawn time of a new task: the worker's latest clock reading on a worker thread (at most
/// one maintenance interval old, or one poll if that poll is long), the coarse clock elsewhere
/// ([`coarse_now`]).
#[inline]
pub(crate) fn spawn_time() -> Instant {
    RECENT_NOW
        .try_with(|c| c.get())
        .ok()
        .flatten()
        .unwrap_or_else(coarse_now)
}

/// The time now, to within one kernel tick (1–10 ms), for a spawn from a thread that is not a
/// runtime thread.
///
/// Such a thread keeps no recent reading, and `Instant::now` was the largest single cost of a
/// remote spawn (`docs/benchmarks.md`, "Cost of metrics"): about 30 ns here, reading the TSC
/// through the vDSO. On Linux `CLOCK_MONOTONIC_COARSE` is `CLOCK_MONOTONIC` (the clock behind
/// `Instant`) as of the last tick, read without the TSC (about 10 ns). It becomes an `Instant`
/// through one pair of readings taken the first time: `Instant::now()` and then
/// `CLOCK_MONOTONIC` through libc, the same clock a few nanoseconds later. The result is the
/// coarse reading on `Instant`'s scale, so it is never later than `Instant::now()` (beyond those
/// few nanoseconds) and never earlier by a tick or more: a task's age is its true age plus less
/// than a tick. Elsewhere, and under miri, it is `Instant::now`.
#[cfg(all(any(target_os = "linux", target_os = "android"), not(miri)))]
fn coarse_now() -> Instant {
    static BASE: std::sync::OnceLock<Option<(Instant, Duration)>> = std::sync::OnceLock::new();
    fn read(clock: libc::clockid_t) -> Option<Duration> {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable `timespec` for the call to fill in; both clock ids
        // are constants the kernel has had since 2.6.32 (on an error `ts` is not read).
        let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
        if rc != 0 {
            return None;
        }
        let secs = u64::try_from(ts.tv_sec).ok()?;
        let nanos = u32::try_from(ts.tv_nsec).ok()?;
        Some(Duration::new(secs, nanos))
    }
    let base = BASE.get_or_init(|| {
        let instant = Instant::now();
        read(libc::CLOCK_MONOTONIC).map(|monotonic| (instant, monotonic))
    });
    match (base, read(libc::CLOCK_MONOTONIC_COARSE)) {
        (Some((instant, monotonic)), Some(coarse)) => match coarse.checked_sub(*monotonic) {
            Some(since) => *instant + since,
            // A coarse reading older than the base pair (calls within a tick of the first):
            // the same mapping, counted backwards.
            None => instant.checked_sub(*monotonic - coarse).unwrap_or(*instant),
        },
        // The coarse clock is missing (a kernel without it): the precise one.
        _ => Instant::now(),
    }
}

#[cfg(not(all(any(target_os = "linux", target_os = "android"), not(miri))))]
fn coarse_now() -> Instant {
    Instant::now()
}

/// Counts a forced yield of the coop budget (`coop::poll_proceed` when the budget is spent):
/// on the worker's own cell, or on the runtime's shared cell outside a worker.
#[cold]
pub(crate) fn count_forced_yield() {
    crate::context::with_worker(|worker| match worker {
        Some(worker) => bump(&worker.metrics().forced_yields, 1),
        None => {
            let _ = crate::context::try_with_current(|handle| {
                handle
                    .shared
                    .metrics
                    .outside_forced_yields
                    .fetch_add(1, Relaxed);
            });
        }
    });
}

/// The bucket layout of the poll-time histogram (see
/// [`Builder::metrics_poll_time_histogram_configuration`](super::Builder::metrics_poll_time_histogram_configuration)).
///
/// ```
/// use std::time::Duration;
/// use filch::runtime::{Builder, HistogramConfiguration, LogHistogram};
///
/// let rt = Builder::new()
///     .worker_threads(1)
///     .enable_metrics_poll_time_histogram()
///     .metrics_poll_time_histogram_configuration(HistogramConfiguration::linear(
///         Duration::from_micros(50),
///         20,
///     ))
///     .build()
///     .unwrap();
/// let metrics = rt.handle().metrics();
/// assert_eq!(metrics.poll_time_histogram_num_buckets(), 20);
/// assert_eq!(
///     metrics.poll_time_histogram_bucket_range(1),
///     Duration::from_micros(50)..Duration::from_micros(100)
/// );
/// let log = HistogramConfiguration::log(LogHistogram::new(Duration::from_micros(10), 12));
/// # drop(log);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistogramConfiguration {
    kind: Kind,
    first_width_nanos: u64,
    num_buckets: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Linear,
    Log,
}

/// A logarithmic bucket layout: the first bucket is `[0, first_bucket_width)`, each later bucket
/// twice as wide as the one before (`[w, 2w)`, `[2w, 4w)`, ...), the last one open-ended.
///
/// tokio's `LogHistogram` is configured by precision and range; this one by the first bucket's
/// width and the count, which says the same thing for base-2 buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogHistogram {
    first_bucket_width: Duration,
    num_buckets: usize,
}

impl LogHistogram {
    /// `num_buckets` buckets, the first `[0, first_bucket_width)`. A zero width is taken as
    /// 1 ns, fewer than 2 buckets as 2, more than 64 as 64 (wider buckets than 2^63 times the
    /// first could not be told apart).
    pub fn new(first_bucket_width: Duration, num_buckets: usize) -> LogHistogram {
        LogHistogram {
            first_bucket_width,
            num_buckets,
        }
    }
}

impl HistogramConfiguration {
    /// `num_buckets` buckets of `bucket_width` each: `[0, w)`, `[w, 2w)`, ...; the last is
    /// open-ended. A zero width is taken as 1 ns, zero buckets as 1.
    pub fn linear(bucket_width: Duration, num_buckets: usize) -> HistogramConfiguration {
        HistogramConfiguration {
            kind: Kind::Linear,
            first_width_nanos: nanos(bucket_width).max(1),
            num_buckets: num_buckets.max(1),
        }
    }

    /// Logarithmic buckets (see [`LogHistogram`]).
    pub fn log(histogram: impl Into<LogHistogram>) -> HistogramConfiguration {
        let h = histogram.into();
        HistogramConfiguration {
            kind: Kind::Log,
            first_width_nanos: nanos(h.first_bucket_width).max(1),
            num_buckets: h.num_buckets.clamp(2, 64),
        }
    }
}

impl Default for HistogramConfiguration {
    /// 10 linear buckets of 100 µs (tokio's legacy default).
    fn default() -> Self {
        HistogramConfiguration::linear(Duration::from_micros(100), 10)
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The resolved histogram layout a runtime uses.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Histogram {
    kind: Kind,
    width: u64,
    pub(crate) num_buckets: usize,
}

impl Histogram {
    pub(crate) fn new(config: HistogramConfiguration) -> Histogram {
        Histogram {
            kind: config.kind,
            width: config.first_width_nanos,
            num_buckets: config.num_buckets,
        }
    }

    /// The bucket a poll of `nanos` falls in.
    #[inline]
    pub(crate) fn bucket(&self, nanos: u64) -> usize {
        let last = self.num_buckets - 1;
        let i = match self.kind {
            Kind::Linear => usize::try_from(nanos / self.width).unwrap_or(usize::MAX),
            Kind::Log => {
                let q = nanos / self.width;
                if q == 0 {
                    0
                } else {
                    // q in [2^k, 2^(k+1)) -> bucket k + 1.
                    (64 - q.leading_zeros()) as usize
                }
            }
        };
        i.min(last)
    }

    /// The range of durations bucket `i` counts.
    pub(crate) fn range(&self, i: usize) -> Range<Duration> {
        let (start, end) = match self.kind {
            Kind::Linear => (
                self.width.saturating_mul(i as u64),
                self.width.saturating_mul(i as u64 + 1),
            ),
            Kind::Log => {
                if i == 0 {
                    (0, self.width)
                } else {
                    let lo = 1u64.checked_shl(i as u32 - 1).unwrap_or(u64::MAX);
                    let hi = 1u64.checked_shl(i as u32).unwrap_or(u64::MAX);
                    (self.width.saturating_mul(lo), self.width.saturating_mul(hi))
                }
            }
        };
        let end = if i + 1 == self.num_buckets {
            Duration::MAX
        } else {
            Duration::from_nanos(end)
        };
        Duration::from_nanos(start)..end
    }
}

/// Figures of a running runtime; see [`Handle::metrics`]. Each method reads the live value
/// (relaxed), so one `RuntimeMetrics` can be kept and read again and again. Holding it keeps the
/// runtime's shared state alive (not its threads).
///
/// ```
/// let rt = filch::runtime::Builder::new().worker_threads(2).build().unwrap();
/// let metrics = rt.handle().metrics();
/// let before = metrics.spawned_tasks_count();
/// rt.block_on(async {
///     filch::spawn(async {}).await.unwrap();
/// });
/// assert_eq!(metrics.spawned_tasks_count(), before + 1);
/// assert_eq!(metrics.num_workers(), 2);
/// ```
#[derive(Clone)]
pub struct RuntimeMetrics {
    handle: Handle,
}

impl RuntimeMetrics {
    pub(crate) fn new(handle: Handle) -> RuntimeMetrics {
        RuntimeMetrics { handle }
    }

    fn cells(&self) -> &MetricsCells {
        &self.handle.shared.metrics
    }

    #[track_caller]
    fn worker(&self, worker: usize) -> &WorkerMetrics {
        let n = self.num_workers();
        assert!(
            worker < n,
            "worker index {worker} is out of range: this runtime has {n} workers (0..{n}); \
             iterate over 0..metrics.num_workers()"
        );
        &self.cells().workers[worker]
    }

    /// The number of worker threads (not counting compensating workers); 1 on a current-thread
    /// runtime (worker 0: the thread inside `block_on` that holds the scheduler's core).
    pub fn num_workers(&self) -> usize {
        if self.handle.shared.current_thread.is_some() {
            1
        } else {
            self.handle.shared.num_core
        }
    }

    /// Tasks spawned and not yet finished (or, at shutdown, cancelled). Blocking work
    /// (`spawn_blocking`) is not counted.
    pub fn num_alive_tasks(&self) -> usize {
        self.handle.shared.owned.alive()
    }

    /// Tasks spawned since the runtime started (blocking work not counted).
    pub fn spawned_tasks_count(&self) -> u64 {
        self.handle.shared.owned.spawned()
    }

    /// Tasks waiting in the global queue (the injector): spawned or woken from outside the
    /// workers, or handed over from a stuck worker.
    pub fn global_queue_depth(&self) -> usize {
        self.handle.shared.injector.len()
    }

    /// How many times a task used up its cooperative budget (`coop`) and was made to yield.
    pub fn budget_forced_yield_count(&self) -> u64 {
        let cells = self.cells();
        cells
            .workers
            .iter()
            .map(|w| w.forced_yields.load(Relaxed))
            .fold(cells.outside_forced_yields.load(Relaxed), u64::wrapping_add)
    }

    /// How many stalls the monitor has reported: a task stuck in one poll for longer than the
    /// stall threshold (`Builder::stall_threshold`), each task counted once.
    pub fn stall_count(&self) -> u64 {
        self.handle.shared.monitor.stall_count()
    }

    /// Threads of the blocking pool now (busy or idle).
    pub fn num_blocking_threads(&self) -> usize {
        self.handle.shared.blocking.counts().0
    }

    /// Threads of the blocking pool waiting for work.
    pub fn num_idle_blocking_threads(&self) -> usize {
        self.handle.shared.blocking.counts().1
    }

    /// Blocking work queued because every blocking thread is busy and the pool is at its
    /// limit (`max_blocking_threads`), or waiting for a thread that is starting.
    pub fn blocking_queue_depth(&self) -> usize {
        self.handle.shared.blocking.counts().2
    }

    /// Readiness events the I/O driver has handed to sockets (0 without an I/O driver).
    pub fn io_driver_ready_count(&self) -> u64 {
        self.handle.driver().metrics().ready_count
    }

    /// File descriptors registered with the I/O driver so far.
    pub fn io_driver_fd_registered_count(&self) -> u64 {
        self.handle.driver().metrics().fd_registered_count
    }

    /// File descriptors deregistered from the I/O driver so far.
    pub fn io_driver_fd_deregistered_count(&self) -> u64 {
        self.handle.driver().metrics().fd_deregistered_count
    }

    /// Timers (sleeps, timeouts, intervals) waiting in the driver's timer wheel now.
    pub fn num_active_timers(&self) -> usize {
        self.handle.driver().metrics().num_active_timers
    }

    /// How many times `worker` parked (went to sleep for lack of work).
    ///
    /// # Panics
    ///
    /// If `worker >= num_workers()`; likewise every `worker_*` method.
    #[track_caller]
    pub fn worker_park_count(&self, worker: usize) -> u64 {
        self.worker(worker).parks.load(Relaxed)
    }

    /// How many times `worker` woke up and parked again without polling a task.
    #[track_caller]
    pub fn worker_noop_count(&self, worker: usize) -> u64 {
        self.worker(worker).noops.load(Relaxed)
    }

    /// Tasks `worker` stole from other workers.
    #[track_caller]
    pub fn worker_steal_count(&self, worker: usize) -> u64 {
        self.worker(worker).steals.load(Relaxed)
    }

    /// Successful steals by `worker` (each takes one or more tasks).
    #[track_caller]
    pub fn worker_steal_operations(&self, worker: usize) -> u64 {
        self.worker(worker).steal_operations.load(Relaxed)
    }

    /// Task polls `worker` has run.
    #[track_caller]
    pub fn worker_poll_count(&self, worker: usize) -> u64 {
        self.worker(worker).polls.load(Relaxed)
    }

    /// Time `worker` spent awake (running tasks and looking for them), as opposed to parked.
    /// Updated when the worker parks and every few dozen polls (on a current-thread runtime,
    /// also when `block_on` returns: the time inside it not spent parked).
    #[track_caller]
    pub fn worker_total_busy_duration(&self, worker: usize) -> Duration {
        Duration::from_nanos(self.worker(worker).busy_nanos.load(Relaxed))
    }

    /// Tasks queued on `worker` now: its LIFO slot and its deque (where yielded tasks wait too).
    #[track_caller]
    pub fn worker_local_queue_depth(&self, worker: usize) -> usize {
        let w = self.worker(worker);
        if self.handle.shared.current_thread.is_some() {
            if self.handle.shared.is_shutdown() {
                // Drained (or being drained) by shutdown.
                return 0;
            }
            // Two relaxed loads of counters the loop's thread writes: a moment off at most
            // while it runs (never below zero).
            let pops = w.local_pops.load(Relaxed);
            let pushes = w.local_schedules.load(Relaxed);
            return usize::try_from(pushes.saturating_sub(pops)).unwrap_or(usize::MAX);
        }
        let remote = &self.handle.shared.remotes[worker];
        remote.stealer.len() + usize::from(remote.has_lifo())
    }

    /// Tasks scheduled from `worker` onto its own queues (spawned or woken there).
    #[track_caller]
    pub fn worker_local_schedule_count(&self, worker: usize) -> u64 {
        self.worker(worker).local_schedules.load(Relaxed)
    }

    /// Tasks moved from `worker`'s queues to the global queue (see the module docs: filch's
    /// deques never overflow; this counts hand-overs of a stuck worker's queue).
    #[track_caller]
    pub fn worker_overflow_count(&self, worker: usize) -> u64 {
        self.worker(worker).overflows.load(Relaxed)
    }

    /// Mean time of one poll on `worker`: measured when the poll-time histogram or a slow-poll
    /// threshold is on, otherwise busy time over polls (an upper bound). Zero before any poll.
    #[track_caller]
    pub fn worker_mean_poll_time(&self, worker: usize) -> Duration {
        let w = self.worker(worker);
        let timed = w.timed_polls.load(Relaxed);
        if let Some(mean) = w.poll_nanos.load(Relaxed).checked_div(timed) {
            return Duration::from_nanos(mean);
        }
        let polls = w.polls.load(Relaxed);
        Duration::from_nanos(w.busy_nanos.load(Relaxed).checked_div(polls).unwrap_or(0))
    }

    /// Whether the poll-time histogram is on
    /// ([`Builder::enable_metrics_poll_time_histogram`](super::Builder::enable_metrics_poll_time_histogram)).
    pub fn poll_time_histogram_enabled(&self) -> bool {
        self.cells().histogram.is_some()
    }

    /// The number of histogram buckets (0 when the histogram is off). tokio's name; the same
    /// figure as [`poll_time_histogram_bucket_count`](Self::poll_time_histogram_bucket_count).
    pub fn poll_time_histogram_num_buckets(&self) -> usize {
        self.cells().histogram.map_or(0, |h| h.num_buckets)
    }

    /// The number of histogram buckets (0 when the histogram is off): the name issue 15 gives
    /// [`poll_time_histogram_num_buckets`](Self::poll_time_histogram_num_buckets) (tokio's), which
    /// it returns. Both names are kept; they always agree.
    ///
    /// ```
    /// let rt = filch::runtime::Builder::new()
    ///     .worker_threads(1)
    ///     .enable_metrics_poll_time_histogram()
    ///     .build()
    ///     .unwrap();
    /// let metrics = rt.handle().metrics();
    /// assert_eq!(metrics.poll_time_histogram_bucket_count(), 10);
    /// assert_eq!(
    ///     metrics.poll_time_histogram_bucket_count(),
    ///     metrics.poll_time_histogram_num_buckets()
    /// );
    /// ```
    pub fn poll_time_histogram_bucket_count(&self) -> usize {
        self.poll_time_histogram_num_buckets()
    }

    /// The poll durations bucket `bucket` counts; the last bucket ends at `Duration::MAX`.
    ///
    /// # Panics
    ///
    /// If the histogram is off or `bucket` is out of range.
    #[track_caller]
    pub fn poll_time_histogram_bucket_range(&self, bucket: usize) -> Range<Duration> {
        let h = self.histogram(bucket);
        h.range(bucket)
    }

    /// Polls on `worker` whose duration fell in `bucket`.
    ///
    /// # Panics
    ///
    /// If the histogram is off, or `worker` or `bucket` is out of range.
    #[track_caller]
    pub fn worker_poll_time_histogram_bucket_count(&self, worker: usize, bucket: usize) -> u64 {
        self.histogram(bucket);
        self.worker(worker).histogram[bucket].load(Relaxed)
    }

    #[track_caller]
    fn histogram(&self, bucket: usize) -> Histogram {
        let Some(h) = self.cells().histogram else {
            panic!(
                "the poll-time histogram is off: enable it with \
                 Builder::enable_metrics_poll_time_histogram()"
            );
        };
        assert!(
            bucket < h.num_buckets,
            "histogram bucket {bucket} is out of range: there are {} buckets",
            h.num_buckets
        );
        h
    }
}

impl fmt::Debug for RuntimeMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeMetrics")
            .field("num_workers", &self.num_workers())
            .field("num_alive_tasks", &self.num_alive_tasks())
            .field("spawned_tasks_count", &self.spawned_tasks_count())
            .field("global_queue_depth", &self.global_queue_depth())
            .finish_non_exhaustive()
    }
}

/// One poll that took longer than the slow-poll threshold
/// ([`Builder::slow_poll_threshold`](super::Builder::slow_poll_threshold)), as given to the
/// [`on_slow_poll`](super::Builder::on_slow_poll) callback.
#[derive(Debug, Clone)]
pub struct SlowPollReport {
    pub(crate) id: crate::task::Id,
    pub(crate) location: &'static std::panic::Location<'static>,
    pub(crate) duration: Duration,
    pub(crate) worker: usize,
}

impl SlowPollReport {
    /// The task's id.
    pub fn id(&self) -> crate::task::Id {
        self.id
    }

    /// Where the task was spawned (the caller of `spawn`, through `#[track_caller]`).
    pub fn location(&self) -> &'static std::panic::Location<'static> {
        self.location
    }

    /// How long the poll took.
    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// The index of the worker that ran the poll (`num_workers()` and above: a compensating
    /// worker).
    pub fn worker(&self) -> usize {
        self.worker
    }
}

impl fmt::Display for SlowPollReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "filch: slow poll: task {} spawned at {} took {:.1} ms in one poll on worker {} \
             (threshold: Builder::slow_poll_threshold / FILCH_SLOW_POLL_MS); move blocking \
             work to spawn_blocking or split the computation with yield_now",
            self.id,
            self.location,
            self.duration.as_secs_f64() * 1000.0,
            self.worker
        )
    }
}

/// What a scheduler notes before running a task with timing on (see [`TimedRun::finish`]).
pub(crate) struct TimedRun {
    started: Instant,
    id: u64,
    slot: u32,
    location: &'static std::panic::Location<'static>,
}

impl TimedRun {
    /// Before `Notified::run`, with timing on: the clock and what identifies the task (it may
    /// be gone after the run).
    #[cold]
    pub(crate) fn start(task: &crate::task::Notified) -> TimedRun {
        TimedRun {
            id: task.id(),
            slot: task.owner_slot(),
            location: task.location(),
            started: Instant::now(),
        }
    }

    /// After the run, on the same thread: the histogram, the mean poll time, the task's own
    /// poll time (in the owner list) and the slow-poll check. Shared by the multi-thread
    /// workers and the current-thread loop; `worker` is the index a report names.
    #[cold]
    pub(crate) fn finish(
        self,
        shared: &crate::scheduler::Shared,
        metrics: &WorkerMetrics,
        worker: usize,
    ) {
        let elapsed = self.started.elapsed();
        let TimedRun {
            id, slot, location, ..
        } = self;
        let config = &shared.config;
        metrics.record_poll_time(shared.metrics.histogram.as_ref(), elapsed);
        shared.owned.add_poll_time(
            id,
            slot,
            u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX),
        );
        if config.slow_poll_threshold.is_some_and(|t| elapsed >= t) {
            let report = SlowPollReport {
                id: crate::task::Id::from_u64(id),
                location,
                duration: elapsed,
                worker,
            };
            report_slow_poll(config.on_slow_poll.as_ref(), &report);
        }
    }
}

/// The callback that receives slow-poll reports.
pub(crate) type SlowPollCallback = std::sync::Arc<dyn Fn(&SlowPollReport) + Send + Sync>;

/// Delivers a report: to the callback (a panic in it is caught and reported, the worker goes
/// on), or as one line on stderr.
pub(crate) fn report_slow_poll(callback: Option<&SlowPollCallback>, report: &SlowPollReport) {
    match callback {
        Some(f) => {
            let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(report)));
            if let Err(payload) = caught {
                super::report(&format!(
                    "filch: the on_slow_poll callback panicked: {}; the report was: {report}",
                    super::config::panic_message(&*payload)
                ));
            }
        }
        None => super::report(&report.to_string()),
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// The task header stays at its size before metrics (48 bytes on 64-bit targets): per-task
    /// figures live elsewhere unless they fit in padding (`runtime/dump.rs`, "the decision").
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn the_task_header_did_not_grow() {
        assert_eq!(std::mem::size_of::<crate::task::raw::Header>(), 48);
    }

    /// The coarse clock of remote spawns is never ahead of `Instant::now`, stays within a tick
    /// behind it and moves with it (a tick is 10 ms at most; 25 ms of slack for a loaded
    /// machine, 1 ms ahead for the base pair's two readings).
    #[test]
    fn coarse_now_follows_the_precise_clock() {
        let slack = Duration::from_millis(25);
        let first = coarse_now();
        for _ in 0..5 {
            let before = Instant::now();
            let coarse = coarse_now();
            let after = Instant::now();
            assert!(coarse + slack >= before, "{coarse:?} is behind {before:?}");
            assert!(
                coarse <= after + Duration::from_millis(1),
                "{coarse:?} is ahead of {after:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(coarse_now() >= first + Duration::from_millis(100) - slack);
    }

    #[test]
    fn linear_buckets() {
        let h = Histogram::new(HistogramConfiguration::linear(Duration::from_nanos(100), 4));
        assert_eq!(h.bucket(0), 0);
        assert_eq!(h.bucket(99), 0);
        assert_eq!(h.bucket(100), 1);
        assert_eq!(h.bucket(399), 3);
        assert_eq!(h.bucket(10_000), 3);
        assert_eq!(
            h.range(1),
            Duration::from_nanos(100)..Duration::from_nanos(200)
        );
        assert_eq!(h.range(3).end, Duration::MAX);
    }

    #[test]
    fn log_buckets_agree_with_their_ranges() {
        let h = Histogram::new(HistogramConfiguration::log(LogHistogram::new(
            Duration::from_nanos(10),
            8,
        )));
        assert_eq!(h.bucket(9), 0);
        assert_eq!(h.bucket(10), 1);
        assert_eq!(h.bucket(19), 1);
        assert_eq!(h.bucket(20), 2);
        assert_eq!(h.bucket(40), 3);
        assert_eq!(h.bucket(u64::MAX), 7);
        for nanos in [
            0u64, 5, 10, 15, 20, 39, 40, 79, 80, 640, 1279, 1280, 100_000,
        ] {
            let b = h.bucket(nanos);
            let r = h.range(b);
            let d = Duration::from_nanos(nanos);
            assert!(r.contains(&d), "{nanos} ns in bucket {b} = {r:?}");
        }
    }
}
