//! [`UnixListener`].

use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use socket2::{Domain, SockAddr, Socket, Type};

use crate::io_source::PollEvented;
use crate::net::socket;
use crate::net::unix::UnixStream;

/// A Unix domain socket that accepts stream connections.
///
/// ```
/// use filch::net::{UnixListener, UnixStream};
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let dir = std::env::temp_dir().join(format!("filch-doc-{}", std::process::id()));
///     std::fs::create_dir_all(&dir)?;
///     let path = dir.join("listener.sock");
///     let _ = std::fs::remove_file(&path);
///     let listener = UnixListener::bind(&path)?;
///     let client = UnixStream::connect(&path).await?;
///     let (server_side, _addr) = listener.accept().await?;
///     # let _ = (client, server_side);
///     std::fs::remove_file(&path)?;
///     std::io::Result::Ok(())
/// }).unwrap();
/// ```
pub struct UnixListener {
    io: PollEvented<std::os::unix::net::UnixListener>,
}

impl UnixListener {
    /// Creates a listener bound to `path`. The path must not exist yet. On Linux and Android a
    /// path that starts with a NUL byte (`"\0name"`) is an abstract name, as in tokio: no file
    /// is created, and the name disappears with the listener.
    ///
    /// ```
    /// # #[cfg(any(target_os = "linux", target_os = "android"))]
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let name = format!("\0filch-doc-{}", std::process::id());
    /// let listener = filch::net::UnixListener::bind(&name)?;
    /// let _client = filch::net::UnixStream::connect(&name).await?;
    /// let (_server_side, _) = listener.accept().await?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// The OS error from `bind` (`AddrInUse` if the path exists), or an error outside a filch
    /// runtime with the I/O driver.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        let path = path.as_ref();
        if super::is_abstract(path) {
            let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
            socket.bind(&SockAddr::unix(path)?)?;
            socket.listen(crate::net::tcp::LISTEN_BACKLOG)?;
            return Self::from_std(OwnedFd::from(socket).into());
        }
        Self::from_std(std::os::unix::net::UnixListener::bind(path)?)
    }

    /// Wraps a standard-library listener, switching it to non-blocking mode.
    ///
    /// # Errors
    ///
    /// Fails outside a filch runtime with the I/O driver, or if the descriptor cannot be
    /// registered with the OS poller.
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("filch-doc-ul-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("from_std.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let std_listener = std::os::unix::net::UnixListener::bind(&path)?;
    /// let listener = filch::net::UnixListener::from_std(std_listener)?;
    /// # drop(listener);
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        socket::from_std(listener, "`UnixListener`")
    }

    /// Deregisters the listener and returns it as a standard-library listener, still in
    /// non-blocking mode.
    ///
    /// # Errors
    ///
    /// Fails if the OS poller refuses to deregister the descriptor.
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// # let dir = std::env::temp_dir().join(format!("filch-doc-ul-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("into_std.sock");
    /// # let _ = std::fs::remove_file(&path);
    /// let listener = filch::net::UnixListener::bind(&path)?;
    /// let std_listener = listener.into_std()?;
    /// std_listener.set_nonblocking(false)?;
    /// std::fs::remove_file(&path)?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        self.io.into_inner()
    }

    crate::net::socket::forward! {
        /// Accepts a connection, waiting for one if none is pending. Like
        /// [`TcpListener::accept`](crate::net::TcpListener::accept), a descriptor-exhaustion error
        /// leaves the listener usable: log the error and back off rather than end the server or
        /// retry at once.
        ///
        /// ```no_run
        /// use std::time::Duration;
        /// use filch::net::UnixListener;
        ///
        /// async fn serve(listener: UnixListener) {
        ///     loop {
        ///         match listener.accept().await {
        ///             Ok((stream, _addr)) => {
        ///                 filch::spawn(async move {
        ///                     // Talk to the client on `stream` here.
        ///                     drop(stream);
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
        ///     serve(UnixListener::bind("/tmp/server.sock")?).await;
        ///     std::io::Result::Ok(())
        /// }).unwrap();
        /// ```
        ///
        /// # Errors
        ///
        /// The OS error from `accept`, or an error after the runtime has shut down.
        pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)>;

        /// Polls for a connection; only the most recent task to call it is woken.
        ///
        /// # Errors
        ///
        /// As for [`accept`](Self::accept).
        ///
        /// ```
        /// # filch::runtime::Runtime::new().unwrap().block_on(async {
        /// # let dir = std::env::temp_dir().join(format!("filch-doc-ul-{}", std::process::id()));
        /// # std::fs::create_dir_all(&dir)?;
        /// let path = dir.join("poll_accept.sock");
        /// # let _ = std::fs::remove_file(&path);
        /// let listener = filch::net::UnixListener::bind(&path)?;
        /// let _client = filch::net::UnixStream::connect(&path).await?;
        /// let (_stream, _addr) = std::future::poll_fn(|cx| listener.poll_accept(cx)).await?;
        /// std::fs::remove_file(&path)?;
        /// # std::io::Result::Ok(()) }).unwrap();
        /// ```
        pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>>;

        /// The address the listener is bound to.
        ///
        /// # Errors
        ///
        /// The OS error from `getsockname`.
        ///
        /// ```
        /// # filch::runtime::Runtime::new().unwrap().block_on(async {
        /// # let dir = std::env::temp_dir().join(format!("filch-doc-ul-{}", std::process::id()));
        /// # std::fs::create_dir_all(&dir)?;
        /// let path = dir.join("local_addr.sock");
        /// # let _ = std::fs::remove_file(&path);
        /// let listener = filch::net::UnixListener::bind(&path)?;
        /// assert_eq!(listener.local_addr()?.as_pathname(), Some(path.as_path()));
        /// std::fs::remove_file(&path)?;
        /// # std::io::Result::Ok(()) }).unwrap();
        /// ```
        pub fn local_addr(&self) -> io::Result<SocketAddr>;
    }
}

crate::io_source::socket_traits!(UnixListener, std::os::unix::net::UnixListener);
