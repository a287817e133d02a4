//! [`JoinSet`]: a collection of spawned tasks, joined in the order they finish.
//!
//! # Readiness tracking
//!
//! Each member owns a small waker (`MemberWaker`: an `Arc` holding the member's slot and
//! generation and a `queued` flag) which it registers as its `JoinHandle`'s join waker. When the
//! task completes, that waker pushes `(slot, generation)` onto the set's shared ready queue and
//! wakes whoever waits in [`JoinSet::join_next`]. `join_next` pops from the queue and polls only
//! those members, so joining `n` tasks costs O(n) polls in all, not O(n²). A newly spawned member
//! starts queued: its first poll registers the waker (or finds it already finished). The
//! generation makes a late wake for a slot that was emptied and reused harmless. The idea of
//! per-member wakers comes from tokio's `JoinSet` (which uses intrusive lists); this is our own
//! simpler design.
//!
//! Local tasks (`spawn_local`, `spawn_local_on`) join a set the same way: their `JoinHandle`s
//! take the same member wakers, which may be woken from the `LocalSet`'s thread.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll, Wake, Waker};

use parking_lot::Mutex;

use super::{AbortHandle, Id, JoinError, JoinHandle, LocalSet};
use crate::runtime::Handle;

/// A set of tasks spawned onto a runtime, awaited in the order they complete.
///
/// All tasks must have the same output type `T`. [`join_next`](JoinSet::join_next) returns the
/// output of whichever task finishes next. Dropping the set aborts every task still in it (use
/// [`detach_all`](JoinSet::detach_all) first to let them run on).
///
/// ```
/// use filch::task::JoinSet;
/// # let rt = filch::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let mut set = JoinSet::new();
/// for i in 0..10u32 {
///     set.spawn(async move { i * i });
/// }
/// let mut sum = 0;
/// while let Some(result) = set.join_next().await {
///     sum += result.unwrap();
/// }
/// assert_eq!(sum, 285);
/// assert!(set.is_empty());
/// # });
/// ```
pub struct JoinSet<T> {
    slots: Vec<Slot<T>>,
    /// Indices of empty slots.
    free: Vec<usize>,
    len: usize,
    shared: Arc<Shared>,
    /// How many times a member's handle was polled (the O(n) test counts them).
    #[cfg(test)]
    polls: usize,
}

struct Slot<T> {
    /// Bumped each time the slot is filled, so that a stale `(index, generation)` is ignored.
    generation: u64,
    member: Option<Member<T>>,
}

struct Member<T> {
    handle: JoinHandle<T>,
    waker: Arc<MemberWaker>,
}

struct Shared {
    inner: Mutex<SharedInner>,
}

struct SharedInner {
    /// Members that completed (or were never polled yet), in the order they were queued.
    ready: VecDeque<(usize, u64)>,
    /// The waker of the task waiting in `join_next`.
    waiter: Option<Waker>,
}

struct MemberWaker {
    shared: Arc<Shared>,
    index: usize,
    generation: u64,
    /// Set while the member is in the ready queue, so that it is queued once.
    queued: AtomicBool,
}

