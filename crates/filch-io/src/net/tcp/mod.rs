//! TCP: [`TcpListener`], [`TcpStream`] and the halves of a split stream.

mod listener;
mod stream;

pub use listener::TcpListener;
pub use stream::TcpStream;

crate::net::split::split_halves!(TcpStream, "TcpStream");
