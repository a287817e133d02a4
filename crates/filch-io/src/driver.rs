//! The I/O driver: what an idle filch worker blocks in.
//!
//! [`IoDriver`] implements the executor's [`Driver`] seam. One exists per runtime; sockets and
//! timers find it through the current runtime's [`Handle::driver`](RuntimeHandle::driver) and
//! keep a clone of its shared state (a `driver::Handle`), so they stay valid (and report a clear
//! error) even after the runtime is gone.
//!
//! # How a wake reaches a worker blocked in the poller
//!
//! 1. A worker with nothing to run calls [`Driver::park`]. The driver takes the timer lock,
//!    reads the wheel's next deadline, records it as `parked_until`, and waits in the OS poller
//!    (`Reactor::wait`: filch's own `epoll_pwait2` on Linux, `Poller::wait` with
//!    `FILCH_IO_BACKEND=polling` and elsewhere; see `sys/mod.rs`) with the earlier of that
//!    deadline and the executor's timeout.
//! 2. A task spawned or woken from another thread makes the executor call [`Driver::unpark`],
//!    which is `Reactor::notify`: an eventfd (or kqueue user event) write that makes the wait
//!    return. `notify` is sticky, so an unpark that comes before the wait is not lost.
//! 3. A socket event makes the wait return with events. The driver records readiness per source
//!    (`scheduled_io.rs`), advances the timer wheel to the present, and collects every
//!    waker released by either. Only after every lock is dropped does it call the wakers: each
//!    one pushes its task on a run queue, which the executor turns into work for the worker
//!    that is returning from `park` right now.
//! 4. A new timer that is due *before* the `parked_until` of the parked worker calls
//!    `Reactor::notify`, so the worker recomputes its timeout; the check happens under the timer
//!    lock, so the parker either sees the new timer or the inserter sees the parker.
//!
//! Waker calls are wrapped in `catch_unwind`: a panicking waker (a bug in some foreign executor
//! or combinator) is reported by the panic hook as usual, the remaining wakers still run, and
//! no lock is held, so nothing is poisoned or left half-updated.
//!
//! # The clock
//!
//! The driver owns the runtime's [`Clock`] (`time/clock.rs`): every "now" above is the clock's,
//! which is `std::time::Instant::now()` unless a test paused it. While the clock is paused, a
//! park with a timeout other than zero does not sleep until the next timer: it polls the OS with
//! a zero timeout, fires what is due, and if nothing woke, jumps the clock to the next timer's
//! exact deadline and fires it (auto-advance); only with no timer at all does it block. `unpark`
//! raises a flag beside the poller's notification so that a paused park can tell "a task was
//! woken from another thread" (do not advance) from "nothing happened". `time/clock.rs` is the
//! specification.
//!
//! The executor guarantees that only one thread is in `park` at a time. Should a second one
//! arrive anyway, it does not wait in the OS poller (which would return at once and make it spin):
//! it sleeps on a condition variable until an unpark, its timeout, or the first parker leaving.

use std::any::Any;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::reactor::Reactor;
use crate::sys::{Backend, Events};
use crate::time::clock::{Clock, ClockError};
use crate::timer::Wheel;
use filch_executor::driver::{Driver, DriverMetrics};
use filch_executor::runtime::Handle as RuntimeHandle;
use parking_lot::{Condvar, Mutex};

/// Events fetched per wait in the OS poller.
const EVENTS_CAPACITY: usize = 1024;

/// Creates the I/O driver for a runtime: the factory to hand to the executor's builder.
///
/// ```
/// use filch_executor::runtime::Builder;
///
/// let rt = Builder::new().driver(filch_io::new_driver).build().unwrap();
/// rt.block_on(async {
///     filch_io::time::sleep(std::time::Duration::from_millis(1)).await;
/// });
/// ```
///
/// # Errors
///
/// Fails when the OS poller cannot be created (for example when the process has run out of
/// file descriptors) or does not support edge-triggered mode, and with
/// [`InvalidInput`](io::ErrorKind::InvalidInput) when the environment variable
/// `FILCH_IO_BACKEND` is set to something other than `epoll` (Linux only, the default there) or
/// `polling` (the portable backend); the message names the value and the accepted ones.
pub fn new_driver() -> io::Result<Arc<dyn Driver>> {
    Ok(Arc::new(IoDriver::new()?))
}

