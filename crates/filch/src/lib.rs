//! filch: a work-stealing async runtime with async sockets, timers and `#[filch::main]`.
//!
//! This is the crate a program depends on. It gathers the parts of filch behind one name:
//!
//! * [`task`]: [`spawn`], [`task::spawn_blocking`], [`task::yield_now`], [`JoinHandle`],
//!   [`task::JoinError`] and [`task::AbortHandle`];
//! * [`runtime`]: [`runtime::Runtime`], [`runtime::Builder`] and [`runtime::Handle`], for programs
//!   that build their runtime by hand, multi-thread or current-thread;
//! * `net` (feature `net`): TCP, UDP and Unix sockets with tokio's names;
//! * `time` (feature `time`): `sleep`, `timeout`, `interval` and friends;
//! * `fs` (feature `fs`): files and directories with tokio's names, on the blocking pool, and
//!   `io::{stdin, stdout, stderr}`;
//! * `process` (feature `process`): `Command` and `Child`, with pipes and exits on the reactor;
//! * `signal` (feature `signal`): `ctrl_c` and Unix signals, delivered through the reactor;
//! * [`io`]: the `AsyncRead`/`AsyncWrite` traits and the extension traits that give
//!   `read(&mut buf).await` and `write_all(..).await`;
//! * [`main`] and [`test`] (feature `macros`): attributes that run an `async fn` on a runtime.
//! * [`join!`], [`try_join!`] and [`pin!`], and [`select!`] (feature `macros`): waiting on
//!   several futures at once on the current task.
//! * [`task::LocalSet`] and [`task::spawn_local`]: futures that are not `Send`, run on one
//!   thread; [`task_local!`]: values that follow a task from worker to worker.
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
//! `FILCH_WORKER_THREADS` (default: the number of CPUs; multi-thread runtimes only, a
//! current-thread runtime has no workers) and `FILCH_MAX_BLOCKING_THREADS` (default: 512). A
//! running runtime reports what it uses through
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
//! | `fs`     | yes     | `filch::fs` and `filch::io::{stdin, stdout, stderr}`     |
//! | `macros` | yes     | `#[filch::main]`, `#[filch::test]` and `select!`         |
//! | `signal` | yes     | `filch::signal` and the I/O driver                       |
//! | `process`| yes     | `filch::process` and the I/O driver                      |
//! | `hyper`  | no      | hyper 1.x's `rt::Read`/`Write` on the streams, and `filch::hyper` (executor, timer, connector) |
//! | `tokio-io` | no    | tokio's `AsyncRead`/`AsyncWrite` on the streams (tokio's traits only, no tokio runtime) |
//!
//! With `tokio-io`, a module that imports both `filch::io::prelude::*` and
//! `tokio::io::AsyncReadExt` finds two `read` methods on a stream and the call is ambiguous
//! (error E0034). Import only the extension trait of the family the code uses, or name it:
//! `filch::io::prelude::AsyncReadExt::read(&mut stream, &mut buf)`. `docs/ecosystem.md` has the
//! details and which crates need which feature.
//!
//! Without `net`, `time`, `signal` and `process` no reactor is created: a runtime's idle workers sleep on a condition
//! variable.

#![forbid(unsafe_code)]

#[cfg(feature = "fs")]
pub mod fs;
#[cfg(feature = "hyper")]
pub mod hyper;
pub mod io;
mod macros;
#[cfg(feature = "net")]
pub mod net;
#[cfg(feature = "process")]
pub mod process;
pub mod runtime;
#[cfg(feature = "signal")]
pub mod signal;
pub mod sync;
pub mod task;
#[cfg(feature = "time")]
pub mod time;

pub use task::{spawn, JoinHandle};

#[cfg(feature = "macros")]
pub use filch_macros::main;

#[cfg(feature = "macros")]
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
    #[doc = include_str!("../../../docs/coordinating-tasks.md")]
    struct CoordinatingTasks;
    #[doc = include_str!("../../../docs/testing.md")]
    struct Testing;
    #[doc = include_str!("../../../docs/runtime-flavours.md")]
    struct RuntimeFlavours;
    #[cfg(all(feature = "fs", feature = "process", feature = "signal"))]
    #[doc = include_str!("../../../docs/files-processes-signals.md")]
    struct FilesProcessesSignals;
}

/// What the `#[filch::main]` and `#[filch::test]` expansions call. Not part of the public API:
/// it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::runtime::Builder;
    use crate::runtime::Runtime;

    pub use core::future::{poll_fn, Future, IntoFuture};
    pub use core::option::Option::{self, None, Some};
    pub use core::pin::{pin, Pin};
    pub use core::result::Result::{self, Err, Ok};
    pub use core::task::Poll;
    pub use core::{cell::RefCell, stringify};
    pub use std::thread_local;

    /// The `LocalKey` a `task_local!` declaration expands to.
    pub const fn task_local_key<T: 'static>(
        slot: std::thread::LocalKey<RefCell<Option<T>>>,
        name: &'static str,
    ) -> crate::task::LocalKey<T> {
        crate::task::LocalKey::__new(slot, name)
    }
    #[cfg(feature = "macros")]
    pub use filch_macros::select_clean_pattern;

    /// A random index below `n` (which is at least 1), from a cheap per-thread generator: where a
    /// non-`biased` `select!` starts polling.
    pub fn random_start(n: usize) -> usize {
        fastrand::usize(..n)
    }

    /// Builds the runtime of `#[filch::main]`; on failure prints `error: <message>` to standard
    /// error and exits with status 1 (a bad environment variable is not a bug to panic about).
    pub fn runtime_for_main(builder: &mut Builder) -> Runtime {
        match builder.build() {
            Ok(runtime) => runtime,
            Err(error) => {
                eprintln!("error: {error}");
                std::process::exit(1)
            }
        }
    }

    /// Builds the runtime of one `#[filch::test]`; on failure the test fails with the builder's
    /// message (exiting would take the whole test harness down).
    pub fn runtime_for_test(builder: &mut Builder) -> Runtime {
        match builder.build() {
            Ok(runtime) => runtime,
            Err(error) => panic!("error: {error}"),
        }
    }
}
