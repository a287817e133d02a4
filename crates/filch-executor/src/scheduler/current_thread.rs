//! The current-thread scheduler: every task runs on the thread that calls `block_on`.
//!
//! `Builder::new_current_thread()` builds a runtime with no worker threads. Its tasks, its I/O
//! driver and its timers are all run by the thread inside [`CurrentThread::block_on`]
//! (`Runtime::block_on`, `Handle::block_on`); the blocking pool (`spawn_blocking`) is the only
//! set of threads it starts. It shares with the multi-thread scheduler the task code (`task/`),
//! the [`Driver`](crate::driver::Driver) seam, the injector, the owner list and the shutdown
//! steps (`Shared` in `scheduler/mod.rs`); what is its own is this loop.
//!
//! # Tasks only run inside `block_on`
//!
//! As in tokio, a current-thread runtime makes progress only while some thread is inside its
//! `block_on`. A task spawned before (through `Runtime::spawn`, `Handle::spawn` or after
//! `Runtime::enter`) waits in the queue; a timer due meanwhile fires at the next `block_on`.
//! When `block_on` returns, the tasks still pending stay queued (or idle, waiting for their
//! wake) for the next `block_on`, and are cancelled when the runtime is dropped.
//!
//! # The core
//!
//! What only one thread may touch at a time is the **core**: the local run queue (a
//! `VecDeque`), the deferred yielders and the tick counter. It lives in
//! [`CurrentThread::core`] while nobody runs the scheduler; `block_on` takes it out, runs the
//! loop with it in a [`CoreContext`] on its stack (registered in the thread-local context, see
//! `context::set_core`), and puts it back when it returns or unwinds. A second thread that calls
//! `block_on` meanwhile (through a `Handle`, or a shared `&Runtime`) polls its own future on a
//! thread parker and waits for the core: it registers in `core_waiters` and re-checks the core
//! after registering, and the thread that puts the core back wakes every waiter after putting
//! it back, so one of the two always sees the other. It then takes the core over and runs the
//! tasks. (tokio makes the same choice.)
//!
//! # Scheduling
//!
//! * A task spawned or woken **on the thread that holds the core** goes to the back of the
//!   local queue, or, if it woke itself during its own poll (a yield), to the deferred list,
//!   which goes back in the queue after the next driver poll (the same rule as the multi-thread
//!   workers', so a task that yields while waiting for a socket sees the socket's event).
//! * A task spawned or woken **from any other thread** (a blocking-pool thread, another
//!   runtime's worker, a `Handle::spawn` on a plain thread) goes to the injector, and the
//!   loop's thread is woken through [`Driver::unpark`](crate::driver::Driver::unpark) if it may
//!   be parked. `notified` says a wake is already on its way: the loop clears it (SeqCst, then a
//!   SeqCst fence) before its last look at the injector and the `block_on` future's flag, and a
//!   remote pusher makes its push visible (SeqCst fence) before it looks at `notified`, so
//!   either the loop sees the work or the pusher sees the cleared flag and unparks; while the
//!   loop is busy, remote pushes cost no system call.
//! * The `block_on` future is not a task: it has its own flag (`MainWaker`), is polled first
//!   in each turn of the loop when woken, and runs on the same thread as the tasks, so `spawn`,
//!   `Handle::current` and the sockets work inside it as inside a task.
//!
//! # Fairness
//!
//! Each turn of the loop is one tick. Every [`GLOBAL_QUEUE_INTERVAL`] (31) ticks the injector
//! is looked at before the local queue, so tasks from other threads are not starved by tasks
//! that keep waking each other locally; every [`EVENT_INTERVAL`] (61) ticks the driver is polled
//! without blocking (and the deferred yielders are requeued), so sockets and timers are not
//! starved by a busy queue. These are tokio's figures, and the multi-thread workers' (there is
//! no LIFO slot here: with one thread there is no other worker to keep a woken task away from).
//! With nothing to run, the loop parks in the driver with no time limit (the driver's own timers
//! bound it); if only the `block_on` future woke itself, it polls the driver without blocking
//! and polls the future again.
//!
//! # What a current-thread runtime does not have
//!
//! No monitor thread (`watchdog.rs`): a task that blocks the thread blocks the runtime, with no
//! compensating worker and no stall report (`Builder::stall_threshold` is ignored). Use
//! `spawn_blocking` for blocking work; `task::block_in_place` panics here, as in tokio, because
//! there is no other thread to hand the tasks to. `Builder::worker_threads` and
//! `FILCH_WORKER_THREADS` are ignored (tokio ignores `worker_threads` on a current-thread
//! builder too), and `Handle::worker_threads` reports 1: the thread inside `block_on`.
//! `on_thread_start`/`on_thread_stop` run on blocking-pool threads only.
//!
//! # Metrics
//!
//! `RuntimeMetrics` sees one worker, index 0: whichever thread holds the core. The loop keeps
//! worker 0's cell (`Shared::metrics.workers[0]`, the same `WorkerMetrics` and the same
//! owner-only writes as a multi-thread worker, `runtime/metrics.rs`):
//!
//! * a poll count after each task poll ([`CoreContext::run_task`]), and, with timing on (the
//!   poll-time histogram or a slow-poll threshold, cached when the loop starts), a clock read
//!   around the run and then the histogram, the measured mean, the task's poll time and the
//!   slow-poll check (`metrics::TimedRun`, reports name worker 0). The `block_on` future is
//!   not a task: its polls are not counted or timed;
//! * a park per blocking driver park (the non-blocking driver polls of maintenance and of a
//!   yielding `block_on` future are not parks), and a no-op wake-up when no task was polled
//!   between a wake-up and the next park (a wake-up only for the `block_on` future is one, as
//!   in tokio);
//! * busy time per stretch between wake-up and park, flushed at each maintenance tick and when
//!   `block_on` gives the core back, so the time inside `block_on` not spent parked counts;
//! * a local schedule per task pushed onto the core's queue or deferred list (spawned or woken
//!   on this thread), and a local pop per task taken off it (or drained at shutdown): the
//!   queue's depth is the difference, read from any thread without a look at the core
//!   (`RuntimeMetrics::worker_local_queue_depth`, exact once the loop has returned, a moment off
//!   while it runs). Tasks from other threads wait in the
//!   injector (`global_queue_depth`);
//! * no steals and no overflows (one thread: nothing to steal, no monitor to hand over): those
//!   figures stay 0.
//!
//! The loop's clock readings are also this thread's "recent now" (`metrics::spawn_time`) while
//! it runs, and are forgotten when `block_on` returns. `Handle::dump` shows a running task of a
//! current-thread runtime on worker 0.
//!
//! # Shutdown
//!
//! Dropping the runtime runs the shared steps (`worker.rs`, "Shutdown"): the flag is set and the
//! driver unparked; the owner list is closed and every task cancelled, its future dropped on the
//! dropping thread; the injector is drained. The core, if no thread holds it, is drained by the
//! dropping thread ([`CurrentThread::shutdown`]); a thread that holds it (a `Handle::block_on`
//! on another thread) sees the flag at the top of its loop, drains the core itself and
//! finishes its own future without running tasks. Threads waiting for the core are woken and
//! do the same.
//!
//! # Where local tasks plug in
//!
//! `task::spawn_local` inside a current-thread `block_on` (not built here) needs a queue that
//! only this thread touches and that lives as long as the `block_on`: [`CoreContext`] is that
//! place (found through `context::with_core`), and [`CoreContext::run`]'s loop is where such a
//! queue would be run beside the local queue.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{fence, AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;
use parking_lot::Mutex;

