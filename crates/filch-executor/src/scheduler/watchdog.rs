//! The runtime's monitor: what keeps timers, sockets and queued tasks moving when a task blocks
//! its worker.
//!
//! A task that blocks (a synchronous call by mistake, a long computation) holds its worker for
//! as long as its poll lasts. Three things would wait for it, and the monitor takes each away:
//!
//! 1. **The driver.** Only a parked worker (or an idle extra worker, see below) blocks in the
//!    driver; the other parked workers sleep on their condvars (`park.rs`). A holder that leaves the driver to run a task leaves it empty. If
//!    that task then blocks, nobody fires timers or reads sockets. Each period the monitor looks
//!    at the driver: if it is free, nobody has entered it since the last period
//!    ([`SharedDriver::entries`](super::park::SharedDriver::entries)) and some worker sleeps on
//!    its condvar, it nudges that worker, which takes the driver.
//! 2. **Queued tasks.** A worker whose tick has not moved for a whole period while it is inside a
//!    task's poll is *stuck*. The monitor moves what the stuck worker has queued (its LIFO slot,
//!    and its deque, where tasks that yielded wait too) to the injector and wakes a parked worker. Busy workers
//!    look at the injector every `GLOBAL_QUEUE_INTERVAL` ticks, so they take these tasks over
//!    too: while some worker is free, a queued task waits at most about two periods. (When every
//!    worker is stuck, it waits for the first extra worker, about the stall threshold; with the
//!    threshold at 0, until a worker returns.)
//! 3. **Every worker at once.** When every worker has been stuck in one poll for longer than the
//!    stall threshold (`Builder::stall_threshold`, `FILCH_STALL_THRESHOLD_MS`, default 100 ms,
//!    0 turns it off), the monitor starts a *compensating* worker thread (`filch-extra-{i}`),
//!    one per period at most, up to `worker_threads` of them. An extra worker has its own deque
//!    and LIFO slot and runs the same loop as the others, except that it is not counted in
//!    `idle.rs` and it never sleeps longer than a period.
//!
//! Each task stuck for longer than the threshold is reported once on standard error, with its
//! spawn location (`#[track_caller]` on the spawn functions) and how long it has been stuck.
//!
//! # The period
//!
//! [`WATCHDOG_PERIOD`] (10 ms). A worker is judged stuck when its tick is the same at two
//! checks and it is inside a task's poll at the second, so it has been in that poll for at most
//! two periods; usually for at least one, but the stretch of its loop between the tick and the
//! poll (a maintenance poll of the driver) counts too, so a poll that began late in the first
//! period can be judged stuck early. The effect is an early hand-over of its queue, which is
//! harmless; reports use the time since the first of the two checks.
//!
//! # Sleeping when idle
//!
//! The monitor costs nothing while the runtime is idle: when a check finds every worker parked
//! (and no extra running) with one of them in the driver, it sleeps without a time limit
//! ([`Monitor::sleep_while`]). After such a sleep it stays on timed checks for
//! [`TIMED_CHECKS_AFTER_SLEEP`] periods (100 ms) before it may sleep untimed again, so a runtime
//! that flips between idle and busy (a server answering one request at a time, a
//! `block_on(spawn(..))` loop) wakes it about ten times a second, not once per round or once a
//! period: each such wake is a futex call on the waking worker's path to its next task (on an
//! echo server with one connection, 400 of them in a 2.5 s run with one period). An untimed
//! sleep is one wait: once woken it returns to the caller's checks even if the runtime is idle
//! again (a loop of waits there let a flipping runtime wake it at every flip whenever the
//! monitor thread ran late, as on a loaded machine). A worker
//! that leaves the parked state (`idle.rs` counts it as unparked) calls [`Monitor::wake`] after
//! its count changed. The monitor sets `sleeping` and then re-reads the count, the waker changes
//! the count and then reads `sleeping`, with a SeqCst fence between on each side, so one of
//! them sees the other; the condvar is notified under the mutex the monitor holds from its
//! check to its wait, so the notify cannot fall between them. The loom model `monitor_sleep_never_misses_a_worker` checks this.
//!
//! # Extra workers: start and retirement
//!
//! The slots for extra workers (index `worker_threads..2 * worker_threads` of the remotes) are
//! made at build time; a free slot's deque and parker wait in [`Extras::free`].
//!
//! 1. The monitor takes a free slot under the `free` lock, clears the slot's `retire` flag,
//!    counts it in `active`, and starts the thread with the slot's deque and parker.
//! 2. At each check where not every core worker is stuck (as soon as one has returned), the
//!    monitor sets `retire` on every extra slot (a free slot's flag is cleared again when it is
//!    claimed) and unparks the extras.
//! 3. An extra sees `retire` at the top of its loop (it never sleeps longer than a period), stops
//!    taking tasks, moves everything it has queued to the injector (waking a parked worker for
//!    it), and only then puts its deque and parker back in `free` and uncounts itself from
//!    `active`. Last, since it may have been the thread in the driver while the core workers
//!    parked on their condvars, it nudges a sleeper into the driver if nobody holds it.
//!
//! The retired thread still runs `on_thread_stop` after it gave its slot back, so for a moment
//! two threads may carry the same `filch-extra-{i}` name; they share nothing. Extra threads are
//! not joined: the runtime's thread latch counts them, and shutdown waits for the latch.
//!
//! If an extra cannot be started (the OS refuses the thread, or its start hook panics), the
//! monitor does not try again until the stall has ended.
//!
//! Only the owner pushes into a slot's deque and LIFO slot, so once the owner stops, its queues
//! only shrink; the hand-over to the injector therefore leaves nothing behind, and a slot is
//! reused only after the hand-over, because it comes back to `free` last. The loom model
//! `retiring_extra_leaves_no_task_behind` runs [`Extras::retire`] against a monitor that starts
//! a new extra at the same time.
//!
//! While an extra runs, a push that finds no parked core worker to wake unparks the extras
//! (`Shared::notify_parked`), so work from other threads does not wait for the period.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::loom::sync::atomic::{
    fence, AtomicBool, AtomicUsize,
    Ordering::{Acquire, Relaxed, SeqCst},
};
use crate::loom::sync::{Condvar, Mutex};
use crate::runtime::{spawn_runtime_thread, Handle, WorkerLatch};
use crate::scheduler::park::Parker;
use crate::scheduler::worker::{self, Queues};
use crate::scheduler::Shared;

