//! Panics: `JoinError`'s API, panics in `poll` and in destructors are caught and the worker goes
//! on, and the future is always dropped before the `JoinHandle` sees completion.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};

use common::{guard, panic_message, pending_forever, rt, wait_until, DropCount};
use filch_executor::runtime::Builder;
use filch_executor::task::{yield_now, JoinError};
use futures_lite::future::block_on;

fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}

#[test]
fn join_error_is_a_send_sync_error() {
    assert_error::<JoinError>();
}

#[test]
fn panic_in_poll_gives_the_payload_to_the_join_handle() {
    guard(|| {
        let rt = rt(2);
        let n = std::hint::black_box(7);
        let err = block_on(rt.spawn(async move { panic!("boom {n}") })).unwrap_err();
        assert!(err.is_panic() && !err.is_cancelled());
        let shown = err.to_string();
        assert!(
            shown.contains("panicked") && shown.contains("boom 7"),
            "{shown}"
        );
        assert!(format!("{err:?}").contains("boom 7"));
        let payload = err.into_panic();
        assert_eq!(payload.downcast_ref::<String>().unwrap(), "boom 7");

        let err = block_on(rt.spawn(async { panic!("static str") })).unwrap_err();
        let payload = err.try_into_panic().expect("a panic");
        assert_eq!(panic_message(&*payload), "static str");

        // Any payload type is carried, not only strings.
        let err = block_on(rt.spawn(async { std::panic::panic_any(17_u32) })).unwrap_err();
        assert!(err.is_panic());
        assert!(err.to_string().contains("panicked"));
        assert_eq!(err.into_panic().downcast_ref::<u32>(), Some(&17));
    });
}

#[test]
fn cancelled_join_error_api() {
    guard(|| {
        let rt = rt(1);
        let handle = rt.spawn(pending_forever());
        handle.abort();
        let err = block_on(handle).unwrap_err();
        assert!(err.is_cancelled() && !err.is_panic());
        assert!(err.to_string().contains("cancelled"), "{err}");
        let err = err.try_into_panic().unwrap_err();
        assert!(
            err.is_cancelled(),
            "try_into_panic gives a cancellation back"
        );
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| err.into_panic()));
        let msg = panic_message(&*caught.unwrap_err());
        assert!(
            msg.contains("is_panic"),
            "into_panic on a cancellation explains: {msg}"
        );
        // It is a std error, usable with `?` into Box<dyn Error>.
        let boxed: Box<dyn std::error::Error + Send + Sync> =
            Box::new(block_on(rt.spawn(async { panic!("x") })).unwrap_err());
        assert!(boxed.to_string().contains('x'));
    });
}

#[test]
fn a_panicking_task_does_not_stop_its_worker() {
    guard(|| {
        let stops = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let s = stops.clone();
        let rt = Builder::new()
            .worker_threads(1)
            .on_thread_stop(move || {
                // A slow panic (printing a backtrace) may count as a stall and start a
                // compensating `filch-extra-` thread, which stops later; only the worker counts.
                let name = std::thread::current().name().unwrap_or("").to_owned();
                if name.starts_with("filch-worker-") {
                    s.fetch_add(1, SeqCst);
                }
            })
            .build()
            .unwrap();
        // Spawned back to back onto the only worker: the second runs after the first panics.
        let bad = rt.spawn(async { panic!("first task fails") });
        let good = rt.spawn(async { "second task runs" });
        let err = block_on(bad).unwrap_err();
        assert_eq!(panic_message(&*err.into_panic()), "first task fails");
        assert_eq!(block_on(good).unwrap(), "second task runs");
        // Many more panics, interleaved with work, on the same worker.
        let handles: Vec<_> = (0..100)
            .map(|i| {
                rt.spawn(async move {
                    yield_now().await;
                    if i % 2 == 0 {
                        panic!("task {i}");
                    }
                    i
                })
            })
            .collect();
        for (i, h) in handles.into_iter().enumerate() {
            match block_on(h) {
                Ok(v) => assert_eq!(v, i),
                Err(e) => assert_eq!(panic_message(&*e.into_panic()), format!("task {i}")),
            }
        }
        assert_eq!(stops.load(SeqCst), 0, "the worker thread did not exit");
    });
}

/// Panics when dropped.
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        panic!("drop panicked");
    }
}