use crate::context;
use crate::runtime::block_on::{block_on_pinned, ThreadWaker};
use crate::runtime::metrics::{bump, TimedRun, WorkerMetrics};
use crate::runtime::Handle;
use crate::scheduler::Shared;
use crate::task::Notified;

/// Ticks between looks at the injector before the local queue (tokio's figure for this
/// scheduler is 31 too).
pub(crate) const GLOBAL_QUEUE_INTERVAL: u32 = 31;
/// Ticks between non-blocking driver polls while tasks keep the loop busy (tokio's figure).
pub(crate) const EVENT_INTERVAL: u32 = 61;

/// The current-thread scheduler's shared state: in `Shared::current_thread` of its runtime.
pub(crate) struct CurrentThread {
    /// The core, while no thread runs the loop.
    core: Mutex<Option<Box<Core>>>,
    /// Threads inside `block_on` waiting for the core (see "The core").
    core_waiters: Mutex<Vec<Arc<ThreadWaker>>>,
    /// A `Driver::unpark` has been sent (or the loop is busy and will look at the injector
    /// before it parks): remote pushes need not send another (see "Scheduling").
    notified: AtomicBool,
}

/// What only the thread running the loop touches.
struct Core {
    run_queue: VecDeque<Notified>,
    /// Tasks that yielded, until the next driver poll.
    deferred: Vec<Notified>,
    tick: u32,
}

