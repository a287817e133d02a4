//! [`UnixDatagram`].

use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use socket2::{Domain, SockAddr, SockRef, Socket, Type};

use crate::io_source::PollEvented;
use crate::net::socket;
use crate::scheduled_io::Direction;

/// A Unix domain datagram socket.
///
/// ```
/// use filch::net::UnixDatagram;
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let (a, b) = UnixDatagram::pair()?;
///     a.send(b"datagram").await?;
///     let mut buf = [0; 16];
///     let n = b.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"datagram");
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
pub struct UnixDatagram {
    io: PollEvented<std::os::unix::net::UnixDatagram>,
}

impl UnixDatagram {
    /// Creates a socket bound to `path` (which must not exist yet). On Linux and Android a
    /// path that starts with a NUL byte (`"\0name"`) is an abstract name: no file is
    /// created, and the name disappears with the socket.
    ///
    /// # Errors
    ///
    /// The OS error from `bind` (`AddrInUse` if the path or abstract name is taken), or an
    /// error outside a filch runtime with the I/O driver.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"let dir = std::env::temp_dir().join(format!("filch-doc-dgram-{}", std::process::id()));
std::fs::create_dir_all(&dir)?;
let path = dir.join("bind.sock");
let _ = std::fs::remove_file(&path);
let socket = filch::net::UnixDatagram::bind(&path)?;
assert_eq!(socket.local_addr()?.as_pathname(), Some(path.as_path()));
std::fs::remove_file(&path)?;
# let _ = (a, b);"#)]
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        let path = path.as_ref();
        if super::is_abstract(path) {
            let socket = Socket::new(Domain::UNIX, Type::DGRAM, None)?;
            socket.bind(&SockAddr::unix(path)?)?;
            return Self::from_std(OwnedFd::from(socket).into());
        }
        Self::from_std(std::os::unix::net::UnixDatagram::bind(path)?)
    }

    /// Creates a socket bound to no address (it can send, and receive replies only if it
    /// connects).
    ///
    /// # Errors
    ///
    /// The OS error from `socket`, or an error outside a filch runtime with the I/O driver.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"let socket = filch::net::UnixDatagram::unbound()?;
assert!(socket.local_addr()?.is_unnamed());
# let _ = (a, b);"#)]
    pub fn unbound() -> io::Result<UnixDatagram> {
        Self::from_std(std::os::unix::net::UnixDatagram::unbound()?)
    }

    /// Creates a connected pair of sockets.
    ///
    /// # Errors
    ///
    /// The OS error from `socketpair`, or an error outside a filch runtime with the I/O
    /// driver.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"let (x, y) = filch::net::UnixDatagram::pair()?;
x.send(b"hi").await?;
assert_eq!(y.recv(&mut [0; 4]).await?, 2);
# let _ = (a, b);"#)]
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        socket::pair(std::os::unix::net::UnixDatagram::pair()?, "`UnixDatagram`")
    }

    /// Wraps a standard-library socket, switching it to non-blocking mode.
    ///
    /// # Errors
    ///
    /// Fails outside a filch runtime with the I/O driver, or if the descriptor cannot be
    /// registered with the OS poller.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"let std_socket = std::os::unix::net::UnixDatagram::unbound()?;
let socket = filch::net::UnixDatagram::from_std(std_socket)?;
# let _ = (a, b, socket);"#)]
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket::from_std(socket, "`UnixDatagram`")
    }

    /// Deregisters the socket and returns it as a standard-library socket, still in
    /// non-blocking mode.
    ///
    /// # Errors
    ///
    /// Fails if the OS poller refuses to deregister the descriptor.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"let std_socket = a.into_std()?;
std_socket.set_nonblocking(false)?;
# let _ = b;"#)]
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        self.io.into_inner()
    }

    /// Sets the default destination for [`send`](Self::send) and the only source
    /// [`recv`](Self::recv) accepts datagrams from. Connecting a datagram socket does not
    /// block. A path that starts with a NUL byte is an abstract name (Linux, Android).
    ///
    /// # Errors
    ///
    /// The OS error from `connect` (`NotFound` or `ConnectionRefused` when no socket is bound
    /// there).
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"let dir = std::env::temp_dir().join(format!("filch-doc-dgram-{}", std::process::id()));
std::fs::create_dir_all(&dir)?;
let path = dir.join("connect.sock");
let _ = std::fs::remove_file(&path);
let server = filch::net::UnixDatagram::bind(&path)?;
let client = filch::net::UnixDatagram::unbound()?;
client.connect(&path)?;
client.send(b"hi").await?;
assert_eq!(server.recv(&mut [0; 4]).await?, 2);
std::fs::remove_file(&path)?;
# let _ = (a, b);"#)]
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        let address = SockAddr::unix(path)?;
        SockRef::from(self.io.get_ref()).connect(&address)
    }

    /// Sends a datagram to the connected peer, waiting until the socket can send.
    ///
    /// # Errors
    ///
    /// The OS error from `send`.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"assert_eq!(a.send(b"hi").await?, 2);
