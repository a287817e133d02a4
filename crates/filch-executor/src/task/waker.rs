//! Wakers that point straight at the task: clone, wake, wake-by-ref and drop only touch the
//! task's state word (and the scheduler on a wake that must submit). Nothing allocates.

use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::raw::Header;
use super::state::{TransitionToNotifiedByRef, TransitionToNotifiedByVal};

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake, wake_by_ref, drop_waker);

/// A waker that borrows one of the caller's references: the caller keeps it in a `ManuallyDrop`
/// and never drops it, so the reference count is untouched unless the waker is cloned.
///
/// # Safety
///
/// `ptr` is a live task and the returned waker must not outlive the caller's reference.
pub(super) unsafe fn waker_ref(ptr: NonNull<Header>) -> Waker {
    // SAFETY: the vtable functions uphold the `RawWaker` contract for task pointers (below).
    unsafe { Waker::from_raw(RawWaker::new(ptr.as_ptr() as *const (), &VTABLE)) }
}

/// # Safety
///
/// `data` is the header pointer of a live task.
unsafe fn header<'a>(data: *const ()) -> &'a Header {
    // SAFETY: every waker made by this module carries a live header pointer and owns (or
    // borrows) a reference that keeps the allocation alive.
    unsafe { &*(data as *const Header) }
}

unsafe fn clone(data: *const ()) -> RawWaker {
    // SAFETY: `data` is a live task (RawWaker contract).
    unsafe { header(data) }.state.ref_inc();
    RawWaker::new(data, &VTABLE)
}

unsafe fn wake(data: *const ()) {
    // SAFETY: `data` is a live task (RawWaker contract); this waker owns one reference.
    let h = unsafe { header(data) };
    // SAFETY: non-null because it came from a `NonNull<Header>`.
    let ptr = unsafe { NonNull::new_unchecked(data as *mut Header) };
    match h.state.transition_to_notified_by_val() {
        // SAFETY: the waker's reference became the `Notified` handed to the scheduler.
        TransitionToNotifiedByVal::Submit => unsafe { (h.vtable.schedule)(ptr) },
        // SAFETY: the waker held the last reference.
        TransitionToNotifiedByVal::Dealloc => unsafe { (h.vtable.dealloc)(ptr) },
        TransitionToNotifiedByVal::DoNothing => {}
    }
}

unsafe fn wake_by_ref(data: *const ()) {
    // SAFETY: `data` is a live task (RawWaker contract).
    let h = unsafe { header(data) };
    // SAFETY: non-null because it came from a `NonNull<Header>`.
    let ptr = unsafe { NonNull::new_unchecked(data as *mut Header) };
    match h.state.transition_to_notified_by_ref() {
        // SAFETY: a fresh reference was taken for the `Notified`.
        TransitionToNotifiedByRef::Submit => unsafe { (h.vtable.schedule)(ptr) },
        TransitionToNotifiedByRef::DoNothing => {}
    }
}

unsafe fn drop_waker(data: *const ()) {
    // SAFETY: `data` is a live task (RawWaker contract); this waker owns one reference.
    let h = unsafe { header(data) };
    if h.state.ref_dec() {
        // SAFETY: that was the last reference.
        unsafe { (h.vtable.dealloc)(NonNull::new_unchecked(data as *mut Header)) }
    }
}
