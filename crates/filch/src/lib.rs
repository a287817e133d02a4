//! filch: a work-stealing async runtime with async sockets, timers and `#[filch::main]`.
//!
//! This is the crate a program depends on. It gathers the parts of filch behind one name:
//!
//! * [`task`]: [`spawn`], [`task::spawn_blocking`], [`task::yield_now`], [`JoinHandle`],
//!   [`task::JoinError`] and [`task::AbortHandle`];
//! * [`runtime`]: [`runtime::Runtime`], [`runtime::Builder`] and [`runtime::Handle`], for programs
//!   that build their runtime by hand;
//! * `net` (feature `net`): TCP, UDP and Unix sockets with tokio's names;
//! * `time` (feature `time`): `sleep`, `timeout`, `interval` and friends;
//! * [`io`]: the `AsyncRead`/`AsyncWrite` traits and the extension traits that give
//!   `read(&mut buf).await` and `write_all(..).await`;
//! * `main` and `test` (feature `macros`): attributes that run an `async fn` on a runtime.
//!
//! ```
//! use filch::io::prelude::*;
//! use filch::net::{TcpListener, TcpStream};
//!
//! #[filch::main]
//! async fn main() -> std::io::Result<()> {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!
//!     // A server task that echoes one message back.
//!     let server = filch::spawn(async move {
//!         let (mut stream, _) = listener.accept().await?;
//!         let mut buf = [0u8; 5];
//!         stream.read_exact(&mut buf).await?;
//!         stream.write_all(&buf).await?;
//!         std::io::Result::Ok(())
//!     });
//!
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"hello").await?;
//!     let mut reply = [0u8; 5];
//!     client.read_exact(&mut reply).await?;
//!     assert_eq!(&reply, b"hello");
//!     server.await.unwrap()?;
//!     Ok(())
//! }
//! ```
//!
//! # Configuration
//!
//! A runtime reads two environment variables when its builder leaves the setting unset:
//! `FILCH_WORKER_THREADS` (default: the number of CPUs) and `FILCH_MAX_BLOCKING_THREADS`
//! (default: 512). A running runtime reports what it uses through
//! [`Handle::worker_threads`](runtime::Handle::worker_threads) and
//! [`Handle::max_blocking_threads`](runtime::Handle::max_blocking_threads). The details, with the
//! exact error a bad value gives, are in `docs/configuration.md`.
//!
//! # Features
//!
//! | feature  | default | what it adds                                            |
//! |----------|---------|---------------------------------------------------------|
//! | `net`    | yes     | `filch::net` and the I/O driver in every runtime         |
//! | `time`   | yes     | `filch::time` and the I/O driver (which runs the timers) |
//! | `macros` | yes     | `#[filch::main]` and `#[filch::test]`                    |
//!
//! Without `net` and `time` a runtime's idle workers sleep on a condition variable and no
//! reactor thread state is created.

#![forbid(unsafe_code)]

pub mod io;
#[cfg(feature = "net")]
pub mod net;
pub mod runtime;
pub mod task;
#[cfg(feature = "time")]
pub mod time;

pub use task::{spawn, JoinHandle};

/// Runs an `async fn main` on a filch runtime.
///
/// The attribute turns `async fn main()` into an ordinary `fn main()` that builds a runtime with
/// [`runtime::Builder`] (so `FILCH_WORKER_THREADS` and `FILCH_MAX_BLOCKING_THREADS` are read from
/// the environment) and runs the body with [`Runtime::block_on`](runtime::Runtime::block_on).
/// `main` may return `()` or `Result<(), E>` with `E: Debug`, like a synchronous `main`.
///
/// ```
/// #[filch::main]
/// async fn main() {
///     let answer = filch::spawn(async { 6 * 7 }).await.unwrap();
///     assert_eq!(answer, 42);
/// }
/// ```
///
/// # Arguments
///
/// `worker_threads = N` fixes the number of worker threads; it takes precedence over
/// `FILCH_WORKER_THREADS`. `N` must be an integer literal of at least 1.
///
/// ```
/// #[filch::main(worker_threads = 2)]
/// async fn main() -> Result<(), std::io::Error> {
///     let handle = filch::runtime::Handle::current();
///     assert_eq!(handle.worker_threads(), 2);
///     Ok(())
/// }
/// ```
///
/// # When the runtime cannot be built
///
/// If the runtime cannot be built (for example `FILCH_WORKER_THREADS=abc`), the program prints
/// `error: ` followed by the builder's message to standard error and exits with status 1, without
/// a panic message or backtrace.
///
/// # Misuse
///
/// Applying the attribute to a function that is not `async`, that takes parameters or is
/// generic, or passing an unknown argument or `worker_threads = 0`, is a compile error that points
/// at the problem.
#[cfg(feature = "macros")]
#[doc(inline)]
pub use filch_macros::main;

/// Runs an `async fn` test on a filch runtime of its own.
///
/// The attribute generates the `#[test]` attribute itself; do not add one. Each test builds a
/// fresh runtime (reading the environment like [`main`]) and drops it when the test ends, so
/// tasks left running by one test cannot disturb another. The `worker_threads = N` argument works
/// as for [`main`]. A test may return `()` or `Result<(), E>` with `E: Debug`.
///
/// ```
/// #[filch::test(worker_threads = 1)]
/// async fn spawned_tasks_complete() {
///     let handle = filch::spawn(async { "done" });
///     assert_eq!(handle.await.unwrap(), "done");
/// }
/// # fn main() {}
/// ```
///
/// If the runtime cannot be built, the test fails with a panic whose message begins `error: `
/// and carries the builder's message.
#[cfg(feature = "macros")]
#[doc(inline)]
pub use filch_macros::test;

/// The examples in the guides under `docs/` are compiled and run as doctests of this crate, so
/// the guides cannot drift from the API.
#[cfg(doctest)]
mod guides {
    #[doc = include_str!("../../../docs/getting-started.md")]
    struct GettingStarted;
    #[doc = include_str!("../../../docs/configuration.md")]
    struct Configuration;
    #[doc = include_str!("../../../docs/migrating-from-tokio.md")]
    struct MigratingFromTokio;
}

/// What the `#[filch::main]` and `#[filch::test]` expansions call. Not part of the public API:
/// it may change in any release.
#[doc(hidden)]
pub mod __private {
    use crate::runtime::{Builder, Runtime};

    fn build(worker_threads: Option<usize>) -> std::io::Result<Runtime> {
        let mut builder = Builder::new();
        if let Some(n) = worker_threads {
            builder.worker_threads(n);
        }
        builder.build()
    }

    /// Builds the runtime of `#[filch::main]`; on failure prints `error: <message>` to standard
    /// error and exits with status 1 (a bad environment variable is not a bug to panic about).
    pub fn runtime_for_main(worker_threads: Option<usize>) -> Runtime {
        match build(worker_threads) {
            Ok(runtime) => runtime,
            Err(error) => {
                eprintln!("error: {error}");
                std::process::exit(1)
            }
        }
    }

    /// Builds the runtime of one `#[filch::test]`; on failure the test fails with the builder's
    /// message (exiting would take the whole test harness down).
    pub fn runtime_for_test(worker_threads: Option<usize>) -> Runtime {
        match build(worker_threads) {
            Ok(runtime) => runtime,
            Err(error) => panic!("error: {error}"),
        }
    }
}
