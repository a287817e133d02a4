//! Per-thread runtime context: which runtime is current (for `spawn` and `Handle::current`),
//! whether this thread is already driving a runtime (so nested `block_on` is refused), and, on
//! worker threads, the worker's local queue (for the fast local scheduling path); on a thread
//! inside a current-thread runtime's `block_on`, that runtime's run queue
//! (`scheduler/current_thread.rs`).

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;

use crate::runtime::{Handle, TryCurrentError};
use crate::scheduler::current_thread::CoreContext;
use crate::scheduler::worker::WorkerCtx;

struct Context {
    current: RefCell<Current>,
    /// True on worker threads and inside `block_on`: blocking on a runtime here would stall it.
    in_runtime: Cell<bool>,
    /// The worker running on this thread, if any; points into the worker thread's stack frame
    /// and is cleared before that frame ends.
    worker: Cell<*const WorkerCtx>,
    /// The current-thread scheduler this thread is running (inside its `block_on`), if any;
    /// points into that `block_on`'s stack frame and is cleared before that frame ends.
    core: Cell<*const CoreContext>,
}

thread_local! {
    static CONTEXT: Context = const {
        Context {
            current: RefCell::new(Current {
                handle: None,
                saved: Vec::new(),
            }),
            in_runtime: Cell::new(false),
            worker: Cell::new(std::ptr::null()),
            core: Cell::new(std::ptr::null()),
        }
    };
}

/// Calls `f` with the current runtime's handle.
pub(crate) fn try_with_current<R>(f: impl FnOnce(&Handle) -> R) -> Result<R, TryCurrentError> {
    CONTEXT
        .try_with(|ctx| match &ctx.current.borrow().handle {
            Some(handle) => Ok(f(handle)),
            None => Err(TryCurrentError::no_runtime()),
        })
        .unwrap_or_else(|_| Err(TryCurrentError::thread_local_destroyed()))
}

/// The current runtime, and what each live [`SetCurrentGuard`] will restore.
struct Current {
    handle: Option<Handle>,
    /// One entry per guard, in the order they were made: the runtime that was current before it.
    saved: Vec<Saved>,
}

struct Saved {
    prev: Option<Handle>,
    /// Its guard was dropped out of order: when the guards above it are dropped, restore past it.
    dropped: bool,
}

/// Makes `handle` the current runtime until the guard drops (restoring the previous one).
pub(crate) fn set_current(handle: &Handle) -> SetCurrentGuard {
    let depth = CONTEXT.with(|ctx| {
        let mut current = ctx.current.borrow_mut();
        let prev = current.handle.replace(handle.clone());
        current.saved.push(Saved {
            prev,
            dropped: false,
        });
        current.saved.len()
    });
    SetCurrentGuard {
        depth,
        _not_send: PhantomData,
    }
}

/// Restores the runtime that was current before [`set_current`] when dropped.
///
/// Guards must be dropped in the reverse order of their creation. One dropped out of order
/// panics (unless the thread is already panicking), after marking its level as gone: when the
/// guards made after it are dropped, the runtime that was current before it is restored, so no
/// stale runtime stays current.
pub(crate) struct SetCurrentGuard {
    /// How many guards were live on this thread once this one was made (its 1-based level).
    depth: usize,
    _not_send: PhantomData<*const ()>,
}

