//! What the six socket types share, written once: the operations of a [`PollEvented`] over a
//! standard-library socket that the public types forward to.
//!
//! * [`StdSocket`]: any standard-library socket. A [`PollEvented`] over one can be waited on
//!   (`readable`, `writable`); [`from_std`] and [`pair`] make a public socket type ([`Socket`])
//!   from one or two.
//! * [`StdListener`]: a listener; `accept` and `poll_accept` hand back the accepted stream as
//!   its public type, already registered with the listener's driver. On Linux, Android and the
//!   BSDs the connection is accepted with `accept4(SOCK_NONBLOCK | SOCK_CLOEXEC)`, one system
//!   call (the module `accept4` below); elsewhere with std's `accept` and `set_nonblocking`.
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

    /// Accepts a pending connection now (`WouldBlock` when there is none on a non-blocking
    /// listener). The stream comes back non-blocking and close-on-exec: through one
    /// `accept4(SOCK_NONBLOCK | SOCK_CLOEXEC)` where the platform has it ([`accept4`]), else
    /// through std's `accept` and `set_nonblocking`.
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
        accept4::tcp(self)
    }
}

impl StdListener for std::os::unix::net::UnixListener {
    type Stream = std::os::unix::net::UnixStream;
    type Addr = std::os::unix::net::SocketAddr;

    fn accept(&self) -> io::Result<(Self::Stream, Self::Addr)> {
        accept4::unix(self)
    }
}

/// Accepting a connection in one system call: `accept4(fd, addr, len, SOCK_NONBLOCK |
/// SOCK_CLOEXEC)`, so that no `ioctl(FIONBIO)` (std's `set_nonblocking`) follows. Linux,
/// Android (but not 32-bit x86 Android, whose seccomp profile forbids `accept4`, as mio
/// found) and the BSDs that have it.
///
/// The peer's address is decoded here, since std has no constructor from a raw `sockaddr`:
/// IPv4 and IPv6 through `socket2`'s `SockAddr`, Unix addresses by hand (a pathname, a Linux
/// abstract name, or unnamed, which std builds from the empty path).
#[cfg(any(
    target_os = "linux",
    all(target_os = "android", not(target_arch = "x86")),
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd"
))]
mod accept4 {
    use std::ffi::OsStr;
    use std::io;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};

    /// `accept4` on `listener` with `SOCK_NONBLOCK | SOCK_CLOEXEC`, retried on `EINTR` (as std
    /// retries its `accept`); the peer's address is written to `addr`, its length to `len`.
    fn accept4(
        listener: &impl AsRawFd,
        addr: *mut libc::sockaddr,
        len: *mut libc::socklen_t,
    ) -> io::Result<OwnedFd> {
        loop {
            // SAFETY: `addr` points to writable storage of `*len` bytes and `len` to a
            // writable `socklen_t` (both the callers' own locals); the kernel writes at most
            // `*len` bytes of address and the real length back to `*len`.
            let fd = unsafe {
                libc::accept4(
                    listener.as_raw_fd(),
                    addr,
                    len,
                    libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                )
            };
            if fd >= 0 {
                // SAFETY: `accept4` just returned this descriptor; nothing else owns it.
                return Ok(unsafe { OwnedFd::from_raw_fd(fd) });
            }
            let error = io::Error::last_os_error();
            if error.kind() != io::ErrorKind::Interrupted {
                return Err(error);
            }
        }
    }

    pub(super) fn tcp(
        listener: &std::net::TcpListener,
    ) -> io::Result<(std::net::TcpStream, std::net::SocketAddr)> {
        // SAFETY: `try_init` hands over zeroed `sockaddr_storage` and its size; `accept4`
        // writes at most that many bytes and sets the length it wrote.
        let (fd, addr) = unsafe {
            socket2::SockAddr::try_init(|addr, len| accept4(listener, addr.cast(), len))
        }?;
        let stream = std::net::TcpStream::from(fd);
        let peer = addr.as_socket().ok_or_else(|| {
            io::Error::other(format!(
                "accept4 on a TCP listener returned a peer address of family {}, neither IPv4 \
                 nor IPv6; the connection was closed",
                addr.family()
            ))
        })?;
        Ok((stream, peer))
    }

    pub(super) fn unix(listener: &UnixListener) -> io::Result<(UnixStream, SocketAddr)> {
        // SAFETY: all zeros is a valid `sockaddr_un` (family AF_UNSPEC, empty path).
        let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
        let fd = accept4(
            listener,
            (&mut addr as *mut libc::sockaddr_un).cast(),
            &mut len,
        )?;
        let stream = UnixStream::from(fd);
        Ok((stream, unix_addr(&addr, len)?))
    }

    /// The std form of the `len` bytes of `addr` that `accept4` wrote.
    fn unix_addr(addr: &libc::sockaddr_un, len: libc::socklen_t) -> io::Result<SocketAddr> {
        let offset = std::mem::offset_of!(libc::sockaddr_un, sun_path);
        let path_len = (len as usize)
            .saturating_sub(offset)
            .min(addr.sun_path.len());
        // SAFETY: `c_char` and `u8` have the same size and alignment, and `path_len` is
        // within `sun_path`.
        let path: &[u8] =
            unsafe { std::slice::from_raw_parts(addr.sun_path.as_ptr().cast::<u8>(), path_len) };
        match path {
            // An unnamed peer: Linux returns only the family; std's unnamed address is the one
            // built from the empty path.
            [] => SocketAddr::from_pathname(""),
            // A Linux abstract name: a leading NUL, then the name (which may hold NULs).
            #[cfg(any(target_os = "linux", target_os = "android"))]
            [0, name @ ..] => {
                #[cfg(target_os = "android")]
                use std::os::android::net::SocketAddrExt;
                #[cfg(target_os = "linux")]
                use std::os::linux::net::SocketAddrExt;
                SocketAddr::from_abstract_name(name)
            }
            // The BSDs may return a zeroed path of some length for an unnamed peer.
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            [0, ..] => SocketAddr::from_pathname(""),
            // A pathname, up to its terminating NUL if the length counts one.
            _ => {
                let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
                SocketAddr::from_pathname(OsStr::from_bytes(&path[..end]))
            }
        }
    }
}

