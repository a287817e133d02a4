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
    /// Readiness is cleared only on `WouldBlock`, never after a short transfer: a short read can
    /// be followed by an end of stream that arrived in the same edge, and clearing then would
    /// wait for an edge that never comes (tokio avoids this with separate "closed" bits, which
    /// this driver does not keep).
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut f: impl FnMut(&T) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let budget = ready!(coop::poll_proceed(cx));
        loop {
            let event = ready!(self.poll_ready(cx, direction))?;
            match f(self.get_ref()) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(event),
                result => {
                    budget.made_progress();
                    return Poll::Ready(result);
                }
            }
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
