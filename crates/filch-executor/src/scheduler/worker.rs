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
//! A task that yields (wakes itself during its own poll) goes to the back of the local deque,
//! after the tasks waiting in the injector have been moved into the deque (or, if the injector
//! holds more than a few hundred, to the back of the injector): either way it runs after every
//! task that was ready when it yielded.
//!
//! Every [`EVENT_INTERVAL`] ticks a busy worker polls the driver without blocking (if no parked
//! worker is blocked in it), so sockets and timers make progress while every worker is busy.
//!
//! # The LIFO watchdog
//!
//! Searchers never steal LIFO slots: the slot's task is almost always run a moment later by its
//! owner, and stealing it would move a message's receiver away from the cache that holds the
//! message. But a worker can be stuck in one long poll. So the worker parked in the driver
//! wakes every [`WATCHDOG_PERIOD`] while any worker is running, and takes the LIFO task of any
//! worker whose tick has not moved for a whole period. A task in the slot of a worker that
//! stays busy therefore waits for about one to two periods, not forever.
//!
//! # Shutdown
//!
//! Dropping the `Runtime` (or `shutdown_timeout`) runs these steps, in this order:
//!
//! 1. Set the shutdown flag and close nothing yet; wake every worker and the driver.
//!    From here on, `schedule` drops new `Notified`s instead of queueing them, because step 4
//!    cancels every task anyway.
//! 2. Each worker sees the flag at the top of its loop (or when it wakes), stops, and drops the
//!    `Notified`s in its LIFO slot and deque. Its thread exits after `on_thread_stop`.
//! 3. The dropping thread waits for the workers (bounded by the timeout of `shutdown_timeout`).
//!    A worker stuck in a poll cannot be interrupted; it stops when that poll returns.
//! 4. The owner list is closed (later spawns are cancelled at once) and every task in it is
//!    cancelled: idle tasks have their future dropped now, on the dropping thread, and their
//!    `JoinHandle`s resolve to a cancelled `JoinError`. A task still running on a stuck worker is
//!    marked cancelled and cancelled when its poll returns. Repeated until the list stays empty,
//!    because dropping a future may spawn.
//! 5. The injector and LIFO slots are drained a last time. A push racing with this drain sees
//!    the `drained` flag and drains itself, so no `Notified` is left holding a task alive.
//! 6. The blocking pool is shut down: queued blocking work is cancelled, running work is waited
//!    for (bounded by the timeout).
//! 7. `Driver::shutdown` wakes everything still registered with the I/O driver.

use std::cell::Cell;
use std::time::Duration;

use crossbeam_deque::{Steal, Worker};

use crate::context;
use crate::loom::sync::atomic::Ordering;
use crate::loom::sync::Arc;
use crate::runtime::Handle;
use crate::scheduler::park::Parker;
use crate::scheduler::Shared;
use crate::task::Notified;

/// Ticks between looks at the injector before the local queues (tokio uses 31 to 61).
pub(crate) const GLOBAL_QUEUE_INTERVAL: u32 = 31;
/// Ticks between non-blocking driver polls while busy (tokio's event interval).
pub(crate) const EVENT_INTERVAL: u32 = 61;
/// Consecutive tasks the LIFO slot may supply before the deque gets a turn (tokio's figure).
pub(crate) const MAX_LIFO_POLLS: u32 = 3;
/// How often the driver-parked worker checks for LIFO tasks stuck behind a long poll.
pub(crate) const WATCHDOG_PERIOD: Duration = Duration::from_millis(10);

/// The per-thread view of a worker that the scheduling fast path needs.
pub(crate) struct WorkerCtx {
    handle: Handle,
    pub(crate) index: usize,
    pub(crate) local: Worker<Notified>,
    /// True while this worker is inside the driver (parked, or a maintenance poll): tasks the
    /// driver wakes into the LIFO slot then need no watchdog, the worker takes them next.
    pub(crate) in_park: Cell<bool>,
}

impl WorkerCtx {
    pub(crate) fn shared(&self) -> &Shared {
        &self.handle.shared
    }
}

/// Loop-local state of a worker.
struct Core {
    tick: u32,
    lifo_polls: u32,
    is_searching: bool,
    rng: u64,
    /// For each other worker: its tick when this worker's watchdog last saw a task in its slot.
    watch: Vec<Option<usize>>,
}

impl Core {
    fn next_rand(&mut self, n: usize) -> usize {
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as usize % n
    }
}

/// Entry point of a worker thread.
pub(crate) fn run(handle: Handle, index: usize, local: Worker<Notified>, parker: Parker) {
    let ctx = WorkerCtx {
        handle,
        index,
        local,
        in_park: Cell::new(false),
    };
    context::set_worker(&ctx, || run_registered(&ctx, index, parker))
}

fn run_registered(ctx: &WorkerCtx, index: usize, parker: Parker) {
    let _current = context::set_current(&ctx.handle);
    let _entered = context::enter_runtime();
    let n = ctx.shared().remotes.len();
    let mut core = Core {
        tick: 0,
        lifo_polls: 0,
        is_searching: false,
        rng: 0x9E37_79B9_7F4A_7C15 ^ ((index as u64 + 1) << 17),
        watch: vec![None; n],
    };
    ctx.run(&mut core, &parker);
    ctx.drain();
}