impl Wake for MemberWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let waiter = {
            let mut inner = self.shared.inner.lock();
            inner.ready.push_back((self.index, self.generation));
            inner.waiter.take()
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    ///
    /// ```
    /// let set = filch::task::JoinSet::<()>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> JoinSet<T> {
        JoinSet {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
            #[cfg(test)]
            polls: 0,
            shared: Arc::new(Shared {
                inner: Mutex::new(SharedInner {
                    ready: VecDeque::new(),
                    waiter: None,
                }),
            }),
        }
    }

    /// The number of tasks in the set, finished or not, that have not been joined yet.
    ///
    /// ```
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let mut set = filch::task::JoinSet::new();
    /// set.spawn(async {});
    /// set.spawn(async {});
    /// assert_eq!(set.len(), 2);
    /// # });
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set holds no tasks.
    ///
    /// ```
    /// let set = filch::task::JoinSet::<u8>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a task's handle to the set; returns its abort handle.
    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    member: None,
                });
                self.slots.len() - 1
            }
        };
        let slot = &mut self.slots[index];
        slot.generation = slot.generation.wrapping_add(1);
        let waker = Arc::new(MemberWaker {
            shared: self.shared.clone(),
            index,
            generation: slot.generation,
            // Queued below: the first poll registers the waker.
            queued: AtomicBool::new(true),
        });
        slot.member = Some(Member { handle, waker });
        self.len += 1;
        self.shared
            .inner
            .lock()
            .ready
            .push_back((index, slot.generation));
        abort
    }

    /// Pops ready members and polls them until one has finished; `None` when none has.
    fn next_finished(&mut self) -> Option<Result<(Id, T), JoinError>> {
        loop {
            let (index, generation) = self.shared.inner.lock().ready.pop_front()?;
            let Some(slot) = self.slots.get_mut(index) else {
                continue;
            };
            if slot.generation != generation {
                continue;
            }
            let Some(member) = slot.member.as_mut() else {
                continue;
            };
            // Cleared before the poll, so a completion after the waker is registered queues the
            // member again.
            member.waker.queued.store(false, Ordering::Release);
            let waker = Waker::from(member.waker.clone());
            #[cfg(test)]
            {
                self.polls += 1;
            }
            if let Poll::Ready(result) = member.handle.poll_output(&waker) {
                let member = slot.member.take().expect("checked above");
                let id = member.handle.id();
                self.free.push(index);
                self.len -= 1;
                return Some(result.map(|output| (id, output)));
            }
        }
    }

    /// Polls for the next task to finish, with its [`Id`].
    ///
    /// `Ready(None)` when the set is empty; `Pending` (with `cx`'s waker registered) when no task
    /// has finished yet. Spends one unit of the coop budget per task returned.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let mut set = filch::task::JoinSet::new();
    /// set.spawn(async { 3 });
    /// let (_, three) = poll_fn(|cx| set.poll_join_next_with_id(cx)).await.unwrap().unwrap();
    /// assert_eq!(three, 3);
    /// # });
    /// ```
    pub fn poll_join_next_with_id(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(Id, T), JoinError>>> {
        if self.is_empty() {
            return Poll::Ready(None);
        }
        let coop = ready!(crate::coop::poll_proceed(cx));
        loop {
            if let Some(result) = self.next_finished() {
                coop.made_progress();
                return Poll::Ready(Some(result));
            }
            let mut inner = self.shared.inner.lock();
            // A member may have been queued after `next_finished` found the queue empty.
            if inner.ready.is_empty() {
                match &inner.waiter {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => inner.waiter = Some(cx.waker().clone()),
                }
                return Poll::Pending;
            }
        }
    }

    /// Polls for the next task to finish; [`poll_join_next_with_id`](Self::poll_join_next_with_id)
    /// without the id.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let mut set = filch::task::JoinSet::new();
    /// set.spawn(async { 3 });
    /// assert_eq!(poll_fn(|cx| set.poll_join_next(cx)).await.unwrap().unwrap(), 3);
    /// assert!(poll_fn(|cx| set.poll_join_next(cx)).await.is_none());
    /// # });
    /// ```
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        self.poll_join_next_with_id(cx)
            .map(|next| next.map(|result| result.map(|(_, output)| output)))
    }

    /// Waits for the next task to finish and returns its output, or `None` if the set is empty.
    ///
    /// Tasks are returned in the order they finish, not the order they were spawned. A task that
    /// panicked or was aborted gives an `Err(JoinError)`.
    ///
    /// Cancel-safe: if the future is dropped before it completes, no task is lost from the set.
    ///
    /// ```
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let mut set = filch::task::JoinSet::new();
    /// set.spawn(async { "done" });
    /// assert_eq!(set.join_next().await.unwrap().unwrap(), "done");
    /// assert!(set.join_next().await.is_none());
    /// # });
    /// ```
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        std::future::poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// [`join_next`](Self::join_next), with the finished task's [`Id`] (also in the error).
    ///
    /// Cancel-safe, like `join_next`.
    ///
    /// ```
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let mut set = filch::task::JoinSet::new();
    /// let abort = set.spawn(async { 1 });
    /// let (id, one) = set.join_next_with_id().await.unwrap().unwrap();
    /// assert_eq!((id, one), (abort.id(), 1));
    /// # });
    /// ```
    pub async fn join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        std::future::poll_fn(|cx| self.poll_join_next_with_id(cx)).await
    }

    /// The output of a task that has already finished, without waiting; `None` if no task has
    /// finished yet (or the set is empty).
    ///
    /// ```
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let mut set = filch::task::JoinSet::new();
    /// set.spawn(std::future::pending::<()>());
    /// assert!(set.try_join_next().is_none());
    /// # });
    /// ```
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.try_join_next_with_id()
            .map(|result| result.map(|(_, output)| output))
    }

    /// [`try_join_next`](Self::try_join_next), with the finished task's [`Id`].
    ///
    /// ```
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let mut set = filch::task::JoinSet::new();
    /// let abort = set.spawn(async { 2 });
    /// let (id, two) = loop {
    ///     match set.try_join_next_with_id() {
    ///         Some(result) => break result.unwrap(),
    ///         None => filch::task::yield_now().await,
    ///     }
    /// };
    /// assert_eq!((id, two), (abort.id(), 2));
    /// # });
    /// ```
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        self.next_finished()
    }

    /// Aborts every task in the set. The tasks stay in the set: joining them gives their
    /// outputs, or a cancelled [`JoinError`] for those that had not finished.
    ///
    /// ```
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let mut set = filch::task::JoinSet::new();
    /// set.spawn(std::future::pending::<()>());
    /// set.abort_all();
    /// assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// # });
    /// ```
    pub fn abort_all(&mut self) {
        for member in self.slots.iter().filter_map(|slot| slot.member.as_ref()) {
            member.handle.abort();
        }
    }

    /// Aborts every task and waits until all of them have stopped; the set is then empty.
    /// Outputs and errors are dropped.
    ///
    /// ```
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let mut set = filch::task::JoinSet::new();
    /// set.spawn(std::future::pending::<()>());
    /// set.shutdown().await;
    /// assert!(set.is_empty());
    /// # });
    /// ```
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Removes every task from the set without aborting it: the tasks run on, detached, and
    /// their outputs are dropped.
    ///
    /// ```
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let mut set = filch::task::JoinSet::new();
    /// let abort = set.spawn(async {});
    /// set.detach_all();
    /// assert!(set.is_empty());
    /// while !abort.is_finished() {
    ///     filch::task::yield_now().await;
    /// }
    /// # });
    /// ```
    pub fn detach_all(&mut self) {
        // Dropping a `JoinHandle` detaches its task.
        self.slots.clear();
        self.free.clear();
        self.len = 0;
        self.shared.inner.lock().ready.clear();
    }

    /// Waits for every task and returns their outputs, in the order they finished.
    ///
    /// # Panics
    ///
    /// If a task panicked, its panic is resumed here (the remaining tasks are aborted when the
    /// set is dropped during the unwind). If a task was cancelled, this panics with the
    /// [`JoinError`]'s message. Use [`join_next`](Self::join_next) to handle errors instead.
    ///
    /// ```
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let mut set = filch::task::JoinSet::new();
    /// for i in 0..3 {
    ///     set.spawn(async move { i });
    /// }
    /// let mut outputs = set.join_all().await;
    /// outputs.sort();
    /// assert_eq!(outputs, [0, 1, 2]);
    /// # });
    /// ```
    pub async fn join_all(mut self) -> Vec<T> {
        let mut outputs = Vec::with_capacity(self.len);
        while let Some(result) = self.join_next().await {
            match result {
                Ok(output) => outputs.push(output),
                Err(error) => match error.try_into_panic() {
                    Ok(payload) => std::panic::resume_unwind(payload),
                    Err(error) => panic!("JoinSet::join_all: {error}"),
                },
            }
        }
        outputs
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// Spawns `task` onto the current runtime, into the set; returns a handle that can abort it.
    ///
    /// # Panics
    ///
    /// Outside a runtime, like [`spawn`](crate::spawn).
    ///
    /// ```
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let mut set = filch::task::JoinSet::new();
    /// let abort = set.spawn(std::future::pending::<u8>());
    /// abort.abort();
    /// assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(crate::spawn(task))
    }

    /// Spawns `task` onto the runtime of `handle`, into the set.
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// let mut set = filch::task::JoinSet::new();
    /// set.spawn_on(async { 9 }, rt.handle());
    /// assert_eq!(rt.block_on(set.join_next()).unwrap().unwrap(), 9);
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(&mut self, task: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(handle.spawn(task))
    }

    /// Runs `f` on the current runtime's blocking pool, into the set. Aborting it only has an
    /// effect while it is still queued.
    ///
    /// # Panics
    ///
    /// Outside a runtime, like [`spawn_blocking`](crate::task::spawn_blocking).
    ///
    /// ```
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let mut set = filch::task::JoinSet::new();
    /// set.spawn_blocking(|| 4);
    /// assert_eq!(set.join_next().await.unwrap().unwrap(), 4);
    /// # });
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(crate::task::spawn_blocking(f))
    }

    /// Runs `f` on the blocking pool of `handle`'s runtime, into the set.
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// let mut set = filch::task::JoinSet::new();
    /// set.spawn_blocking_on(|| 5, rt.handle());
    /// assert_eq!(rt.block_on(set.join_next()).unwrap().unwrap(), 5);
    /// ```
    #[track_caller]
    pub fn spawn_blocking_on<F>(&mut self, f: F, handle: &Handle) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(handle.spawn_blocking(f))
    }
}

