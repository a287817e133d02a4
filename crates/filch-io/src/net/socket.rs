//! What the six socket types share, written once: the operations of a [`PollEvented`] over a
//! standard-library socket that the public types forward to.
//!
//! * [`StdSocket`]: any standard-library socket. A [`PollEvented`] over one can be waited on
//!   (`readable`, `writable`); [`from_std`] and [`pair`] make a public socket type ([`Socket`])
//!   from one or two.
//! * [`StdListener`]: a listener; `accept` and `poll_accept` hand back the accepted stream as
//!   its public type, already registered with the listener's driver.
//! * [`StdStream`]: a byte stream; `try_read`, `try_write`, the `poll_*` forms behind
//!   `AsyncRead`/`AsyncWrite`, and the shutdown of the write side that `poll_close` does.
//! * [`StdDatagram`]: a datagram socket; `send`, `recv` and `recv_from`, waiting for readiness.
//!
//! The public types' methods are mostly one call each; [`forward`] writes those bodies, so that
//! each type keeps its own signatures and doc comments and nothing else.
//!
//! The design follows the idea of async-io's `Async<T>` and tokio's `PollEvented<E>`: one
//! generic over the OS object, with thin public types in front of it.

use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::task::{ready, Context, Poll};

use crate::io_source::PollEvented;
use crate::scheduled_io::Direction;

/// A standard-library socket that filch wraps.
pub(crate) trait StdSocket: AsFd + Sized {
    fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()>;
}

/// A standard-library listener.
pub(crate) trait StdListener: StdSocket {
    /// The type of its accepted connections.
    type Stream: StdSocket;
    /// The type of its peers' addresses.
    type Addr;

    fn accept(&self) -> io::Result<(Self::Stream, Self::Addr)>;
}

/// A standard-library byte stream: a shared reference reads and writes.
pub(crate) trait StdStream: StdSocket
where
    for<'a> &'a Self: Read + Write,
{
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;
}

/// A standard-library datagram socket.
pub(crate) trait StdDatagram: StdSocket {
    /// The type of its peers' addresses.
    type Addr;

    fn send(&self, buf: &[u8]) -> io::Result<usize>;
    fn recv(&self, buf: &mut [u8]) -> io::Result<usize>;
    fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, Self::Addr)>;
}

/// Implements [`StdSocket`] on each of the types by calling their inherent method.
macro_rules! std_socket {
    ($($std:ty),*) => {
        $(
            impl StdSocket for $std {
                fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
                    <$std>::set_nonblocking(self, nonblocking)
                }
            }
        )*
    };
}

std_socket!(
    std::net::TcpListener,
    std::net::TcpStream,
    std::net::UdpSocket,
    std::os::unix::net::UnixListener,
    std::os::unix::net::UnixStream,
    std::os::unix::net::UnixDatagram
);

/// Implements [`StdDatagram`] on `$std` (whose addresses are `$addr`) by calling its inherent
/// methods.
macro_rules! std_datagram {
    ($std:ty, $addr:ty) => {
        impl StdDatagram for $std {
            type Addr = $addr;

            fn send(&self, buf: &[u8]) -> io::Result<usize> {
                <$std>::send(self, buf)
            }

            fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
                <$std>::recv(self, buf)
            }

            fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, $addr)> {
                <$std>::recv_from(self, buf)
            }
        }
    };
}

std_datagram!(std::net::UdpSocket, std::net::SocketAddr);
std_datagram!(
    std::os::unix::net::UnixDatagram,
    std::os::unix::net::SocketAddr
);

impl StdListener for std::net::TcpListener {
    type Stream = std::net::TcpStream;
    type Addr = std::net::SocketAddr;

    fn accept(&self) -> io::Result<(Self::Stream, Self::Addr)> {
        std::net::TcpListener::accept(self)
    }
}

impl StdListener for std::os::unix::net::UnixListener {
    type Stream = std::os::unix::net::UnixStream;
    type Addr = std::os::unix::net::SocketAddr;

    fn accept(&self) -> io::Result<(Self::Stream, Self::Addr)> {
        std::os::unix::net::UnixListener::accept(self)
    }
}

impl StdStream for std::net::TcpStream {
    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        std::net::TcpStream::shutdown(self, how)
    }
}

impl StdStream for std::os::unix::net::UnixStream {
    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        std::os::unix::net::UnixStream::shutdown(self, how)
    }
}

/// A public socket type: a [`PollEvented`] over a standard-library socket, in its `io` field.
/// Implemented by `io_source::socket_traits!`.
pub(crate) trait Socket {
    /// The standard-library socket it wraps.
    type Std: StdSocket;

    fn from_io(io: PollEvented<Self::Std>) -> Self;
}

/// `from_std` of every socket type: switches `socket` to non-blocking mode and registers it
/// with the current runtime's reactor. `what` names the operation for the error message when
/// there is no runtime.
pub(crate) fn from_std<S: Socket>(socket: S::Std, what: &str) -> io::Result<S> {
    socket.set_nonblocking(true)?;
    PollEvented::new(socket, what).map(S::from_io)
}

/// `pair` of the Unix socket types: [`from_std`] on both sockets of a `socketpair`.
pub(crate) fn pair<S: Socket>((a, b): (S::Std, S::Std), what: &str) -> io::Result<(S, S)> {
    Ok((from_std(a, what)?, from_std(b, what)?))
}

impl<T: StdSocket> PollEvented<T> {
    /// Waits until the socket is (probably) readable; any number of tasks may wait at once.
    pub(crate) async fn readable(&self) -> io::Result<()> {
        self.readiness(Direction::Read).await.map(drop)
    }

    /// Waits until the socket is (probably) writable; any number of tasks may wait at once.
    pub(crate) async fn writable(&self) -> io::Result<()> {
        self.readiness(Direction::Write).await.map(drop)
    }
}

