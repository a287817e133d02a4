//! [`PollEvented`]: a non-blocking descriptor registered with the current runtime's reactor.
//!
//! Every socket type wraps one. It owns the descriptor and its registration, and its `Drop`
//! keeps the order the reactor relies on: delete from the poller, free the slot, then close.
//! It also holds the patterns every socket operation follows:
//!
//! * [`PollEvented::poll_io`] for `poll_*` methods (`AsyncRead`, `AsyncWrite`): one waker slot
//!   per direction.
//! * [`PollEvented::async_io`] for `async fn`s: a waiter of its own, so several tasks may wait
//!   on one socket at once.
//! * [`PollEvented::try_io`] for `try_*` methods: one attempt, no waiting.
//!
//! Each attempt that waits takes one unit of the executor's cooperative budget
//! (the executor's `coop` module), so a task reading a socket that is always ready still yields.
//!
//! # One system call per message: clearing after a short transfer
//!
//! Readiness is always cleared when the OS says `WouldBlock`. The byte-stream transfers
//! ([`PollEvented::poll_transfer`], [`PollEvented::try_transfer`]: `read`/`write` of
//! `TcpStream`/`UnixStream`, their halves and the compat traits' reads) also clear it after a
//! **short** transfer, `0 < n < len`: a read that returned less than asked took everything the
//! socket held, a write that wrote less than asked filled the send buffer, so the next attempt
//! would only say `WouldBlock`. Clearing now (with the event's generation, so that an edge
//! recorded since is kept) lets the next poll wait for the reactor instead of making that extra
//! `recvfrom`/`sendto`. A transfer of `0` (end of stream, or an empty buffer) or of the whole
//! buffer clears nothing. mio-based tokio does the same.
//!
//! * **Reads clear only where the reactor's wait reports `READ_CLOSED` on a peer's end of
//!   stream** (`Reactor::reports_read_closed`, epoll's `EPOLLRDHUP`). When data and the end of
//!   stream arrive before the task reads, the OS reports them in *one* edge; the short read takes
//!   the data, and the end of stream is then pending with no edge to come. With `READ_CLOSED`
//!   in that edge the read wait stays ready (a clear never removes a closed bit) and the next
//!   read returns `0`. `polling`'s portable wait does not report a half-close, so there a short
//!   read clears nothing and the end of stream is found by the next read, as before.
//! * **Writes clear on every wait.** Nothing that could make the socket writable again is
//!   pending unreported after a short write: the send buffer is full *because of* this write, so
//!   room can only come from acknowledgements that arrive after it, and each of those, like a
//!   reset or a hang-up that arrives after it, is a new edge (its event bumps the generation,
//!   making the clear a no-op if it came first, or sets the bit again if it comes after). A reset
//!   or error that arrived *before* the write makes the write fail instead of returning short
//!   (`EPIPE`/`ECONNRESET`; the kernel checks the socket's error and shutdown state before it
//!   copies), and an error result clears nothing.
//! * Datagram sockets never clear after a short receive: a datagram shorter than the buffer
//!   says nothing about the next one queued behind it. `peek` never clears (the data stays).
//!
//! The closed bits make a wait ready for good. A read or write after one returns `0` or an
//! error, not `WouldBlock`, on every socket filch wraps; a descriptor given to `AsyncFd` that
//! said `WouldBlock` with its closed bit set would be retried at once, as with tokio.

use std::future::poll_fn;
use std::io;
use std::ops::Deref;
use std::os::fd::AsFd;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use filch_executor::coop;

use crate::driver::{self, Handle};
use crate::interest::{Interest, Ready};
use crate::scheduled_io::{Direction, ReadyEvent, ScheduledIo, WaiterSlot};

/// A descriptor registered with a reactor.
///
/// # Invariant
///
/// `io` is `Some` from construction until `Drop` or [`PollEvented::into_inner`], and while it is
/// `Some` the descriptor is registered under `key`; it is always deregistered before it is
/// closed or handed back.
#[derive(Debug)]
pub(crate) struct PollEvented<T: AsFd> {
    io: Option<T>,
    driver: Arc<Handle>,
    key: usize,
    shared: Arc<ScheduledIo>,
}

impl<T: AsFd> PollEvented<T> {
    /// Registers `io` (already non-blocking) with the current runtime's reactor. `what` names
    /// the operation for the error message when there is no runtime.
    pub(crate) fn new(io: T, what: &str) -> io::Result<Self> {
        let driver = driver::current().map_err(|e| e.into_io_error(what))?;
        Self::new_with(io, driver)
    }