/// The filch I/O driver: a reactor on [`polling`] plus a hierarchical timer wheel.
///
/// Build a runtime with it through [`new_driver`]; you rarely need to name this type.
///
/// ```
/// use std::sync::Arc;
/// use filch_executor::runtime::Builder;
/// use filch_io::IoDriver;
///
/// let rt = Builder::new()
///     .driver(|| Ok(Arc::new(IoDriver::new()?) as _))
///     .build()
///     .unwrap();
/// assert!(rt.handle().driver().as_any().is::<IoDriver>());
/// ```
#[derive(Debug)]
pub struct IoDriver {
    handle: Arc<Handle>,
}

/// A handle to the driver: the state it shares with the sockets and timers registered with
/// it, each of which keeps an `Arc` of it.
#[derive(Debug)]
pub(crate) struct Handle {
    pub(crate) reactor: Reactor,
    pub(crate) timers: Mutex<Timers>,
    /// The runtime's clock (see `time/clock.rs`).
    pub(crate) clock: Clock,
    /// Raised by every `unpark`, lowered by a park of a paused clock, which must not auto-advance
    /// past a task woken from another thread.
    unparked: AtomicBool,
    /// The zero of timer granules (a reading of `clock`).
    start: Instant,
    /// Held by the one thread inside the OS poller's wait.
    park: Mutex<Events>,
    /// Where a second, concurrent parker sleeps (see the module docs).
    side: Mutex<bool>,
    side_cv: Condvar,
    side_waiters: AtomicUsize,
}

/// The timer wheel and what the parked thread is waiting for.
#[derive(Debug)]
pub(crate) struct Timers {
    pub(crate) wheel: Wheel,
    /// The granule the thread in the OS poller's wait will wake at by itself (`u64::MAX`: never), or
    /// `None` when no thread is waiting.
    parked_until: Option<u64>,
    pub(crate) shutdown: bool,
}

impl IoDriver {
    /// Opens the OS poller, with the backend `FILCH_IO_BACKEND` asks for, and creates an empty
    /// timer wheel.
    ///
    /// # Errors
    ///
    /// As for [`new_driver`].
    pub fn new() -> io::Result<IoDriver> {
        IoDriver::with_backend(Backend::from_env()?)
    }

    /// [`IoDriver::new`] with the given backend.
    pub(crate) fn with_backend(backend: Backend) -> io::Result<IoDriver> {
        let clock = Clock::new();
        let start = clock.now();
        let reactor = Reactor::with_backend(backend)?;
        let events =
            reactor.events(std::num::NonZeroUsize::new(EVENTS_CAPACITY).expect("non-zero"));
        Ok(IoDriver {
            handle: Arc::new(Handle {
                reactor,
                timers: Mutex::new(Timers {
                    wheel: Wheel::new(),
                    parked_until: None,
                    shutdown: false,
                }),
                clock,
                unparked: AtomicBool::new(false),
                start,
                park: Mutex::new(events),
                side: Mutex::new(false),
                side_cv: Condvar::new(),
                side_waiters: AtomicUsize::new(0),
            }),
        })
    }

    #[cfg(test)]
    pub(crate) fn handle(&self) -> &Arc<Handle> {
        &self.handle
    }

    /// The name of the OS wait this driver uses: `"epoll"` (filch's own, Linux) or `"polling"`
    /// (the portable one). For tests and diagnostics; `FILCH_IO_BACKEND` chooses it.
    #[doc(hidden)]
    pub fn io_backend(&self) -> &'static str {
        self.handle.reactor.backend().name()
    }

    /// The state shared with sockets and timers.
    pub(crate) fn shared(&self) -> &Handle {
        &self.handle
    }
}

