//! The blocking thread pool behind `spawn_blocking`.
//!
//! Threads named `filch-blocking-{i}` start on demand, up to the runtime's maximum; work beyond
//! the maximum waits in a FIFO queue. A thread idle for the keep-alive period (10 s by default)
//! exits. The design is the classic one (tokio's `blocking/pool.rs` has the same shape): one
//! mutex-guarded queue, a condvar, and counters of idle threads and pending notifications, so a
//! spawn wakes exactly one idle thread or starts a new one.
//!
//! Blocking work is a task like any other (one allocation, a `JoinHandle`), run by polling it
//! once; it is not in the runtime's owner list, since a started blocking function cannot be
//! cancelled. Queued work is cancelled at shutdown.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::runtime::{run_start_hook, run_stop_hook, thread_start_error, Config, Handle};

thread_local! {
    /// The pool this thread belongs to, if it is a blocking thread.
    static ON_POOL: std::cell::Cell<*const Inner> = const { std::cell::Cell::new(std::ptr::null()) };
    /// Set while a job is run only to fail it: its poll panics with this message instead of
    /// calling the function (see `fail_job`).
    static FAIL_WITH: std::cell::Cell<Option<String>> = const { std::cell::Cell::new(None) };
}
use crate::task::{self, JoinHandle, Notified, Schedule, Task};

pub(crate) struct BlockingPool {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    /// Idle threads wait here for work.
    work: Condvar,
    /// Shutdown waits here for threads to exit.
    exited: Condvar,
    max_threads: usize,
    keep_alive: Duration,
}

/// # Invariant
///
/// `num_idle <= num_threads <= max_threads`; `num_notify` counts wake-ups sent to idle threads
/// that have not been consumed, and each of those was taken out of `num_idle` by the sender.
/// `num_threads` counts threads that will still look at the queue: a thread leaves it in the same
/// critical section in which it decides to exit, so a spawn never counts on a thread that is on
/// its way out. `live_threads` counts threads that have not finished exiting (hooks included);
/// shutdown waits on it.
#[derive(Default)]
struct State {
    queue: VecDeque<Notified>,
    num_threads: usize,
    live_threads: usize,
    num_idle: usize,
    num_notify: usize,
    next_id: usize,
    shutdown: bool,
}

/// The scheduler hook of blocking tasks: they are never woken (they finish in one poll) and are
/// not in an owner list.
struct BlockingSchedule;

impl Schedule for BlockingSchedule {
    fn schedule(&self, task: Notified, _is_yield: bool) {
        // Only an abort of a queued or running blocking task could get here, and both are
        // handled without rescheduling (a queued task is already NOTIFIED). Dropping the
        // reference keeps the count right if it ever happens.
        drop(task);
    }

    fn release(&self, _task: &Task) -> Option<Task> {
        None
    }
}

/// A blocking function as a future that finishes in its first poll.
struct BlockingTask<F>(Option<F>);

impl<F> Unpin for BlockingTask<F> {}

impl<F: FnOnce() -> R, R> Future for BlockingTask<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        if let Some(message) = FAIL_WITH.with(|m| m.take()) {
            drop(self.0.take());
            // No panic hook output: the message reaches the user through the `JoinError`.
            std::panic::resume_unwind(Box::new(message));
        }
        let f = self
            .0
            .take()
            .expect("a blocking task is polled exactly once");
        Poll::Ready(f())
    }
}

impl BlockingPool {
    pub(crate) fn new(config: &Config) -> BlockingPool {
        BlockingPool {
            inner: Arc::new(Inner {
                state: Mutex::new(State::default()),
                work: Condvar::new(),
                exited: Condvar::new(),
                max_threads: config.max_blocking_threads,
                keep_alive: config.keep_alive,
            }),
        }
    }

    pub(crate) fn spawn<F, R>(&self, handle: &Handle, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (task, notified, join) = task::new_task(BlockingTask(Some(f)), BlockingSchedule);
        drop(task);
        let mut state = self.inner.state.lock();
        if state.shutdown {
            drop(state);
            notified.shutdown();
            return join;
        }
        state.queue.push_back(notified);
        self.inner.wake_or_start(state, handle);
        join
    }

    /// Threads now, idle threads, queued jobs (for `RuntimeMetrics`; read under the lock).
    /// A thread woken for a job but not yet running it counts as busy.
    pub(crate) fn counts(&self) -> (usize, usize, usize) {
        let state = self.inner.state.lock();
        (state.num_threads, state.num_idle, state.queue.len())
    }

    /// Cancels queued work, then waits until every thread has exited or `deadline` passes.
    pub(crate) fn shutdown(&self, deadline: Option<Instant>) {
        let mut state = self.inner.state.lock();
        state.shutdown = true;
        let queued = std::mem::take(&mut state.queue);
        self.inner.work.notify_all();
        drop(state);
        for task in queued {
            task.shutdown();
        }
        // Dropping a runtime from one of its own blocking threads must not wait for that thread.
        let target = usize::from(ON_POOL.with(|p| p.get() == Arc::as_ptr(&self.inner)));
        let mut state = self.inner.state.lock();
        while state.live_threads > target {
            match deadline {
                Some(deadline) => {
                    if self
                        .inner
                        .exited
                        .wait_until(&mut state, deadline)
                        .timed_out()
                    {
                        break;
                    }
                }
                None => self.inner.exited.wait(&mut state),
            }
        }
    }
}

