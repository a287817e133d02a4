//! tokio's I/O traits on filch's streams (feature `tokio-io`): `tokio::io::AsyncRead` and
//! `tokio::io::AsyncWrite` on [`TcpStream`], [`UnixStream`] and their split halves, so that
//! libraries written against them (tokio-postgres's `connect_raw`, tokio-util's codecs,
//! tokio-rustls, tokio-tungstenite) take filch sockets as they are.
//!
//! tokio is a dependency with `default-features = false` and no feature enabled: its traits and
//! `ReadBuf` only, no reactor, no scheduler, no timer.
//!
//! `poll_read` fills the `ReadBuf`'s uninitialised tail with `read(2)` directly, without zeroing
//! it. `poll_flush` has nothing to do; `poll_shutdown` shuts down the write direction.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::ReadBuf;

use crate::io_source::PollEvented;
use crate::net::{tcp, unix, TcpStream, UnixStream};

fn poll_read_buf<T: std::os::fd::AsFd>(
    io: &PollEvented<T>,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<()>> {
    // SAFETY: `unfilled_mut` hands out bytes that may be uninitialised; we must not
    // de-initialise any. `poll_read_uninit` only writes into them with `read(2)`.
    let unfilled = unsafe { buf.unfilled_mut() };
    let n = ready!(io.poll_read_uninit(cx, unfilled))?;
    // SAFETY: `poll_read_uninit` returned `Ok(n)`: `read(2)` initialised the first `n` unfilled
    // bytes.
    unsafe { buf.assume_init(n) };
    buf.advance(n);
    Poll::Ready(Ok(()))
}

macro_rules! tokio_read {
    ($ty:ty, |$this:ident| $io:expr) => {
        impl tokio::io::AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                let $this = &*self;
                poll_read_buf(&$io, cx, buf)
            }
        }
    };
}

macro_rules! tokio_write {
    ($ty:ty, |$this:ident| $io:expr) => {
        impl tokio::io::AsyncWrite for $ty {
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

tokio_read!(TcpStream, |s| s.io);
tokio_write!(TcpStream, |s| s.io);
tokio_read!(UnixStream, |s| s.io);
tokio_write!(UnixStream, |s| s.io);
tokio_read!(tcp::ReadHalf<'_>, |h| AsRef::<TcpStream>::as_ref(h).io);
tokio_write!(tcp::WriteHalf<'_>, |h| AsRef::<TcpStream>::as_ref(h).io);
tokio_read!(tcp::OwnedReadHalf, |h| AsRef::<TcpStream>::as_ref(h).io);
tokio_write!(tcp::OwnedWriteHalf, |h| AsRef::<TcpStream>::as_ref(h).io);
tokio_read!(unix::ReadHalf<'_>, |h| AsRef::<UnixStream>::as_ref(h).io);
tokio_write!(unix::WriteHalf<'_>, |h| AsRef::<UnixStream>::as_ref(h).io);
tokio_read!(unix::OwnedReadHalf, |h| AsRef::<UnixStream>::as_ref(h).io);
tokio_write!(unix::OwnedWriteHalf, |h| AsRef::<UnixStream>::as_ref(h).io);
