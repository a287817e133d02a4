//! Per-thread runtime context: which runtime is current (for `spawn` and `Handle::current`),
//! whether this thread is already driving a runtime (so nested `block_on` is refused), and, on
//! worker threads, the worker's local queue (for the fast local scheduling path).

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;

use crate::runtime::{Handle, TryCurrentError};
use crate::scheduler::worker::WorkerCtx;

struct Context {
    handle: RefCell<Option<Handle>>,
    /// True on worker threads and inside `block_on`: blocking on a runtime here would stall it.
    in_runtime: Cell<bool>,
    /// The worker running on this thread, if any; points into the worker thread's stack frame
    /// and is cleared before that frame ends.
    worker: Cell<*const WorkerCtx>,
}

thread_local! {
    static CONTEXT: Context = const {
        Context {
            handle: RefCell::new(None),
            in_runtime: Cell::new(false),
            worker: Cell::new(std::ptr::null()),
        }
    };
}

/// Calls `f` with the current runtime's handle.
pub(crate) fn try_with_current<R>(f: impl FnOnce(&Handle) -> R) -> Result<R, TryCurrentError> {
    CONTEXT
        .try_with(|ctx| match &*ctx.handle.borrow() {
            Some(handle) => Ok(f(handle)),
            None => Err(TryCurrentError::no_runtime()),
        })
        .unwrap_or_else(|_| Err(TryCurrentError::thread_local_destroyed()))
}

/// Makes `handle` the current runtime until the guard drops (restoring the previous one).
pub(crate) fn set_current(handle: &Handle) -> SetCurrentGuard {
    let prev = CONTEXT.with(|ctx| ctx.handle.borrow_mut().replace(handle.clone()));
    SetCurrentGuard {
        prev,
        _not_send: PhantomData,
    }
}

pub(crate) struct SetCurrentGuard {
    prev: Option<Handle>,
    _not_send: PhantomData<*const ()>,
}

impl Drop for SetCurrentGuard {
    fn drop(&mut self) {
        let prev = self.prev.take();
        let _ = CONTEXT.try_with(|ctx| {
            let old = std::mem::replace(&mut *ctx.handle.borrow_mut(), prev);
            drop(old);
        });
    }
}

/// Marks this thread as driving a runtime. Returns `None` if it already is.
pub(crate) fn enter_runtime() -> Option<EnterRuntimeGuard> {
    CONTEXT.with(|ctx| {
        if ctx.in_runtime.replace(true) {
            None
        } else {
            Some(EnterRuntimeGuard {
                _not_send: PhantomData,
            })
        }
    })
}

pub(crate) struct EnterRuntimeGuard {
    _not_send: PhantomData<*const ()>,
}

impl Drop for EnterRuntimeGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|ctx| ctx.in_runtime.set(false));
    }
}

/// Registers the worker running on this thread until the guard drops.
pub(crate) fn set_worker(worker: &WorkerCtx) -> WorkerGuard<'_> {
    CONTEXT.with(|ctx| ctx.worker.set(worker));
    WorkerGuard {
        _worker: PhantomData,
    }
}

pub(crate) struct WorkerGuard<'a> {
    _worker: PhantomData<&'a WorkerCtx>,
}

impl Drop for WorkerGuard<'_> {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|ctx| ctx.worker.set(std::ptr::null()));
    }
}

/// Aborts the process if dropped while panicking: for code whose unwinding would leave the
/// scheduler's shared bookkeeping inconsistent (a worker that dies while listed as parked would be
/// counted as searching forever, and no worker would ever be woken again). Task panics never get
/// here: they are caught around each poll.
pub(crate) struct AbortOnPanic(pub(crate) &'static str);

impl Drop for AbortOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "filch: {} panicked outside any task; the runtime cannot recover its \
                 scheduling state, so the process is aborted",
                self.0
            );
            std::process::abort();
        }
    }
}

/// Calls `f` with this thread's worker, if it is a worker thread.
pub(crate) fn with_worker<R>(f: impl FnOnce(Option<&WorkerCtx>) -> R) -> R {
    let ptr = CONTEXT
        .try_with(|ctx| ctx.worker.get())
        .unwrap_or(std::ptr::null());
    // SAFETY: a non-null pointer was set by `set_worker` from a `&WorkerCtx` that outlives the
    // guard, and the guard clears it before the worker's frame ends; worker contexts are only
    // used on their own thread.
    f(unsafe { ptr.as_ref() })
}
