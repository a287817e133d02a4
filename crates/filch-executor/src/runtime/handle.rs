//! [`Handle`]: a cloneable reference to a running runtime.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc as StdArc;

use crate::context;
use crate::driver::Driver;
use crate::loom::sync::Arc;
use crate::scheduler::Shared;
use crate::task::{self, JoinHandle, Notified, Schedule, Task};

/// A handle to a runtime: spawn onto it from any thread, find the current one, read its
/// configuration. Cheap to clone.
///
/// ```
/// let rt = filch::runtime::Runtime::new().unwrap();
/// let handle = rt.handle().clone();
/// let join = std::thread::spawn(move || handle.spawn(async { 5 })).join().unwrap();
/// assert_eq!(rt.block_on(join).unwrap(), 5);
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

impl Handle {
    /// The current runtime's handle.
    ///
    /// # Panics
    ///
    /// Outside a runtime; see [`try_current`](Self::try_current).
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(handle) => handle,
            Err(err) => panic!("{err}"),
        }
    }

    /// The current runtime's handle, or an error outside a runtime.
    ///
    /// ```
    /// use filch::runtime::{Handle, Runtime};
    ///
    /// assert!(Handle::try_current().is_err());
    /// let rt = Runtime::new().unwrap();
    /// rt.block_on(async { assert!(Handle::try_current().is_ok()) });
    /// ```
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::try_with_current(Handle::clone)
    }

    /// Spawns a task on this runtime. Works from any thread. After the runtime has shut down
    /// the future is dropped at once and the handle resolves to a cancelled `JoinError`.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        // See `runtime::spawn::spawn`: keep large futures off the stack of the frames below.
        let location = std::panic::Location::caller();
        if std::mem::size_of::<F>() > super::spawn::BOX_FUTURE_THRESHOLD {
            self.spawn_inner(Box::pin(future), location)
        } else {
            self.spawn_inner(future, location)
        }
    }

    pub(crate) fn spawn_inner<F>(
        &self,
        future: F,
        location: &'static std::panic::Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (task, notified, join) = task::new_task_at(future, self.clone(), location);
        match self.shared.owned.insert(task) {
            Ok(()) => Schedule::schedule(self, notified, false),
            Err(task) => {
                drop(notified);
                task.shutdown();
            }
        }
        join
    }

    /// Runs a blocking function on this runtime's blocking pool.
    /// See [`spawn_blocking`](crate::task::spawn_blocking).
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.shared.blocking.spawn(self, f)
    }

    /// Makes this runtime current on this thread until the guard is dropped.
    ///
    /// Guards nest: dropping one makes the runtime that was current before it current again.
    ///
    /// # Panics
    ///
    /// Dropping a guard while a guard entered after it (on the same thread) is still alive
    /// panics, saying that guards must be dropped in the reverse order of their creation, as
    /// tokio does. Restoring silently was rejected because no choice is right in every case:
    /// the newer guard still expects its runtime to be current, and the older one expects its
    /// predecessor back. The out-of-order drop is recorded, so that once the newer guards are
    /// dropped too, the runtime that was current before the older guard is current again: no
    /// stale runtime stays current after the panic.
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// let join = filch::spawn(async { 1 });
    /// # drop(_guard);
    /// # assert_eq!(rt.block_on(join).unwrap(), 1);
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        EnterGuard {
            _guard: context::set_current(self),
            _handle: PhantomData,
        }
    }

    /// The runtime's driver, for I/O resources that downcast it to their own type.
    pub fn driver(&self) -> &StdArc<dyn Driver> {
        self.shared.driver.driver()
    }

    /// Which scheduler this runtime runs.
    ///
    /// ```
    /// use filch::runtime::{Builder, Runtime, RuntimeFlavor};
    ///
    /// let rt = Runtime::new().unwrap();
    /// assert_eq!(rt.handle().runtime_flavor(), RuntimeFlavor::MultiThread);
    /// let rt = Builder::new_current_thread().build().unwrap();
    /// assert_eq!(rt.handle().runtime_flavor(), RuntimeFlavor::CurrentThread);
    /// ```
    pub fn runtime_flavor(&self) -> super::RuntimeFlavor {
        if self.shared.current_thread.is_some() {
            super::RuntimeFlavor::CurrentThread
        } else {
            super::RuntimeFlavor::MultiThread
        }
    }

    /// The runtime's figures: workers, queues, tasks, blocking pool, I/O driver (see
    /// [`RuntimeMetrics`](super::RuntimeMetrics)). Cheap: one `Arc` clone; every figure is read
    /// live when asked.
    ///
    /// ```
    /// let rt = filch::runtime::Builder::new().worker_threads(2).build().unwrap();
    /// let metrics = rt.handle().metrics();
    /// for worker in 0..metrics.num_workers() {
    ///     let _ = (metrics.worker_poll_count(worker), metrics.worker_park_count(worker));
    /// }
    /// ```
    pub fn metrics(&self) -> super::RuntimeMetrics {
        super::RuntimeMetrics::new(self.clone())
    }

    /// Every alive task, with its id, spawn location, state, age, polls and poll time (see
    /// [`TaskDump`](super::TaskDump) for how approximate it is). Safe to call from any thread,
    /// inside or outside the runtime, while it runs.
    pub fn dump(&self) -> super::TaskDump {
        use super::dump::{TaskInfo, TaskState};
        use crate::loom::sync::atomic::Ordering;
        let shared = &*self.shared;
        // Which worker polls which task now (ids as the workers store them).
        let running: Vec<(usize, usize)> = shared
            .remotes
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.polling.load(Ordering::Acquire).is_null())
            .map(|(i, r)| (r.polling_id.load(Ordering::Relaxed), i))
            .collect();
        let taken_at = std::time::Instant::now();
        let mut tasks = Vec::with_capacity(shared.owned.alive());
        shared.owned.for_each(|task, spawned_at, poll_nanos| {
            let header = task.header();
            let snapshot = header.state.load();
            let state = if snapshot.is_complete() {
                TaskState::Complete
            } else if snapshot.is_running() {
                TaskState::Running {
                    // A current-thread runtime polls its tasks on one thread only: worker 0.
                    worker: if shared.current_thread.is_some() {
                        Some(0)
                    } else {
                        running
                            .iter()
                            .find(|(id, _)| *id == header.id as usize)
                            .map(|&(_, w)| w)
                    },
                }
            } else if snapshot.is_notified() {
                TaskState::Scheduled
            } else {
                TaskState::Idle
            };
            tasks.push(TaskInfo {
                id: crate::task::Id::from_u64(header.id),
                location: header.location,
                state,
                spawned_at,
                polls: u64::from(header.polls.load(std::sync::atomic::Ordering::Relaxed)),
                poll_time: std::time::Duration::from_nanos(poll_nanos),
                taken_at,
            });
        });
        super::TaskDump { tasks }
    }

    /// The number of worker threads this runtime runs; 1 for a current-thread runtime (the
    /// thread inside `block_on`).
    pub fn worker_threads(&self) -> usize {
        if self.shared.current_thread.is_some() {
            1
        } else {
            self.shared.config.worker_threads
        }
    }

    /// Runs `future` to completion on the calling thread, with this runtime current.
    ///
    /// On a **multi-thread** runtime the workers run the spawned tasks, the I/O driver and the
    /// timers, as with [`Runtime::block_on`](super::Runtime::block_on); this thread only polls
    /// `future`. On a **current-thread** runtime this is the same as `Runtime::block_on`: this
    /// thread runs the runtime's tasks, driver and timers while it waits (or, while another
    /// thread is doing that, waits for it to finish and then takes over). tokio's
    /// `Handle::block_on` on a current-thread runtime does not run tasks or the driver; filch's
    /// does, so that a handle is as good as the runtime for this.
    ///
    /// # Panics
    ///
    /// On a thread that is already running a filch runtime: inside a task, or inside another
    /// `block_on` (blocking there would stall the runtime). Use `.await` there; on a
    /// multi-thread runtime, blocking code that must wait for a future can call it inside
    /// [`block_in_place`](crate::task::block_in_place).
    ///
    /// ```
    /// use filch::runtime::Runtime;
    ///
    /// let rt = Runtime::new().unwrap();
    /// let handle = rt.handle().clone();
    /// let out = std::thread::spawn(move || {
    ///     handle.block_on(async { filch::spawn(async { 6 * 7 }).await.unwrap() })
    /// })
    /// .join()
    /// .unwrap();
    /// assert_eq!(out, 42);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let Some(_entered) = context::enter_runtime() else {
            panic!(
                "Handle::block_on was called on a thread that is already running a filch \
                 runtime (inside a task or inside another block_on); blocking it would stall \
                 that runtime. Use `.await` on the future instead; blocking code on a \
                 multi-thread runtime can call it inside filch::task::block_in_place, or run on \
                 filch::task::spawn_blocking."
            );
        };
        self.enter_and_block_on(future)
    }

    /// `block_on` after the caller has checked and entered `in_runtime`.
    pub(crate) fn enter_and_block_on<F: Future>(&self, future: F) -> F::Output {
        let _current = context::set_current(self);
        match &self.shared.current_thread {
            Some(ct) => {
                // `task::spawn_local` works inside a current-thread `block_on`: the future runs
                // inside a `LocalSet` of its own, whose tasks are polled with it and cancelled
                // (their futures dropped here, on this thread) when `block_on` returns.
                let local = crate::task::LocalSet::new();
                ct.block_on(self, local.run_until(future))
            }
            None => super::block_on::block_on(future),
        }
    }

    /// The most blocking threads this runtime may start.
    pub fn max_blocking_threads(&self) -> usize {
        self.shared.config.max_blocking_threads
    }
}

