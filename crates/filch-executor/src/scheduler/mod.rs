//! The multi-threaded work-stealing scheduler, and (in `current_thread.rs`) the current-thread
//! one, which shares `Shared`'s injector, owner list, driver and shutdown steps.
//!
//! The files of this module specify the design (`docs/architecture.md` maps them); in short:
//!
//! * Each worker owns a FIFO `crossbeam_deque::Worker` and a one-task LIFO slot. A task spawned
//!   or woken on a worker goes into the slot (the task that was there moves to the deque), so a
//!   message passed between two tasks is handled next, while its data is still in cache.
//! * A shared `crossbeam_deque::Injector` takes tasks spawned or woken from other threads.
//! * An idle worker steals half of another worker's deque (`steal_batch_and_pop`), visiting
//!   victims in random order, then the injector; then it parks (`idle.rs`, `park.rs`).
//! * Fairness: the LIFO slot is used at most [`worker::MAX_LIFO_POLLS`] times in a row; the
//!   injector is checked first every [`worker::GLOBAL_QUEUE_INTERVAL`] ticks; the driver is polled
//!   every [`worker::EVENT_INTERVAL`] ticks while workers are busy.
//! * A task that yields waits until the driver has been polled (`worker.rs`), so a task looping
//!   on `yield_now` for a socket sees the socket's event.
//! * A task that blocks its worker costs that worker, never the runtime: the monitor
//!   (`watchdog.rs`) keeps a thread in the driver, hands the stuck worker's queue to the others,
//!   and starts compensating workers when every worker is stuck.

use std::ptr::NonNull;

use crossbeam_deque::{Injector, Stealer};
use crossbeam_utils::CachePadded;

use crate::blocking::BlockingPool;
use crate::loom::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use crate::loom::sync::Arc;
use crate::runtime::metrics::{bump, MetricsCells};
use crate::runtime::Config;
use crate::task::{Notified, Task};

pub(crate) mod block_in_place;
pub(crate) mod current_thread;
pub(crate) mod idle;
pub(crate) mod owned;
pub(crate) mod park;
pub(crate) mod watchdog;
pub(crate) mod worker;

#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(all(test, not(loom)))]
mod tests;

use idle::Idle;
use owned::OwnedTasks;
use park::{SharedDriver, Unparker};
use watchdog::{Extras, Monitor};
use worker::WorkerCtx;

/// How many batches (crossbeam steals up to 32 tasks a batch) a yield moves from the injector
/// into the local deque before it gives up and queues the yielder in the injector instead.
const YIELD_INJECTOR_BATCHES: usize = 16;

/// What other threads may touch of a worker.
pub(crate) struct Remote {
    pub(crate) stealer: Stealer<Notified>,
    /// The LIFO slot: a `Notified` as a raw pointer, or null. Only swapped, never read then
    /// written, so the owner and a watchdog thief can never both take the same task.
    pub(crate) lifo: AtomicPtr<crate::task::raw::Header>,
    /// Bumped by the owner each time round its loop; a watchdog that sees it unchanged for a
    /// whole period knows the worker is stuck in one poll.
    pub(crate) ticks: AtomicUsize,
    /// The spawn location of the task being polled, null between polls (written by the owner
    /// only; the monitor reads it for stall reports).
    pub(crate) polling: AtomicPtr<std::panic::Location<'static>>,
    /// The id of the task being polled (meaningful while `polling` is non-null).
    pub(crate) polling_id: AtomicUsize,
    pub(crate) unparker: Unparker,
    /// Set while the worker runs `task::block_in_place`: the monitor treats it as stuck at
    /// once, without a report (`block_in_place.rs`).
    pub(crate) in_place: AtomicBool,
}

