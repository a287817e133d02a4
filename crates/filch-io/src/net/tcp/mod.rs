//! TCP: [`TcpListener`], [`TcpStream`], [`TcpSocket`] and the halves of a split stream.

mod listener;
mod socket;
mod stream;

pub use listener::TcpListener;
pub(crate) use listener::LISTEN_BACKLOG;
pub use socket::TcpSocket;
pub use stream::TcpStream;

crate::net::split::split_halves!(TcpStream, "TcpStream");
