//! [`UdpSocket`].

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::task::{Context, Poll};

use crate::io_source::PollEvented;
use crate::net::addr::{no_addresses, resolve, try_each, ToSocketAddrs};
use crate::net::socket;
use crate::scheduled_io::Direction;

/// A UDP socket.
///
/// Every method has tokio's name. Where tokio's `poll_recv`/`poll_recv_from` take a `ReadBuf`,
/// filch's take a byte slice and return the length (filch has no `ReadBuf`).
///
/// All methods take `&self`, so one socket can be shared (for example in an `Arc`) by a task
/// that receives and a task that sends; any number of tasks may wait on it at once.
///
/// ```
/// use filch::net::UdpSocket;
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await?;
///     let b = UdpSocket::bind("127.0.0.1:0").await?;
///     a.send_to(b"hi", b.local_addr()?).await?;
///     let mut buf = [0; 8];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!((&buf[..n], from), (&b"hi"[..], a.local_addr()?));
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
pub struct UdpSocket {
    io: PollEvented<std::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds a socket to `addr` (the first of its addresses that binds).
    ///
    /// # Errors
    ///
    /// The OS error of the last address tried, an error if `addr` resolves to nothing, or an
    /// error outside a filch runtime with the I/O driver.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"let socket = filch::net::UdpSocket::bind("127.0.0.1:0").await?;
assert_ne!(socket.local_addr()?.port(), 0);
# let _ = (a, b);"#)]
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        let addrs = resolve(addr).await?;
        try_each(addrs, |addr| async move {
            Self::from_std(std::net::UdpSocket::bind(addr)?)
        })
        .await
    }

    /// Wraps a standard-library socket, switching it to non-blocking mode.
    ///
    /// # Errors
    ///
    /// Fails outside a filch runtime with the I/O driver, or if the descriptor cannot be
    /// registered with the OS poller.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"let std_socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
let socket = filch::net::UdpSocket::from_std(std_socket)?;
# let _ = (a, b, socket);"#)]
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket::from_std(socket, "`UdpSocket`")
    }

    /// Deregisters the socket and returns it as a standard-library socket, still in
    /// non-blocking mode.
    ///
    /// # Errors
    ///
    /// Fails if the OS poller refuses to deregister the descriptor.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"let std_socket: std::net::UdpSocket = a.into_std()?;
std_socket.set_nonblocking(false)?;
# let _ = b;"#)]
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        self.io.into_inner()
    }

    /// Sets the default destination for [`send`](Self::send) and the only source
    /// [`recv`](Self::recv) accepts datagrams from.
    ///
    /// # Errors
    ///
    /// The OS error from `connect`, or an error if `addr` resolves to nothing.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"a.connect(b.local_addr()?).await?;
assert_eq!(a.peer_addr()?, b.local_addr()?);"#)]
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        let addrs = resolve(addr).await?;
        try_each(addrs, |addr| async move { self.io.get_ref().connect(addr) }).await
    }

    /// Sends a datagram to the connected peer, waiting until the socket can send.
    ///
    /// # Errors
    ///
    /// The OS error from `send` (for example `ConnectionRefused` after an ICMP port
    /// unreachable, or an error if the socket is not connected).
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"a.connect(b.local_addr()?).await?;
assert_eq!(a.send(b"hi").await?, 2);"#)]
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.send(buf).await
    }

    /// Receives a datagram from the connected peer into `buf`, waiting until one is queued;
    /// excess bytes of a longer datagram are discarded.
    ///
    /// # Errors
    ///
    /// The OS error from `recv`.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"b.connect(a.local_addr()?).await?;
a.send_to(b"hi", b.local_addr()?).await?;
let mut buf = [0; 8];
let n = b.recv(&mut buf).await?;
assert_eq!(&buf[..n], b"hi");"#)]
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.recv(buf).await
    }

    /// Sends a datagram to `target` (its first address).
    ///
    /// # Errors
    ///
    /// The OS error from `sendto`, or an error if `target` resolves to nothing.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"assert_eq!(a.send_to(b"hi", b.local_addr()?).await?, 2);"#)]
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let target = *resolve(target).await?.first().ok_or_else(no_addresses)?;
        self.io
            .async_io(Direction::Write, |s| s.send_to(buf, target))
            .await
    }

    /// Receives a datagram into `buf`, returning its length and its sender.
    ///
    /// # Errors
    ///
    /// The OS error from `recvfrom`.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"a.send_to(b"hi", b.local_addr()?).await?;
