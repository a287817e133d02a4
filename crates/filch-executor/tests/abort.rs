//! Aborting tasks: idle tasks are cancelled promptly with their future dropped on a worker, a
//! running task is cancelled when its poll returns, a finished task keeps its output,
//! `AbortHandle` works from anywhere, and aborting leaks nothing even when it races with
//! completion.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::thread;
use std::time::Duration;

use common::{guard, pending_forever, rt, thread_name, wait_until, DropCount};
use filch_executor::task::{yield_now, AbortHandle};
use filch_executor::{spawn, JoinHandle};
use futures_lite::future::{block_on, poll_fn};

/// Records the name of the thread that drops it.
struct RecordDropThread(Arc<Mutex<Option<String>>>);

impl Drop for RecordDropThread {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(thread_name());
    }
}

/// Spawns an idle task (polled once, waiting forever) that records where its future is dropped.
fn idle_task(
    spawner: impl FnOnce(
        std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
    ) -> JoinHandle<()>,
) -> (JoinHandle<()>, Arc<Mutex<Option<String>>>) {
    let dropped_on = Arc::new(Mutex::new(None));
    let started = Arc::new(AtomicBool::new(false));
    let record = RecordDropThread(dropped_on.clone());
    let s = started.clone();
    let handle = spawner(Box::pin(async move {
        let _record = record;
        s.store(true, SeqCst);
        pending_forever().await;
    }));
    wait_until("the task is polled", || started.load(SeqCst));
    (handle, dropped_on)
}

fn assert_dropped_on_worker(dropped_on: &Mutex<Option<String>>) {
    let name = dropped_on
        .lock()
        .unwrap()
        .clone()
        .expect("the future was dropped");
    assert!(
        name.starts_with("filch-worker-"),
        "an aborted task's future must be dropped on a worker, not on {name:?}"
    );
}

#[test]
fn abort_from_a_plain_thread_cancels_an_idle_task_on_a_worker() {
    guard(|| {
        let rt = rt(2);
        let (handle, dropped_on) = idle_task(|f| rt.spawn(f));
        assert!(!handle.is_finished());
        handle.abort();
        let err = block_on(handle).unwrap_err();
        assert!(err.is_cancelled(), "{err:?}");
        assert_dropped_on_worker(&dropped_on);
    });
}

#[test]
fn abort_from_block_on_drops_the_future_on_a_worker_not_the_caller() {
    guard(|| {
        let rt = rt(2);
        let (handle, dropped_on) = idle_task(|f| rt.spawn(f));
        rt.block_on(async move {
            handle.abort();
            assert!(handle.await.unwrap_err().is_cancelled());
        });
        assert_dropped_on_worker(&dropped_on);
    });
}

#[test]
fn abort_from_another_task_drops_the_future_on_a_worker() {
    guard(|| {
        let rt = rt(2);
        let (handle, dropped_on) = idle_task(|f| rt.spawn(f));
        let err = block_on(rt.spawn(async move {
            handle.abort();
            handle.await
        }))
        .unwrap()
        .unwrap_err();
        assert!(err.is_cancelled());
        assert_dropped_on_worker(&dropped_on);
    });
}

#[test]
fn abort_before_the_first_poll_never_polls_the_future() {
    guard(|| {
        let rt = rt(1);
        // Keep the only worker busy so the task stays queued.
        let busy = Arc::new(AtomicBool::new(false));
        let release = Arc::new(AtomicBool::new(false));
        let (b, r) = (busy.clone(), release.clone());
        let blocker = rt.spawn(async move {
            b.store(true, SeqCst);
            while !r.load(SeqCst) {
                thread::sleep(Duration::from_millis(1));
            }
        });
        wait_until("the blocker runs", || busy.load(SeqCst));
        let polled = Arc::new(AtomicBool::new(false));
        let drops = DropCount::new();
        let (p, g) = (polled.clone(), drops.guard());
        let handle = rt.spawn(async move {
            let _g = g;
            p.store(true, SeqCst);
        });
        handle.abort();
        release.store(true, SeqCst);
        assert!(block_on(handle).unwrap_err().is_cancelled());
        block_on(blocker).unwrap();
        assert!(!polled.load(SeqCst), "an aborted task must not be polled");
        assert_eq!(drops.dropped(), 1, "its future was dropped");
    });
}

