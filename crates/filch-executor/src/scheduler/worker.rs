//! A worker thread's loop.
//!
//! # The loop
//!
//! Each turn bumps the worker's tick and takes one task, looking in this order:
//!
//! 1. every [`GLOBAL_QUEUE_INTERVAL`] ticks, the injector first, so tasks from outside are not
//!    starved by a worker whose own tasks keep re-spawning locally;
//! 2. the LIFO slot, unless it already supplied [`MAX_LIFO_POLLS`] tasks in a row (then its task
//!    moves to the back of the deque, so two tasks messaging each other cannot starve the rest);
//! 3. the local deque (FIFO);
//! 4. the injector (taking a batch into the local deque);
//! 5. stealing: half of another worker's deque, victims in random order, then the injector;
//! 6. parking.
//!
//! Every [`EVENT_INTERVAL`] ticks a busy worker polls the driver without blocking (if no parked
//! worker is blocked in it), so sockets and timers make progress while every worker is busy.
//!
//! # Yielding
//!
//! A task that yields (wakes itself during its own poll) goes to the back of its worker's deque,
//! stamped with the count of driver entries at that moment (`Header::yielded_at`). Whichever
//! worker takes it next (its own, or a thief) first polls the driver if nobody has entered the
//! driver since the stamp and nobody is in it now (`run_task`). So a task that loops on
//! `yield_now` waiting for a socket sees the socket's event at its next turn, and it still runs
//! after every task that was ready when it yielded. tokio has the same guarantee (it keeps
//! yielded tasks in a deferred list until its driver has been polled); a stamp instead of a
//! list costs a round of yields one driver poll and no moving of tasks between queues. A yield
//! itself wakes nobody; the first yielder of a round, when it comes up, also asks a sleeping
//! worker to help if other tasks are queued behind it (`before_yielder`).
//!
//! # Metrics
//!
//! The worker keeps its counters in its own cache-padded cell (`runtime/metrics.rs` says who
//! writes what): a poll count per poll; park, no-op wake-up and busy-time figures around each
//! park (and busy time at each maintenance tick); steal figures per successful steal. The clock
//! is read around a poll only when timing is on (`WorkerCtx::timing`, cached at start): then
//! the poll's duration feeds the histogram and the slow-poll check.
//!
//! # Stuck workers
//!
//! A worker stuck in one long poll is the monitor's business (`watchdog.rs`): it takes the
//! worker's queued tasks over, keeps a thread in the driver, and starts compensating workers,
//! which run this same loop ([`run_extra`]) until they are asked to retire.
//!
//! # Shutdown
//!
//! Dropping the `Runtime` (or `shutdown_timeout`) runs these steps, in this order:
//!
//! 1. Set the shutdown flag and close nothing yet; wake every worker and the driver.
//!    From here on, `schedule` drops new `Notified`s instead of queueing them, because step 4
//!    cancels every task anyway.
//! 2. Each worker (and extra worker) sees the flag at the top of its loop (or when it wakes),
//!    stops, and cancels the `Notified`s in its LIFO slot and deque. Its thread
//!    exits after `on_thread_stop`. The monitor thread stops too.
//! 3. The dropping thread waits for the workers, the extra workers and the monitor thread
//!    (bounded by the timeout of `shutdown_timeout`; not at all when the runtime is dropped
//!    inside one of its own tasks). A worker stuck in a poll cannot be interrupted; it stops
//!    when that poll returns.
//! 4. The owner list is closed (later spawns are cancelled at once) and every task in it is
//!    cancelled: idle tasks have their future dropped now, on the dropping thread, and their
//!    `JoinHandle`s resolve to a cancelled `JoinError`. A task still running on a stuck worker is
//!    marked cancelled and cancelled when its poll returns. Repeated until the list stays empty,
//!    because dropping a future may spawn.
//! 5. The injector and every worker's LIFO slot and deque are drained a last
//!    time. A push to the injector racing with this drain (from `schedule` or from the monitor's
//!    hand-over of a stuck worker's queue) sees the `drained` flag and drains itself, so no
//!    `Notified` is left holding a task alive.
//! 6. The blocking pool is shut down: queued blocking work is cancelled, running work is waited
//!    for (bounded by the timeout).
//! 7. `Driver::shutdown` wakes everything still registered with the I/O driver.

