//! [`UdpSocket`].

use std::io;
use std::net::SocketAddr;

use crate::io_source::PollEvented;
use crate::net::addr::{no_addresses, resolve, try_each, ToSocketAddrs};
use crate::net::socket;
use crate::scheduled_io::Direction;

/// A UDP socket.
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
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket::from_std(socket, "`UdpSocket`")
    }

    /// Deregisters the socket and returns it as a standard-library socket, still in
    /// non-blocking mode.
    ///
    /// # Errors
    ///
    /// Fails if the OS poller refuses to deregister the descriptor.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        self.io.into_inner()
    }

    /// Sets the default destination for [`send`](Self::send) and the only source
    /// [`recv`](Self::recv) accepts datagrams from.
    ///
    /// # Errors
    ///
    /// The OS error from `connect`, or an error if `addr` resolves to nothing.
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        let addrs = resolve(addr).await?;
        try_each(addrs, |addr| async move { self.io.get_ref().connect(addr) }).await
    }

    crate::net::socket::forward! {
        /// Sends a datagram to the connected peer.
        ///
        /// # Errors
        ///
        /// The OS error from `send` (for example `ConnectionRefused` after an ICMP port
        /// unreachable, or an error if the socket is not connected).
        pub async fn send(&self, buf: &[u8]) -> io::Result<usize>;

        /// Receives a datagram from the connected peer into `buf`; excess bytes of a longer
        /// datagram are discarded.
        ///
        /// # Errors
        ///
        /// The OS error from `recv`.
        pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize>;
    }

    /// Sends a datagram to `target` (its first address).
    ///
    /// # Errors
    ///
    /// The OS error from `sendto`, or an error if `target` resolves to nothing.
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let target = *resolve(target).await?.first().ok_or_else(no_addresses)?;
        self.io
            .async_io(Direction::Write, |s| s.send_to(buf, target))
            .await
    }

    crate::net::socket::forward! {
        /// Receives a datagram into `buf`, returning its length and its sender.
        ///
        /// # Errors
        ///
        /// The OS error from `recvfrom`.
        pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)>;
    }

    /// Like [`recv_from`](Self::recv_from) but leaves the datagram queued.
    ///
    /// # Errors
    ///
    /// The OS error from `recvfrom(MSG_PEEK)`.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .async_io(Direction::Read, |s| s.peek_from(buf))
            .await
    }

    /// Sends a datagram to `target` now, without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when the send buffer is full, or the OS error from `sendto`.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io.try_io(Direction::Write, |s| s.send_to(buf, target))
    }

    /// Receives a datagram now, without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` when no datagram is queued, or the OS error from `recvfrom`.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Direction::Read, |s| s.recv_from(buf))
    }

    crate::net::socket::forward! {
        /// Waits until a datagram is (probably) queued.
        ///
        /// # Errors
        ///
        /// Fails after the runtime has shut down.
        pub async fn readable(&self) -> io::Result<()>;

        /// Waits until the socket can (probably) send.
        ///
        /// # Errors
        ///
        /// Fails after the runtime has shut down.
        pub async fn writable(&self) -> io::Result<()>;

        /// The local address the socket is bound to.
        ///
        /// # Errors
        ///
        /// The OS error from `getsockname`.
        pub fn local_addr(&self) -> io::Result<SocketAddr>;

        /// The connected peer's address.
        ///
        /// # Errors
        ///
        /// `NotConnected` if [`connect`](Self::connect) was not called.
        pub fn peer_addr(&self) -> io::Result<SocketAddr>;
    }
}

crate::io_source::socket_traits!(UdpSocket, std::net::UdpSocket);
