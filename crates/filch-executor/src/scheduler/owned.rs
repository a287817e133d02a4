//! The owner list: every live task of a runtime, so that shutdown can cancel tasks that sit idle
//! waiting for a wake that will never come.
//!
//! Sharded by task id; each shard is a slab under its own mutex (tokio shards its owned-task
//! list the same way to keep spawns on different workers from contending).
//!
//! Each shard also counts the tasks inserted into it, for `RuntimeMetrics::spawned_tasks_count`:
//! written with a relaxed load and store while the shard's lock is held (a spawn takes that lock
//! anyway, so counting adds no atomic read-modify-write and no cache line), read without the
//! lock and summed over the shards. `num_alive_tasks` is not counted at all: it is the number
//! of occupied slots, read under each shard's lock in turn when asked. Each entry keeps the
//! task's spawn time (`metrics::spawn_time`: no clock read for a spawn on a worker).
//!
//! With poll timing on (the poll-time histogram or a slow-poll threshold), each shard also
//! keeps the tasks' total measured poll time, by slot, in a map beside the slab
//! ([`OwnedTasks::add_poll_time`], under the shard's lock after each timed poll). With timing
//! off the map stays empty and costs a removal one branch; the task header has no poll-time
//! word (see `runtime/dump.rs`, "the decision").

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

use crate::loom::sync::Mutex;
use crate::task::Task;

pub(crate) struct OwnedTasks {
    shards: Box<[ShardCell]>,
    mask: usize,
}

/// A task in the list, and when it was spawned (`TaskInfo::age`; kept here rather than in the
/// task header so that the task allocation does not grow, see `runtime/dump.rs`).
struct Entry {
    task: Task,
    spawned_at: Instant,
}

/// A shard and its counters (written under `lock` only).
struct ShardCell {
    lock: Mutex<Shard>,
    spawned: AtomicU64,
}

/// # Invariant
///
/// For every `Some(entry)` at index `i` of `slots`, `entry.task.header().owner_slot == i`
/// (written under this shard's lock), and `i` is not in `free`.
#[derive(Default)]
struct Shard {
    slots: Vec<Option<Entry>>,
    free: Vec<usize>,
    closed: bool,
    /// Total measured poll time (nanoseconds) of the task in each slot; only written while
    /// timing is on, and a slot's value leaves with its task.
    poll_nanos: HashMap<usize, u64>,
}

impl OwnedTasks {
    pub(crate) fn new(workers: usize) -> OwnedTasks {
        let n = (workers * 4).next_power_of_two().clamp(4, 64);
        OwnedTasks {
            shards: (0..n)
                .map(|_| ShardCell {
                    lock: Mutex::new(Shard::default()),
                    spawned: AtomicU64::new(0),
                })
                .collect(),
            mask: n - 1,
        }
    }

    fn shard(&self, task: &Task) -> &ShardCell {
        &self.shards[task.header().id as usize & self.mask]
    }

    /// Tasks inserted so far (`RuntimeMetrics::spawned_tasks_count`).
    pub(crate) fn spawned(&self) -> u64 {
        self.shards
            .iter()
            .map(|s| s.spawned.load(Relaxed))
            .fold(0, u64::wrapping_add)
    }

    /// Tasks in the list now (`RuntimeMetrics::num_alive_tasks`): counted under each shard's
    /// lock in turn, so spawns and completions pay nothing for it.
    pub(crate) fn alive(&self) -> usize {
        self.shards
            .iter()
            .map(|cell| {
                let shard = cell.lock.lock();
                shard.slots.len() - shard.free.len()
            })
            .sum()
    }

    /// Calls `f` on every task in the list with its spawn time and total measured poll time
    /// (nanoseconds), one shard at a time under its lock (`Handle::dump`).
    pub(crate) fn for_each(&self, mut f: impl FnMut(&Task, Instant, u64)) {
        for cell in self.shards.iter() {
            let shard = cell.lock.lock();
            for (slot, entry) in shard.slots.iter().enumerate() {
                if let Some(entry) = entry {
                    let nanos = shard.poll_nanos.get(&slot).copied().unwrap_or(0);
                    f(&entry.task, entry.spawned_at, nanos);
                }
            }
        }
    }

    /// Adds one timed poll's duration to the task `id` that was in `slot` when the poll began
    /// (with timing on only). Nothing happens if the task has left the list since (it
    /// completed during that poll): its slot is free or holds another task.
    pub(crate) fn add_poll_time(&self, id: u64, slot: u32, nanos: u64) {
        let cell = &self.shards[id as usize & self.mask];
        let mut shard = cell.lock.lock();
        let slot = slot as usize;
        let here = matches!(shard.slots.get(slot), Some(Some(e)) if e.task.header().id == id);
        if here {
            let total = shard.poll_nanos.entry(slot).or_insert(0);
            *total = total.saturating_add(nanos);
        }
    }

    /// Adds a task; gives it back if the list is closed (the runtime is shutting down).
    pub(crate) fn insert(&self, task: Task) -> Result<(), Task> {
        let spawned_at = crate::runtime::metrics::spawn_time();
        let cell = self.shard(&task);
        let mut shard = cell.lock.lock();
        if shard.closed {
            return Err(task);
        }
        // Under the lock: the only writer (see the module docs).
        cell.spawned
            .store(cell.spawned.load(Relaxed).wrapping_add(1), Relaxed);

        let slot = match shard.free.pop() {
            Some(slot) => slot,
            None => {
                shard.slots.push(None);
                shard.slots.len() - 1
            }
        };
        // A shard would need 2^32 live tasks (hundreds of GiB) to get here.
        let slot32 = u32::try_from(slot).expect("more than 2^32 live tasks in one shard");
        task.header().owner_slot.store(slot32, Relaxed);
        shard.slots[slot] = Some(Entry { task, spawned_at });
        Ok(())
    }

    /// Removes a task, returning the list's reference, or `None` if it is not (or no longer)
    /// in the list.
    pub(crate) fn remove(&self, task: &Task) -> Option<Task> {
        let cell = self.shard(task);
        let mut shard = cell.lock.lock();
        let slot = task.header().owner_slot.load(Relaxed) as usize;
        match shard.slots.get_mut(slot) {
            Some(entry) if entry.as_ref().map(|e| e.task.raw()) == Some(task.raw()) => {
                let taken = entry.take().map(|e| e.task);
                shard.free.push(slot);
                if !shard.poll_nanos.is_empty() {
                    shard.poll_nanos.remove(&slot);
                }
                taken
            }
            _ => None,
        }
    }

    /// Closes the list (later inserts fail) and takes every task out of it.
    pub(crate) fn close_and_drain(&self) -> Vec<Task> {
        let mut all = Vec::new();
        for cell in self.shards.iter() {
            let mut shard = cell.lock.lock();
            shard.closed = true;
            let free = &mut shard.free;
            free.clear();
            shard.poll_nanos.clear();
            let slots = std::mem::take(&mut shard.slots);
            all.extend(slots.into_iter().flatten().map(|e| e.task));
        }
        all
    }
}
