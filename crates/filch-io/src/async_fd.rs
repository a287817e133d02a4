//! [`AsyncFd`]: any non-blocking file descriptor on filch's reactor. Re-exported as
//! `filch::io::unix::AsyncFd` (tokio's path), with its guards and [`TryIoError`].
//!
//! # Contract
//!
//! * [`AsyncFd::new`] registers the descriptor of a `T: AsRawFd` with the current runtime's
//!   reactor, for both directions, edge-triggered, like every filch socket. It does **not**
//!   switch the descriptor to non-blocking mode: the caller must have done so (an operation
//!   that blocks would hold a worker thread). [`AsyncFd::with_interest`] records the interest
//!   for the waits that do not name one; the registration covers both directions either way,
//!   so it costs nothing to wait for the other one later.
//! * The `AsyncFd` owns `T`. Dropping it deregisters the descriptor, then drops `T` (which
//!   closes it, if `T` owns it). [`AsyncFd::into_inner`] deregisters and gives `T` back. The
//!   descriptor must stay open as long as the `AsyncFd` lives: closing it behind filch's back
//!   (for example through a `T` that does not own it) is a bug of the caller's, as in tokio.
//! * A fresh `AsyncFd` is assumed ready in both directions (see `ScheduledIo::assumed_ready`):
//!   the first [`readable`](AsyncFd::readable) returns at once, and the caller's first attempt
//!   finds out whether the descriptor really is ready.
//! * Readiness is a hint. [`readable`](AsyncFd::readable), [`writable`](AsyncFd::writable) and
//!   [`ready`](AsyncFd::ready) return a guard once the reactor has seen the direction ready.
//!   The caller then tries its operation, through the guard's
//!   [`try_io`](AsyncFdReadyGuard::try_io) (which clears the readiness when the operation says
//!   `WouldBlock`), or by hand with [`clear_ready`](AsyncFdReadyGuard::clear_ready) after a
//!   `WouldBlock`. Clearing carries the event's generation, so an event that arrived after the
//!   guard was made is never erased (the protocol of `scheduled_io.rs`). A guard dropped without
//!   clearing leaves the readiness set ([`retain_ready`](AsyncFdReadyGuard::retain_ready) says
//!   so explicitly): the next wait returns at once.
//! * A guard's [`ready`](AsyncFdReadyGuard::ready) also says [`Ready::READ_CLOSED`] and
//!   [`Ready::WRITE_CLOSED`] when the reactor saw them (a hang-up sets both; see
//!   `filch::io::Ready` for what each wait reports). They are final: clearing never removes
//!   them, so every later wait in their direction returns at once, as with tokio.
//! * Several tasks may wait at once through the `async fn`s; the `poll_*_ready` methods keep
//!   one waker per direction (the task that polled last), like every `poll_*` method in filch.
//!
//! The design is tokio's `AsyncFd`; the code is filch's own, over its `PollEvented`.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{ready, Context, Poll};

use crate::interest::{Interest, Ready};
use crate::io_source::PollEvented;
use crate::scheduled_io::{Direction, ReadyEvent};

/// `T` seen as an [`AsFd`], which `PollEvented` needs: `AsyncFd` takes any `AsRawFd`, as
/// tokio's does.
struct Inner<T: AsRawFd>(T);

impl<T: AsRawFd> AsFd for Inner<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: `AsyncFd`'s contract (module doc, and `AsyncFd::new`'s docs) is that the
        // descriptor of `T` stays open while the `AsyncFd` holds `T`; the borrow does not
        // outlive `&self`, so it does not outlive `T`.
        unsafe { BorrowedFd::borrow_raw(self.0.as_raw_fd()) }
    }
}

/// A non-blocking file descriptor registered with filch's reactor: wait for readiness, then
/// run your own system call.
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream as StdStream;
/// use filch::io::unix::AsyncFd;
///
/// # filch::runtime::Runtime::new().unwrap().block_on(async {
/// let (a, mut b) = StdStream::pair()?;
/// a.set_nonblocking(true)?;
/// let a = AsyncFd::new(a)?;
/// b.write_all(b"hello")?;
/// let mut buf = [0; 8];
/// let n = loop {
///     let mut guard = a.readable().await?;
///     match guard.try_io(|fd| fd.get_ref().read(&mut buf)) {
///         Ok(result) => break result?,
///         Err(_would_block) => continue, // readiness cleared: wait for the next event
///     }
/// };
/// assert_eq!(&buf[..n], b"hello");
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub struct AsyncFd<T: AsRawFd> {
    io: PollEvented<Inner<T>>,
    interest: Interest,
}