use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use crossbeam_deque::{Steal, Worker};

use crate::context;
use crate::loom::sync::atomic::Ordering;
use crate::loom::sync::Arc;
use crate::runtime::metrics::{bump, TimedRun, WorkerMetrics};
use crate::runtime::Handle;
use crate::scheduler::idle::AfterWake;
use crate::scheduler::park::Parker;
use crate::scheduler::watchdog::{FreeSlot, WATCHDOG_PERIOD};
use crate::scheduler::Shared;
use crate::task::Notified;

/// Ticks between looks at the injector before the local queues (tokio uses 31 to 61).
pub(crate) const GLOBAL_QUEUE_INTERVAL: u32 = 31;
/// Ticks between non-blocking driver polls while busy (tokio's event interval).
pub(crate) const EVENT_INTERVAL: u32 = 61;
/// Consecutive tasks the LIFO slot may supply before the deque gets a turn (tokio's figure).
pub(crate) const MAX_LIFO_POLLS: u32 = 3;

/// The per-thread view of a worker that the scheduling fast path needs.
pub(crate) struct WorkerCtx {
    handle: Handle,
    pub(crate) index: usize,
    pub(crate) local: Worker<Notified>,
    /// Whether polls are timed (histogram or slow-poll threshold on), cached at start so the
    /// poll path pays one branch on it.
    timing: bool,
    /// This worker slot's metric cell (the same `Arc` as in `Shared::metrics`).
    metrics: std::sync::Arc<crossbeam_utils::CachePadded<WorkerMetrics>>,
    /// While this worker is in the driver: tasks the driver wakes go to this worker's queues
    /// without waking a sleeper each; one wake-up is sent when the driver returns, if tasks are
    /// queued here (see `# Waking helpers after the driver`).
    pub(crate) defer_notify: std::cell::Cell<DeferNotify>,
}

/// See [`WorkerCtx::defer_notify`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum DeferNotify {
    /// Not in the driver: a local push wakes a sleeper at once, as `idle.rs` says.
    Off,
    /// In the driver, nothing pushed yet.
    On,
    /// In the driver, and a push asked for a wake-up.
    Requested,
}

/// A worker's run queue, handed from slot to slot with it.
pub(crate) struct Queues {
    pub(crate) local: Worker<Notified>,
}

impl WorkerCtx {
    pub(crate) fn shared(&self) -> &Shared {
        &self.handle.shared
    }

    /// This worker slot's metric counters (written only by this thread).
    #[inline]
    pub(crate) fn metrics(&self) -> &WorkerMetrics {
        &self.metrics
    }
}

/// The counters a worker keeps for itself while it loops.
struct LoopState {
    tick: u32,
    lifo_polls: u32,
    is_searching: bool,
    /// Picks the first victim of a steal.
    rng: fastrand::Rng,
    /// Start of the current busy stretch (since the last wake-up or busy-time flush).
    busy_since: Instant,
    /// The poll count when the worker last woke up: unchanged at the next park means the
    /// wake-up was a no-op.
    polls_at_wake: Option<u64>,
}

impl WorkerCtx {
    fn new(handle: Handle, index: usize, queues: Queues) -> WorkerCtx {
        let timing = handle.shared.config.timing();
        let metrics = handle.shared.metrics.workers[index].clone();
        WorkerCtx {
            timing,
            metrics,
            handle,
            index,
            local: queues.local,
            defer_notify: std::cell::Cell::new(DeferNotify::Off),
        }
    }

    /// Runs `f` with this worker registered as the thread's worker and its runtime current.
    fn enter<R>(&self, f: impl FnOnce() -> R) -> R {
        context::set_worker(self, || {
            let _current = context::set_current(&self.handle);
            let _entered = context::enter_runtime();
            f()
        })
    }

    fn is_extra(&self) -> bool {
        self.index >= self.shared().num_core
    }
}

fn loop_state(index: usize) -> LoopState {
    LoopState {
        tick: 0,
        lifo_polls: 0,
        is_searching: false,
        rng: fastrand::Rng::with_seed(index as u64),
        busy_since: {
            let now = Instant::now();
            crate::runtime::metrics::set_recent_now(now);
            now
        },
        polls_at_wake: None,
    }
}

