//! Async sockets: TCP, UDP and Unix domain sockets, registered with the runtime's reactor.
//!
//! The names and signatures follow tokio's `tokio::net` where they exist. Byte streams
//! implement [`futures_io::AsyncRead`] and [`futures_io::AsyncWrite`]; use the extension traits
//! of `futures-lite` or `futures-util` for `read_exact`, `write_all` and friends.
//!
//! Sockets must be created inside a filch runtime built with the I/O driver; outside one,
//! constructors return an error that says so. Once the runtime has shut down, every operation
//! on its sockets returns an error.

mod addr;
mod connect;
mod socket;
pub(crate) mod split;
pub mod tcp;
mod udp;
pub mod unix;

pub use addr::ToSocketAddrs;
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixStream};
