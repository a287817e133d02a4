//! [`Interval`]: a stream of evenly spaced ticks.

use std::future::poll_fn;
use std::task::{Context, Poll};
use std::time::{Duration, Instant as StdInstant};

use crate::time::sleep::far_future;
use crate::time::{sleep_until, Instant, Sleep};

/// What an [`Interval`] does when ticks were missed because `tick` was not called in time
/// (the task was busy, or the runtime overloaded).
///
/// A tick counts as missed when the time of the tick after it has already passed by the time
/// the late tick completes; lateness shorter than one period changes nothing.
///
/// ```
/// use std::time::Duration;
/// use filch::time::{interval, MissedTickBehavior};
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut ticks = interval(Duration::from_millis(10));
///     assert_eq!(ticks.missed_tick_behavior(), MissedTickBehavior::Burst);
///     ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
///     ticks.tick().await;
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissedTickBehavior {
    /// The default, as in tokio: the missed ticks complete at once, one per `tick` call, until
    /// the interval has caught up with its original schedule (`start + n * period`).
    #[default]
    Burst,
    /// The next tick comes one full period after the late tick completed: the schedule shifts
    /// later and the time between any two ticks is at least one period.
    Delay,
    /// Missed ticks are dropped: the next tick is the next one on the original schedule that is
    /// still in the future.
    Skip,
}

impl MissedTickBehavior {
    /// The deadline after a tick due at `due` that completed at `now` (late by at least
    /// one period).
    fn next_after_missed(self, due: StdInstant, now: StdInstant, period: Duration) -> StdInstant {
        match self {
            MissedTickBehavior::Burst => after(due, period),
            MissedTickBehavior::Delay => after(now, period),
            MissedTickBehavior::Skip => {
                let behind = now.saturating_duration_since(due).as_nanos();
                let period_nanos = period.as_nanos();
                let into_period = behind % period_nanos;
                // `period_nanos - into_period` is in (0, period] and fits in u64 nanoseconds
                // whenever `period` does.
                let rest = u64::try_from(period_nanos - into_period).unwrap_or(u64::MAX);
                after(now, Duration::from_nanos(rest))
            }
        }
    }
}

/// `period` after `instant`, or "never" (see [`far_future`]) when that is beyond what an
/// `Instant` can hold.
fn after(instant: StdInstant, period: Duration) -> StdInstant {
    instant
        .checked_add(period)
        .unwrap_or_else(|| far_future(instant))
}

/// Creates an interval whose first tick completes at once and whose later ticks come every
/// `period`.
///
/// A tick that would lie beyond what an `Instant` can hold (a `period` of `Duration::MAX`, say)
/// never comes.
///
/// ```
/// use std::time::Duration;
/// use filch::time::Instant;
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let mut ticks = filch::time::interval(Duration::from_millis(5));
///     let first = ticks.tick().await;
///     let second = ticks.tick().await;
///     assert_eq!(second - first, Duration::from_millis(5));
///     assert!(Instant::now() >= second);
/// });
/// ```
///
/// # Panics
///
/// Panics if `period` is zero (an interval that never waits would spin), and outside a filch
/// runtime with the I/O driver, like [`sleep`](crate::time::sleep).
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Creates an interval whose first tick completes at `start` and whose later ticks come every
/// `period` after it.
///
/// ```
/// use std::time::Duration;
/// use filch::time::Instant;
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let start = Instant::now() + Duration::from_millis(3);
///     let mut ticks = filch::time::interval_at(start, Duration::from_millis(5));
///     assert_eq!(ticks.tick().await, start);
/// });
/// ```
///
/// # Panics
///
/// As for [`interval`].
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "`filch::time::interval` needs a non-zero period; use `yield_now` in a loop to run \
         something as often as possible"
    );
    Interval {
        sleep: sleep_until(start),
        period,
        missed_tick_behavior: MissedTickBehavior::default(),
    }
}

