//! Unit tests of the task module, driven by hand through a plain queue so they run under miri
//! (`cargo +nightly miri test -p filch-executor --lib task::`, see docs/testing.md).

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::{new_task, JoinError, JoinHandle, Notified, Schedule, Task};

#[derive(Clone, Default)]
struct Queue(Arc<Mutex<VecDeque<(Notified, bool)>>>);

impl Schedule for Queue {
    fn schedule(&self, task: Notified, is_yield: bool) {
        self.0.lock().unwrap().push_back((task, is_yield));
    }
    fn release(&self, _task: &Task) -> Option<Task> {
        None
    }
}

impl Queue {
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
    fn run_all(&self) -> usize {
        let mut n = 0;
        loop {
            let next = self.0.lock().unwrap().pop_front();
            match next {
                Some((task, _)) => {
                    task.run();
                    n += 1;
                }
                None => return n,
            }
        }
    }
    fn last_was_yield(&self) -> bool {
        self.0
            .lock()
            .unwrap()
            .back()
            .map(|(_, y)| *y)
            .unwrap_or(false)
    }
}

#[derive(Default)]
struct Counts {
    polls: AtomicUsize,
    future_drops: AtomicUsize,
    /// Drops of the future that happened while the thread was panicking.
    future_drops_unwinding: AtomicUsize,
    output_drops: AtomicUsize,
    waker: Mutex<Option<Waker>>,
}

struct Output(Arc<Counts>, u32);
impl Drop for Output {
    fn drop(&mut self) {
        self.0.output_drops.fetch_add(1, SeqCst);
    }
}

/// Pending `pending` times (publishing its waker each time), then ready.
struct Probe {
    counts: Arc<Counts>,
    pending: usize,
    wake_self: bool,
    panic_on_poll: bool,
    panic_on_drop: bool,
}

impl Probe {
    fn new(counts: &Arc<Counts>, pending: usize) -> Probe {
        Probe {
            counts: counts.clone(),
            pending,
            wake_self: false,
            panic_on_poll: false,
            panic_on_drop: false,
        }
    }
}

impl Future for Probe {
    type Output = Output;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output> {
        let n = self.counts.polls.fetch_add(1, SeqCst);
        if self.panic_on_poll {
            panic!("probe panicked");
        }
        if n < self.pending {
            if self.wake_self {
                cx.waker().wake_by_ref();
            }
            *self.counts.waker.lock().unwrap() = Some(cx.waker().clone());
            return Poll::Pending;
        }
        Poll::Ready(Output(self.counts.clone(), 7))
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.counts.future_drops.fetch_add(1, SeqCst);
        if std::thread::panicking() {
            self.counts.future_drops_unwinding.fetch_add(1, SeqCst);
        }
        if self.panic_on_drop {
            panic!("probe panicked in drop");
        }
    }
}

fn spawn(probe: Probe) -> (Queue, JoinHandle<Output>) {
    let queue = Queue::default();
    let (task, notified, join) = new_task(probe, queue.clone());
    drop(task);
    queue.schedule(notified, false);
    (queue, join)
}

fn poll_join<T>(join: &mut JoinHandle<T>) -> Poll<Result<T, JoinError>> {
    Pin::new(join).poll(&mut Context::from_waker(Waker::noop()))
}

fn take_waker(c: &Counts) -> Waker {
    c.waker
        .lock()
        .unwrap()
        .take()
        .expect("future published a waker")
}

#[test]
fn runs_to_completion_and_returns_output() {
    let counts = Arc::new(Counts::default());
    let (queue, mut join) = spawn(Probe::new(&counts, 0));
    assert!(poll_join(&mut join).is_pending());
    assert!(!join.is_finished());
    assert_eq!(queue.run_all(), 1);
    assert!(join.is_finished());
    assert_eq!(
        counts.future_drops.load(SeqCst),
        1,
        "future dropped at completion"
    );
    match poll_join(&mut join) {
        Poll::Ready(Ok(out)) => assert_eq!(out.1, 7),
        _ => panic!("expected the output"),
    }
    drop(join);
    assert_eq!(counts.output_drops.load(SeqCst), 1);
}