let mut buf = [0; 8];
let (n, from) = b.recv_from(&mut buf).await?;
assert_eq!((&buf[..n], from), (&b"hi"[..], a.local_addr()?));"#)]
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.recv_from(buf).await
    }

    /// Like [`recv_from`](Self::recv_from) but leaves the datagram queued.
    ///
    /// # Errors
    ///
    /// The OS error from `recvfrom(MSG_PEEK)`.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"a.send_to(b"hi", b.local_addr()?).await?;
let mut buf = [0; 8];
let (n, from) = b.peek_from(&mut buf).await?;
assert_eq!((n, from), (2, a.local_addr()?));
assert_eq!(b.recv_from(&mut buf).await?.0, 2); // still queued"#)]
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .async_io(Direction::Read, |s| s.peek_from(buf))
            .await
    }

    /// Sends a datagram to the connected peer now, without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the send buffer is full, or the OS error from `send`.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"a.connect(b.local_addr()?).await?;
assert_eq!(a.try_send(b"hi")?, 2);"#)]
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_send(buf)
    }

    /// Receives a datagram from the connected peer now, without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when no datagram is queued, or the OS error from `recv`.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"b.connect(a.local_addr()?).await?;
let err = b.try_recv(&mut [0; 8]).unwrap_err();
assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);"#)]
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_recv(buf)
    }

    /// Sends a datagram to `target` now, without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the send buffer is full, or the OS error from `sendto`.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"assert_eq!(a.try_send_to(b"hi", b.local_addr()?)?, 2);"#)]
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |s| s.send_to(buf, target))
    }

    /// Receives a datagram and its sender now, without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when no datagram is queued, or the OS error from `recvfrom`.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"a.send_to(b"hi", b.local_addr()?).await?;
let mut buf = [0; 8];
let (n, from) = loop {
    b.readable().await?;
    match b.try_recv_from(&mut buf) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
        other => break other?,
    }
};
assert_eq!((n, from), (2, a.local_addr()?));"#)]
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_recv_from(buf)
    }

    /// The `poll_*` form of [`send`](Self::send); only the task that polled last is woken.
    ///
    /// # Errors
    ///
    /// As for [`send`](Self::send).
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"a.connect(b.local_addr()?).await?;
let n = std::future::poll_fn(|cx| a.poll_send(cx, b"hi")).await?;
assert_eq!(n, 2);"#)]
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_send(cx, buf)
    }

    /// The `poll_*` form of [`recv`](Self::recv): `Ready(Ok(n))` with the datagram's first
    /// `n` bytes in `buf`. (filch has no `ReadBuf`: this takes a byte slice and returns the
    /// length, where tokio's takes a `ReadBuf`.)
    ///
    /// # Errors
    ///
    /// As for [`recv`](Self::recv).
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"b.connect(a.local_addr()?).await?;
a.send_to(b"hi", b.local_addr()?).await?;
let mut buf = [0; 8];
let n = std::future::poll_fn(|cx| b.poll_recv(cx, &mut buf)).await?;
assert_eq!(&buf[..n], b"hi");"#)]
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_recv(cx, buf)
    }

    /// The `poll_*` form of [`send_to`](Self::send_to), to an address already resolved.
    ///
    /// # Errors
    ///
    /// As for [`send_to`](Self::send_to).
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"let to = b.local_addr()?;
let n = std::future::poll_fn(|cx| a.poll_send_to(cx, b"hi", to)).await?;
assert_eq!(n, 2);"#)]
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.io
            .poll_io(cx, Direction::Write, |s| s.send_to(buf, target))
    }

    /// The `poll_*` form of [`recv_from`](Self::recv_from): `Ready(Ok((n, sender)))`.
    /// (tokio's takes a `ReadBuf` and returns only the sender; see [`poll_recv`](Self::poll_recv).)
    ///
    /// # Errors
    ///
    /// As for [`recv_from`](Self::recv_from).
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"a.send_to(b"hi", b.local_addr()?).await?;
let mut buf = [0; 8];
let (n, from) = std::future::poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await?;
assert_eq!((n, from), (2, a.local_addr()?));"#)]
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
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"a.send_to(b"hi", b.local_addr()?).await?;
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
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"std::future::poll_fn(|cx| a.poll_send_ready(cx)).await?;
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
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"a.send_to(b"hi", b.local_addr()?).await?;
b.readable().await?;"#)]
    pub async fn readable(&self) -> io::Result<()> {
        self.io.readable().await
    }

    /// Waits until the socket can (probably) send.
    ///
    /// # Errors
    ///
    /// Fails after the runtime has shut down.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"a.writable().await?;