/// How often the monitor checks the workers while any of them runs.
pub(crate) const WATCHDOG_PERIOD: Duration = Duration::from_millis(10);

/// How many timed checks the monitor makes after an untimed sleep before it may sleep untimed
/// again (see `# Sleeping when idle`).
pub(crate) const TIMED_CHECKS_AFTER_SLEEP: u32 = 10;

/// The default stall threshold (`Builder::stall_threshold`).
pub(crate) const DEFAULT_STALL_THRESHOLD: Duration = Duration::from_millis(100);

/// How many reported task ids the monitor remembers before it forgets them all (a task that is
/// stuck again after that may be reported twice; the set cannot grow without bound).
const MAX_REPORTED: usize = 4096;

/// The monitor's sleep/wake handshake.
///
/// # Invariant
///
/// `sleeping` is true only while the monitor thread is between its last check of the idle
/// counts and the end of its untimed wait, and it holds `lock` over that whole stretch except
/// inside the wait itself.
pub(crate) struct Monitor {
    /// Stalls reported so far (`RuntimeMetrics::stall_count`); written by the monitor thread
    /// only (load + store).
    stalls: std::sync::atomic::AtomicU64,
    sleeping: AtomicBool,
    stop: AtomicBool,
    lock: Mutex<()>,
    condvar: Condvar,
    /// Test builds only: how many times [`Monitor::wake`] found the monitor asleep.
    #[cfg(test)]
    pub(crate) woken: std::sync::atomic::AtomicUsize,
}

