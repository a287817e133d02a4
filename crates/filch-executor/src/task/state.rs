//! The task state word: flags and a reference count packed into one atomic `usize`.
//!
//! Every transition is a single read-modify-write on that word, so all threads agree on one order
//! of events. Each transition is a method returning a `#[must_use]` outcome that names what the
//! caller must do next; see the table in the [module docs of `task`](super).

use std::fmt;

use crate::loom::sync::atomic::{AtomicUsize, Ordering::*};

/// A thread is polling the future, or cancelling it. Set by `transition_to_running` or
/// `transition_to_shutdown`; unset by `transition_to_idle` or `transition_to_complete`.
const RUNNING: usize = 1 << 0;
/// The future is gone and the output slot holds the result. Set once, never unset.
const COMPLETE: usize = 1 << 1;
/// The task must be polled again. While the task is idle this bit means "a `Notified` reference
/// exists and sits in (or is on its way to) a run queue". While it is running, the bit means
/// "woken during this poll": the runner turns it into a `Notified` when the poll returns.
const NOTIFIED: usize = 1 << 2;
/// Abort was requested (by `abort` or by runtime shutdown). Set once, never unset.
const CANCELLED: usize = 1 << 3;
/// A `JoinHandle` exists and will read the output. Unset once, when the handle is dropped.
const JOIN_INTEREST: usize = 1 << 4;

const REF_SHIFT: usize = 5;
const REF_ONE: usize = 1 << REF_SHIFT;
#[cfg(all(test, not(loom)))]
const FLAGS: usize = REF_ONE - 1;

/// A new task: notified (it goes straight into a run queue), with a join handle, and three
/// references: the run queue's `Notified`, the owner list's `Task` and the `JoinHandle`.
const INITIAL: usize = NOTIFIED | JOIN_INTEREST | (3 * REF_ONE);

/// The atomic state word of a task.
pub(crate) struct State(AtomicUsize);

/// A copy of the state word at one instant.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Snapshot(usize);

impl Snapshot {
    pub(crate) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(crate) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(crate) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub(crate) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(crate) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(crate) fn ref_count(self) -> usize {
        self.0 >> REF_SHIFT
    }
    fn is_idle(self) -> bool {
        self.0 & (RUNNING | COMPLETE) == 0
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("running", &self.is_running())
            .field("complete", &self.is_complete())
            .field("notified", &self.is_notified())
            .field("cancelled", &self.is_cancelled())
            .field("join_interest", &self.is_join_interested())
            .field("ref_count", &self.ref_count())
            .finish()
    }
}

/// Outcome of [`State::transition_to_running`], called by a thread holding a `Notified`.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToRunning {
    /// The caller owns the future now and must poll it.
    Success,
    /// The caller owns the future now and must cancel it (abort or shutdown happened).
    Cancelled,
    /// The task is running elsewhere or complete; the caller's reference was dropped.
    Failed,
    /// As `Failed`, and that was the last reference: the caller must deallocate.
    Dealloc,
}

/// Outcome of [`State::transition_to_idle`], called after a poll returned `Pending`.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToIdle {
    /// The task is idle and the runner's reference was dropped.
    Ok,
    /// As `Ok`, and that was the last reference: the runner must deallocate.
    OkDealloc,
    /// The task was woken during the poll: the runner's reference is now a `Notified` that must
    /// be scheduled (behind the other ready tasks: it is a yield).
    OkNotified,
    /// The task was aborted during the poll; it is still running and the runner must cancel it.
    Cancelled,
}

/// Outcome of a wake that consumes its reference ([`State::transition_to_notified_by_val`]).
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToNotifiedByVal {
    /// Nothing to do: the task is already notified, running or complete.
    DoNothing,
    /// The waker's reference became a `Notified` that the caller must schedule.
    Submit,
    /// The waker's reference was the last one: the caller must deallocate.
    Dealloc,
}

/// Outcome of a wake that keeps its reference ([`State::transition_to_notified_by_ref`]).
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TransitionToNotifiedByRef {
    /// Nothing to do: the task is already notified, running or complete.
    DoNothing,
    /// A new reference was taken for a `Notified` that the caller must schedule.
    Submit,
}

impl State {
    pub(crate) fn new() -> State {
        State(AtomicUsize::new(INITIAL))
    }

    #[inline]
    pub(crate) fn load(&self) -> Snapshot {
        Snapshot(self.0.load(Acquire))
    }

    /// Runs `f` in a compare-and-swap loop; `f` returns the new word (or `None` to stop) and an
    /// outcome. Returns the outcome and the word before the update.
    fn update<T>(&self, mut f: impl FnMut(Snapshot) -> (Option<Snapshot>, T)) -> T {
        let mut current = self.0.load(Acquire);
        loop {
            let (next, out) = f(Snapshot(current));
            let Some(next) = next else { return out };
            match self
                .0
                .compare_exchange_weak(current, next.0, AcqRel, Acquire)
            {
                Ok(_) => return out,
                Err(actual) => current = actual,
            }
        }
    }

