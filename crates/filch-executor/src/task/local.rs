//! [`LocalSet`] and [`spawn_local`]: tasks whose futures are not `Send`, run on one thread.
//!
//! # What a local task is
//!
//! A local task is a future that is `'static` but not `Send` (it holds an `Rc`, a `RefCell`
//! borrowed across an `.await`, a handle of a single-threaded library). It is allocated like any
//! task (the one-allocation cell of `raw.rs`, with this module's scheduler in its vtable) and
//! belongs to one `LocalSet`. The set is `!Send`, so it stays on the thread that created it, and
//! its tasks are polled, and dropped, on that thread only: inside [`LocalSet::run_until`],
//! [`LocalSet::block_on`], or while the set itself is awaited as a future. Why the task cell's
//! reference counting never drops such a future elsewhere is argued in `task/mod.rs`, section
//! "Local tasks".
//!
//! The [`JoinHandle`] of a local task is `Send` when the output is: a local task can hand a
//! `Send` result to code on other threads.
//!
//! # Queues and wake-ups
//!
//! A set has two parts:
//!
//! * the thread-owned part (`LocalContext`, behind an `Rc`): the run queue (a `VecDeque`), the
//!   queue of tasks that yielded, and whether the set is being polled now;
//! * the thread-safe part (`Shared`, behind an `Arc`, which every task cell holds as its
//!   scheduler): the owner list of live tasks, a mutex-guarded queue for wakes from other threads
//!   and the waker of whoever polls the set.
//!
//! While a set runs, a thread-local (`CURRENT`) points at its context. [`spawn_local`] spawns into
//! the set found there. A wake goes to the run queue when it happens on the set's thread while
//! that set is current; any other wake (another thread, or the owning thread outside the set)
//! goes to the mutex-guarded queue and wakes the set's registered waker, so a set parked inside a
//! `block_on` or a worker's task is woken from any thread. A spawn or a wake into the run queue
//! while the set is not being polled (after [`LocalSet::enter`], or [`LocalSet::spawn_local`]
//! called from outside) wakes the registered waker too.
//!
//! # Fairness and the coop budget
//!
//! Each poll of the set (of the [`run_until`](LocalSet::run_until) future, or of the set as a
//! future) first polls the `run_until` future, then runs one *tick*: the tasks that yielded in the
//! previous tick and those woken from other threads join the back of the run queue, then at most
//! [`MAX_TASKS_PER_TICK`] tasks (61, tokio's figure) are polled. If work remains, the set wakes
//! itself and returns `Pending`, so the thread that polls it (a worker, `block_on`) gets its turn:
//! on a worker the set's own task is then treated as a yield, and waits for the I/O driver to be
//! polled, as any yielding task does. Each local task's poll gets a fresh coop budget, exactly as a
//! worker's task poll does (the budget is set around every poll by the task cell,
//! `raw::poll_future`); the `run_until` future runs within the budget of whoever polls the set.
//! A task that wakes itself during its poll (a `yield_now`) runs again in the next tick, not in
//! this one.
//!
//! # Shutdown
//!
//! Dropping a `LocalSet`, on its thread (it is `!Send`):
//!
//! 1. makes the set current and marks it closed: later spawns into it are cancelled at once
//!    (their handles resolve to a cancelled `JoinError`), later wakes are dropped;
//! 2. closes the owner list and shuts every task in it down: its future is dropped now, on this
//!    thread, and its `JoinHandle` resolves to a cancelled `JoinError` (a future whose destructor
//!    panics gives a panic `JoinError` instead);
//! 3. drops the queued `Notified`s of the run queue, the yielders and the remote queue, and
//!    closes the remote queue.
//!
//! Tasks still pending when `run_until` returns are not cancelled: they stay in the set and run
//! at its next `run_until` (or when it is awaited); only dropping the set cancels them.
//!
//! # Choices where tokio is silent
//!
//! * Two polls of the same set at once (two `run_until` futures joined on one task) are allowed;
//!   the set remembers only the waker of the latest poll.
//! * A set may run inside another set's task (nesting): the inner set is current while it runs,
//!   and `spawn_local` there spawns into it.
//! * [`LocalSet::block_on`] takes anything that is [`AsRef`] of the executor's `Runtime`, so that
//!   the facade's `Runtime` (a wrapper) and the executor's both work.
//!
//! The design (a thread-local current set, a local and a remote queue, 61 tasks per tick) follows
//! tokio's `LocalSet`; the code is ours.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use parking_lot::Mutex;