impl Monitor {
    pub(crate) fn new() -> Monitor {
        Monitor {
            stalls: std::sync::atomic::AtomicU64::new(0),
            sleeping: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            lock: Mutex::new(()),
            condvar: Condvar::new(),
            #[cfg(test)]
            woken: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Stalls reported so far.
    pub(crate) fn stall_count(&self) -> u64 {
        self.stalls.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Counts a reported stall (monitor thread only).
    fn count_stall(&self) {
        crate::runtime::metrics::bump(&self.stalls, 1);
    }

    /// Called after a worker was counted as unparked: wakes the monitor if it sleeps.
    pub(crate) fn wake(&self) {
        // Store-buffering against `sleep_while`: the caller's count change, then our read of
        // `sleeping`; it needs a fence on each side (a SeqCst access alone is not enough for
        // loom, which treats it as AcqRel).
        fence(SeqCst);
        if self.sleeping.load(SeqCst) {
            #[cfg(test)]
            self.woken.fetch_add(1, SeqCst);
            let _lock = self.lock.lock();
            self.condvar.notify_one();
        }
    }

    /// Test builds only: whether the monitor is in (or entering) its untimed sleep.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn is_sleeping(&self) -> bool {
        self.sleeping.load(SeqCst)
    }

    /// Stops the monitor thread (shutdown).
    pub(crate) fn stop(&self) {
        self.stop.store(true, SeqCst);
        let _lock = self.lock.lock();
        self.condvar.notify_one();
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stop.load(SeqCst)
    }

    /// Sleeps without a time limit until woken if `idle()` holds (only if `untimed_allowed`),
    /// else for one period. Returns `true` if it slept untimed (the caller forgets what it saw
    /// before).
    pub(crate) fn sleep_while(
        &self,
        idle: impl Fn() -> bool,
        period: Duration,
        untimed_allowed: bool,
    ) -> bool {
        let mut lock = self.lock.lock();
        if self.is_stopped() {
            return false;
        }
        if untimed_allowed && idle() {
            self.sleeping.store(true, SeqCst);
            fence(SeqCst);
            // Re-check after publishing `sleeping`: a worker that unparked before the store is
            // seen here; one after it sees `sleeping` and notifies under the lock we hold.
            if idle() && !self.is_stopped() {
                // One wait, not a loop: whatever woke us (a worker leaving the parked state,
                // `stop`), the caller checks next, even if the runtime is idle again by the
                // time this thread runs. Waiting again here would let a runtime that flips
                // between idle and busy wake us at every flip (`# Sleeping when idle`).
                self.condvar.wait(&mut lock);
                self.sleeping.store(false, SeqCst);
                return true;
            }
            self.sleeping.store(false, SeqCst);
            // A worker left the parked state between the two checks: wait one period instead
            // of returning at once (the caller would try again at once, a spin).
        }
        self.condvar.wait_for(&mut lock, period);
        false
    }
}

/// What the monitor remembers of one worker between checks.
#[derive(Clone, Copy, Default)]
pub(crate) struct Seen {
    ticks: usize,
    /// When the tick was first seen at its current value.
    since: Option<Instant>,
}

/// What one check concluded about one worker.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WorkerHealth {
    /// Its tick moved, or it is not inside a poll.
    Fine,
    /// Inside one poll since at least the given instant.
    Stuck { since: Instant },
}

impl Seen {
    /// Compares the worker's tick with the last check's. `polling`: it is inside a task's poll.
    pub(crate) fn check(&mut self, ticks: usize, polling: bool, now: Instant) -> WorkerHealth {
        if self.since.is_none() || self.ticks != ticks {
            self.ticks = ticks;
            self.since = Some(now);
            return WorkerHealth::Fine;
        }
        match (polling, self.since) {
            (true, Some(since)) => WorkerHealth::Stuck { since },
            _ => WorkerHealth::Fine,
        }
    }