/// Entry point of a worker thread.
pub(crate) fn run(handle: Handle, index: usize, queues: Queues, parker: Parker) {
    let ctx = WorkerCtx::new(handle, index, queues);
    ctx.enter(|| {
        let mut state = loop_state(index);
        ctx.run(&mut state, &parker);
        ctx.drain();
    });
}

/// Entry point of a compensating worker's thread (`watchdog.rs`): the same loop until the
/// monitor asks it to retire, then it hands its queue to the injector and gives its slot back.
pub(crate) fn run_extra(handle: Handle, slot: FreeSlot) {
    let FreeSlot {
        index,
        queues,
        parker,
    } = slot;
    let ctx = WorkerCtx::new(handle, index, queues);
    ctx.enter(|| {
        let mut state = loop_state(index);
        ctx.run(&mut state, &parker);
        if ctx.shared().is_shutdown() {
            // Inside the runtime's context, like a core worker's drain: a future's `Drop` may
            // look for its runtime.
            ctx.drain();
        }
    });
    let WorkerCtx { handle, local, .. } = ctx;
    let shared = &handle.shared;
    shared.extras.retire(
        FreeSlot {
            index,
            queues: Queues { local },
            parker,
        },
        |_| {
            shared.rescue(index);
        },
    );
    // This extra may have been the one in the driver while the core workers, finding it taken,
    // went to their condvars; if nobody has taken it since, hand it to one of them. (Without
    // this, a runtime whose workers are all parked could be left with nobody in the driver
    // while the monitor sleeps.)
    if !shared.driver.is_locked() {
        shared.nudge_sleeper();
    }
}

impl WorkerCtx {
    fn run(&self, state: &mut LoopState, parker: &Parker) {
        let shared = self.shared();
        let remote = &shared.remotes[self.index];
        let extra = self.is_extra();
        loop {
            if shared.is_shutdown() || (extra && shared.extras.should_retire(self.index)) {
                return;
            }
            state.tick = state.tick.wrapping_add(1);
            remote.ticks.store(state.tick as usize, Ordering::Relaxed);
            if state.tick % EVENT_INTERVAL == 0 {
                self.flush_busy(state);
                self.maintenance();
            }
            if let Some(task) = self.next_task(state) {
                self.run_task(state, task);
                continue;
            }
            if let Some(task) = self.steal(state) {
                self.run_task(state, task);
                continue;
            }
            if extra {
                // Not on the parked list: never sleep longer than a period, so a retire request
                // or work nobody woke us for is seen soon.
                self.before_park(state);
                parker.park(Some(WATCHDOG_PERIOD));
                self.after_park(state);
            } else {
                self.park(state, parker);
            }
        }
    }

    #[inline(always)]
    fn run_task(&self, state: &mut LoopState, task: Notified) {
        if state.is_searching {
            state.is_searching = false;
            // The last searcher stops searching: if work is left in any queue, wake the next
            // worker to take it. Checked after the (SeqCst) decrement, so work pushed while we
            // still counted as searching (whose pusher therefore woke nobody) is seen here.
            let shared = self.shared();
            shared
                .idle
                .stop_searching(|| shared.work_pending(), || shared.notify_parked());
        }
        if let Some(entries) = task.take_yielded_at() {
            // Usually another task of the same round of yields has had the driver polled.
            if entries == self.shared().driver.entries() as u32 {
                self.before_yielder();
            }
        }
        let remote = &self.shared().remotes[self.index];
        let id = task.id();
        let location = task.location();
        remote.polling_id.store(id as usize, Ordering::Relaxed);
        remote.polling.store(
            location as *const std::panic::Location<'static> as *mut _,
            Ordering::Release,
        );
        // One branch on a flag cached at start when timing is off.
        let timed = if self.timing {
            Some(TimedRun::start(&task))
        } else {
            None
        };
        task.run();
        remote
            .polling
            .store(std::ptr::null_mut(), Ordering::Relaxed);
        let metrics = self.metrics();
        bump(&metrics.polls, 1);
        if let Some(timed) = timed {
            timed.finish(self.shared(), metrics, self.index);
        }
    }