    pub(crate) fn new_with(io: T, driver: Arc<Handle>) -> io::Result<Self> {
        let (key, shared) = driver.reactor.register(io.as_fd())?;
        Ok(PollEvented {
            io: Some(io),
            driver,
            key,
            shared,
        })
    }

    /// The driver this source is registered with.
    pub(crate) fn driver(&self) -> &Arc<Handle> {
        &self.driver
    }

    /// The wrapped descriptor.
    pub(crate) fn get_ref(&self) -> &T {
        self.io
            .as_ref()
            .expect("PollEvented invariant: io is Some until dropped")
    }

    /// The wrapped descriptor, mutably (for `AsyncFd::get_mut`; the descriptor itself must not
    /// be replaced).
    pub(crate) fn get_mut(&mut self) -> &mut T {
        self.io
            .as_mut()
            .expect("PollEvented invariant: io is Some until dropped")
    }

    /// Deregisters and returns the descriptor, ignoring a failed delete (the poller no longer
    /// knows the descriptor, so nothing is left to undo).
    pub(crate) fn into_inner_ignoring_errors(mut self) -> T {
        let io = self.io.take().expect("PollEvented invariant: io is Some");
        let _ = self.driver.reactor.deregister(io.as_fd(), self.key);
        io
    }

    /// Deregisters and returns the descriptor (still in non-blocking mode).
    pub(crate) fn into_inner(mut self) -> io::Result<T> {
        let io = self.io.take().expect("PollEvented invariant: io is Some");
        self.driver.reactor.deregister(io.as_fd(), self.key)?;
        Ok(io)
    }

