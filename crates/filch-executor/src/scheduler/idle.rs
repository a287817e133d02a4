//! Who is searching, who is asleep: the bookkeeping that decides whether new work wakes a worker.
//!
//! The protocol follows tokio's `idle.rs` (itself after Go's scheduler):
//!
//! * One atomic word counts *unparked* workers (running or searching) and *searching* workers
//!   (out of local work, stealing). A list under a mutex holds the parked workers' indices.
//! * New work calls [`Idle::worker_to_notify`]: it wakes one parked worker, and only when no
//!   worker is searching (a searcher will find the work) and someone is parked. The woken worker
//!   starts out searching, so a burst of pushes wakes one worker, not all of them. Tasks the
//!   I/O driver wakes onto the queue of the worker that is in it ask once, when the driver
//!   returns (`# Waking helpers after the driver` in `worker.rs`).
//! * A searcher that finds work stops searching; if it was the last searcher and more work is
//!   left in some queue, it wakes another parked worker (this chains wake-ups only as far as
//!   there is work; tokio wakes unconditionally here, which costs a wake-up and a re-park per
//!   task when tasks arrive one at a time).
//! * At most half of the workers search at once, so idle workers don't all hammer the queues.
//! * A worker about to park removes itself from the counts and joins the list under the lock.
//!   If it was the last searcher, it looks at every queue once more and wakes someone if work
//!   is there. Together with the SeqCst fence in `worker_to_notify`, this is what makes a lost
//!   wake-up impossible: either the pusher sees no searcher and wakes a sleeper, or the last
//!   searcher sees the pushed work.
//!
//! The worker loop takes these decisions only through [`Idle::stop_searching`],
//! [`Idle::park_worker`] and [`Idle::after_wake`], and the loom model in `loom_tests.rs` drives
//! the same three functions, so the model checks the code that runs.

use crate::loom::sync::atomic::{fence, AtomicUsize, Ordering::SeqCst};
use crate::loom::sync::Mutex;

const UNPARK_SHIFT: usize = 16;
const UNPARK_ONE: usize = 1 << UNPARK_SHIFT;
const SEARCH_MASK: usize = UNPARK_ONE - 1;

/// # Invariant
///
/// With `sleepers` locked, `sleepers.len() == num_workers - unparked(state)`, and a worker index
/// is in `sleepers` at most once: both counts and the list only change together under the lock
/// (searching alone also changes without it).
pub(crate) struct Idle {
    state: AtomicUsize,
    sleepers: Mutex<Vec<usize>>,
    num_workers: usize,
}

fn searching(state: usize) -> usize {
    state & SEARCH_MASK
}

fn unparked(state: usize) -> usize {
    state >> UNPARK_SHIFT
}

impl Idle {
    pub(crate) fn new(num_workers: usize) -> Idle {
        assert!(num_workers < SEARCH_MASK, "too many workers");
        Idle {
            state: AtomicUsize::new(num_workers << UNPARK_SHIFT),
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
            num_workers,
        }
    }

