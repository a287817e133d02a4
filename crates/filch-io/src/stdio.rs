//! The process's standard input, output and error as `futures-io` streams:
//! [`stdin`], [`stdout`], [`stderr`] (tokio's names).
//!
//! Standard streams may be terminals, pipes or files, and cannot be made non-blocking safely
//! (the descriptor is shared with the rest of the process and with its parent), so each read or
//! write runs on the current runtime's blocking pool, one job in flight per handle:
//!
//! * a read starts a job that reads up to `min(len, 2 MiB)` bytes and waits for it; bytes beyond
//!   what the caller asked for are kept for the next read;
//! * a write copies up to 2 MiB into the handle's buffer, starts a job that writes all of it and
//!   flushes std's buffer, and returns at once; the next write or flush waits for that job and
//!   reports its error;
//! * `flush` and `close` wait for the write in flight (closing does not close the descriptor).
//!
//! Writes from several handles (or from `println!`) are not interleaved inside one job's bytes,
//! since the job holds std's lock on the stream while it writes them; across jobs the order is
//! the order in which they ran. A read of standard input that waits for input occupies a
//! blocking-pool thread until input or end of file arrives; that cannot be cancelled (as in
//! tokio), and runtime shutdown waits for it, so prefer to read standard input to its end.
//! Outside a runtime, operations fail with an error naming the fix.

use std::fmt;
use std::future::Future;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use filch_executor::JoinHandle;
use futures_io::{AsyncRead, AsyncWrite};

use crate::fs::{current, join_error};

/// The largest read or write one job does.
const MAX_BUF: usize = 2 * 1024 * 1024;

#[derive(Clone, Copy, Debug)]
enum Which {
    Stdin,
    Stdout,
    Stderr,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::Stdin => "filch::io::Stdin",
            Which::Stdout => "filch::io::Stdout",
            Which::Stderr => "filch::io::Stderr",
        }
    }
}

#[derive(Default)]
struct Buf {
    data: Vec<u8>,
    pos: usize,
}

enum State {
    Idle(Option<Buf>),
    Busy(JoinHandle<(io::Result<usize>, Buf)>),
}

/// One standard stream with its buffer and job in flight.
struct Blocking {
    which: Which,
    state: State,
}

impl Blocking {
    fn new(which: Which) -> Blocking {
        Blocking {
            which,
            state: State::Idle(Some(Buf::default())),
        }
    }

    /// Waits for the job in flight; returns its result.
    fn poll_job(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let State::Busy(job) = &mut self.state else {
            return Poll::Ready(Ok(0));
        };
        match ready!(Pin::new(job).poll(cx)) {
            Ok((result, buf)) => {
                self.state = State::Idle(Some(buf));
                Poll::Ready(result)
            }
            Err(e) => {
                self.state = State::Idle(Some(Buf::default()));
                Poll::Ready(Err(join_error(self.which.name(), e)))
            }
        }
    }

    fn poll_read(&mut self, cx: &mut Context<'_>, dst: &mut [u8]) -> Poll<io::Result<usize>> {
        loop {
            match &mut self.state {
                State::Idle(buf) => {
                    let b = buf.as_mut().expect("stdio buffer missing while idle");
                    if b.pos < b.data.len() {
                        let n = (b.data.len() - b.pos).min(dst.len());
                        dst[..n].copy_from_slice(&b.data[b.pos..b.pos + n]);
                        b.pos += n;
                        return Poll::Ready(Ok(n));
                    }
                    if dst.is_empty() {
                        return Poll::Ready(Ok(0));
                    }
                    let handle = current(self.which.name())?;
                    let mut b = buf.take().unwrap_or_default();
                    let len = dst.len().min(MAX_BUF);
                    self.state = State::Busy(handle.spawn_blocking(move || {
                        b.data.clear();
                        b.data.resize(len, 0);
                        b.pos = 0;
                        let result = loop {
                            match io::stdin().lock().read(&mut b.data) {
                                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                                other => break other,
                            }
                        };
                        b.data.truncate(*result.as_ref().unwrap_or(&0));
                        (result, b)
                    }));
                }
                State::Busy(_) => {
                    if ready!(self.poll_job(cx))? == 0 {
                        return Poll::Ready(Ok(0));
                    }
                }
            }
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        if let State::Busy(_) = self.state {
            ready!(self.poll_job(cx))?;
        }
        let State::Idle(buf) = &mut self.state else {
            unreachable!("the job ended above");
        };
        if src.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let handle = current(self.which.name())?;
        let mut b = buf.take().unwrap_or_default();
        b.data.clear();
        b.pos = 0;
        let n = src.len().min(MAX_BUF);
        b.data.extend_from_slice(&src[..n]);
        let which = self.which;
        self.state = State::Busy(handle.spawn_blocking(move || {
            let result = match which {
                Which::Stderr => {
                    let mut err = io::stderr().lock();
                    err.write_all(&b.data).and_then(|()| err.flush())
                }
                _ => {
                    let mut out = io::stdout().lock();
                    out.write_all(&b.data).and_then(|()| out.flush())
                }
            };
            b.data.clear();
            (result.map(|()| n), b)
        }));
        Poll::Ready(Ok(n))
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_job(cx))?;
        Poll::Ready(Ok(()))
    }
}

macro_rules! stdio_type {
    ($(#[$meta:meta])* $ty:ident, $which:ident) => {
        $(#[$meta])*
        pub struct $ty(Blocking);

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty)).finish_non_exhaustive()
            }
        }

        #[cfg(unix)]
        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(&io::$which())
            }
        }
    };
}

stdio_type!(
    /// The process's standard input, from [`stdin`]: an [`AsyncRead`] whose reads run on the
    /// blocking pool (see the module doc).
    Stdin,
    stdin
);
stdio_type!(
    /// The process's standard output, from [`stdout`]: an [`AsyncWrite`] whose writes run on the
    /// blocking pool (see the module doc). Flush before the program ends.
    Stdout,
    stdout
);
stdio_type!(
    /// The process's standard error, from [`stderr`]: an [`AsyncWrite`] whose writes run on the
    /// blocking pool (see the module doc).
    Stderr,
    stderr
);

/// A handle to standard input. Several handles share std's buffer, so bytes are not lost
/// between them, except those a handle has read and not handed out.
pub fn stdin() -> Stdin {
    Stdin(Blocking::new(Which::Stdin))
}

/// A handle to standard output.
///
/// ```
/// use filch::io::prelude::*;
/// # let rt = filch::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let mut out = filch::io::stdout();
/// out.write_all(b"hello from the blocking pool\n").await?;
/// out.flush().await?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub fn stdout() -> Stdout {
    Stdout(Blocking::new(Which::Stdout))
}

/// A handle to standard error.
pub fn stderr() -> Stderr {
    Stderr(Blocking::new(Which::Stderr))
}

impl AsyncRead for Stdin {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().0.poll_read(cx, buf)
    }
}

macro_rules! write_impl {
    ($ty:ident) => {
        impl AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.get_mut().0.poll_write(cx, buf)
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.get_mut().0.poll_flush(cx)
            }

            fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                self.get_mut().0.poll_flush(cx)
            }
        }
    };
}

write_impl!(Stdout);
write_impl!(Stderr);
