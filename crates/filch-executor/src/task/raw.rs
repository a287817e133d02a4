//! The task allocation: a type-erased [`Header`] followed by the scheduler hook, the future (whose
//! slot holds the output once it completes) and the join waker. One allocation per task.
//!
//! Everything generic over the future lives here, behind the [`Vtable`]; the rest of the
//! executor handles tasks through `NonNull<Header>`.

use std::future::Future;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::{self, NonNull};
use std::task::{Context, Poll, Waker};

use super::error::JoinError;
use super::state::{State, TransitionToIdle, TransitionToRunning};
use super::waker::waker_ref;
use super::{Notified, Schedule, Task};
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use crate::loom::cell::UnsafeCell;
use crate::loom::sync::Mutex;

/// The type-erased front of every task allocation.
///
/// # Invariant
///
/// A `Header` is always the first field of a `#[repr(C)]` [`Cell<F, S>`] allocated by
/// [`allocate`], and `vtable` holds the functions instantiated for exactly that `F` and `S`, so a
/// `NonNull<Header>` may be cast back to `NonNull<Cell<F, S>>` inside those functions. The
/// allocation lives until the reference count in `state` reaches zero.
#[repr(C)]
pub(crate) struct Header {
    pub(crate) state: State,
    pub(crate) vtable: &'static Vtable,
    /// Unique per process, for `JoinError`'s message and the owner list's sharding.
    pub(crate) id: u64,
    /// Where the owner list keeps this task; written under the owner shard's lock only.
    /// 32 bits, so that it shares a word with `polls` (see `runtime/dump.rs`, "the decision").
    pub(crate) owner_slot: AtomicU32,
    /// Polls that have returned (wrapping at 2^32). Written only by the thread holding RUNNING
    /// (relaxed load + store, no read-modify-write), read by task dumps.
    pub(crate) polls: AtomicU32,
    /// Where the task was spawned (`#[track_caller]` on the spawn functions), for stall reports,
    /// slow-poll reports and task dumps.
    pub(crate) location: &'static std::panic::Location<'static>,
    /// Non-zero while the task waits after a yield for a driver poll: one more than the count
    /// of driver entries when it yielded (its low 32 bits) (the scheduler's business, see `# Yielding` in
    /// `scheduler/worker.rs`). Only whoever holds the task's `Notified` reads or writes it, and
    /// a `Notified` changes threads only through a queue that orders the accesses, so relaxed
    /// loads and stores suffice.
    pub(crate) yielded_at: AtomicU32,
}

/// The functions that know the concrete future and scheduler types.
pub(crate) struct Vtable {
    /// Runs a `Notified` (consumes its reference).
    pub(crate) poll: unsafe fn(NonNull<Header>),
    /// Hands a `Notified` (one reference) to the task's scheduler.
    pub(crate) schedule: unsafe fn(NonNull<Header>),
    /// Frees the allocation; the reference count is zero.
    pub(crate) dealloc: unsafe fn(NonNull<Header>),
    /// Moves the output into `dst: *mut Poll<Result<T, JoinError>>` if complete, else registers
    /// the waker.
    pub(crate) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// Drops the join interest and the handle's reference.
    pub(crate) drop_join_handle: unsafe fn(NonNull<Header>),
    /// Runtime shutdown: cancels the task if idle; consumes one reference.
    pub(crate) shutdown: unsafe fn(NonNull<Header>),
}

/// What the future slot holds.
pub(crate) enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, JoinError>),
    Consumed,
}

/// The whole task allocation.
///
/// # Invariant
///
/// `stage` is only touched by the thread that holds the RUNNING bit, or, once COMPLETE is set and
/// while JOIN_INTEREST is set, only by the `JoinHandle`; after COMPLETE without JOIN_INTEREST,
/// only by whoever drops the last reference. `join_waker` is guarded by its mutex.
#[repr(C)]
pub(crate) struct Cell<F: Future, S> {
    pub(crate) header: Header,
    scheduler: S,
    stage: UnsafeCell<Stage<F>>,
    join_waker: Mutex<Option<Waker>>,
}

struct VtableOf<F, S>(F, S);

