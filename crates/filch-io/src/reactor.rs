//! The reactor: the OS poller and the table of registered sources.
//!
//! # Edge-triggered, registered once
//!
//! `polling` offers oneshot mode everywhere and edge mode on epoll and kqueue. We register every
//! source once, for both directions, in **edge** mode, and keep its readiness in user space
//! ([`ScheduledIo`]). A task that is waiting costs no system call to re-arm, and a socket that is
//! read until `WouldBlock` costs one `epoll_ctl` in its whole life (add) plus one at close
//! (delete). Oneshot mode would need a `modify` call every time any task started waiting, and a
//! reader and a writer of one socket would have to merge their interests into each re-arm. mio
//! and tokio make the same choice. The price is that readiness must be cached and cleared with
//! care (the generation in [`ScheduledIo`]); and that the platform must support edge mode, which every
//! Unix `polling` backend we target does (epoll, kqueue); [`Reactor::new`] refuses otherwise with
//! an error that says so.
//!
//! # Keys, and why a stale event cannot reach a new source
//!
//! A source's `polling` key is its slot index in [`Sources`] plus the slot's generation
//! (`index | generation << INDEX_BITS`). Dropping a socket first deletes the descriptor from the
//! poller, then frees the slot (which bumps the generation), and only then closes the
//! descriptor. The poller can still hand out an event for the old source after that: the
//! thread in `Poller::wait` may have fetched it into its event buffer just before the delete.
//! That event carries the old generation, the slot's generation has moved on, and the dispatch
//! ignores it. So even when the slot index (and the descriptor number) is reused at once, no
//! event of the old source is ever delivered to the new one.
//!
//! One key is never a source's: [`RESERVED_KEY`] (all index bits set), which the Linux backend
//! uses for its own eventfd (`sys/epoll.rs`).
//!
//! # The wait
//!
//! The reactor waits with one of two backends (`sys/mod.rs`, picked by `FILCH_IO_BACKEND`):
//! filch's own `epoll_pwait2` wait on Linux (`sys/epoll.rs`), or `polling`'s portable
//! `Poller::wait`. Both wait on the same `Poller`'s instance; [`Reactor::register`],
//! [`Reactor::wait`] and [`Reactor::notify`] use the chosen backend's calls, and removal is
//! `Poller::delete` for both.

use std::io;
use std::num::NonZeroUsize;
#[cfg(target_os = "linux")]
use std::os::fd::AsFd;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::task::Waker;
use std::time::Duration;

use polling::{Event, PollMode, Poller};

use crate::loom::sync::Mutex;
use crate::scheduled_io::{ScheduledIo, READABLE, READ_CLOSED, WRITABLE, WRITE_CLOSED};
use crate::sys::{Backend, Events};

/// Bits of a key that hold the slot index; the rest hold the generation.
const INDEX_BITS: u32 = 24;
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;
/// Highest usable slot index (keeps every key below `usize::MAX`, which `polling` reserves).
const MAX_INDEX: usize = INDEX_MASK - 1;
const GENERATION_MASK: usize = usize::MAX >> INDEX_BITS;
/// A key no source ever gets: its index is above [`MAX_INDEX`]. It is not `polling`'s reserved
/// `usize::MAX` either (the generation bits are 0).
pub(crate) const RESERVED_KEY: usize = INDEX_MASK;
const _: () = assert!(RESERVED_KEY > MAX_INDEX && RESERVED_KEY != usize::MAX);

#[derive(Debug, Default)]
struct Slot {
    generation: usize,
    io: Option<Arc<ScheduledIo>>,
}

/// The table of registered sources.
#[derive(Debug, Default)]
struct Sources {
    slots: Vec<Slot>,
    free: Vec<usize>,
    shutdown: bool,
}

