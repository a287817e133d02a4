//! Readiness of one registered source: the state that hands an OS event to the task waiting
//! for it.
//!
//! # The protocol
//!
//! Sources are registered edge-triggered (see `reactor.rs` for why), so the OS reports a
//! direction once when it *becomes* ready and never again until it has been drained. The
//! reactor therefore caches readiness here, per direction, and a task clears the cached bit
//! only when the operating system has told it `WouldBlock`.
//!
//! That clear is where events get lost in a naive design. A task reads, gets `WouldBlock`, and
//! before it clears the readable bit the peer sends more data and the reactor records a fresh
//! readable edge. Clearing now would erase the fresh edge and the task would wait forever for an
//! edge that already came. So the state word carries a **generation** number: the reactor bumps
//! it with every event it records, [`ScheduledIo::poll_ready`] hands the generation out inside a
//! [`ReadyEvent`], and [`ScheduledIo::clear_readiness`] clears only if the generation is still
//! the one the task saw. A stale clear never erases a newer event. (tokio's `ScheduledIo` uses
//! the same device, which it calls a tick.)
//!
//! The second race is between a task that finds the bit clear and goes to sleep, and the reactor
//! that sets the bit. The reactor sets the bit *first* and takes the wakers *after*, under the
//! waiter lock; the task stores its waker under that lock and reads the bit *again* before it
//! returns `Pending`. Whichever of the two takes the lock second sees the other's write, so
//! either the task sees the event or the reactor sees the waker.
//!
//! Readers and writers have separate waker slots, so an event for one direction does not wake a
//! task waiting on the other (no ping-pong between a reader and a writer of one socket).
//!
//! # Closed bits
//!
//! Besides "readable" and "writable" the reactor records two final states: [`READ_CLOSED`] (the
//! peer will send nothing more: end of stream, a hang-up, an error) and [`WRITE_CLOSED`]
//! (nothing written can arrive any more: a reset, a hang-up). They are set by
//! [`ScheduledIo::set_readiness`] like any event (with a generation bump, and waking the
//! waiters of their direction) and are **never cleared**: [`ScheduledIo::clear_readiness`]
//! removes only [`READABLE`]/[`WRITABLE`]. A wait for reading is ready when `READABLE` *or*
//! `READ_CLOSED` is set, a wait for writing when `WRITABLE` *or* `WRITE_CLOSED` is, and the
//! [`ReadyEvent`] handed out carries the closed bits it saw, so that the public
//! `filch::io::Ready` says `is_read_closed()`/`is_write_closed()` truthfully.
//!
//! Keeping them apart is what lets a task clear readiness after a *short* transfer, not only
//! after `WouldBlock` (`io_source.rs`, "one system call per message"): when data and the end of
//! stream arrive before the task reads, the OS reports them in **one** edge; a short read takes
//! the data and clears `READABLE`, and the end of stream, which will never produce another edge,
//! is still there as `READ_CLOSED`. The clear carries the generation as always, so the closed
//! bits cannot be lost to a race either: an event recorded after the task's snapshot bumps the
//! generation and makes the clear a no-op, and one recorded before is part of the snapshot, whose
//! closed bits the clear does not touch. Both cases are model-checked by loom below. (tokio keeps
//! the same two final states beside readable/writable; the idea is theirs.)
//!
//! # State word
//!
//! | bits    | meaning                                                        |
//! |---------|----------------------------------------------------------------|
//! | 0       | [`READABLE`]: set by the reactor, cleared by a task on `WouldBlock` (or after a short read, where the wait reports `READ_CLOSED`) |
//! | 1       | [`WRITABLE`]: likewise for writes (cleared on `WouldBlock` or after a short write) |
//! | 2       | [`SHUTDOWN`]: set once when the runtime shuts down, never unset |
//! | 3       | [`READ_CLOSED`]: set by the reactor, never cleared; makes every read wait ready |
//! | 4       | [`WRITE_CLOSED`]: likewise for writes                           |
//! | 16..32  | generation: incremented (wrapping) by every event recorded |