    pub(crate) fn forget(&mut self) {
        self.since = None;
    }
}

/// What a slot in [`Extras`] holds; generic only so the loom model can use a plain queue.
pub(crate) trait Slot {
    /// The slot's index in the remotes.
    fn index(&self) -> usize;
}

impl Slot for FreeSlot {
    fn index(&self) -> usize {
        self.index
    }
}

/// A free extra slot: its index in the remotes, its deque and its parker.
pub(crate) struct FreeSlot {
    pub(crate) index: usize,
    pub(crate) queues: Queues,
    pub(crate) parker: Parker,
}

/// The compensating workers' slots.
pub(crate) struct Extras<S = FreeSlot> {
    free: Mutex<Vec<S>>,
    /// How many extras run (counted from just before start until after the hand-over).
    active: AtomicUsize,
    /// One flag per extra slot, indexed by `slot - first`.
    retire: Box<[AtomicBool]>,
    first: usize,
}

impl<S: Slot> Extras<S> {
    pub(crate) fn new(first: usize, slots: Vec<S>) -> Extras<S> {
        let n = slots.len();
        Extras {
            free: Mutex::new(slots),
            active: AtomicUsize::new(0),
            retire: (0..n).map(|_| AtomicBool::new(false)).collect(),
            first,
        }
    }

    pub(crate) fn active(&self) -> usize {
        self.active.load(SeqCst)
    }

    /// Start step 1: takes a free slot and counts it as active.
    pub(crate) fn claim(&self) -> Option<S> {
        let mut free = self.free.lock();
        let slot = free.pop()?;
        self.retire[slot.index() - self.first].store(false, SeqCst);
        self.active.fetch_add(1, SeqCst);
        Some(slot)
    }

    /// A start failed (the OS refused the thread): the slot goes back unused.
    pub(crate) fn unclaim(&self, slot: S) {
        let mut free = self.free.lock();
        free.push(slot);
        self.active.fetch_sub(1, SeqCst);
    }

    /// Step 2: asks the extra in `index` to retire.
    pub(crate) fn request_retire(&self, index: usize) {
        self.retire[index - self.first].store(true, SeqCst);
    }

    /// Whether the extra in `index` has been asked to retire.
    pub(crate) fn should_retire(&self, index: usize) -> bool {
        self.retire[index - self.first].load(SeqCst)
    }