impl<T: AsRawFd> AsyncFd<T> {
    /// Registers `inner`'s descriptor with the current runtime's reactor, with interest in
    /// both directions. The descriptor must already be in non-blocking mode, and must stay
    /// open as long as the `AsyncFd` holds it.
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let fd = filch::io::unix::AsyncFd::new(a)?;
    /// # drop(fd);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// Outside a filch runtime with the I/O driver, or when the OS poller refuses the
    /// descriptor (a regular file, for example: epoll does not take those, and says `EPERM`).
    pub fn new(inner: T) -> io::Result<AsyncFd<T>> {
        Self::with_interest(inner, Interest::READABLE | Interest::WRITABLE)
    }

    /// Like [`new`](Self::new), with `interest` as the interest of
    /// [`ready`](Self::ready)-style waits that do not name one. (The reactor watches both
    /// directions regardless; [`readable`](Self::readable) and [`writable`](Self::writable)
    /// work whatever `interest` is.)
    ///
    /// ```
    /// use filch::io::{unix::AsyncFd, Interest};
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let fd = AsyncFd::with_interest(a, Interest::WRITABLE)?;
    /// assert_eq!(fd.interest(), Interest::WRITABLE);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// As for [`new`](Self::new).
    pub fn with_interest(inner: T, interest: Interest) -> io::Result<AsyncFd<T>> {
        Ok(AsyncFd {
            io: PollEvented::new(Inner(inner), "`AsyncFd::new`")?,
            interest,
        })
    }

