//! Error types of the time module.

use std::fmt;
use std::io;

/// The error of a [`Timeout`](crate::time::Timeout) whose deadline passed before its future
/// completed.
///
/// ```
/// use std::time::Duration;
/// use filch::time::{sleep, timeout};
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let err = timeout(Duration::from_millis(1), sleep(Duration::from_secs(60)))
///         .await
///         .unwrap_err();
///     assert_eq!(err.to_string(), "deadline has elapsed before the operation completed");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl Elapsed {
    pub(crate) fn new() -> Elapsed {
        Elapsed(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed before the operation completed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for io::Error {
    /// An [`io::ErrorKind::TimedOut`] error, so `?` works in functions returning `io::Result`.
    fn from(elapsed: Elapsed) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, elapsed)
    }
}
