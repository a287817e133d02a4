//! [`Sleep`]: a future that completes at a deadline.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant as StdInstant};

use filch_executor::coop;

use crate::driver::{self, Handle};
use crate::time::Instant;
use crate::timer::{Inserted, Polled, TimerKey};

/// Waits until `duration` has elapsed.
///
/// The returned [`Sleep`] completes no earlier than `duration` after this call. Its timer is
/// registered when it is first polled and removed when it is dropped.
/// A `duration` too long for `Instant` (such as `Duration::MAX`) means "never": the deadline
/// becomes about thirty years from now.
///
/// ```
/// use std::time::Duration;
/// use filch::time::Instant;
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let start = Instant::now();
///     filch::time::sleep(Duration::from_millis(20)).await;
///     assert!(start.elapsed() >= Duration::from_millis(20));
/// });
/// ```
///
/// # Panics
///
/// Panics when called outside a filch runtime, or inside one built without the I/O driver; the
/// message says how to fix it.
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    let driver = current_driver();
    let now = driver.clock.now();
    let deadline = now.checked_add(duration).unwrap_or_else(|| far_future(now));
    Sleep::new(driver, deadline)
}

/// Waits until `deadline`.
///
/// `deadline` is a [`filch::time::Instant`](Instant); a `std::time::Instant` converts with
/// `Instant::from_std` or `.into()`.
///
/// ```
/// use std::time::Duration;
/// use filch::time::Instant;
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let deadline = Instant::now() + Duration::from_millis(5);
///     filch::time::sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
/// });
/// ```
///
/// # Panics
///
/// As for [`sleep`].
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep::new(current_driver(), deadline.into_std())
}

/// The current runtime's driver, or a panic that says how to get one.
#[track_caller]
fn current_driver() -> Arc<Handle> {
    match driver::current() {
        Ok(driver) => driver,
        Err(e) => panic!("{}", e.message("`filch::time::sleep`")),
    }
}

/// About thirty years from `now`: the deadline of a sleep whose duration overflows `Instant`.
pub(crate) fn far_future(now: StdInstant) -> StdInstant {
    now + Duration::from_secs(86_400 * 365 * 30)
}

/// A future that completes at a deadline; see [`sleep`] and [`sleep_until`].
///
/// `Sleep` is `Unpin`, so it can be polled through `&mut` and reused with [`Sleep::reset`].
#[must_use = "a Sleep does nothing unless awaited or polled"]
pub struct Sleep {
    deadline: StdInstant,
    driver: Arc<Handle>,
    /// The wheel entry, registered on first poll.
    entry: Option<TimerKey>,
    /// The deadline has been observed to pass.
    elapsed: bool,
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .field("elapsed", &self.elapsed)
            .finish_non_exhaustive()
    }
}

impl Sleep {
    fn new(driver: Arc<Handle>, deadline: StdInstant) -> Sleep {
        Sleep {
            deadline,
            driver,
            entry: None,
            elapsed: false,
        }
    }

    /// The present of the clock of the runtime this sleep belongs to.
    pub(crate) fn now(&self) -> StdInstant {
        self.driver.clock.now()
    }

    /// The instant at which this sleep completes.
    pub fn deadline(&self) -> Instant {
        Instant::from_std(self.deadline)
    }

    /// Whether the deadline has passed.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// let sleep = filch::time::sleep(Duration::from_secs(60));
    /// assert!(!sleep.is_elapsed());
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.elapsed || self.now() >= self.deadline
    }

    /// Moves the deadline, whether or not the sleep has completed; it will complete (again) at
    /// `deadline`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use filch::time::Instant;
    ///
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let mut sleep = filch::time::sleep(Duration::from_secs(60));
    ///     let soon = Instant::now() + Duration::from_millis(2);
    ///     sleep.reset(soon);
    ///     (&mut sleep).await;
    ///     assert!(Instant::now() >= soon);
    /// });
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline = deadline.into_std();
        self.elapsed = false;
        self.unregister();
    }

    /// Removes the wheel entry, if any. The entry's waker is dropped after the lock is
    /// released: dropping a waker can run arbitrary code, which must not find the lock held.
    fn unregister(&mut self) {
        if let Some(key) = self.entry.take() {
            let waker = self.driver.timers.lock().wheel.remove(key);
            drop(waker);
        }
    }

    /// Polls without taking cooperative budget (used by `Timeout`, whose inner future has
    /// already spent it).
    pub(crate) fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.elapsed {
            return Poll::Ready(());
        }
        if self.now() >= self.deadline {
            self.unregister();
            self.elapsed = true;
            return Poll::Ready(());
        }
        // Wakers displaced while the lock is held; dropped after it is released (declared
        // before the guard, so dropped after it).
        let mut displaced: [Option<Waker>; 2] = [None, None];
        let mut timers = self.driver.timers.lock();
        if timers.shutdown {
            drop(timers);
            panic!(
                "a filch timer was polled after its runtime shut down; timers can only be \
                 awaited while the runtime that created them is running"
            );
        }
        let fired = match self.entry {
            Some(key) => match timers.wheel.poll(key, cx.waker()) {
                Polled::Fired => true,
                Polled::Waiting { displaced: old } => {
                    displaced[0] = old;
                    false
                }
            },
            None => {
                let when = self.driver.deadline_to_granule(self.deadline);
                let exact = self.driver.deadline_to_nanos(self.deadline);
                match timers.wheel.insert_exact(when, exact, cx.waker().clone()) {
                    Inserted::Pending(key) => {
                        self.entry = Some(key);
                        self.driver.on_timer_scheduled(&timers, when);
                        false
                    }
                    Inserted::Fired(key) => {
                        self.entry = Some(key);
                        true
                    }
                }
            }
        };
        if !fired {
            return Poll::Pending;
        }
        // The wheel only fires at or after the deadline's granule (rounded up), so the deadline
        // has passed; check the clock anyway, so "never early" does not rest on arithmetic
        // alone.
        let key = self.entry.take().expect("entry was just set");
        displaced[1] = timers.wheel.remove(key);
        if self.now() >= self.deadline {
            self.elapsed = true;
            return Poll::Ready(());
        }
        let when = self.driver.deadline_to_granule(self.deadline);
        let when = when.max(timers.wheel.elapsed() + 1);
        let exact = self.driver.deadline_to_nanos(self.deadline);
        match timers.wheel.insert_exact(when, exact, cx.waker().clone()) {
            Inserted::Pending(key) => {
                self.entry = Some(key);
                self.driver.on_timer_scheduled(&timers, when);
            }
            Inserted::Fired(_) => unreachable!("inserted after the wheel's present"),
        }
        Poll::Pending
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let budget = std::task::ready!(coop::poll_proceed(cx));
        let result = this.poll_elapsed(cx);
        if result.is_ready() {
            budget.made_progress();
        }
        result
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.unregister();
    }
}