impl Schedule for Handle {
    fn schedule(&self, task: Notified, is_yield: bool) {
        match &self.shared.current_thread {
            None => self.shared.schedule(task, is_yield),
            Some(ct) => ct.schedule(&self.shared, task, is_yield),
        }
    }

    fn release(&self, task: &Task) -> Option<Task> {
        self.shared.release(task)
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("flavor", &self.runtime_flavor())
            .field("worker_threads", &self.worker_threads())
            .field("max_blocking_threads", &self.max_blocking_threads())
            .finish_non_exhaustive()
    }
}

/// Keeps a runtime current on this thread; see [`Handle::enter`].
///
/// Guards must be dropped in the reverse order of their creation; dropping one out of order
/// panics (see [`Handle::enter`]).
pub struct EnterGuard<'a> {
    _guard: context::SetCurrentGuard,
    _handle: PhantomData<&'a Handle>,
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}

/// Returned by [`Handle::try_current`] outside a runtime.
#[derive(Debug)]
pub struct TryCurrentError {
    destroyed: bool,
}

impl TryCurrentError {
    pub(crate) fn no_runtime() -> TryCurrentError {
        TryCurrentError { destroyed: false }
    }

    pub(crate) fn thread_local_destroyed() -> TryCurrentError {
        TryCurrentError { destroyed: true }
    }

    /// Whether the thread is exiting and its runtime context is already gone.
    pub fn is_thread_local_destroyed(&self) -> bool {
        self.destroyed
    }
}

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.destroyed {
            f.write_str(
                "the filch runtime context of this thread was already destroyed (the thread is \
                 exiting); spawn through a runtime Handle instead",
            )
        } else {
            f.write_str(
                "there is no filch runtime on this thread: run this code inside \
                 #[filch::main], #[filch::test], Runtime::block_on or a task, or call \
                 Runtime::enter first",
            )
        }
    }
}

impl std::error::Error for TryCurrentError {}