/// Where there is no `accept4`: std's `accept` (which sets close-on-exec itself) and then
/// `set_nonblocking`, one more system call per connection.
#[cfg(not(any(
    target_os = "linux",
    all(target_os = "android", not(target_arch = "x86")),
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "netbsd",
    target_os = "openbsd"
)))]
mod accept4 {
    use std::io;

    pub(super) fn tcp(
        listener: &std::net::TcpListener,
    ) -> io::Result<(std::net::TcpStream, std::net::SocketAddr)> {
        let (stream, addr) = listener.accept()?;
        stream.set_nonblocking(true)?;
        Ok((stream, addr))
    }

    pub(super) fn unix(
        listener: &std::os::unix::net::UnixListener,
    ) -> io::Result<(
        std::os::unix::net::UnixStream,
        std::os::unix::net::SocketAddr,
    )> {
        let (stream, addr) = listener.accept()?;
        stream.set_nonblocking(true)?;
        Ok((stream, addr))
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
        // `StdListener::accept` hands the stream back non-blocking already.
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

    /// Sends to the connected peer now, without waiting.
    pub(crate) fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.try_io(Direction::Write, |s| s.send(buf))
    }

    /// Receives from the connected peer now, without waiting.
    pub(crate) fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_io(Direction::Read, |s| s.recv(buf))
    }

    /// Receives a datagram and its sender now, without waiting.
    pub(crate) fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, T::Addr)> {
        self.try_io(Direction::Read, |s| s.recv_from(buf))
    }

    /// The `poll_*` form of [`send`](Self::send).
    pub(crate) fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_io(cx, Direction::Write, |s| s.send(buf))
    }

    /// The `poll_*` form of [`recv`](Self::recv).
    pub(crate) fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_io(cx, Direction::Read, |s| s.recv(buf))
    }

    /// The `poll_*` form of [`recv_from`](Self::recv_from).
    pub(crate) fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, T::Addr)>> {
        self.poll_io(cx, Direction::Read, |s| s.recv_from(buf))
    }
}