thread_local! {
    /// The waker buffer of `park`, kept per thread so a park that wakes tasks does not allocate.
    static WAKER_BUF: std::cell::Cell<Vec<Waker>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Calls every waker outside all locks; a panicking waker does not stop the others.
fn wake_all(wakers: &mut Vec<Waker>) {
    for waker in wakers.drain(..) {
        // The panic hook has already reported the panic; the reactor's state is consistent
        // because no lock is held here, so we carry on with the other wakers.
        let _ = catch_unwind(AssertUnwindSafe(|| waker.wake()));
    }
}

/// Length of one timer-wheel granule, in nanoseconds. See `timer.rs` for the geometry.
///
/// tokio counts in milliseconds. We count in 10 µs granules because the poller's timeout is
/// precise (`epoll_pwait2`'s nanoseconds on Linux, `sys/epoll.rs`; polling arms a timerfd on its
/// portable wait; only on a kernel before 5.11 is it rounded up to milliseconds), so a coarser
/// granule only adds lateness: with 1 ms
/// granules a sleep woke 0.5–0.7 ms late at the median, with 10 µs granules about 20–40 µs
/// (`benches` timers workload and `examples/timer_lateness.rs`). Finer than that measured no better: the wake-up itself costs
/// that much. The top level still spans about 7.9 days; farther deadlines are re-filed.
pub(crate) const GRANULE_NANOS: u128 = 10_000;

impl Handle {
    /// Converts a deadline to the first granule at or after it (rounding up: never early).
    pub(crate) fn deadline_to_granule(&self, deadline: Instant) -> u64 {
        let nanos = deadline.saturating_duration_since(self.start).as_nanos();
        u64::try_from(nanos.div_ceil(GRANULE_NANOS)).unwrap_or(u64::MAX)
    }

    /// The exact deadline, in nanoseconds since `start`, that the timer wheel keeps beside the
    /// granule (saturating: about 584 years).
    pub(crate) fn deadline_to_nanos(&self, deadline: Instant) -> u64 {
        let nanos = deadline.saturating_duration_since(self.start).as_nanos();
        u64::try_from(nanos).unwrap_or(u64::MAX)
    }

    /// The inverse of [`deadline_to_nanos`](Handle::deadline_to_nanos).
    fn nanos_to_instant(&self, nanos: u64) -> Option<Instant> {
        self.start.checked_add(Duration::from_nanos(nanos))
    }

    /// The granule that has fully passed at `now` (rounding down).
    fn now_granule(&self, now: Instant) -> u64 {
        let nanos = now.saturating_duration_since(self.start).as_nanos();
        u64::try_from(nanos / GRANULE_NANOS).unwrap_or(u64::MAX)
    }

    fn granule_to_instant(&self, granule: u64) -> Option<Instant> {
        let nanos = u64::try_from(u128::from(granule) * GRANULE_NANOS).ok()?;
        self.start.checked_add(Duration::from_nanos(nanos))
    }

    /// Called after a timer was inserted or moved to `when`: interrupts the parked thread if it
    /// would sleep past `when`. Must be called with the timer lock held (`timers`).
    pub(crate) fn on_timer_scheduled(&self, timers: &Timers, when: u64) {
        if let Some(until) = timers.parked_until {
            if when < until {
                self.unpark_poller();
            }
        }
    }

    fn unpark_poller(&self) {
        // `notify` only fails if the eventfd write fails, which cannot happen for a valid
        // poller; a missed notify would at worst delay a wake to the next event or timeout.
        let _ = self.reactor.notify();
    }

    fn park(&self, timeout: Option<Duration>) {
        if timeout == Some(Duration::ZERO) && self.reactor.is_empty() {
            // The executor's maintenance poll while its workers are busy. With no socket
            // registered nothing can be ready in the OS poller (a wait costs one system call
            // with filch's epoll wait, five with polling's, which re-arms a timerfd and its
            // notifier each time): only fire the timers that are due.
            let mut wakers = WAKER_BUF.take();
            {
                let mut timers = self.timers.lock();
                let now_granule = self.now_granule(self.clock.now());
                timers.wheel.advance(now_granule, &mut wakers);
            }
            wake_all(&mut wakers);
            WAKER_BUF.set(wakers);
            return;
        }
        let Some(mut events) = self.park.try_lock() else {
            self.park_on_side(timeout);
            return;
        };
        let mut wakers = WAKER_BUF.take();
        if timeout != Some(Duration::ZERO) && self.clock.is_paused() {
            self.wait_paused(&mut events, timeout, &mut wakers);
        } else {
            self.wait_running(&mut events, timeout, &mut wakers);
        }
        drop(events);
        if self.side_waiters.load(Ordering::SeqCst) > 0 {
            // Let a thread waiting on the side take its turn in the poller.
            self.side_cv.notify_all();
        }
        wake_all(&mut wakers);
        WAKER_BUF.set(wakers);
    }

    /// Waits in the OS poller for at most `timeout` and records what became ready.
    fn poll_os(&self, events: &mut Events, timeout: Option<Duration>, wakers: &mut Vec<Waker>) {
        match self.reactor.wait(events, timeout, wakers) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                // epoll_wait/kevent fail only on invalid arguments: a bug, not a condition.
                panic!("filch I/O driver: waiting on the OS poller failed: {e}");
            }
        }
    }

    /// A park with a running clock: wait in the poller until the earlier of the caller's timeout
    /// and the next timer, then fire what is due.
    fn wait_running(
        &self,
        events: &mut Events,
        timeout: Option<Duration>,
        wakers: &mut Vec<Waker>,
    ) {
        let now = self.clock.now();
        let caller_deadline = timeout.and_then(|t| now.checked_add(t));
        let wait_deadline = {
            let mut timers = self.timers.lock();
            let next_timer = timers.wheel.next_expiration();
            timers.parked_until = Some(next_timer.unwrap_or(u64::MAX));
            let timer_deadline = next_timer.and_then(|granule| self.granule_to_instant(granule));
            match (caller_deadline, timer_deadline) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        };
        let wait_timeout = wait_deadline.map(|d| d.saturating_duration_since(now));
        self.poll_os(events, wait_timeout, wakers);
        let mut timers = self.timers.lock();
        timers.parked_until = None;
        let now_granule = self.now_granule(self.clock.now());
        timers.wheel.advance(now_granule, wakers);
    }

    /// A park with a paused clock, when the scheduler has nothing to run: see the module docs
    /// and `time/clock.rs` (auto-advance).
    fn wait_paused(&self, events: &mut Events, timeout: Option<Duration>, wakers: &mut Vec<Waker>) {
        // 1. A socket event still wakes a paused runtime: look without blocking.
        self.poll_os(events, Some(Duration::ZERO), wakers);
        let unparked = self.unparked.swap(false, Ordering::SeqCst);
        let mut timers = self.timers.lock();
        // 2. What is due at the paused present.
        let now_granule = self.now_granule(self.clock.now());
        timers.wheel.advance(now_granule, wakers);
        if !wakers.is_empty() || unparked {
            return;
        }
        // 3. Auto-advance: to the next slot of the wheel, again until a timer fires; the clock
        // goes to the exact deadline of the earliest one fired (never backwards).
        while let Some(next) = timers.wheel.next_expiration() {
            if let Some(deadline) = timers.wheel.advance(next, wakers) {
                let target = self
                    .nanos_to_instant(deadline)
                    .or_else(|| self.granule_to_instant(next));
                if let Some(target) = target {
                    self.clock.advance_to(target);
                }
                return;
            }
        }
        // 4. No timer at all: only a socket event, an unpark or a new timer can end the wait.
        timers.parked_until = Some(u64::MAX);
        drop(timers);
        self.poll_os(events, timeout, wakers);
        let mut timers = self.timers.lock();
        timers.parked_until = None;
        let now_granule = self.now_granule(self.clock.now());
        timers.wheel.advance(now_granule, wakers);
    }

    /// `time::advance`: moves the paused clock forward by exactly `duration` and wakes every
    /// timer whose deadline is now reached.
    pub(crate) fn advance_clock(&self, duration: Duration) -> Result<(), ClockError> {
        let mut wakers = Vec::new();
        {
            let mut timers = self.timers.lock();
            let now = self.clock.advance(duration)?;
            // Rounded up, so a timer whose exact deadline lies inside the present granule fires
            // too; one whose deadline is still ahead sees so when polled and waits again, filed
            // one granule on, where the next `advance` looks for it (see
            // `Wheel::fire_next_granule_due`).
            let granule = self.deadline_to_granule(now);
            timers.wheel.advance(granule, &mut wakers);
            let exact = self.deadline_to_nanos(now);
            timers.wheel.fire_next_granule_due(exact, &mut wakers);
        }
        wake_all(&mut wakers);
        Ok(())
    }

    fn park_on_side(&self, timeout: Option<Duration>) {
        let mut notified = self.side.lock();
        self.side_waiters.fetch_add(1, Ordering::SeqCst);
        if !*notified {
            match timeout {
                Some(t) if t.is_zero() => {}
                Some(t) => {
                    let _ = self.side_cv.wait_for(&mut notified, t);
                }
                None => self.side_cv.wait(&mut notified),
            }
        }
        *notified = false;
        self.side_waiters.fetch_sub(1, Ordering::SeqCst);
    }

    fn unpark(&self) {
        self.unparked.store(true, Ordering::SeqCst);
        self.unpark_poller();
        if self.side_waiters.load(Ordering::SeqCst) > 0 {
            *self.side.lock() = true;
            self.side_cv.notify_all();
        }
    }

    fn shutdown(&self) {
        let mut wakers = Vec::new();
        self.reactor.shutdown(&mut wakers);
        {
            let mut timers = self.timers.lock();
            timers.shutdown = true;
            timers.wheel.fire_all(&mut wakers);
        }
        wake_all(&mut wakers);
        self.unpark();
    }
}