a.try_send_to(b"hi", b.local_addr()?)?;"#)]
    pub async fn writable(&self) -> io::Result<()> {
        self.io.writable().await
    }

    /// Waits until the socket is ready for at least one of `interest`, and says which.
    ///
    /// # Errors
    ///
    /// Fails after the runtime has shut down.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"use filch::io::Interest;
let ready = a.ready(Interest::READABLE | Interest::WRITABLE).await?;
assert!(!ready.is_empty());
# let _ = b;"#)]
    pub async fn ready(&self, interest: crate::io::Interest) -> io::Result<crate::io::Ready> {
        self.io.ready(interest).await
    }

    /// Runs `f`, an operation of the caller's own on the descriptor, once; a `WouldBlock`
    /// from it clears the readiness of `interest`, so that the next wait waits for a fresh
    /// event (see [`TcpStream::try_io`](crate::net::TcpStream::try_io)).
    ///
    /// # Errors
    ///
    /// Whatever `f` returns.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"use filch::io::Interest;
let to = b.local_addr()?;
let sent = a.try_io(Interest::WRITABLE, || {
    socket2::SockRef::from(&a).send_to(b"hi", &to.into())
})?;
assert_eq!(sent, 2);"#)]
    pub fn try_io<R>(
        &self,
        interest: crate::io::Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.try_io_interest(interest, f)
    }

    /// The local address the socket is bound to.
    ///
    /// # Errors
    ///
    /// The OS error from `getsockname`.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"assert!(a.local_addr()?.ip().is_loopback());