/// Ticks every period; see [`interval`].
#[derive(Debug)]
pub struct Interval {
    /// Completes at the next tick's scheduled time.
    sleep: Sleep,
    period: Duration,
    missed_tick_behavior: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was scheduled for.
    ///
    /// Cancel-safe: dropping the future before it completes loses no tick.
    ///
    /// ```
    /// use filch::time::{interval, Duration, Instant};
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let start = Instant::now();
    /// let mut ticks = interval(Duration::from_millis(5));
    /// ticks.tick().await; // the first tick is immediate
    /// let second = ticks.tick().await;
    /// assert!(second >= start + Duration::from_millis(5));
    /// # });
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick; `Ready` carries the instant it was scheduled for.
    ///
    /// Takes one unit of the executor's cooperative budget, like [`Sleep`].
    ///
    /// ```
    /// use filch::time::{interval, Duration};
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut ticks = interval(Duration::from_millis(5));
    /// let first = std::future::poll_fn(|cx| ticks.poll_tick(cx)).await;
    /// let second = std::future::poll_fn(|cx| ticks.poll_tick(cx)).await;
    /// assert_eq!(second - first, Duration::from_millis(5));
    /// # });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        let budget = std::task::ready!(filch_executor::coop::poll_proceed(cx));
        std::task::ready!(self.sleep.poll_elapsed(cx));
        budget.made_progress();
        let due = self.sleep.deadline().into_std();
        let now = self.sleep.now();
        let next = after(due, self.period);
        let next = if now >= next {
            self.missed_tick_behavior
                .next_after_missed(due, now, self.period)
        } else {
            next
        };
        self.sleep.reset(Instant::from_std(next));
        Poll::Ready(Instant::from_std(due))
    }

    /// Restarts the schedule: the next tick comes one period from now (never, if that is beyond
    /// what an `Instant` can hold).
    ///
    /// ```
    /// use filch::time::{interval, Duration, Instant};
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut ticks = interval(Duration::from_millis(10));
    /// ticks.tick().await;
    /// let reset_at = Instant::now();
    /// ticks.reset();
    /// assert!(ticks.tick().await >= reset_at + Duration::from_millis(10));
    /// # });
    /// ```
    pub fn reset(&mut self) {
        let now = self.sleep.now();
        self.sleep.reset(Instant::from_std(after(now, self.period)));
    }

    /// The time between ticks.
    ///
    /// ```
    /// use filch::time::{interval, Duration};
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// assert_eq!(interval(Duration::from_secs(1)).period(), Duration::from_secs(1));
    /// # });
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// What happens when ticks are missed; [`MissedTickBehavior::Burst`] by default.
    ///
    /// ```
    /// use filch::time::{interval, Duration, MissedTickBehavior};
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let ticks = interval(Duration::from_secs(1));
    /// assert_eq!(ticks.missed_tick_behavior(), MissedTickBehavior::Burst);
    /// # });
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed_tick_behavior
    }

    /// Sets what happens when ticks are missed.
    ///
    /// ```
    /// use filch::time::{interval, Duration, MissedTickBehavior};
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let mut ticks = interval(Duration::from_secs(1));
    /// ticks.set_missed_tick_behavior(MissedTickBehavior::Skip);
    /// assert_eq!(ticks.missed_tick_behavior(), MissedTickBehavior::Skip);
    /// # });
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed_tick_behavior = behavior;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missed_tick_policies() {
        let due = StdInstant::now();
        let period = Duration::from_millis(10);
        let now = due + Duration::from_millis(35);
        assert_eq!(
            MissedTickBehavior::Burst.next_after_missed(due, now, period),
            due + period
        );
        assert_eq!(
            MissedTickBehavior::Delay.next_after_missed(due, now, period),
            now + period
        );
        assert_eq!(
            MissedTickBehavior::Skip.next_after_missed(due, now, period),
            due + Duration::from_millis(40)
        );
    }

    /// A period too long for `Instant` means "never" under every policy, instead of panicking
    /// with "overflow when adding duration to instant".
    #[test]
    fn missed_tick_policies_with_a_period_beyond_instant() {
        let now = StdInstant::now();
        let year = Duration::from_secs(86_400 * 365);
        for behavior in [
            MissedTickBehavior::Burst,
            MissedTickBehavior::Delay,
            MissedTickBehavior::Skip,
        ] {
            let next = behavior.next_after_missed(now, now, Duration::MAX);
            assert!(next > now + year, "{behavior:?}: {:?}", next - now);
        }
    }
}