use super::{JoinHandle, Notified, Schedule, Task};
use crate::runtime::Runtime;
use crate::scheduler::owned::OwnedTasks;

/// Tasks a set polls per tick before it lets its caller run (tokio's figure).
pub(crate) const MAX_TASKS_PER_TICK: usize = 61;

thread_local! {
    /// The set running (or entered) on this thread, if any.
    static CURRENT: RefCell<Option<Rc<LocalContext>>> = const { RefCell::new(None) };
}

/// A set of tasks that run on the current thread: futures that are not `Send`.
///
/// Tasks are spawned into the set with [`spawn_local`] (from inside the set) or
/// [`LocalSet::spawn_local`]. They run while the set is driven: by
/// [`run_until`](LocalSet::run_until) (until a given future completes), by
/// [`block_on`](LocalSet::block_on) on a runtime, or by awaiting the set itself (until all its
/// tasks have completed). Dropping the set cancels the tasks still in it, dropping their futures
/// on this thread.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use filch::task::{self, LocalSet};
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// let local = LocalSet::new();
/// let total = local.block_on(&rt, async {
///     let shared = Rc::new(RefCell::new(0)); // not Send
///     let mut handles = Vec::new();
///     for i in 1..=4 {
///         let shared = shared.clone();
///         handles.push(task::spawn_local(async move {
///             task::yield_now().await;
///             *shared.borrow_mut() += i;
///         }));
///     }
///     for handle in handles {
///         handle.await.unwrap();
///     }
///     let total = *shared.borrow();
///     total
/// });
/// assert_eq!(total, 10);
/// ```
///
/// A set cannot leave its thread, and neither can the handle of a task whose output is not
/// `Send`:
///
/// ```compile_fail
/// let local = filch::task::LocalSet::new();
/// std::thread::spawn(move || drop(local));
/// ```
///
/// ```compile_fail
/// let local = filch::task::LocalSet::new();
/// let handle = local.spawn_local(async { std::rc::Rc::new(1) });
/// std::thread::spawn(move || drop(handle));
/// ```
pub struct LocalSet {
    context: Rc<LocalContext>,
}

/// The part of a set that only its thread touches.
struct LocalContext {
    shared: Arc<Shared>,
    /// Tasks ready to be polled, in order.
    queue: RefCell<VecDeque<Notified>>,
    /// Tasks that woke themselves during their poll: they join the queue at the next tick.
    yielded: RefCell<VecDeque<Notified>>,
    /// True while the set is being polled (a push needs no wake then: the tick will see it).
    polling: Cell<bool>,
    /// Set by `Drop`: spawns are cancelled and wakes dropped from then on.
    closed: Cell<bool>,
}

/// The part of a set that task cells (as their scheduler) and other threads touch.
struct Shared {
    /// Every task of the set that has not completed.
    owned: OwnedTasks,
    /// How many tasks `owned` holds (the set as a future completes when none is left).
    live: AtomicUsize,
    remote: Mutex<Remote>,
    /// Whether `remote.queue` may be non-empty, so that a tick skips the lock when it is not.
    has_remote: AtomicBool,
}

struct Remote {
    /// Tasks woken from other threads (or from this thread outside the set).
    queue: VecDeque<Notified>,
    /// The waker of whoever last polled the set; taken by the first wake after it.
    waker: Option<Waker>,
    /// The set was dropped: wakes are dropped.
    closed: bool,
}

impl LocalSet {
    /// An empty set.
    ///
    /// ```
    /// let local = filch::task::LocalSet::new();
    /// # drop(local);
    /// ```
    pub fn new() -> LocalSet {
        LocalSet {
            context: Rc::new(LocalContext {
                shared: Arc::new(Shared {
                    owned: OwnedTasks::new(1),
                    live: AtomicUsize::new(0),
                    remote: Mutex::new(Remote {
                        queue: VecDeque::new(),
                        waker: None,
                        closed: false,
                    }),
                    has_remote: AtomicBool::new(false),
                }),
                queue: RefCell::new(VecDeque::new()),
                yielded: RefCell::new(VecDeque::new()),
                polling: Cell::new(false),
                closed: Cell::new(false),
            }),
        }
    }