impl WorkerCtx {
    fn run(&self, core: &mut Core, parker: &Parker) {
        let shared = self.shared();
        let remote = &shared.remotes[self.index];
        while !shared.is_shutdown() {
            core.tick = core.tick.wrapping_add(1);
            remote.ticks.store(core.tick as usize, Ordering::Relaxed);
            if core.tick % EVENT_INTERVAL == 0 {
                self.maintenance();
            }
            if let Some(task) = self.next_task(core) {
                self.run_task(core, task);
                continue;
            }
            if let Some(task) = self.steal(core) {
                self.run_task(core, task);
                continue;
            }
            self.park(core, parker);
        }
    }

    fn run_task(&self, core: &mut Core, task: Notified) {
        if core.is_searching {
            core.is_searching = false;
            // The last searcher stops searching: if work is left in any queue, wake the next
            // worker to take it. Checked after the (SeqCst) decrement, so work pushed while we
            // still counted as searching (whose pusher therefore woke nobody) is seen here.
            if self.shared().idle.transition_worker_from_searching() {
                self.shared().notify_if_work_pending();
            }
        }
        task.run();
    }

    fn next_task(&self, core: &mut Core) -> Option<Notified> {
        let shared = self.shared();
        if core.tick % GLOBAL_QUEUE_INTERVAL == 0 {
            if let Some(task) = self.steal_injector() {
                core.lifo_polls = 0;
                return Some(task);
            }
        }
        let remote = &shared.remotes[self.index];
        if core.lifo_polls < MAX_LIFO_POLLS {
            if let Some(task) = remote.take_lifo() {
                core.lifo_polls += 1;
                return Some(task);
            }
        } else if let Some(task) = remote.take_lifo() {
            self.local.push(task);
        }
        core.lifo_polls = 0;
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

    fn steal(&self, core: &mut Core) -> Option<Notified> {
        let shared = self.shared();
        if !core.is_searching {
            if !shared.idle.transition_worker_to_searching() {
                return None;
            }
            core.is_searching = true;
        }
        let n = shared.remotes.len();
        let start = core.next_rand(n);
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
                    Steal::Success(task) => return Some(task),
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

    fn park(&self, core: &mut Core, parker: &Parker) {
        let shared = self.shared();
        if self.has_local_work() {
            return;
        }
        let was_last_searcher = shared
            .idle
            .transition_worker_to_parked(self.index, core.is_searching);
        core.is_searching = false;
        if was_last_searcher {
            shared.notify_if_work_pending();
        }
        loop {
            // Only matters if this worker ends up blocking in the driver (see `park.rs`).
            self.in_park.set(true);
            parker.park(|| (shared.idle.num_unparked() > 0).then_some(WATCHDOG_PERIOD));
            self.in_park.set(false);
            // Work the driver woke into our own queues (the common case for the worker that was
            // in the driver): take ourselves off the parked list, one lock.
            if self.has_local_work() || shared.is_shutdown() {
                if !shared.idle.unpark_worker_by_id(self.index) {
                    // Chosen by `worker_to_notify` meanwhile: counted as searching.
                    core.is_searching = true;
                }
                return;
            }
            if !shared.idle.is_parked(self.index) {
                // Chosen by `worker_to_notify`: counted as searching.
                core.is_searching = true;
                return;
            }
            if shared.idle.num_unparked() > 0 && self.watchdog(core) {
                if !shared.idle.unpark_worker_by_id(self.index) {
                    core.is_searching = true;
                }
                return;
            }
        }
    }

    /// Takes the LIFO task of a worker stuck in one poll for a whole watchdog period.
    fn watchdog(&self, core: &mut Core) -> bool {
        let shared = self.shared();
        let mut stolen = false;
        for (i, remote) in shared.remotes.iter().enumerate() {
            if i == self.index {
                continue;
            }
            if !remote.has_lifo() {
                core.watch[i] = None;
                continue;
            }
            let ticks = remote.ticks.load(Ordering::Relaxed);
            if core.watch[i] == Some(ticks) {
                if let Some(task) = remote.take_lifo() {
                    self.local.push(task);
                    stolen = true;
                }
                core.watch[i] = None;
            } else {
                core.watch[i] = Some(ticks);
            }
        }
        stolen
    }

    /// A non-blocking driver poll while busy, so I/O and timers are not starved.
    fn maintenance(&self) {
        let shared = self.shared();
        if let Some(guard) = shared.driver.try_lock() {
            self.in_park.set(true);
            shared.driver.driver().park(Some(Duration::ZERO));
            self.in_park.set(false);
            drop(guard);
            // A worker that tried to park while we held the driver went to its condvar,
            // leaving nobody in the driver: let it try again.
            if shared.idle.num_unparked() < shared.idle.num_workers() {
                shared.nudge_sleeper();
            }
        }
    }

    /// Shutdown step 2: drop what this worker still has queued.
    fn drain(&self) {
        drop(self.shared().remotes[self.index].take_lifo());
        while let Some(task) = self.local.pop() {
            task.shutdown();
        }
    }
}

/// Makes the remote side and parker for a worker. Returned separately so the runtime can build
/// `Shared` before starting threads.
pub(crate) fn new_parts(
    driver: Arc<super::park::SharedDriver>,
) -> (Worker<Notified>, super::Remote, Parker) {
    let local = Worker::new_fifo();
    let parker = Parker::new(driver);
    let remote = super::Remote {
        stealer: local.stealer(),
        lifo: crate::loom::sync::atomic::AtomicPtr::new(std::ptr::null_mut()),
        ticks: crate::loom::sync::atomic::AtomicUsize::new(0),
        unparker: parker.unparker(),
    };
    (local, remote, parker)
}