/// The OS poller plus the sources registered with it.
#[derive(Debug)]
pub(crate) struct Reactor {
    poller: Poller,
    /// filch's own wait on `poller`'s epoll instance, when that backend is in use.
    #[cfg(target_os = "linux")]
    epoll: Option<crate::sys::epoll::Epoll>,
    sources: Mutex<Sources>,
    /// Sources registered with the poller now (kept beside `sources` so the maintenance poll can
    /// skip the poller without taking the lock when nothing could be ready).
    live: std::sync::atomic::AtomicUsize,
    /// Registrations so far (`RuntimeMetrics::io_driver_fd_registered_count`).
    registered_total: AtomicU64,
    /// Deregistrations so far.
    deregistered_total: AtomicU64,
    /// Readiness events handed to sources so far; written under the `sources` lock only
    /// (load + store, no read-modify-write).
    ready_total: AtomicU64,
    /// Whether the wait in use reports a peer's end of stream as [`READ_CLOSED`] (epoll's
    /// `EPOLLRDHUP`). Only then may a task clear the readable bit after a short read: otherwise
    /// an end of stream that came with the last data would never be reported again. `polling`'s
    /// portable wait does not ask for `EPOLLRDHUP`, so this is `false` there; filch's own epoll
    /// wait registers sources with it, so it is `true` there.
    reports_read_closed: bool,
    /// Tests only: overrides `reports_read_closed` (0: no override, 1: false, 2: true).
    #[cfg(all(test, not(loom)))]
    forced_reports_read_closed: std::sync::atomic::AtomicU8,
}