    /// After new work was made visible: the parked worker to wake, if one should be woken. The
    /// returned worker has been counted as unparked and searching.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        // Order the caller's push before our read of the counts (pairs with the SeqCst
        // decrement in `transition_worker_to_parked` and the queue checks after it).
        fence(SeqCst);
        if !self.should_wake() {
            return None;
        }
        let mut sleepers = self.sleepers.lock();
        if !self.should_wake() {
            return None;
        }
        self.state.fetch_add(1 | UNPARK_ONE, SeqCst);
        let worker = sleepers.pop();
        debug_assert!(worker.is_some(), "counts say a worker is parked");
        worker
    }

    fn should_wake(&self) -> bool {
        let state = self.state.load(SeqCst);
        searching(state) == 0 && unparked(state) < self.num_workers
    }

    /// A worker out of local work wants to steal. Refused when half the workers already search.
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let state = self.state.load(SeqCst);
        if 2 * searching(state) >= self.num_workers {
            return false;
        }
        self.state.fetch_add(1, SeqCst);
        true
    }

    /// A searching worker found work. Returns `true` if it was the last searcher, in which case
    /// the caller must wake another worker (there may be more work).
    #[must_use]
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, SeqCst);
        debug_assert!(searching(prev) > 0);
        searching(prev) == 1
    }

    /// The worker parks. Returns `true` if it was the last searcher: the caller must then check
    /// every queue once more and wake a worker if any has work.
    #[must_use]
    pub(crate) fn transition_worker_to_parked(&self, worker: usize, is_searching: bool) -> bool {
        let mut sleepers = self.sleepers.lock();
        let dec = UNPARK_ONE + usize::from(is_searching);
        let prev = self.state.fetch_sub(dec, SeqCst);
        sleepers.push(worker);
        drop(sleepers);
        fence(SeqCst);
        is_searching && searching(prev) == 1
    }

    /// A searching worker found a task. If it was the last searcher and `work_pending()` says
    /// some queue still has work, `notify()` wakes another worker for it.
    pub(crate) fn stop_searching(
        &self,
        work_pending: impl FnOnce() -> bool,
        notify: impl FnOnce(),
    ) {
        if self.transition_worker_from_searching() && work_pending() {
            notify();
        }
    }

    /// A worker out of work parks: it joins the parked list; if it was the last searcher, it
    /// looks at every queue once more (`work_pending`, after a SeqCst fence) and calls `notify`
    /// if any has work. Removing this re-check makes the loom model deadlock.
    pub(crate) fn park_worker(
        &self,
        worker: usize,
        is_searching: bool,
        work_pending: impl FnOnce() -> bool,
        notify: impl FnOnce(),
    ) {
        if self.transition_worker_to_parked(worker, is_searching) && work_pending() {
            notify();
        }
    }

    /// A parked worker's parker returned. `has_work`: its own queues hold work (or the runtime
    /// shuts down). Says whether it leaves park, and whether it leaves as a searcher.
    #[must_use]
    pub(crate) fn after_wake(&self, worker: usize, has_work: bool) -> AfterWake {
        if has_work {
            if self.unpark_worker_by_id(worker) {
                AfterWake::Run { searching: false }
            } else {
                // Chosen by `worker_to_notify` meanwhile: counted as searching.
                AfterWake::Run { searching: true }
            }
        } else if !self.is_parked(worker) {
            // Chosen by `worker_to_notify`: counted as searching.
            AfterWake::Run { searching: true }
        } else {
            AfterWake::ParkAgain
        }
    }

    /// A parked worker woke up without being chosen by `worker_to_notify` (I/O events, a
    /// timeout, shutdown) and has work. Returns `true` if it took itself off the list; `false`
    /// means someone chose it meanwhile, so it is already counted as searching.
    pub(crate) fn unpark_worker_by_id(&self, worker: usize) -> bool {
        let mut sleepers = self.sleepers.lock();
        match sleepers.iter().position(|&w| w == worker) {
            Some(i) => {
                sleepers.swap_remove(i);
                self.state.fetch_add(UNPARK_ONE, SeqCst);
                true
            }
            None => false,
        }
    }

    /// Whether the worker is on the parked list (it was not chosen to wake).
    pub(crate) fn is_parked(&self, worker: usize) -> bool {
        self.sleepers.lock().contains(&worker)
    }

    /// Any parked worker, for a wake that only asks it to look around (it stays listed).
    pub(crate) fn any_sleeper(&self) -> Option<usize> {
        self.sleepers.lock().last().copied()
    }

    pub(crate) fn num_unparked(&self) -> usize {
        unparked(self.state.load(SeqCst))
    }

    pub(crate) fn num_workers(&self) -> usize {
        self.num_workers
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn num_searching(&self) -> usize {
        searching(self.state.load(SeqCst))
    }
}

/// What a worker does when its parker returns ([`Idle::after_wake`]).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum AfterWake {
    /// Leave park and run; `searching`: counted as a searcher.
    Run { searching: bool },
    /// Spurious or foreign wake: stay on the parked list and park again.
    ParkAgain,
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn wakes_one_worker_only_when_nobody_searches() {
        let idle = Idle::new(4);
        assert_eq!(idle.worker_to_notify(), None, "everyone is running");
        assert!(!idle.transition_worker_to_parked(0, false));
        assert!(!idle.transition_worker_to_parked(1, false));
        assert_eq!(idle.num_unparked(), 2);
        assert_eq!(idle.worker_to_notify(), Some(1));
        assert_eq!(idle.num_searching(), 1);
        assert_eq!(idle.worker_to_notify(), None, "a searcher exists");
        assert!(idle.transition_worker_from_searching(), "last searcher");
        assert_eq!(idle.worker_to_notify(), Some(0));
    }

    #[test]
    fn at_most_half_search() {
        let idle = Idle::new(4);
        assert!(idle.transition_worker_to_searching());
        assert!(idle.transition_worker_to_searching());
        assert!(!idle.transition_worker_to_searching());
        assert!(!idle.transition_worker_to_parked(2, true));
        assert!(
            idle.transition_worker_to_parked(3, true),
            "last searcher parks"
        );
    }

    #[test]
    fn self_unpark_and_notify_race() {
        let idle = Idle::new(2);
        assert!(!idle.transition_worker_to_parked(0, false));
        assert!(idle.is_parked(0));
        assert!(idle.unpark_worker_by_id(0));
        assert!(!idle.is_parked(0));
        assert!(!idle.unpark_worker_by_id(0), "not listed twice");
        assert_eq!(idle.num_unparked(), 2);
    }
}