    /// Waits for `direction` in the `poll_*` style (one waker slot per direction).
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        let slot = match direction {
            // A `poll_*` wait for either direction shares the reader's slot (no public method
            // does one; `ready(Interest)` is an `async fn` with a list waiter).
            Direction::Read | Direction::Either => WaiterSlot::Reader,
            Direction::Write => WaiterSlot::Writer,
        };
        self.shared.poll_ready(cx, direction, slot)
    }

    /// Forgets readiness after the OS said `WouldBlock` (unless a newer event arrived).
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        self.shared.clear_readiness(event);
    }

    /// Runs `f` until it does not say `WouldBlock`, waiting for `direction` in between, in the
    /// `poll_*` style. Takes one unit of cooperative budget.
    ///
    /// Readiness is cleared only on `WouldBlock`; for byte-stream transfers, which may also
    /// clear after a short transfer, see [`poll_transfer`](Self::poll_transfer).
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        f: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_then(cx, direction, f, |_, _| {})
    }

    /// [`poll_io`](Self::poll_io) for a byte-stream transfer of at most `len` bytes (`f`
    /// returns how many it moved): after a short transfer the readiness seen before it is
    /// cleared where that is safe (the module notes, "one system call per message").
    pub(crate) fn poll_transfer(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        len: usize,
        f: impl FnMut(&T) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        self.poll_io_then(cx, direction, f, |&n, event| {
            self.after_transfer(direction, event, n, len)
        })
    }

    /// The loop of [`poll_io`](Self::poll_io); `after` runs on a successful result with the
    /// event the attempt was made under.
    fn poll_io_then<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut f: impl FnMut(&T) -> io::Result<R>,
        after: impl FnOnce(&R, ReadyEvent),
    ) -> Poll<io::Result<R>> {
        let budget = ready!(coop::poll_proceed(cx));
        loop {
            let event = ready!(self.poll_ready(cx, direction))?;
            match f(self.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(event),
                result => {
                    if let Ok(value) = &result {
                        after(value, event);
                    }
                    budget.made_progress();
                    return Poll::Ready(result);
                }
            }
        }
    }

    /// Whether a short transfer in `direction` may clear its readiness: writes always, reads
    /// only where the reactor reports a peer's end of stream as `READ_CLOSED` (module notes).
    fn clears_after_short_transfer(&self, direction: Direction) -> bool {
        match direction {
            Direction::Read => self.driver.reactor.reports_read_closed(),
            Direction::Write => true,
            Direction::Either => false,
        }
    }

    /// Clears `event` after a transfer of `n` of `len` bytes when the transfer was short and
    /// clearing is safe in `direction`. Linux moves at most `MAX_RW_COUNT` (2 GiB less a page)
    /// bytes in one call, so only less than that counts as short.
    fn after_transfer(&self, direction: Direction, event: ReadyEvent, n: usize, len: usize) {
        const MAX_ONE_CALL: usize = 0x7fff_f000;
        if n > 0 && n < len.min(MAX_ONE_CALL) && self.clears_after_short_transfer(direction) {
            self.clear_readiness(event);
        }
    }

    /// Waits until `direction` is ready (as far as the reactor knows), as an `async fn` with a
    /// waiter of its own. Takes one unit of cooperative budget.
    pub(crate) async fn readiness(&self, direction: Direction) -> io::Result<ReadyEvent> {
        let mut waiter = ListWaiterGuard::new(&self.shared);
        poll_fn(|cx| {
            let budget = ready!(coop::poll_proceed(cx));
            let event = ready!(self.shared.poll_ready(cx, direction, waiter.slot()))?;
            budget.made_progress();
            Poll::Ready(Ok(event))
        })
        .await
    }

    /// Waits until the source is ready for at least one of `interest`, and says which (the
    /// `ready(Interest)` method of every socket type).
    pub(crate) async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        let event = self.readiness(interest.direction()).await?;
        Ok(Ready::from_bits(event.ready(), interest))
    }

    /// `poll_read_ready`/`poll_write_ready` of the public types: ready when the reactor knows
    /// the direction is ready; only the most recent task to poll a direction is woken. Takes
    /// no budget: the operation that follows does.
    pub(crate) fn poll_ready_unit(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
    ) -> Poll<io::Result<()>> {
        self.poll_ready(cx, direction).map(|r| r.map(drop))
    }

    /// The public `try_io(interest, f)`: one attempt of the caller's own operation on the
    /// descriptor; a `WouldBlock` from it clears the readiness of `interest` (unless a newer
    /// event arrived meanwhile), so that the next wait waits for a fresh edge.
    pub(crate) fn try_io_interest<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        self.try_io(interest.direction(), |_| f())
    }

    /// Runs `f` until it does not say `WouldBlock`, waiting for `direction` in between, as an
    /// `async fn` (any number of tasks may wait at once). Takes one unit of cooperative budget.
    pub(crate) async fn async_io<R>(
        &self,
        direction: Direction,
        mut f: impl FnMut(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let mut waiter = ListWaiterGuard::new(&self.shared);
        poll_fn(|cx| {
            let budget = ready!(coop::poll_proceed(cx));
            loop {
                let event = ready!(self.shared.poll_ready(cx, direction, waiter.slot()))?;
                match f(self.get_ref()) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(event),
                    result => {
                        budget.made_progress();
                        return Poll::Ready(result);
                    }
                }
            }
        })
        .await
    }

    /// [`try_io`](Self::try_io) for a byte-stream transfer of at most `len` bytes: a short
    /// transfer also clears, as in [`poll_transfer`](Self::poll_transfer).
    pub(crate) fn try_transfer(
        &self,
        direction: Direction,
        len: usize,
        f: impl FnOnce(&T) -> io::Result<usize>,
    ) -> io::Result<usize> {
        let event = self.shared.current_event(direction)?;
        match f(self.get_ref()) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_readiness(event);
                Err(e)
            }
            Ok(n) => {
                self.after_transfer(direction, event, n, len);
                Ok(n)
            }
            result => result,
        }
    }

    /// One attempt of `f`, without waiting; a `WouldBlock` clears the readiness seen before the
    /// attempt (unless a newer event arrived meanwhile).
    pub(crate) fn try_io<R>(
        &self,
        direction: Direction,
        f: impl FnOnce(&T) -> io::Result<R>,
    ) -> io::Result<R> {
        let event = self.shared.current_event(direction)?;
        match f(self.get_ref()) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_readiness(event);
                Err(e)
            }
            result => result,
        }
    }
}