impl Drop for SetCurrentGuard {
    fn drop(&mut self) {
        let depth = self.depth;
        // What this drop releases: one handle in the common case (kept out of a `Vec`, so a
        // `block_on` allocates nothing here), more only after an out-of-order drop.
        let mut released = None;
        let mut more_released = Vec::new();
        let in_order = CONTEXT
            .try_with(|ctx| {
                let mut current = ctx.current.borrow_mut();
                if current.saved.len() != depth {
                    // Out of order (or the levels above were forgotten with `mem::forget`).
                    if let Some(saved) = current.saved.get_mut(depth - 1) {
                        saved.dropped = true;
                    }
                    return current.saved.len() < depth;
                }
                // Restore this level, then every level below whose guard already went.
                while let Some(saved) = current.saved.pop() {
                    let old = std::mem::replace(&mut current.handle, saved.prev);
                    if released.is_none() {
                        released = Some(old);
                    } else {
                        more_released.push(old);
                    }
                    if !current.saved.last().is_some_and(|s| s.dropped) {
                        break;
                    }
                }
                true
            })
            .unwrap_or(true);
        // A runtime's last handle may be among these; drop it outside the borrow.
        drop(released);
        drop(more_released);
        if !in_order && !std::thread::panicking() {
            panic!(
                "runtime enter guards (from Runtime::enter / Handle::enter) were dropped out of \
                 order: guards must be dropped in the reverse order of their creation. The \
                 runtime current before this guard comes back once the guards entered after it \
                 are dropped."
            );
        }
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

/// Registers `worker` as the worker running on this thread while `f` runs (also if `f` unwinds).
///
/// Closure-scoped rather than a guard: [`with_worker`] dereferences the registered pointer, so
/// it must be cleared before `worker` goes away, and a guard could be forgotten.
pub(crate) fn set_worker<R>(worker: &WorkerCtx, f: impl FnOnce() -> R) -> R {
    struct Clear;
    impl Drop for Clear {
        fn drop(&mut self) {
            let _ = CONTEXT.try_with(|ctx| ctx.worker.set(std::ptr::null()));
        }
    }
    CONTEXT.with(|ctx| ctx.worker.set(worker));
    let _clear = Clear;
    f()
}

/// Runs `f` with `in_runtime` cleared (restored afterwards, also if `f` unwinds): for
/// `block_in_place`, inside which this thread may block, `Handle::block_on` included.
pub(crate) fn exit_runtime<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            let was = self.0;
            let _ = CONTEXT.try_with(|ctx| ctx.in_runtime.set(was));
        }
    }
    let was = CONTEXT.with(|ctx| ctx.in_runtime.replace(false));
    let _restore = Restore(was);
    f()
}

/// Runs `f` with no worker registered on this thread (restored afterwards, also if `f`
/// unwinds): for `block_in_place`, whose worker has handed its queues over, so that tasks woken
/// or spawned by `f` go to the injector rather than to queues nobody is running.
pub(crate) fn without_worker<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(*const WorkerCtx);
    impl Drop for Restore {
        fn drop(&mut self) {
            let ptr = self.0;
            let _ = CONTEXT.try_with(|ctx| ctx.worker.set(ptr));
        }
    }
    let was = CONTEXT.with(|ctx| ctx.worker.replace(std::ptr::null()));
    let _restore = Restore(was);
    f()
}

/// Registers `core` as the current-thread scheduler this thread runs while `f` runs (also if
/// `f` unwinds); the previous value comes back afterwards. Closure-scoped for the same reason as
/// [`set_worker`].
pub(crate) fn set_core<R>(core: &CoreContext, f: impl FnOnce() -> R) -> R {
    struct Restore(*const CoreContext);
    impl Drop for Restore {
        fn drop(&mut self) {
            let ptr = self.0;
            let _ = CONTEXT.try_with(|ctx| ctx.core.set(ptr));
        }
    }
    let was = CONTEXT.with(|ctx| ctx.core.replace(core));
    let _restore = Restore(was);
    f()
}

/// Calls `f` with the current-thread scheduler this thread is running, if any.
pub(crate) fn with_core<R>(f: impl FnOnce(Option<&CoreContext>) -> R) -> R {
    let ptr = CONTEXT
        .try_with(|ctx| ctx.core.get())
        .unwrap_or(std::ptr::null());
    // SAFETY: a non-null pointer was set by `set_core` from a `&CoreContext` borrowed for the
    // whole of `set_core`'s closure, which restores the previous value before returning or
    // unwinding, so the pointee is live; it is only used on this thread.
    f(unsafe { ptr.as_ref() })
}

/// Aborts the process if dropped while panicking: for code whose unwinding would leave the
/// scheduler's shared bookkeeping inconsistent (a worker that dies while listed as parked would be
/// counted as searching forever, and no worker would ever be woken again). Task panics never get
/// here: they are caught around each poll.
pub(crate) struct AbortOnPanic(pub(crate) &'static str);

impl Drop for AbortOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Straight to stderr (`eprintln!` output can be captured, by the test harness for
            // one, and would be lost with the process).
            crate::runtime::report(&format!(
                "filch: {} panicked outside any task; the runtime cannot recover its \
                 scheduling state, so the process is aborted",
                self.0
            ));
            std::process::abort();
        }
    }
}

/// Calls `f` with this thread's worker, if it is a worker thread.
pub(crate) fn with_worker<R>(f: impl FnOnce(Option<&WorkerCtx>) -> R) -> R {
    let ptr = CONTEXT
        .try_with(|ctx| ctx.worker.get())
        .unwrap_or(std::ptr::null());
    // SAFETY: a non-null pointer was set by `set_worker` from a `&WorkerCtx` borrowed for the
    // whole of `set_worker`'s closure, and `set_worker` clears it before returning or unwinding,
    // so the pointee is live; worker contexts are only used on their own thread.
    f(unsafe { ptr.as_ref() })
}
