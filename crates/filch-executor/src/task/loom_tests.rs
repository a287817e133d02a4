//! loom models of the task state machine: wake, poll, abort, join and drop racing each other.
//!
//! Run with `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 cargo test -p filch-executor
//! --release --lib loom` (see docs/testing.md).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use loom::sync::{Arc, Mutex};
use loom::thread;

use super::{new_task, JoinHandle, Notified, Schedule, Task};

/// A scheduler whose run queue is a plain list the model drains by hand.
#[derive(Clone, Default)]
struct Queue(Arc<Mutex<VecDeque<Notified>>>);

impl Schedule for Queue {
    fn schedule(&self, task: Notified, _is_yield: bool) {
        self.0.lock().unwrap().push_back(task);
    }
    fn release(&self, _task: &Task) -> Option<Task> {
        None
    }
}

impl Queue {
    fn run_all(&self) {
        loop {
            let next = self.0.lock().unwrap().pop_front();
            match next {
                Some(task) => task.run(),
                None => break,
            }
        }
    }
}

#[derive(Default)]
struct Counters {
    polls: AtomicUsize,
    in_poll: AtomicBool,
    future_drops: AtomicUsize,
    output_drops: AtomicUsize,
    waker: Mutex<Option<Waker>>,
}

struct Output(Arc<Counters>);
impl Drop for Output {
    fn drop(&mut self) {
        self.0.output_drops.fetch_add(1, SeqCst);
    }
}

/// Pending on the first poll (after publishing its waker), ready on the second.
struct TwoPolls(Arc<Counters>);

impl Future for TwoPolls {
    type Output = Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output> {
        let c = &self.0;
        assert!(
            !c.in_poll.swap(true, SeqCst),
            "polled by two threads at once"
        );
        let n = c.polls.fetch_add(1, SeqCst);
        let out = if n == 0 {
            *c.waker.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        } else {
            Poll::Ready(Output(c.clone()))
        };
        c.in_poll.store(false, SeqCst);
        out
    }
}

impl Drop for TwoPolls {
    fn drop(&mut self) {
        self.0.future_drops.fetch_add(1, SeqCst);
    }
}

fn spawn_two_polls() -> (Arc<Counters>, Queue, JoinHandle<Output>) {
    let counters = Arc::new(Counters::default());
    let queue = Queue::default();
    let (task, notified, join) = new_task(TwoPolls(counters.clone()), queue.clone());
    drop(task); // no owner list in these models
    queue.schedule(notified, false);
    (counters, queue, join)
}

fn take_waker(c: &Counters) -> Waker {
    loop {
        if let Some(w) = c.waker.lock().unwrap().take() {
            return w;
        }
        thread::yield_now();
    }
}

fn poll_join<T>(join: &mut JoinHandle<T>) -> Poll<Result<T, super::JoinError>> {
    let waker = Waker::noop();
    Pin::new(join).poll(&mut Context::from_waker(waker))
}

#[test]
fn wake_racing_with_the_end_of_a_poll() {
    loom::model(|| {
        let (counters, queue, mut join) = spawn_two_polls();
        let c2 = counters.clone();
        let waker_thread = thread::spawn(move || take_waker(&c2).wake());
        queue.run_all(); // first poll
        waker_thread.join().unwrap();
        queue.run_all(); // the wake must have queued exactly one more poll
        assert_eq!(counters.polls.load(SeqCst), 2);
        assert!(poll_join(&mut join).is_ready());
        drop(join);
        assert_eq!(counters.future_drops.load(SeqCst), 1);
        assert_eq!(counters.output_drops.load(SeqCst), 1);
    });
}

#[test]
fn abort_racing_with_a_poll() {
    loom::model(|| {
        let (counters, queue, mut join) = spawn_two_polls();
        let abort = join.abort_handle();
        let t = thread::spawn(move || abort.abort());
        queue.run_all();
        t.join().unwrap();
        queue.run_all();
        // Either the abort landed before completion (cancelled) or the task was still pending
        // and has now been cancelled by the queued abort.
        match poll_join(&mut join) {
            Poll::Ready(Err(e)) => assert!(e.is_cancelled()),
            other => panic!("expected cancellation, got {:?}", other.map(|r| r.is_ok())),
        }
        drop(join);
        assert_eq!(counters.future_drops.load(SeqCst), 1);
        assert!(
            counters.polls.load(SeqCst) <= 1,
            "no poll after the abort's cancel"
        );
    });
}

#[test]
fn join_handle_drop_racing_with_completion() {
    loom::model(|| {
        let (counters, queue, join) = spawn_two_polls();
        queue.run_all();
        let waker = take_waker(&counters);
        let t = thread::spawn(move || drop(join));
        waker.wake();
        queue.run_all();
        t.join().unwrap();
        assert_eq!(counters.future_drops.load(SeqCst), 1);
        assert_eq!(
            counters.output_drops.load(SeqCst),
            1,
            "output dropped exactly once"
        );
    });
}

/// Sets a flag when woken.
struct Flag(Arc<AtomicBool>);

impl std::task::Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, SeqCst);
    }
}

#[test]
fn join_waker_registered_racing_with_completion() {
    loom::model(|| {
        let (counters, queue, mut join) = spawn_two_polls();
        queue.run_all();
        let waker = take_waker(&counters);
        let woken = Arc::new(AtomicBool::new(false));
        let flag = Waker::from(std::sync::Arc::new(Flag(woken.clone())));
        let t = thread::spawn(move || {
            let ready = Pin::new(&mut join)
                .poll(&mut Context::from_waker(&flag))
                .is_ready();
            (ready, join)
        });
        waker.wake();
        queue.run_all();
        let (ready, mut join) = t.join().unwrap();
        if !ready {
            assert!(woken.load(SeqCst), "a pending JoinHandle was never woken");
            assert!(poll_join(&mut join).is_ready());
        }
    });
}

#[test]
fn wakes_from_two_threads_schedule_once() {
    loom::model(|| {
        let (counters, queue, join) = spawn_two_polls();
        queue.run_all();
        let w1 = take_waker(&counters);
        let w2 = w1.clone();
        let t = thread::spawn(move || w2.wake());
        w1.wake_by_ref();
        t.join().unwrap();
        assert_eq!(
            queue.0.lock().unwrap().len(),
            1,
            "one Notified for two wakes"
        );
        queue.run_all();
        drop(w1);
        drop(join);
        assert_eq!(counters.polls.load(SeqCst), 2);
        assert_eq!(counters.output_drops.load(SeqCst), 1);
    });
}
