//! The timer wheel: a hierarchical timing wheel with O(1) insert and cancel.
//!
//! # Algorithm
//!
//! Time is counted in **granules** of 10 µs (`driver::GRANULE_NANOS`) since the driver started. (A
//! granule is the wheel's unit of time only; "tick" means other things elsewhere: an
//! `Interval`'s tick, a scheduler tick, and tokio's name for what `scheduled_io.rs` calls a
//! generation.) The wheel has [`LEVELS`] levels of [`SLOTS`] slots. A slot on level `l` covers
//! `64^l` granules, so level 0 holds timers due in the current 640 µs, level 1 those due in the
//! current ~41 ms, and so on up to level 5 (about 7.9 days in all). A timer goes to the lowest level on which its deadline and
//! the wheel's current time [`Wheel::elapsed`] fall in the same slot-range block; which level that
//! is comes from the highest bit in which the two differ (`elapsed ^ when`). Deadlines beyond the
//! top level are parked in the top level and re-filed when their slot comes round.
//!
//! Each slot is an intrusive doubly linked list threaded through a slab of [`Entry`]s by index,
//! and each level keeps a 64-bit mask of its non-empty slots. Inserting is linking at a list head
//! and setting a bit; cancelling is unlinking by index: both O(1), whatever the number of timers.
//! Finding the next deadline is a `trailing_zeros` per level. When time advances past the start
//! of a non-empty slot, its entries either fire (their deadline has passed) or cascade to a lower
//! level; an entry cascades at most [`LEVELS`] - 1 times in its life, so advancing is O(1)
//! amortized per timer. The exception is a deadline beyond the wheel's range (64^6 granules,
//! about 8 days): it waits in the top level and is re-filed there once per rotation of that
//! level until it comes within range.
//!
//! This is the structure of tokio's `time::wheel` (itself after Varghese and Lauck, "Hashed and
//! Hierarchical Timing Wheels", 1987), with its 6 × 64 geometry (but a 10 µs granule where tokio
//! uses 1 ms); the code here is our own.
//!
//! # Never early
//!
//! A deadline becomes the granule `ceil(deadline - start)`, time becomes `floor(now - start)`,
//! and an entry fires only when `when <= elapsed`. So `start + when >= deadline` and
//! `now >= start + elapsed >= start + when`: a timer never fires before its deadline.

use std::task::Waker;

/// Number of levels.
pub(crate) const LEVELS: usize = 6;
/// Slots per level.
pub(crate) const SLOTS: usize = 64;
const SLOT_BITS: u32 = 6;
/// Largest distance between `elapsed` and a slot position (one rotation of the top level).
const MAX_SPAN: u64 = (1 << (SLOT_BITS * LEVELS as u32)) - 1;
const NIL: u32 = u32::MAX;

/// Where an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryState {
    /// On the free list.
    Free,
    /// Linked into `levels[level].slots[slot]`.
    Pending { level: u8, slot: u8 },
    /// Deadline reached; the waker has been handed out. Stays until its owner removes it.
    Fired,
}

#[derive(Debug)]
struct Entry {
    when: u64,
    /// The exact deadline, in nanoseconds since the driver started: what a paused clock jumps to
    /// when it auto-advances to this entry (`when` is this rounded up to a granule).
    deadline: u64,
    waker: Option<Waker>,
    state: EntryState,
    prev: u32,
    next: u32,
}

#[derive(Debug)]
struct Level {
    occupied: u64,
    heads: [u32; SLOTS],
}

impl Level {
    fn new() -> Level {
        Level {
            occupied: 0,
            heads: [NIL; SLOTS],
        }
    }
}

/// A handle to one entry. Only the owner (a `Sleep`) holds it, and it stays valid until
/// [`Wheel::remove`]; keys of removed entries are never used again by their owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimerKey(u32);

/// A slot that has come due: which level and slot, and its start granule.
#[derive(Debug, Clone, Copy)]
struct Expiration {
    level: usize,
    slot: usize,
    deadline: u64,
}

/// The hierarchical timing wheel. Not synchronized: the driver keeps it behind a mutex.
#[derive(Debug)]
pub(crate) struct Wheel {
    elapsed: u64,
    levels: Vec<Level>,
    entries: Vec<Entry>,
    free: Vec<u32>,
    /// Number of pending (linked) entries.
    pending: usize,
    /// Link and unlink operations performed, for tests that prove cost stays linear.
    ops: u64,
}