    /// The interest given to [`with_interest`](Self::with_interest) (both directions for
    /// [`new`](Self::new)).
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let fd = filch::io::unix::AsyncFd::new(a)?;
    /// assert!(fd.interest().is_readable() && fd.interest().is_writable());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn interest(&self) -> Interest {
        self.interest
    }

    /// The wrapped value.
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let fd = filch::io::unix::AsyncFd::new(a)?;
    /// assert!(fd.get_ref().peer_addr().is_ok());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.io.get_ref().0
    }

    /// The wrapped value, mutably. Replacing its descriptor is not allowed (the reactor
    /// watches the old one).
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let mut fd = filch::io::unix::AsyncFd::new(a)?;
    /// let _stream: &mut std::os::unix::net::UnixStream = fd.get_mut();
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io.get_mut().0
    }

    /// Deregisters the descriptor and returns the wrapped value (still non-blocking, still
    /// open).
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let fd = filch::io::unix::AsyncFd::new(a)?;
    /// let a: std::os::unix::net::UnixStream = fd.into_inner();
    /// # drop(a);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn into_inner(self) -> T {
        // A failed delete means the poller no longer knows the descriptor: nothing is left
        // to undo, and tokio's `into_inner` does not fail either.
        match self.io.into_inner_ignoring_errors() {
            Inner(inner) => inner,
        }
    }

    /// Waits until the descriptor is (probably) readable, and returns a guard that says so.
    /// Any number of tasks may wait at once.
    ///
    /// ```
    /// use std::io::Write;
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let fd = filch::io::unix::AsyncFd::new(a)?;
    /// b.write_all(b"x")?;
    /// let guard = fd.readable().await?;
    /// assert!(guard.ready().is_readable());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// Fails after the runtime has shut down.
    pub async fn readable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Interest::READABLE).await
    }

    /// Waits until the descriptor is (probably) writable; see [`readable`](Self::readable).
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let fd = filch::io::unix::AsyncFd::new(a)?;
    /// let guard = fd.writable().await?;
    /// assert!(guard.ready().is_writable());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// Fails after the runtime has shut down.
    pub async fn writable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Interest::WRITABLE).await
    }

    /// Waits until the descriptor is ready for at least one of `interest`; the guard's
    /// [`ready`](AsyncFdReadyGuard::ready) says which.
    ///
    /// ```
    /// use filch::io::Interest;
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let fd = filch::io::unix::AsyncFd::new(a)?;
    /// let guard = fd.ready(Interest::READABLE | Interest::WRITABLE).await?;
    /// assert!(!guard.ready().is_empty());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// Fails after the runtime has shut down.
    pub async fn ready(&self, interest: Interest) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        let event = self.io.readiness(interest.direction()).await?;
        Ok(AsyncFdReadyGuard {
            async_fd: self,
            event: Some(event),
            ready: Ready::from_bits(event.ready(), interest),
        })
    }

    /// [`readable`](Self::readable) with a guard that lends the `AsyncFd` mutably (for a `T`
    /// whose operations take `&mut self`).
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let mut fd = filch::io::unix::AsyncFd::new(a)?;
    /// b.write_all(b"x")?;
    /// let mut buf = [0; 1];
    /// loop {
    ///     let mut guard = fd.readable_mut().await?;
    ///     if let Ok(result) = guard.try_io(|fd| fd.get_mut().read(&mut buf)) {
    ///         assert_eq!(result?, 1);
    ///         break;
    ///     }
    /// }
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// Fails after the runtime has shut down.
    pub async fn readable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.ready_mut(Interest::READABLE).await
    }

    /// [`writable`](Self::writable) with a guard that lends the `AsyncFd` mutably.
    ///
    /// ```
    /// use std::io::Write;
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let mut fd = filch::io::unix::AsyncFd::new(a)?;
    /// let mut guard = fd.writable_mut().await?;
    /// let written = guard.try_io(|fd| fd.get_mut().write(b"x"));
    /// assert_eq!(written.unwrap()?, 1);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// Fails after the runtime has shut down.
    pub async fn writable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.ready_mut(Interest::WRITABLE).await
    }

    /// [`ready`](Self::ready) with a guard that lends the `AsyncFd` mutably.
    ///
    /// ```
    /// use filch::io::Interest;
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let mut fd = filch::io::unix::AsyncFd::new(a)?;
    /// let guard = fd.ready_mut(Interest::WRITABLE).await?;
    /// assert!(guard.ready().is_writable());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// Fails after the runtime has shut down.
    pub async fn ready_mut(
        &mut self,
        interest: Interest,
    ) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        let event = self.io.readiness(interest.direction()).await?;
        Ok(AsyncFdReadyMutGuard {
            async_fd: self,
            event: Some(event),
            ready: Ready::from_bits(event.ready(), interest),
        })
    }

    /// Polls for read readiness, returning a guard when the descriptor is (probably)
    /// readable. Only the task that polled last is woken.
    ///
    /// ```
    /// use std::io::Write;
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, mut b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let fd = filch::io::unix::AsyncFd::new(a)?;
    /// b.write_all(b"x")?;
    /// std::future::poll_fn(|cx| fd.poll_read_ready(cx).map_ok(drop)).await?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// Fails after the runtime has shut down.
    pub fn poll_read_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        self.poll_guard(cx, Direction::Read, Interest::READABLE)
    }

    /// Polls for write readiness; see [`poll_read_ready`](Self::poll_read_ready).
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let fd = filch::io::unix::AsyncFd::new(a)?;
    /// std::future::poll_fn(|cx| fd.poll_write_ready(cx).map_ok(drop)).await?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// Fails after the runtime has shut down.
    pub fn poll_write_ready<'a>(
        &'a self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        self.poll_guard(cx, Direction::Write, Interest::WRITABLE)
    }

    fn poll_guard<'a>(
        &'a self,
        cx: &mut Context<'_>,
        direction: Direction,
        interest: Interest,
    ) -> Poll<io::Result<AsyncFdReadyGuard<'a, T>>> {
        let event = ready!(self.io.poll_ready(cx, direction))?;
        Poll::Ready(Ok(AsyncFdReadyGuard {
            async_fd: self,
            event: Some(event),
            ready: Ready::from_bits(event.ready(), interest),
        }))
    }

    /// One attempt of `f` without waiting; a `WouldBlock` from it clears the readiness of
    /// `interest` (as the guards' `try_io` does).
    ///
    /// ```
    /// use std::io::Read;
    /// use filch::io::Interest;
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// let fd = filch::io::unix::AsyncFd::new(a)?;
    /// let err = fd.try_io(Interest::READABLE, |mut a| a.read(&mut [0; 4])).unwrap_err();
    /// assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// Whatever `f` returns, or an error after the runtime has shut down.
    pub fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        self.io.try_io_interest(interest, || f(self.get_ref()))
    }
}