    /// NOTIFIED → RUNNING, by the holder of a `Notified`.
    #[inline]
    pub(crate) fn transition_to_running(&self) -> TransitionToRunning {
        self.update(|s| {
            debug_assert!(s.is_notified() || s.is_complete(), "{s:?}");
            if s.is_idle() {
                let next = Snapshot((s.0 | RUNNING) & !NOTIFIED);
                let out = if s.is_cancelled() {
                    TransitionToRunning::Cancelled
                } else {
                    TransitionToRunning::Success
                };
                (Some(next), out)
            } else {
                debug_assert!(s.ref_count() > 0);
                let next = Snapshot(s.0 - REF_ONE);
                let out = if next.ref_count() == 0 {
                    TransitionToRunning::Dealloc
                } else {
                    TransitionToRunning::Failed
                };
                (Some(next), out)
            }
        })
    }

    /// RUNNING → idle, after a poll returned `Pending`.
    #[inline]
    pub(crate) fn transition_to_idle(&self) -> TransitionToIdle {
        self.update(|s| {
            debug_assert!(s.is_running());
            if s.is_cancelled() {
                return (None, TransitionToIdle::Cancelled);
            }
            if s.is_notified() {
                // The runner's reference becomes the Notified; NOTIFIED stays set.
                (Some(Snapshot(s.0 & !RUNNING)), TransitionToIdle::OkNotified)
            } else {
                // The runner's reference is dropped in the same update.
                let next = Snapshot((s.0 & !RUNNING) - REF_ONE);
                let out = if next.ref_count() == 0 {
                    TransitionToIdle::OkDealloc
                } else {
                    TransitionToIdle::Ok
                };
                (Some(next), out)
            }
        })
    }

    /// RUNNING → COMPLETE. The output (or the error) must be stored before this call. Returns the
    /// word as it was, so the caller knows whether a `JoinHandle` will read the output.
    #[inline]
    pub(crate) fn transition_to_complete(&self) -> Snapshot {
        let prev = Snapshot(self.0.fetch_xor(RUNNING | COMPLETE, AcqRel));
        debug_assert!(prev.is_running() && !prev.is_complete(), "{prev:?}");
        prev
    }

    /// A wake that consumes the waker's reference.
    pub(crate) fn transition_to_notified_by_val(&self) -> TransitionToNotifiedByVal {
        self.update(|s| {
            if s.is_running() {
                // Remember the wake; the runner reschedules. Its reference keeps the task alive.
                let next = Snapshot((s.0 | NOTIFIED) - REF_ONE);
                debug_assert!(next.ref_count() > 0);
                (Some(next), TransitionToNotifiedByVal::DoNothing)
            } else if s.is_complete() || s.is_notified() {
                let next = Snapshot(s.0 - REF_ONE);
                let out = if next.ref_count() == 0 {
                    TransitionToNotifiedByVal::Dealloc
                } else {
                    TransitionToNotifiedByVal::DoNothing
                };
                (Some(next), out)
            } else {
                (
                    Some(Snapshot(s.0 | NOTIFIED)),
                    TransitionToNotifiedByVal::Submit,
                )
            }
        })
    }

    /// A wake that keeps the waker's reference.
    pub(crate) fn transition_to_notified_by_ref(&self) -> TransitionToNotifiedByRef {
        self.update(|s| {
            if s.is_running() {
                if s.is_notified() {
                    (None, TransitionToNotifiedByRef::DoNothing)
                } else {
                    (
                        Some(Snapshot(s.0 | NOTIFIED)),
                        TransitionToNotifiedByRef::DoNothing,
                    )
                }
            } else if s.is_complete() || s.is_notified() {
                (None, TransitionToNotifiedByRef::DoNothing)
            } else {
                let next = Snapshot((s.0 | NOTIFIED) + REF_ONE);
                (Some(next), TransitionToNotifiedByRef::Submit)
            }
        })
    }

    /// Abort. Returns `true` when the task was idle: a new `Notified` reference was taken and the
    /// caller must schedule it, so that a worker (never the caller) drops the future.
    #[must_use]
    pub(crate) fn transition_to_notified_and_cancel(&self) -> bool {
        self.update(|s| {
            if s.is_complete() || s.is_cancelled() {
                (None, false)
            } else if s.is_running() || s.is_notified() {
                // The runner (or the worker that pops the Notified) sees CANCELLED.
                (Some(Snapshot(s.0 | CANCELLED | NOTIFIED)), false)
            } else {
                let next = Snapshot((s.0 | CANCELLED | NOTIFIED) + REF_ONE);
                (Some(next), true)
            }
        })
    }

    /// Runtime shutdown. Sets CANCELLED; returns `true` when the task was idle (or only queued),
    /// in which case RUNNING was set and the caller must cancel the future now.
    #[must_use]
    pub(crate) fn transition_to_shutdown(&self) -> bool {
        self.update(|s| {
            if s.is_idle() {
                (Some(Snapshot(s.0 | CANCELLED | RUNNING)), true)
            } else if s.is_running() && !s.is_cancelled() {
                (Some(Snapshot(s.0 | CANCELLED)), false)
            } else {
                (None, false)
            }
        })
    }