#[test]
fn a_running_task_is_cancelled_when_its_poll_returns() {
    guard(|| {
        let rt = rt(2);
        let polls = Arc::new(AtomicUsize::new(0));
        let release = Arc::new(AtomicBool::new(false));
        let drops = DropCount::new();
        let (p, r, g) = (polls.clone(), release.clone(), drops.guard());
        let handle = rt.spawn(poll_fn(move |cx| {
            let _keep = &g;
            p.fetch_add(1, SeqCst);
            while !r.load(SeqCst) {
                thread::sleep(Duration::from_millis(1));
            }
            // Even a self-wake must not earn another poll once aborted.
            cx.waker().wake_by_ref();
            Poll::<()>::Pending
        }));
        wait_until("the poll is in progress", || polls.load(SeqCst) == 1);
        handle.abort();
        assert!(!handle.is_finished(), "the poll has not returned yet");
        assert_eq!(
            drops.dropped(),
            0,
            "the future cannot be dropped while it is polled"
        );
        release.store(true, SeqCst);
        let err = block_on(handle).unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(polls.load(SeqCst), 1, "no poll after the abort");
        assert_eq!(drops.dropped(), 1);
    });
}

#[test]
fn a_finished_task_keeps_its_output_after_abort() {
    guard(|| {
        let rt = rt(2);
        let handle = rt.spawn(async { 42 });
        let abort = handle.abort_handle();
        wait_until("the task finishes", || handle.is_finished());
        assert!(abort.is_finished());
        handle.abort();
        abort.abort();
        assert_eq!(block_on(handle).unwrap(), 42);
    });
}

#[test]
fn abort_handle_is_clone_send_sync_and_works_from_other_threads() {
    fn assert_clone_send_sync<T: Clone + Send + Sync + 'static>() {}
    assert_clone_send_sync::<AbortHandle>();
    guard(|| {
        let rt = rt(2);
        let drops = DropCount::new();
        let g = drops.guard();
        let handle = rt.spawn(async move {
            let _g = g;
            pending_forever().await
        });
        let abort = handle.abort_handle();
        let copy = abort.clone();
        assert!(!abort.is_finished() && !copy.is_finished() && !handle.is_finished());
        thread::spawn(move || copy.abort()).join().unwrap();
        wait_until("the abort completes", || abort.is_finished());
        assert!(handle.is_finished());
        assert_eq!(drops.dropped(), 1);
        assert!(block_on(handle).unwrap_err().is_cancelled());
        // The abort handle outlives the join handle and the task.
        abort.abort();
        assert!(abort.is_finished());
    });
}

#[test]
fn abort_handle_cancels_a_detached_task() {
    guard(|| {
        let rt = rt(2);
        let drops = DropCount::new();
        let g = drops.guard();
        let handle = rt.spawn(async move {
            let _g = g;
            pending_forever().await
        });
        let abort = handle.abort_handle();
        drop(handle);
        abort.abort();
        wait_until("the detached task is cancelled", || drops.dropped() == 1);
        assert!(abort.is_finished());
    });
}

#[test]
fn abort_leaks_nothing() {
    guard(|| {
        let rt = rt(2);
        let futures = DropCount::new();
        let outputs = DropCount::new();
        let handles: Vec<_> = (0..1_000)
            .map(|i| {
                let g = futures.guard();
                let o = outputs.clone();
                rt.spawn(async move {
                    let _g = g;
                    if i % 2 == 0 {
                        pending_forever().await;
                    }
                    yield_now().await;
                    o.guard()
                })
            })
            .collect();
        for h in &handles {
            h.abort();
        }
        let mut cancelled = 0;
        for h in handles {
            match block_on(h) {
                Ok(out) => drop(out),
                Err(e) => {
                    assert!(e.is_cancelled());
                    cancelled += 1;
                }
            }
        }
        assert!(cancelled >= 500, "every pending task was cancelled");
        assert_eq!(futures.dropped(), 1_000, "every future was dropped");
        assert_eq!(
            outputs.dropped(),
            outputs.made(),
            "every output was dropped"
        );
    });
}