impl Driver for IoDriver {
    fn park(&self, timeout: Option<Duration>) {
        self.handle.park(timeout);
    }

    fn unpark(&self) {
        self.handle.unpark();
    }

    fn shutdown(&self) {
        self.handle.shutdown();
    }

    fn metrics(&self) -> DriverMetrics {
        let (registered, deregistered, ready) = self.handle.reactor.counts();
        let mut m = DriverMetrics::default();
        m.fd_registered_count = registered;
        m.fd_deregistered_count = deregistered;
        m.ready_count = ready;
        m.num_active_timers = self.handle.timers.lock().wheel.pending();
        m
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Why the current thread has no filch I/O driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoDriver {
    /// Not inside any filch runtime.
    NoRuntime,
    /// Inside a runtime built without [`new_driver`].
    NotIoDriver,
}

impl NoDriver {
    pub(crate) fn message(self, what: &str) -> String {
        match self {
            NoDriver::NoRuntime => format!(
                "{what} must be used inside a filch runtime: call it from a task, from inside \
                 `Runtime::block_on`, or after `Runtime::enter()` (with the `filch` crate, use \
                 `#[filch::main]`)"
            ),
            NoDriver::NotIoDriver => format!(
                "{what} needs the filch I/O driver, but the current runtime was built without \
                 it: build the runtime with `Builder::driver(filch_io::new_driver)` (the `filch` \
                 crate's builder does this for you)"
            ),
        }
    }

    pub(crate) fn into_io_error(self, what: &str) -> io::Error {
        io::Error::other(self.message(what))
    }
}

/// Finds the current runtime's I/O driver.
pub(crate) fn current() -> Result<Arc<Handle>, NoDriver> {
    let handle = RuntimeHandle::try_current().map_err(|_| NoDriver::NoRuntime)?;
    handle
        .driver()
        .as_any()
        .downcast_ref::<IoDriver>()
        .map(|driver| driver.handle.clone())
        .ok_or(NoDriver::NotIoDriver)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;
    use std::sync::atomic::AtomicUsize;
    use std::task::{Context, Poll, Wake};

    use crate::scheduled_io::{Direction, WaiterSlot};

    struct Panicker;
    impl Wake for Panicker {
        fn wake(self: Arc<Self>) {
            panic!("this waker panics on purpose");
        }
    }

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn panicking_waker_does_not_poison_reactor() {
        let driver = IoDriver::new().unwrap();
        let handle = driver.handle().clone();
        let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let (key, io) = handle.reactor.register(a.as_fd()).unwrap();
        // Drain the initial edge (writable).
        driver.park(Some(Duration::ZERO));
        if let Ok(Some(ev)) = io.ready_now(Direction::Read) {
            io.clear_readiness(ev);
        }

        let panicker = Waker::from(Arc::new(Panicker));
        assert!(io
            .poll_ready(
                &mut Context::from_waker(&panicker),
                Direction::Read,
                WaiterSlot::Reader
            )
            .is_pending());
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let counter = Waker::from(count.clone());
        let mut id = None;
        // Arms `counter` as a list waiter for reading, makes `a` readable with one byte, and
        // parks until `counter` has run (`count` has moved past `seen`).
        let mut arm_send_and_wait = |id: &mut Option<u64>, byte: &[u8], seen: usize| {
            assert!(io
                .poll_ready(
                    &mut Context::from_waker(&counter),
                    Direction::Read,
                    WaiterSlot::List(id)
                )
                .is_pending());
            std::io::Write::write_all(&mut b, byte).unwrap();
            while count.0.load(Ordering::SeqCst) == seen {
                driver.park(Some(Duration::from_millis(100)));
            }
        };

        // The panic is contained inside park, and the other waker still runs.
        arm_send_and_wait(&mut id, b"x", 0);
        // The reactor still works: the next event is delivered too.
        let ev = io.ready_now(Direction::Read).unwrap().unwrap();
        io.clear_readiness(ev);
        arm_send_and_wait(&mut id, b"y", 1);
        io.remove_waiter(id.unwrap());
        handle.reactor.deregister(a.as_fd(), key).unwrap();
    }

    #[test]
    fn unpark_is_sticky_and_a_second_parker_waits_beside_the_first() {
        // Hang guard: a hang here fails with the test's name instead of a CI timeout.
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        {
            let done = done.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_secs(60));
                if !done.load(Ordering::SeqCst) {
                    eprintln!("unpark_is_sticky_and_a_second_parker_waits_beside_the_first hung");
                    std::process::abort();
                }
            });
        }
        let driver = Arc::new(IoDriver::new().unwrap());
        driver.unpark();
        // Returns at once although no timeout is given.
        driver.park(None);