use std::io;
use std::task::{Context, Poll, Waker};

use crate::loom::sync::atomic::{AtomicUsize, Ordering};
use crate::loom::sync::Mutex;

/// The source can be read (or accepted from, or has hung up / errored). Set by the reactor when
/// the OS reports a readable edge; cleared by a task that got `WouldBlock` with the current
/// generation.
pub(crate) const READABLE: usize = 0b001;
/// The source can be written (or a connect finished). Same rules as [`READABLE`].
pub(crate) const WRITABLE: usize = 0b010;
/// The runtime has shut down: every wait returns an error. Set once, never unset.
pub(crate) const SHUTDOWN: usize = 0b100;
/// The peer will send nothing more (end of stream, a hang-up, or an error). Reported by the
/// reactor beside [`READABLE`]; unlike it, nothing ever clears it, so an end of stream that
/// arrived together with the last data is still seen after a short read cleared the readable
/// bit. A read wait is ready while it is set.
pub(crate) const READ_CLOSED: usize = 0b1000;
/// Writing can no longer succeed (the peer reset the connection, or an error). Same rules as
/// [`READ_CLOSED`], for the write direction.
pub(crate) const WRITE_CLOSED: usize = 0b1_0000;

/// Every bit the reactor reports (what [`ScheduledIo::set_readiness`] records).
const ALL_READY: usize = READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED;
/// The bits a task may clear; the closed bits are final.
const CLEARABLE: usize = READABLE | WRITABLE;

const GENERATION_SHIFT: u32 = 16;
const GENERATION_MASK: usize = 0xffff << GENERATION_SHIFT;

/// What a task waits for: one direction, or either of the two (`ready(Interest)` with both
/// interests, which returns as soon as one of them is ready).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Reading, accepting, receiving.
    Read,
    /// Writing, connecting, sending.
    Write,
    /// Either direction: ready when at least one of them is. A `WouldBlock` clears only the
    /// bits that were seen ready.
    Either,
}

impl Direction {
    /// The bits that make a wait in this direction ready: the direction's readiness bit or its
    /// closed bit.
    pub(crate) fn mask(self) -> usize {
        match self {
            Direction::Read => READABLE | READ_CLOSED,
            Direction::Write => WRITABLE | WRITE_CLOSED,
            Direction::Either => ALL_READY,
        }
    }
}

/// A decoded copy of the state word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Snapshot(usize);

impl Snapshot {
    fn generation(self) -> u16 {
        ((self.0 & GENERATION_MASK) >> GENERATION_SHIFT) as u16
    }
    fn ready(self) -> usize {
        self.0 & ALL_READY
    }
    fn is_shutdown(self) -> bool {
        self.0 & SHUTDOWN != 0
    }
    fn with_generation(self, generation: u16) -> Snapshot {
        Snapshot((self.0 & !GENERATION_MASK) | ((generation as usize) << GENERATION_SHIFT))
    }
}

/// Proof that a direction was ready at a given generation: what a task passes back to
/// [`ScheduledIo::clear_readiness`] after the OS said `WouldBlock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReadyEvent {
    generation: u16,
    ready: usize,
}

impl ReadyEvent {
    /// The readiness bits ([`READABLE`], [`WRITABLE`], [`READ_CLOSED`], [`WRITE_CLOSED`]) this
    /// event saw, restricted to the direction waited for.
    pub(crate) fn ready(self) -> usize {
        self.ready
    }
}

/// Which waker slot a waiting task uses.
#[derive(Debug)]
pub(crate) enum WaiterSlot<'a> {
    /// The single reader slot used by `poll_*` methods (like `AsyncRead::poll_read`): only the
    /// most recent task to poll is woken, as with tokio's `poll_read_ready`.
    Reader,
    /// The single writer slot used by `poll_*` write methods.
    Writer,
    /// An entry in the list used by `async fn`s, so any number of tasks may wait at once. The
    /// id is assigned on first use; the owner must call [`ScheduledIo::remove_waiter`].
    List(&'a mut Option<u64>),
}

