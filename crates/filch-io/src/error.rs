//! Error types of the time module, and the inner error of the I/O error sockets return once
//! their runtime has shut down.

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

/// The inner error of the `io::Error` every operation on a socket returns once the runtime that
/// owns it has shut down; recognised by [`is_runtime_shutdown`].
#[derive(Debug)]
pub(crate) struct RuntimeShutdown;

impl fmt::Display for RuntimeShutdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the filch runtime that owns this I/O resource has shut down; \
             create and use sockets only while their runtime is running",
        )
    }
}

impl std::error::Error for RuntimeShutdown {}

/// The error of an operation on a socket whose runtime has shut down (kind `Other`).
pub(crate) fn runtime_shutdown() -> io::Error {
    io::Error::other(RuntimeShutdown)
}

/// Whether `err` is the error a socket returns because its runtime has shut down (not an
/// error of the OS or of the peer). Recognised by its inner error's type, not its message.
///
/// ```
/// let rt = filch_executor::runtime::Builder::new().driver(filch_io::new_driver).build().unwrap();
/// let socket = rt.block_on(async { filch_io::net::UdpSocket::bind("127.0.0.1:0").await.unwrap() });
/// drop(rt);
/// let err = futures_lite::future::block_on(socket.recv_from(&mut [0u8; 8])).unwrap_err();
/// assert!(filch_io::is_runtime_shutdown(&err));
/// assert!(!filch_io::is_runtime_shutdown(&std::io::Error::other("something else")));
/// ```
pub fn is_runtime_shutdown(err: &io::Error) -> bool {
    err.get_ref()
        .is_some_and(|inner| inner.is::<RuntimeShutdown>())
}