impl<T: StdStream> PollEvented<T>
where
    for<'a> &'a T: Read + Write,
{
    /// Reads into `buf` without taking the data off the socket, waiting until some is there.
    pub(crate) async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.async_io(Direction::Read, |s| peek_fd(s.as_fd(), buf))
            .await
    }

    /// The `poll_*` form of [`peek`](Self::peek).
    pub(crate) fn poll_peek(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_io(cx, Direction::Read, |s| peek_fd(s.as_fd(), buf))
    }

    /// `SO_LINGER`: how long `close` waits for unsent data (`None`: it does not wait).
    pub(crate) fn set_linger(&self, duration: Option<std::time::Duration>) -> io::Result<()> {
        socket2::SockRef::from(self.get_ref()).set_linger(duration)
    }

    /// The `SO_LINGER` setting.
    pub(crate) fn linger(&self) -> io::Result<Option<std::time::Duration>> {
        socket2::SockRef::from(self.get_ref()).linger()
    }

    /// Reads what is available now, without waiting.
    pub(crate) fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.try_transfer(Direction::Read, buf.len(), |mut s| s.read(buf))
    }

    /// Writes what fits now, without waiting.
    pub(crate) fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.try_transfer(Direction::Write, buf.len(), |mut s| s.write(buf))
    }

    /// `AsyncRead::poll_read`.
    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_transfer(cx, Direction::Read, buf.len(), |mut s| s.read(buf))
    }

    /// `AsyncWrite::poll_write`.
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_transfer(cx, Direction::Write, buf.len(), |mut s| s.write(buf))
    }

    /// `AsyncWrite::poll_write_vectored`.
    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        // std passes at most `IOV_MAX` (1024 on the platforms filch supports) buffers to
        // `writev` and ignores the rest: a write of all of those is not short. With more
        // buffers than that, the length is not known here, so `0` (never "short").
        let len = if bufs.len() <= 1024 {
            bufs.iter()
                .map(|b| b.len())
                .fold(0usize, usize::saturating_add)
        } else {
            0
        };
        self.poll_transfer(cx, Direction::Write, len, |mut s| s.write_vectored(bufs))
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