    /// Busy time up to now goes into the worker's figure; a park right after a wake-up with no
    /// poll in between is a no-op wake-up.
    fn before_park(&self, state: &mut LoopState) {
        let metrics = self.metrics();
        let now = Instant::now();
        let busy = now.saturating_duration_since(state.busy_since);
        bump(
            &metrics.busy_nanos,
            u64::try_from(busy.as_nanos()).unwrap_or(u64::MAX),
        );
        state.busy_since = now;
        crate::runtime::metrics::set_recent_now(now);
        let polls = metrics.polls.load(Relaxed);
        if state.polls_at_wake == Some(polls) {
            bump(&metrics.noops, 1);
        }
        bump(&metrics.parks, 1);
    }

    fn after_park(&self, state: &mut LoopState) {
        let now = Instant::now();
        state.busy_since = now;
        crate::runtime::metrics::set_recent_now(now);
        state.polls_at_wake = Some(self.metrics().polls.load(Relaxed));
    }

    /// At maintenance ticks: busy time so far, so a worker that never parks still shows busy.
    fn flush_busy(&self, state: &mut LoopState) {
        let now = Instant::now();
        let busy = now.saturating_duration_since(state.busy_since);
        bump(
            &self.metrics().busy_nanos,
            u64::try_from(busy.as_nanos()).unwrap_or(u64::MAX),
        );
        state.busy_since = now;
        crate::runtime::metrics::set_recent_now(now);
    }

    /// About to run a task that yielded when the driver had been entered as many times as
    /// now: unless a thread is in it now, poll it first (`# Yielding`). Yields wake nobody, so
    /// this is also where a sleeping worker is asked to help when more tasks are queued here.
    #[cold]
    fn before_yielder(&self) {
        let shared = self.shared();
        if !shared.driver.is_locked() {
            self.poll_driver_now();
        }
        if !self.local.is_empty() {
            shared.notify_parked();
        }
    }

    fn next_task(&self, state: &mut LoopState) -> Option<Notified> {
        let shared = self.shared();
        if state.tick % GLOBAL_QUEUE_INTERVAL == 0 {
            if let Some(task) = self.steal_injector() {
                state.lifo_polls = 0;
                return Some(task);
            }
        }
        let remote = &shared.remotes[self.index];
        if state.lifo_polls < MAX_LIFO_POLLS {
            if let Some(task) = remote.take_lifo() {
                state.lifo_polls += 1;
                return Some(task);
            }
        } else if let Some(task) = remote.take_lifo() {
            self.local.push(task);
        }
        state.lifo_polls = 0;
        if let Some(task) = self.local.pop() {
            return Some(task);
        }
        self.steal_injector()
    }

    fn steal_injector(&self) -> Option<Notified> {
        loop {
            match self.shared().injector.steal_batch_and_pop(&self.local) {
                Steal::Success(task) => return Some(task),
                Steal::Empty => return None,
                Steal::Retry => continue,
            }
        }
    }

    fn steal(&self, state: &mut LoopState) -> Option<Notified> {
        let shared = self.shared();
        if !state.is_searching && !self.is_extra() {
            // Extra workers are not counted in `idle.rs`; they search without asking.
            if !shared.idle.transition_worker_to_searching() {
                return None;
            }
            state.is_searching = true;
        }
        let n = shared.num_stealable();
        let start = state.rng.usize(..n);
        for i in 0..n {
            let victim = (start + i) % n;
            if victim == self.index {
                continue;
            }
            loop {
                match shared.remotes[victim]
                    .stealer
                    .steal_batch_and_pop(&self.local)
                {
                    Steal::Success(task) => {
                        // The deque was empty before (nothing else was found locally), and
                        // only this thread pushes to it: what is in it now came with the
                        // steal (less what other thieves took meanwhile).
                        let metrics = self.metrics();
                        bump(&metrics.steal_operations, 1);
                        bump(&metrics.steals, 1 + self.local.len() as u64);
                        return Some(task);
                    }
                    Steal::Empty => break,
                    Steal::Retry => continue,
                }
            }
        }
        self.steal_injector()
    }

    fn has_local_work(&self) -> bool {
        !self.local.is_empty() || self.shared().has_lifo(self.index)
    }

