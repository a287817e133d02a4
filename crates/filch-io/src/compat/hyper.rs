//! hyper 1.x on filch with no glue (feature `hyper`; the facade re-exports this module as
//! `filch::hyper`).
//!
//! * [`TcpStream`], [`UnixStream`] and their split halves implement `hyper::rt::Read` and
//!   `hyper::rt::Write` directly, so `hyper::server::conn::http1::Builder::serve_connection`,
//!   `hyper::client::conn::http1::handshake` and hyper-util's auto builder take them as they are.
//!   Reads go into hyper's uninitialised buffer without zeroing it.
//! * [`TcpStream`] and [`UnixStream`] implement hyper-util's
//!   `client::legacy::connect::Connection` (plain TCP: `Connected::new()`, nothing negotiated).
//! * [`Executor`]: `hyper::rt::Executor`, spawning on the current filch runtime (HTTP/2 and
//!   hyper-util's pooled client spawn their connection tasks through it).
//! * [`Timer`]: `hyper::rt::Timer` on filch's timer wheel (HTTP/2 keep-alive pings, header read
//!   timeouts, the pool's idle timeout).
//! * [`Connector`]: a `tower_service::Service<http::Uri>` that opens a filch [`TcpStream`], so
//!   that `hyper_util::client::legacy::Client::builder(Executor).build(Connector::new())` is a
//!   pooled client.
//!
//! # Which runtime
//!
//! [`Executor`] and [`Timer`] are unit structs, like hyper-util's `TokioExecutor` and
//! `TokioTimer`: they use the runtime current where hyper calls them, which is the runtime of the
//! task that drives the connection or the client's request future. hyper calls them only from
//! such tasks; called on a thread with no filch runtime, [`Executor`] and [`Timer`] panic with
//! filch's "no runtime" message (as `filch::spawn` and `filch::time::sleep` do), naming the fix.
//!
//! # HTTPS
//!
//! [`Connector`] speaks plain TCP and refuses an `https` URI with an error that says so. For TLS,
//! connect the [`TcpStream`] yourself and run rustls over it (futures-rustls works on the
//! `futures-io` traits filch implements; tokio-rustls on the `tokio-io` feature's traits).

use std::fmt;
use std::future::Future;
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use ::hyper::rt::ReadBufCursor;
use ::hyper_util::client::legacy::connect::{Connected, Connection};

use crate::io_source::PollEvented;
use crate::net::{tcp, unix, TcpStream, UnixStream};

/// Reads into hyper's cursor: its uninitialised tail is filled by `read(2)` directly.
fn poll_read_cursor<T: std::os::fd::AsFd>(
    io: &PollEvented<T>,
    cx: &mut Context<'_>,
    mut buf: ReadBufCursor<'_>,
) -> Poll<io::Result<()>> {
    // SAFETY: `as_mut` hands out the cursor's unfilled bytes, which may be uninitialised; we must
    // not de-initialise any of them. `poll_read_uninit` only writes into the slice (with
    // `read(2)`), never writes `MaybeUninit::uninit()` into it.
    let unfilled: &mut [MaybeUninit<u8>] = unsafe { buf.as_mut() };
    let n = ready!(io.poll_read_uninit(cx, unfilled))?;
    // SAFETY: `poll_read_uninit` returned `Ok(n)`, so `read(2)` initialised the first `n` bytes of
    // the unfilled part, and `n <= unfilled.len()`.
    unsafe { buf.advance(n) };
    Poll::Ready(Ok(()))
}

/// `hyper::rt::Read` on `$ty`, whose stream's `io` is `$io` (an expression in `$this: &$ty`).
macro_rules! hyper_read {
    ($ty:ty, |$this:ident| $io:expr) => {
        impl ::hyper::rt::Read for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: ReadBufCursor<'_>,
            ) -> Poll<io::Result<()>> {
                let $this = &*self;
                poll_read_cursor(&$io, cx, buf)
            }
        }
    };
}