impl<T: 'static> JoinSet<T> {
    /// Spawns `task`, a future that need not be `Send`, onto the current
    /// [`LocalSet`](crate::task::LocalSet), into the set; returns a handle that can abort it.
    ///
    /// # Panics
    ///
    /// Outside a `LocalSet`, like [`spawn_local`](crate::task::spawn_local).
    ///
    /// ```
    /// use std::rc::Rc;
    /// use filch::task::{JoinSet, LocalSet};
    ///
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// LocalSet::new().block_on(&rt, async {
    ///     let mut set = JoinSet::new();
    ///     for i in 0..3 {
    ///         let shared = Rc::new(i); // not Send
    ///         set.spawn_local(async move { *shared * 10 });
    ///     }
    ///     let mut outputs = set.join_all().await;
    ///     outputs.sort();
    ///     assert_eq!(outputs, [0, 10, 20]);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&mut self, task: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(crate::task::spawn_local(task))
    }

    /// Spawns `task`, a future that need not be `Send`, onto `local_set`, into the set. The task
    /// runs when `local_set` is driven.
    ///
    /// ```
    /// use filch::task::{JoinSet, LocalSet};
    ///
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// let local = LocalSet::new();
    /// let mut set = JoinSet::new();
    /// set.spawn_local_on(async { std::rc::Rc::new(4) }, &local);
    /// let four = local.block_on(&rt, set.join_next()).unwrap().unwrap();
    /// assert_eq!(*four, 4);
    /// ```
    #[track_caller]
    pub fn spawn_local_on<F>(&mut self, task: F, local_set: &LocalSet) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
    {
        self.insert(local_set.spawn_local(task))
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> JoinSet<T> {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len).finish()
    }
}

