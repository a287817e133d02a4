//! Tasks: spawning and joining, detaching, the waker contract (clone, wake, wake-by-ref and drop
//! from any thread; a wake during a poll reschedules once; waking a queued task does nothing)
//! and the rule that a task is never polled by two threads at once.

mod common;

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;

use common::{guard, rt, wait_until, DropCount};
use filch_executor::task::{yield_now, AbortHandle, JoinError};
use filch_executor::{spawn, JoinHandle};
use futures_lite::future::block_on;

fn assert_send_sync_unpin<T: Send + Sync + Unpin>() {}
fn assert_future<F: Future>() {}

#[test]
fn join_handle_is_send_sync_unpin_future() {
    assert_send_sync_unpin::<JoinHandle<u32>>();
    // Sync even when the output is Send but not Sync: `&JoinHandle` never reaches the output.
    assert_send_sync_unpin::<JoinHandle<Cell<u32>>>();
    assert_future::<JoinHandle<String>>();
    fn output_is_result<T>(_: &JoinHandle<T>)
    where
        JoinHandle<T>: Future<Output = Result<T, JoinError>>,
    {
    }
    let _ = output_is_result::<u8>;
    fn clone_send_sync<T: Clone + Send + Sync>() {}
    clone_send_sync::<AbortHandle>();
}

#[test]
fn spawn_and_join_many_tasks() {
    guard(|| {
        let rt = rt(2);
        let total = rt.block_on(async {
            let handles: Vec<_> = (0..10_000u64)
                .map(|i| {
                    spawn(async move {
                        // Each task spawns a child and joins it: spawning from workers too.
                        let child = spawn(async move { i * 2 });
                        yield_now().await;
                        child.await.unwrap() + 1
                    })
                })
                .collect();
            let mut total = 0;
            for h in handles {
                total += h.await.unwrap();
            }
            total
        });
        assert_eq!(total, (0..10_000u64).map(|i| i * 2 + 1).sum::<u64>());
    });
}

#[test]
fn join_handles_can_be_awaited_from_any_thread() {
    guard(|| {
        let rt = rt(2);
        let handles: Vec<JoinHandle<usize>> = (0..64).map(|i| rt.spawn(async move { i })).collect();
        let sum: usize = thread::scope(|s| {
            let mut joins = Vec::new();
            let mut iter = handles.into_iter();
            for _ in 0..4 {
                let chunk: Vec<_> = iter.by_ref().take(16).collect();
                joins.push(s.spawn(move || {
                    chunk
                        .into_iter()
                        .map(|h| block_on(h).unwrap())
                        .sum::<usize>()
                }));
            }
            joins.into_iter().map(|j| j.join().unwrap()).sum()
        });
        assert_eq!(sum, (0..64).sum());
    });
}

#[test]
fn dropping_the_join_handle_detaches_the_task() {
    guard(|| {
        let rt = rt(2);
        let outputs = DropCount::new();
        let go = Arc::new(AtomicBool::new(false));
        let finished = Arc::new(AtomicBool::new(false));
        let (o, g, f) = (outputs.clone(), go.clone(), finished.clone());
        let handle = rt.spawn(async move {
            while !g.load(SeqCst) {
                yield_now().await;
            }
            f.store(true, SeqCst);
            o.guard()
        });
        drop(handle);
        // The task keeps running after its handle is gone...
        go.store(true, SeqCst);
        wait_until("the detached task finishes", || finished.load(SeqCst));
        // ...and its output is dropped, since nobody will read it.
        wait_until("the detached task's output is dropped", || {
            outputs.dropped() == 1
        });
        assert_eq!(outputs.made(), 1);
    });
}

#[test]
fn dropping_the_handle_of_a_finished_task_drops_its_output() {
    guard(|| {
        let rt = rt(1);
        let outputs = DropCount::new();
        let o = outputs.clone();
        let handle = rt.spawn(async move { o.guard() });
        wait_until("the task finishes", || handle.is_finished());
        assert_eq!(outputs.dropped(), 0, "the output waits for its handle");
        drop(handle);
        assert_eq!(
            outputs.dropped(),
            1,
            "dropping the handle dropped the output"
        );
    });
}

#[test]
fn dropping_the_handle_drops_the_output_even_while_wakers_live() {
    guard(|| {
        let rt = rt(1);
        let outputs = DropCount::new();
        let o = outputs.clone();
        let waker_slot = Arc::new(Mutex::new(None));
        let slot = waker_slot.clone();
        let handle = rt.spawn(futures_lite::future::poll_fn(move |cx| {
            // A waker clone outlives the task and keeps its allocation alive.
            *slot.lock().unwrap() = Some(cx.waker().clone());
            Poll::Ready(o.guard())
        }));
        wait_until("the task finishes", || handle.is_finished());
        drop(handle);
        assert_eq!(
            outputs.dropped(),
            1,
            "the output must go with the handle, not wait for the last waker"
        );
        let waker: Waker = waker_slot.lock().unwrap().take().unwrap();
        waker.wake();
    });
}