/// The loop's state on the stack of the thread running it; the thread-local context points at
/// it while the loop runs (`context::set_core`), which is how a wake on this thread finds the
/// local queue.
pub(crate) struct CoreContext {
    handle: Handle,
    /// `None` only for a moment while the core is handed back.
    core: RefCell<Option<Box<Core>>>,
    /// Worker 0's metric cell (`Shared::metrics.workers[0]`), written only by this thread.
    metrics: Arc<CachePadded<WorkerMetrics>>,
    /// Whether polls are timed (histogram or slow-poll threshold), cached like a worker's.
    timing: bool,
    /// Busy-time bookkeeping (see "Metrics"): the start of the current busy stretch, and the
    /// poll count at the last wake-up (`None` before the first park).
    busy_since: std::cell::Cell<Instant>,
    polls_at_wake: std::cell::Cell<Option<u64>>,
}

impl CurrentThread {
    pub(crate) fn new() -> CurrentThread {
        CurrentThread {
            core: Mutex::new(Some(Box::new(Core {
                run_queue: VecDeque::with_capacity(64),
                deferred: Vec::new(),
                tick: 0,
            }))),
            core_waiters: Mutex::new(Vec::new()),
            notified: AtomicBool::new(false),
        }
    }

    /// Where a notified task goes (see "Scheduling"). `is_yield`: it woke itself during its own
    /// poll.
    pub(crate) fn schedule(&self, shared: &Shared, task: Notified, is_yield: bool) {
        if shared.is_shutdown() {
            // The owner-list drain cancels the task; this queue entry is no longer needed.
            drop(task);
            return;
        }
        let task = context::with_core(|cx| match cx {
            Some(cx) if std::ptr::eq(&*cx.handle.shared, shared) => cx.push_local(task, is_yield),
            _ => Some(task),
        });
        if let Some(task) = task {
            shared.push_injector(task);
            self.notify(shared);
        }
    }

    /// Makes sure the loop's thread looks at the injector and its future's flag again: wakes it
    /// from the driver unless a wake is already on its way.
    fn notify(&self, shared: &Shared) {
        // Pairs with the fence in `CoreContext::park` (see "Scheduling").
        fence(Ordering::SeqCst);
        if !self.notified.load(Ordering::Relaxed) && !self.notified.swap(true, Ordering::SeqCst) {
            shared.driver.driver().unpark();
        }
    }

    /// Runs `future` to completion on this thread, running the runtime's tasks, driver and
    /// timers meanwhile (or, while another thread runs them, waiting for the core). The caller
    /// has entered the runtime (`enter_runtime`, `set_current`).
    pub(crate) fn block_on<F: Future>(&self, handle: &Handle, future: F) -> F::Output {
        let mut future = pin!(future);
        let shared = &*handle.shared;
        loop {
            if shared.is_shutdown() {
                // Nothing runs tasks any more; the future may still finish (it may not need
                // them).
                return block_on_pinned(future);
            }
            let core = self.core.lock().take();
            if let Some(core) = core {
                let cx = CoreContext {
                    handle: handle.clone(),
                    core: RefCell::new(Some(core)),
                    metrics: shared.metrics.workers[0].clone(),
                    timing: shared.config.timing(),
                    busy_since: std::cell::Cell::new(Instant::now()),
                    polls_at_wake: std::cell::Cell::new(None),
                };
                match cx.run(future.as_mut()) {
                    Some(output) => return output,
                    // Shut down meanwhile: the top of the loop finishes the future.
                    None => continue,
                }
            }
            if let Some(output) = self.wait_for_core(shared, future.as_mut()) {
                return output;
            }
        }
    }