impl Remote {
    pub(crate) fn take_lifo(&self) -> Option<Notified> {
        if self.lifo.load(Ordering::Relaxed).is_null() {
            return None;
        }
        let ptr = self.lifo.swap(std::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: a non-null slot holds a `Notified` put there with `into_raw`, and the swap
        // made us its only owner.
        NonNull::new(ptr).map(|p| unsafe { Notified::from_raw(p) })
    }

    pub(crate) fn has_lifo(&self) -> bool {
        !self.lifo.load(Ordering::Acquire).is_null()
    }

    /// Everything queued on this worker that another thread can take: the LIFO slot and the
    /// deque. Used for stuck workers and retiring extras.
    pub(crate) fn take_all(&self, mut f: impl FnMut(Notified)) -> usize {
        let mut n = 0;
        if let Some(task) = self.take_lifo() {
            f(task);
            n += 1;
        }
        loop {
            match self.stealer.steal() {
                crossbeam_deque::Steal::Success(task) => {
                    f(task);
                    n += 1;
                }
                crossbeam_deque::Steal::Retry => {}
                crossbeam_deque::Steal::Empty => break,
            }
        }
        n
    }
}

/// Everything the workers, handles and tasks of one runtime share.
pub(crate) struct Shared {
    /// One per worker, each on its own cache line: every worker writes its `ticks` and LIFO slot
    /// constantly, and neighbours must not share those lines. The first `num_core` are the
    /// runtime's workers, the rest the slots of compensating workers (`watchdog.rs`).
    pub(crate) remotes: Box<[CachePadded<Remote>]>,
    pub(crate) num_core: usize,
    pub(crate) monitor: Monitor,
    pub(crate) extras: Extras,
    pub(crate) injector: Injector<Notified>,
    pub(crate) idle: Idle,
    pub(crate) owned: OwnedTasks,
    pub(crate) driver: Arc<SharedDriver>,
    pub(crate) blocking: BlockingPool,
    pub(crate) config: Config,
    /// `Some` for a current-thread runtime (`current_thread.rs`): then there are no workers
    /// (`remotes` is empty) and `Handle`'s scheduling goes there instead of to `schedule`.
    pub(crate) current_thread: Option<current_thread::CurrentThread>,
    /// The counters of `RuntimeMetrics` that live nowhere else (`runtime/metrics.rs`).
    pub(crate) metrics: MetricsCells,
    shutdown: AtomicBool,
    /// Set once shutdown has drained the injector for the last time; a push that sees it drains
    /// again itself (see `schedule_remote`).
    drained: AtomicBool,
    /// Test builds only: how many times `notify_parked` ran on one of this runtime's workers
    /// while it was in the driver, where wake-ups must be deferred (`scheduler/tests.rs`).
    #[cfg(test)]
    pub(crate) notified_in_driver: std::sync::atomic::AtomicUsize,
}

impl Shared {
    pub(crate) fn new(
        remotes: Box<[CachePadded<Remote>]>,
        extras: Extras,
        driver: Arc<SharedDriver>,
        blocking: BlockingPool,
        config: Config,
    ) -> Shared {
        let n = config.worker_threads;
        let metrics = MetricsCells::new(remotes.len(), config.histogram);
        Shared {
            metrics,
            remotes,
            num_core: n,
            monitor: Monitor::new(),
            extras,
            injector: Injector::new(),
            idle: Idle::new(n),
            owned: OwnedTasks::new(n),
            driver,
            blocking,
            config,
            current_thread: None,
            shutdown: AtomicBool::new(false),
            drained: AtomicBool::new(false),
            #[cfg(test)]
            notified_in_driver: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }

    /// Where a notified task goes. `is_yield`: it woke itself during its own poll.
    pub(crate) fn schedule(&self, task: Notified, is_yield: bool) {
        if self.is_shutdown() {
            // The owner-list drain cancels the task; this queue entry is no longer needed.
            drop(task);
            return;
        }
        crate::context::with_worker(|worker| match worker {
            Some(worker) if std::ptr::eq(worker.shared(), self) => {
                self.schedule_local(worker, task, is_yield)
            }
            _ => self.schedule_remote(task),
        })
    }

    /// A wake on the task's own worker: the LIFO slot, or behind the ready tasks for a yield.
    /// Inlined into [`schedule`](Self::schedule), with the yield path kept out of line: a wake
    /// from the I/O driver (the common case on a server) then pays no call and no stack frame
    /// sized for the yield path (issue 13, docs/benchmarks.md).
    #[inline]
    fn schedule_local(&self, worker: &WorkerCtx, task: Notified, is_yield: bool) {
        if is_yield {
            self.schedule_yielder(worker, task);
            return;
        }
        bump(&worker.metrics().local_schedules, 1);
        let remote = &self.remotes[worker.index];
        let prev = remote.lifo.swap(task.into_raw().as_ptr(), Ordering::AcqRel);
        let Some(prev) = NonNull::new(prev) else {
            // The slot was empty: this worker runs the task next. Waking another worker now
            // would only make it steal the message's receiver away from warm caches. If
            // this worker then stays in one long poll, the monitor takes the task over.
            return;
        };
        // SAFETY: the slot held a `Notified` and the swap gave it to us.
        worker.local.push(unsafe { Notified::from_raw(prev) });
        self.notify_parked_from(worker);
    }

    /// [`schedule_local`](Self::schedule_local) of a task that woke itself during its poll.
    #[inline(never)]
    fn schedule_yielder(&self, worker: &WorkerCtx, task: Notified) {
        // Behind every ready task, stamped: whoever runs it next polls the driver first if
        // nobody has since (the guarantee is tokio's; see `# Yielding` in `worker.rs`).
        // Wakes nobody. The deque is emptied before the injector is looked at, so tasks
        // waiting in the injector are first moved into the deque and the yielder goes
        // behind them; later yields then stay local instead of cycling through the shared
        // injector. Only if the injector holds more than a few hundred tasks does the
        // yielder queue at its back.
        task.set_yielded_at(self.driver.entries());
        bump(&worker.metrics().local_schedules, 1);
        let mut batches = 0;
        while batches < YIELD_INJECTOR_BATCHES && !self.injector.is_empty() {
            match self.injector.steal_batch(&worker.local) {
                crossbeam_deque::Steal::Success(()) => batches += 1,
                crossbeam_deque::Steal::Retry => {}
                crossbeam_deque::Steal::Empty => break,
            }
        }
        if self.injector.is_empty() {
            worker.local.push(task);
            if batches == 0 {
                return;
            }
        } else {
            self.injector.push(task);
        }
        self.notify_parked_from(worker);
    }

    /// [`notify_parked`](Self::notify_parked) for a push to `worker`'s own queue: at once, or,
    /// while the worker is in the driver, once when it returns (`# Waking helpers after the
    /// driver` in `worker.rs`). Every local push that may want a helper goes through here.
    #[inline]
    fn notify_parked_from(&self, worker: &WorkerCtx) {
        match worker.defer_notify.get() {
            worker::DeferNotify::Off => self.notify_parked(),
            _ => worker.defer_notify.set(worker::DeferNotify::Requested),
        }
    }

    fn schedule_remote(&self, task: Notified) {
        self.push_injector(task);
        self.notify_parked();
    }

    /// Pushes to the injector; during shutdown, after the final drain, drains it again itself.
    pub(crate) fn push_injector(&self, task: Notified) {
        self.injector.push(task);
        if self.is_shutdown() {
            // Pairs with the fence in `final_drain`: either it sees our push, or we see its flag
            // and drain ourselves.
            fence(Ordering::SeqCst);
            if self.drained.load(Ordering::SeqCst) {
                self.drain_injector();
            }
        }
    }

    /// Wakes a parked worker if nobody is searching (see `idle.rs`). While compensating
    /// workers run and no core worker could be woken, wakes them instead.
    pub(crate) fn notify_parked(&self) {
        #[cfg(test)]
        crate::context::with_worker(|worker| {
            if let Some(worker) = worker {
                if std::ptr::eq(worker.shared(), self)
                    && worker.defer_notify.get() != worker::DeferNotify::Off
                {
                    self.notified_in_driver
                        .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            }
        });
        if let Some(index) = self.idle.worker_to_notify() {
            self.monitor.wake();
            self.remotes[index].unparker.unpark();
        } else if self.extras.active() > 0 {
            for remote in &self.remotes[self.num_core..] {
                remote.unparker.unpark();
            }
        }
    }

    /// How many remotes a stealing worker visits: the core workers, and the extras while any
    /// runs.
    pub(crate) fn num_stealable(&self) -> usize {
        if self.extras.active() > 0 {
            self.remotes.len()
        } else {
            self.num_core
        }
    }

    /// Whether any queue another worker could take from has work (after a SeqCst fence, for
    /// the last searcher's re-check in `idle.rs`).
    pub(crate) fn work_pending(&self) -> bool {
        fence(Ordering::SeqCst);
        !self.injector.is_empty()
            || self.remotes[..self.num_stealable()]
                .iter()
                .any(|r| !r.stealer.is_empty())
    }

    /// Asks a parked worker to look around without changing the counts (it stays parked if it
    /// finds nothing). Used when the driver may have been left without a thread blocked in it.
    pub(crate) fn nudge_sleeper(&self) {
        if let Some(index) = self.idle.any_sleeper() {
            self.remotes[index].unparker.unpark();
        }
    }

    /// Shutdown step 1: refuse new work and wake every worker so it sees the flag.
    pub(crate) fn begin_shutdown(&self) -> bool {
        if self.shutdown.swap(true, Ordering::AcqRel) {
            return false;
        }
        for remote in self.remotes.iter() {
            remote.unparker.unpark();
        }
        self.monitor.stop();
        self.driver.driver().unpark();
        true
    }

    /// Shutdown step 4: cancel every task still owned; their futures are dropped here.
    pub(crate) fn cancel_owned(&self) {
        loop {
            let tasks = self.owned.close_and_drain();
            if tasks.is_empty() {
                break;
            }
            for task in tasks {
                task.shutdown();
            }
        }
    }

    /// Shutdown step 5: drop every queued `Notified`; from now on pushes drain themselves.
    pub(crate) fn final_drain(&self) {
        self.drain_injector();
        for remote in self.remotes.iter() {
            remote.take_all(Notified::shutdown);
        }
        self.drained.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        self.drain_injector();
    }

    fn drain_injector(&self) {
        loop {
            match self.injector.steal() {
                crossbeam_deque::Steal::Success(task) => task.shutdown(),
                crossbeam_deque::Steal::Retry => continue,
                crossbeam_deque::Steal::Empty => break,
            }
        }
    }

    pub(crate) fn has_lifo(&self, index: usize) -> bool {
        self.remotes[index].has_lifo()
    }

    /// Moves a stuck or retiring worker's queue to the injector and wakes someone for it.
    pub(crate) fn rescue(&self, index: usize) -> usize {
        let moved = self.remotes[index].take_all(|task| self.push_injector(task));
        if moved > 0 {
            // Rare (a stuck or retiring worker), and written by the monitor or the retiring
            // worker: a read-modify-write is fine here (`runtime/metrics.rs`).
            self.metrics.workers[index]
                .overflows
                .fetch_add(moved as u64, std::sync::atomic::Ordering::Relaxed);
            self.notify_parked();
        }
        moved
    }

    /// Removes a completed task from the owner list.
    pub(crate) fn release(&self, task: &Task) -> Option<Task> {
        self.owned.remove(task)
    }
}