impl<F, S> VtableOf<F, S>
where
    F: Future + 'static,
    S: Schedule,
{
    const VTABLE: Vtable = Vtable {
        poll: poll::<F, S>,
        schedule: schedule::<F, S>,
        dealloc: dealloc::<F, S>,
        try_read_output: try_read_output::<F, S>,
        drop_join_handle: drop_join_handle::<F, S>,
        shutdown: shutdown::<F, S>,
    };
}

/// Allocates a task with the initial state (notified, join interest, three references).
///
/// Nothing here requires `F: Send` or `F::Output: Send`: which threads may touch the future and
/// the output is a promise of whoever allocates the task, stated below.
///
/// # Safety
///
/// Either `F` and `F::Output` are `Send`, or (a *local task*, `task/local.rs`) the caller and
/// the scheduler `S` guarantee that:
///
/// 1. the task is only polled (the vtable's `poll`) and only shut down (the vtable's
///    `shutdown`) on the thread that calls `allocate`;
/// 2. the scheduler's owner list holds a `Task` reference from before the first poll until the
///    task is complete (it hands it back in `release` or takes it out to shut the task down on
///    that thread), so that the last reference, wherever it is dropped, is dropped after the
///    future is gone (see "Local tasks" in `task/mod.rs` for the whole argument);
/// 3. if `F::Output` is not `Send`, the `JoinHandle` stays on that thread (its type is then
///    `!Send`, so this holds for any handle the caller returns to safe code).
pub(crate) unsafe fn allocate<F, S>(
    future: F,
    scheduler: S,
    id: u64,
    location: &'static std::panic::Location<'static>,
) -> NonNull<Header>
where
    F: Future + 'static,
    S: Schedule,
{
    let mut cell = Box::<Cell<F, S>>::new_uninit();
    let p = cell.as_mut_ptr();
    // SAFETY: `p` points to an uninitialised, properly aligned `Cell<F, S>` owned by `cell`;
    // every field is written exactly once before `assume_init`, through raw field pointers so no
    // reference to uninitialised memory is created. Writing the future field by field keeps
    // large futures from being copied through the stack more than necessary.
    let cell = unsafe {
        ptr::addr_of_mut!((*p).header).write(Header {
            state: State::new(),
            vtable: &VtableOf::<F, S>::VTABLE,
            id,
            owner_slot: AtomicU32::new(u32::MAX),
            polls: AtomicU32::new(0),
            yielded_at: AtomicU32::new(0),
            location,
        });
        ptr::addr_of_mut!((*p).scheduler).write(scheduler);
        ptr::addr_of_mut!((*p).stage).write(UnsafeCell::new(Stage::Running(future)));
        ptr::addr_of_mut!((*p).join_waker).write(Mutex::new(None));
        cell.assume_init()
    };
    NonNull::from(Box::leak(cell)).cast()
}

/// # Safety
///
/// `ptr` must point to a live task whose vtable is `VtableOf::<F, S>`.
unsafe fn cell<'a, F: Future, S>(ptr: NonNull<Header>) -> &'a Cell<F, S> {
    // SAFETY: the caller promises the allocation is a live `Cell<F, S>` (the Header invariant).
    unsafe { ptr.cast::<Cell<F, S>>().as_ref() }
}

/// Drops whatever the stage holds and leaves `Consumed`, even if the drop panics.
///
/// # Safety
///
/// The caller has exclusive access to the stage (see `Cell`'s invariant).
unsafe fn drop_stage<F: Future>(stage: *mut Stage<F>) -> std::thread::Result<()> {
    struct Reset<F: Future>(*mut Stage<F>);
    impl<F: Future> Drop for Reset<F> {
        fn drop(&mut self) {
            // SAFETY: the old value has been dropped (or its drop unwound, after which it must
            // not be touched); writing without dropping it again is exactly what is needed.
            unsafe { ptr::write(self.0, Stage::Consumed) }
        }
    }
    catch_unwind(AssertUnwindSafe(|| {
        let _reset = Reset(stage);
        // SAFETY: exclusive access per the caller; `Reset` overwrites the slot afterwards so the
        // dropped value is never observed.
        unsafe { ptr::drop_in_place(stage) }
    }))
}