#[test]
fn wake_reschedules_once() {
    let counts = Arc::new(Counts::default());
    let (queue, join) = spawn(Probe::new(&counts, 1));
    queue.run_all();
    let waker = take_waker(&counts);
    for _ in 0..10 {
        waker.wake_by_ref();
    }
    let clone = waker.clone();
    clone.wake();
    assert_eq!(queue.len(), 1, "many wakes, one Notified");
    queue.run_all();
    assert_eq!(counts.polls.load(SeqCst), 2);
    drop(waker);
    drop(join);
    assert_eq!(
        counts.output_drops.load(SeqCst),
        1,
        "detached output dropped"
    );
}

#[test]
fn wake_during_poll_is_a_yield() {
    let counts = Arc::new(Counts::default());
    let mut probe = Probe::new(&counts, 1);
    probe.wake_self = true;
    let (queue, mut join) = spawn(probe);
    let first = queue.0.lock().unwrap().pop_front().unwrap().0;
    first.run();
    assert_eq!(queue.len(), 1, "rescheduled after the poll returned");
    assert!(
        queue.last_was_yield(),
        "a self-wake goes behind other tasks"
    );
    queue.run_all();
    assert!(matches!(poll_join(&mut join), Poll::Ready(Ok(_))));
}

#[test]
fn abort_idle_task_cancels_via_the_scheduler() {
    let counts = Arc::new(Counts::default());
    let (queue, mut join) = spawn(Probe::new(&counts, 5));
    queue.run_all();
    join.abort();
    assert_eq!(
        counts.future_drops.load(SeqCst),
        0,
        "the caller of abort never drops the future"
    );
    assert_eq!(queue.len(), 1);
    queue.run_all();
    assert_eq!(counts.future_drops.load(SeqCst), 1);
    match poll_join(&mut join) {
        Poll::Ready(Err(e)) => assert!(e.is_cancelled()),
        _ => panic!("expected cancellation"),
    }
}

#[test]
fn abort_queued_task_never_polls_it() {
    let counts = Arc::new(Counts::default());
    let (queue, mut join) = spawn(Probe::new(&counts, 0));
    let abort = join.abort_handle();
    abort.abort();
    abort.abort();
    queue.run_all();
    assert_eq!(counts.polls.load(SeqCst), 0);
    assert!(abort.is_finished());
    assert!(matches!(poll_join(&mut join), Poll::Ready(Err(e)) if e.is_cancelled()));
}

#[test]
fn abort_after_completion_keeps_output() {
    let counts = Arc::new(Counts::default());
    let (queue, mut join) = spawn(Probe::new(&counts, 0));
    queue.run_all();
    join.abort();
    assert_eq!(queue.len(), 0);
    assert!(matches!(poll_join(&mut join), Poll::Ready(Ok(_))));
}

#[test]
fn panic_in_poll_becomes_join_error() {
    let counts = Arc::new(Counts::default());
    let mut probe = Probe::new(&counts, 0);
    probe.panic_on_poll = true;
    let (queue, mut join) = spawn(probe);
    queue.run_all();
    assert_eq!(counts.future_drops.load(SeqCst), 1);
    // Dropped while the poll's panic unwound, as tokio does.
    assert_eq!(counts.future_drops_unwinding.load(SeqCst), 1);
    match poll_join(&mut join) {
        Poll::Ready(Err(e)) => {
            assert!(e.is_panic());
            assert_eq!(
                *e.into_panic().downcast::<&str>().unwrap(),
                "probe panicked"
            );
        }
        _ => panic!("expected a panic error"),
    }
}