/// Runs a queued job only to fail it: its `JoinHandle` resolves to a panic `JoinError` carrying
/// `message`, and the function is dropped without being called.
fn fail_job(task: Notified, message: String) {
    FAIL_WITH.with(|m| m.set(Some(message)));
    task.run();
    // An aborted job is cancelled without being polled; do not fail the next one.
    FAIL_WITH.with(|m| m.set(None));
}

fn start_thread(inner: &Arc<Inner>, handle: &Handle, id: usize) -> io::Result<()> {
    let config = &handle.shared.config;
    let builder = std::thread::Builder::new()
        .name(format!("filch-blocking-{id}"))
        .stack_size(config.stack_size);
    let inner = inner.clone();
    let handle = handle.clone();
    builder.spawn(move || inner.run(handle))?;
    Ok(())
}

impl Inner {
    /// With work queued: wakes an idle thread, or starts one if the limit allows. If the OS
    /// refuses the thread and no other thread will run the queue, the queued jobs fail with the
    /// OS's error.
    fn wake_or_start(self: &Arc<Self>, mut state: MutexGuard<'_, State>, handle: &Handle) {
        if state.num_idle > 0 {
            state.num_idle -= 1;
            state.num_notify += 1;
            self.work.notify_one();
        } else if state.num_threads < self.max_threads {
            let id = state.next_id;
            let running = state.num_threads + handle.worker_threads();
            state.next_id += 1;
            // Counted before it exists, so the next spawn does not count on it being idle and
            // a concurrent exit check sees it; started after the lock is released, because
            // starting a thread takes tens of microseconds (more on a loaded machine) and a
            // burst of spawns would otherwise queue behind each start on this mutex.
            state.num_threads += 1;
            state.live_threads += 1;
            drop(state);
            if let Err(err) = start_thread(self, handle, id) {
                let mut state = self.state.lock();
                state.num_threads -= 1;
                state.live_threads -= 1;
                let orphaned = state.num_threads == 0 && !state.queue.is_empty();
                let queued = if orphaned {
                    // No thread will ever run it: fail it rather than leave the handle hanging.
                    std::mem::take(&mut state.queue)
                } else {
                    VecDeque::new()
                };
                drop(state);
                self.exited.notify_all();
                if orphaned {
                    let err = thread_start_error(&format!("filch-blocking-{id}"), running, err);
                    crate::runtime::report(&format!(
                        "filch: {err}; the queued blocking work fails"
                    ));
                    for task in queued {
                        fail_job(task, err.to_string());
                    }
                }
            }
        }
    }

    fn run(self: Arc<Self>, handle: Handle) {
        let config = &handle.shared.config;
        let started = run_start_hook(config.on_thread_start.as_ref());
        {
            let _current = crate::context::set_current(&handle);
            ON_POOL.with(|p| p.set(Arc::as_ptr(&self)));
            match &started {
                Ok(()) => self.work_loop(),
                Err(message) => self.hook_failed(&handle, message),
            }
            ON_POOL.with(|p| p.set(std::ptr::null()));
        }
        if started.is_ok() {
            run_stop_hook(config.on_thread_stop.as_ref());
        }
        let mut state = self.state.lock();
        state.live_threads -= 1;
        drop(state);
        self.exited.notify_all();
    }

    /// The start hook panicked: fail the job this thread was started for (the oldest queued) and
    /// leave; if jobs are still queued and no thread will take them, start a replacement.
    fn hook_failed(self: &Arc<Self>, handle: &Handle, message: &str) {
        let thread = std::thread::current();
        let name = thread.name().unwrap_or("<unnamed>");
        let mut state = self.state.lock();
        state.num_threads -= 1;
        let job = state.queue.pop_front();
        if !state.queue.is_empty() && !state.shutdown {
            self.wake_or_start(state, handle);
        } else {
            drop(state);
        }
        if let Some(job) = job {
            fail_job(
                job,
                format!("the on_thread_start hook panicked on thread {name}: {message}"),
            );
        }
    }

    /// Runs queued work until shutdown or the keep-alive runs out. Leaves `num_threads` with the
    /// lock held, in the same critical section as the decision to stop.
    fn work_loop(&self) {
        let mut state = self.state.lock();
        'work: loop {
            while let Some(task) = state.queue.pop_front() {
                drop(state);
                task.run();
                state = self.state.lock();
            }
            if state.shutdown {
                state.num_threads -= 1;
                return;
            }
            state.num_idle += 1;
            loop {
                let timed_out = self.work.wait_for(&mut state, self.keep_alive).timed_out();
                if state.num_notify > 0 {
                    state.num_notify -= 1;
                    continue 'work;
                }
                if state.shutdown || timed_out {
                    state.num_idle -= 1;
                    if state.shutdown || state.queue.is_empty() {
                        state.num_threads -= 1;
                        return;
                    }
                    continue 'work;
                }
            }
        }
    }
}