    /// Polls `future` on a thread parker until it completes (`Some`) or the core is free or the
    /// runtime shut down (`None`: the caller tries again).
    fn wait_for_core<F: Future>(
        &self,
        shared: &Shared,
        mut future: Pin<&mut F>,
    ) -> Option<F::Output> {
        let waiter = ThreadWaker::for_current_thread();
        let waker = Waker::from(waiter.clone());
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(output) = crate::coop::budget(|| future.as_mut().poll(&mut cx)) {
                return Some(output);
            }
            {
                let mut waiters = self.core_waiters.lock();
                if !waiters.iter().any(|w| Arc::ptr_eq(w, &waiter)) {
                    waiters.push(waiter.clone());
                }
            }
            // After registering: whoever puts the core back wakes the waiters after doing so.
            if self.core.lock().is_some() || shared.is_shutdown() {
                return None;
            }
            waiter.wait();
        }
    }

    /// Wakes every thread waiting for the core.
    fn wake_core_waiters(&self) {
        let waiters = std::mem::take(&mut *self.core_waiters.lock());
        for waiter in waiters {
            waiter.wake_by_ref();
        }
    }

    /// Shutdown: cancels what the core has queued if no thread holds it (one that does drains it
    /// itself), and wakes the threads waiting for the core. Called after the owner list was
    /// drained.
    pub(crate) fn shutdown(&self) {
        let core = self.core.lock().take();
        if let Some(mut core) = core {
            for task in take_queued(&mut core) {
                task.shutdown();
            }
        }
        self.wake_core_waiters();
    }
}

/// Everything a core has queued, in order.
fn take_queued(core: &mut Core) -> Vec<Notified> {
    let mut tasks: Vec<Notified> = core.run_queue.drain(..).collect();
    tasks.append(&mut core.deferred);
    tasks
}

/// The `block_on` future's waker: a flag, and a driver unpark when woken from another thread.
struct MainWaker {
    woken: AtomicBool,
    handle: Handle,
}

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.woken.swap(true, Ordering::SeqCst) {
            return;
        }
        let shared = &*self.handle.shared;
        // On the loop's own thread it will look at the flag before it parks again.
        let on_loop =
            context::with_core(|cx| cx.is_some_and(|cx| std::ptr::eq(&*cx.handle.shared, shared)));
        if !on_loop {
            if let Some(ct) = &shared.current_thread {
                ct.notify(shared);
            }
        }
    }
}

/// Puts the core back into `CurrentThread::core` however `run` ends, and wakes the threads
/// waiting for it.
struct GiveBack<'a>(&'a CoreContext);

impl Drop for GiveBack<'_> {
    fn drop(&mut self) {
        let cx = self.0;
        if cx.handle.shared.is_shutdown() {
            cx.drain();
        }
        // The time inside this `block_on` up to now was busy time.
        cx.flush_busy();
        let core = cx.core.borrow_mut().take();
        let ct = cx.current_thread();
        *ct.core.lock() = core;
        ct.wake_core_waiters();
    }
}

impl CoreContext {
    fn current_thread(&self) -> &CurrentThread {
        match &self.handle.shared.current_thread {
            Some(ct) => ct,
            None => unreachable!("a CoreContext belongs to a current-thread runtime"),
        }
    }

    /// Queues a task woken on this thread; gives it back if the core is not here (it is being
    /// handed back) or is borrowed (a drop inside a queue operation woke it).
    fn push_local(&self, task: Notified, is_yield: bool) -> Option<Notified> {
        let Ok(mut core) = self.core.try_borrow_mut() else {
            return Some(task);
        };
        match core.as_mut() {
            Some(core) if is_yield => core.deferred.push(task),
            Some(core) => core.run_queue.push_back(task),
            None => return Some(task),
        }
        // Also the queue's depth: local schedules less `local_pops` (see "Metrics").
        bump(&self.metrics.local_schedules, 1);
        None
    }