// A `PollEvented` is as unwind safe as the descriptor it wraps. The compiler would not infer it:
// the registration holds `Arc`s of the driver's handle and of the source's `ScheduledIo`, whose
// `parking_lot` mutexes (cells, to the compiler) guard the reactor's table, the timers and the
// waiter list. Those are filch's own state, and its updates to them do not stop half-way when a
// caller's code panics: the only caller code run under one of those locks is a waker's `clone`
// (in `ScheduledIo::poll_ready`), and a panic there leaves at worst a list entry with no waker,
// which the waiting future removes when it is dropped; wakers are woken and dropped only after
// the locks are released, each wake under `catch_unwind`. `parking_lot` does not poison, so the
// locks stay usable. What a caller sees of a socket after catching a panic is thus a state that
// some interleaving of its operations could have produced anyway. The standard library's
// sockets are unwind safe, and so are tokio's.
impl<T: AsFd + UnwindSafe> UnwindSafe for PollEvented<T> {}
impl<T: AsFd + RefUnwindSafe> RefUnwindSafe for PollEvented<T> {}

/// The wrapped descriptor, for the calls that need no readiness (addresses, socket options).
/// `PollEvented`'s own methods come first in method lookup, so `io.recv(..)` is the one that
/// waits, and `io.local_addr()` reaches the descriptor.
impl<T: AsFd> Deref for PollEvented<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.get_ref()
    }
}

impl<T: AsFd> Drop for PollEvented<T> {
    fn drop(&mut self) {
        if let Some(io) = self.io.take() {
            // Deregister first, then close `io` by dropping it. A failed delete (the poller is
            // gone or the fd is already unknown to it) leaves nothing to clean up.
            let _ = self.driver.reactor.deregister(io.as_fd(), self.key);
            drop(io);
        }
    }
}

/// Removes a list-waiter registration from the `ScheduledIo` when the future that waits is
/// dropped.
struct ListWaiterGuard<'a> {
    shared: &'a ScheduledIo,
    id: Option<u64>,
}

impl<'a> ListWaiterGuard<'a> {
    fn new(shared: &'a ScheduledIo) -> Self {
        ListWaiterGuard { shared, id: None }
    }

    fn slot(&mut self) -> WaiterSlot<'_> {
        WaiterSlot::List(&mut self.id)
    }
}

impl Drop for ListWaiterGuard<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.shared.remove_waiter(id);
        }
    }
}

/// Implements `net::socket::Socket`, `Debug`, `AsFd` and `AsRawFd` on a socket type with an
/// `io: PollEvented<$std>` field and a `local_addr` method. `Debug` shows the descriptor, the
/// local address and, where a third argument names the method (`peer_addr` on connected
/// streams), the peer address.
macro_rules! socket_traits {
    ($socket:ident, $std:ty $(, $peer_addr:ident)?) => {
        impl $crate::net::socket::Socket for $socket {
            type Std = $std;

            fn from_io(io: $crate::io_source::PollEvented<$std>) -> Self {
                $socket { io }
            }
        }

        impl std::fmt::Debug for $socket {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let mut out = f.debug_struct(stringify!($socket));
                out.field("fd", &std::os::fd::AsRawFd::as_raw_fd(self))
                    .field("local_addr", &self.local_addr().ok());
                $(out.field("peer_addr", &self.$peer_addr().ok());)?
                out.finish()
            }
        }

        impl std::os::fd::AsFd for $socket {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                std::os::fd::AsFd::as_fd(self.io.get_ref())
            }
        }

        impl std::os::fd::AsRawFd for $socket {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                std::os::fd::AsRawFd::as_raw_fd(self.io.get_ref())
            }
        }
    };
}

pub(crate) use socket_traits;

#[cfg(all(test, not(loom)))]
mod tests {
    //! The clear after a short transfer, with events dispatched by hand (no thread parks the
    //! driver here, so the only events are the ones a test dispatches), and the closed bits as
    //! the public `Ready` reports them on real sockets.

    use super::*;
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::task::Waker;
    use std::time::Duration;

    use crate::driver::IoDriver;
    use crate::scheduled_io::{READABLE, READ_CLOSED, WRITABLE};

    use crate::test_util::guard;