/// A future that records every poll, keeps the latest waker, notices overlapping polls, and
/// finishes once `ready` is set.
#[derive(Default)]
struct Probe {
    polls: AtomicUsize,
    waker: Mutex<Option<Waker>>,
    ready: AtomicBool,
    in_poll: AtomicBool,
    overlapped: AtomicBool,
}

impl Probe {
    fn polls(&self) -> usize {
        self.polls.load(SeqCst)
    }
    fn waker(&self) -> Waker {
        self.waker
            .lock()
            .unwrap()
            .clone()
            .expect("polled at least once")
    }
}

struct ProbeFuture {
    probe: Arc<Probe>,
    /// Work done inside each poll, to widen the window in which a second poll could overlap.
    spin: usize,
    /// Returns `Ready` after this many polls, even without `ready`.
    finish_after: usize,
}

impl Future for ProbeFuture {
    type Output = usize;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        let p = &self.probe;
        if p.in_poll.swap(true, SeqCst) {
            p.overlapped.store(true, SeqCst);
        }
        let n = p.polls.fetch_add(1, SeqCst) + 1;
        *p.waker.lock().unwrap() = Some(cx.waker().clone());
        for _ in 0..self.spin {
            std::hint::spin_loop();
        }
        let done = p.ready.load(SeqCst) || n >= self.finish_after;
        p.in_poll.store(false, SeqCst);
        if done {
            Poll::Ready(n)
        } else {
            Poll::Pending
        }
    }
}

fn probe_future(probe: &Arc<Probe>) -> ProbeFuture {
    ProbeFuture {
        probe: probe.clone(),
        spin: 0,
        finish_after: usize::MAX,
    }
}

#[test]
fn wakers_work_from_other_threads() {
    guard(|| {
        let rt = rt(2);
        let probe = Arc::new(Probe::default());
        let handle = rt.spawn(probe_future(&probe));
        wait_until("the first poll", || probe.polls() == 1);
        let waker = probe.waker();
        thread::spawn(move || {
            // Clone and drop clones freely, then wake by reference.
            let clones: Vec<Waker> = (0..10).map(|_| waker.clone()).collect();
            drop(clones);
            waker.wake_by_ref();
            drop(waker);
        })
        .join()
        .unwrap();
        wait_until("a poll after wake_by_ref", || probe.polls() >= 2);

        let waker = probe.waker();
        probe.ready.store(true, SeqCst);
        thread::spawn(move || {
            let c = waker.clone();
            drop(waker);
            c.wake(); // by value: consumes the clone
        })
        .join()
        .unwrap();
        assert!(block_on(handle).unwrap() >= 3);
    });
}

#[test]
fn waking_a_finished_task_is_harmless() {
    guard(|| {
        let rt = rt(2);
        let probe = Arc::new(Probe::default());
        probe.ready.store(true, SeqCst);
        let handle = rt.spawn(probe_future(&probe));
        assert_eq!(block_on(handle).unwrap(), 1);
        // The task and its handle are gone; the wakers keep the allocation alive.
        let waker = probe.waker();
        let w2 = waker.clone();
        thread::spawn(move || {
            w2.wake_by_ref();
            w2.wake();
        })
        .join()
        .unwrap();
        waker.wake_by_ref();
        // Drop the last waker (the probe's copy) from another thread.
        let last = probe.waker.lock().unwrap().take();
        thread::spawn(move || drop(last)).join().unwrap();
        waker.wake();
        assert_eq!(probe.polls(), 1, "a finished task is never polled again");
    });
}

/// Runs a task through the runtime's queues behind everything queued so far on a 1-worker
/// runtime, so that any extra poll queued earlier has happened by the time this returns.
fn settle(rt: &filch_executor::runtime::Runtime) {
    for _ in 0..3 {
        block_on(rt.spawn(async {
            for _ in 0..4 {
                yield_now().await;
            }
        }))
        .unwrap();
    }
}

/// Polls once (waking itself every way it can, including from another thread, all during the
/// poll), then once more without waking.
struct WakeDuringPoll {
    polls: Arc<AtomicUsize>,
}

impl Future for WakeDuringPoll {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let n = self.polls.fetch_add(1, SeqCst) + 1;
        if n == 1 {
            for _ in 0..10 {
                cx.waker().wake_by_ref();
                common::wake_by_value(cx.waker());
            }
            let w = cx.waker().clone();
            thread::spawn(move || {
                w.wake_by_ref();
                w.wake();
            })
            .join()
            .unwrap();
        }
        Poll::Pending
    }
}

