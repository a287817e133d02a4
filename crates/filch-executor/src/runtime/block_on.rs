//! Running a future on the calling thread: poll, and sleep on a thread parker between wakes.
//!
//! This is the whole of `block_on` for a multi-thread runtime (the workers run the tasks) and
//! what a current-thread runtime's `block_on` falls back to while another thread runs its
//! scheduler, or after it has shut down (`scheduler/current_thread.rs`).

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};

/// A waker that unparks one thread, remembering a wake that comes before the thread parks.
pub(crate) struct ThreadWaker {
    thread: Thread,
    notified: AtomicBool,
}

impl ThreadWaker {
    /// A waker for the calling thread.
    pub(crate) fn for_current_thread() -> Arc<ThreadWaker> {
        Arc::new(ThreadWaker {
            thread: thread::current(),
            notified: AtomicBool::new(false),
        })
    }

    /// Parks the calling thread (which must be the waker's) until woken; returns at once if a
    /// wake came since the last `wait`.
    pub(crate) fn wait(&self) {
        // `thread::park` keeps a token, so an unpark between our check and the park is kept.
        while !self.notified.swap(false, Ordering::Acquire) {
            thread::park();
        }
    }
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.notified.swap(true, Ordering::Release) {
            self.thread.unpark();
        }
    }
}

pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    block_on_pinned(pin!(future))
}

pub(crate) fn block_on_pinned<F: Future>(mut future: Pin<&mut F>) -> F::Output {
    let inner = ThreadWaker::for_current_thread();
    let waker = Waker::from(inner.clone());
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(output) = crate::coop::budget(|| future.as_mut().poll(&mut cx)) {
            return output;
        }
        inner.wait();
    }
}