impl<T: AsRawFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_raw_fd()
    }
}

impl<T: AsRawFd> AsFd for AsyncFd<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFd")
            .field("inner", self.get_ref())
            .field("interest", &self.interest)
            .finish()
    }
}

/// The error of a guard's `try_io` when the operation said `WouldBlock`: the readiness has
/// been cleared, wait again.
#[derive(Debug)]
pub struct TryIoError(());

impl fmt::Display for TryIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the operation would block; wait for readiness again")
    }
}

impl std::error::Error for TryIoError {}

/// Readiness of an [`AsyncFd`], from [`readable`](AsyncFd::readable),
/// [`writable`](AsyncFd::writable), [`ready`](AsyncFd::ready) or a `poll_*_ready`.
///
/// Dropping it leaves the readiness set; after a `WouldBlock`, clear it (or use
/// [`try_io`](Self::try_io), which does).
pub struct AsyncFdReadyGuard<'a, T: AsRawFd> {
    async_fd: &'a AsyncFd<T>,
    event: Option<ReadyEvent>,
    ready: Ready,
}

impl<'a, T: AsRawFd> AsyncFdReadyGuard<'a, T> {
    /// The readiness seen (within the interest waited for).
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// # let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// # a.set_nonblocking(true)?;
    /// let fd = filch::io::unix::AsyncFd::new(a)?;
    /// assert_eq!(fd.writable().await?.ready(), filch::io::Ready::WRITABLE);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn ready(&self) -> Ready {
        self.ready
    }

    /// Forgets the readiness this guard saw, so that the next wait waits for a new event.
    /// Call it after the operation said `WouldBlock`. An event that arrived after the guard
    /// was made is kept.
    ///
    /// ```
    /// use std::io::Read;
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// # let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// # a.set_nonblocking(true)?;
    /// let fd = filch::io::unix::AsyncFd::new(a)?;
    /// let mut guard = fd.readable().await?; // a fresh descriptor is assumed ready
    /// if let Err(e) = fd.get_ref().read(&mut [0; 4]) {
    ///     assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
    ///     guard.clear_ready();
    /// }
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn clear_ready(&mut self) {
        if let Some(event) = self.event.take() {
            self.async_fd.io.clear_readiness(event);
        }
    }

    /// Keeps the readiness (what dropping the guard does anyway): the next wait returns at
    /// once.
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// # let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// # a.set_nonblocking(true)?;
    /// let fd = filch::io::unix::AsyncFd::new(a)?;
    /// fd.writable().await?.retain_ready();
    /// fd.writable().await?; // returns at once
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn retain_ready(&mut self) {
        self.event = None;
    }

    /// Runs `f` once. If it says `WouldBlock`, clears the readiness and returns
    /// `Err(TryIoError)`: wait again. Otherwise returns `Ok` with `f`'s result.
    ///
    /// ```
    /// use std::io::Write;
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// # let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// # a.set_nonblocking(true)?;
    /// let fd = filch::io::unix::AsyncFd::new(a)?;
    /// let mut guard = fd.writable().await?;
    /// let written = guard.try_io(|fd| fd.get_ref().write(b"hi"));
    /// assert_eq!(written.unwrap()?, 2);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`TryIoError`] when `f` said `WouldBlock`.
    pub fn try_io<R>(
        &mut self,
        f: impl FnOnce(&'a AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        match f(self.async_fd) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                Err(TryIoError(()))
            }
            result => Ok(result),
        }
    }

    /// The `AsyncFd` this guard belongs to.
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// # let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// # a.set_nonblocking(true)?;
    /// let fd = filch::io::unix::AsyncFd::new(a)?;
    /// let guard = fd.writable().await?;
    /// assert!(std::ptr::eq(guard.get_ref(), &fd));
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn get_ref(&self) -> &'a AsyncFd<T> {
        self.async_fd
    }

    /// The value the `AsyncFd` wraps.
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// # let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// # a.set_nonblocking(true)?;
    /// let fd = filch::io::unix::AsyncFd::new(a)?;
    /// let guard = fd.writable().await?;
    /// assert!(guard.get_inner().peer_addr().is_ok());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn get_inner(&self) -> &'a T {
        self.async_fd.get_ref()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFdReadyGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyGuard")
            .field("async_fd", self.async_fd)
            .field("ready", &self.ready)
            .finish()
    }
}