    /// Spawns `future` into this set and returns a handle to its output. The task runs the next
    /// time the set is driven ([`run_until`](Self::run_until), [`block_on`](Self::block_on), or
    /// awaiting the set), which need not be inside a runtime.
    ///
    /// ```
    /// use filch::task::LocalSet;
    ///
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// let local = LocalSet::new();
    /// let handle = local.spawn_local(async { std::rc::Rc::new(5) });
    /// let five = local.block_on(&rt, handle).unwrap();
    /// assert_eq!(*five, 5);
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let location = std::panic::Location::caller();
        if std::mem::size_of::<F>() > crate::runtime::spawn::BOX_FUTURE_THRESHOLD {
            self.context.spawn(Box::pin(future), location)
        } else {
            self.context.spawn(future, location)
        }
    }

    /// Runs `future` on this thread, and the set's tasks with it, until `future` completes;
    /// returns its output.
    ///
    /// Tasks still pending then stay in the set, and run again the next time it is driven. The
    /// returned future is not `Send`; drive it with [`block_on`](Self::block_on), a runtime's
    /// `block_on`, or await it inside another set's task.
    ///
    /// ```
    /// use filch::task::{self, LocalSet};
    ///
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// let local = LocalSet::new();
    /// let out = rt.block_on(local.run_until(async {
    ///     task::spawn_local(async { "from a local task" }).await.unwrap()
    /// }));
    /// assert_eq!(out, "from a local task");
    /// ```
    pub async fn run_until<F: Future>(&self, future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        std::future::poll_fn(|cx| self.poll_run_until(future.as_mut(), cx)).await
    }

    /// One poll of [`run_until`](Self::run_until): polls `future` with this set current, then
    /// runs one tick of the set's tasks. What a runtime's own `block_on` calls to let
    /// `spawn_local` work inside it.
    pub(crate) fn poll_run_until<F: Future + ?Sized>(
        &self,
        future: Pin<&mut F>,
        cx: &mut Context<'_>,
    ) -> Poll<F::Output> {
        self.context.register(cx.waker());
        let _entered = Entered::new(&self.context);
        if let Poll::Ready(output) = future.poll(cx) {
            return Poll::Ready(output);
        }
        if self.context.tick() {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }

    /// Runs `future` on `runtime`, on this thread, together with the set's tasks: the same as
    /// `runtime.block_on(self.run_until(future))`.
    ///
    /// Inside, [`spawn_local`] spawns into this set, and `spawn` onto `runtime`'s workers.
    ///
    /// # Panics
    ///
    /// As `Runtime::block_on`: when called inside a task or another `block_on`.
    ///
    /// ```
    /// use filch::task::{self, LocalSet};
    ///
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// let local = LocalSet::new();
    /// let (local_out, worker_out) = local.block_on(&rt, async {
    ///     let here = task::spawn_local(async { std::rc::Rc::new(1) });
    ///     let there = filch::spawn(async { 2 });
    ///     (*here.await.unwrap(), there.await.unwrap())
    /// });
    /// assert_eq!((local_out, worker_out), (1, 2));
    /// ```
    pub fn block_on<R, F>(&self, runtime: &R, future: F) -> F::Output
    where
        R: AsRef<Runtime> + ?Sized,
        F: Future,
    {
        runtime.as_ref().block_on(self.run_until(future))
    }

    /// Makes this set current on this thread until the guard is dropped, so that
    /// [`spawn_local`] spawns into it. The tasks run the next time the set is driven.
    ///
    /// Guards nest; each restores the set that was current before it.
    ///
    /// ```
    /// use filch::task::{self, LocalSet};
    ///
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// let local = LocalSet::new();
    /// let handle = {
    ///     let _guard = local.enter();
    ///     task::spawn_local(async { 3 })
    /// };
    /// assert_eq!(local.block_on(&rt, handle).unwrap(), 3);
    /// ```
    pub fn enter(&self) -> LocalEnterGuard {
        let previous = CURRENT
            .try_with(|current| current.replace(Some(self.context.clone())))
            .ok()
            .flatten();
        LocalEnterGuard {
            previous: Some(previous),
        }
    }
}