/// One task waiting in [`Waiters::list`] (see [`WaiterSlot::List`]).
#[derive(Debug)]
struct WaiterListEntry {
    id: u64,
    direction: Direction,
    waker: Option<Waker>,
}

#[derive(Debug, Default)]
struct Waiters {
    reader: Option<Waker>,
    writer: Option<Waker>,
    list: Vec<WaiterListEntry>,
    next_id: u64,
}

/// Readiness and wakers of one registered source.
///
/// `Default` starts with no readiness; the reactor registers sources with
/// [`ScheduledIo::assumed_ready`] instead, so that the first operation on a fresh socket tries
/// the system call before it waits for an edge (see there).
#[derive(Debug, Default)]
pub(crate) struct ScheduledIo {
    state: AtomicUsize,
    waiters: Mutex<Waiters>,
}

/// The error every operation on a source returns once its runtime has shut down.
pub(crate) fn shutdown_error() -> io::Error {
    crate::error::runtime_shutdown()
}

impl ScheduledIo {
    /// A record for a source just registered: both directions assumed ready, at generation 0.
    ///
    /// A fresh socket usually *is* ready in one direction (a connected stream can be written, an
    /// accepted one often has its first request queued already), and epoll reports that state
    /// as an edge right after registration anyway. Assuming readiness lets the first read or
    /// write try the system call at once instead of waiting a driver round for that edge. If
    /// the guess is wrong, the attempt says `WouldBlock` and clears the bits with generation 0,
    /// which is the usual clear: an edge recorded meanwhile (generation 1 or later) is kept.
    /// (tokio 1.54 made the same change.)
    pub(crate) fn assumed_ready() -> ScheduledIo {
        ScheduledIo {
            state: AtomicUsize::new(READABLE | WRITABLE),
            waiters: Mutex::new(Waiters::default()),
        }
    }

    /// Records an OS event: sets the `ready` bits (closed bits included), bumps the generation
    /// and moves the wakers of the directions that became ready into `wakers` (the caller wakes
    /// them outside every lock). A closed bit wakes the waiters of its direction.
    pub(crate) fn set_readiness(&self, ready: usize, wakers: &mut Vec<Waker>) {
        let ready = ready & ALL_READY;
        if ready == 0 {
            return;
        }
        // Read-modify-write: the generation and the bits change in one atomic step, so a clear
        // that carries the previous generation cannot undo these bits.
        let mut current = Snapshot(self.state.load(Ordering::Acquire));
        loop {
            let next =
                Snapshot(current.0 | ready).with_generation(current.generation().wrapping_add(1));
            match self.state.compare_exchange_weak(
                current.0,
                next.0,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => current = Snapshot(actual),
            }
        }
        // The bits are set; now take the wakers. A task that registers after we release the
        // lock re-reads the state and sees the bits.
        let mut waiters = self.waiters.lock();
        if ready & Direction::Read.mask() != 0 {
            wakers.extend(waiters.reader.take());
        }
        if ready & Direction::Write.mask() != 0 {
            wakers.extend(waiters.writer.take());
        }
        for waiter in waiters.list.iter_mut() {
            if ready & waiter.direction.mask() != 0 {
                wakers.extend(waiter.waker.take());
            }
        }
    }

    /// Marks the source as shut down and moves every waker into `wakers`.
    pub(crate) fn shutdown(&self, wakers: &mut Vec<Waker>) {
        self.state.fetch_or(SHUTDOWN, Ordering::AcqRel);
        let mut waiters = self.waiters.lock();
        wakers.extend(waiters.reader.take());
        wakers.extend(waiters.writer.take());
        for waiter in waiters.list.iter_mut() {
            wakers.extend(waiter.waker.take());
        }
    }