unsafe fn poll<F, S>(ptr: NonNull<Header>)
where
    F: Future + 'static,
    S: Schedule,
{
    // SAFETY: this function is only reachable through `VtableOf::<F, S>`.
    let cell = unsafe { cell::<F, S>(ptr) };
    match cell.header.state.transition_to_running() {
        TransitionToRunning::Success => {}
        TransitionToRunning::Cancelled => {
            // SAFETY: we hold RUNNING; `cell` is not used after this call.
            if unsafe { cancel_and_complete(cell, ptr) } {
                // SAFETY: the reference count reached zero.
                unsafe { dealloc::<F, S>(ptr) };
            }
            return;
        }
        TransitionToRunning::Failed => return,
        TransitionToRunning::Dealloc => {
            // SAFETY: the reference count reached zero.
            unsafe { dealloc::<F, S>(ptr) };
            return;
        }
    }

    // `task::id()` reads the id of the task being polled from a thread-local: one write before
    // and one after (`poll_future` does not unwind: it catches the future's panics).
    let previous_id = super::id::enter(cell.header.id);
    // SAFETY: we hold RUNNING, so we have exclusive access to the stage; the future is pinned
    // because the allocation never moves.
    let polled = unsafe { poll_future(cell, ptr) };
    super::id::restore(previous_id);
    // Only the thread holding RUNNING writes this, so load + store cannot lose an update.
    let header = &cell.header;
    header
        .polls
        .store(header.polls.load(Relaxed).wrapping_add(1), Relaxed);
    // `cell` must not be used once the allocation may be gone, so each arm decides whether to
    // deallocate and the deallocation happens after the last use of `cell`.
    let must_dealloc = match polled {
        // SAFETY: we hold RUNNING and the output (or panic) is stored.
        Poll::Ready(()) => unsafe { complete(cell, ptr) },
        Poll::Pending => match cell.header.state.transition_to_idle() {
            TransitionToIdle::Ok => false,
            TransitionToIdle::OkDealloc => true,
            TransitionToIdle::OkNotified => {
                // SAFETY: our reference is now the task's `Notified`.
                let notified = unsafe { Notified::from_raw(ptr) };
                cell.scheduler.schedule(notified, true);
                false
            }
            // SAFETY: we still hold RUNNING.
            TransitionToIdle::Cancelled => unsafe { cancel_and_complete(cell, ptr) },
        },
    };
    if must_dealloc {
        // SAFETY: the reference count reached zero and `cell` is no longer used.
        unsafe { dealloc::<F, S>(ptr) }
    }
}

/// Polls the future once, storing the output (or the panic) when it finishes.
/// Returns `Ready(())` when the stage now holds the result.
///
/// # Safety
///
/// The caller holds RUNNING.
unsafe fn poll_future<F: Future, S>(cell: &Cell<F, S>, ptr: NonNull<Header>) -> Poll<()> {
    // SAFETY: the waker borrows the caller's reference for the duration of the poll.
    let waker = ManuallyDrop::new(unsafe { waker_ref(ptr) });
    let mut cx = Context::from_waker(&waker);
    let result = cell.stage.with_mut(|stage| {
        crate::coop::budget(|| {
            catch_unwind(AssertUnwindSafe(|| {
                // If the poll unwinds, the future is dropped during the unwind, as tokio does, so
                // its destructor sees `std::thread::panicking()` (poison and rollback guards
                // rely on that). A panic of that destructor is caught and discarded: the
                // poll's panic is the one reported.
                struct DropOnUnwind<F: Future>(*mut Stage<F>);
                impl<F: Future> Drop for DropOnUnwind<F> {
                    fn drop(&mut self) {
                        // SAFETY: only reached while the poll below unwinds, with RUNNING still
                        // held, so access to the stage is exclusive; `drop_stage` leaves it
                        // `Consumed`.
                        swallow(unsafe { drop_stage(self.0) });
                    }
                }
                let on_unwind = DropOnUnwind(stage);
                // SAFETY: we hold RUNNING, so nobody else touches the stage.
                let polled = match unsafe { &mut *stage } {
                    Stage::Running(future) => {
                        // SAFETY: the future lives in the task allocation, which never moves
                        // and drops the future in place, so it stays pinned.
                        let future = unsafe { Pin::new_unchecked(future) };
                        future.poll(&mut cx)
                    }
                    _ => unreachable!("a task was polled after it completed"),
                };
                std::mem::forget(on_unwind);
                polled
            }))
        })
    });
    let output = match result {
        Ok(Poll::Pending) => return Poll::Pending,
        Ok(Poll::Ready(output)) => {
            // The future is dropped before anyone can observe completion.
            // SAFETY: exclusive access (RUNNING).
            let dropped = cell.stage.with_mut(|stage| unsafe { drop_stage(stage) });
            match dropped {
                Ok(()) => Ok(output),
                Err(payload) => {
                    swallow(catch_unwind(AssertUnwindSafe(move || drop(output))));
                    Err(JoinError::panic(cell.header.id, payload))
                }
            }
        }
        // The unwind already dropped the future and left the stage `Consumed`.
        Err(payload) => Err(JoinError::panic(cell.header.id, payload)),
    };
    // SAFETY: exclusive access (RUNNING); the stage is `Consumed`, nothing is overwritten.
    cell.stage
        .with_mut(|stage| unsafe { ptr::write(stage, Stage::Finished(output)) });
    Poll::Ready(())
}