    /// A driver whose reactor says `reports_read_closed() == flag`, and a registered socketpair
    /// end (with its peer, blocking).
    fn registered_pair(flag: bool) -> (IoDriver, PollEvented<UnixStream>, UnixStream) {
        let driver = IoDriver::new().unwrap();
        driver.handle().reactor.force_reports_read_closed(flag);
        let (a, b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        let io = PollEvented::new_with(a, driver.handle().clone()).unwrap();
        (driver, io, b)
    }

    /// `poll_transfer` of a read into `buf`, counting the `read` calls in `calls`.
    fn counted_read(
        io: &PollEvented<UnixStream>,
        buf: &mut [u8],
        calls: &AtomicUsize,
    ) -> Poll<io::Result<usize>> {
        let mut cx = Context::from_waker(Waker::noop());
        let len = buf.len();
        io.poll_transfer(&mut cx, Direction::Read, len, |mut s| {
            calls.fetch_add(1, SeqCst);
            s.read(buf)
        })
    }

    /// With the flag on, a short read clears readability: the next poll waits (registers the
    /// waker) without calling `read`. With it off, nothing is cleared and the next poll calls
    /// `read`, which says `WouldBlock`. A read that fills the buffer clears nothing either way.
    #[test]
    fn short_read_clears_readability_only_where_read_closed_is_reported() {
        for flag in [true, false] {
            let (_driver, io, mut peer) = registered_pair(flag);
            let calls = AtomicUsize::new(0);
            let mut buf = [0u8; 64];

            // A full read: not short, readiness kept.
            peer.write_all(&[7; 64]).unwrap();
            assert!(matches!(
                counted_read(&io, &mut buf, &calls),
                Poll::Ready(Ok(64))
            ));
            assert!(io.shared.ready_now(Direction::Read).unwrap().is_some());

            // A short read (3 of 64 bytes).
            peer.write_all(b"abc").unwrap();
            assert!(matches!(
                counted_read(&io, &mut buf, &calls),
                Poll::Ready(Ok(3))
            ));
            assert_eq!(calls.load(SeqCst), 2);
            let after = io.shared.ready_now(Direction::Read).unwrap();
            assert_eq!(
                after.is_none(),
                flag,
                "flag {flag}: readable after a short read"
            );

            // The next poll: with the flag on it waits without a `read`; off, it calls `read`
            // (WouldBlock, which clears) and then waits.
            assert!(counted_read(&io, &mut buf, &calls).is_pending());
            let expected = if flag { 2 } else { 3 };
            assert_eq!(calls.load(SeqCst), expected, "flag {flag}: read calls");

            // An edge brings the reader back.
            let mut wakers = Vec::new();
            io.driver
                .reactor
                .dispatch([(io.key, READABLE)].into_iter(), &mut wakers);
            peer.write_all(b"d").unwrap();
            assert!(matches!(
                counted_read(&io, &mut buf, &calls),
                Poll::Ready(Ok(1))
            ));
        }
    }

    /// Data and the end of stream arrive in one edge (`READABLE | READ_CLOSED`): the short read
    /// clears the readable bit, and the next read still finds the source ready and returns the
    /// end of stream, without waiting for an edge that would never come.
    #[test]
    fn short_read_then_end_of_stream_from_one_read_closed_edge() {
        let (_driver, io, mut peer) = registered_pair(true);
        // Forget the readiness a fresh source is assumed to have, as a `WouldBlock` would.
        let assumed = io.shared.ready_now(Direction::Read).unwrap().unwrap();
        io.clear_readiness(assumed);
        peer.write_all(b"abc").unwrap();
        peer.shutdown(std::net::Shutdown::Write).unwrap();
        let mut wakers = Vec::new();
        io.driver
            .reactor
            .dispatch([(io.key, READABLE | READ_CLOSED)].into_iter(), &mut wakers);

        let mut cx = Context::from_waker(Waker::noop());
        let mut buf = [0u8; 64];
        assert!(matches!(
            io.poll_read(&mut cx, &mut buf),
            Poll::Ready(Ok(3))
        ));
        let left = io.shared.ready_now(Direction::Read).unwrap();
        assert_eq!(left.map(ReadyEvent::ready), Some(READ_CLOSED));
        match io.poll_read(&mut cx, &mut buf) {
            Poll::Ready(Ok(0)) => {}
            other => panic!("the end of stream after a short read was lost: {other:?}"),
        }
        // `try_read` sees it too, and a read of 0 clears nothing.
        assert_eq!(io.try_read(&mut buf).unwrap(), 0);
        assert!(io.shared.ready_now(Direction::Read).unwrap().is_some());
    }

    /// A short write (the send buffer filled) clears writability on either setting of the
    /// flag: the next poll waits without calling `write`, until a writable edge.
    #[test]
    fn short_write_clears_writability() {
        for flag in [true, false] {
            let (_driver, io, mut peer) = registered_pair(flag);
            let calls = AtomicUsize::new(0);
            let mut cx = Context::from_waker(Waker::noop());
            let big = vec![1u8; 16 << 20];
            let write = |cx: &mut Context<'_>| {
                io.poll_transfer(cx, Direction::Write, big.len(), |mut s| {
                    calls.fetch_add(1, SeqCst);
                    s.write(&big)
                })
            };
            let n = match write(&mut cx) {
                Poll::Ready(Ok(n)) => n,
                other => panic!("flag {flag}: expected a short write, got {other:?}"),
            };
            assert!(n > 0 && n < big.len(), "flag {flag}: wrote {n}");
            assert!(io.shared.ready_now(Direction::Write).unwrap().is_none());
            assert!(write(&mut cx).is_pending());
            assert_eq!(
                calls.load(SeqCst),
                1,
                "flag {flag}: a write after the short one"
            );

            // The peer reads everything; the writable edge brings the writer back.
            let mut sink = vec![0u8; n];
            peer.read_exact(&mut sink).unwrap();
            let mut wakers = Vec::new();
            io.driver
                .reactor
                .dispatch([(io.key, WRITABLE)].into_iter(), &mut wakers);
            assert!(matches!(write(&mut cx), Poll::Ready(Ok(_))));
            assert_eq!(calls.load(SeqCst), 2);

            // `try_write` clears after a short write as well.
            let mut sink = vec![0u8; 64 << 10];
            peer.set_nonblocking(true).unwrap();
            while peer.read(&mut sink).is_ok() {}
            io.driver
                .reactor
                .dispatch([(io.key, WRITABLE)].into_iter(), &mut wakers);
            let n = io.try_write(&big).unwrap();
            assert!(n < big.len());
            assert!(io.shared.ready_now(Direction::Write).unwrap().is_none());
        }
    }

