//! Tasks: spawning, joining, aborting, yielding; local tasks (`local.rs`) and task-local values
//! (`task_local.rs`).
//!
//! # The task allocation
//!
//! A spawned future lives in one heap allocation (`raw::Cell`): a type-erased header holding the
//! atomic state word and a vtable, then the scheduler hook, the future (the same slot later holds
//! the output) and the join waker. Wakers point straight at the allocation.
//!
//! # References
//!
//! The state word counts references. The kinds of reference, and what each may touch:
//!
//! | reference | held by | may touch |
//! |---|---|---|
//! | `Notified` | a run queue, or the thread about to run it | runs the task (`transition_to_running`) |
//! | `Task` | the runtime's owner list; an `AbortHandle` | state word; shutdown may cancel |
//! | `JoinHandle` | the user | the output, once COMPLETE is set |
//! | waker | whoever the future gave a `Waker` | state word; submits a `Notified` |
//!
//! A new task starts with three references (its `Notified`, the owner list's `Task`, and the
//! `JoinHandle`), NOTIFIED and JOIN_INTEREST set. The allocation is freed when the count reaches
//! zero.
//!
//! # States and transitions
//!
//! Flags (see `state.rs`): RUNNING, COMPLETE (never unset), NOTIFIED, CANCELLED (never unset),
//! JOIN_INTEREST (unset once). Each transition is one atomic read-modify-write on the word (a
//! compare-and-swap loop where the new word depends on the old one, a single `fetch_xor` or
//! `fetch_and` where it does not) and returns a `#[must_use]` outcome:
//!
//! | transition | from | to | outcomes |
//! |---|---|---|---|
//! | `transition_to_running` | NOTIFIED, idle | RUNNING | `Success`, `Cancelled` (poll is replaced by cancel), `Failed`/`Dealloc` (already complete: drop the `Notified`) |
//! | `transition_to_idle` | RUNNING | idle | `Ok`/`OkDealloc` (the runner's reference is dropped in the same update), `OkNotified` (woken during the poll: the runner's reference becomes the `Notified`, rescheduled behind other tasks), `Cancelled` (aborted during the poll: cancel now) |
//! | `transition_to_complete` | RUNNING | COMPLETE | returns the old word: JOIN_INTEREST decides who drops the output |
//! | `transition_to_notified_by_val`/`_by_ref` (wake) | idle | NOTIFIED | `Submit` (schedule a `Notified`), `DoNothing` (already notified, running, or complete), `Dealloc` |
//! | `transition_to_notified_and_cancel` (abort) | any | +CANCELLED | `true`: the task was idle, schedule it so a worker cancels it |
//! | `transition_to_shutdown` | idle or queued | RUNNING+CANCELLED | `true`: the caller cancels it now |
//! | `unset_join_interested` | JOIN_INTEREST | — | old word: if COMPLETE, the handle drops the output |
//!
//! The rules these give:
//! * Only the holder of RUNNING touches the future, so a task is never polled by two threads.
//! * A wake during a poll only sets NOTIFIED; the runner reschedules the task after the poll
//!   returns. Waking an already notified task does nothing.
//! * The future (or, after an abort, the cancelled future) is dropped before COMPLETE is set, so a
//!   `JoinHandle` that sees completion knows the future is gone.
//! * Panics while polling or while dropping the future are caught and become a [`JoinError`].
//!   A future whose poll panics is dropped during that unwind (as in tokio), so its destructor
//!   sees `std::thread::panicking()`; a panic of that destructor is caught and discarded.
//!
//! # Local tasks
//!
//! A task spawned with `spawn_local` (`local.rs`) uses the same cell, vtable and transitions, but
//! its future (and maybe its output) is not `Send`: it must never be polled or dropped on a thread
//! other than the one that owns its `LocalSet`. The cell does not know which kind it holds; the
//! guarantee comes from who may call what, reference kind by reference kind:
//!
//! * `Notified` (`poll`): the set's scheduler queues it (a local `VecDeque`, or a mutex-guarded
//!   queue when the wake came from another thread) and only the set's `tick`, which runs on the
//!   owning thread (the `LocalSet` is `!Send`), calls `Notified::run`. A queued `Notified`
//!   dropped elsewhere (a wake racing with the set's shutdown) only decrements the count.
//! * `Task` in the set's owner list (`shutdown`): taken out and shut down only by `LocalSet`'s
//!   `Drop`, on the owning thread. The list holds this reference from spawn until the task is
//!   complete (`release` hands it back inside `complete`, which runs on the owning thread, since
//!   it is reached only from `poll` and `shutdown`).
//! * Waker, `AbortHandle`: on any thread, they touch the state word; a wake or an abort that must
//!   submit calls the vtable's `schedule`, which only queues. An abort is carried out by the
//!   next `poll` on the owning thread (`TransitionToRunning::Cancelled`).
//! * `JoinHandle<T>`: `Send` only when `T` is. On another thread it reads or drops the output
//!   (a `T: Send`), aborts (above) or drops a reference.
//!
//! So the future is only dropped in `poll`, `cancel_and_complete` or `shutdown`, all on the owning
//! thread. What remains is the last reference: whoever drops it runs `dealloc`, which drops the
//! whole cell. Because the owner list's reference lives until COMPLETE, and the future is dropped
//! before COMPLETE is set, `dealloc` never finds a future, whichever thread runs it; it finds an
//! output only if the `JoinHandle` never took it, and then the handle drops it (`drop_join_handle`)
//! on its own thread, or `complete` already did on the owning thread. A `LocalSet` that is
//! forgotten (`mem::forget`) keeps its owner list, so its tasks leak rather than being dropped
//! elsewhere. The scheduler object in the cell (`Arc` of the set's thread-safe part) may be
//! dropped on any thread.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

