//! [`UnixStream`].

use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use socket2::{Domain, SockAddr, Socket, Type};

use crate::io_source::PollEvented;
use crate::net::connect;
use crate::net::socket;
use crate::net::unix::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};

/// A Unix domain stream connection.
///
/// Like [`TcpStream`](crate::net::TcpStream), it implements [`futures_io::AsyncRead`] and
/// [`futures_io::AsyncWrite`] (on the stream, on `&UnixStream` and on its split halves).
///
/// ```
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
/// use filch_io::net::UnixStream;
///
/// let rt = filch_executor::runtime::Builder::new().driver(filch_io::new_driver).build().unwrap();
/// rt.block_on(async {
///     let (mut a, mut b) = UnixStream::pair()?;
///     a.write_all(b"over here").await?;
///     a.close().await?; // shuts down a's write side
///     let mut got = String::new();
///     b.read_to_string(&mut got).await?;
///     assert_eq!(got, "over here");
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
pub struct UnixStream {
    pub(crate) io: PollEvented<std::os::unix::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the listener at `path`, without blocking the worker.
    ///
    /// # Errors
    ///
    /// The OS error from `connect` (`NotFound` if nothing is at `path`, `ConnectionRefused` if
    /// nothing listens there), or an error outside a filch runtime with the I/O driver.
    pub async fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let address = SockAddr::unix(path)?;
        let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
        connect::start(&socket, &address)?;
        let stream = UnixStream {
            io: PollEvented::new(
                std::os::unix::net::UnixStream::from(std::os::fd::OwnedFd::from(socket)),
                "`UnixStream::connect`",
            )?,
        };
        connect::finish(&stream.io).await?;
        Ok(stream)
    }

    /// Creates a connected pair of streams.
    ///
    /// # Errors
    ///
    /// The OS error from `socketpair`, or an error outside a filch runtime with the I/O
    /// driver.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        socket::pair(std::os::unix::net::UnixStream::pair()?, "`UnixStream`")
    }

    /// Wraps a connected standard-library stream, switching it to non-blocking mode.
    ///
    /// # Errors
    ///
    /// Fails outside a filch runtime with the I/O driver, or if the descriptor cannot be
    /// registered with the OS poller.
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        socket::from_std(stream, "`UnixStream`")
    }

    /// Deregisters the stream and returns it as a standard-library stream, still in
    /// non-blocking mode.
    ///
    /// # Errors
    ///
    /// Fails if the OS poller refuses to deregister the descriptor.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        self.io.into_inner()
    }

    crate::net::socket::forward! {
        /// The local address.
        ///
        /// # Errors
        ///
        /// The OS error from `getsockname`.
        pub fn local_addr(&self) -> io::Result<SocketAddr>;

        /// The peer's address.
        ///
        /// # Errors
        ///
        /// The OS error from `getpeername`.
        pub fn peer_addr(&self) -> io::Result<SocketAddr>;

    }

    crate::net::socket::stream_methods! {}

    /// Splits the stream into borrowed read and write halves.
    ///
    /// ```
    /// use futures_lite::{AsyncReadExt, AsyncWriteExt};
    ///
    /// let rt = filch_executor::runtime::Builder::new().driver(filch_io::new_driver).build().unwrap();
    /// rt.block_on(async {
    ///     let (mut a, mut b) = filch_io::net::UnixStream::pair()?;
    ///     let (mut reader, mut writer) = a.split();
    ///     writer.write_all(b"x").await?;
    ///     let mut byte = [0];
    ///     b.read_exact(&mut byte).await?;
    ///     b.write_all(&byte).await?;
    ///     reader.read_exact(&mut byte).await?;
    ///     assert_eq!(&byte, b"x");
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        super::split(self)
    }

    /// Splits the stream into owned halves for different tasks; dropping the write half shuts
    /// down the write direction.
    ///
    /// ```
    /// use futures_lite::AsyncReadExt;
    ///
    /// let rt = filch_executor::runtime::Builder::new().driver(filch_io::new_driver).build().unwrap();
    /// rt.block_on(async {
    ///     let (a, mut b) = filch_io::net::UnixStream::pair()?;
    ///     let (_reader, writer) = a.into_split();
    ///     drop(writer);
    ///     assert_eq!(b.read(&mut [0; 4]).await?, 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        super::split_owned(self)
    }
}

crate::net::split::stream_io_traits!(UnixStream, std::os::unix::net::UnixStream);