/// Makes a set current while it is polled, and restores what was there before (also when a
/// poll unwinds).
struct Entered<'a> {
    context: &'a LocalContext,
    previous: Option<Rc<LocalContext>>,
    was_polling: bool,
    set: bool,
}

impl<'a> Entered<'a> {
    fn new(context: &'a Rc<LocalContext>) -> Entered<'a> {
        let was_polling = context.polling.replace(true);
        let (previous, set) = match CURRENT.try_with(|c| c.replace(Some(context.clone()))) {
            Ok(previous) => (previous, true),
            // The thread-local is gone (the thread is exiting): the set still runs, but
            // `spawn_local` inside it cannot find it.
            Err(_) => (None, false),
        };
        Entered {
            context,
            previous,
            was_polling,
            set,
        }
    }
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.context.polling.set(self.was_polling);
        if self.set {
            let previous = self.previous.take();
            let ours = CURRENT.try_with(|c| c.replace(previous)).ok().flatten();
            // Dropped outside the thread-local's borrow.
            drop(ours);
        }
    }
}

impl LocalContext {
    #[track_caller]
    fn spawn<F>(
        self: &Rc<Self>,
        future: F,
        location: &'static std::panic::Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        // SAFETY: the local-task contract of `new_local_task_at`:
        // 1. the `Notified` goes to this set's queues, and only `tick` (called by the set's
        //    methods, on this thread: `LocalSet` and `LocalContext` are `!Send`) runs it; only
        //    `LocalSet`'s `Drop` (this thread) shuts tasks down;
        // 2. the `Task` goes into the owner list below before the task can run, and stays there
        //    until `release` (inside `complete`) or `Drop`'s drain takes it out to shut it down;
        //    if the list is closed the task is shut down here and now, on this thread;
        // 3. the `JoinHandle<F::Output>` is `Send` only when `F::Output` is.
        let (task, notified, join) =
            unsafe { super::new_local_task_at(future, self.shared.clone(), location) };
        // A set being dropped has closed its owner list: the insert fails.
        match self.shared.owned.insert(task) {
            Ok(()) => {
                self.shared.live.fetch_add(1, Ordering::Relaxed);
                self.push(notified, false);
            }
            Err(task) => {
                // The set is being dropped: the task is cancelled before it ever runs.
                drop(notified);
                task.shutdown();
            }
        }
        join
    }

    /// Queues a task woken (or spawned) on this thread while this set is current.
    fn push(&self, task: Notified, is_yield: bool) {
        if self.closed.get() {
            // The set is shutting down and cancels every task itself.
            drop(task);
            return;
        }
        if is_yield {
            self.yielded.borrow_mut().push_back(task);
        } else {
            self.queue.borrow_mut().push_back(task);
        }
        if !self.polling.get() {
            self.shared.wake_poller();
        }
    }

    /// Saves the waker of whoever polls the set.
    fn register(&self, waker: &Waker) {
        let mut remote = self.shared.remote.lock();
        match &remote.waker {
            Some(existing) if existing.will_wake(waker) => {}
            _ => {
                let old = remote.waker.replace(waker.clone());
                drop(remote);
                drop(old);
            }
        }
    }

    /// Runs up to [`MAX_TASKS_PER_TICK`] tasks. Returns whether work is left (the caller must
    /// wake itself to come back).
    fn tick(&self) -> bool {
        {
            let mut queue = self.queue.borrow_mut();
            queue.append(&mut self.yielded.borrow_mut());
            if self.shared.has_remote.load(Ordering::Acquire) {
                let mut remote = self.shared.remote.lock();
                self.shared.has_remote.store(false, Ordering::Relaxed);
                queue.append(&mut remote.queue);
            }
        }
        for _ in 0..MAX_TASKS_PER_TICK {
            // The borrow ends before the task runs: its poll may push onto the queue.
            let next = self.queue.borrow_mut().pop_front();
            match next {
                Some(task) => task.run(),
                None => break,
            }
        }
        !self.queue.borrow().is_empty()
            || !self.yielded.borrow().is_empty()
            || self.shared.has_remote.load(Ordering::Acquire)
    }
}

