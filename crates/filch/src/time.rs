//! Timers: sleeping, deadlines and periodic ticks (feature `time`).
//!
//! [`sleep`] and [`sleep_until`] wait for a duration or an instant and never complete early;
//! [`timeout`] and [`timeout_at`] bound how long a future may take, returning
//! [`error::Elapsed`] when it took too long; [`interval`] ticks at a fixed period. Deadlines are
//! [`Instant`]s: filch's own type, a [`std::time::Instant`] whose [`Instant::now`] reads the
//! runtime's clock (convert with [`Instant::from_std`] and [`Instant::into_std`]).
//! [`Duration`] is std's, re-exported for convenience.
//!
//! Tests can stop that clock: [`pause`] (or `#[filch::test(start_paused = true)]`) freezes it on
//! a current-thread runtime, [`advance`] moves it, and while it is paused a runtime with nothing
//! to do but wait for a timer jumps straight to that timer's deadline, so a test of a 30-second
//! timeout takes milliseconds. See "Testing with a paused clock" in `docs/testing.md`.
//!
//! Timers are driven by the runtime's I/O driver: create and await them inside a runtime.
//!
//! ```
//! use filch::time::{sleep, timeout, Duration, Instant};
//!
//! #[filch::main]
//! async fn main() {
//!     let start = Instant::now();
//!     sleep(Duration::from_millis(20)).await;
//!     assert!(start.elapsed() >= Duration::from_millis(20));
//!
//!     let never = std::future::pending::<()>();
//!     let result = timeout(Duration::from_millis(10), never).await;
//!     assert!(result.is_err());
//! }
//! ```

pub use filch_io::time::*;
pub use std::time::Duration;

/// Errors of the time module, at tokio's path (`filch::time::error::Elapsed`).
///
/// ```
/// use filch::time::{error::Elapsed, timeout, Duration};
///
/// #[filch::main]
/// async fn main() {
///     let result: Result<(), Elapsed> =
///         timeout(Duration::from_millis(5), std::future::pending()).await;
///     let error = result.unwrap_err();
///     println!("{error}"); // says that the deadline passed
/// }
/// ```
pub mod error {
    pub use filch_io::time::Elapsed;
}