#[test]
fn a_wake_during_a_poll_reschedules_the_task_exactly_once() {
    guard(|| {
        let rt = rt(1);
        let polls = Arc::new(AtomicUsize::new(0));
        let handle = rt.spawn(WakeDuringPoll {
            polls: polls.clone(),
        });
        wait_until("the rescheduled poll", || polls.load(SeqCst) >= 2);
        settle(&rt);
        assert_eq!(
            polls.load(SeqCst),
            2,
            "23 wakes during one poll must reschedule the task exactly once"
        );
        handle.abort();
        assert!(block_on(handle).unwrap_err().is_cancelled());
    });
}

#[test]
fn waking_a_queued_task_many_times_polls_it_once() {
    guard(|| {
        let rt = rt(1);
        let probe = Arc::new(Probe::default());
        let handle = rt.spawn(probe_future(&probe));
        wait_until("the first poll", || probe.polls() == 1);

        // Occupy the only worker so the woken task stays queued while we wake it again.
        let blocking = Arc::new(AtomicBool::new(false));
        let release = Arc::new(AtomicBool::new(false));
        let (b, r) = (blocking.clone(), release.clone());
        let blocker = rt.spawn(async move {
            b.store(true, SeqCst);
            while !r.load(SeqCst) {
                thread::sleep(std::time::Duration::from_millis(1));
            }
        });
        wait_until("the blocker occupies the worker", || blocking.load(SeqCst));

        let waker = probe.waker();
        for _ in 0..50 {
            waker.wake_by_ref();
            common::wake_by_value(&waker);
        }
        thread::scope(|s| {
            for _ in 0..4 {
                let w = waker.clone();
                s.spawn(move || {
                    for _ in 0..25 {
                        w.wake_by_ref();
                    }
                });
            }
        });
        assert_eq!(
            probe.polls(),
            1,
            "the worker is busy; nothing polled the task yet"
        );
        release.store(true, SeqCst);
        block_on(blocker).unwrap();
        wait_until("the woken task is polled", || probe.polls() >= 2);
        settle(&rt);
        assert_eq!(
            probe.polls(),
            2,
            "200 wakes of a queued task must poll it once"
        );

        probe.ready.store(true, SeqCst);
        waker.wake();
        assert_eq!(block_on(handle).unwrap(), 3);
    });
}

#[test]
fn a_task_is_never_polled_concurrently() {
    guard(|| {
        let rt = rt(4);
        let rounds = 3_000;
        let probe = Arc::new(Probe::default());
        let handle = rt.spawn(ProbeFuture {
            probe: probe.clone(),
            spin: 200,
            finish_after: rounds,
        });
        wait_until("the first poll", || probe.polls() >= 1);
        let waker = probe.waker();
        let stop = Arc::new(AtomicBool::new(false));
        thread::scope(|s| {
            for t in 0..4 {
                let w = waker.clone();
                let stop = &stop;
                s.spawn(move || {
                    while !stop.load(SeqCst) {
                        if t % 2 == 0 {
                            w.wake_by_ref();
                        } else {
                            common::wake_by_value(&w);
                        }
                        thread::yield_now();
                    }
                });
            }
            // Tasks on the workers wake it too (those wakes go through the LIFO slot).
            let wakers_on_workers: Vec<_> = (0..2)
                .map(|_| {
                    let w = waker.clone();
                    let stop = stop.clone();
                    rt.spawn(async move {
                        while !stop.load(SeqCst) {
                            w.wake_by_ref();
                            yield_now().await;
                        }
                    })
                })
                .collect();
            assert_eq!(block_on(handle).unwrap(), rounds);
            stop.store(true, SeqCst);
            for h in wakers_on_workers {
                block_on(h).unwrap();
            }
        });
        assert!(
            !probe.overlapped.load(SeqCst),
            "two threads polled the same task at once"
        );
    });
}

#[test]
fn the_join_waker_follows_the_handle_to_a_new_task() {
    guard(|| {
        let rt = rt(2);
        let release = Arc::new(AtomicBool::new(false));
        let r = release.clone();
        let mut handle = rt.spawn(async move {
            while !r.load(SeqCst) {
                yield_now().await;
            }
            11
        });
        // Poll the handle once from one waker (registering it), then give up on that poll...
        let first_poll = block_on(futures_lite::future::poll_once(&mut handle));
        assert!(first_poll.is_none());
        // ...and await it from another thread, whose waker must be the one woken.
        let joiner = thread::spawn(move || block_on(handle));
        thread::sleep(std::time::Duration::from_millis(10));
        release.store(true, SeqCst);
        assert_eq!(joiner.join().unwrap().unwrap(), 11);
    });
}
