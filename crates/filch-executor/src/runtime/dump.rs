//! [`TaskDump`]: every alive task of a runtime, listed from any thread while it runs.
//!
//! `Handle::dump()` walks the owner list (`scheduler/owned.rs`), one shard at a time under that
//! shard's lock, and copies out each task's header fields. It needs no unstable flag and no
//! platform support, and it stops no worker: spawns and completions that hash to the shard being
//! copied wait for that shard's lock (a few hundred nanoseconds per task in it).
//!
//! # How approximate it is
//!
//! * The list is not one instant: a task spawned after its shard was copied is missing, a task
//!   that completed after its shard was copied is listed.
//! * `state` is read from the task's state word (one relaxed load): `Running` when the RUNNING
//!   bit is set, else `Scheduled` when NOTIFIED is set (queued somewhere, or about to be), else
//!   `Idle` (waiting for a wake), `Complete` when the future has finished but the task has not yet
//!   left the list. The worker of a running task is found by looking for its id among the
//!   workers' "polling now" records; a task that just started or finished its poll may show as
//!   `Running { worker: None }`. On a current-thread runtime only the thread holding the core
//!   polls tasks, so a running task shows as `Running { worker: Some(0) }` (also in the rare
//!   moment when another thread holds RUNNING to cancel it at shutdown).
//! * `polls` counts polls that have returned (kept in the task header by the polling thread;
//!   32 bits, so it wraps after 2^32 polls).
//! * `total_poll_time` is measured only while timing is on (the poll-time histogram or a
//!   slow-poll threshold, see `metrics.rs`); otherwise it is zero. It is added after each poll
//!   returns, so a poll in progress is not in it.
//! * `age` is the time since the spawn. A task spawned on a worker gets that worker's latest
//!   clock reading as its spawn time (taken at its last wake-up or maintenance tick, so it may be
//!   early by up to one long poll); a task spawned elsewhere, the coarse clock's reading
//!   (`CLOCK_MONOTONIC_COARSE` on Linux: early by less than one kernel tick, 1–10 ms; a precise
//!   reading on other platforms). Either way the age is never less than the true age.
//!
//! Blocking work (`spawn_blocking`) is not in the owner list and not in the dump.
//!
//! # Per-task counters: the decision
//!
//! The dump needs, per task, a poll count, a poll time and a spawn time. Measured first as 32
//! more header bytes (spawn `Instant`, 64-bit poll count, poll time), they cost +21 % of
//! instructions on the `spawn_many_local` benchmark, nearly all in `malloc`/`free`: the task
//! allocation grew past glibc's fastbin limit. The header kept its size (48 bytes, as before
//! metrics):
//!
//! * the poll count is 32 bits (it wraps after 2^32 polls) and shares a word with the owner
//!   list's slot index, which became 32 bits too; written with a relaxed load + store by the
//!   thread holding RUNNING, on the header line the poll has just written;
//! * the poll time is not in the header: it is only measured while timing is on, and then the
//!   scheduler adds each run's duration to a per-shard map of the owner list, under the shard's
//!   lock (`OwnedTasks::add_poll_time`; the first version kept a `u64` in the header, one word
//!   on every task for a figure that is zero unless timing is on);
//! * the spawn time lives in the owner list's entry, not in the task, and a spawn on a worker
//!   takes it from the worker's latest clock reading (`metrics::spawn_time`), so it reads no
//!   clock; a spawn from another thread reads the coarse clock once (`metrics::coarse_now`).
//!
//! `docs/benchmarks.md`, "Cost of metrics", has the figures.

use std::fmt;
use std::time::{Duration, Instant};

use crate::task::Id;

/// What a task was doing when the dump looked at it (see the module docs for how approximate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskState {
    /// Waiting for a wake-up.
    Idle,
    /// Woken, waiting in a run queue for a worker.
    Scheduled,
    /// Being polled, on this worker (index as in `RuntimeMetrics`; a compensating worker's
    /// index is `num_workers()` or above) if it could be found.
    Running {
        /// The worker polling it.
        worker: Option<usize>,
    },
    /// Finished; about to leave the list.
    Complete,
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskState::Idle => f.write_str("idle"),
            TaskState::Scheduled => f.write_str("scheduled"),
            TaskState::Running { worker: Some(w) } => write!(f, "running on worker {w}"),
            TaskState::Running { worker: None } => f.write_str("running"),
            TaskState::Complete => f.write_str("complete"),
        }
    }
}

/// One task of a [`TaskDump`].
#[derive(Debug, Clone)]
pub struct TaskInfo {
    pub(crate) id: Id,
    pub(crate) location: &'static std::panic::Location<'static>,
    pub(crate) state: TaskState,
    pub(crate) spawned_at: Instant,
    pub(crate) polls: u64,
    pub(crate) poll_time: Duration,
    pub(crate) taken_at: Instant,
}

impl TaskInfo {
    /// The task's id.
    pub fn id(&self) -> Id {
        self.id
    }

    /// Where it was spawned.
    pub fn location(&self) -> &'static std::panic::Location<'static> {
        self.location
    }

    /// What it was doing.
    pub fn state(&self) -> TaskState {
        self.state
    }

    /// Time from its spawn to the dump.
    pub fn age(&self) -> Duration {
        self.taken_at.saturating_duration_since(self.spawned_at)
    }

    /// Polls that have returned.
    pub fn polls(&self) -> u64 {
        self.polls
    }

    /// Total time spent in its polls, measured only while timing is on (the poll-time histogram
    /// or a slow-poll threshold); zero otherwise.
    pub fn total_poll_time(&self) -> Duration {
        self.poll_time
    }
}

/// The alive tasks of a runtime; see [`Handle::dump`](super::Handle::dump).
///
/// ```
/// let rt = filch::runtime::Builder::new().worker_threads(1).build().unwrap();
/// let (tx, rx) = filch::sync::oneshot::channel::<()>();
/// let waiter = rt.spawn(async move { rx.await.ok(); });
/// std::thread::sleep(std::time::Duration::from_millis(50));
/// let dump = rt.handle().dump();
/// assert!(dump.tasks().iter().any(|t| t.id() == waiter.id()));
/// tx.send(()).unwrap();
/// rt.block_on(waiter).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct TaskDump {
    pub(crate) tasks: Vec<TaskInfo>,
}

impl TaskDump {
    /// The tasks, in no particular order.
    pub fn tasks(&self) -> &[TaskInfo] {
        &self.tasks
    }
}

impl fmt::Display for TaskDump {
    /// One line per task: id, state, polls, poll time, age, spawn location.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for t in &self.tasks {
            writeln!(
                f,
                "task {:>6}  {:<20} polls {:>8}  poll time {:>10.3} ms  age {:>9.3} s  {}",
                t.id.to_string(),
                t.state.to_string(),
                t.polls,
                t.poll_time.as_secs_f64() * 1000.0,
                t.age().as_secs_f64(),
                t.location
            )?;
        }
        Ok(())
    }
}