impl Reactor {
    /// Opens the OS poller, with the backend `FILCH_IO_BACKEND` asks for (see `sys/mod.rs`).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn new() -> io::Result<Reactor> {
        Reactor::with_backend(Backend::from_env()?)
    }

    /// Opens the OS poller and waits on it with `backend`.
    pub(crate) fn with_backend(backend: Backend) -> io::Result<Reactor> {
        let poller = Poller::new()?;
        if !poller.supports_edge() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "filch-io needs an edge-triggered OS poller (epoll or kqueue), \
                 and this platform's poller does not support edge mode",
            ));
        }
        #[cfg(target_os = "linux")]
        let epoll = match backend {
            Backend::Epoll => Some(crate::sys::epoll::Epoll::new(poller.as_fd())?),
            Backend::Polling => None,
        };
        Ok(Reactor {
            poller,
            #[cfg(target_os = "linux")]
            epoll,
            sources: Mutex::new(Sources::default()),
            live: std::sync::atomic::AtomicUsize::new(0),
            registered_total: AtomicU64::new(0),
            deregistered_total: AtomicU64::new(0),
            ready_total: AtomicU64::new(0),
            reports_read_closed: backend != Backend::Polling,
            #[cfg(all(test, not(loom)))]
            forced_reports_read_closed: std::sync::atomic::AtomicU8::new(0),
        })
    }

    /// The backend this reactor waits with.
    pub(crate) fn backend(&self) -> Backend {
        #[cfg(target_os = "linux")]
        if self.epoll.is_some() {
            return Backend::Epoll;
        }
        Backend::Polling
    }

    /// An empty event buffer for [`Reactor::wait`].
    pub(crate) fn events(&self, capacity: NonZeroUsize) -> Events {
        Events::new(self.backend(), capacity)
    }

    /// Waits for at most `timeout` (`None`: until an event or a [`notify`](Reactor::notify)),
    /// records the readiness it reports and moves the wakers it releases into `wakers`.
    ///
    /// `events` must come from [`Reactor::events`] of this reactor.
    pub(crate) fn wait(
        &self,
        events: &mut Events,
        timeout: Option<Duration>,
        wakers: &mut Vec<Waker>,
    ) -> io::Result<()> {
        match (events, self.backend()) {
            (Events::Polling(events), Backend::Polling) => {
                events.clear();
                let result = self.poller.wait(events, timeout);
                if result.is_ok() {
                    self.dispatch(
                        events.iter().map(|e| Reactor::polling_event_bits(&e)),
                        wakers,
                    );
                }
                events.clear();
                result.map(drop)
            }
            #[cfg(target_os = "linux")]
            (Events::Epoll(events), Backend::Epoll) => {
                let epoll = self.epoll.as_ref().expect("the epoll backend is in use");
                epoll.wait(self.poller.as_fd(), events, timeout)?;
                self.dispatch(events.iter(), wakers);
                Ok(())
            }
            #[allow(unreachable_patterns)]
            (events, backend) => unreachable!(
                "an event buffer ({events:?}) of another backend than the reactor's ({backend:?})"
            ),
        }
    }

    /// Makes the current or the next [`wait`](Reactor::wait) return; sticky: a notify before
    /// the wait is not lost.
    pub(crate) fn notify(&self) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        if let Some(epoll) = &self.epoll {
            return epoll.notify();
        }
        self.poller.notify()
    }

    /// See the field of the same name.
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn reports_read_closed(&self) -> bool {
        #[cfg(all(test, not(loom)))]
        match self.forced_reports_read_closed.load(Relaxed) {
            1 => return false,
            2 => return true,
            _ => {}
        }
        self.reports_read_closed
    }

    /// Tests only: makes [`Reactor::reports_read_closed`] say `value` whatever the wait, so
    /// that the read paths' clear after a short read can be tested on both settings (the
    /// events are then dispatched by hand).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn force_reports_read_closed(&self, value: bool) {
        self.forced_reports_read_closed
            .store(if value { 2 } else { 1 }, Relaxed);
    }

    /// Registers `fd` for both directions, edge-triggered. Returns the key and the readiness
    /// record.
    ///
    /// The caller must call [`Reactor::deregister`] before `fd` is closed.
    pub(crate) fn register(&self, fd: BorrowedFd<'_>) -> io::Result<(usize, Arc<ScheduledIo>)> {
        let io = Arc::new(ScheduledIo::assumed_ready());
        let key = {
            let mut sources = self.sources.lock();
            if sources.shutdown {
                return Err(crate::scheduled_io::shutdown_error());
            }
            let index = match sources.free.pop() {
                Some(index) => index,
                None => {
                    let index = sources.slots.len();
                    if index > MAX_INDEX {
                        return Err(io::Error::other(
                            "too many sockets registered with one filch runtime (16 million)",
                        ));
                    }
                    sources.slots.push(Slot::default());
                    index
                }
            };
            let slot = &mut sources.slots[index];
            slot.io = Some(io.clone());
            self.live.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            index | (slot.generation << INDEX_BITS)
        };
        let added = self.add(fd, key);
        if let Err(e) = added {
            self.release(key);
            return Err(e);
        }
        // Beside a system call, a read-modify-write costs nothing worth avoiding.
        self.registered_total.fetch_add(1, Relaxed);
        Ok((key, io))
    }

    /// Adds `fd` to the OS poller under `key`, edge-triggered, for both directions.
    fn add(&self, fd: BorrowedFd<'_>, key: usize) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        if self.epoll.is_some() {
            // With `EPOLLRDHUP`, which `polling`'s `add` cannot ask for.
            return crate::sys::epoll::add(self.poller.as_fd(), fd, key);
        }
        // SAFETY: `add_with_mode` requires that the source is deleted from the poller before it
        // is closed. Every caller is `PollEvented`, whose `Drop` and `into_inner` call
        // `deregister` (which deletes it) before the descriptor is dropped; if this call fails,
        // the descriptor was never added.
        unsafe {
            self.poller
                .add_with_mode(fd.as_raw_fd(), Event::all(key), PollMode::Edge)
        }
    }

    /// Removes `fd` from the poller and frees its slot. Must run before `fd` is closed.
    pub(crate) fn deregister(&self, fd: BorrowedFd<'_>, key: usize) -> io::Result<()> {
        let result = self.poller.delete(fd);
        self.release(key);
        self.deregistered_total.fetch_add(1, Relaxed);
        result
    }

    fn release(&self, key: usize) {
        let index = key & INDEX_MASK;
        let mut sources = self.sources.lock();
        let slot = &mut sources.slots[index];
        debug_assert_eq!(slot.generation, key >> INDEX_BITS);
        slot.io = None;
        slot.generation = (slot.generation + 1) & GENERATION_MASK;
        sources.free.push(index);
        self.live.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether no source is registered, so a poll could only report the driver's own wake-ups.
    pub(crate) fn is_empty(&self) -> bool {
        self.live.load(std::sync::atomic::Ordering::Relaxed) == 0
    }

    /// Translates one `polling` event into readiness bits for [`Reactor::dispatch`].
    ///
    /// `polling` does not ask epoll for `EPOLLRDHUP`, so a half-close shows only as readable;
    /// a hang-up of both directions (`is_interrupt`) marks both directions closed.
    pub(crate) fn polling_event_bits(event: &Event) -> (usize, usize) {
        let mut ready = 0;
        if event.readable {
            ready |= READABLE;
        }
        if event.writable {
            ready |= WRITABLE;
        }
        if event.is_interrupt() {
            ready |= READ_CLOSED | WRITE_CLOSED;
        }
        (event.key, ready)
    }

    /// Records the events in `events`, each a `(key, readiness bits)` pair with the bits of
    /// `scheduled_io.rs` ([`READABLE`], [`WRITABLE`], [`READ_CLOSED`], [`WRITE_CLOSED`]), and
    /// moves the wakers they release into `wakers`.
    pub(crate) fn dispatch(
        &self,
        events: impl Iterator<Item = (usize, usize)>,
        wakers: &mut Vec<Waker>,
    ) {
        let sources = self.sources.lock();
        let mut ready_events = 0;
        for (key, ready) in events {
            let index = key & INDEX_MASK;
            let Some(slot) = sources.slots.get(index) else {
                continue;
            };
            if slot.generation != key >> INDEX_BITS {
                // An event for a source that has since been deregistered.
                continue;
            }
            let Some(io) = &slot.io else { continue };
            io.set_readiness(ready, wakers);
            ready_events += 1;
        }
        // Under the `sources` lock: the only writer.
        self.ready_total.store(
            self.ready_total.load(Relaxed).wrapping_add(ready_events),
            Relaxed,
        );
    }

    /// (registered so far, deregistered so far, ready events so far).
    pub(crate) fn counts(&self) -> (u64, u64, u64) {
        (
            self.registered_total.load(Relaxed),
            self.deregistered_total.load(Relaxed),
            self.ready_total.load(Relaxed),
        )
    }

    /// Marks every source as shut down, refuses new registrations, and collects all wakers.
    pub(crate) fn shutdown(&self, wakers: &mut Vec<Waker>) {
        let mut sources = self.sources.lock();
        sources.shutdown = true;
        for slot in &sources.slots {
            if let Some(io) = &slot.io {
                io.shutdown(wakers);
            }
        }
    }

    /// Number of registered sources (for tests and debugging).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn registered(&self) -> usize {
        let sources = self.sources.lock();
        sources.slots.len() - sources.free.len()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn stale_event_is_ignored_after_slot_reuse() {
        let reactor = Reactor::new().unwrap();
        let (a, _) = std::os::unix::net::UnixStream::pair().unwrap();
        let (key_a, io_a) = reactor.register(a.as_fd()).unwrap();
        reactor.deregister(a.as_fd(), key_a).unwrap();
        let (b, _) = std::os::unix::net::UnixStream::pair().unwrap();
        let (key_b, io_b) = reactor.register(b.as_fd()).unwrap();
        // A fresh source is assumed ready; clear that as a `WouldBlock` would.
        for io in [&io_a, &io_b] {
            let assumed = io
                .ready_now(crate::scheduled_io::Direction::Read)
                .unwrap()
                .expect("a fresh source is assumed readable");
            io.clear_readiness(assumed);
        }
        assert_eq!(key_a & INDEX_MASK, key_b & INDEX_MASK, "slot is reused");
        assert_ne!(key_a, key_b, "but under a new generation");
        let mut wakers = Vec::new();
        reactor.dispatch([(key_a, READABLE)].into_iter(), &mut wakers);
        assert!(io_b
            .ready_now(crate::scheduled_io::Direction::Read)
            .unwrap()
            .is_none());
        assert!(io_a
            .ready_now(crate::scheduled_io::Direction::Read)
            .unwrap()
            .is_none());
        reactor.dispatch([(key_b, READABLE)].into_iter(), &mut wakers);
        assert!(io_b
            .ready_now(crate::scheduled_io::Direction::Read)
            .unwrap()
            .is_some());
        reactor.deregister(b.as_fd(), key_b).unwrap();
        assert_eq!(reactor.registered(), 0);
    }
}
