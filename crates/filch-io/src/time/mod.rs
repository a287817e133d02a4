//! Timers: [`sleep`], [`timeout`] and [`interval`]; the runtime's clock ([`Instant`]) and the
//! test clock ([`pause`], [`resume`], [`advance`]).
//!
//! Timers are kept in the I/O driver's hierarchical timing wheel (10 µs resolution, O(1) insert
//! and cancel) and fired by the worker that blocks in the OS poller, which uses the nearest
//! deadline as its poll timeout. A timer never completes before its deadline; on an idle runtime
//! it completes well within a millisecond after it, typically a few tens of microseconds (see
//! `examples/timer_lateness.rs`).
//!
//! All constructors must be called inside a filch runtime built with the I/O driver; outside
//! one they panic with a message that says how to fix it.
//!
//! Deadlines are [`Instant`]s, filch's own type: a `std::time::Instant` whose `now()` reads the
//! current runtime's clock, which a test can pause on a current-thread runtime ([`pause`]; the
//! specification is the module doc of `time/clock.rs`).
//!
//! ```
//! use std::time::Duration;
//! use filch::time::{sleep, timeout, Instant};
//!
//! let rt = filch::runtime::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let start = Instant::now();
//!     sleep(Duration::from_millis(10)).await;
//!     assert!(start.elapsed() >= Duration::from_millis(10));
//!
//!     let slow = sleep(Duration::from_secs(60));
//!     assert!(timeout(Duration::from_millis(5), slow).await.is_err());
//! });
//! ```

pub(crate) mod clock;
mod instant;
mod interval;
#[cfg(test)]
mod paused_tests;
mod sleep;
mod timeout;

pub use crate::error::Elapsed;
pub use clock::{advance, pause, resume};
pub use instant::Instant;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, Timeout};
