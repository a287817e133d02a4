//! [`ChildStdin`], [`ChildStdout`] and [`ChildStderr`]: a child's pipes, non-blocking and
//! registered with the runtime's reactor.
//!
//! Each wraps the pipe's descriptor as a `std::fs::File` (reads and writes are plain
//! `read`/`write` system calls) in a `PollEvented`, after switching it to non-blocking mode. A
//! pipe is registered with the runtime that spawned the child. `poll_flush` and `poll_close` of
//! [`ChildStdin`] do nothing (a pipe has no buffer of ours); the write end is closed when the
//! `ChildStdin` is dropped, which is how a child reading its standard input sees the end.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::process::Stdio;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::driver::Handle;
use crate::io_source::PollEvented;
use crate::scheduled_io::Direction;

/// Sets or clears `O_NONBLOCK` on `fd`.
pub(crate) fn set_nonblocking(fd: BorrowedFd<'_>, nonblocking: bool) -> io::Result<()> {
    let raw = fd.as_raw_fd();
    // SAFETY: `raw` is a valid open descriptor for the duration of the call (borrowed by `fd`);
    // F_GETFL takes no further argument.
    let flags = unsafe { libc::fcntl(raw, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    let flags = if nonblocking {
        flags | libc::O_NONBLOCK
    } else {
        flags & !libc::O_NONBLOCK
    };
    // SAFETY: as above; F_SETFL takes an int of flags.
    if unsafe { libc::fcntl(raw, libc::F_SETFL, flags) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn register(fd: OwnedFd, driver: &Arc<Handle>) -> io::Result<PollEvented<File>> {
    set_nonblocking(fd.as_fd(), true)?;
    PollEvented::new_with(File::from(fd), driver.clone())
}

fn into_stdio(io: PollEvented<File>) -> io::Result<Stdio> {
    let file = io.into_inner()?;
    set_nonblocking(file.as_fd(), false)?;
    Ok(Stdio::from(OwnedFd::from(file)))
}

macro_rules! pipe_common {
    ($name:ident, $std:ty) => {
        impl $name {
            pub(crate) fn new(pipe: $std, driver: &Arc<Handle>) -> io::Result<Self> {
                Ok($name {
                    io: register(OwnedFd::from(pipe), driver)?,
                })
            }

            /// Wraps a pipe of a child spawned with `std::process`, registering it with the
            /// current runtime's reactor.
            ///
            /// # Errors
            ///
            /// Outside a filch runtime (the message names the fix), or when the descriptor
            /// cannot be made non-blocking or registered.
            pub fn from_std(pipe: $std) -> io::Result<Self> {
                let what = concat!("filch::process::", stringify!($name), "::from_std");
                let driver = crate::driver::current().map_err(|e| e.into_io_error(what))?;
                Self::new(pipe, &driver)
            }

            /// Deregisters the pipe and returns its descriptor, back in blocking mode.
            ///
            /// # Errors
            ///
            /// When the descriptor cannot be deregistered or switched back to blocking mode.
            pub fn into_owned_fd(self) -> io::Result<OwnedFd> {
                let file = self.io.into_inner()?;
                set_nonblocking(file.as_fd(), false)?;
                Ok(OwnedFd::from(file))
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("fd", &self.as_raw_fd())
                    .finish()
            }
        }

        impl AsFd for $name {
            fn as_fd(&self) -> BorrowedFd<'_> {
                self.io.get_ref().as_fd()
            }
        }

        impl AsRawFd for $name {
            fn as_raw_fd(&self) -> RawFd {
                self.io.get_ref().as_raw_fd()
            }
        }

        /// Hands the pipe to another child (for example to connect two children), back in
        /// blocking mode as a child expects.
        impl TryFrom<$name> for Stdio {
            type Error = io::Error;

            fn try_from(pipe: $name) -> io::Result<Stdio> {
                into_stdio(pipe.io)
            }
        }
    };
}

macro_rules! read_pipe {
    ($name:ident, $std:ty, $doc:literal) => {
        #[doc = $doc]
        ///
        /// Implements [`AsyncRead`]: bring `read`/`read_to_end` into scope with
        /// `filch::io::prelude::*` (or `futures_lite::AsyncReadExt`).
        pub struct $name {
            io: PollEvented<File>,
        }

        pipe_common!($name, $std);

        impl AsyncRead for $name {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                self.io
                    .poll_io(cx, Direction::Read, |mut file| file.read(buf))
            }

            fn poll_read_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &mut [io::IoSliceMut<'_>],
            ) -> Poll<io::Result<usize>> {
                self.io
                    .poll_io(cx, Direction::Read, |mut file| file.read_vectored(bufs))
            }
        }
    };
}

read_pipe!(
    ChildStdout,
    std::process::ChildStdout,
    "The read end of a child's standard output (present when the child was spawned with `Stdio::piped()`)."
);
read_pipe!(
    ChildStderr,
    std::process::ChildStderr,
    "The read end of a child's standard error (present when the child was spawned with `Stdio::piped()`)."
);

/// The write end of a child's standard input (present when the child was spawned with
/// `Stdio::piped()`).
///
/// Implements [`AsyncWrite`]: bring `write_all` into scope with `filch::io::prelude::*` (or
/// `futures_lite::AsyncWriteExt`). Drop it to close the pipe, so the child sees the end of its
/// input; `flush` and `close` do nothing (there is no buffer to empty).
pub struct ChildStdin {
    io: PollEvented<File>,
}

pipe_common!(ChildStdin, std::process::ChildStdin);

impl AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io
            .poll_io(cx, Direction::Write, |mut file| file.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io
            .poll_io(cx, Direction::Write, |mut file| file.write_vectored(bufs))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