impl Default for Wheel {
    fn default() -> Self {
        Self::new()
    }
}

/// What [`Wheel::insert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub(crate) enum Inserted {
    /// The entry waits in the wheel.
    Pending(TimerKey),
    /// The deadline had already passed: the entry is `Fired` and its waker was not stored.
    Fired(TimerKey),
}

/// What [`Wheel::poll`] found.
#[derive(Debug)]
#[must_use]
pub(crate) enum Polled {
    /// The entry's granule has passed and it fired; its waker has been taken (and woken).
    Fired,
    /// The entry still waits and now holds the caller's waker. `displaced` is the waker it
    /// held before, if that one would wake another task: the caller drops it after unlocking.
    Waiting {
        /// The waker that the caller's waker replaced.
        displaced: Option<Waker>,
    },
}

impl Polled {
    #[cfg(test)]
    fn fired(self) -> bool {
        matches!(self, Polled::Fired)
    }
}

impl Inserted {
    #[cfg(test)]
    pub(crate) fn key(self) -> TimerKey {
        match self {
            Inserted::Pending(k) | Inserted::Fired(k) => k,
        }
    }
}

impl Wheel {
    /// An empty wheel at granule 0.
    pub(crate) fn new() -> Wheel {
        Wheel {
            elapsed: 0,
            levels: (0..LEVELS).map(|_| Level::new()).collect(),
            entries: Vec::new(),
            free: Vec::new(),
            pending: 0,
            ops: 0,
        }
    }

    /// The granule up to which the wheel has processed timers.
    pub(crate) fn elapsed(&self) -> u64 {
        self.elapsed
    }

    /// Number of link/unlink operations so far (test instrumentation).
    #[cfg(test)]
    pub(crate) fn ops(&self) -> u64 {
        self.ops
    }

    /// Number of entries waiting in the wheel (`RuntimeMetrics::num_active_timers`).
    pub(crate) fn pending(&self) -> usize {
        self.pending
    }

    /// Adds a timer due at granule `when`, whose exact deadline is granule `when`'s start.
    #[cfg(test)]
    pub(crate) fn insert(&mut self, when: u64, waker: Waker) -> Inserted {
        let deadline = u64::try_from(u128::from(when) * crate::driver::GRANULE_NANOS);
        self.insert_exact(when, deadline.unwrap_or(u64::MAX), waker)
    }