# let _ = b;"#)]
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` if [`connect`](Self::connect) was not called.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"assert!(a.peer_addr().is_err());
a.connect(b.local_addr()?).await?;
assert_eq!(a.peer_addr()?, b.local_addr()?);"#)]
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.peer_addr()
    }

    /// Sets `SO_BROADCAST`: whether the socket may send to a broadcast address.
    ///
    /// # Errors
    ///
    /// The OS error from `setsockopt`.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"a.set_broadcast(true)?;
assert!(a.broadcast()?);
# let _ = b;"#)]
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.set_broadcast(on)
    }

    /// Whether `SO_BROADCAST` is set.
    ///
    /// # Errors
    ///
    /// The OS error from `getsockopt`.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"assert!(!a.broadcast()?);
# let _ = b;"#)]
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.broadcast()
    }

    /// Joins the IPv4 multicast group `multiaddr` on the interface with address `interface`
    /// (`Ipv4Addr::UNSPECIFIED`: the system's choice).
    ///
    /// # Errors
    ///
    /// The OS error from `setsockopt(IP_ADD_MEMBERSHIP)` (for example `ENODEV` on a host with
    /// no multicast-capable interface).
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"use std::net::Ipv4Addr;
let group = Ipv4Addr::new(239, 255, 0, 1);
match a.join_multicast_v4(group, Ipv4Addr::LOCALHOST) {
    Ok(()) => a.leave_multicast_v4(group, Ipv4Addr::LOCALHOST)?,
    Err(e) => println!("this host does not do multicast here: {e}"),
}
# let _ = b;"#)]
    pub fn join_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.join_multicast_v4(&multiaddr, &interface)
    }

    /// Joins the IPv6 multicast group `multiaddr` on the interface with index `interface`
    /// (`0`: the system's choice). The socket must be an IPv6 one.
    ///
    /// # Errors
    ///
    /// The OS error from `setsockopt(IPV6_ADD_MEMBERSHIP)`.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"use std::net::Ipv6Addr;
if let Ok(v6) = filch::net::UdpSocket::bind("[::1]:0").await {
    let group = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x123);
    match v6.join_multicast_v6(&group, 0) {
        Ok(()) => v6.leave_multicast_v6(&group, 0)?,
        Err(e) => println!("this host does not do IPv6 multicast here: {e}"),
    }
}
# let _ = (a, b);"#)]
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.join_multicast_v6(multiaddr, interface)
    }

    /// Leaves an IPv4 multicast group joined with
    /// [`join_multicast_v4`](Self::join_multicast_v4).
    ///
    /// # Errors
    ///
    /// The OS error from `setsockopt(IP_DROP_MEMBERSHIP)` (`EADDRNOTAVAIL` when not a member).
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"use std::net::Ipv4Addr;
let group = Ipv4Addr::new(239, 255, 0, 2);
assert!(a.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).is_err()); // never joined
# let _ = b;"#)]
    pub fn leave_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.leave_multicast_v4(&multiaddr, &interface)
    }

    /// Leaves an IPv6 multicast group joined with
    /// [`join_multicast_v6`](Self::join_multicast_v6).
    ///
    /// # Errors
    ///
    /// The OS error from `setsockopt(IPV6_DROP_MEMBERSHIP)`.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"use std::net::Ipv6Addr;
if let Ok(v6) = filch::net::UdpSocket::bind("[::1]:0").await {
    let group = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x124);
    assert!(v6.leave_multicast_v6(&group, 0).is_err()); // never joined
}
# let _ = (a, b);"#)]
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.leave_multicast_v6(multiaddr, interface)
    }

    /// Sets `IP_MULTICAST_LOOP`: whether this host receives the IPv4 multicast datagrams
    /// the socket sends (on by default).
    ///
    /// # Errors
    ///
    /// The OS error from `setsockopt`.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"a.set_multicast_loop_v4(false)?;
assert!(!a.multicast_loop_v4()?);
# let _ = b;"#)]
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.io.set_multicast_loop_v4(on)
    }

    /// Whether `IP_MULTICAST_LOOP` is set.
    ///
    /// # Errors
    ///
    /// The OS error from `getsockopt`.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"assert!(a.multicast_loop_v4()?);
# let _ = b;"#)]
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.io.multicast_loop_v4()
    }

    /// Sets `IPV6_MULTICAST_LOOP` (IPv6 sockets only).
    ///
    /// # Errors
    ///
    /// The OS error from `setsockopt` (an error on an IPv4 socket).
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"if let Ok(v6) = filch::net::UdpSocket::bind("[::1]:0").await {
    v6.set_multicast_loop_v6(false)?;
    assert!(!v6.multicast_loop_v6()?);
}
# let _ = (a, b);"#)]
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.io.set_multicast_loop_v6(on)
    }

    /// Whether `IPV6_MULTICAST_LOOP` is set.
    ///
    /// # Errors
    ///
    /// The OS error from `getsockopt`.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"if let Ok(v6) = filch::net::UdpSocket::bind("[::1]:0").await {
    assert!(v6.multicast_loop_v6()?);
}
# let _ = (a, b);"#)]
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.io.multicast_loop_v6()
    }

    /// Sets `IP_MULTICAST_TTL`, how many hops the IPv4 multicast datagrams the socket sends
    /// may take (1 by default: the local network).
    ///
    /// # Errors
    ///
    /// The OS error from `setsockopt`.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"a.set_multicast_ttl_v4(4)?;
assert_eq!(a.multicast_ttl_v4()?, 4);
# let _ = b;"#)]
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.io.set_multicast_ttl_v4(ttl)
    }

    /// The `IP_MULTICAST_TTL` setting.
    ///
    /// # Errors
    ///
    /// The OS error from `getsockopt`.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"assert_eq!(a.multicast_ttl_v4()?, 1);
# let _ = b;"#)]
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.io.multicast_ttl_v4()
    }

    /// Sets `IP_TTL`, the time-to-live of the unicast datagrams the socket sends.
    ///
    /// # Errors
    ///
    /// The OS error from `setsockopt`.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"a.set_ttl(33)?;
assert_eq!(a.ttl()?, 33);
# let _ = b;"#)]
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.set_ttl(ttl)
    }

    /// The `IP_TTL` setting.
    ///
    /// # Errors
    ///
    /// The OS error from `getsockopt`.
    ///
    #[doc = crate::net::socket::doc_example!("# let a = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n# let b = filch::net::UdpSocket::bind(\"127.0.0.1:0\").await?;\n", "// `a` and `b`: two sockets bound on loopback.\n", r#"assert!(a.ttl()? > 0);
# let _ = b;"#)]
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.ttl()
    }
}

crate::io_source::socket_traits!(UdpSocket, std::net::UdpSocket);
