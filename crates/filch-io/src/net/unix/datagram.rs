//! [`UnixDatagram`].

use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;

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
    /// Creates a socket bound to `path` (which must not exist yet).
    ///
    /// # Errors
    ///
    /// The OS error from `bind`, or an error outside a filch runtime with the I/O driver.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        Self::from_std(std::os::unix::net::UnixDatagram::bind(path)?)
    }

    /// Creates a socket bound to no address (it can send, and receive replies only if it
    /// connects).
    ///
    /// # Errors
    ///
    /// The OS error from `socket`, or an error outside a filch runtime with the I/O driver.
    pub fn unbound() -> io::Result<UnixDatagram> {
        Self::from_std(std::os::unix::net::UnixDatagram::unbound()?)
    }

    /// Creates a connected pair of sockets.
    ///
    /// # Errors
    ///
    /// The OS error from `socketpair`, or an error outside a filch runtime with the I/O
    /// driver.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        socket::pair(std::os::unix::net::UnixDatagram::pair()?, "`UnixDatagram`")
    }

    /// Wraps a standard-library socket, switching it to non-blocking mode.
    ///
    /// # Errors
    ///
    /// Fails outside a filch runtime with the I/O driver, or if the descriptor cannot be
    /// registered with the OS poller.
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket::from_std(socket, "`UnixDatagram`")
    }

    /// Deregisters the socket and returns it as a standard-library socket, still in
    /// non-blocking mode.
    ///
    /// # Errors
    ///
    /// Fails if the OS poller refuses to deregister the descriptor.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        self.io.into_inner()
    }

    /// Sets the default destination for [`send`](Self::send) and the only source
    /// [`recv`](Self::recv) accepts datagrams from. Connecting a datagram socket does not
    /// block.
    ///
    /// # Errors
    ///
    /// The OS error from `connect`.
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    crate::net::socket::forward! {
        /// Sends a datagram to the connected peer.
        ///
        /// # Errors
        ///
        /// The OS error from `send`.
        pub async fn send(&self, buf: &[u8]) -> io::Result<usize>;

        /// Receives a datagram from the connected peer.
        ///
        /// # Errors
        ///
        /// The OS error from `recv`.
        pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize>;
    }

    /// Sends a datagram to the socket bound at `path`.
    ///
    /// # Errors
    ///
    /// The OS error from `sendto`.
    pub async fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        let path = path.as_ref();
        self.io
            .async_io(Direction::Write, |s| s.send_to(buf, path))
            .await
    }

    crate::net::socket::forward! {
        /// Receives a datagram and the address of its sender.
        ///
        /// # Errors
        ///
        /// The OS error from `recvfrom`.
        pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)>;

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

        /// The local address.
        ///
        /// # Errors
        ///
        /// The OS error from `getsockname`.
        pub fn local_addr(&self) -> io::Result<SocketAddr>;

        /// The connected peer's address.
        ///
        /// # Errors
        ///
        /// The OS error from `getpeername`.
        pub fn peer_addr(&self) -> io::Result<SocketAddr>;
    }
}

crate::io_source::socket_traits!(UnixDatagram, std::os::unix::net::UnixDatagram);
