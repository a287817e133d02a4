//! [`JoinHandle`] and [`AbortHandle`]: the owning and the abort-only view of a spawned task.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{ready, Context, Poll};

use super::error::JoinError;
use super::id::Id;
use super::raw::Header;
use super::{RawTask, Task};

/// An owned permission to await a spawned task's output.
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] if the task panicked or was cancelled.
/// Dropping it *detaches* the task: the task keeps running, and its output is dropped when it
/// finishes.
///
/// ```
/// # let rt = filch::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let handle = filch::spawn(async { "done" });
/// assert_eq!(handle.await.unwrap(), "done");
/// # });
/// ```
pub struct JoinHandle<T> {
    raw: RawTask,
    _output: PhantomData<T>,
}

// SAFETY: the handle only moves `T` out of the task (which requires `T: Send` to cross threads)
// and touches the task's state word and mutex-guarded join waker, which are thread-safe.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only allows `is_finished` and `abort`/`abort_handle`, which touch the
// atomic state word; the output is reachable only through `&mut` (poll).
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// # Safety
    ///
    /// `ptr` is a task whose output type is `T`; the caller hands over one reference and the
    /// join interest.
    pub(crate) unsafe fn from_raw(ptr: NonNull<Header>) -> JoinHandle<T> {
        JoinHandle {
            raw: RawTask::from_raw(ptr),
            _output: PhantomData,
        }
    }

    /// Cancels the task.
    ///
    /// An idle task is cancelled promptly: a worker drops its future. A task that is being
    /// polled is cancelled when that poll returns. A task that already finished keeps its output,
    /// and awaiting the handle still returns it. Otherwise, awaiting the handle returns a
    /// [`JoinError`] for which [`is_cancelled`](JoinError::is_cancelled) is true.
    ///
    /// ```
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let handle = filch::spawn(std::future::pending::<()>());
    /// handle.abort();
    /// assert!(handle.await.unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn abort(&self) {
        self.raw.abort();
    }

    /// Whether the task has finished: completed, panicked or been cancelled.
    pub fn is_finished(&self) -> bool {
        self.raw.header().state.load().is_complete()
    }

    /// The task's [`Id`].
    ///
    /// ```
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let a = filch::spawn(async {});
    /// let b = filch::spawn(async {});
    /// assert_ne!(a.id(), b.id());
    /// assert_eq!(a.id(), a.abort_handle().id());
    /// # });
    /// ```
    pub fn id(&self) -> Id {
        Id::from_u64(self.raw.header().id)
    }

    /// Reads the output if the task is complete, else registers `waker` for its completion.
    /// Unlike `poll`, this spends no coop budget (the caller, `JoinSet`, spends its own).
    pub(crate) fn poll_output(&mut self, waker: &std::task::Waker) -> Poll<Result<T, JoinError>> {
        let mut out: Poll<Result<T, JoinError>> = Poll::Pending;
        // SAFETY: `out` is a `Poll<Result<T, JoinError>>` and `T` is this task's output type (the
        // invariant of `from_raw`); we hold the join interest.
        unsafe {
            (self.raw.header().vtable.try_read_output)(
                self.raw.ptr(),
                &mut out as *mut _ as *mut (),
                waker,
            )
        };
        out
    }

    /// A cloneable handle that can abort the task from anywhere, without owning its output.
    pub fn abort_handle(&self) -> AbortHandle {
        self.raw.header().state.ref_inc();
        AbortHandle {
            // SAFETY: we just took a reference for the new handle.
            task: unsafe { Task::from_raw(self.raw.ptr()) },
        }
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let coop = ready!(crate::coop::poll_proceed(cx));
        let out = self.get_mut().poll_output(cx.waker());
        if out.is_ready() {
            coop.made_progress();
        }
        out
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        // SAFETY: we own the join interest and one reference; this consumes both.
        unsafe { (self.raw.header().vtable.drop_join_handle)(self.raw.ptr()) }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.raw.header().id)
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// A handle that can cancel a task but not await it. Cheap to clone; usable from any thread.
///
/// ```
/// # let rt = filch::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let handle = filch::spawn(std::future::pending::<()>());
/// let abort = handle.abort_handle();
/// std::thread::spawn(move || abort.abort()).join().unwrap();
/// assert!(handle.await.unwrap_err().is_cancelled());
/// # });
/// ```
#[derive(Clone)]
pub struct AbortHandle {
    task: Task,
}

impl AbortHandle {
    /// Cancels the task, exactly as [`JoinHandle::abort`] does.
    pub fn abort(&self) {
        self.task.raw().abort();
    }

    /// Whether the task has finished: completed, panicked or been cancelled.
    pub fn is_finished(&self) -> bool {
        self.task.raw().header().state.load().is_complete()
    }

    /// The task's [`Id`], the same as its [`JoinHandle::id`].
    pub fn id(&self) -> Id {
        Id::from_u64(self.task.raw().header().id)
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.task.raw().header().id)
            .field("finished", &self.is_finished())
            .finish()
    }
}