    /// Adds a timer due at granule `when`; `deadline` is its exact deadline in nanoseconds since
    /// the driver started (`when` is `deadline` rounded up to a granule, or later), which
    /// [`advance`](Wheel::advance) reports back when the timer fires.
    pub(crate) fn insert_exact(&mut self, when: u64, deadline: u64, waker: Waker) -> Inserted {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                let index = u32::try_from(self.entries.len())
                    .ok()
                    .filter(|&i| i != NIL)
                    .expect("more than 4 billion timers alive at once");
                self.entries.push(Entry {
                    when: 0,
                    deadline: 0,
                    waker: None,
                    state: EntryState::Free,
                    prev: NIL,
                    next: NIL,
                });
                index
            }
        };
        let entry = &mut self.entries[index as usize];
        entry.when = when;
        entry.deadline = deadline;
        if when <= self.elapsed {
            entry.state = EntryState::Fired;
            entry.waker = None;
            Inserted::Fired(TimerKey(index))
        } else {
            entry.waker = Some(waker);
            self.link(index);
            Inserted::Pending(TimerKey(index))
        }
    }

    /// Whether the entry has fired. If not, stores `waker` (unless it would wake the same task)
    /// and hands back the waker it displaced, for the caller to drop after unlocking.
    pub(crate) fn poll(&mut self, key: TimerKey, waker: &Waker) -> Polled {
        let entry = &mut self.entries[key.0 as usize];
        match entry.state {
            EntryState::Fired => Polled::Fired,
            EntryState::Pending { .. } => Polled::Waiting {
                displaced: match &entry.waker {
                    Some(w) if w.will_wake(waker) => None,
                    _ => entry.waker.replace(waker.clone()),
                },
            },
            EntryState::Free => unreachable!("timer key used after removal"),
        }
    }

    /// Cancels and frees an entry, fired or not. Returns its waker, for the caller to drop after
    /// unlocking (dropping a waker may run arbitrary code).
    pub(crate) fn remove(&mut self, key: TimerKey) -> Option<Waker> {
        match self.entries[key.0 as usize].state {
            EntryState::Pending { .. } => self.unlink(key.0),
            EntryState::Fired => {}
            EntryState::Free => unreachable!("timer key removed twice"),
        }
        let entry = &mut self.entries[key.0 as usize];
        entry.state = EntryState::Free;
        let waker = entry.waker.take();
        self.free.push(key.0);
        waker
    }

    /// The start granule of the earliest non-empty slot, if any timer is pending. Time may be
    /// advanced to that granule without skipping any deadline.
    pub(crate) fn next_expiration(&self) -> Option<u64> {
        self.next_slot().map(|exp| exp.deadline)
    }

    fn next_slot(&self) -> Option<Expiration> {
        // Entries on level l all lie beyond the current 64^l block and those on lower levels
        // within it, so the first level with anything holds the earliest slot.
        for (level_index, level) in self.levels.iter().enumerate() {
            if level.occupied == 0 {
                continue;
            }
            let shift = SLOT_BITS * level_index as u32;
            let slot_range = 1u64 << shift;
            let level_range = slot_range << SLOT_BITS;
            let now_slot = ((self.elapsed >> shift) as usize) % SLOTS;
            let rotated = level.occupied.rotate_right(now_slot as u32);
            let slot = (rotated.trailing_zeros() as usize + now_slot) % SLOTS;
            let level_start = self.elapsed & !(level_range - 1);
            let mut deadline = level_start + slot as u64 * slot_range;
            if deadline <= self.elapsed {
                // Only the top level wraps: a slot "behind" us is one rotation ahead.
                debug_assert!(level_index == LEVELS - 1 || deadline == self.elapsed);
                if deadline < self.elapsed || level_index == LEVELS - 1 {
                    deadline += level_range;
                }
            }
            return Some(Expiration {
                level: level_index,
                slot,
                deadline,
            });
        }
        None
    }

    /// Advances time to granule `now`, moving the wakers of every timer due by then into `wakers`.
    /// Returns the earliest exact deadline among the timers it fired, if it fired any (what a
    /// paused clock auto-advances to, see `time/clock.rs`).
    pub(crate) fn advance(&mut self, now: u64, wakers: &mut Vec<Waker>) -> Option<u64> {
        let mut earliest: Option<u64> = None;
        while let Some(exp) = self.next_slot() {
            if exp.deadline > now {
                break;
            }
            self.elapsed = exp.deadline.max(self.elapsed);
            let mut cursor = self.levels[exp.level].heads[exp.slot];
            self.levels[exp.level].heads[exp.slot] = NIL;
            self.levels[exp.level].occupied &= !(1u64 << exp.slot);
            while cursor != NIL {
                let index = cursor;
                let entry = &mut self.entries[index as usize];
                cursor = entry.next;
                entry.prev = NIL;
                entry.next = NIL;
                self.pending -= 1;
                self.ops += 1;
                if entry.when <= self.elapsed {
                    entry.state = EntryState::Fired;
                    wakers.extend(entry.waker.take());
                    earliest = Some(earliest.map_or(entry.deadline, |e| e.min(entry.deadline)));
                } else {
                    // Cascade to a lower level (or round the top level again).
                    self.link(index);
                }
            }
        }
        if now > self.elapsed {
            self.elapsed = now;
        }
        earliest
    }

    /// Fires the entries filed at granule `elapsed + 1` whose exact deadline is at or before
    /// `deadline` (nanoseconds, as in [`insert_exact`](Wheel::insert_exact)).
    ///
    /// Used by a paused clock's `advance`, which moves the wheel to the granule at or *after* the
    /// new present, so that every timer due by then fires. A timer whose exact deadline lies in
    /// that same granule but after the present is woken too, sees the clock say "not yet", and is
    /// filed again at `elapsed + 1`; a later `advance` that reaches its deadline without leaving
    /// the granule finds it here. (Every due entry is at or before `elapsed + 1`: it was filed
    /// at its own granule, or at `elapsed + 1` of an earlier `elapsed`.)
    pub(crate) fn fire_next_granule_due(&mut self, deadline: u64, wakers: &mut Vec<Waker>) {
        let Some(when) = self.elapsed.checked_add(1) else {
            return;
        };
        let level = Self::level_for(self.elapsed, when);
        let slot = ((when >> (SLOT_BITS * level as u32)) as usize) % SLOTS;
        let mut cursor = self.levels[level].heads[slot];
        while cursor != NIL {
            let index = cursor;
            let entry = &self.entries[index as usize];
            cursor = entry.next;
            if entry.when == when && entry.deadline <= deadline {
                self.unlink(index);
                let entry = &mut self.entries[index as usize];
                entry.state = EntryState::Fired;
                wakers.extend(entry.waker.take());
            }
        }
    }

    /// Fires every pending entry (driver shutdown), moving the wakers into `wakers`. Entries
    /// stay `Fired` until their owners remove them.
    pub(crate) fn fire_all(&mut self, wakers: &mut Vec<Waker>) {
        for level in 0..LEVELS {
            for slot in 0..SLOTS {
                let mut cursor = self.levels[level].heads[slot];
                self.levels[level].heads[slot] = NIL;
                while cursor != NIL {
                    let entry = &mut self.entries[cursor as usize];
                    cursor = entry.next;
                    entry.prev = NIL;
                    entry.next = NIL;
                    entry.state = EntryState::Fired;
                    wakers.extend(entry.waker.take());
                }
            }
            self.levels[level].occupied = 0;
        }
        self.pending = 0;
    }

    fn level_for(elapsed: u64, when: u64) -> usize {
        const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;
        let masked = (elapsed ^ when) | SLOT_MASK;
        let significant = 63 - masked.leading_zeros() as usize;
        (significant / SLOT_BITS as usize).min(LEVELS - 1)
    }

    fn link(&mut self, index: u32) {
        let when = self.entries[index as usize].when;
        debug_assert!(when > self.elapsed);
        // Deadlines beyond one rotation of the top level are filed at its far end and re-filed
        // when that slot comes round; `when` itself is kept, so they never fire early.
        let position = when.min(self.elapsed + MAX_SPAN);
        let level = Self::level_for(self.elapsed, position);
        let slot = ((position >> (SLOT_BITS * level as u32)) as usize) % SLOTS;
        let head = self.levels[level].heads[slot];
        {
            let entry = &mut self.entries[index as usize];
            entry.prev = NIL;
            entry.next = head;
            entry.state = EntryState::Pending {
                level: level as u8,
                slot: slot as u8,
            };
        }
        if head != NIL {
            self.entries[head as usize].prev = index;
        }
        self.levels[level].heads[slot] = index;
        self.levels[level].occupied |= 1u64 << slot;
        self.pending += 1;
        self.ops += 1;
    }

    fn unlink(&mut self, index: u32) {
        let (level, slot, prev, next) = match self.entries[index as usize] {
            Entry {
                state: EntryState::Pending { level, slot },
                prev,
                next,
                ..
            } => (level as usize, slot as usize, prev, next),
            _ => unreachable!("unlink of an entry that is not pending"),
        };
        if prev != NIL {
            self.entries[prev as usize].next = next;
        } else {
            self.levels[level].heads[slot] = next;
            if next == NIL {
                self.levels[level].occupied &= !(1u64 << slot);
            }
        }
        if next != NIL {
            self.entries[next as usize].prev = prev;
        }
        let entry = &mut self.entries[index as usize];
        entry.prev = NIL;
        entry.next = NIL;
        self.pending -= 1;
        self.ops += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use std::task::Wake;

    /// A waker that records which timer it belongs to.
    struct Tag(u64, Arc<Mutex<Vec<u64>>>);
    impl Wake for Tag {
        fn wake(self: Arc<Self>) {
            self.1.lock().unwrap().push(self.0);
        }
    }

    fn tagged(tag: u64, log: &Arc<Mutex<Vec<u64>>>) -> Waker {
        Waker::from(Arc::new(Tag(tag, log.clone())))
    }

    #[test]
    fn level_for_matches_geometry() {
        assert_eq!(Wheel::level_for(0, 1), 0);
        assert_eq!(Wheel::level_for(0, 63), 0);
        assert_eq!(Wheel::level_for(0, 64), 1);
        assert_eq!(Wheel::level_for(0, 4095), 1);
        assert_eq!(Wheel::level_for(0, 4096), 2);
        assert_eq!(Wheel::level_for(63, 64), 1);
        assert_eq!(Wheel::level_for(0, u64::MAX), LEVELS - 1);
    }

    #[test]
    fn fires_exactly_at_deadline_never_before() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut rng = fastrand::Rng::with_seed(0x1234_5678_9abc_def1);
        let mut wheel = Wheel::new();
        let mut deadlines = Vec::new();
        for i in 0..2000u64 {
            // Mixed scales: level 0 to level 3.
            let when = 1 + rng.u64(..[60, 4_000, 250_000, 1_000_000][i as usize % 4]);
            let _ = wheel.insert(when, tagged(when, &log));
            deadlines.push(when);
        }
        let mut wakers = Vec::new();
        let mut now = 0;
        let mut step = fastrand::Rng::with_seed(99);
        while wheel.pending > 0 {
            now += 1 + step.u64(..700);
            wheel.advance(now, &mut wakers);
            for w in wakers.drain(..) {
                w.wake();
            }
            for &fired in log.lock().unwrap().iter() {
                assert!(fired <= now, "timer for {fired} fired at {now}");
            }
            // Everything due by `now` has fired.
            let fired = log.lock().unwrap().len();
            assert_eq!(fired, deadlines.iter().filter(|&&d| d <= now).count());
        }
    }

    #[test]
    fn next_expiration_never_skips_a_deadline() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..500 {
            let when = 1 + rng.u64(..300_000);
            let _ = wheel.insert(when, tagged(when, &log));
        }
        let mut wakers = Vec::new();
        // Jump straight to each reported expiration, as the driver does when it sleeps.
        while let Some(next) = wheel.next_expiration() {
            wheel.advance(next, &mut wakers);
            for w in wakers.drain(..) {
                w.wake();
            }
            let fired = log.lock().unwrap().clone();
            for &f in &fired {
                assert!(f <= next);
            }
        }
        let mut fired = log.lock().unwrap().clone();
        assert_eq!(fired.len(), 500);
        // Fired in non-decreasing deadline order when driven slot by slot.
        let sorted = {
            let mut s = fired.clone();
            s.sort_unstable();
            s
        };
        fired.dedup();
        let mut sorted_dedup = sorted.clone();
        sorted_dedup.dedup();
        assert_eq!(fired, sorted_dedup);
    }

    #[test]
    fn far_future_deadline_is_not_fired_early() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        let when = MAX_SPAN * 3 + 17;
        let _ = wheel.insert(when, tagged(1, &log));
        let mut wakers = Vec::new();
        let mut steps = 0;
        while let Some(next) = wheel.next_expiration() {
            assert!(next <= when);
            wheel.advance(next, &mut wakers);
            steps += 1;
            if next < when {
                assert!(wakers.is_empty(), "fired at {next}, deadline {when}");
            }
        }
        assert_eq!(wakers.len(), 1);
        assert!(steps < 64, "cascades are bounded, took {steps}");
    }

    #[test]
    fn insert_in_the_past_fires_at_once() {
        let mut wheel = Wheel::new();
        let mut wakers = Vec::new();
        wheel.advance(100, &mut wakers);
        let key = match wheel.insert(50, Waker::noop().clone()) {
            Inserted::Fired(k) => k,
            other => panic!("expected fired, got {other:?}"),
        };
        assert!(wheel.poll(key, Waker::noop()).fired());
        wheel.remove(key);
    }

    /// Polling a waiting entry stores the caller's waker and hands back the one it replaced,
    /// unless both wake the same task; once the entry fires, polling says so.
    #[test]
    fn poll_says_what_happened() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        let first = tagged(1, &log);
        let key = wheel.insert(5, first.clone()).key();
        match wheel.poll(key, &first) {
            Polled::Waiting { displaced: None } => {}
            other => panic!("the same task polled again: {other:?}"),
        }
        let second = tagged(2, &log);
        match wheel.poll(key, &second) {
            Polled::Waiting {
                displaced: Some(old),
            } => assert!(old.will_wake(&first)),
            other => panic!("another task polled: {other:?}"),
        }
        let mut wakers = Vec::new();
        wheel.advance(4, &mut wakers);
        assert!(wakers.is_empty());
        assert!(!wheel.poll(key, &second).fired());
        wheel.advance(5, &mut wakers);
        for w in wakers.drain(..) {
            w.wake();
        }
        assert_eq!(*log.lock().unwrap(), vec![2], "the latest waker is woken");
        assert!(wheel.poll(key, &second).fired());
        assert!(wheel.remove(key).is_none());
    }

    #[test]
    fn cancel_and_reset() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        let a = wheel.insert(10, tagged(10, &log)).key();
        let b = wheel.insert(20, tagged(20, &log)).key();
        let c = wheel.insert(30, tagged(30, &log)).key();
        wheel.remove(b);
        wheel.remove(c);
        let c = wheel.insert(5, tagged(5, &log)).key();
        let mut wakers = Vec::new();
        wheel.advance(40, &mut wakers);
        for w in wakers.drain(..) {
            w.wake();
        }
        assert_eq!(*log.lock().unwrap(), vec![5, 10]);
        assert!(wheel.poll(a, Waker::noop()).fired());
        wheel.remove(a);
        wheel.remove(c);
        assert_eq!(wheel.pending(), 0);
        // Freed slots are reused.
        let d = wheel.insert(100, Waker::noop().clone()).key();
        assert!(d == a || d == b || d == c);
    }

    /// A million timers inserted and cancelled before they fire: the work done (links and
    /// unlinks) is exactly one link and one unlink per timer, whatever the spread of deadlines.
    #[test]
    fn million_insert_cancel_is_linear() {
        let n: u64 = if cfg!(miri) { 1_000 } else { 1_000_000 };
        let mut wheel = Wheel::new();
        let mut rng = fastrand::Rng::with_seed(42);
        let mut keys = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let when = 1 + rng.u64(..10_000_000);
            keys.push(wheel.insert(when, Waker::noop().clone()).key());
        }
        assert_eq!(wheel.pending(), n as usize);
        for key in keys {
            wheel.remove(key);
        }
        assert_eq!(wheel.pending(), 0);
        assert_eq!(wheel.ops(), 2 * n);
        assert_eq!(wheel.next_expiration(), None);
        assert!(wheel.levels.iter().all(|l| l.occupied == 0));
    }

    /// `advance` reports the earliest exact deadline it fired; `fire_next_granule_due` fires
    /// only the entries of granule `elapsed + 1` that are due by their exact deadline, also
    /// across a block boundary (where that granule is filed on level 1).
    #[test]
    fn exact_deadlines_are_reported_and_fired() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        let _ = wheel.insert_exact(3, 25_001, tagged(1, &log));
        let _ = wheel.insert_exact(3, 20_007, tagged(2, &log));
        let _ = wheel.insert_exact(5, 45_000, tagged(3, &log));
        let mut wakers = Vec::new();
        assert_eq!(wheel.advance(2, &mut wakers), None);
        assert_eq!(wheel.advance(3, &mut wakers), Some(20_007));
        assert_eq!(wakers.len(), 2);
        wakers.clear();

        for elapsed in [10u64, 63] {
            let mut wheel = Wheel::new();
            wheel.advance(elapsed, &mut wakers);
            let early = wheel
                .insert_exact(elapsed + 1, 1_000, tagged(10, &log))
                .key();
            let late = wheel
                .insert_exact(elapsed + 1, 2_000, tagged(11, &log))
                .key();
            let other = wheel.insert_exact(elapsed + 2, 500, tagged(12, &log)).key();
            wheel.fire_next_granule_due(1_500, &mut wakers);
            assert_eq!(wakers.len(), 1, "elapsed {elapsed}");
            assert!(wheel.poll(early, Waker::noop()).fired());
            assert!(!wheel.poll(late, Waker::noop()).fired());
            assert!(!wheel.poll(other, Waker::noop()).fired());
            assert_eq!(wheel.pending(), 2);
            wakers.clear();
        }
    }

    #[test]
    fn fire_all_wakes_everything() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut wheel = Wheel::new();
        let keys: Vec<_> = [3u64, 300, 300_000]
            .iter()
            .map(|&w| wheel.insert(w, tagged(w, &log)).key())
            .collect();
        let mut wakers = Vec::new();
        wheel.fire_all(&mut wakers);
        assert_eq!(wakers.len(), 3);
        for key in keys {
            assert!(wheel.poll(key, Waker::noop()).fired());
        }
    }
}
