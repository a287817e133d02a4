//! The runtime's clock, and pausing it for tests: [`pause`], [`resume`], [`advance`].
//!
//! # The clock
//!
//! Every I/O driver (one per runtime, `driver.rs`) owns a [`Clock`]. Everything in the driver
//! and in the timers that asks "what time is it" asks that clock: the timer wheel's present,
//! `Sleep`'s "has my deadline passed", `Interval`'s missed-tick arithmetic, and
//! [`Instant::now`](crate::time::Instant::now) inside the runtime.
//!
//! * **Running** (the normal state): the clock reads `base + (std::time::Instant::now() -
//!   unfrozen)`, where `unfrozen` is the std instant at which it last started running. A clock
//!   that was never paused has `base == unfrozen` and simply reads
//!   `std::time::Instant::now()`, without taking its lock (a flag says it was never paused).
//! * **Paused**: the clock reads `base` and stands still. Only two things move it: [`advance`],
//!   which adds exactly the given duration, and *auto-advance* (below).
//! * **Resumed**: running again from where the paused clock stood: `base` keeps the virtual
//!   time, `unfrozen` becomes the real present. So after `advance(1 h)` and `resume()`, the
//!   runtime's clock stays one hour ahead of `std::time::Instant::now()` (minus the real time
//!   spent paused); it never goes backwards. Outside the runtime, `Instant::now()` reads std's
//!   clock.
//!
//! # Auto-advance
//!
//! When the runtime has nothing to do but wait for a timer, a paused clock jumps to the next
//! timer's deadline and fires it, instead of sleeping. "Nothing to do" is when the scheduler
//! asks the driver to park with a timeout other than zero (`Driver::park(None)` or
//! `park(Some(t))`, `t > 0`: it found no runnable task); a zero timeout is a maintenance poll by a
//! busy worker and never advances the clock. On such a park, a paused driver:
//!
//! 1. polls the OS poller **with a zero timeout**, so a socket event still wakes a paused runtime
//!    (and the event wins: the clock does not move in that park);
//! 2. fires the timers already due at the paused present;
//! 3. if nothing was woken by 1 or 2 and no `unpark` came in meanwhile (a task woken from another
//!    thread), moves the wheel to its next non-empty slot, again until a timer fires, and sets the
//!    clock to the exact deadline of the earliest timer fired (the wheel keeps each timer's exact
//!    deadline beside its 10 µs granule, so `sleep(1 h)` advances the clock by exactly one hour,
//!    not by one hour rounded up to a granule);
//! 4. if no timer is pending at all, blocks in the OS poller with the caller's (real) timeout,
//!    like a running clock: only a socket event, an `unpark` or a new timer (which interrupts the
//!    wait) ends it.
//!
//! The deadline is computed from the virtual clock, so a test of a 30 s timeout takes
//! microseconds.
//!
//! # Only on a current-thread runtime
//!
//! As in tokio, [`pause`] panics on a runtime whose [`RuntimeFlavor`] is not `CurrentThread`,
//! and `filch::runtime::Builder::start_paused(true)` is refused for other builders: on a
//! multi-thread runtime "nothing to do" for the worker in the driver says nothing about the
//! others, which may be running tasks that are about to set a timer, so auto-advance would fire
//! timers early in virtual time. (tokio panics in `build` for `start_paused` on a multi-thread
//! builder; filch's `build` returns an [`io::ErrorKind::InvalidInput`] error instead.) filch-io's
//! own tests exercise the mechanism on a runtime with one worker, where the one worker is the
//! only thread that runs tasks, through a crate-internal path that skips the flavour check.
//!
//! # Choices and differences from tokio
//!
//! * [`pause`] on a paused clock and [`resume`] on a running one panic (as tokio's do); so does
//!   [`advance`] on a running clock. The messages say what to call instead.
//! * [`advance`] moves the clock by exactly `duration`, fires every timer whose deadline is at or
//!   before the new present, then yields once so that the tasks woken get to run before the
//!   caller continues (tokio's `advance` is async for the same reason).
//! * Auto-advance is not held back while `spawn_blocking` work runs (tokio does hold it back): a
//!   paused test that awaits blocking work under a `timeout` may see the timeout fire first.
//!   Await blocking work without a timer, or `resume` around it.
//! * `advance` of a duration that takes the clock beyond what `std::time::Instant` can hold
//!   panics, naming the duration.
//!
//! The design (a frozen base, an offset moved by `advance` and by auto-advance when idle)
//! follows the idea of tokio's `time::pause`; the code is filch's own.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant as StdInstant};

