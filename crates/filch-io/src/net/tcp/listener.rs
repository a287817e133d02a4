//! [`TcpListener`].

use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use socket2::{Domain, Protocol, Socket, Type};

use crate::io_source::PollEvented;
use crate::net::addr::{resolve, try_each, ToSocketAddrs};
use crate::net::socket;
use crate::net::tcp::TcpStream;

/// The listen backlog: a burst of a thousand connects fits without resets or SYN retries
/// (the kernel may still cap it at `net.core.somaxconn`).
pub(crate) const LISTEN_BACKLOG: i32 = 1024;

/// A TCP socket that accepts connections.
///
/// ```
/// use filch::net::{TcpListener, TcpStream};
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let client = filch::spawn(async move { TcpStream::connect(addr).await });
///     let (server_side, peer) = listener.accept().await?;
///     let client = client.await.unwrap()?;
///     assert_eq!(peer, client.local_addr()?);
///     assert_eq!(server_side.peer_addr()?, client.local_addr()?);
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
pub struct TcpListener {
    io: PollEvented<std::net::TcpListener>,
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
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let listener = filch::net::TcpListener::bind("127.0.0.1:0").await?;
    /// assert_ne!(listener.local_addr()?.port(), 0);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
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
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// let _guard = rt.enter();
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let listener = filch::net::TcpListener::from_std(std_listener).unwrap();
    /// let back: std::net::TcpListener = listener.into_std().unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// Fails outside a filch runtime with the I/O driver, or if the descriptor cannot be
    /// registered with the OS poller.
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        socket::from_std(listener, "`TcpListener`")
    }

    /// Deregisters the listener and returns it as a standard-library listener, still in
    /// non-blocking mode (call `set_nonblocking(false)` to block on it).
    ///
    /// # Errors
    ///
    /// Fails if the OS poller refuses to deregister the descriptor.
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let listener = filch::net::TcpListener::bind("127.0.0.1:0").await?;
    /// let std_listener = listener.into_std()?;
    /// std_listener.set_nonblocking(false)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        self.io.into_inner()
    }

    crate::net::socket::forward! {
        /// Accepts a connection, waiting for one if none is pending.
        ///
        /// Any number of tasks may wait in `accept` on one listener. If the process or system runs
        /// out of file descriptors (`EMFILE`, `ENFILE`) the error is returned and the pending
        /// connection stays queued: the listener remains usable, and a later `accept` succeeds
        /// once descriptors are free again.
        ///
        /// So a server should not end on an `accept` error (as `listener.accept().await?` in its
        /// loop would), nor retry at once (the connection is still queued, so the listener stays
        /// readable and the loop would spin a core until a descriptor frees): log the error and
        /// back off a little.
        ///
        /// ```no_run
        /// use std::time::Duration;
        /// use filch::net::TcpListener;
        ///
        /// async fn serve(listener: TcpListener) {
        ///     loop {
        ///         match listener.accept().await {
        ///             Ok((stream, peer)) => {
        ///                 filch::spawn(async move {
        ///                     // Talk to `peer` on `stream` here.
        ///                     let _ = (stream, peer);
        ///                 });
        ///             }
        ///             Err(error) => {
        ///                 eprintln!("accept failed: {error}");
        ///                 filch::time::sleep(Duration::from_millis(100)).await;
        ///             }
        ///         }
        ///     }
        /// }
        ///
        /// let rt = filch::runtime::Runtime::new().unwrap();
        /// rt.block_on(async {
        ///     serve(TcpListener::bind("127.0.0.1:8080").await?).await;
        ///     std::io::Result::Ok(())
        /// }).unwrap();
        /// ```
        ///
        /// # Errors
        ///
        /// The OS error from `accept`, or an error after the runtime has shut down.
        pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)>;

        /// Polls for a connection (the `poll_*` form of [`accept`](Self::accept)); only the most
        /// recent task to call it is woken.
        ///
        /// # Errors
        ///
        /// As for [`accept`](Self::accept).
        ///
        /// ```
        /// # filch::runtime::Runtime::new().unwrap().block_on(async {
        /// let listener = filch::net::TcpListener::bind("127.0.0.1:0").await?;
        /// let client = filch::net::TcpStream::connect(listener.local_addr()?).await?;
        /// let (_stream, peer) = std::future::poll_fn(|cx| listener.poll_accept(cx)).await?;
        /// assert_eq!(peer, client.local_addr()?);
        /// # std::io::Result::Ok(()) }).unwrap();
        /// ```
        pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>>;

        /// The local address the listener is bound to.
        ///
        /// # Errors
        ///
        /// The OS error from `getsockname`.
        ///
        /// ```
        /// # filch::runtime::Runtime::new().unwrap().block_on(async {
        /// let listener = filch::net::TcpListener::bind("127.0.0.1:0").await?;
        /// assert!(listener.local_addr()?.ip().is_loopback());
        /// # std::io::Result::Ok(()) }).unwrap();
        /// ```
        pub fn local_addr(&self) -> io::Result<SocketAddr>;
    }
}

crate::io_source::socket_traits!(TcpListener, std::net::TcpListener);