    /// Returns the readiness of `direction` now, without registering anything: `Ok(Some(ev))`
    /// when ready, `Ok(None)` when not, `Err` after shutdown.
    #[cfg(test)]
    pub(crate) fn ready_now(&self, direction: Direction) -> io::Result<Option<ReadyEvent>> {
        Self::decode(Snapshot(self.state.load(Ordering::Acquire)), direction)
    }

    /// The generation and bits of `direction` as they are now, for an attempt that is made
    /// without waiting (`try_read`): if the attempt says `WouldBlock`, clear with this event.
    /// Its bits are the direction's whole mask, whether set or not (a clear removes only the
    /// clearable ones).
    pub(crate) fn current_event(&self, direction: Direction) -> io::Result<ReadyEvent> {
        let snapshot = Snapshot(self.state.load(Ordering::Acquire));
        if snapshot.is_shutdown() {
            return Err(shutdown_error());
        }
        Ok(ReadyEvent {
            generation: snapshot.generation(),
            ready: direction.mask(),
        })
    }

    fn decode(snapshot: Snapshot, direction: Direction) -> io::Result<Option<ReadyEvent>> {
        if snapshot.is_shutdown() {
            return Err(shutdown_error());
        }
        let ready = snapshot.ready() & direction.mask();
        Ok((ready != 0).then_some(ReadyEvent {
            generation: snapshot.generation(),
            ready,
        }))
    }