/// Like [`AsyncFdReadyGuard`], lending the [`AsyncFd`] mutably; from
/// [`readable_mut`](AsyncFd::readable_mut), [`writable_mut`](AsyncFd::writable_mut) or
/// [`ready_mut`](AsyncFd::ready_mut).
pub struct AsyncFdReadyMutGuard<'a, T: AsRawFd> {
    async_fd: &'a mut AsyncFd<T>,
    event: Option<ReadyEvent>,
    ready: Ready,
}

impl<T: AsRawFd> AsyncFdReadyMutGuard<'_, T> {
    /// The readiness seen (within the interest waited for).
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// # let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// # a.set_nonblocking(true)?;
    /// let mut fd = filch::io::unix::AsyncFd::new(a)?;
    /// assert!(fd.writable_mut().await?.ready().is_writable());
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn ready(&self) -> Ready {
        self.ready
    }

    /// Forgets the readiness this guard saw; see [`AsyncFdReadyGuard::clear_ready`].
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// # let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// # a.set_nonblocking(true)?;
    /// let mut fd = filch::io::unix::AsyncFd::new(a)?;
    /// let mut guard = fd.readable_mut().await?;
    /// guard.clear_ready(); // the next `readable_mut` waits for data
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn clear_ready(&mut self) {
        if let Some(event) = self.event.take() {
            self.async_fd.io.clear_readiness(event);
        }
    }

    /// Keeps the readiness; see [`AsyncFdReadyGuard::retain_ready`].
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// # let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// # a.set_nonblocking(true)?;
    /// let mut fd = filch::io::unix::AsyncFd::new(a)?;
    /// fd.writable_mut().await?.retain_ready();
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn retain_ready(&mut self) {
        self.event = None;
    }

    /// Runs `f` once with the `AsyncFd` lent mutably; see [`AsyncFdReadyGuard::try_io`].
    ///
    /// ```
    /// use std::io::Write;
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// # let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// # a.set_nonblocking(true)?;
    /// let mut fd = filch::io::unix::AsyncFd::new(a)?;
    /// let mut guard = fd.writable_mut().await?;
    /// assert_eq!(guard.try_io(|fd| fd.get_mut().write(b"x")).unwrap()?, 1);
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    ///
    /// [`TryIoError`] when `f` said `WouldBlock`.
    pub fn try_io<R>(
        &mut self,
        f: impl FnOnce(&mut AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        match f(self.async_fd) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                Err(TryIoError(()))
            }
            result => Ok(result),
        }
    }

    /// The `AsyncFd` this guard belongs to.
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// # let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// # a.set_nonblocking(true)?;
    /// let mut fd = filch::io::unix::AsyncFd::new(a)?;
    /// let guard = fd.writable_mut().await?;
    /// let _: &filch::io::unix::AsyncFd<_> = guard.get_ref();
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn get_ref(&self) -> &AsyncFd<T> {
        self.async_fd
    }

    /// The `AsyncFd` this guard belongs to, mutably.
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// # let (a, _b) = std::os::unix::net::UnixStream::pair()?;
    /// # a.set_nonblocking(true)?;
    /// let mut fd = filch::io::unix::AsyncFd::new(a)?;
    /// let mut guard = fd.writable_mut().await?;
    /// let _: &mut std::os::unix::net::UnixStream = guard.get_mut().get_mut();
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub fn get_mut(&mut self) -> &mut AsyncFd<T> {
        self.async_fd
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFdReadyMutGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyMutGuard")
            .field("async_fd", &*self.async_fd)
            .field("ready", &self.ready)
            .finish()
    }
}

// `Inner<T>` is a plain wrapper: as unwind safe as `T` (the compiler infers it).
