//! Helpers shared by the executor's integration tests.
//!
//! Nothing here measures speed: timeouts are only hang guards, generous enough for a loaded
//! two-core machine, that turn a deadlock into a failing test instead of a stuck CI job.

#![allow(dead_code)]

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use filch_executor::runtime::{Builder, Runtime};

/// How long a test may take before it is declared hung.
pub(crate) const HANG: Duration = Duration::from_secs(30);

/// Runs `f` on its own thread and fails the test if it does not finish within [`HANG`].
/// A panic inside `f` is re-raised on the caller's thread.
#[track_caller]
pub(crate) fn guard<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    guard_for(HANG, f)
}

/// [`guard`] with an explicit limit.
#[track_caller]
pub(crate) fn guard_for<R: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> R + Send + 'static,
) -> R {
    let (tx, rx) = mpsc::channel();
    let thread = thread::Builder::new()
        .name("test-guarded".into())
        .spawn(move || {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = tx.send(out);
        })
        .expect("spawn the guarded thread");
    match rx.recv_timeout(limit) {
        Ok(Ok(value)) => {
            let _ = thread.join();
            value
        }
        Ok(Err(payload)) => std::panic::resume_unwind(payload),
        Err(_) => panic!("the test did not finish within {limit:?}: it hangs"),
    }
}

/// Waits until `cond` holds, failing the test if it does not within [`HANG`].
#[track_caller]
pub(crate) fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + HANG;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

/// A runtime with `n` workers.
pub(crate) fn rt(n: usize) -> Runtime {
    Builder::new()
        .worker_threads(n)
        .build()
        .expect("build runtime")
}

/// Counts how many values it handed out and how many of them were dropped.
#[derive(Clone, Default)]
pub(crate) struct DropCount {
    made: Arc<AtomicUsize>,
    dropped: Arc<AtomicUsize>,
}

impl DropCount {
    pub(crate) fn new() -> DropCount {
        DropCount::default()
    }

    /// A new guard; dropping it counts one drop.
    pub(crate) fn guard(&self) -> Guard {
        self.made.fetch_add(1, SeqCst);
        Guard {
            dropped: self.dropped.clone(),
        }
    }

    pub(crate) fn made(&self) -> usize {
        self.made.load(SeqCst)
    }

    pub(crate) fn dropped(&self) -> usize {
        self.dropped.load(SeqCst)
    }
}

/// Counts its drop in the [`DropCount`] that made it.
#[derive(Debug)]
pub(crate) struct Guard {
    dropped: Arc<AtomicUsize>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.dropped.fetch_add(1, SeqCst);
    }
}

/// A future that never completes and never wakes.
pub(crate) async fn pending_forever() {
    std::future::pending::<()>().await
}

/// A future that is `Pending` once (waking itself), then ready: one trip through the queue.
pub(crate) struct YieldOnce(pub bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// The text of a panic payload (`&str` or `String`), or a placeholder.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_string()
    }
}

/// The current thread's name, or `"<unnamed>"`.
pub(crate) fn thread_name() -> String {
    thread::current().name().unwrap_or("<unnamed>").to_string()
}

/// Wakes through a fresh clone, by value (the path `Waker::wake` takes, which consumes a
/// reference), as opposed to `wake_by_ref`.
pub(crate) fn wake_by_value(waker: &std::task::Waker) {
    let clone = waker.clone();
    clone.wake();
}
