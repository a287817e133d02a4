//! [`TcpListener`].

use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use socket2::{Domain, Protocol, Socket, Type};

use crate::io_source::PollEvented;
use crate::net::addr::{resolve, try_each, ToSocketAddrs};
use crate::net::tcp::TcpStream;

/// The listen backlog: a burst of a thousand connects fits without resets or SYN retries
/// (the kernel may still cap it at `net.core.somaxconn`).
pub(crate) const LISTEN_BACKLOG: i32 = 1024;

/// A TCP socket that accepts connections.
///
/// ```
/// use filch_io::net::{TcpListener, TcpStream};
///
/// let rt = filch_executor::runtime::Builder::new().driver(filch_io::new_driver).build().unwrap();
/// rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let client = filch_executor::spawn(async move { TcpStream::connect(addr).await });
///     let (server_side, peer) = listener.accept().await?;
///     let client = client.await.unwrap()?;
///     assert_eq!(peer, client.local_addr()?);
///     assert_eq!(server_side.peer_addr()?, client.local_addr()?);
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
pub struct TcpListener {
    pub(crate) io: PollEvented<std::net::TcpListener>,
}

impl TcpListener {
    /// Binds a listener to `addr` with a backlog of 1024 and `SO_REUSEADDR` set.
    ///
    /// If `addr` resolves to several addresses, each is tried in turn and the first that binds
    /// is used. Host names are resolved on the blocking pool.
    ///
    /// # Errors
    ///
    /// The OS error of the last address tried (for example `AddrInUse`), an error if `addr`
    /// resolves to nothing, or an error if called outside a filch runtime with the I/O driver.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        let addrs = resolve(addr).await?;
        try_each(addrs, |addr| async move { Self::bind_addr(addr) }).await
    }

    fn bind_addr(addr: SocketAddr) -> io::Result<TcpListener> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_reuse_address(true)?;
        socket.set_nonblocking(true)?;
        socket.bind(&addr.into())?;
        socket.listen(LISTEN_BACKLOG)?;
        Self::from_std(socket.into())
    }

    /// Wraps a listener from the standard library, switching it to non-blocking mode.
    ///
    /// ```
    /// let rt = filch_executor::runtime::Builder::new().driver(filch_io::new_driver).build().unwrap();
    /// let _guard = rt.enter();
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let listener = filch_io::net::TcpListener::from_std(std_listener).unwrap();
    /// let back: std::net::TcpListener = listener.into_std().unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// Fails outside a filch runtime with the I/O driver, or if the descriptor cannot be
    /// registered with the OS poller.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        let io = PollEvented::from_std(listener, "`TcpListener`")?;
        Ok(TcpListener { io })
    }

    /// Deregisters the listener and returns it as a standard-library listener, still in
    /// non-blocking mode (call `set_nonblocking(false)` to block on it).
    ///
    /// # Errors
    ///
    /// Fails if the OS poller refuses to deregister the descriptor.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        self.io.into_inner()
    }

    /// Accepts a connection, waiting for one if none is pending.
    ///
    /// Any number of tasks may wait in `accept` on one listener. If the process or system runs
    /// out of file descriptors (`EMFILE`, `ENFILE`) the error is returned and the pending
    /// connection stays queued: the listener remains usable, and a later `accept` succeeds
    /// once descriptors are free again.
    ///
    /// # Errors
    ///
    /// The OS error from `accept`, or an error after the runtime has shut down.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (io, addr) = self.io.accept().await?;
        Ok((TcpStream { io }, addr))
    }

    /// Polls for a connection (the `poll_*` form of [`accept`](Self::accept)); only the most
    /// recent task to call it is woken.
    ///
    /// # Errors
    ///
    /// As for [`accept`](Self::accept).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        self.io
            .poll_accept(cx)
            .map_ok(|(io, addr)| (TcpStream { io }, addr))
    }

    crate::net::socket::forward_to_io! {
        /// The local address the listener is bound to.
        ///
        /// # Errors
        ///
        /// The OS error from `getsockname`.
        pub fn local_addr(&self) -> io::Result<SocketAddr>;
    }
}

crate::io_source::socket_traits!(TcpListener);