    fn runtime() -> filch_executor::runtime::Runtime {
        filch_executor::runtime::Builder::new()
            .worker_threads(2)
            .driver(crate::new_driver)
            .build()
            .unwrap()
    }

    /// A connected pair of `TcpStream`s.
    async fn tcp_pair() -> (crate::net::TcpStream, crate::net::TcpStream) {
        let listener = crate::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = crate::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (client, server)
    }

    /// The peer shuts its write half: where the reactor's wait reports a half-close,
    /// `ready(READABLE)` ends up saying `is_read_closed()`; where it does not (`polling`'s
    /// portable wait), it never does, and the end of stream is found by reading `0`.
    #[test]
    fn ready_is_read_closed_after_the_peer_shuts_its_write_half() {
        guard(
            "ready_is_read_closed_after_the_peer_shuts_its_write_half",
            || {
                runtime().block_on(async {
                    let reports = crate::driver::current()
                        .unwrap()
                        .reactor
                        .reports_read_closed();
                    let (client, server) = tcp_pair().await;
                    server.shutdown(std::net::Shutdown::Write).unwrap();
                    let mut buf = [0u8; 16];
                    loop {
                        let ready = client.ready(Interest::READABLE).await.unwrap();
                        assert!(ready.is_readable());
                        if ready.is_read_closed() {
                            assert!(reports, "a wait without EPOLLRDHUP reported a half-close");
                            break;
                        }
                        match client.try_read(&mut buf) {
                            Ok(0) if !reports => break,
                            // The end of stream is there; its event is on its way.
                            Ok(0) => {
                                crate::time::sleep(Duration::from_millis(5)).await;
                            }
                            Ok(n) => panic!("read {n} bytes the peer never sent"),
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                            Err(e) => panic!("{e}"),
                        }
                    }
                    if reports {
                        // Final: it stays, and a read says end of stream.
                        let ready = client.ready(Interest::READABLE).await.unwrap();
                        assert!(ready.is_read_closed());
                        assert_eq!(client.try_read(&mut buf).unwrap(), 0);
                    }
                    assert!(!client
                        .ready(Interest::WRITABLE)
                        .await
                        .unwrap()
                        .is_write_closed());
                });
            },
        );
    }