    fn park(&self, state: &mut LoopState, parker: &Parker) {
        let shared = self.shared();
        if self.has_local_work() {
            return;
        }
        shared.idle.park_worker(
            self.index,
            state.is_searching,
            || shared.work_pending(),
            || shared.notify_parked(),
        );
        state.is_searching = false;
        loop {
            self.before_park(state);
            self.in_driver(|| parker.park(None));
            self.after_park(state);
            let has_work = self.has_local_work() || shared.is_shutdown();
            match shared.idle.after_wake(self.index, has_work) {
                AfterWake::Run { searching } => {
                    if !searching {
                        // We counted ourselves as unparked; whoever chose us (searching) has
                        // woken the monitor already.
                        shared.monitor.wake();
                    }
                    state.is_searching = searching;
                    return;
                }
                AfterWake::ParkAgain => {}
            }
        }
    }

    /// Runs `f` (a park, or a driver poll) with wake-ups of sleepers deferred to its end.
    ///
    /// # Waking helpers after the driver
    ///
    /// A driver poll can wake dozens of tasks onto this worker's queue in one go. Waking a
    /// sleeper at the first of them (as a push from a running task does) lets the sleeper steal
    /// one or two tasks, run them and park again while the rest are still being pushed, and the
    /// next push wakes it again: a futex wait and wake per few messages on a busy server. So
    /// while this worker is in the driver, a push only records that a wake-up is wanted, and
    /// one is sent when the driver returns, with the whole batch queued for the helper to steal
    /// from (tokio does the same: its worker notifies after the park, not during it). No
    /// wake-up is lost: the tasks are in this worker's queue, which this worker runs next; the
    /// deferred one only decides whether a second worker helps.
    fn in_driver<R>(&self, f: impl FnOnce() -> R) -> R {
        self.defer_notify.set(DeferNotify::On);
        let out = f();
        let wanted = self.defer_notify.replace(DeferNotify::Off) == DeferNotify::Requested;
        if wanted && !self.local.is_empty() {
            self.shared().notify_parked();
        }
        out
    }

    /// A non-blocking driver poll while busy, so I/O and timers are not starved.
    fn maintenance(&self) {
        self.poll_driver_now();
    }

    /// Polls the driver without blocking, unless another thread is in it.
    fn poll_driver_now(&self) {
        let shared = self.shared();
        if let Some(guard) = shared.driver.try_lock() {
            self.in_driver(|| shared.driver.driver().park(Some(Duration::ZERO)));
            drop(guard);
            // A worker that tried to park while we held the driver went to its condvar,
            // leaving nobody in the driver: let it try again, if we stay busy. With no more
            // than the LIFO task queued here (the poll may just have woken it) we park after
            // it and take the driver ourselves, so waking the sleeper would only cost a futex
            // wake and wait: one per maintenance poll on a server with one connection. (A
            // LIFO task that then blocks is the monitor's case, as any blocking task is.)
            if shared.idle.num_unparked() < shared.idle.num_workers() && !self.local.is_empty() {
                shared.nudge_sleeper();
            }
        }
    }

    /// Shutdown step 2: cancel what this worker still has queued.
    fn drain(&self) {
        self.shared().remotes[self.index].take_all(Notified::shutdown);
        while let Some(task) = self.local.pop() {
            task.shutdown();
        }
    }
}

/// Makes the remote side and parker for a worker. Returned separately so the runtime can build
/// `Shared` before starting threads.
pub(crate) fn new_parts(driver: Arc<super::park::SharedDriver>) -> (Queues, super::Remote, Parker) {
    let local = Worker::new_fifo();
    let parker = Parker::new(driver);
    let remote = super::Remote {
        stealer: local.stealer(),
        lifo: crate::loom::sync::atomic::AtomicPtr::new(std::ptr::null_mut()),
        ticks: crate::loom::sync::atomic::AtomicUsize::new(0),
        polling: crate::loom::sync::atomic::AtomicPtr::new(std::ptr::null_mut()),
        polling_id: crate::loom::sync::atomic::AtomicUsize::new(0),
        unparker: parker.unparker(),
        in_place: crate::loom::sync::atomic::AtomicBool::new(false),
    };
    (Queues { local }, remote, parker)
}
