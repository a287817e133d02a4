//! The ecosystem's I/O traits on filch's streams, behind Cargo features (all off by default).
//!
//! * `hyper` (feature `hyper`): `hyper::rt::Read`/`Write` on [`TcpStream`](crate::net::TcpStream),
//!   [`UnixStream`](crate::net::UnixStream) and their split halves, hyper-util's `Connection` on
//!   the two streams, and `Executor`, `Timer` and `Connector`.
//! * `tokio_io` (feature `tokio-io`): `tokio::io::AsyncRead`/`AsyncWrite` on the same types.
//!   tokio is a dependency for its traits only, with no tokio feature enabled, so no tokio
//!   runtime code is compiled in, let alone started.
//!
//! The traits are implemented here, in filch-io, because Rust's orphan rule forbids the facade to
//! implement a foreign trait on a filch-io type. Both read traits hand us an uninitialised
//! buffer; `PollEvented::poll_read_uninit` reads into it with `read(2)` without zeroing it
//! first (zeroing 8 KiB per read is what a safe `&mut [u8]` adapter costs).
//!
//! No `AsyncBufRead`: a filch stream buffers nothing of its own (wrap it in a `BufReader` of the
//! library's I/O family when a buffered reader is wanted, as with tokio's sockets).

#[cfg(feature = "hyper")]
pub mod hyper;
#[cfg(feature = "tokio-io")]
mod tokio_io;

#[cfg(any(feature = "hyper", feature = "tokio-io"))]
mod uninit {
    use std::io;
    use std::mem::MaybeUninit;
    use std::os::fd::{AsFd, AsRawFd};
    use std::task::{Context, Poll};

    use crate::io_source::PollEvented;
    use crate::scheduled_io::Direction;

    impl<T: AsFd> PollEvented<T> {
        /// Reads into `buf`, which may be uninitialised, waiting for readiness in the `poll_*` style
        /// (as `poll_read` does). On `Ok(n)` the first `n` bytes of `buf` are initialised. Only
        /// for byte streams: a short read clears readiness like `poll_read`'s (see
        /// `io_source.rs`, "one system call per message").
        pub(crate) fn poll_read_uninit(
            &self,
            cx: &mut Context<'_>,
            buf: &mut [MaybeUninit<u8>],
        ) -> Poll<io::Result<usize>> {
            // `read(2)` takes at most `isize::MAX` bytes, as std's `Read::read` also clamps.
            let len = buf.len().min(isize::MAX as usize);
            let ptr = buf.as_mut_ptr().cast::<libc::c_void>();
            self.poll_transfer(cx, Direction::Read, len, |s| loop {
                // SAFETY: `ptr` points to `buf`, valid for writes of `len` bytes (uninitialised
                // bytes may be written; `read(2)` never reads them) and exclusively borrowed for this
                // call; the descriptor is owned by `s` and open while `s` is borrowed.
                let n = unsafe { libc::read(s.as_fd().as_raw_fd(), ptr, len) };
                if n >= 0 {
                    return Ok(n as usize);
                }
                let err = io::Error::last_os_error();
                if err.kind() != io::ErrorKind::Interrupted {
                    return Err(err);
                }
            })
        }
    }
}