# let _ = b;"#)]
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.send(buf).await
    }

    /// Receives a datagram from the connected peer, waiting until one is queued.
    ///
    /// # Errors
    ///
    /// The OS error from `recv`.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"a.send(b"hi").await?;
let mut buf = [0; 8];
let n = b.recv(&mut buf).await?;
assert_eq!(&buf[..n], b"hi");"#)]
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.recv(buf).await
    }

    /// Sends a datagram to the socket bound at `path` (an abstract name if it starts with a
    /// NUL byte, on Linux and Android).
    ///
    /// # Errors
    ///
    /// The OS error from `sendto`.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"let dir = std::env::temp_dir().join(format!("filch-doc-dgram-{}", std::process::id()));
std::fs::create_dir_all(&dir)?;
let path = dir.join("send_to.sock");
let _ = std::fs::remove_file(&path);
let server = filch::net::UnixDatagram::bind(&path)?;
let client = filch::net::UnixDatagram::unbound()?;
client.send_to(b"hi", &path).await?;
assert_eq!(server.recv(&mut [0; 4]).await?, 2);
std::fs::remove_file(&path)?;
# let _ = (a, b);"#)]
    pub async fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        let address = SockAddr::unix(path)?;
        self.io
            .async_io(Direction::Write, |s| {
                SockRef::from(s).send_to(buf, &address)
            })
            .await
    }

    /// Receives a datagram and the address of its sender, waiting until one is queued.
    ///
    /// # Errors
    ///
    /// The OS error from `recvfrom`.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"a.send(b"hi").await?;
let mut buf = [0; 8];
let (n, from) = b.recv_from(&mut buf).await?;
assert_eq!(n, 2);
assert!(from.is_unnamed()); // a socketpair's ends have no name"#)]
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.recv_from(buf).await
    }

    /// Sends a datagram to the connected peer now, without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the send buffer is full, or the OS error from `send`.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"assert_eq!(a.try_send(b"hi")?, 2);
# let _ = b;"#)]
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_send(buf)
    }

    /// Receives a datagram from the connected peer now, without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when no datagram is queued, or the OS error from `recv`.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"let err = b.try_recv(&mut [0; 8]).unwrap_err();
assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
a.try_send(b"hi")?;
assert_eq!(b.try_recv(&mut [0; 8])?, 2); // a socketpair delivers at once
# let _ = a;"#)]
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_recv(buf)
    }

    /// Sends a datagram to the socket bound at `path` now, without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the send buffer is full, or the OS error from `sendto`.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"let dir = std::env::temp_dir().join(format!("filch-doc-dgram-{}", std::process::id()));
std::fs::create_dir_all(&dir)?;
let path = dir.join("try_send_to.sock");
let _ = std::fs::remove_file(&path);
let server = filch::net::UnixDatagram::bind(&path)?;
let client = filch::net::UnixDatagram::unbound()?;
assert_eq!(client.try_send_to(b"hi", &path)?, 2);
assert_eq!(server.recv(&mut [0; 4]).await?, 2);
std::fs::remove_file(&path)?;
# let _ = (a, b);"#)]
    pub fn try_send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        let address = SockAddr::unix(path)?;
        self.io.try_io(Direction::Write, |s| {
            SockRef::from(s).send_to(buf, &address)
        })
    }

    /// Receives a datagram and its sender now, without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when no datagram is queued, or the OS error from `recvfrom`.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"a.try_send(b"hi")?;