    /// Step 3: the retiring extra hands over what it has queued (`hand_over` moves it to the
    /// injector), then gives its slot back. Only after this may the slot be claimed again.
    pub(crate) fn retire(&self, slot: S, hand_over: impl FnOnce(&S)) {
        hand_over(&slot);
        let mut free = self.free.lock();
        free.push(slot);
        self.active.fetch_sub(1, SeqCst);
    }
}

/// The monitor's memory of stuck tasks already reported.
#[derive(Default)]
pub(crate) struct Reports {
    seen: HashSet<u64>,
}

impl Reports {
    /// `true` the first time a task id is given.
    pub(crate) fn first_time(&mut self, id: u64) -> bool {
        if self.seen.len() >= MAX_REPORTED {
            self.seen.clear();
        }
        self.seen.insert(id)
    }
}

/// The monitor thread's body (`filch-monitor`).
pub(crate) fn run_monitor(handle: &Handle, latch: &Arc<WorkerLatch>) {
    let shared = &*handle.shared;
    let threshold = shared.config.stall_threshold;
    let mut seen = vec![Seen::default(); shared.remotes.len()];
    let mut driver_entries = None;
    let mut reports = Reports::default();
    let mut last_start: Option<Instant> = None;
    // Set when an extra could not be started (the OS refused the thread, or its start hook
    // panicked); no new attempt until the stall ends, instead of one every period.
    let mut start_failed = false;
    // Timed checks since the last untimed sleep (`# Sleeping when idle`).
    let mut timed_checks = TIMED_CHECKS_AFTER_SLEEP;
    loop {
        // Idle means: every worker parked, no extra running, and one of the parked workers in
        // the driver (were nobody in it, the next check must nudge a sleeper into it).
        let slept = shared.monitor.sleep_while(
            || {
                shared.idle.num_unparked() == 0
                    && shared.extras.active() == 0
                    && shared.driver.is_locked()
            },
            WATCHDOG_PERIOD,
            timed_checks >= TIMED_CHECKS_AFTER_SLEEP,
        );
        if shared.monitor.is_stopped() || shared.is_shutdown() {
            return;
        }
        if slept {
            seen.iter_mut().for_each(Seen::forget);
            driver_entries = None;
            timed_checks = 0;
            continue;
        }
        timed_checks = timed_checks.saturating_add(1);
        let now = Instant::now();

        // 1. Nobody entered the driver for a whole period while workers sleep on condvars.
        let entries = shared.driver.entries();
        if !shared.driver.is_locked() && driver_entries == Some(entries) {
            shared.nudge_sleeper();
        }
        driver_entries = Some(entries);

        // 2. Stuck workers: hand their queues over, report long stalls.
        let mut all_core_stuck = true;
        let mut core_stuck_since = None::<Instant>;
        let mut stuck_extras = 0;
        let mut in_place_core = 0;
        for (index, remote) in shared.remotes.iter().enumerate() {
            let is_extra = index >= shared.num_core;
            if remote.in_place.load(SeqCst) {
                // In `block_in_place`: blocking on purpose, its queue already handed over.
                // Stuck from the start, never reported (`block_in_place.rs`).
                seen[index].forget();
                if is_extra {
                    stuck_extras += 1;
                } else {
                    in_place_core += 1;
                }
                continue;
            }
            let ticks = remote.ticks.load(Relaxed);
            let location = remote.polling.load(Acquire);
            let id = remote.polling_id.load(Relaxed);
            // A tick that moved while we read means the worker moved on: not stuck.
            let polling = !location.is_null() && remote.ticks.load(Relaxed) == ticks;
            match seen[index].check(ticks, polling, now) {
                WorkerHealth::Fine => {
                    if !is_extra {
                        all_core_stuck = false;
                    }
                }
                WorkerHealth::Stuck { since } => {
                    shared.rescue(index);
                    if is_extra {
                        stuck_extras += 1;
                    } else {
                        // The most recent start among the core workers' stalls.
                        core_stuck_since = Some(core_stuck_since.map_or(since, |s| s.max(since)));
                    }
                    let stuck_for = now.saturating_duration_since(since);
                    if threshold.is_some_and(|t| stuck_for >= t) && reports.first_time(id as u64) {
                        // SAFETY: `polling` is non-null only while it holds a pointer made from
                        // a `&'static Location<'static>` (see `WorkerCtx::run_task`).
                        let location = unsafe { &*location };
                        shared.monitor.count_stall();
                        warn(&stall_message(
                            location,
                            stuck_for,
                            &thread_name(shared, index),
                        ));
                    }
                }
            }
        }

        // 3. Every worker stuck past the threshold: one more extra worker. Any core worker free
        // again: the extras retire.
        // A worker in `block_in_place` needs its compensation at once, whatever the threshold
        // (even with stall handling off).
        let stuck_long = in_place_core > 0
            || core_stuck_since
                .is_some_and(|s| threshold.is_some_and(|t| now.saturating_duration_since(s) >= t));
        let all_stuck_long = all_core_stuck && stuck_long && stuck_extras == shared.extras.active();
        if all_stuck_long {
            let due =
                last_start.is_none_or(|t| now.saturating_duration_since(t) >= WATCHDOG_PERIOD);
            if due && !start_failed {
                if let Some(slot) = shared.extras.claim() {
                    last_start = Some(now);
                    // The slot's last owner left its tick behind; this thread starts afresh.
                    seen[slot.index].forget();
                    start_failed = !start_extra(handle, latch, slot);
                }
            }
        } else if !all_core_stuck {
            start_failed = false;
        }
        if !all_core_stuck && shared.extras.active() > 0 {
            for index in shared.num_core..shared.remotes.len() {
                shared.extras.request_retire(index);
                shared.remotes[index].unparker.unpark();
            }
        }
    }
}

fn thread_name(shared: &Shared, index: usize) -> String {
    if index < shared.num_core {
        format!("filch-worker-{index}")
    } else {
        format!("filch-extra-{}", index - shared.num_core)
    }
}

/// Writes one warning line to standard error (see `runtime::report`: one write, never panics;
/// this runs on the monitor thread, where a panic aborts).
fn warn(line: &str) {
    crate::runtime::report(line);
}

/// Starts an extra worker in `slot`; `false` if the OS refused the thread (the slot is back in
/// the free list). A start hook that panics is reported by the thread itself.
fn start_extra(handle: &Handle, latch: &Arc<WorkerLatch>, slot: FreeSlot) -> bool {
    let index = slot.index;
    // The slot travels to the thread through a shared cell, so that it comes back to the free
    // list if the OS refuses the thread or the start hook panics.
    let cell = Arc::new(std::sync::Mutex::new(Some(slot)));
    let give_back = {
        let cell = cell.clone();
        let handle = handle.clone();
        move || {
            let slot = cell.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(slot) = slot {
                handle.shared.extras.unclaim(slot);
            }
        }
    };
    let name = thread_name(&handle.shared, index);
    let give_back2 = give_back.clone();
    let spawned = spawn_runtime_thread(
        name.clone(),
        handle,
        latch,
        true,
        move |started| {
            if let Err(message) = started {
                give_back2();
                warn(&format!(
                    "filch: warning: the on_thread_start hook panicked on {name}, a \
                     compensating worker, which therefore does not run: {message}"
                ));
            }
        },
        move |handle| {
            let slot = cell.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(slot) = slot {
                worker::run_extra(handle, slot);
            }
        },
    );
    match spawned {
        Ok(_) => true,
        Err(err) => {
            give_back();
            warn(&format!(
                "filch: warning: could not start a compensating worker while every worker is \
                 stuck: {err}"
            ));
            false
        }
    }
}

/// The warning line for a task stuck in one poll.
pub(crate) fn stall_message(
    location: &std::panic::Location<'_>,
    stuck_for: Duration,
    thread: &str,
) -> String {
    format!(
        "filch: warning: a task spawned at {location} has been stuck in one poll for {} ms on \
         {thread}; a task must not block its worker (use filch::task::spawn_blocking for \
         blocking or long-running work)",
        stuck_for.as_millis()
    )
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_worker_is_stuck_only_when_its_tick_stays_during_a_poll() {
        let t0 = Instant::now();
        let t1 = t0 + WATCHDOG_PERIOD;
        let t2 = t1 + WATCHDOG_PERIOD;
        let mut seen = Seen::default();
        assert_eq!(seen.check(5, true, t0), WorkerHealth::Fine, "first look");
        assert_eq!(seen.check(5, true, t1), WorkerHealth::Stuck { since: t0 });
        assert_eq!(seen.check(5, true, t2), WorkerHealth::Stuck { since: t0 });
        assert_eq!(seen.check(6, true, t2), WorkerHealth::Fine, "tick moved");
        let mut parked = Seen::default();
        assert_eq!(parked.check(9, false, t0), WorkerHealth::Fine);
        assert_eq!(
            parked.check(9, false, t1),
            WorkerHealth::Fine,
            "parked, not polling"
        );
    }

    #[test]
    fn each_task_is_reported_once() {
        let mut reports = Reports::default();
        assert!(reports.first_time(1));
        assert!(!reports.first_time(1));
        assert!(reports.first_time(2));
    }

    #[test]
    fn the_message_names_the_location_and_the_duration() {
        let msg = stall_message(
            std::panic::Location::caller(),
            Duration::from_millis(250),
            "filch-worker-1",
        );
        assert!(msg.contains("watchdog.rs"), "{msg}");
        assert!(msg.contains("250 ms"), "{msg}");
        assert!(msg.contains("filch-worker-1"), "{msg}");
        assert!(msg.contains("spawn_blocking"), "{msg}");
    }
}