#[test]
fn panic_while_dropping_an_aborted_future_is_caught() {
    guard(|| {
        let rt = rt(1);
        let started = Arc::new(AtomicBool::new(false));
        let s = started.clone();
        let handle = rt.spawn(async move {
            let _p = PanicOnDrop;
            s.store(true, SeqCst);
            pending_forever().await
        });
        wait_until("the task runs", || started.load(SeqCst));
        handle.abort();
        let err = block_on(handle).unwrap_err();
        assert!(err.is_panic(), "{err:?}");
        assert_eq!(panic_message(&*err.into_panic()), "drop panicked");
        // The only worker survived.
        assert_eq!(block_on(rt.spawn(async { 5 })).unwrap(), 5);
    });
}

/// Ready at once; its destructor panics after the output was produced.
struct ReadyThenPanicOnDrop(Option<common::Guard>);

impl Future for ReadyThenPanicOnDrop {
    type Output = common::Guard;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<common::Guard> {
        Poll::Ready(self.0.take().unwrap())
    }
}

impl Drop for ReadyThenPanicOnDrop {
    fn drop(&mut self) {
        panic!("drop after completion panicked");
    }
}

#[test]
fn panic_while_dropping_a_completed_future_is_caught_and_the_output_dropped() {
    guard(|| {
        let rt = rt(1);
        let outputs = DropCount::new();
        let err = block_on(rt.spawn(ReadyThenPanicOnDrop(Some(outputs.guard())))).unwrap_err();
        assert!(err.is_panic());
        assert_eq!(
            panic_message(&*err.into_panic()),
            "drop after completion panicked"
        );
        assert_eq!(
            outputs.dropped(),
            1,
            "the output nobody can receive was dropped"
        );
        assert_eq!(block_on(rt.spawn(async { 5 })).unwrap(), 5);
    });
}

/// Sets its flag when dropped.
struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

/// Wraps a future and sets a flag when the *wrapper* is dropped. (A guard held inside an
/// `async` block would be dropped when the block returns, inside the poll, which says nothing
/// about when the executor drops the future itself.)
struct FlagOnDrop<F> {
    inner: Pin<Box<F>>,
    _flag: SetOnDrop,
}

impl<F: Future> Future for FlagOnDrop<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.inner.as_mut().poll(cx)
    }
}

fn flag_on_drop<F: Future>(inner: F) -> (FlagOnDrop<F>, Arc<AtomicBool>) {
    let dropped = Arc::new(AtomicBool::new(false));
    let fut = FlagOnDrop {
        inner: Box::pin(inner),
        _flag: SetOnDrop(dropped.clone()),
    };
    (fut, dropped)
}

#[test]
fn the_future_is_dropped_before_the_join_handle_sees_completion() {
    guard(|| {
        let rt = rt(2);
        // Completed, panicked and cancelled tasks alike.
        for kind in 0..3 {
            let started = Arc::new(AtomicBool::new(false));
            let s = started.clone();
            let (fut, dropped) = flag_on_drop(async move {
                s.store(true, SeqCst);
                yield_now().await;
                match kind {
                    0 => 1,
                    1 => panic!("kind 1"),
                    _ => {
                        pending_forever().await;
                        0
                    }
                }
            });
            let mut handle = rt.spawn(fut);
            if kind == 2 {
                wait_until("the task runs", || started.load(SeqCst));
                handle.abort();
            }
            // Poll through `&mut` so the handle (and the task) stays alive while we look.
            let result = block_on(&mut handle);
            assert!(
                dropped.load(SeqCst),
                "kind {kind}: the JoinHandle returned ({result:?}) before the future was dropped"
            );
            match kind {
                0 => assert_eq!(result.unwrap(), 1),
                1 => assert!(result.unwrap_err().is_panic()),
                _ => assert!(result.unwrap_err().is_cancelled()),
            }
            assert!(handle.is_finished());
        }
    });
}

#[test]
fn is_finished_implies_the_future_is_gone() {
    guard(|| {
        let rt = rt(2);
        for _ in 0..200 {
            let (fut, dropped) = flag_on_drop(async {
                yield_now().await;
            });
            let handle = rt.spawn(fut);
            while !handle.is_finished() {
                std::thread::yield_now();
            }
            assert!(
                dropped.load(SeqCst),
                "is_finished before the future was dropped"
            );
            block_on(handle).unwrap();
        }
    });
}