let (n, _from) = b.try_recv_from(&mut [0; 8])?;
assert_eq!(n, 2);"#)]
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_recv_from(buf)
    }

    /// The `poll_*` form of [`send`](Self::send); only the task that polled last is woken.
    ///
    /// # Errors
    ///
    /// As for [`send`](Self::send).
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"let n = std::future::poll_fn(|cx| a.poll_send(cx, b"hi")).await?;
assert_eq!(n, 2);
# let _ = b;"#)]
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_send(cx, buf)
    }

    /// The `poll_*` form of [`recv`](Self::recv): `Ready(Ok(n))` with the datagram's first
    /// `n` bytes in `buf` (a byte slice where tokio's takes a `ReadBuf`).
    ///
    /// # Errors
    ///
    /// As for [`recv`](Self::recv).
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"a.send(b"hi").await?;
let mut buf = [0; 8];
let n = std::future::poll_fn(|cx| b.poll_recv(cx, &mut buf)).await?;
assert_eq!(&buf[..n], b"hi");"#)]
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_recv(cx, buf)
    }

    /// The `poll_*` form of [`send_to`](Self::send_to).
    ///
    /// # Errors
    ///
    /// As for [`send_to`](Self::send_to).
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"let dir = std::env::temp_dir().join(format!("filch-doc-dgram-{}", std::process::id()));
std::fs::create_dir_all(&dir)?;
let path = dir.join("poll_send_to.sock");
let _ = std::fs::remove_file(&path);
let server = filch::net::UnixDatagram::bind(&path)?;
let n = std::future::poll_fn(|cx| a.poll_send_to(cx, b"hi", &path)).await?;
assert_eq!(n, 2);
assert_eq!(server.recv(&mut [0; 4]).await?, 2);
std::fs::remove_file(&path)?;
# let _ = b;"#)]
    pub fn poll_send_to<P: AsRef<Path>>(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        path: P,
    ) -> Poll<io::Result<usize>> {
        let address = SockAddr::unix(path)?;
        self.io.poll_io(cx, Direction::Write, |s| {
            SockRef::from(s).send_to(buf, &address)
        })
    }

    /// The `poll_*` form of [`recv_from`](Self::recv_from): `Ready(Ok((n, sender)))`.
    ///
    /// # Errors
    ///
    /// As for [`recv_from`](Self::recv_from).
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"a.send(b"hi").await?;
let mut buf = [0; 8];
let (n, _from) = std::future::poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await?;
assert_eq!(n, 2);"#)]
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_recv_from(cx, buf)
    }

    /// Polls until a datagram is (probably) queued; only the task that polled last is woken.
    ///
    /// # Errors
    ///
    /// Fails after the runtime has shut down.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"a.send(b"hi").await?;
std::future::poll_fn(|cx| b.poll_recv_ready(cx)).await?;"#)]
    pub fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready_unit(cx, Direction::Read)
    }

    /// Polls until the socket can (probably) send; only the task that polled last is woken.
    ///
    /// # Errors
    ///
    /// Fails after the runtime has shut down.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"std::future::poll_fn(|cx| a.poll_send_ready(cx)).await?;
# let _ = b;"#)]
    pub fn poll_send_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready_unit(cx, Direction::Write)
    }

    /// Waits until a datagram is (probably) queued. Any number of tasks may wait at once.
    ///
    /// # Errors
    ///
    /// Fails after the runtime has shut down.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"a.send(b"hi").await?;
b.readable().await?;
assert_eq!(b.try_recv(&mut [0; 8])?, 2);"#)]
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readable().await
    }

    /// Waits until the socket can (probably) send.
    ///
    /// # Errors
    ///
    /// Fails after the runtime has shut down.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"a.writable().await?;
a.try_send(b"hi")?;
# let _ = b;"#)]
    pub async fn writable(&self) -> io::Result<()> {
        self.io.writable().await
    }

    /// Waits until the socket is ready for at least one of `interest`, and says which.
    ///
    /// # Errors
    ///
    /// Fails after the runtime has shut down.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"use filch::io::Interest;
let ready = a.ready(Interest::WRITABLE).await?;
assert!(ready.is_writable());
# let _ = b;"#)]
    pub async fn ready(&self, interest: crate::io::Interest) -> io::Result<crate::io::Ready> {
        self.io.ready(interest).await
    }

    /// Runs `f`, an operation of the caller's own on the descriptor, once; a `WouldBlock`
    /// from it clears the readiness of `interest` (see
    /// [`TcpStream::try_io`](crate::net::TcpStream::try_io)).
    ///
    /// # Errors
    ///
    /// Whatever `f` returns.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"use filch::io::Interest;
let sent = a.try_io(Interest::WRITABLE, || socket2::SockRef::from(&a).send(b"hi"))?;
assert_eq!(sent, 2);
# let _ = b;"#)]
    pub fn try_io<R>(
        &self,
        interest: crate::io::Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.try_io_interest(interest, f)
    }

    /// The local address.
    ///
    /// # Errors
    ///
    /// The OS error from `getsockname`.
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"assert!(a.local_addr()?.is_unnamed());
# let _ = b;"#)]
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// The OS error from `getpeername` (`NotConnected` when not connected).
    ///
    #[doc = crate::net::socket::doc_example!("# let (a, b) = filch::net::UnixDatagram::pair()?;\n", "// `a` and `b`: a connected pair of sockets.\n", r#"assert!(a.peer_addr()?.is_unnamed());
# let _ = b;"#)]
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr()
    }
}

crate::io_source::socket_traits!(UnixDatagram, std::os::unix::net::UnixDatagram);