        // Hold the poller from a helper thread; a second park waits beside it until unparked.
        // (That it waits without spinning is measured by CPU time in `tests/spin.rs`.)
        let holder = {
            let driver = driver.clone();
            std::thread::spawn(move || driver.park(None))
        };
        // Wait until the helper is inside the poller. (`is_locked`, not a `try_lock` probe: a
        // probe holding the lock for an instant made the helper wait beside it instead, and
        // then nobody ever entered the poller and this loop never ended.)
        while !driver.handle.park.is_locked() {
            std::thread::yield_now();
        }
        let side = {
            let driver = driver.clone();
            std::thread::spawn(move || driver.park(None))
        };
        while driver.handle.side_waiters.load(Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
        driver.unpark();
        holder.join().unwrap();
        side.join().unwrap();
        done.store(true, Ordering::SeqCst);
    }

    /// Every backend this platform has.
    fn backends() -> Vec<Backend> {
        let mut all = vec![Backend::Polling];
        #[cfg(target_os = "linux")]
        all.push(Backend::Epoll);
        all
    }

    #[test]
    fn each_backend_is_chosen_and_says_whether_it_reports_read_closed() {
        for backend in backends() {
            let driver = IoDriver::with_backend(backend).unwrap();
            assert_eq!(driver.io_backend(), backend.name());
            // Only filch's own epoll wait asks for EPOLLRDHUP.
            assert_eq!(
                driver.handle.reactor.reports_read_closed(),
                backend != Backend::Polling,
                "{backend:?}"
            );
        }
    }