impl Shared {
    fn push_remote(&self, task: Notified) {
        let mut remote = self.remote.lock();
        if remote.closed {
            drop(remote);
            // The set is gone and has cancelled its tasks: this only drops a reference.
            drop(task);
            return;
        }
        remote.queue.push_back(task);
        self.has_remote.store(true, Ordering::Release);
        let waker = remote.waker.take();
        drop(remote);
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    fn wake_poller(&self) {
        let waker = self.remote.lock().waker.take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// The scheduler of local tasks: each task cell holds one of these.
impl Schedule for Arc<Shared> {
    fn schedule(&self, task: Notified, is_yield: bool) {
        let current = CURRENT
            .try_with(|current| match &*current.borrow() {
                Some(context) if Arc::ptr_eq(&context.shared, self) => Some(context.clone()),
                _ => None,
            })
            .ok()
            .flatten();
        match current {
            // On the set's own thread, with the set current.
            Some(context) => context.push(task, is_yield),
            None => self.push_remote(task),
        }
    }

    fn release(&self, task: &Task) -> Option<Task> {
        let released = self.owned.remove(task);
        if released.is_some() {
            self.live.fetch_sub(1, Ordering::Relaxed);
        }
        released
    }
}

impl Default for LocalSet {
    fn default() -> LocalSet {
        LocalSet::new()
    }
}

impl fmt::Debug for LocalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalSet")
            .field("tasks", &self.context.shared.live.load(Ordering::Relaxed))
            .finish()
    }
}

/// Awaiting a `LocalSet` runs its tasks until every one of them has completed.
///
/// ```
/// use std::rc::Rc;
/// use std::cell::Cell;
/// use filch::task::LocalSet;
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// let local = LocalSet::new();
/// let done = Rc::new(Cell::new(0));
/// for _ in 0..3 {
///     let done = done.clone();
///     local.spawn_local(async move {
///         filch::task::yield_now().await;
///         done.set(done.get() + 1);
///     });
/// }
/// rt.block_on(local);
/// assert_eq!(done.get(), 3);
/// ```
impl Future for LocalSet {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.context.register(cx.waker());
        let _entered = Entered::new(&self.context);
        if self.context.tick() {
            cx.waker().wake_by_ref();
            Poll::Pending
        } else if self.context.shared.live.load(Ordering::Relaxed) == 0 {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for LocalSet {
    fn drop(&mut self) {
        // Current while the futures are dropped, so a destructor's `spawn_local` finds the set
        // (and is cancelled at once, because the set is closed).
        let _entered = Entered::new(&self.context);
        let context = &self.context;
        context.closed.set(true);
        for task in context.shared.owned.close_and_drain() {
            task.shutdown();
        }
        context.shared.live.store(0, Ordering::Relaxed);
        let queued = std::mem::take(&mut *context.queue.borrow_mut());
        drop(queued);
        let yielded = std::mem::take(&mut *context.yielded.borrow_mut());
        drop(yielded);
        let (remote, waker) = {
            let mut remote = context.shared.remote.lock();
            remote.closed = true;
            context.shared.has_remote.store(false, Ordering::Relaxed);
            (std::mem::take(&mut remote.queue), remote.waker.take())
        };
        drop(remote);
        drop(waker);
    }
}

/// Keeps a [`LocalSet`] current on this thread; see [`LocalSet::enter`].
pub struct LocalEnterGuard {
    /// What was current before (`None` inside: nothing was); `None` outside once restored.
    previous: Option<Option<Rc<LocalContext>>>,
}

impl Drop for LocalEnterGuard {
    fn drop(&mut self) {
        if let Some(previous) = self.previous.take() {
            let ours = CURRENT.try_with(|c| c.replace(previous)).ok().flatten();
            drop(ours);
        }
    }
}

impl fmt::Debug for LocalEnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalEnterGuard").finish_non_exhaustive()
    }
}

/// Spawns a future that is not `Send` onto the current [`LocalSet`], and returns a handle to its
/// output. The task runs on this thread, interleaved with the set's other tasks.
///
/// # Panics
///
/// When no `LocalSet` is running (or entered) on this thread: call it inside
/// [`LocalSet::run_until`], [`LocalSet::block_on`], a task of a `LocalSet`, or after
/// [`LocalSet::enter`].
///
/// ```
/// use std::rc::Rc;
/// use filch::task::{self, LocalSet};
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// LocalSet::new().block_on(&rt, async {
///     let value = Rc::new("not Send");
///     let handle = task::spawn_local(async move { *value });
///     assert_eq!(handle.await.unwrap(), "not Send");
/// });
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let location = std::panic::Location::caller();
    let context = CURRENT.try_with(|c| c.borrow().clone()).ok().flatten();
    let Some(context) = context else {
        panic!(
            "filch::task::spawn_local was called outside a LocalSet: run this code inside \
             LocalSet::run_until or LocalSet::block_on (or a task spawned there), or use \
             LocalSet::spawn_local on a set; spawn_local also works inside the block_on of a \
             current-thread runtime. To spawn a Send future onto a runtime, use filch::spawn."
        )
    };
    if std::mem::size_of::<F>() > crate::runtime::spawn::BOX_FUTURE_THRESHOLD {
        context.spawn(Box::pin(future), location)
    } else {
        context.spawn(future, location)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    //! The local-task paths of the task cell, without a runtime (so they run under miri with the
    //! rest of `task::`): a set driven by `futures_lite::future::block_on`, wakes and last
    //! references from other threads, shutdown.

    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::thread::{self, ThreadId};

    use futures_lite::future::block_on;

    /// Counts its drops and records the thread of each.
    struct Probe {
        drops: Arc<AtomicUsize>,
        threads: Arc<Mutex<Vec<ThreadId>>>,
        _not_send: Rc<()>,
    }

    impl Probe {
        fn new(drops: &Arc<AtomicUsize>, threads: &Arc<Mutex<Vec<ThreadId>>>) -> Probe {
            Probe {
                drops: drops.clone(),
                threads: threads.clone(),
                _not_send: Rc::new(()),
            }
        }
    }

    impl Drop for Probe {
        fn drop(&mut self) {
            self.threads.lock().push(thread::current().id());
            self.drops.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Pending until `flag` is set; hands its waker out through `slot` on every poll.
    fn wait_for(
        flag: Arc<AtomicBool>,
        slot: Arc<Mutex<Option<Waker>>>,
        probe: Probe,
    ) -> impl Future<Output = Rc<u32>> {
        std::future::poll_fn(move |cx| {
            let _keep = &probe;
            if flag.load(Ordering::SeqCst) {
                Poll::Ready(Rc::new(5))
            } else {
                *slot.lock() = Some(cx.waker().clone());
                Poll::Pending
            }
        })
    }

    #[test]
    fn not_send_outputs_and_detached_tasks() {
        let drops = Arc::new(AtomicUsize::new(0));
        let threads = Arc::new(Mutex::new(Vec::new()));
        let local = LocalSet::new();
        let out = block_on(local.run_until(async {
            // Detached: its `Rc` output is dropped by `complete`, on this thread.
            let probe = Probe::new(&drops, &threads);
            drop(spawn_local(async move {
                let _probe = probe;
                Rc::new(1)
            }));
            // Awaited.
            let handle = spawn_local(async { Rc::new(2) });
            // Completed, then its handle dropped without reading the output.
            let unread = spawn_local(async { Rc::new(3) });
            crate::task::yield_now().await;
            assert!(unread.is_finished());
            drop(unread);
            *handle.await.unwrap()
        }));
        assert_eq!(out, 2);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        block_on(local);
    }

    #[test]
    fn wake_from_another_thread_and_last_reference_there() {
        let drops = Arc::new(AtomicUsize::new(0));
        let threads = Arc::new(Mutex::new(Vec::new()));
        let owner = thread::current().id();
        let local = LocalSet::new();
        let flag = Arc::new(AtomicBool::new(false));
        let slot: Arc<Mutex<Option<Waker>>> = Arc::default();

        // Woken from another thread: completes.
        let handle = local.spawn_local(wait_for(
            flag.clone(),
            slot.clone(),
            Probe::new(&drops, &threads),
        ));
        let waker_thread = {
            let (flag, slot) = (flag.clone(), slot.clone());
            thread::spawn(move || loop {
                if let Some(waker) = slot.lock().take() {
                    flag.store(true, Ordering::SeqCst);
                    waker.wake();
                    return;
                }
                thread::yield_now();
            })
        };
        assert_eq!(*block_on(local.run_until(handle)).unwrap(), 5);
        waker_thread.join().unwrap();

        // Never woken: its waker outlives the set and is dropped on another thread, last.
        let flag = Arc::new(AtomicBool::new(false));
        let slot: Arc<Mutex<Option<Waker>>> = Arc::default();
        let handle = local.spawn_local(wait_for(flag, slot.clone(), Probe::new(&drops, &threads)));
        block_on(local.run_until(crate::task::yield_now()));
        let waker = slot.lock().take().expect("polled once");
        drop(local);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
        // The handle (its output is `Rc`, so it stays here) goes first, so the waker holds the
        // last reference and frees the cell over there.
        assert!(block_on(handle).unwrap_err().is_cancelled());
        thread::spawn(move || waker.wake()).join().unwrap();
        assert_eq!(drops.load(Ordering::SeqCst), 2);
        assert!(threads.lock().iter().all(|t| *t == owner));
    }

    #[test]
    fn abort_from_another_thread_is_carried_out_here() {
        let drops = Arc::new(AtomicUsize::new(0));
        let threads = Arc::new(Mutex::new(Vec::new()));
        let local = LocalSet::new();
        let probe = Probe::new(&drops, &threads);
        let handle = local.spawn_local(async move {
            let _probe = probe;
            std::future::pending::<u8>().await
        });
        block_on(local.run_until(crate::task::yield_now()));
        let abort = handle.abort_handle();
        thread::spawn(move || abort.abort()).join().unwrap();
        assert_eq!(
            drops.load(Ordering::SeqCst),
            0,
            "cancelled on the wrong thread"
        );
        // Joined on another thread (the output is `Send`): the set must run to cancel it.
        let joiner = thread::spawn(move || block_on(handle));
        let result = block_on(local.run_until(async {
            while !joiner.is_finished() {
                crate::task::yield_now().await;
            }
            joiner.join().unwrap()
        }));
        assert!(result.unwrap_err().is_cancelled());
        assert_eq!(*threads.lock(), [thread::current().id()]);
    }

    #[test]
    fn drop_cancels_queued_idle_and_late_tasks() {
        let drops = Arc::new(AtomicUsize::new(0));
        let threads = Arc::new(Mutex::new(Vec::new()));
        let local = LocalSet::new();
        let late: Rc<RefCell<Option<JoinHandle<()>>>> = Rc::default();
        // Idle after one poll; spawns from its destructor.
        struct SpawnOnDrop(Rc<RefCell<Option<JoinHandle<()>>>>);
        impl Drop for SpawnOnDrop {
            fn drop(&mut self) {
                *self.0.borrow_mut() = Some(spawn_local(async {}));
            }
        }
        let on_drop = SpawnOnDrop(late.clone());
        let probe = Probe::new(&drops, &threads);
        let idle = local.spawn_local(async move {
            let _guard = on_drop;
            let _probe = probe;
            std::future::pending::<()>().await
        });
        block_on(local.run_until(crate::task::yield_now()));
        // Queued, never polled.
        let probe = Probe::new(&drops, &threads);
        let queued = local.spawn_local(async move {
            let _probe = probe;
        });
        // Woken remotely while idle: a `Notified` waits in the remote queue at the drop.
        let abort = idle.abort_handle();
        thread::spawn(move || abort.abort()).join().unwrap();
        drop(local);
        assert_eq!(drops.load(Ordering::SeqCst), 2);
        assert!(block_on(idle).unwrap_err().is_cancelled());
        assert!(block_on(queued).unwrap_err().is_cancelled());
        let late = late.borrow_mut().take().expect("destructor ran");
        assert!(block_on(late).unwrap_err().is_cancelled());
    }

    #[test]
    fn a_panicking_local_task_and_a_panicking_destructor() {
        struct PanicOnDrop;
        impl Drop for PanicOnDrop {
            fn drop(&mut self) {
                panic!("destructor");
            }
        }
        let local = LocalSet::new();
        let panics = local.spawn_local(async {
            let _rc = Rc::new(());
            panic!("poll");
        });
        let idle = local.spawn_local(async {
            let _guard = PanicOnDrop;
            std::future::pending::<()>().await
        });
        assert!(block_on(local.run_until(panics)).unwrap_err().is_panic());
        drop(local);
        assert!(block_on(idle).unwrap_err().is_panic());
    }
}
