//! The owner list: every live task of a runtime, so that shutdown can cancel tasks that sit idle
//! waiting for a wake that will never come.
//!
//! Sharded by task id; each shard is a slab under its own mutex (tokio shards its owned-task
//! list the same way to keep spawns on different workers from contending).

use crate::loom::sync::Mutex;
use crate::task::Task;

pub(crate) struct OwnedTasks {
    shards: Box<[Mutex<Shard>]>,
    mask: usize,
}

/// # Invariant
///
/// For every `Some(task)` at index `i` of `slots`, `task.header().owner_slot == i` (written under
/// this shard's lock), and `i` is not in `free`.
#[derive(Default)]
struct Shard {
    slots: Vec<Option<Task>>,
    free: Vec<usize>,
    closed: bool,
}

impl OwnedTasks {
    pub(crate) fn new(workers: usize) -> OwnedTasks {
        let n = (workers * 4).next_power_of_two().clamp(4, 64);
        OwnedTasks {
            shards: (0..n).map(|_| Mutex::new(Shard::default())).collect(),
            mask: n - 1,
        }
    }

    fn shard(&self, task: &Task) -> &Mutex<Shard> {
        &self.shards[task.header().id as usize & self.mask]
    }

    /// Adds a task; gives it back if the list is closed (the runtime is shutting down).
    pub(crate) fn insert(&self, task: Task) -> Result<(), Task> {
        let mut shard = self.shard(&task).lock();
        if shard.closed {
            return Err(task);
        }
        let slot = match shard.free.pop() {
            Some(slot) => slot,
            None => {
                shard.slots.push(None);
                shard.slots.len() - 1
            }
        };
        task.header()
            .owner_slot
            .store(slot, std::sync::atomic::Ordering::Relaxed);
        shard.slots[slot] = Some(task);
        Ok(())
    }

    /// Removes a task, returning the list's reference, or `None` if it is not (or no longer)
    /// in the list.
    pub(crate) fn remove(&self, task: &Task) -> Option<Task> {
        let mut shard = self.shard(task).lock();
        let slot = task
            .header()
            .owner_slot
            .load(std::sync::atomic::Ordering::Relaxed);
        match shard.slots.get_mut(slot) {
            Some(entry) if entry.as_ref().map(|t| t.raw()) == Some(task.raw()) => {
                let taken = entry.take();
                shard.free.push(slot);
                taken
            }
            _ => None,
        }
    }

    /// Closes the list (later inserts fail) and takes every task out of it.
    pub(crate) fn close_and_drain(&self) -> Vec<Task> {
        let mut all = Vec::new();
        for shard in self.shards.iter() {
            let mut shard = shard.lock();
            shard.closed = true;
            let free = &mut shard.free;
            free.clear();
            let slots = std::mem::take(&mut shard.slots);
            all.extend(slots.into_iter().flatten());
        }
        all
    }
}
