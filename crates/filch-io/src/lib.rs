//! The I/O driver of the [filch] async runtime: a reactor on [`polling`], a hierarchical timer
//! wheel, and async sockets.
//!
//! * [`new_driver`] creates the [`IoDriver`] that a runtime's idle worker blocks in: the OS
//!   poller, with the nearest timer deadline as its timeout.
//! * [`time`]: [`sleep`](time::sleep), [`timeout`](time::timeout),
//!   [`interval`](time::interval).
//! * [`net`]: [`TcpListener`](net::TcpListener), [`TcpStream`](net::TcpStream),
//!   [`UdpSocket`](net::UdpSocket), [`UnixListener`](net::UnixListener),
//!   [`UnixStream`](net::UnixStream), [`UnixDatagram`](net::UnixDatagram).
//! * [`process`]: [`Command`](process::Command) and [`Child`](process::Child), with pipes and
//!   exit notification on the reactor.
//! * [`signal`]: [`ctrl_c`](signal::ctrl_c) and [`unix::signal`](signal::unix::signal),
//!   delivered through the reactor.
//!
//! Most users get all of this through the `filch` crate. Used directly, the driver is plugged
//! into the executor's builder:
//!
//! ```
//! use std::time::Duration;
//! use futures_lite::{AsyncReadExt, AsyncWriteExt};
//! use filch_io::net::{TcpListener, TcpStream};
//!
//! let rt = filch_executor::runtime::Builder::new()
//!     .driver(filch_io::new_driver)
//!     .build()
//!     .unwrap();
//! rt.block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     filch_executor::spawn(async move {
//!         let (mut socket, _) = listener.accept().await?;
//!         filch_io::time::sleep(Duration::from_millis(5)).await;
//!         socket.write_all(b"late hello").await
//!     });
//!     let mut stream = TcpStream::connect(addr).await?;
//!     let mut reply = String::new();
//!     stream.read_to_string(&mut reply).await?;
//!     assert_eq!(reply, "late hello");
//!     std::io::Result::Ok(())
//! }).unwrap();
//! ```
//!
//! The design (edge-triggered registration, readiness generations, the timer wheel, how a wake
//! reaches a worker blocked in the poller) is specified in the module docs of `reactor.rs`,
//! `scheduled_io.rs`, `timer.rs` and `driver.rs`; `docs/architecture.md` maps them.
//!
//! This crate supports Unix platforms whose `polling` backend offers edge-triggered mode
//! (Linux and Android with epoll, the BSDs and macOS with kqueue).
//!
//! [filch]: https://docs.rs/filch

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

#[cfg(not(unix))]
compile_error!("filch-io supports Unix platforms only (epoll or kqueue)");

pub(crate) mod loom;

mod async_fd;
pub mod compat;

pub mod driver;
mod error;
pub mod fs;
mod interest;
mod io_source;
pub mod net;
pub mod process;
mod reactor;
mod scheduled_io;
pub mod signal;
pub mod stdio;
mod sys;
#[cfg(test)]
mod test_util;
pub mod time;
mod timer;

pub use driver::{new_driver, IoDriver};
#[doc(hidden)]
pub use time::clock::pause_at_start;

/// Readiness types and descriptors on the reactor, at tokio's paths (`filch::io::Interest`,
/// `filch::io::unix::AsyncFd`); the facade re-exports them into `filch::io`.
pub mod io {
    pub use crate::interest::{Interest, Ready};

    /// Any non-blocking Unix descriptor on filch's reactor.
    pub mod unix {
        pub use crate::async_fd::{AsyncFd, AsyncFdReadyGuard, AsyncFdReadyMutGuard, TryIoError};
    }
}
pub use error::is_runtime_shutdown;