use filch_executor::runtime::{Handle as RuntimeHandle, RuntimeFlavor};
use parking_lot::Mutex;

use crate::driver::{self, NoDriver};

/// Set once any clock in the process has been paused. Until then
/// [`Instant::now`](crate::time::Instant::now) is `std::time::Instant::now()` without a look-up
/// of the current runtime.
static ANY_CLOCK_PAUSED: AtomicBool = AtomicBool::new(false);

/// A runtime's clock; see the module documentation.
#[derive(Debug)]
pub(crate) struct Clock {
    /// The clock has been paused at least once (until then it is std's clock).
    touched: AtomicBool,
    /// The clock is paused now (read without the lock by the driver's `park`).
    paused: AtomicBool,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The clock's reading when paused, or when it last started running.
    base: StdInstant,
    /// The std instant at which the clock last started running; `None` while paused.
    unfrozen: Option<StdInstant>,
}

/// Why a clock operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClockError {
    /// `pause` on a paused clock.
    AlreadyPaused,
    /// `resume` or `advance` on a running clock.
    NotPaused,
    /// `advance` beyond what `std::time::Instant` can hold.
    Overflow,
}

impl Clock {
    /// A running clock that reads `std::time::Instant::now()`.
    pub(crate) fn new() -> Clock {
        let now = StdInstant::now();
        Clock {
            touched: AtomicBool::new(false),
            paused: AtomicBool::new(false),
            state: Mutex::new(State {
                base: now,
                unfrozen: Some(now),
            }),
        }
    }

    /// The clock's present.
    pub(crate) fn now(&self) -> StdInstant {
        if !self.touched.load(Ordering::Acquire) {
            return StdInstant::now();
        }
        let state = self.state.lock();
        match state.unfrozen {
            None => state.base,
            Some(unfrozen) => state.base + StdInstant::now().saturating_duration_since(unfrozen),
        }
    }

    /// Whether the clock is paused.
    pub(crate) fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Acquire)
    }

    /// Freezes the clock at its present reading.
    pub(crate) fn pause(&self) -> Result<(), ClockError> {
        let mut state = self.state.lock();
        let Some(unfrozen) = state.unfrozen else {
            return Err(ClockError::AlreadyPaused);
        };
        state.base += StdInstant::now().saturating_duration_since(unfrozen);
        state.unfrozen = None;
        self.touched.store(true, Ordering::Release);
        self.paused.store(true, Ordering::Release);
        ANY_CLOCK_PAUSED.store(true, Ordering::Release);
        Ok(())
    }

    /// Lets a paused clock run again from its present reading.
    pub(crate) fn resume(&self) -> Result<(), ClockError> {
        let mut state = self.state.lock();
        if state.unfrozen.is_some() {
            return Err(ClockError::NotPaused);
        }
        state.unfrozen = Some(StdInstant::now());
        self.paused.store(false, Ordering::Release);
        Ok(())
    }

    /// Moves a paused clock forward by exactly `duration`; returns the new present.
    pub(crate) fn advance(&self, duration: Duration) -> Result<StdInstant, ClockError> {
        let mut state = self.state.lock();
        if state.unfrozen.is_some() {
            return Err(ClockError::NotPaused);
        }
        state.base = state
            .base
            .checked_add(duration)
            .ok_or(ClockError::Overflow)?;
        Ok(state.base)
    }

    /// Moves a paused clock forward to `instant`, if that is later than its present
    /// (auto-advance). Does nothing to a running clock.
    pub(crate) fn advance_to(&self, instant: StdInstant) {
        let mut state = self.state.lock();
        if state.unfrozen.is_none() && instant > state.base {
            state.base = instant;
        }
    }
}

/// The present of the current runtime's clock, or std's outside a runtime with the I/O driver.
pub(crate) fn now() -> StdInstant {
    if !ANY_CLOCK_PAUSED.load(Ordering::Acquire) {
        return StdInstant::now();
    }
    match driver::current() {
        Ok(handle) => handle.clock.now(),
        Err(_) => StdInstant::now(),
    }
}

/// The current runtime's driver, or a panic whose message names `what` and the fix.
#[track_caller]
fn current_driver(what: &str) -> std::sync::Arc<driver::Handle> {
    match driver::current() {
        Ok(handle) => handle,
        Err(e) => panic!("{}", e.message(what)),
    }
}