impl<T: StdListener> PollEvented<T> {
    /// Accepts a connection, waiting for one if none is pending (any number of tasks may
    /// wait); the connection comes back registered with this listener's driver.
    pub(crate) async fn accept<S: Socket<Std = T::Stream>>(&self) -> io::Result<(S, T::Addr)> {
        let (stream, addr) = self.async_io(Direction::Read, T::accept).await?;
        Ok((self.register_accepted(stream)?, addr))
    }

    /// The `poll_*` form of [`accept`](Self::accept): only the most recent task to poll it is
    /// woken.
    pub(crate) fn poll_accept<S: Socket<Std = T::Stream>>(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(S, T::Addr)>> {
        let (stream, addr) = ready!(self.poll_io(cx, Direction::Read, T::accept))?;
        Poll::Ready(self.register_accepted(stream).map(|socket| (socket, addr)))
    }

    fn register_accepted<S: Socket<Std = T::Stream>>(&self, stream: T::Stream) -> io::Result<S> {
        // An accepted socket does not inherit O_NONBLOCK on Linux.
        stream.set_nonblocking(true)?;
        PollEvented::new_with(stream, self.driver().clone()).map(S::from_io)
    }
}

impl<T: StdDatagram> PollEvented<T> {
    /// Sends a datagram to the connected peer, waiting until the socket can send.
    pub(crate) async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.async_io(Direction::Write, |s| s.send(buf)).await
    }

    /// Receives a datagram from the connected peer, waiting until one is queued.
    pub(crate) async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.async_io(Direction::Read, |s| s.recv(buf)).await
    }

    /// Receives a datagram and its sender's address, waiting until one is queued.
    pub(crate) async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, T::Addr)> {
        self.async_io(Direction::Read, |s| s.recv_from(buf)).await
    }
}

impl<T: StdStream> PollEvented<T>
where
    for<'a> &'a T: Read + Write,
{
    /// Reads what is available now, without waiting.
    pub(crate) fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_io(Direction::Read, |mut s| s.read(buf))
    }

    /// Writes what fits now, without waiting.
    pub(crate) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.try_io(Direction::Write, |mut s| s.write(buf))
    }

    /// `AsyncRead::poll_read`.
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_io(cx, Direction::Read, |mut s| s.read(buf))
    }

    /// `AsyncWrite::poll_write`.
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_io(cx, Direction::Write, |mut s| s.write(buf))
    }

    /// `AsyncWrite::poll_write_vectored`.
    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_io(cx, Direction::Write, |mut s| s.write_vectored(bufs))
    }

    /// Shuts down the write side (what `AsyncWrite::poll_close` and dropping an owned write
    /// half do); a connection that is already gone counts as shut.
    pub(crate) fn shutdown_write(&self) -> io::Result<()> {
        match self.get_ref().shutdown(Shutdown::Write) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        }
    }
}

/// Defines methods of a socket type (inside its `impl` block) whose body calls the method of the
/// same name, with the same arguments, on its `io: PollEvented<_>` field, and awaits it for an
/// `async fn`. That is one of `PollEvented`'s methods (the generic ones above, which wait for
/// readiness) or, through `Deref`, one of the standard-library socket's (for what needs no
/// readiness: addresses, options, `shutdown`). Each method keeps its own doc comment at the call
/// site.
macro_rules! forward {
    () => {};
    (
        $(#[$attr:meta])*
        pub async fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;
        $($rest:tt)*
    ) => {
        $(#[$attr])*
        pub async fn $name(&self $(, $arg: $ty)*) -> $ret {
            self.io.$name($($arg),*).await
        }
        $crate::net::socket::forward!($($rest)*);
    };
    (
        $(#[$attr:meta])*
        pub fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty;
        $($rest:tt)*
    ) => {
        $(#[$attr])*
        pub fn $name(&self $(, $arg: $ty)*) -> $ret {
            self.io.$name($($arg),*)
        }
        $crate::net::socket::forward!($($rest)*);
    };
}

pub(crate) use forward;

/// The methods every stream type (`TcpStream`, `UnixStream`) forwards to its `PollEvented`,
/// with their docs: written once here.
macro_rules! stream_methods {
    () => {
        $crate::net::socket::forward! {
            /// Shuts down the read half, the write half, or both. Shutting down writing tells the
            /// peer that nothing more comes: it reads end-of-file once it has read everything
            /// sent before.
            ///
            /// # Errors
            ///
            /// The OS error from `shutdown` (`NotConnected` if the connection is gone).
            pub fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()>;

            /// Waits until the stream is (probably) readable: data, end-of-file or an error is
            /// waiting. The next [`try_read`](Self::try_read) may still say `WouldBlock`; then
            /// wait again. Any number of tasks may wait at once.
            ///
            /// # Errors
            ///
            /// Fails after the runtime has shut down.
            pub async fn readable(&self) -> io::Result<()>;

            /// Waits until the stream is (probably) writable; see [`readable`](Self::readable).
            ///
            /// # Errors
            ///
            /// Fails after the runtime has shut down.
            pub async fn writable(&self) -> io::Result<()>;

            /// Reads what is available now into `buf`, without waiting. `Ok(0)` means
            /// end-of-file (or an empty `buf`); `WouldBlock` means nothing is available yet.
            ///
            /// # Errors
            ///
            /// `WouldBlock` when no data is available, or the OS error from `recv`.
            pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize>;

            /// Writes what the socket buffer takes now, without waiting.
            ///
            /// # Errors
            ///
            /// `WouldBlock` when the send buffer is full, or the OS error from `send`.
            pub fn try_write(&self, buf: &[u8]) -> io::Result<usize>;
        }
    };
}

pub(crate) use stream_methods;