/// `recv(MSG_PEEK)` on any socket: std has `peek` on `TcpStream` only (on `UnixStream` it is
/// unstable).
pub(crate) fn peek_fd(fd: std::os::fd::BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    // SAFETY: `buf` is writable memory of `buf.len()` bytes that outlives the call, and `fd` is
    // an open descriptor for the duration of the borrow; `recv` writes at most `len` bytes.
    let n = unsafe {
        libc::recv(
            fd.as_raw_fd(),
            buf.as_mut_ptr().cast(),
            buf.len(),
            libc::MSG_PEEK,
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
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

/// The body of a short doc example for a stream type: `$pair` (hidden lines that make `a` and
/// `b`, two connected streams) and `$body`, inside a hidden runtime.
macro_rules! stream_example {
    ($pair:literal, $body:literal) => {
        $crate::net::socket::doc_example!(
            $pair,
            "// `a` and `b` are the two ends of one connection.\n",
            $body
        )
    };
}

pub(crate) use stream_example;

/// A doc example: `$setup` (hidden lines), a visible comment and `$body`, inside a hidden
/// runtime that ends with `Ok(())`.
macro_rules! doc_example {
    ($setup:literal, $comment:literal, $body:literal) => {
        concat!(
            "```\n# filch::runtime::Runtime::new().unwrap().block_on(async {\n",
            $setup,
            $comment,
            $body,
            "\n# std::io::Result::Ok(()) }).unwrap();\n```"
        )
    };
}

pub(crate) use doc_example;

/// The methods every stream type (`TcpStream`, `UnixStream`) has, with their docs: written once
/// here. `$pair` is the hidden doc-example lines that make `a` and `b`, two connected streams of
/// the type.
macro_rules! stream_methods {
    ($pair:literal) => {
        /// Shuts down the read half, the write half, or both. Shutting down writing tells the
        /// peer that nothing more comes: it reads end-of-file once it has read everything sent
        /// before.
        ///
        /// # Errors
        ///
        /// The OS error from `shutdown` (`NotConnected` if the connection is gone).
        ///
        #[doc = $crate::net::socket::stream_example!($pair, r#"use filch::io::prelude::*;
a.shutdown(std::net::Shutdown::Write)?;
let mut rest = Vec::new();
let mut b = b;
b.read_to_end(&mut rest).await?; // end-of-file at once
assert!(rest.is_empty());"#)]
        pub fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
            self.io.get_ref().shutdown(how)
        }

        /// Waits until the stream is (probably) readable: data, end-of-file or an error is
        /// waiting. The next [`try_read`](Self::try_read) may still say `WouldBlock`; then
        /// wait again. Any number of tasks may wait at once.
        ///
        /// # Errors
        ///
        /// Fails after the runtime has shut down.
        ///
        #[doc = $crate::net::socket::stream_example!($pair, r#"b.try_write(b"hi")?;
let mut buf = [0; 8];
loop {
    a.readable().await?;
    match a.try_read(&mut buf) {
        Ok(n) => { assert_eq!(&buf[..n], b"hi"); break; }
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
        Err(e) => return Err(e),
    }
}"#)]
        pub async fn readable(&self) -> io::Result<()> {
            self.io.readable().await
        }

        /// Waits until the stream is (probably) writable; see [`readable`](Self::readable).
        ///
        /// # Errors
        ///
        /// Fails after the runtime has shut down.
        ///
        #[doc = $crate::net::socket::stream_example!($pair, r#"a.writable().await?;
assert_eq!(a.try_write(b"hello")?, 5);
# let _ = b;"#)]
        pub async fn writable(&self) -> io::Result<()> {
            self.io.writable().await
        }

        /// Waits until the stream is ready for at least one of `interest`, and says which.
        /// As with [`readable`](Self::readable), readiness is a hint: the operation that
        /// follows may still say `WouldBlock`. A hang-up of the peer shows as readable and as
        /// read/write closed; a half-close (the peer shut its write half) as read closed where
        /// the reactor's wait reports it (see [`Ready`](crate::io::Ready)).
        ///
        /// # Errors
        ///
        /// Fails after the runtime has shut down.
        ///
        #[doc = $crate::net::socket::stream_example!($pair, r#"use filch::io::Interest;
b.try_write(b"x")?;
let ready = a.ready(Interest::READABLE | Interest::WRITABLE).await?;
assert!(ready.is_readable() || ready.is_writable());"#)]
        pub async fn ready(&self, interest: $crate::io::Interest) -> io::Result<$crate::io::Ready> {
            self.io.ready(interest).await
        }

        /// Polls for read readiness: `Ready(Ok(()))` when the stream is (probably) readable.
        /// Only the task that polled last is woken (the `poll_*` convention); for several
        /// waiting tasks use [`readable`](Self::readable).
        ///
        /// # Errors
        ///
        /// Fails after the runtime has shut down.
        ///
        #[doc = $crate::net::socket::stream_example!($pair, r#"b.try_write(b"x")?;
let n = loop {
    std::future::poll_fn(|cx| a.poll_read_ready(cx)).await?;
    match a.try_read(&mut [0; 4]) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
        other => break other?,
    }
};
assert_eq!(n, 1);"#)]
        pub fn poll_read_ready(
            &self,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            self.io
                .poll_ready_unit(cx, $crate::scheduled_io::Direction::Read)
        }

        /// Polls for write readiness; see [`poll_read_ready`](Self::poll_read_ready).
        ///
        /// # Errors
        ///
        /// Fails after the runtime has shut down.
        ///
        #[doc = $crate::net::socket::stream_example!($pair, r#"std::future::poll_fn(|cx| a.poll_write_ready(cx)).await?;
assert_eq!(a.try_write(b"x")?, 1);
# let _ = b;"#)]
        pub fn poll_write_ready(
            &self,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            self.io
                .poll_ready_unit(cx, $crate::scheduled_io::Direction::Write)
        }

        /// Reads what is available now into `buf`, without waiting. `Ok(0)` means
        /// end-of-file (or an empty `buf`); `WouldBlock` means nothing is available yet.
        ///
        /// # Errors
        ///
        /// `WouldBlock` when no data is available, or the OS error from `recv`.
        ///
        #[doc = $crate::net::socket::stream_example!($pair, r#"let mut buf = [0; 8];
let nothing_yet = a.try_read(&mut buf).unwrap_err();
assert_eq!(nothing_yet.kind(), std::io::ErrorKind::WouldBlock);
# let _ = b;"#)]
        pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
            self.io.try_read(buf)
        }

        /// Writes what the socket buffer takes now, without waiting.
        ///
        /// # Errors
        ///
        /// `WouldBlock` when the send buffer is full, or the OS error from `send`.
        ///
        #[doc = $crate::net::socket::stream_example!($pair, r#"let n = a.try_write(b"hello")?;
assert_eq!(n, 5);
# let _ = b;"#)]
        pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
            self.io.try_write(buf)
        }

        /// Runs `f`, an operation of the caller's own on the descriptor (through
        /// [`AsRawFd`](std::os::fd::AsRawFd) or `socket2::SockRef`), once. If it says
        /// `WouldBlock`, the stream's readiness for `interest` is cleared, so that the next
        /// [`ready`](Self::ready) waits for a fresh event: this is how to add an operation
        /// filch does not have without losing wake-ups. `f` must not block (the descriptor is
        /// non-blocking) and must report `WouldBlock` as it came from the OS.
        ///
        /// # Errors
        ///
        /// Whatever `f` returns; an error after the runtime has shut down.
        ///
        #[doc = $crate::net::socket::stream_example!($pair, r#"use filch::io::Interest;
b.try_write(b"ping")?;
// `recv(MSG_PEEK)` through socket2 stands for a call filch does not wrap.
let mut buf = [std::mem::MaybeUninit::new(0u8); 4];
let n = loop {
    a.readable().await?;
    match a.try_io(Interest::READABLE, || socket2::SockRef::from(&a).peek(&mut buf)) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
        other => break other?,
    }
};
assert_eq!(n, 4);"#)]
        pub fn try_io<R>(
            &self,
            interest: $crate::io::Interest,
            f: impl FnOnce() -> io::Result<R>,
        ) -> io::Result<R> {
            self.io.try_io_interest(interest, f)
        }

        /// Reads into `buf` without removing the data from the socket, waiting until some is
        /// available; the next read returns the same bytes. Returns `0` at end-of-file.
        ///
        /// # Errors
        ///
        /// The OS error from `recv(MSG_PEEK)`.
        ///
        #[doc = $crate::net::socket::stream_example!($pair, r#"b.try_write(b"abc")?;
