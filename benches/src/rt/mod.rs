//! The [`Rt`] trait: the handful of runtime operations the workloads need, implemented once per
//! runtime, so that every workload is written once and runs unchanged on filch, tokio and smol.
//!
//! Each implementation is built with the same number of worker threads, and in each the thread
//! that calls [`Rt::block_on`] only polls the future it was given: it runs no spawned task. That
//! is how tokio's multi-thread runtime and filch's runtime behave, and the smol runtime here is
//! built to match (its `block_on` is `async_io::block_on` on the caller's future alone, while `N`
//! dedicated threads run the executor).
//!
//! The exception is the current-thread flavour ([`Rt::new_current_thread`], filch's and
//! tokio's only): there the thread inside `block_on` runs every task, and tasks make progress
//! only while some thread is inside `block_on`.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

mod filch;
mod smol;
mod sync;
mod tokio;

pub use self::filch::Filch;
pub use self::smol::Smol;
pub use self::sync::{BroadcastRt, SyncRt};
pub use self::tokio::Tokio;

/// A multi-threaded async runtime, as far as the benchmark workloads need one.
///
/// Values are cheap handles (`Clone`): a clone refers to the same runtime, so a workload can move
/// one into a task that spawns further tasks. The runtime shuts down when the last clone drops.
pub trait Rt: Clone + Send + Sync + 'static {
    /// The runtime's name as it appears in the results table.
    const NAME: &'static str;

    /// What [`Rt::spawn`] returns: a future of the task's output. Dropping it detaches the task,
    /// whatever the runtime's own join handle does on drop.
    type Join<T: Send + 'static>: Future<Output = T> + Send + Unpin + 'static;

    /// Builds a runtime with `threads` worker threads.
    fn new(threads: usize) -> io::Result<Self>;

    /// Builds the runtime's current-thread flavour (every task on the thread inside
    /// [`Rt::block_on`]); `None` for a runtime that has none here (smol).
    fn new_current_thread() -> Option<io::Result<Self>> {
        None
    }

    /// The number of worker threads it was built with (1 for a current-thread runtime).
    fn worker_threads(&self) -> usize;

    /// Runs `future` to completion on the calling thread, which must not be a worker of any
    /// runtime, and returns its output.
    fn block_on<F: Future>(&self, future: F) -> F::Output;

    /// Spawns `future` onto the runtime. Callable from anywhere: a worker, the thread inside
    /// `block_on`, or an unrelated thread.
    fn spawn<F>(&self, future: F) -> Self::Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Lets the scheduler run other tasks before this one continues.
    fn yield_now() -> impl Future<Output = ()> + Send;

    /// Completes once `duration` has elapsed.
    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send;
}

/// The socket operations the loopback servers need, on top of [`Rt`].
///
/// Each implementation uses the runtime's own listener and stream types and its own read and
/// write paths (no compatibility layers), so the server code in [`crate::server`] is the same
/// for all three and only the runtime underneath differs.
pub trait NetRt: Rt {
    /// A bound, listening TCP socket.
    type Listener: Send + Sync + 'static;
    /// A connected TCP socket.
    type Stream: Send + 'static;

    /// Binds a listener to `addr`. Called inside [`Rt::block_on`].
    fn bind(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Listener>> + Send;

    /// The address the listener is bound to.
    fn local_addr(listener: &Self::Listener) -> io::Result<SocketAddr>;

    /// Waits for the next connection and returns it with `TCP_NODELAY` set.
    fn accept(listener: &Self::Listener) -> impl Future<Output = io::Result<Self::Stream>> + Send;

    /// Reads some bytes into `buf`; `Ok(0)` is end of stream.
    fn read(
        stream: &mut Self::Stream,
        buf: &mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send;

    /// Writes all of `buf`.
    fn write_all(
        stream: &mut Self::Stream,
        buf: &[u8],
    ) -> impl Future<Output = io::Result<()>> + Send;
}

/// A Unix-domain stream socket made from a standard one, for the stall scenarios
/// ([`crate::stall`]): a reader that only the runtime's driver can wake.
#[cfg(unix)]
pub trait UnixRt: Rt {
    /// The runtime's Unix stream type.
    type Unix: Send + 'static;

    /// Registers `stream` with the runtime. Called inside [`Rt::block_on`].
    fn unix_from_std(stream: std::os::unix::net::UnixStream) -> io::Result<Self::Unix>;

    /// Reads some bytes into `buf`; `Ok(0)` is end of stream.
    fn read_unix(
        stream: &mut Self::Unix,
        buf: &mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send;
}

/// The runtimes the suite compares, in the order the table lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// [`Filch`].
    Filch,
    /// [`Tokio`].
    Tokio,
    /// [`Smol`].
    Smol,
}

impl Kind {
    /// All three, in table order.
    pub const ALL: [Kind; 3] = [Kind::Filch, Kind::Tokio, Kind::Smol];

    /// The runtime's name, as [`Rt::NAME`] spells it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Filch => "filch",
            Kind::Tokio => "tokio",
            Kind::Smol => "smol",
        }
    }

    /// Parses a name written by [`Kind::name`].
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}
