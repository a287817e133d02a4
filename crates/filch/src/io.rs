//! Asynchronous reading and writing.
//!
//! filch's sockets implement the [`AsyncRead`] and [`AsyncWrite`] traits of the `futures-io`
//! crate, the traits shared by most of the async ecosystem outside tokio. The methods you call
//! (`read`, `read_exact`, `read_to_end`, `write_all`, `flush`, `close`, `read_line`...) come from
//! the extension traits of the `futures-lite` crate, re-exported here rather than written again.
//! Bring them all into scope with one import:
//!
//! ```
//! use filch::io::prelude::*;
//!
//! #[filch::main]
//! async fn main() -> std::io::Result<()> {
//!     // Any `AsyncRead`, here an in-memory one.
//!     let mut reader = filch::io::Cursor::new(b"hello world".to_vec());
//!     let mut first = [0u8; 5];
//!     reader.read_exact(&mut first).await?;
//!     assert_eq!(&first, b"hello");
//!
//!     let mut out = Vec::new();
//!     out.write_all(b"written").await?;
//!     assert_eq!(out, b"written");
//!     Ok(())
//! }
//! ```
//!
//! [`BufReader`] adds buffering and the line-oriented methods of [`AsyncBufReadExt`]
//! (`read_line`, `lines`); [`copy`] moves every byte from a reader to a writer, and [`sink`]
//! is a writer that discards what it is given.
//!
//! # Cooperative scheduling
//!
//! [`copy`] and [`Sink`] are filch's own, not futures-lite's: each step of a copy and each write
//! to a sink takes one unit of the task's cooperative budget, the same budget filch's sockets and
//! timers spend. A copy between two streams that are always ready (in-memory readers, a sink)
//! therefore still yields to the other tasks of its worker now and then, instead of holding the
//! worker until the copy ends. (The idea is tokio's: its `copy` and `sink` spend budget too.)

use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::pin::{pin, Pin};
use std::task::{ready, Context, Poll};

use filch_executor::coop;

/// Readiness: what a `ready(Interest)` call waits for and what it found (feature `net`).
#[cfg(feature = "net")]
pub use filch_io::io::{Interest, Ready};

/// The process's standard streams (feature `fs`): each read or write runs on the runtime's
/// blocking pool; a write returns once its bytes are copied, and `flush` waits for them and
/// reports a failed write. The details are in `filch-io`'s `stdio.rs`.
///
/// ```
/// use filch::io::prelude::*;
///
/// #[filch::main]
/// async fn main() -> std::io::Result<()> {
///     let mut out = filch::io::stdout();
///     out.write_all(b"hello\n").await?;
///     out.flush().await?;
///     Ok(())
/// }
/// ```
#[cfg(feature = "fs")]
pub use filch_io::stdio::{stderr, stdin, stdout, Stderr, Stdin, Stdout};

pub use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};

/// Unix descriptors on filch's reactor (feature `net`): [`AsyncFd`](unix::AsyncFd) waits for
/// readiness of any non-blocking file descriptor (a pipe, an eventfd, a device, a socket made
/// by another library), at tokio's path `tokio::io::unix::AsyncFd`.
#[cfg(feature = "net")]
pub mod unix {
    pub use filch_io::io::unix::{AsyncFd, AsyncFdReadyGuard, AsyncFdReadyMutGuard, TryIoError};
}
pub use futures_lite::io::{
    AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufReader, BufWriter, Cursor,
};

/// Copies every byte of `reader` into `writer`, until `reader` reaches its end, then flushes
/// `writer`; returns the number of bytes copied.
///
/// The reader is read through an 8 KiB [`BufReader`]. Each step (fill the buffer, write part of
/// it) takes one unit of the task's cooperative budget, so a copy between streams that never
/// wait still lets the other tasks of its worker run. A writer that accepts no bytes (`Ok(0)`)
/// ends the copy with [`io::ErrorKind::WriteZero`].
///
/// Pass `&mut reader` and `&mut writer` to keep using them afterwards.
///
/// ```
/// #[filch::main]
/// async fn main() -> std::io::Result<()> {
///     let mut reader = filch::io::Cursor::new(b"hello".to_vec());
///     let mut writer = Vec::new();
///     let copied = filch::io::copy(&mut reader, &mut writer).await?;
///     assert_eq!(copied, 5);
///     assert_eq!(writer, b"hello");
///     Ok(())
/// }
/// ```
pub async fn copy<R, W>(reader: R, writer: W) -> io::Result<u64>
where
    R: AsyncRead,
    W: AsyncWrite,
{
    let mut reader = pin!(BufReader::new(reader));
    let mut writer = pin!(writer);
    let mut copied: u64 = 0;
    poll_fn(|cx| loop {
        // Given back if this step finds nothing ready.
        let budget = ready!(coop::poll_proceed(cx));
        let buffer = ready!(reader.as_mut().poll_fill_buf(cx))?;
        if buffer.is_empty() {
            ready!(writer.as_mut().poll_flush(cx))?;
            budget.made_progress();
            return Poll::Ready(Ok(copied));
        }
        let written = ready!(writer.as_mut().poll_write(cx, buffer))?;
        if written == 0 {
            return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
        }
        copied += written as u64;
        reader.as_mut().consume(written);
        budget.made_progress();
    })
    .await
}

/// A writer that accepts every byte and discards it.
///
/// ```
/// use filch::io::AsyncWriteExt;
///
/// #[filch::main]
/// async fn main() -> std::io::Result<()> {
///     let mut sink = filch::io::sink();
///     assert_eq!(sink.write(b"gone").await?, 4);
///     sink.write_all(b"gone too").await?;
///     sink.flush().await?;
///     Ok(())
/// }
/// ```
pub fn sink() -> Sink {
    Sink { _private: () }
}

/// The writer [`sink()`] returns.
///
/// Every write and flush takes one unit of the task's cooperative budget, so a task that writes to
/// a sink in a loop still yields to the other tasks of its worker.
#[derive(Debug)]
pub struct Sink {
    _private: (),
}

impl Sink {
    /// Takes a unit of budget for an operation that is always ready.
    fn proceed(cx: &mut Context<'_>) -> Poll<()> {
        ready!(coop::poll_proceed(cx)).made_progress();
        Poll::Ready(())
    }
}

impl AsyncWrite for Sink {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready!(Sink::proceed(cx));
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(Sink::proceed(cx));
        Poll::Ready(Ok(bufs.iter().map(|buf| buf.len()).sum()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(Sink::proceed(cx));
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(Sink::proceed(cx));
        Poll::Ready(Ok(()))
    }
}

/// The traits needed to call `read`, `write_all` and the other I/O methods, in one import.
///
/// ```
/// use filch::io::prelude::*;
///
/// # filch::runtime::Runtime::new().unwrap().block_on(async {
/// let mut lines = filch::io::BufReader::new(&b"one\ntwo\n"[..]);
/// let mut line = String::new();
/// lines.read_line(&mut line).await.unwrap();
/// assert_eq!(line, "one\n");
/// # });
/// ```
pub mod prelude {
    pub use super::{
        AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt,
        AsyncWrite, AsyncWriteExt,
    };
}