/// Drops the future (catching a panic in its destructor) and stores the cancellation.
/// Returns `true` when the caller must deallocate (after its last use of `cell`).
///
/// # Safety
///
/// The caller holds RUNNING.
#[must_use]
unsafe fn cancel_and_complete<F, S>(cell: &Cell<F, S>, ptr: NonNull<Header>) -> bool
where
    F: Future + 'static,
    S: Schedule,
{
    // The future's destructor runs as part of its task, so `task::id()` works there too.
    let previous_id = super::id::enter(cell.header.id);
    // SAFETY: exclusive access (RUNNING).
    let dropped = cell.stage.with_mut(|stage| unsafe { drop_stage(stage) });
    super::id::restore(previous_id);
    let error = match dropped {
        Ok(()) => JoinError::cancelled(cell.header.id),
        Err(payload) => JoinError::panic(cell.header.id, payload),
    };
    // SAFETY: exclusive access (RUNNING); the stage is `Consumed`.
    cell.stage
        .with_mut(|stage| unsafe { ptr::write(stage, Stage::Finished(Err(error))) });
    // SAFETY: RUNNING held, result stored.
    unsafe { complete(cell, ptr) }
}

/// RUNNING → COMPLETE, then notify the join handle, leave the owner list and drop references.
/// Returns `true` when that was the last reference: the caller must deallocate, after its last
/// use of `cell` (freeing the allocation here would free memory `cell` still borrows).
///
/// # Safety
///
/// The caller holds RUNNING and one reference, which this consumes; the result is stored.
#[must_use]
unsafe fn complete<F, S>(cell: &Cell<F, S>, ptr: NonNull<Header>) -> bool
where
    F: Future + 'static,
    S: Schedule,
{
    let before = cell.header.state.transition_to_complete();
    if before.is_join_interested() {
        let waker = cell.join_waker.lock().take();
        if let Some(waker) = waker {
            // A panicking waker must not unwind through the task's bookkeeping.
            swallow(catch_unwind(AssertUnwindSafe(move || waker.wake())));
        }
    } else {
        // Nobody will read the output; drop it now rather than when the last waker goes.
        // SAFETY: COMPLETE without JOIN_INTEREST: only reference holders remain, and they never
        // touch the stage before the count reaches zero; we are the only such toucher here.
        swallow(cell.stage.with_mut(|stage| unsafe { drop_stage(stage) }));
    }
    // SAFETY: we hold a reference for the duration of the borrow.
    let me = ManuallyDrop::new(unsafe { Task::from_raw(ptr) });
    let released = cell.scheduler.release(&me);
    let refs = match released {
        Some(task) => {
            std::mem::forget(task);
            2
        }
        None => 1,
    };
    cell.header.state.ref_dec_n(refs)
}