    /// The peer resets the connection (`SO_LINGER` 0, then close): both closed bits end up set,
    /// on every wait (a reset is a hang-up of both directions).
    #[test]
    fn ready_is_write_closed_after_the_peer_resets() {
        guard("ready_is_write_closed_after_the_peer_resets", || {
            runtime().block_on(async {
                let (client, server) = tcp_pair().await;
                server.set_linger(Some(Duration::ZERO)).unwrap();
                drop(server);
                let ready = loop {
                    let ready = client
                        .ready(Interest::READABLE | Interest::WRITABLE)
                        .await
                        .unwrap();
                    if ready.is_write_closed() {
                        break ready;
                    }
                    // The fresh socket's assumed readiness, before the reset's event.
                    crate::time::sleep(Duration::from_millis(5)).await;
                };
                assert!(ready.is_read_closed() && ready.is_readable() && ready.is_writable());
                let write = client.ready(Interest::WRITABLE).await.unwrap();
                assert_eq!(write, Ready::WRITABLE | Ready::WRITE_CLOSED);
                let err = client.try_write(b"x").unwrap_err();
                assert_ne!(err.kind(), io::ErrorKind::WouldBlock, "{err}");
            });
        });
    }

    /// The peer of a socketpair closes (a hang-up of both directions): an `AsyncFd`'s guard
    /// reports both closed bits, and `clear_ready` leaves them, so the next wait returns at once.
    #[test]
    fn async_fd_guard_reports_a_hang_up_and_clearing_keeps_it() {
        guard(
            "async_fd_guard_reports_a_hang_up_and_clearing_keeps_it",
            || {
                runtime().block_on(async {
                    let (a, b) = UnixStream::pair().unwrap();
                    a.set_nonblocking(true).unwrap();
                    let fd = crate::async_fd::AsyncFd::new(a).unwrap();
                    drop(b);
                    let both = Interest::READABLE | Interest::WRITABLE;
                    loop {
                        let mut guard = fd.ready(both).await.unwrap();
                        if guard.ready().is_read_closed() {
                            assert!(guard.ready().is_write_closed());
                            guard.clear_ready();
                            break;
                        }
                        // The fresh descriptor's assumed readiness, before the hang-up's event.
                        crate::time::sleep(Duration::from_millis(5)).await;
                    }
                    // Each wait returns at once with the closed bit (were it cleared, it would
                    // hang); once a clear took effect, the closed bit is all that is left.
                    for (interest, closed) in [
                        (Interest::READABLE, Ready::READ_CLOSED),
                        (Interest::WRITABLE, Ready::WRITE_CLOSED),
                    ] {
                        let mut rounds = 0;
                        loop {
                            let mut guard = fd.ready(interest).await.unwrap();
                            assert_eq!(guard.ready() & closed, closed, "{interest:?}");
                            if guard.ready() == closed {
                                break;
                            }
                            guard.clear_ready();
                            rounds += 1;
                            assert!(rounds < 100, "{interest:?}: readiness never cleared");
                        }
                    }
                });
            },
        );
    }

    /// A ping-pong of 64-byte messages over TCP between two tasks, with the reactor's
    /// `reports_read_closed` forced to `flag`: every read is short (1 KiB buffer), so with the
    /// flag on each one clears readability and the next read waits for the reactor's edge.
    /// A clear that erased an edge would leave both tasks waiting (the hang guard fails).
    /// Run under `strace -c -f` to count the `recvfrom` calls per message on each setting.
    fn tcp_ping_pong(name: &'static str, flag: bool) {
        use futures_lite::{AsyncReadExt, AsyncWriteExt};
        const ROUNDS: usize = 2000;
        guard(name, move || {
            runtime().block_on(async move {
                crate::driver::current()
                    .unwrap()
                    .reactor
                    .force_reports_read_closed(flag);
                let (mut client, mut server) = tcp_pair().await;
                let echo = filch_executor::spawn(async move {
                    let mut buf = [0u8; 1024];
                    loop {
                        let n = server.read(&mut buf).await.unwrap();
                        if n == 0 {
                            return;
                        }
                        server.write_all(&buf[..n]).await.unwrap();
                    }
                });
                let mut back = [0u8; 64];
                for round in 0..ROUNDS {
                    let message = [round as u8; 64];
                    client.write_all(&message).await.unwrap();
                    client.read_exact(&mut back).await.unwrap();
                    assert_eq!(back, message, "round {round}");
                }
                client.shutdown(std::net::Shutdown::Write).unwrap();
                echo.await.unwrap();
            });
        });
    }

    #[test]
    fn tcp_ping_pong_with_the_short_read_clear_on() {
        tcp_ping_pong("tcp_ping_pong_with_the_short_read_clear_on", true);
    }

    #[test]
    fn tcp_ping_pong_with_the_short_read_clear_off() {
        tcp_ping_pong("tcp_ping_pong_with_the_short_read_clear_off", false);
    }
}