#[test]
fn abort_racing_with_completion_leaks_nothing() {
    guard(|| {
        let rt = rt(2);
        let futures = DropCount::new();
        let outputs = DropCount::new();
        let rounds = if cfg!(miri) { 2 } else { 40 };
        let per_round = 50;
        let mut completed = 0;
        let mut cancelled = 0;
        for round in 0..rounds {
            let handles: Vec<JoinHandle<common::Guard>> = (0..per_round)
                .map(|i| {
                    let g = futures.guard();
                    let o = outputs.clone();
                    let yields = (i + round) % 4;
                    rt.spawn(async move {
                        let _g = g;
                        for _ in 0..yields {
                            yield_now().await;
                        }
                        o.guard()
                    })
                })
                .collect();
            let aborts: Vec<AbortHandle> = handles.iter().map(|h| h.abort_handle()).collect();
            thread::scope(|s| {
                // Two threads abort every task (from either end) while a third joins them,
                // and tasks on the workers abort them too.
                let (a, b) = (&aborts, &aborts);
                s.spawn(move || a.iter().for_each(AbortHandle::abort));
                s.spawn(move || b.iter().rev().for_each(AbortHandle::abort));
                let on_worker = aborts.clone();
                let h = rt.spawn(async move {
                    for a in on_worker.iter().step_by(3) {
                        a.abort();
                        yield_now().await;
                    }
                });
                for handle in handles {
                    match block_on(handle) {
                        Ok(out) => {
                            completed += 1;
                            drop(out);
                        }
                        Err(e) => {
                            assert!(e.is_cancelled(), "{e:?}");
                            cancelled += 1;
                        }
                    }
                }
                block_on(h).unwrap();
            });
            assert!(aborts.iter().all(AbortHandle::is_finished));
        }
        assert_eq!(completed + cancelled, rounds * per_round);
        assert_eq!(futures.dropped(), futures.made(), "futures leaked");
        assert_eq!(outputs.dropped(), outputs.made(), "outputs leaked");
        // The runtime still works after all that.
        assert_eq!(rt.block_on(async { spawn(async { 7 }).await }).unwrap(), 7);
    });
}

#[test]
fn a_task_can_abort_itself_during_its_poll() {
    guard(|| {
        let rt = rt(1);
        let slot: Arc<Mutex<Option<AbortHandle>>> = Arc::new(Mutex::new(None));
        let polls = Arc::new(AtomicUsize::new(0));
        let (s, p) = (slot.clone(), polls.clone());
        let gate = Arc::new(AtomicBool::new(false));
        let g = gate.clone();
        let handle = rt.spawn(poll_fn(move |cx| {
            p.fetch_add(1, SeqCst);
            if !g.load(SeqCst) {
                // First poll: the abort handle is not there yet.
                cx.waker().wake_by_ref();
                return Poll::<()>::Pending;
            }
            if let Some(me) = s.lock().unwrap().as_ref() {
                me.abort();
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        }));
        *slot.lock().unwrap() = Some(handle.abort_handle());
        gate.store(true, SeqCst);
        assert!(block_on(handle).unwrap_err().is_cancelled());
        let after = polls.load(SeqCst);
        // Run a few rounds of other tasks through the only worker: a wrongly queued re-poll
        // of the aborted task would happen before they finish.
        for _ in 0..3 {
            block_on(rt.spawn(async {
                for _ in 0..4 {
                    yield_now().await;
                }
            }))
            .unwrap();
        }
        assert_eq!(polls.load(SeqCst), after, "no poll after the self-abort");
    });
}