mod error;
mod id;
mod join;
mod join_set;
mod local;
pub(crate) mod raw;
pub(crate) mod state;
mod task_local;
mod waker;

#[cfg(all(test, loom))]
mod loom_tests;
#[cfg(all(test, not(loom)))]
mod tests;

pub use error::JoinError;
pub use id::{id, try_id, Id};
pub use join::{AbortHandle, JoinHandle};
pub use join_set::JoinSet;
pub use local::{spawn_local, LocalEnterGuard, LocalSet};
pub use task_local::{AccessError, LocalKey};

/// Futures returned by the task module's functions (tokio's path for `TaskLocalFuture`).
pub mod futures {
    pub use super::task_local::TaskLocalFuture;
}
// Only re-exported for the public paths `filch_executor::task::{spawn, spawn_blocking}`: spawning needs a
// runtime, which lives above this module (`runtime/spawn.rs`); nothing in `task/` calls it.
pub use crate::runtime::spawn::{spawn, spawn_blocking};
// Likewise for `block_in_place`, which needs the scheduler's hand-over.
pub use crate::scheduler::block_in_place::block_in_place;

use raw::Header;

/// The scheduler side of a task: where a woken task goes, and the owner list it leaves.
pub(crate) trait Schedule: Send + Sync + Sized + 'static {
    /// Puts a notified task in a run queue. `is_yield` is true when the task woke itself during
    /// its own poll (a yield): it goes behind the other ready tasks.
    fn schedule(&self, task: Notified, is_yield: bool);

    /// The task completed: remove it from the owner list, returning the list's reference.
    fn release(&self, task: &Task) -> Option<Task>;
}

/// A counted pointer to a task, without a role (see `Task`, `Notified`, `JoinHandle`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawTask {
    ptr: NonNull<Header>,
}

impl RawTask {
    fn from_raw(ptr: NonNull<Header>) -> RawTask {
        RawTask { ptr }
    }

    pub(crate) fn ptr(self) -> NonNull<Header> {
        self.ptr
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: a `RawTask` is only held inside a reference-owning wrapper, so the allocation
        // is live for at least as long as the borrow of `self`.
        unsafe { self.ptr.as_ref() }
    }

    fn abort(self) {
        if self.header().state.transition_to_notified_and_cancel() {
            // SAFETY: the transition took a reference for the `Notified` we hand over.
            unsafe { (self.header().vtable.schedule)(self.ptr) }
        }
    }
}

/// One counted reference to a task, with no role beyond keeping it alive (owner list entries,
/// abort handles).
pub(crate) struct Task {
    raw: RawTask,
}

// SAFETY: everything a `Task` reference can do goes through the atomic state word or the
// thread-safe vtable functions. For tasks made by `spawn` (`F: Send`, `F::Output: Send`) any
// thread may do any of it. For local tasks (see "Local tasks" above) the `Task`s that run or shut
// down the task (`Notified::run`, `Task::shutdown`) are only used on the owning thread; on other
// threads a `Task` (a queued `Notified`, an `AbortHandle`) only reads the state word, aborts
// (which schedules through the thread-safe queue) or drops a reference, and the last reference
// is only dropped once the future is gone.
unsafe impl Send for Task {}
// SAFETY: as above; `&Task` only reads the header.
unsafe impl Sync for Task {}

impl Task {
    /// # Safety
    ///
    /// The caller hands over one reference to the live task at `ptr`.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Task {
        Task {
            raw: RawTask::from_raw(ptr),
        }
    }

    pub(crate) fn raw(&self) -> RawTask {
        self.raw
    }

    pub(crate) fn header(&self) -> &Header {
        self.raw.header()
    }

    /// Cancels the task if it is idle (runtime shutdown); consumes this reference.
    pub(crate) fn shutdown(self) {
        let ptr = self.raw.ptr;
        std::mem::forget(self);
        // SAFETY: we hand our reference to `shutdown`, which consumes it.
        unsafe { (ptr.as_ref().vtable.shutdown)(ptr) }
    }
}

impl Clone for Task {
    fn clone(&self) -> Task {
        self.header().state.ref_inc();
        Task { raw: self.raw }
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        if self.header().state.ref_dec() {
            // SAFETY: that was the last reference.
            unsafe { (self.header().vtable.dealloc)(self.raw.ptr) }
        }
    }
}