/// `hyper::rt::Write` on `$ty`, whose stream's `io` is `$io` (an expression in `$this: &$ty`).
/// Flushing has nothing to do (nothing is buffered); shutting down shuts the write direction.
macro_rules! hyper_write {
    ($ty:ty, |$this:ident| $io:expr) => {
        impl ::hyper::rt::Write for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                let $this = &*self;
                $io.poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[io::IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                let $this = &*self;
                $io.poll_write_vectored(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                let $this = &*self;
                Poll::Ready($io.shutdown_write())
            }
        }
    };
}

hyper_read!(TcpStream, |s| s.io);
hyper_write!(TcpStream, |s| s.io);
hyper_read!(UnixStream, |s| s.io);
hyper_write!(UnixStream, |s| s.io);
hyper_read!(tcp::ReadHalf<'_>, |h| AsRef::<TcpStream>::as_ref(h).io);
hyper_write!(tcp::WriteHalf<'_>, |h| AsRef::<TcpStream>::as_ref(h).io);
hyper_read!(tcp::OwnedReadHalf, |h| AsRef::<TcpStream>::as_ref(h).io);
hyper_write!(tcp::OwnedWriteHalf, |h| AsRef::<TcpStream>::as_ref(h).io);
hyper_read!(unix::ReadHalf<'_>, |h| AsRef::<UnixStream>::as_ref(h).io);
hyper_write!(unix::WriteHalf<'_>, |h| AsRef::<UnixStream>::as_ref(h).io);
hyper_read!(unix::OwnedReadHalf, |h| AsRef::<UnixStream>::as_ref(h).io);
hyper_write!(unix::OwnedWriteHalf, |h| AsRef::<UnixStream>::as_ref(h).io);

impl Connection for TcpStream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl Connection for UnixStream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

/// `hyper::rt::Executor`: spawns hyper's background tasks (HTTP/2 streams, client
/// connections) on the current filch runtime, as `filch::spawn` does.
///
/// Panics, as `filch::spawn` does, when hyper calls it on a thread with no filch runtime; hyper
/// calls it from the task that drives a connection or a request, which is inside one.
#[derive(Clone, Copy, Debug, Default)]
pub struct Executor;

impl<F> ::hyper::rt::Executor<F> for Executor
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        // The task runs detached, as hyper expects: dropping the JoinHandle does not cancel it.
        drop(filch_executor::spawn(future));
    }
}

/// `hyper::rt::Timer` on filch's timer wheel: its sleeps are `filch::time::Sleep`s, and
/// [`reset`](::hyper::rt::Timer::reset) moves one in place rather than allocating a new one.
///
/// Panics, as `filch::time::sleep` does, when hyper calls it on a thread with no filch runtime.
#[derive(Clone, Copy, Debug, Default)]
pub struct Timer;

/// A `filch::time::Sleep` as hyper's `Sleep` trait object.
#[derive(Debug)]
struct HyperSleep(crate::time::Sleep);

impl Future for HyperSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl ::hyper::rt::Sleep for HyperSleep {}

impl ::hyper::rt::Timer for Timer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn ::hyper::rt::Sleep>> {
        Box::pin(HyperSleep(crate::time::sleep(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn ::hyper::rt::Sleep>> {
        Box::pin(HyperSleep(crate::time::sleep_until(deadline.into())))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn ::hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<HyperSleep>() {
            Some(mut ours) => ours.0.reset(new_deadline.into()),
            // A sleep made by another timer: replace it with one of ours.
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// A connector for hyper-util's pooled client: a `tower_service::Service<http::Uri>` that
/// resolves the URI's host (on filch's blocking pool) and opens a filch [`TcpStream`].
///
/// ```text
/// let client = hyper_util::client::legacy::Client::builder(filch::hyper::Executor)
///     .timer(filch::hyper::Timer)
///     .build::<_, http_body_util::Full<bytes::Bytes>>(filch::hyper::Connector::new());
/// ```
///
/// The port is the URI's, else 80. Only `http` URIs (or URIs with no scheme) are accepted; an
/// `https` URI fails with an error of kind `InvalidInput` (this connector does no TLS). New
/// connections have `TCP_NODELAY` set unless [`set_nodelay(false)`](Self::set_nodelay) (a
/// request/response protocol gains nothing from Nagle's algorithm; hyper-util's
/// `HttpConnector` leaves it off by default, a choice we do not copy).
#[derive(Clone, Debug)]
pub struct Connector {
    nodelay: bool,
}

impl Default for Connector {
    fn default() -> Self {
        Connector::new()
    }
}

impl Connector {
    /// A connector for plain `http` URIs, with `TCP_NODELAY` on.
    pub fn new() -> Connector {
        Connector { nodelay: true }
    }

    /// Whether new connections get `TCP_NODELAY` (default `true`).
    pub fn set_nodelay(&mut self, nodelay: bool) -> &mut Connector {
        self.nodelay = nodelay;
        self
    }
}

/// The host and port a URI names, or an `InvalidInput` error saying what is wrong with it.
fn host_port(uri: &::http::Uri) -> io::Result<(String, u16)> {
    let invalid = |what: String| io::Error::new(io::ErrorKind::InvalidInput, what);
    match uri.scheme_str() {
        None | Some("http") => {}
        Some("https") => {
            return Err(invalid(format!(
                "filch::hyper::Connector opens plain TCP connections and cannot fetch `{uri}`: \
                 use an `http://` URI, or a TLS connector for `https://`"
            )))
        }
        Some(other) => {
            return Err(invalid(format!(
                "filch::hyper::Connector cannot fetch `{uri}`: scheme `{other}` is not `http`"
            )))
        }
    }
    let host = uri.host().ok_or_else(|| {
        invalid(format!(
            "filch::hyper::Connector cannot fetch `{uri}`: the URI has no host \
             (write an absolute URI such as `http://127.0.0.1:8080/`)"
        ))
    })?;
    // An IPv6 literal comes bracketed (`[::1]`); the resolver wants it bare.
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    Ok((host.to_owned(), uri.port_u16().unwrap_or(80)))
}

/// The future of [`Connector`]'s `call`: a connected [`TcpStream`].
pub struct Connecting(Pin<Box<dyn Future<Output = io::Result<TcpStream>> + Send>>);

impl fmt::Debug for Connecting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connecting").finish_non_exhaustive()
    }
}

impl Future for Connecting {
    type Output = io::Result<TcpStream>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

impl ::tower_service::Service<::http::Uri> for Connector {
    type Response = TcpStream;
    type Error = io::Error;
    type Future = Connecting;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: ::http::Uri) -> Connecting {
        let nodelay = self.nodelay;
        Connecting(Box::pin(async move {
            let (host, port) = host_port(&uri)?;
            let stream = TcpStream::connect((host.as_str(), port)).await?;
            stream.set_nodelay(nodelay)?;
            Ok(stream)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::host_port;

    #[test]
    fn host_port_of_uris() {
        let hp = |s: &str| host_port(&s.parse().unwrap());
        assert_eq!(
            hp("http://example.com/x").unwrap(),
            ("example.com".into(), 80)
        );
        assert_eq!(
            hp("http://127.0.0.1:8080/").unwrap(),
            ("127.0.0.1".into(), 8080)
        );
        assert_eq!(hp("http://[::1]:9/").unwrap(), ("::1".into(), 9));
        let https = hp("https://example.com/").unwrap_err();
        assert_eq!(https.kind(), std::io::ErrorKind::InvalidInput);
        assert!(https.to_string().contains("plain TCP"), "{https}");
        let ftp = hp("ftp://example.com/").unwrap_err();
        assert!(ftp.to_string().contains("scheme `ftp`"), "{ftp}");
        let relative = hp("/only/a/path").unwrap_err();
        assert!(relative.to_string().contains("no host"), "{relative}");
    }
}