    /// The loop. `None` when the runtime shut down before the future completed.
    fn run<F: Future>(&self, mut future: Pin<&mut F>) -> Option<F::Output> {
        // Dropped after `GiveBack`, whose busy-time flush takes a clock reading.
        let _recent = RecentNowGuard;
        let _give_back = GiveBack(self);
        let shared = &*self.handle.shared;
        crate::runtime::metrics::set_recent_now(self.busy_since.get());
        context::set_core(self, || {
            let main = Arc::new(MainWaker {
                woken: AtomicBool::new(true),
                handle: self.handle.clone(),
            });
            let waker = Waker::from(main.clone());
            let mut cx = Context::from_waker(&waker);
            loop {
                if shared.is_shutdown() {
                    self.drain();
                    return None;
                }
                if main.woken.load(Ordering::Relaxed) && main.woken.swap(false, Ordering::AcqRel) {
                    let polled = crate::coop::budget(|| future.as_mut().poll(&mut cx));
                    if let Poll::Ready(output) = polled {
                        return Some(output);
                    }
                }
                let tick = self.next_tick();
                if tick % EVENT_INTERVAL == 0 {
                    self.flush_busy();
                    self.maintenance();
                }
                if let Some(task) = self.next_task(tick) {
                    self.run_task(task);
                    continue;
                }
                if self.requeue_deferred() {
                    continue;
                }
                self.park(&main);
            }
        })
    }

    /// Polls one task, and counts it on worker 0 (and times it, with timing on).
    #[inline(always)]
    fn run_task(&self, task: Notified) {
        let timed = if self.timing {
            Some(TimedRun::start(&task))
        } else {
            None
        };
        task.run();
        bump(&self.metrics.polls, 1);
        if let Some(timed) = timed {
            timed.finish(&self.handle.shared, &self.metrics, 0);
        }
    }

    /// Busy time up to now goes into worker 0's figure (at maintenance ticks, before a park and
    /// when `block_on` gives the core back).
    fn flush_busy(&self) {
        let now = Instant::now();
        let busy = now.saturating_duration_since(self.busy_since.get());
        bump(
            &self.metrics.busy_nanos,
            u64::try_from(busy.as_nanos()).unwrap_or(u64::MAX),
        );
        self.busy_since.set(now);
        crate::runtime::metrics::set_recent_now(now);
    }

    /// Before a blocking park: busy time, the park, and a no-op wake-up if no task was polled
    /// since the last wake-up.
    fn before_park(&self) {
        self.flush_busy();
        let polls = self.metrics.polls.load(Ordering::Relaxed);
        if self.polls_at_wake.get() == Some(polls) {
            bump(&self.metrics.noops, 1);
        }
        bump(&self.metrics.parks, 1);
    }

    fn after_park(&self) {
        let now = Instant::now();
        self.busy_since.set(now);
        crate::runtime::metrics::set_recent_now(now);
        self.polls_at_wake
            .set(Some(self.metrics.polls.load(Ordering::Relaxed)));
    }

    fn next_tick(&self) -> u32 {
        let mut core = self.core.borrow_mut();
        match core.as_mut() {
            Some(core) => {
                core.tick = core.tick.wrapping_add(1);
                core.tick
            }
            None => 0,
        }
    }

    fn next_task(&self, tick: u32) -> Option<Notified> {
        let injector = &self.handle.shared.injector;
        if tick % GLOBAL_QUEUE_INTERVAL == 0 {
            if let Some(task) = steal_one(injector) {
                return Some(task);
            }
        }
        let local = self
            .core
            .borrow_mut()
            .as_mut()
            .and_then(|core| core.run_queue.pop_front());
        if local.is_some() {
            bump(&self.metrics.local_pops, 1);
            return local;
        }
        steal_one(injector)
    }

    /// Moves the deferred yielders to the back of the run queue after a driver poll; `false` if
    /// there were none.
    fn requeue_deferred(&self) -> bool {
        let has_deferred = self
            .core
            .borrow()
            .as_ref()
            .is_some_and(|core| !core.deferred.is_empty());
        if !has_deferred {
            return false;
        }
        self.poll_driver(Some(Duration::ZERO));
        if let Some(core) = self.core.borrow_mut().as_mut() {
            let Core {
                run_queue,
                deferred,
                ..
            } = &mut **core;
            run_queue.extend(deferred.drain(..));
        }
        true
    }