    /// Drops the join interest. Returns the word before: if it was complete, the `JoinHandle`
    /// owns the output and must drop it.
    pub(crate) fn unset_join_interested(&self) -> Snapshot {
        let prev = Snapshot(self.0.fetch_and(!JOIN_INTEREST, AcqRel));
        debug_assert!(prev.is_join_interested());
        prev
    }

    #[inline]
    pub(crate) fn ref_inc(&self) {
        let prev = self.0.fetch_add(REF_ONE, Relaxed);
        // Guard against overflow into nonsense: far more wakers than memory could hold.
        if prev > usize::MAX / 2 {
            std::process::abort();
        }
    }

    /// Drops `n` references; `true` when they were the last.
    #[must_use]
    #[inline]
    pub(crate) fn ref_dec_n(&self, n: usize) -> bool {
        let prev = Snapshot(self.0.fetch_sub(n * REF_ONE, AcqRel));
        debug_assert!(prev.ref_count() >= n, "{prev:?} - {n}");
        prev.ref_count() == n
    }

    #[must_use]
    #[inline]
    pub(crate) fn ref_dec(&self) -> bool {
        self.ref_dec_n(1)
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.load().fmt(f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn new_task_is_notified_with_three_refs() {
        let s = State::new();
        let snap = s.load();
        assert!(snap.is_notified() && snap.is_join_interested());
        assert!(!snap.is_running() && !snap.is_complete() && !snap.is_cancelled());
        assert_eq!(snap.ref_count(), 3);
        assert_eq!(snap.0 & FLAGS, NOTIFIED | JOIN_INTEREST);
    }

    #[test]
    fn run_then_idle_then_wake() {
        let s = State::new();
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        assert!(!s.load().is_notified());
        assert_eq!(s.transition_to_idle(), TransitionToIdle::Ok);
        // a waker clone is a new reference; wake by value turns it into the Notified.
        s.ref_inc();
        assert_eq!(
            s.transition_to_notified_by_val(),
            TransitionToNotifiedByVal::Submit
        );
        // a second wake while notified only drops its reference.
        s.ref_inc();
        assert_eq!(
            s.transition_to_notified_by_val(),
            TransitionToNotifiedByVal::DoNothing
        );
        assert_eq!(
            s.transition_to_notified_by_ref(),
            TransitionToNotifiedByRef::DoNothing
        );
        assert_eq!(s.load().ref_count(), 3);
    }

    #[test]
    fn wake_during_poll_is_remembered() {
        let s = State::new();
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        assert_eq!(
            s.transition_to_notified_by_ref(),
            TransitionToNotifiedByRef::DoNothing
        );
        assert_eq!(s.transition_to_idle(), TransitionToIdle::OkNotified);
        assert!(s.load().is_notified());
        assert_eq!(
            s.load().ref_count(),
            3,
            "the runner's reference became the Notified"
        );
    }

    #[test]
    fn abort_idle_task_schedules_it_once() {
        let s = State::new();
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        assert_eq!(s.transition_to_idle(), TransitionToIdle::Ok);
        assert_eq!(
            s.load().ref_count(),
            2,
            "the runner's reference went with the transition"
        );
        assert!(s.transition_to_notified_and_cancel());
        assert!(
            !s.transition_to_notified_and_cancel(),
            "second abort does nothing"
        );
        assert_eq!(s.transition_to_running(), TransitionToRunning::Cancelled);
    }

    #[test]
    fn abort_during_poll_is_seen_at_idle() {
        let s = State::new();
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        assert!(!s.transition_to_notified_and_cancel());
        assert_eq!(s.transition_to_idle(), TransitionToIdle::Cancelled);
        assert!(s.load().is_running());
        let prev = s.transition_to_complete();
        assert!(prev.is_join_interested());
        assert!(s.load().is_complete() && !s.load().is_running());
    }

    #[test]
    fn complete_task_ignores_wakes_and_abort() {
        let s = State::new();
        assert_eq!(s.transition_to_running(), TransitionToRunning::Success);
        let _ = s.transition_to_complete();
        assert!(!s.transition_to_notified_and_cancel());
        assert_eq!(
            s.transition_to_notified_by_ref(),
            TransitionToNotifiedByRef::DoNothing
        );
        assert!(!s.transition_to_shutdown());
        assert!(s.unset_join_interested().is_complete());
    }

    #[test]
    fn shutdown_takes_idle_or_queued_tasks() {
        let s = State::new(); // queued
        assert!(s.transition_to_shutdown());
        let snap = s.load();
        assert!(snap.is_running() && snap.is_cancelled());
        // the queued Notified later fails to run and just drops its reference
        let _ = s.transition_to_complete();
        assert_eq!(s.transition_to_running(), TransitionToRunning::Failed);
        assert!(!s.ref_dec());
        assert!(s.ref_dec(), "last reference");
    }
}