let mut buf = [0; 8];
let n = a.peek(&mut buf).await?;
assert_eq!(&buf[..n], b"abc");
a.readable().await?;
assert_eq!(a.try_read(&mut buf)?, 3); // still there"#)]
        pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
            self.io.peek(buf).await
        }

        /// The `poll_*` form of [`peek`](Self::peek): `Ready(Ok(n))` with `n` bytes copied
        /// (`0` at end-of-file). filch has no `ReadBuf`, so this takes a byte slice and returns
        /// the length, where tokio's takes a `ReadBuf`.
        ///
        /// # Errors
        ///
        /// The OS error from `recv(MSG_PEEK)`.
        ///
        #[doc = $crate::net::socket::stream_example!($pair, r#"b.try_write(b"abc")?;
let mut buf = [0; 8];
let n = std::future::poll_fn(|cx| a.poll_peek(cx, &mut buf)).await?;
assert_eq!(&buf[..n], b"abc");"#)]
        pub fn poll_peek(
            &self,
            cx: &mut std::task::Context<'_>,
            buf: &mut [u8],
        ) -> std::task::Poll<io::Result<usize>> {
            self.io.poll_peek(cx, buf)
        }

        /// Sets `SO_LINGER`: with `Some(duration)`, closing the stream waits up to `duration`
        /// for unsent data to go out (and `Some(Duration::ZERO)` resets the connection at once);
        /// `None` restores the default, a close that does not wait.
        ///
        /// # Errors
        ///
        /// The OS error from `setsockopt`.
        ///
        #[doc = $crate::net::socket::stream_example!($pair, r#"use std::time::Duration;
a.set_linger(Some(Duration::from_secs(1)))?;
assert_eq!(a.linger()?, Some(Duration::from_secs(1)));
# let _ = b;"#)]
        pub fn set_linger(&self, duration: Option<std::time::Duration>) -> io::Result<()> {
            self.io.set_linger(duration)
        }

        /// The `SO_LINGER` setting (see [`set_linger`](Self::set_linger)); `None` by default.
        ///
        /// # Errors
        ///
        /// The OS error from `getsockopt`.
        ///
        #[doc = $crate::net::socket::stream_example!($pair, r#"assert_eq!(a.linger()?, None);
# let _ = b;"#)]
        pub fn linger(&self) -> io::Result<Option<std::time::Duration>> {
            self.io.linger()
        }
    };
}

pub(crate) use stream_methods;

#[cfg(test)]
mod tests {
    //! `StdListener::accept` on the listener types directly, without a runtime: the accepted
    //! stream's flags and the peer addresses.

    use std::io;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::{UnixListener, UnixStream};

    use super::StdListener;

    /// The accepted descriptor is non-blocking and close-on-exec.
    fn assert_nonblocking_cloexec(fd: &impl AsRawFd) {
        // SAFETY: F_GETFL/F_GETFD on a descriptor the caller owns; no memory is passed.
        let (fl, fd_flags) = unsafe {
            (
                libc::fcntl(fd.as_raw_fd(), libc::F_GETFL),
                libc::fcntl(fd.as_raw_fd(), libc::F_GETFD),
            )
        };
        assert!(
            fl >= 0 && fd_flags >= 0,
            "fcntl: {}",
            io::Error::last_os_error()
        );
        assert_ne!(fl & libc::O_NONBLOCK, 0, "accepted stream is blocking");
        assert_ne!(
            fd_flags & libc::FD_CLOEXEC,
            0,
            "accepted stream lacks close-on-exec"
        );
    }

