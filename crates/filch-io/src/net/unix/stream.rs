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
/// use filch::net::UnixStream;
///
/// let rt = filch::runtime::Runtime::new().unwrap();
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
    /// Connects to the listener at `path`, without blocking the worker. On Linux and Android
    /// a path that starts with a NUL byte (`"\0name"`) is an abstract name (see
    /// [`UnixListener::bind`](crate::net::UnixListener::bind)).
    ///
    /// # Errors
    ///
    /// The OS error from `connect` (`NotFound` if nothing is at `path`, `ConnectionRefused` if
    /// nothing listens there), or an error outside a filch runtime with the I/O driver.
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("filch-doc-us-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("connect.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = filch::net::UnixListener::bind(&path)?;
    /// let stream = filch::net::UnixStream::connect(&path).await?;
    /// assert_eq!(stream.peer_addr()?.as_pathname(), Some(path.as_path()));
    /// # drop(listener);
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
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
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, b) = filch::net::UnixStream::pair()?;
    /// a.try_write(b"x")?;
    /// b.readable().await?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        socket::pair(std::os::unix::net::UnixStream::pair()?, "`UnixStream`")
    }

    /// Wraps a connected standard-library stream, switching it to non-blocking mode.
    ///
    /// # Errors
    ///
    /// Fails outside a filch runtime with the I/O driver, or if the descriptor cannot be
    /// registered with the OS poller.
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// let a = filch::net::UnixStream::from_std(a)?;
    /// # drop(a);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        socket::from_std(stream, "`UnixStream`")
    }

    /// Deregisters the stream and returns it as a standard-library stream, still in
    /// non-blocking mode.
    ///
    /// # Errors
    ///
    /// Fails if the OS poller refuses to deregister the descriptor.
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = filch::net::UnixStream::pair()?;
    /// let a = a.into_std()?;
    /// a.set_nonblocking(false)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        self.io.into_inner()
    }

    crate::net::socket::forward! {
        /// The local address.
        ///
        /// # Errors
        ///
        /// The OS error from `getsockname`.
        ///
        /// ```
        /// # filch::runtime::Runtime::new().unwrap().block_on(async {
        /// let (a, _b) = filch::net::UnixStream::pair()?;
        /// assert!(a.local_addr()?.is_unnamed());
        /// # std::io::Result::Ok(()) }).unwrap();
        /// ```
        pub fn local_addr(&self) -> io::Result<SocketAddr>;

        /// The peer's address.
        ///
        /// # Errors
        ///
        /// The OS error from `getpeername`.
        ///
        /// ```
        /// # filch::runtime::Runtime::new().unwrap().block_on(async {
        /// let (a, _b) = filch::net::UnixStream::pair()?;
        /// assert!(a.peer_addr()?.is_unnamed());
        /// # std::io::Result::Ok(()) }).unwrap();
        /// ```
        pub fn peer_addr(&self) -> io::Result<SocketAddr>;

    }

    crate::net::socket::stream_methods!("# let (a, b) = filch::net::UnixStream::pair()?;\n");

    /// Splits the stream into borrowed read and write halves.
    ///
    /// ```
    /// use futures_lite::{AsyncReadExt, AsyncWriteExt};
    ///
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (mut a, mut b) = filch::net::UnixStream::pair()?;
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
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (a, mut b) = filch::net::UnixStream::pair()?;
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
