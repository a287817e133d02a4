//! Unix domain sockets: [`UnixListener`], [`UnixStream`], [`UnixDatagram`] and the halves of a
//! split stream.

mod datagram;
mod listener;
mod stream;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use std::os::unix::net::SocketAddr;
pub use stream::UnixStream;

crate::net::split::split_halves!(UnixStream, "UnixStream");