    fn tcp_accept_from(bind: &str) -> io::Result<()> {
        let listener = std::net::TcpListener::bind(bind)?;
        let client = std::net::TcpStream::connect(listener.local_addr()?)?;
        let (stream, peer) = StdListener::accept(&listener)?;
        assert_nonblocking_cloexec(&stream);
        assert_eq!(peer, client.local_addr()?);
        assert_eq!(stream.peer_addr()?, peer);
        Ok(())
    }

    #[test]
    fn tcp_v4_accept_is_nonblocking_cloexec_with_the_peer_address() {
        tcp_accept_from("127.0.0.1:0").unwrap();
    }

    #[test]
    fn tcp_v6_accept_is_nonblocking_cloexec_with_the_peer_address() {
        match tcp_accept_from("[::1]:0") {
            // A build machine without IPv6 loopback cannot run this one; say so.
            Err(e) if e.kind() == io::ErrorKind::AddrNotAvailable => {
                eprintln!("skipped: no IPv6 loopback here ({e})")
            }
            other => other.unwrap(),
        }
    }

    #[test]
    fn accept_with_nothing_pending_would_block() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let error = StdListener::accept(&listener).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::WouldBlock, "{error}");
    }

    fn temp_path(name: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!(
            "filch-accept-{}-{name}-{}",
            std::process::id(),
            unique_suffix()
        ));
        let _ = std::fs::remove_file(&path);
        path
    }

    fn unique_suffix() -> u64 {
        use std::time::{SystemTime, UNIX_EPOCH};
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    }

    #[test]
    fn unix_accept_of_an_unnamed_peer() {
        let path = temp_path("unnamed");
        let listener = UnixListener::bind(&path).unwrap();
        let _client = UnixStream::connect(&path).unwrap();
        let (stream, peer) = StdListener::accept(&listener).unwrap();
        assert_nonblocking_cloexec(&stream);
        assert!(peer.is_unnamed(), "peer {peer:?} should be unnamed");
        assert_eq!(peer.as_pathname(), None);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn unix_accept_of_a_peer_bound_to_a_path() {
        let path = temp_path("listener");
        let client_path = temp_path("client");
        let listener = UnixListener::bind(&path).unwrap();
        let client =
            socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap();
        client
            .bind(&socket2::SockAddr::unix(&client_path).unwrap())
            .unwrap();
        client
            .connect(&socket2::SockAddr::unix(&path).unwrap())
            .unwrap();
        let (stream, peer) = StdListener::accept(&listener).unwrap();
        assert_nonblocking_cloexec(&stream);
        assert_eq!(peer.as_pathname(), Some(client_path.as_path()));
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_file(&client_path);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn unix_accept_of_a_peer_with_an_abstract_name() {
        use std::os::linux::net::SocketAddrExt;
        use std::os::unix::ffi::OsStrExt;

        let name = format!("filch-accept-{}-{}", std::process::id(), unique_suffix());
        let listener_addr =
            std::os::unix::net::SocketAddr::from_abstract_name(format!("{name}-l")).unwrap();
        let listener = UnixListener::bind_addr(&listener_addr).unwrap();
        // socket2 takes a leading NUL as an abstract name.
        let mut client_name = vec![0u8];
        client_name.extend_from_slice(format!("{name}-c\0x").as_bytes());
        let client =
            socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).unwrap();
        let client_addr =
            socket2::SockAddr::unix(std::ffi::OsStr::from_bytes(&client_name)).unwrap();
        client.bind(&client_addr).unwrap();
        client
            .connect(
                &socket2::SockAddr::unix(std::ffi::OsStr::from_bytes(
                    &[&[0u8][..], format!("{name}-l").as_bytes()].concat(),
                ))
                .unwrap(),
            )
            .unwrap();
        let (stream, peer) = StdListener::accept(&listener).unwrap();
        assert_nonblocking_cloexec(&stream);
        // The name, with its inner NUL, comes back whole.
        assert_eq!(peer.as_abstract_name(), Some(&client_name[1..]));
        assert!(!peer.is_unnamed());
    }
}
