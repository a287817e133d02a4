//! [`Instant`]: a point in time as the runtime's clock measures it.
//!
//! A thin wrapper around [`std::time::Instant`] whose [`now`](Instant::now) reads the current
//! runtime's clock, so that it stands still while that clock is paused (see `clock.rs`). Outside
//! a runtime, or in a runtime whose clock was never paused, it is exactly
//! `std::time::Instant::now()`. Converting either way is free ([`Instant::from_std`],
//! [`Instant::into_std`], `From`).
//!
//! The arithmetic follows `std::time::Instant`: adding or subtracting a [`Duration`] that leaves
//! the representable range panics (use [`checked_add`](Instant::checked_add)), and subtracting a
//! later instant saturates to zero, as std does since Rust 1.60.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::Duration;

use crate::time::clock;

/// A measurement of the runtime's clock, for deadlines; see the [module docs](self).
///
/// ```
/// use std::time::Duration;
/// use filch::time::Instant;
///
/// let start = Instant::now();
/// let later = start + Duration::from_millis(5);
/// assert_eq!(later - start, Duration::from_millis(5));
/// assert_eq!(later.duration_since(start), Duration::from_millis(5));
/// assert_eq!(start.checked_duration_since(later), None);
/// assert_eq!(start.saturating_duration_since(later), Duration::ZERO);
/// let std: std::time::Instant = later.into_std();
/// assert_eq!(Instant::from_std(std), later);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant {
    std: std::time::Instant,
}

impl Instant {
    /// The present, as the current runtime's clock reads it (paused or not); outside a runtime,
    /// `std::time::Instant::now()`.
    pub fn now() -> Instant {
        Instant { std: clock::now() }
    }

    /// Wraps a `std::time::Instant`.
    pub fn from_std(std: std::time::Instant) -> Instant {
        Instant { std }
    }

    /// The `std::time::Instant` inside.
    pub fn into_std(self) -> std::time::Instant {
        self.std
    }

    /// The time from `earlier` to `self`, or zero if `earlier` is later.
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.std.saturating_duration_since(earlier.std)
    }

    /// The time from `earlier` to `self`, or `None` if `earlier` is later.
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.std.checked_duration_since(earlier.std)
    }

    /// The time from `earlier` to `self`, or zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.std.saturating_duration_since(earlier.std)
    }

    /// The time elapsed since `self`, by the current runtime's clock ([`Instant::now`]).
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }

    /// `self + duration`, or `None` beyond what the platform's instant can hold.
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        self.std.checked_add(duration).map(Instant::from_std)
    }

    /// `self - duration`, or `None` before what the platform's instant can hold.
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        self.std.checked_sub(duration).map(Instant::from_std)
    }
}

impl From<std::time::Instant> for Instant {
    fn from(std: std::time::Instant) -> Instant {
        Instant::from_std(std)
    }
}

impl From<Instant> for std::time::Instant {
    fn from(instant: Instant) -> std::time::Instant {
        instant.into_std()
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// # Panics
    ///
    /// When the result is beyond what the platform's instant can hold.
    fn add(self, duration: Duration) -> Instant {
        Instant::from_std(self.std + duration)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, duration: Duration) {
        *self = *self + duration;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;

    /// # Panics
    ///
    /// When the result is before what the platform's instant can hold.
    fn sub(self, duration: Duration) -> Instant {
        Instant::from_std(self.std - duration)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, duration: Duration) {
        *self = *self - duration;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;

    /// The time from `earlier` to `self`, or zero if `earlier` is later.
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.std.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_matches_std() {
        let std_now = std::time::Instant::now();
        let a = Instant::from_std(std_now);
        let d = Duration::from_millis(250);
        assert_eq!((a + d).into_std(), std_now + d);
        assert_eq!(a + d - d, a);
        let mut b = a;
        b += d;
        assert_eq!(b - a, d);
        b -= d;
        assert_eq!(b, a);
        assert_eq!(a - (a + d), Duration::ZERO);
        assert_eq!(a.checked_duration_since(a + d), None);
        assert_eq!((a + d).checked_duration_since(a), Some(d));
        assert_eq!(a.checked_add(Duration::MAX), None);
        assert_eq!(a.checked_add(d), Some(a + d));
        assert_eq!((a + d).checked_sub(d), Some(a));
        assert!(a < a + d);
        assert_eq!(Instant::from(std_now), a);
        assert_eq!(std::time::Instant::from(a), std_now);
        assert_eq!(format!("{a:?}"), format!("{std_now:?}"));
    }

    /// Outside a runtime, `now` is std's clock.
    #[test]
    fn now_outside_a_runtime_is_std_now() {
        let before = std::time::Instant::now();
        let now = Instant::now().into_std();
        let after = std::time::Instant::now();
        assert!(before <= now && now <= after);
        assert!(Instant::now().elapsed() < Duration::from_secs(60));
    }
}