    #[test]
    fn on_each_backend_unpark_from_another_thread_ends_a_park_without_timeout() {
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        {
            let done = done.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_secs(60));
                if !done.load(Ordering::SeqCst) {
                    // Not `eprintln!`, which the harness captures and loses at the abort.
                    let _ = std::io::Write::write_all(
                        &mut std::io::stderr(),
                        b"on_each_backend_unpark_from_another_thread_ends_a_park_without_timeout hung\n",
                    );
                    std::process::abort();
                }
            });
        }
        for backend in backends() {
            let driver = Arc::new(IoDriver::with_backend(backend).unwrap());
            // A socket, so the park really waits in the OS poller.
            let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
            let (key, _io) = driver.handle.reactor.register(a.as_fd()).unwrap();
            driver.park(Some(Duration::ZERO)); // the first (writable) edge
            let unparker = {
                let driver = driver.clone();
                std::thread::spawn(move || {
                    while !driver.handle.park.is_locked() {
                        std::thread::yield_now();
                    }
                    std::thread::sleep(Duration::from_millis(20));
                    driver.unpark();
                })
            };
            driver.park(None);
            unparker.join().unwrap();
            driver.handle.reactor.deregister(a.as_fd(), key).unwrap();
        }
        done.store(true, Ordering::SeqCst);
    }

    #[test]
    fn shutdown_wakes_waiters() {
        let driver = IoDriver::new().unwrap();
        let handle = driver.handle().clone();
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let (key, io) = handle.reactor.register(a.as_fd()).unwrap();
        // A fresh source is assumed ready; forget that, as a read's `WouldBlock` would.
        io.clear_readiness(io.current_event(Direction::Read).unwrap());
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let w = Waker::from(count.clone());
        assert!(io
            .poll_ready(
                &mut Context::from_waker(&w),
                Direction::Read,
                WaiterSlot::Reader
            )
            .is_pending());
        driver.shutdown();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(matches!(
            io.poll_ready(
                &mut Context::from_waker(&w),
                Direction::Read,
                WaiterSlot::Reader
            ),
            Poll::Ready(Err(_))
        ));
        let (c, _d) = std::os::unix::net::UnixStream::pair().unwrap();
        assert!(handle.reactor.register(c.as_fd()).is_err());
        handle.reactor.deregister(a.as_fd(), key).unwrap();
    }
}