/// Drops a caught panic payload; a payload whose own destructor panics is leaked rather than
/// allowed to unwind into the scheduler.
fn swallow<T>(result: std::thread::Result<T>) {
    if let Err(payload) = result {
        if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            std::mem::forget(again);
        }
    }
}

unsafe fn schedule<F, S>(ptr: NonNull<Header>)
where
    F: Future + 'static,
    S: Schedule,
{
    // SAFETY: reachable only through `VtableOf::<F, S>`.
    let cell = unsafe { cell::<F, S>(ptr) };
    // SAFETY: the caller hands over one reference that represents the NOTIFIED bit.
    let notified = unsafe { Notified::from_raw(ptr) };
    cell.scheduler.schedule(notified, false);
}

unsafe fn dealloc<F, S>(ptr: NonNull<Header>)
where
    F: Future + 'static,
    S: Schedule,
{
    // SAFETY: the reference count is zero, so this is the only pointer left to an allocation made
    // by `allocate::<F, S>` as a `Box<Cell<F, S>>`.
    let cell = unsafe { Box::from_raw(ptr.cast::<Cell<F, S>>().as_ptr()) };
    // The stage normally holds only a consumed or finished slot; an output's destructor may still
    // panic, and that must not unwind into whoever dropped the last waker.
    swallow(catch_unwind(AssertUnwindSafe(move || drop(cell))));
}

unsafe fn try_read_output<F, S>(ptr: NonNull<Header>, dst: *mut (), waker: &Waker)
where
    F: Future + 'static,
    S: Schedule,
{
    // SAFETY: reachable only through `VtableOf::<F, S>`.
    let cell = unsafe { cell::<F, S>(ptr) };
    let dst = dst.cast::<Poll<Result<F::Output, JoinError>>>();
    if !cell.header.state.load().is_complete() {
        {
            let mut slot = cell.join_waker.lock();
            match &*slot {
                Some(existing) if existing.will_wake(waker) => {}
                _ => {
                    let old = slot.replace(waker.clone());
                    drop(slot);
                    drop(old);
                }
            }
        }
        // Re-check: completion may have happened before we stored the waker.
        if !cell.header.state.load().is_complete() {
            return;
        }
    }
    // SAFETY: COMPLETE is set and we are the join handle (JOIN_INTEREST held), so the stage is
    // ours; `dst` is a valid `Poll<Result<F::Output, JoinError>>` per the JoinHandle's contract.
    unsafe {
        let stage = cell
            .stage
            .with_mut(|stage| ptr::replace(stage, Stage::Consumed));
        match stage {
            Stage::Finished(output) => *dst = Poll::Ready(output),
            _ => panic!("JoinHandle polled after it returned its output"),
        }
    }
}

unsafe fn drop_join_handle<F, S>(ptr: NonNull<Header>)
where
    F: Future + 'static,
    S: Schedule,
{
    // SAFETY: reachable only through `VtableOf::<F, S>`.
    let cell = unsafe { cell::<F, S>(ptr) };
    let before = cell.header.state.unset_join_interested();
    if before.is_complete() {
        // SAFETY: complete and we held the join interest: the output is ours to drop.
        swallow(cell.stage.with_mut(|stage| unsafe { drop_stage(stage) }));
    }
    let waker = cell.join_waker.lock().take();
    swallow(catch_unwind(AssertUnwindSafe(move || drop(waker))));
    if cell.header.state.ref_dec() {
        // SAFETY: the reference count reached zero.
        unsafe { dealloc::<F, S>(ptr) }
    }
}

unsafe fn shutdown<F, S>(ptr: NonNull<Header>)
where
    F: Future + 'static,
    S: Schedule,
{
    // SAFETY: reachable only through `VtableOf::<F, S>`.
    let cell = unsafe { cell::<F, S>(ptr) };
    let must_dealloc = if cell.header.state.transition_to_shutdown() {
        // SAFETY: we hold RUNNING now, and the caller's reference is consumed by `complete`.
        unsafe { cancel_and_complete(cell, ptr) }
    } else {
        cell.header.state.ref_dec()
    };
    if must_dealloc {
        // SAFETY: the reference count reached zero and `cell` is no longer used.
        unsafe { dealloc::<F, S>(ptr) }
    }
}