    /// Polls for readiness in `direction`, storing the task's waker in `slot` when not ready.
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        slot: WaiterSlot<'_>,
    ) -> Poll<io::Result<ReadyEvent>> {
        // Fast path: no lock when the bit is already set.
        if let Some(ev) =
            Self::decode(Snapshot(self.state.load(Ordering::Acquire)), direction).transpose()
        {
            return Poll::Ready(ev);
        }
        let mut waiters = self.waiters.lock();
        let stored = match slot {
            WaiterSlot::Reader => &mut waiters.reader,
            WaiterSlot::Writer => &mut waiters.writer,
            WaiterSlot::List(id) => {
                let waiters = &mut *waiters;
                let index = match id.and_then(|id| waiters.list.iter().position(|w| w.id == id)) {
                    Some(index) => index,
                    None => {
                        let new_id = waiters.next_id;
                        waiters.next_id += 1;
                        *id = Some(new_id);
                        waiters.list.push(WaiterListEntry {
                            id: new_id,
                            direction,
                            waker: None,
                        });
                        waiters.list.len() - 1
                    }
                };
                &mut waiters.list[index].waker
            }
        };
        // A displaced waker is dropped after the lock is released: dropping a waker can run
        // arbitrary code (the last reference to a task), which must not find this lock held.
        let displaced = match stored {
            Some(waker) if waker.will_wake(cx.waker()) => None,
            _ => stored.replace(cx.waker().clone()),
        };
        // Re-read under the lock: the reactor sets the bits before it takes this lock.
        let result = match Self::decode(Snapshot(self.state.load(Ordering::Acquire)), direction) {
            Ok(None) => Poll::Pending,
            other => Poll::Ready(other.map(|ev| ev.expect("checked Some"))),
        };
        drop(waiters);
        drop(displaced);
        result
    }

    /// Forgets a list waiter (called when the future that owns `id` is dropped).
    pub(crate) fn remove_waiter(&self, id: u64) {
        let removed = {
            let mut waiters = self.waiters.lock();
            let index = waiters.list.iter().position(|w| w.id == id);
            index.map(|index| waiters.list.swap_remove(index))
        };
        // Dropped outside the lock, like every waker (see `poll_ready`).
        drop(removed);
    }

    /// Clears the readable/writable bits of `event` unless the reactor recorded a newer event
    /// since it was handed out; the closed bits stay (they are final). Called after the OS said
    /// `WouldBlock`, or after a short transfer (see `io_source.rs`).
    pub(crate) fn clear_readiness(&self, event: ReadyEvent) {
        let clear = event.ready & CLEARABLE;
        let mut current = Snapshot(self.state.load(Ordering::Acquire));
        loop {
            if current.generation() != event.generation {
                // A newer edge arrived: the source may be ready again, keep the bits.
                return;
            }
            let next = Snapshot(current.0 & !clear);
            if next == current {
                return;
            }
            match self.state.compare_exchange_weak(
                current.0,
                next.0,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => current = Snapshot(actual),
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize as StdAtomicUsize;
    use std::sync::Arc;
    use std::task::Wake;

    #[derive(Default)]
    struct CountWaker(StdAtomicUsize);
    impl Wake for CountWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn wake_all(wakers: &mut Vec<Waker>) {
        for w in wakers.drain(..) {
            w.wake();
        }
    }

    #[test]
    fn stale_clear_keeps_newer_event() {
        let io = ScheduledIo::default();
        let mut wakers = Vec::new();
        io.set_readiness(READABLE, &mut wakers);
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        let ev = match io.poll_ready(&mut cx, Direction::Read, WaiterSlot::Reader) {
            Poll::Ready(Ok(ev)) => ev,
            other => panic!("expected ready, got {other:?}"),
        };
        // A new edge arrives between the failed read and the clear.
        io.set_readiness(READABLE, &mut wakers);
        io.clear_readiness(ev);
        assert!(
            io.ready_now(Direction::Read).unwrap().is_some(),
            "newer event was erased"
        );
        // A clear with the current generation does clear.
        let ev = io.ready_now(Direction::Read).unwrap().unwrap();
        io.clear_readiness(ev);
        assert!(io.ready_now(Direction::Read).unwrap().is_none());
    }

    /// The closed bits make their direction ready, are carried in the event, wake the
    /// direction's waiter, and survive a clear with the current generation.
    #[test]
    fn closed_bits_are_ready_woken_and_never_cleared() {
        for (direction, open_bit, closed_bit, slot_is_reader) in [
            (Direction::Read, READABLE, READ_CLOSED, true),
            (Direction::Write, WRITABLE, WRITE_CLOSED, false),
        ] {
            let io = ScheduledIo::default();
            let count = Arc::new(CountWaker::default());
            let waker = Waker::from(count.clone());
            let slot = || {
                if slot_is_reader {
                    WaiterSlot::Reader
                } else {
                    WaiterSlot::Writer
                }
            };
            assert!(io
                .poll_ready(&mut Context::from_waker(&waker), direction, slot())
                .is_pending());
            // A closed-only event wakes the waiter of its direction and makes it ready.
            let mut wakers = Vec::new();
            io.set_readiness(closed_bit, &mut wakers);
            wake_all(&mut wakers);
            assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 1);
            let ev = io.ready_now(direction).unwrap().expect("closed is ready");
            assert_eq!(ev.ready(), closed_bit);
            // The open bit as well; a clear with the current generation removes only it.
            io.set_readiness(open_bit, &mut wakers);
            let ev = io.ready_now(direction).unwrap().unwrap();
            assert_eq!(ev.ready(), open_bit | closed_bit);
            io.clear_readiness(ev);
            let ev = io
                .ready_now(direction)
                .unwrap()
                .expect("the closed bit is final");
            assert_eq!(ev.ready(), closed_bit);
            // `Either` sees it too; the other direction does not.
            assert!(io.ready_now(Direction::Either).unwrap().is_some());
            let other = if slot_is_reader {
                Direction::Write
            } else {
                Direction::Read
            };
            assert!(io.ready_now(other).unwrap().is_none());
        }
    }

    #[test]
    fn reader_and_writer_are_woken_separately() {
        let io = ScheduledIo::default();
        let reader = Arc::new(CountWaker::default());
        let writer = Arc::new(CountWaker::default());
        let rw = Waker::from(reader.clone());
        let ww = Waker::from(writer.clone());
        assert!(io
            .poll_ready(
                &mut Context::from_waker(&rw),
                Direction::Read,
                WaiterSlot::Reader
            )
            .is_pending());
        assert!(io
            .poll_ready(
                &mut Context::from_waker(&ww),
                Direction::Write,
                WaiterSlot::Writer
            )
            .is_pending());
        let mut wakers = Vec::new();
        io.set_readiness(WRITABLE, &mut wakers);
        wake_all(&mut wakers);
        assert_eq!(reader.0.load(std::sync::atomic::Ordering::SeqCst), 0);
        assert_eq!(writer.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        io.set_readiness(READABLE, &mut wakers);
        wake_all(&mut wakers);
        assert_eq!(reader.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(writer.0.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn list_waiters_all_woken_and_removable() {
        let io = ScheduledIo::default();
        let counts: Vec<_> = (0..3).map(|_| Arc::new(CountWaker::default())).collect();
        let mut ids = [None, None, None];
        for (count, id) in counts.iter().zip(ids.iter_mut()) {
            let w = Waker::from(count.clone());
            assert!(io
                .poll_ready(
                    &mut Context::from_waker(&w),
                    Direction::Read,
                    WaiterSlot::List(id)
                )
                .is_pending());
        }
        io.remove_waiter(ids[1].unwrap());
        let mut wakers = Vec::new();
        io.set_readiness(READABLE, &mut wakers);
        wake_all(&mut wakers);
        let woken: Vec<_> = counts
            .iter()
            .map(|c| c.0.load(std::sync::atomic::Ordering::SeqCst))
            .collect();
        assert_eq!(woken, vec![1, 0, 1]);
    }

    #[test]
    fn shutdown_wakes_and_errors() {
        let io = ScheduledIo::default();
        let count = Arc::new(CountWaker::default());
        let w = Waker::from(count.clone());
        let mut id = None;
        assert!(io
            .poll_ready(
                &mut Context::from_waker(&w),
                Direction::Write,
                WaiterSlot::List(&mut id)
            )
            .is_pending());
        let mut wakers = Vec::new();
        io.shutdown(&mut wakers);
        wake_all(&mut wakers);
        assert_eq!(count.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        match io.poll_ready(
            &mut Context::from_waker(&w),
            Direction::Write,
            WaiterSlot::Writer,
        ) {
            Poll::Ready(Err(e)) => assert!(e.to_string().contains("shut down")),
            other => panic!("expected shutdown error, got {other:?}"),
        }
    }

    /// Stress test of the hand-off between `set_readiness` and a task that re-arms: a producer
    /// thread and a consumer thread play ping-pong through one `ScheduledIo`. The producer makes
    /// one "byte" available, records a readable edge, and waits until the consumer has read it
    /// before making the next; the consumer loops "read, clear on WouldBlock, wait for the
    /// waker". Since nothing else would wake the consumer, every lost wake-up (an edge erased
    /// by a stale clear, or a waker stored after the reactor looked for it) leaves it waiting
    /// with data pending, which fails the test at once with a message that says so. The
    /// producer varies its timing so that edges land at every point of the consumer's loop.
    #[test]
    fn stress_event_during_rearm_is_never_lost() {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
        use std::time::{Duration, Instant};

        /// How long a woken consumer may take to notice. Generous: a loaded machine can keep
        /// a runnable thread off the CPU for a while, but not for this long.
        const LOST: Duration = Duration::from_secs(10);

        struct ThreadWaker(std::thread::Thread, AtomicBool);
        impl Wake for ThreadWaker {
            fn wake(self: Arc<Self>) {
                self.1.store(true, SeqCst);
                self.0.unpark();
            }
        }

        let rounds: u64 = if cfg!(miri) { 200 } else { 50_000 };
        let io = Arc::new(ScheduledIo::default());
        // `produced` counts "bytes" the producer made available; `consumed` those read.
        let produced = Arc::new(AtomicU64::new(0));
        let consumed = Arc::new(AtomicU64::new(0));
        let consumer = {
            let io = io.clone();
            let produced = produced.clone();
            let consumed = consumed.clone();
            std::thread::spawn(move || {
                let tw = Arc::new(ThreadWaker(std::thread::current(), AtomicBool::new(false)));
                let waker = Waker::from(tw.clone());
                let mut cx = Context::from_waker(&waker);
                let mut read = 0u64;
                let mut rng = fastrand::Rng::with_seed(0x5bd1_e995);
                while read < rounds {
                    match io.poll_ready(&mut cx, Direction::Read, WaiterSlot::Reader) {
                        Poll::Ready(Ok(ev)) => {
                            let available = produced.load(SeqCst);
                            if available > read {
                                read = available;
                                consumed.store(read, SeqCst);
                            } else {
                                // "WouldBlock" (after a read of varying length): nothing new
                                // since our last read.
                                for _ in 0..rng.usize(..64) {
                                    std::hint::spin_loop();
                                }
                                io.clear_readiness(ev);
                            }
                        }
                        Poll::Ready(Err(e)) => panic!("{e}"),
                        Poll::Pending => {
                            // Wait for the waker; spurious returns of `park_timeout` do not
                            // count, only the deadline does.
                            let deadline = Instant::now() + LOST;
                            while !tw.1.swap(false, SeqCst) {
                                let now = Instant::now();
                                assert!(
                                    now < deadline,
                                    "lost wake-up: the consumer returned Pending after reading \
                                     {read} of {rounds} events and was not woken within \
                                     {LOST:?}, with {} produced",
                                    produced.load(SeqCst)
                                );
                                std::thread::park_timeout(deadline - now);
                            }
                        }
                    }
                }
            })
        };
        let mut wakers = Vec::new();
        let mut rng = fastrand::Rng::with_seed(0x9e37_79b9);
        for round in 1..=rounds {
            // Vary where in the consumer's loop the edge lands.
            for _ in 0..rng.usize(..256) {
                std::hint::spin_loop();
            }
            // Make data available, then record the edge (the OS order).
            produced.store(round, SeqCst);
            io.set_readiness(READABLE, &mut wakers);
            wake_all(&mut wakers);
            // Ping-pong: the next edge only after this one was read, so no later edge can
            // rescue a lost one.
            while consumed.load(SeqCst) < round && !consumer.is_finished() {
                std::thread::yield_now();
            }
            if consumer.is_finished() {
                break;
            }
        }
        if let Err(panic) = consumer.join() {
            std::panic::resume_unwind(panic);
        }
        assert_eq!(consumed.load(SeqCst), rounds);
    }
}

/// Loom model of the hand-off: run with
/// `RUSTFLAGS="--cfg loom" cargo test -p filch-io --lib --release loom`.
#[cfg(all(test, loom))]
mod loom_tests {
    use super::*;
    use loom::sync::atomic::AtomicUsize as LoomAtomicUsize;
    use std::sync::Arc;
    use std::task::Wake;

    struct CountWaker(LoomAtomicUsize);
    impl Wake for CountWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn loom_event_while_waiter_rearms() {
        loom::model(|| {
            let io = Arc::new(ScheduledIo::default());
            // The source was readable at generation 0 and the task has just read everything.
            let mut wakers = Vec::new();
            io.set_readiness(READABLE, &mut wakers);
            let ev = io.ready_now(Direction::Read).unwrap().unwrap();

            let producer = {
                let io = io.clone();
                loom::thread::spawn(move || {
                    let mut wakers = Vec::new();
                    io.set_readiness(READABLE, &mut wakers);
                    for w in wakers {
                        w.wake();
                    }
                })
            };

            let count = Arc::new(CountWaker(LoomAtomicUsize::new(0)));
            let waker = Waker::from(count.clone());
            let mut cx = Context::from_waker(&waker);
            // WouldBlock: clear with the generation we saw, then wait.
            io.clear_readiness(ev);
            let pending = io
                .poll_ready(&mut cx, Direction::Read, WaiterSlot::Reader)
                .is_pending();
            producer.join().unwrap();
            if pending {
                assert_eq!(count.0.load(Ordering::SeqCst), 1, "wake-up lost");
            }
            // Either way the new edge is recorded, never erased by the stale clear.
            assert!(io.ready_now(Direction::Read).unwrap().is_some());
        });
    }

    /// The source holds `seen_bits` at generation 1 and a task made a short transfer with that
    /// event; it clears with it while the reactor records `event_bits`. One of the two holds
    /// `closed_bit`. Whatever the order, the direction must end up ready with the closed bit
    /// set, and a task that returned `Pending` must have been woken.
    fn clear_races_closed_event(
        direction: Direction,
        closed_bit: usize,
        seen_bits: usize,
        event_bits: usize,
    ) {
        loom::model(move || {
            let io = Arc::new(ScheduledIo::default());
            let mut wakers = Vec::new();
            io.set_readiness(seen_bits, &mut wakers);
            let ev = io.ready_now(direction).unwrap().unwrap();

            let reactor = {
                let io = io.clone();
                loom::thread::spawn(move || {
                    let mut wakers = Vec::new();
                    io.set_readiness(event_bits, &mut wakers);
                    for w in wakers {
                        w.wake();
                    }
                })
            };

            let count = Arc::new(CountWaker(LoomAtomicUsize::new(0)));
            let waker = Waker::from(count.clone());
            let mut cx = Context::from_waker(&waker);
            let slot = match direction {
                Direction::Write => WaiterSlot::Writer,
                _ => WaiterSlot::Reader,
            };
            // The short transfer: clear with the generation seen before it, then wait again.
            io.clear_readiness(ev);
            let polled = io.poll_ready(&mut cx, direction, slot);
            reactor.join().unwrap();
            match polled {
                Poll::Pending => assert_eq!(count.0.load(Ordering::SeqCst), 1, "wake-up lost"),
                Poll::Ready(ev) => assert_ne!(ev.unwrap().ready() & direction.mask(), 0),
            }
            let now = io
                .ready_now(direction)
                .unwrap()
                .expect("the closed event was lost to the clear");
            assert_ne!(now.ready() & closed_bit, 0, "the closed bit was cleared");
        });
    }

    /// (a) The end of stream comes with more data (`READABLE | READ_CLOSED`) while the task
    /// clears after a short read; and the end of stream already in the event the task saw
    /// (data and end of stream in one edge) while an unrelated event arrives.
    #[test]
    fn loom_short_read_clear_races_readable_and_read_closed() {
        let rd = Direction::Read;
        clear_races_closed_event(rd, READ_CLOSED, READABLE, READABLE | READ_CLOSED);
        clear_races_closed_event(rd, READ_CLOSED, READABLE | READ_CLOSED, WRITABLE);
    }

    /// (b) An event that carries only `READ_CLOSED` races the clear.
    #[test]
    fn loom_short_read_clear_races_read_closed_only() {
        clear_races_closed_event(Direction::Read, READ_CLOSED, READABLE, READ_CLOSED);
    }

    /// (c) The write side: a reset (`WRITABLE | WRITE_CLOSED`, or `WRITE_CLOSED` alone) races
    /// the clear after a short write, or was already in the event the writer saw.
    #[test]
    fn loom_short_write_clear_races_write_closed() {
        let wr = Direction::Write;
        clear_races_closed_event(wr, WRITE_CLOSED, WRITABLE, WRITABLE | WRITE_CLOSED);
        clear_races_closed_event(wr, WRITE_CLOSED, WRITABLE, WRITE_CLOSED);
        clear_races_closed_event(wr, WRITE_CLOSED, WRITABLE | WRITE_CLOSED, READABLE);
    }
}
