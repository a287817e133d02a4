//! [`TcpStream`].

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, Socket, Type};

use crate::io_source::PollEvented;
use crate::net::addr::{resolve, try_each, ToSocketAddrs};
use crate::net::connect;
use crate::net::socket;
use crate::net::tcp::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};

/// A TCP connection.
///
/// Read and write it through the [`futures_io::AsyncRead`] and [`futures_io::AsyncWrite`]
/// traits (for example with `futures_lite::{AsyncReadExt, AsyncWriteExt}`), which are
/// implemented on `TcpStream`, on `&TcpStream` and on its split halves; or with
/// [`readable`](Self::readable) and [`try_read`](Self::try_read).
///
/// ```
/// use filch::net::{TcpListener, TcpStream};
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let client = TcpStream::connect(listener.local_addr()?).await?;
///     let (server, _) = listener.accept().await?;
///     server.try_write(b"ping")?;
///     let mut buf = [0; 16];
///     loop {
///         client.readable().await?;
///         match client.try_read(&mut buf) {
///             Ok(n) => { assert_eq!(&buf[..n], b"ping"); break; }
///             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
///             Err(e) => return Err(e),
///         }
///     }
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
///
/// # Keepalive and other socket options
///
/// Options filch does not wrap (TCP keepalive, `SO_RCVBUF`, ...) are set through
/// [`socket2::SockRef`](https://docs.rs/socket2/latest/socket2/struct.SockRef.html), which
/// borrows the descriptor of any socket that implements `AsFd` (add `socket2` to your
/// dependencies). Before connecting, [`TcpSocket`](crate::net::TcpSocket) sets the common ones.
///
/// ```
/// use std::time::Duration;
/// use socket2::{SockRef, TcpKeepalive};
///
/// # filch::runtime::Runtime::new().unwrap().block_on(async {
/// # let listener = filch::net::TcpListener::bind("127.0.0.1:0").await?;
/// let stream = filch::net::TcpStream::connect(listener.local_addr()?).await?;
/// let keepalive = TcpKeepalive::new()
///     .with_time(Duration::from_secs(60))
///     .with_interval(Duration::from_secs(10));
/// SockRef::from(&stream).set_tcp_keepalive(&keepalive)?;
/// assert!(SockRef::from(&stream).keepalive()?);
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
///
/// With `AsyncRead`/`AsyncWrite`:
///
/// ```
/// use futures_lite::{AsyncReadExt, AsyncWriteExt};
/// use filch::net::{TcpListener, TcpStream};
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let server = filch::spawn(async move {
///         let (mut stream, _) = listener.accept().await?;
///         let mut buf = [0; 5];
///         stream.read_exact(&mut buf).await?;
///         stream.write_all(&buf).await?;
///         std::io::Result::Ok(())
///     });
///     let mut client = TcpStream::connect(addr).await?;
///     client.write_all(b"hello").await?;
///     let mut echo = [0; 5];
///     client.read_exact(&mut echo).await?;
///     assert_eq!(&echo, b"hello");
///     server.await.unwrap()
/// }).unwrap();
/// ```
pub struct TcpStream {
    pub(crate) io: PollEvented<std::net::TcpStream>,
}

impl TcpStream {
    /// Opens a connection to `addr`.
    ///
    /// If `addr` resolves to several addresses, each is tried in turn until one connects.
    /// The connect itself is non-blocking: the task waits, the worker thread does not.
    ///
    /// # Errors
    ///
    /// The OS error of the last address tried (`ConnectionRefused` when nothing listens), an
    /// error if `addr` resolves to nothing, or an error outside a filch runtime with the I/O
    /// driver.
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let listener = filch::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = filch::net::TcpStream::connect(listener.local_addr()?).await?;
    /// # let _ = stream;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        let addrs = resolve(addr).await?;
        try_each(addrs, Self::connect_addr).await
    }

    async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        Self::connect_socket(socket, addr).await
    }

    /// Connects `socket` (a TCP socket, perhaps bound and configured: `TcpSocket::connect`)
    /// to `addr` without blocking the worker.
    pub(crate) async fn connect_socket(socket: Socket, addr: SocketAddr) -> io::Result<TcpStream> {
        connect::start(&socket, &addr.into())?;
        let stream = TcpStream {
            io: PollEvented::new(std::net::TcpStream::from(socket), "`TcpStream::connect`")?,
        };
        connect::finish(&stream.io).await?;
        Ok(stream)
    }

    /// Wraps a connected standard-library stream, switching it to non-blocking mode.
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let std_stream = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    /// let stream = filch::net::TcpStream::from_std(std_stream).unwrap();
    /// let back: std::net::TcpStream = stream.into_std().unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// Fails outside a filch runtime with the I/O driver, or if the descriptor cannot be
    /// registered with the OS poller.
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        socket::from_std(stream, "`TcpStream::from_std`")
    }

    /// Deregisters the stream and returns it as a standard-library stream, still in
    /// non-blocking mode (call `set_nonblocking(false)` to block on it).
    ///
    /// # Errors
    ///
    /// Fails if the OS poller refuses to deregister the descriptor.
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// # let listener = filch::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let stream = filch::net::TcpStream::connect(listener.local_addr()?).await?;
    /// let std_stream = stream.into_std()?;
    /// std_stream.set_nonblocking(false)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        self.io.into_inner()
    }

    crate::net::socket::forward! {
        /// The local address of the connection.
        ///
        /// # Errors
        ///
        /// The OS error from `getsockname`.
        ///
        /// ```
        /// # filch::runtime::Runtime::new().unwrap().block_on(async {
        /// # let listener = filch::net::TcpListener::bind("127.0.0.1:0").await?;
        /// let stream = filch::net::TcpStream::connect(listener.local_addr()?).await?;
        /// assert!(stream.local_addr()?.ip().is_loopback());
        /// # std::io::Result::Ok(()) }).unwrap();
        /// ```
        pub fn local_addr(&self) -> io::Result<SocketAddr>;

        /// The address of the peer.
        ///
        /// # Errors
        ///
        /// The OS error from `getpeername` (`NotConnected` once the connection is gone).
        ///
        /// ```
        /// # filch::runtime::Runtime::new().unwrap().block_on(async {
        /// # let listener = filch::net::TcpListener::bind("127.0.0.1:0").await?;
        /// let stream = filch::net::TcpStream::connect(listener.local_addr()?).await?;
        /// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
        /// # std::io::Result::Ok(()) }).unwrap();
        /// ```
        pub fn peer_addr(&self) -> io::Result<SocketAddr>;

        /// Sets `TCP_NODELAY` (disables Nagle's algorithm when `true`).
        ///
        /// # Errors
        ///
        /// The OS error from `setsockopt`.
        ///
        /// ```
        /// # filch::runtime::Runtime::new().unwrap().block_on(async {
        /// # let listener = filch::net::TcpListener::bind("127.0.0.1:0").await?;
        /// let stream = filch::net::TcpStream::connect(listener.local_addr()?).await?;
        /// stream.set_nodelay(true)?;
        /// assert!(stream.nodelay()?);
        /// # std::io::Result::Ok(()) }).unwrap();
        /// ```
        pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()>;

        /// Whether `TCP_NODELAY` is set.
        ///
        /// # Errors
        ///
        /// The OS error from `getsockopt`.
        ///
        /// ```
        /// # filch::runtime::Runtime::new().unwrap().block_on(async {
        /// # let listener = filch::net::TcpListener::bind("127.0.0.1:0").await?;
        /// let stream = filch::net::TcpStream::connect(listener.local_addr()?).await?;
        /// assert!(!stream.nodelay()?); // off by default
        /// # std::io::Result::Ok(()) }).unwrap();
        /// ```
        pub fn nodelay(&self) -> io::Result<bool>;

        /// Sets `IP_TTL`, the time-to-live of the packets this stream sends.
        ///
        /// # Errors
        ///
        /// The OS error from `setsockopt`.
        ///
        /// ```
        /// # filch::runtime::Runtime::new().unwrap().block_on(async {
        /// # let listener = filch::net::TcpListener::bind("127.0.0.1:0").await?;
        /// let stream = filch::net::TcpStream::connect(listener.local_addr()?).await?;
        /// stream.set_ttl(42)?;
        /// assert_eq!(stream.ttl()?, 42);
        /// # std::io::Result::Ok(()) }).unwrap();
        /// ```
        pub fn set_ttl(&self, ttl: u32) -> io::Result<()>;

        /// The `IP_TTL` setting (see [`set_ttl`](Self::set_ttl)).
        ///
        /// # Errors
        ///
        /// The OS error from `getsockopt`.
        ///
        /// ```
        /// # filch::runtime::Runtime::new().unwrap().block_on(async {
        /// # let listener = filch::net::TcpListener::bind("127.0.0.1:0").await?;
        /// let stream = filch::net::TcpStream::connect(listener.local_addr()?).await?;
        /// assert!(stream.ttl()? > 0);
        /// # std::io::Result::Ok(()) }).unwrap();
        /// ```
        pub fn ttl(&self) -> io::Result<u32>;
    }

    crate::net::socket::stream_methods!("# let listener = filch::net::TcpListener::bind(\"127.0.0.1:0\").await?;\n# let a = filch::net::TcpStream::connect(listener.local_addr()?).await?;\n# let (b, _) = listener.accept().await?;\n");

    /// Splits the stream into a read half and a write half that borrow it; both can be used
    /// at once within one task.
    ///
    /// ```
    /// use futures_lite::{AsyncReadExt, AsyncWriteExt};
    /// use filch::net::{TcpListener, TcpStream};
    ///
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     let (mut reader, mut writer) = server.split();
    ///     client.write_all(b"abc").await?;
    ///     let mut buf = [0; 3];
    ///     reader.read_exact(&mut buf).await?;
    ///     writer.write_all(&buf).await?;
    ///     client.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"abc");
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        super::split(self)
    }

    /// Splits the stream into owned halves that can move to different tasks. Dropping the
    /// write half shuts down the write direction; [`OwnedReadHalf::reunite`] puts them back
    /// together.
    ///
    /// ```
    /// use futures_lite::{AsyncReadExt, AsyncWriteExt};
    /// use filch::net::{TcpListener, TcpStream};
    ///
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut server, _) = listener.accept().await?;
    ///     let (mut reader, mut writer) = client.into_split();
    ///     let sender = filch::spawn(async move { writer.write_all(b"bye").await });
    ///     let mut buf = Vec::new();
    ///     server.read_to_end(&mut buf).await?; // the dropped write half sent a FIN
    ///     assert_eq!(buf, b"bye");
    ///     sender.await.unwrap()?;
    ///     drop(server);
    ///     assert_eq!(reader.read(&mut [0; 8]).await?, 0);
    ///     std::io::Result::Ok(())
    /// }).unwrap();
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        super::split_owned(self)
    }
}

crate::net::split::stream_io_traits!(TcpStream, std::net::TcpStream);