impl<T, F> Extend<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    /// Spawns each future into the set, on the current runtime (panics outside one).
    #[track_caller]
    fn extend<I: IntoIterator<Item = F>>(&mut self, iter: I) {
        for future in iter {
            self.spawn(future);
        }
    }
}

impl<T, F> FromIterator<F> for JoinSet<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    /// Spawns each future into a new set, on the current runtime (panics outside one).
    ///
    /// ```
    /// use filch::task::JoinSet;
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let set: JoinSet<u32> = (1..=3u32).map(|i| async move { i }).collect();
    /// let total: u32 = set.join_all().await.into_iter().sum();
    /// assert_eq!(total, 6);
    /// # });
    /// ```
    #[track_caller]
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> JoinSet<T> {
        let mut set = JoinSet::new();
        set.extend(iter);
        set
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    // These drive a whole runtime, whose crossbeam-epoch is not compatible with miri's Stacked
    // Borrows model (crossbeam-rs/crossbeam#996); the task module's own tests run under miri.
    #[cfg_attr(miri, ignore)]
    fn readiness_queue_stays_small_and_slots_are_reused() {
        let rt = crate::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let mut set = JoinSet::new();
            for round in 0..50u32 {
                for i in 0..4u32 {
                    set.spawn(async move { round * 4 + i });
                }
                for _ in 0..4 {
                    set.join_next().await.unwrap().unwrap();
                }
            }
            assert!(set.slots.len() <= 4, "slots grew to {}", set.slots.len());
            assert!(set.shared.inner.lock().ready.is_empty());
        });
    }

    /// Joining n tasks that finish one by one polls members O(n) times in all, not O(n²): only
    /// the member whose task completed is looked at.
    #[test]
    // These drive a whole runtime, whose crossbeam-epoch is not compatible with miri's Stacked
    // Borrows model (crossbeam-rs/crossbeam#996); the task module's own tests run under miri.
    #[cfg_attr(miri, ignore)]
    fn join_next_polls_only_ready_members() {
        use crate::sync::CancellationToken;
        let rt = crate::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            const N: usize = 2_000;
            let gates: Vec<_> = (0..N).map(|_| CancellationToken::new()).collect();
            let mut set = JoinSet::new();
            for (i, gate) in gates.iter().enumerate() {
                let gate = gate.clone();
                set.spawn(async move {
                    gate.cancelled().await;
                    i
                });
            }
            for (i, gate) in gates.iter().enumerate() {
                gate.cancel();
                assert_eq!(set.join_next().await.unwrap().unwrap(), i);
            }
            // Each member: one first poll that registers its waker, one after it completes
            // (plus a few for spurious interleavings).
            assert!(set.polls <= 3 * N, "{} polls for {N} tasks", set.polls);
        });
    }
}