#[test]
fn panic_in_drop_during_the_polls_unwind_is_caught_and_the_poll_panic_reported() {
    let counts = Arc::new(Counts::default());
    let mut probe = Probe::new(&counts, 0);
    probe.panic_on_poll = true;
    probe.panic_on_drop = true;
    let (queue, mut join) = spawn(probe);
    queue.run_all();
    assert_eq!(counts.future_drops.load(SeqCst), 1);
    assert_eq!(counts.future_drops_unwinding.load(SeqCst), 1);
    match poll_join(&mut join) {
        Poll::Ready(Err(e)) => assert_eq!(
            *e.into_panic().downcast::<&str>().unwrap(),
            "probe panicked"
        ),
        _ => panic!("expected a panic error"),
    }
}

#[test]
fn panic_while_dropping_cancelled_future_is_caught() {
    let counts = Arc::new(Counts::default());
    let mut probe = Probe::new(&counts, 5);
    probe.panic_on_drop = true;
    let (queue, mut join) = spawn(probe);
    queue.run_all();
    join.abort();
    queue.run_all();
    assert_eq!(counts.future_drops.load(SeqCst), 1);
    assert!(matches!(poll_join(&mut join), Poll::Ready(Err(e)) if e.is_panic()));
}

#[test]
fn dropping_join_handle_of_finished_task_drops_output() {
    let counts = Arc::new(Counts::default());
    let (queue, join) = spawn(Probe::new(&counts, 0));
    queue.run_all();
    assert_eq!(counts.output_drops.load(SeqCst), 0);
    drop(join);
    assert_eq!(counts.output_drops.load(SeqCst), 1);
}

#[test]
fn shutdown_cancels_idle_and_queued_tasks() {
    let counts = Arc::new(Counts::default());
    let queue = Queue::default();
    let (task, notified, mut join) = new_task(Probe::new(&counts, 5), queue.clone());
    queue.schedule(notified, false);
    queue.run_all();
    task.shutdown();
    assert_eq!(counts.future_drops.load(SeqCst), 1);
    assert!(matches!(poll_join(&mut join), Poll::Ready(Err(e)) if e.is_cancelled()));
    // a stale waker still works (does nothing) and frees the task when dropped
    let waker = take_waker(&counts);
    waker.wake();
    assert_eq!(queue.len(), 0);
}

#[test]
fn join_handle_registers_and_is_woken() {
    #[derive(Default)]
    struct Flag(AtomicUsize);
    impl std::task::Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    let counts = Arc::new(Counts::default());
    let (queue, mut join) = spawn(Probe::new(&counts, 0));
    let flag = Arc::new(Flag::default());
    let waker = Waker::from(flag.clone());
    assert!(Pin::new(&mut join)
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    queue.run_all();
    assert_eq!(flag.0.load(SeqCst), 1);
    assert!(matches!(poll_join(&mut join), Poll::Ready(Ok(_))));
}

#[test]
fn detached_task_frees_itself_on_completion() {
    // The worker's reference is the last one when the task completes: the allocation is freed
    // inside the harness, which must not hold a reference into it at that point (miri checks).
    let counts = Arc::new(Counts::default());
    let (queue, join) = spawn(Probe::new(&counts, 0));
    drop(join);
    queue.run_all();
    assert_eq!(counts.future_drops.load(SeqCst), 1);
    assert_eq!(counts.output_drops.load(SeqCst), 1);
    assert_eq!(Arc::strong_count(&counts), 1, "the task allocation is gone");
}

#[test]
fn detached_pending_task_frees_itself_when_its_waker_goes() {
    let counts = Arc::new(Counts::default());
    let (queue, join) = spawn(Probe::new(&counts, 1));
    drop(join);
    queue.run_all();
    take_waker(&counts).wake();
    queue.run_all();
    assert_eq!(Arc::strong_count(&counts), 1, "the task allocation is gone");
}

#[test]
fn detached_task_cancelled_by_abort_frees_itself() {
    let counts = Arc::new(Counts::default());
    let (queue, join) = spawn(Probe::new(&counts, 5));
    queue.run_all();
    join.abort_handle().abort();
    drop(join);
    drop(take_waker(&counts));
    queue.run_all();
    assert_eq!(Arc::strong_count(&counts), 1, "the task allocation is gone");
}
