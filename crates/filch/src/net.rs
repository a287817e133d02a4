//! Async TCP, UDP and Unix-domain sockets (feature `net`).
//!
//! The types follow tokio's names: [`TcpListener`], [`TcpStream`], [`UdpSocket`],
//! [`UnixListener`], [`UnixStream`] and [`UnixDatagram`], and the split halves of a TCP stream.
//! Streams implement the `futures-io` [`AsyncRead`](crate::io::AsyncRead) and
//! [`AsyncWrite`](crate::io::AsyncWrite) traits; bring the `read`/`write_all` methods into scope
//! with `use filch::io::prelude::*;`.
//!
//! Sockets belong to the runtime they were created in: create and use them inside a task,
//! `block_on` or [`Runtime::enter`](crate::runtime::Runtime::enter).
//!
//! ```
//! use filch::net::UdpSocket;
//!
//! #[filch::main]
//! async fn main() -> std::io::Result<()> {
//!     let a = UdpSocket::bind("127.0.0.1:0").await?;
//!     let b = UdpSocket::bind("127.0.0.1:0").await?;
//!     a.send_to(b"ping", b.local_addr()?).await?;
//!     let mut buf = [0u8; 16];
//!     let (n, from) = b.recv_from(&mut buf).await?;
//!     assert_eq!(&buf[..n], b"ping");
//!     assert_eq!(from, a.local_addr()?);
//!     Ok(())
//! }
//! ```

pub use filch_io::net::*;