/// The message of `pause`/`start_paused` on a runtime that is not current-thread.
fn not_current_thread(what: &str, flavor: RuntimeFlavor) -> String {
    format!(
        "{what}: the clock can only be paused on a current-thread runtime, and this runtime is \
         {flavor:?}; build it with `Builder::new_current_thread()` (or use \
         `#[filch::test(start_paused = true)]`, whose default runtime is current-thread)"
    )
}

/// Pauses the clock of the driver `handle` without checking the runtime's flavour: for filch-io's
/// own tests, which drive the mechanism on a one-worker runtime (see the module documentation).
pub(crate) fn pause_unchecked(handle: &driver::Handle, what: &str) {
    if handle.clock.pause() == Err(ClockError::AlreadyPaused) {
        panic!("{what}: the clock is already paused; call `filch::time::resume()` first");
    }
}

/// Pauses the current runtime's clock: [`Instant::now`](crate::time::Instant::now) stands still
/// until [`advance`] or auto-advance moves it, or [`resume`] lets it run again.
///
/// While paused, a runtime that has nothing to do but wait for a timer jumps its clock to that
/// timer's deadline and fires it at once, so a test of a 30-second timeout takes microseconds.
/// A socket event still wakes a paused runtime. The details are in the module documentation of
/// `crates/filch-io/src/time/clock.rs`.
///
/// ```
/// use std::time::Duration;
/// use filch::time::{pause, sleep, Instant};
///
/// let rt = filch::runtime::Builder::new_current_thread().build().unwrap();
/// rt.block_on(async {
///     pause();
///     let start = Instant::now();
///     sleep(Duration::from_secs(3600)).await; // returns at once
///     assert_eq!(start.elapsed(), Duration::from_secs(3600));
/// });
/// ```
///
/// # Panics
///
/// Outside a filch runtime with the I/O driver; on a runtime that is not current-thread (the
/// message says the clock can only be paused on a current-thread runtime); and when the clock is
/// already paused.
#[track_caller]
pub fn pause() {
    const WHAT: &str = "`filch::time::pause`";
    let handle = current_driver(WHAT);
    let flavor = RuntimeHandle::current().runtime_flavor();
    if flavor != RuntimeFlavor::CurrentThread {
        panic!("{}", not_current_thread(WHAT, flavor));
    }
    pause_unchecked(&handle, WHAT);
}

/// Lets the current runtime's paused clock run again, from where it stands (it does not jump
/// back to the real time).
///
/// # Panics
///
/// Outside a filch runtime with the I/O driver, and when the clock is not paused.
#[track_caller]
pub fn resume() {
    const WHAT: &str = "`filch::time::resume`";
    let handle = current_driver(WHAT);
    if handle.clock.resume().is_err() {
        panic!("{WHAT}: the clock is not paused; call `filch::time::pause()` first");
    }
}

/// Moves the current runtime's paused clock forward by exactly `duration`, fires every timer due
/// by then, and yields once so that the tasks they wake run before this returns.
///
/// # Panics
///
/// Outside a filch runtime with the I/O driver; when the clock is not paused (call
/// [`pause`] first); when `duration` takes the clock beyond what `std::time::Instant` can hold.
pub async fn advance(duration: Duration) {
    const WHAT: &str = "`filch::time::advance`";
    let handle = current_driver(WHAT);
    match handle.advance_clock(duration) {
        Ok(()) => {}
        Err(ClockError::NotPaused | ClockError::AlreadyPaused) => {
            panic!("{WHAT}: the clock is not paused; call `filch::time::pause()` first")
        }
        Err(ClockError::Overflow) => panic!(
            "{WHAT}: advancing the clock by {duration:?} goes beyond what `std::time::Instant` \
             can hold"
        ),
    }
    filch_executor::task::yield_now().await;
}

/// What `filch::runtime::Builder::start_paused(true)` calls after building: pauses the new
/// runtime's clock, or says why it cannot. Not part of the public API.
///
/// # Errors
///
/// [`io::ErrorKind::InvalidInput`] when the runtime is not current-thread or has no filch I/O
/// driver.
#[doc(hidden)]
pub fn pause_at_start(runtime: &RuntimeHandle) -> io::Result<()> {
    const WHAT: &str = "`Builder::start_paused(true)`";
    let flavor = runtime.runtime_flavor();
    if flavor != RuntimeFlavor::CurrentThread {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            not_current_thread(WHAT, flavor),
        ));
    }
    let driver = runtime
        .driver()
        .as_any()
        .downcast_ref::<crate::IoDriver>()
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                NoDriver::NotIoDriver.message(WHAT),
            )
        })?;
    pause_unchecked(driver.shared(), WHAT);
    Ok(())
}