impl fmt::Debug for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("id", &self.header().id)
            .field("state", &self.header().state)
            .finish()
    }
}

/// A task that must be polled: the reference that stands for the NOTIFIED bit.
pub(crate) struct Notified(Task);

impl Notified {
    /// # Safety
    ///
    /// The caller hands over one reference that stands for the task's NOTIFIED bit.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> Notified {
        // SAFETY: forwarded from the caller.
        Notified(unsafe { Task::from_raw(ptr) })
    }

    /// Gives up ownership as a raw pointer (for the LIFO slot); undone by `from_raw`.
    pub(crate) fn into_raw(self) -> NonNull<Header> {
        let ptr = self.0.raw.ptr;
        std::mem::forget(self);
        ptr
    }

    /// Where the task was spawned.
    pub(crate) fn location(&self) -> &'static std::panic::Location<'static> {
        self.0.header().location
    }

    /// The task's process-unique id.
    pub(crate) fn id(&self) -> u64 {
        self.0.header().id
    }

    /// Where the owner list keeps the task (for `OwnedTasks::add_poll_time`).
    pub(crate) fn owner_slot(&self) -> u32 {
        self.0
            .header()
            .owner_slot
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Marks the task as having yielded when the driver had been entered `entries` times (kept
    /// modulo 2^32; a stamp that wraps to "none" once in 2^32 entries costs one skipped poll).
    pub(crate) fn set_yielded_at(&self, entries: usize) {
        self.0.header().yielded_at.store(
            (entries as u32).wrapping_add(1),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// The driver-entry count (modulo 2^32) when the task yielded, clearing the mark; `None` if
    /// it did not.
    pub(crate) fn take_yielded_at(&self) -> Option<u32> {
        let cell = &self.0.header().yielded_at;
        match cell.load(std::sync::atomic::Ordering::Relaxed) {
            0 => None,
            mark => {
                cell.store(0, std::sync::atomic::Ordering::Relaxed);
                Some(mark.wrapping_sub(1))
            }
        }
    }

    /// Polls the task once (or cancels it, if it was aborted). Consumes this reference.
    pub(crate) fn run(self) {
        let ptr = self.into_raw();
        // SAFETY: we hand our `Notified` reference to `poll`, which consumes it.
        unsafe { (ptr.as_ref().vtable.poll)(ptr) }
    }

    /// Cancels a task that can no longer run (its runtime is gone). Consumes this reference.
    pub(crate) fn shutdown(self) {
        self.0.shutdown()
    }
}

impl fmt::Debug for Notified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Notified").field(&self.0).finish()
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Allocates a task; returns the owner list's `Task`, the run queue's `Notified` and the handle.
/// The caller's location (through `#[track_caller]` frames) is recorded as the spawn location.
#[track_caller]
pub(crate) fn new_task<F, S>(future: F, scheduler: S) -> (Task, Notified, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    new_task_at(future, scheduler, std::panic::Location::caller())
}

/// [`new_task`] with the spawn location given.
pub(crate) fn new_task_at<F, S>(
    future: F,
    scheduler: S,
    location: &'static std::panic::Location<'static>,
) -> (Task, Notified, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    // SAFETY: `F` and `F::Output` are `Send` (the first case of `allocate`'s contract).
    let ptr = unsafe { raw::allocate(future, scheduler, id, location) };
    // SAFETY: a new task holds exactly three references, one for each of these.
    unsafe {
        (
            Task::from_raw(ptr),
            Notified::from_raw(ptr),
            JoinHandle::from_raw(ptr),
        )
    }
}

/// Allocates a *local* task, whose future (and output) need not be `Send`; returns the same three
/// references as [`new_task_at`].
///
/// # Safety
///
/// The caller (a `LocalSet`, `task/local.rs`) upholds the local-task contract of
/// `raw::allocate`: the task is polled and shut down only on this thread, its owner list holds
/// the returned `Task` until the task is complete, and the `JoinHandle<F::Output>` only leaves
/// this thread when `F::Output: Send` (which its type enforces).
pub(crate) unsafe fn new_local_task_at<F, S>(
    future: F,
    scheduler: S,
    location: &'static std::panic::Location<'static>,
) -> (Task, Notified, JoinHandle<F::Output>)
where
    F: Future + 'static,
    F::Output: 'static,
    S: Schedule,
{
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    // SAFETY: forwarded from the caller (the local-task case of `allocate`'s contract).
    let ptr = unsafe { raw::allocate(future, scheduler, id, location) };
    // SAFETY: a new task holds exactly three references, one for each of these.
    unsafe {
        (
            Task::from_raw(ptr),
            Notified::from_raw(ptr),
            JoinHandle::from_raw(ptr),
        )
    }
}

/// Yields to the scheduler: the current task goes behind the other ready tasks, which run before
/// it is polled again.
///
/// ```
/// # let rt = filch::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// for _ in 0..3 {
///     filch::task::yield_now().await;
/// }
/// # });
/// ```
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // A wake during the task's own poll makes the worker requeue it at the back.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