    /// Every `EVENT_INTERVAL` ticks: the driver gets a turn, and the deferred yielders after it.
    fn maintenance(&self) {
        if !self.requeue_deferred() {
            self.poll_driver(Some(Duration::ZERO));
        }
    }

    fn has_local_work(&self) -> bool {
        self.core
            .borrow()
            .as_ref()
            .is_some_and(|core| !core.run_queue.is_empty() || !core.deferred.is_empty())
    }

    /// Nothing to run: block in the driver until a wake, an event or a timer.
    fn park(&self, main: &MainWaker) {
        let shared = &*self.handle.shared;
        let ct = self.current_thread();
        ct.notified.store(false, Ordering::SeqCst);
        // Pairs with the fence in `notify`: either a remote pusher sees `notified` cleared and
        // unparks the driver, or we see its push (or the future's flag) here.
        fence(Ordering::SeqCst);
        if !shared.injector.is_empty() || self.has_local_work() || shared.is_shutdown() {
            return;
        }
        if main.woken.load(Ordering::SeqCst) {
            // The future woke itself (it yielded): the driver gets a turn before it runs again.
            self.poll_driver(Some(Duration::ZERO));
            return;
        }
        self.before_park();
        self.poll_driver(None);
        self.after_park();
    }

    /// One driver park with `timeout` (wakers it fires push to our local queue).
    fn poll_driver(&self, timeout: Option<Duration>) {
        let shared = &*self.handle.shared;
        match shared.driver.try_lock() {
            Some(guard) => {
                shared.driver.driver().park(timeout);
                drop(guard);
            }
            // Only the core's holder parks in a current-thread runtime's driver, so this does
            // not happen; if it ever did, do not spin hot.
            None => std::thread::yield_now(),
        }
    }

    /// Shutdown: cancels what the core still has queued (outside the borrow: a future's drop
    /// may wake other tasks).
    fn drain(&self) {
        let tasks = self
            .core
            .borrow_mut()
            .as_mut()
            .map(|core| take_queued(core))
            .unwrap_or_default();
        bump(&self.metrics.local_pops, tasks.len() as u64);
        for task in tasks {
            task.shutdown();
        }
    }
}

/// Forgets the loop's latest clock reading when the loop ends: a spawn on this thread after
/// `block_on` returns must not take it as its spawn time (`metrics::spawn_time`).
struct RecentNowGuard;

impl Drop for RecentNowGuard {
    fn drop(&mut self) {
        crate::runtime::metrics::clear_recent_now();
    }
}

/// Takes one task from the injector.
fn steal_one(injector: &crossbeam_deque::Injector<Notified>) -> Option<Notified> {
    loop {
        match injector.steal() {
            crossbeam_deque::Steal::Success(task) => return Some(task),
            crossbeam_deque::Steal::Empty => return None,
            crossbeam_deque::Steal::Retry => continue,
        }
    }
}

/// Builds a current-thread runtime around `driver`: no thread is started (blocking threads
/// start on demand).
pub(crate) fn start(
    config: crate::runtime::Config,
    driver: std::sync::Arc<dyn crate::driver::Driver>,
) -> crate::runtime::Runtime {
    let shared_driver = crate::loom::sync::Arc::new(super::park::SharedDriver::new(driver));
    let blocking = crate::blocking::BlockingPool::new(&config);
    let mut shared = Shared::new(
        Box::new([]),
        super::watchdog::Extras::new(0, Vec::new()),
        shared_driver,
        blocking,
        config,
    );
    shared.current_thread = Some(CurrentThread::new());
    // One worker slot (index 0): the thread inside `block_on` (see "Metrics").
    shared.metrics = crate::runtime::metrics::MetricsCells::new(1, shared.config.histogram);
    let handle = Handle {
        shared: crate::loom::sync::Arc::new(shared),
    };
    crate::runtime::Runtime::from_parts(handle, Default::default(), Vec::new())
}
