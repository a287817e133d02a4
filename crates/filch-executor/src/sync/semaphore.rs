//! A counting semaphore with FIFO hand-over of permits.
//!
//! The design follows tokio's batch semaphore in its semantics (the ideas, not the code): waiters
//! queue in arrival order, and released permits are assigned to the head of the queue, even
//! partially, before any later waiter may have one. A large `acquire_many` at the head therefore
//! holds back later small requests, so nobody starves. The state is a short critical section
//! under a `parking_lot` mutex; wakers are woken after the lock is released.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::coop;
use std::sync::Arc;

use crate::loom::sync::Mutex;

/// A counting semaphore: a pool of permits that tasks wait for, in the order they asked.
///
/// Permits are handed out fairly: a task that waits in [`acquire`](Semaphore::acquire) or
/// [`acquire_many`](Semaphore::acquire_many) is served before any task that asked later, and
/// permits released while the head of the queue still needs more go to it (a large request at
/// the head makes later small requests wait). The `try_` methods never wait and never jump the
/// queue: when tasks are waiting, no permit is free.
///
/// An acquire that completes at once spends one unit of the task's [`coop`] budget.
///
/// ```
/// use std::sync::Arc;
/// use filch::sync::Semaphore;
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let limit = Arc::new(Semaphore::new(2));
///     let mut handles = Vec::new();
///     for i in 0..5 {
///         let permit = limit.clone().acquire_owned().await.unwrap();
///         handles.push(filch::spawn(async move {
///             let _permit = permit; // at most two of these bodies run at once
///             i * 2
///         }));
///     }
///     for h in handles {
///         h.await.unwrap();
///     }
///     assert_eq!(limit.available_permits(), 2);
/// });
/// ```
pub struct Semaphore {
    state: Mutex<State>,
}

struct State {
    /// Free permits. Never non-zero while a waiter in `queue` still needs permits.
    permits: usize,
    closed: bool,
    next_id: u64,
    /// Waiters that still need permits, in arrival order (ids grow).
    queue: BTreeMap<u64, Waiter>,
    /// Waiters that were given all their permits but have not yet been polled to completion.
    granted: BTreeSet<u64>,
}

struct Waiter {
    needed: usize,
    assigned: usize,
    waker: Option<Waker>,
}

/// Wakers collected under the lock and woken after it is released.
struct WakeList {
    wakers: [Option<Waker>; 16],
    len: usize,
}

impl WakeList {
    fn new() -> WakeList {
        WakeList {
            wakers: Default::default(),
            len: 0,
        }
    }

    fn is_full(&self) -> bool {
        self.len == self.wakers.len()
    }

    fn push(&mut self, waker: Waker) {
        self.wakers[self.len] = Some(waker);
        self.len += 1;
    }

    fn wake_all(&mut self) {
        for w in &mut self.wakers[..self.len] {
            if let Some(w) = w.take() {
                w.wake();
            }
        }
        self.len = 0;
    }
}

impl State {
    /// Hands free permits to the head of the queue, in order. Returns `true` if it stopped
    /// because `wakers` is full (call again after waking them).
    fn assign(&mut self, wakers: &mut WakeList) -> bool {
        while self.permits > 0 {
            if wakers.is_full() {
                return true;
            }
            let Some(mut entry) = self.queue.first_entry() else {
                return false;
            };
            let waiter = entry.get_mut();
            let take = self.permits.min(waiter.needed - waiter.assigned);
            waiter.assigned += take;
            self.permits -= take;
            if waiter.assigned == waiter.needed {
                let (id, waiter) = entry.remove_entry();
                self.granted.insert(id);
                if let Some(w) = waiter.waker {
                    wakers.push(w);
                }
            }
        }
        false
    }
}

impl Semaphore {
    /// The largest number of permits a semaphore can hold (`usize::MAX >> 3`, as in tokio).
    ///
    /// ```
    /// use filch::sync::Semaphore;
    /// assert_eq!(Semaphore::MAX_PERMITS, usize::MAX >> 3);
    /// ```
    pub const MAX_PERMITS: usize = usize::MAX >> 3;

    /// Creates a semaphore with `permits` free permits.
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// use filch::sync::Semaphore;
    /// let sem = Semaphore::new(3);
    /// assert_eq!(sem.available_permits(), 3);
    /// ```
    pub fn new(permits: usize) -> Semaphore {
        assert!(
            permits <= Self::MAX_PERMITS,
            "Semaphore::new: {permits} permits is more than Semaphore::MAX_PERMITS ({})",
            Self::MAX_PERMITS
        );
        Semaphore {
            state: Mutex::new(State {
                permits,
                closed: false,
                next_id: 0,
                queue: BTreeMap::new(),
                granted: BTreeSet::new(),
            }),
        }
    }

    /// Creates a semaphore with `permits` free permits in a `const` context (for a `static`).
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`] (at compile time in a `static`).
    ///
    /// ```
    /// use filch::sync::Semaphore;
    /// static LIMIT: Semaphore = Semaphore::const_new(10);
    /// assert_eq!(LIMIT.available_permits(), 10);
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(permits: usize) -> Semaphore {
        assert!(
            permits <= Self::MAX_PERMITS,
            "Semaphore::const_new: more permits than Semaphore::MAX_PERMITS"
        );
        Semaphore {
            state: Mutex::new(State {
                permits,
                closed: false,
                next_id: 0,
                queue: BTreeMap::new(),
                granted: BTreeSet::new(),
            }),
        }
    }

    /// The number of permits free right now (zero while tasks are waiting).
    ///
    /// ```
    /// use filch::sync::Semaphore;
    /// let sem = Semaphore::new(2);
    /// let _p = sem.try_acquire().unwrap();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.state.lock().permits
    }

    /// Adds `n` permits, handing them to waiting tasks first, in queue order.
    ///
    /// # Panics
    ///
    /// If the free permits would exceed [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// use filch::sync::Semaphore;
    /// let sem = Semaphore::new(0);
    /// sem.add_permits(2);
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    pub fn add_permits(&self, n: usize) {
        self.release(n, true);
    }

    /// Removes up to `n` free permits for good and returns how many were removed.
    ///
    /// ```
    /// use filch::sync::Semaphore;
    /// let sem = Semaphore::new(3);
    /// assert_eq!(sem.forget_permits(5), 3);
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    pub fn forget_permits(&self, n: usize) -> usize {
        let mut st = self.state.lock();
        let removed = st.permits.min(n);
        st.permits -= removed;
        removed
    }

    /// Closes the semaphore: every waiting acquire and every later one fails with
    /// [`AcquireError`] (the `try_` methods with [`TryAcquireError::Closed`]). Permits already
    /// held stay valid and are returned as usual when dropped.
    ///
    /// ```
    /// use filch::sync::{Semaphore, TryAcquireError};
    /// let sem = Semaphore::new(1);
    /// sem.close();
    /// assert!(sem.is_closed());
    /// assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
    /// ```
    pub fn close(&self) {
        let mut wakers = WakeList::new();
        let mut st = self.state.lock();
        st.closed = true;
        loop {
            while !wakers.is_full() {
                let Some((_, waiter)) = st.queue.pop_first() else {
                    break;
                };
                // Permits given to a waiter that will now fail are free again.
                st.permits += waiter.assigned;
                if let Some(w) = waiter.waker {
                    wakers.push(w);
                }
            }
            let more = !st.queue.is_empty();
            drop(st);
            wakers.wake_all();
            if !more {
                return;
            }
            st = self.state.lock();
        }
    }

    /// Whether [`close`](Semaphore::close) was called.
    ///
    /// ```
    /// use filch::sync::Semaphore;
    /// let sem = Semaphore::new(1);
    /// assert!(!sem.is_closed());
    /// sem.close();
    /// assert!(sem.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.state.lock().closed
    }

    /// Waits for one permit.
    ///
    /// Cancel safety: waiters are served in the order they asked; dropping the future gives up
    /// its place in the queue, and any permits already set aside for it go to the next waiter.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed.
    ///
    /// ```
    /// use filch::sync::Semaphore;
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let sem = Semaphore::new(1);
    ///     let permit = sem.acquire().await.unwrap();
    ///     assert_eq!(permit.num_permits(), 1);
    ///     assert_eq!(sem.available_permits(), 0);
    /// });
    /// ```
    pub async fn acquire(&self) -> Result<SemaphorePermit<'_>, AcquireError> {
        self.acquire_many(1).await
    }

    /// Waits for `n` permits at once. Permits are set aside for this request as they come free,
    /// and later requests wait behind it.
    ///
    /// Cancel safety: as [`acquire`](Semaphore::acquire); permits set aside for a dropped
    /// request are handed on, none are lost.
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed.
    ///
    /// ```
    /// use filch::sync::Semaphore;
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let sem = Semaphore::new(5);
    ///     let permit = sem.acquire_many(3).await.unwrap();
    ///     assert_eq!(permit.num_permits(), 3);
    ///     assert_eq!(sem.available_permits(), 2);
    /// });
    /// ```
    pub async fn acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, AcquireError> {
        Acquire::new(self, n as usize).await?;
        Ok(SemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// Takes one permit if one is free, without waiting.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::NoPermits`] if none is free (or tasks are queued),
    /// [`TryAcquireError::Closed`] if the semaphore is closed.
    ///
    /// ```
    /// use filch::sync::{Semaphore, TryAcquireError};
    /// let sem = Semaphore::new(1);
    /// let p = sem.try_acquire().unwrap();
    /// assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    /// drop(p);
    /// assert!(sem.try_acquire().is_ok());
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if that many are free, without waiting.
    ///
    /// # Errors
    ///
    /// As [`try_acquire`](Semaphore::try_acquire).
    ///
    /// ```
    /// use filch::sync::Semaphore;
    /// let sem = Semaphore::new(4);
    /// let p = sem.try_acquire_many(3).unwrap();
    /// assert_eq!(p.num_permits(), 3);
    /// assert!(sem.try_acquire_many(2).is_err());
    /// ```
    pub fn try_acquire_many(&self, n: u32) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_take(n as usize)?;
        Ok(SemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// Waits for one permit that owns a reference to the semaphore, so it can move into a
    /// spawned task. Cancel safety as [`acquire`](Semaphore::acquire).
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::Semaphore;
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let sem = Arc::new(Semaphore::new(1));
    ///     let permit = sem.clone().acquire_owned().await.unwrap();
    ///     filch::spawn(async move { drop(permit) }).await.unwrap();
    ///     assert_eq!(sem.available_permits(), 1);
    /// });
    /// ```
    pub async fn acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, AcquireError> {
        self.acquire_many_owned(1).await
    }

    /// Waits for `n` permits that own a reference to the semaphore. Cancel safety as
    /// [`acquire_many`](Semaphore::acquire_many).
    ///
    /// # Errors
    ///
    /// [`AcquireError`] if the semaphore is closed.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::Semaphore;
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let sem = Arc::new(Semaphore::new(3));
    ///     let permit = sem.clone().acquire_many_owned(2).await.unwrap();
    ///     assert_eq!(permit.num_permits(), 2);
    ///     assert_eq!(sem.available_permits(), 1);
    /// });
    /// ```
    pub async fn acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, AcquireError> {
        Acquire::new(&self, n as usize).await?;
        Ok(OwnedSemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    /// Takes one free permit that owns a reference to the semaphore, without waiting.
    ///
    /// # Errors
    ///
    /// As [`try_acquire`](Semaphore::try_acquire).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::Semaphore;
    /// let sem = Arc::new(Semaphore::new(1));
    /// let p = sem.clone().try_acquire_owned().unwrap();
    /// assert!(sem.clone().try_acquire_owned().is_err());
    /// drop(p);
    /// ```
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// Takes `n` free permits that own a reference to the semaphore, without waiting.
    ///
    /// # Errors
    ///
    /// As [`try_acquire`](Semaphore::try_acquire).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::Semaphore;
    /// let sem = Arc::new(Semaphore::new(3));
    /// let p = sem.clone().try_acquire_many_owned(3).unwrap();
    /// assert_eq!(p.num_permits(), 3);
    /// ```
    pub fn try_acquire_many_owned(
        self: Arc<Self>,
        n: u32,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_take(n as usize)?;
        Ok(OwnedSemaphorePermit {
            sem: self,
            permits: n,
        })
    }

    fn try_take(&self, n: usize) -> Result<(), TryAcquireError> {
        let mut st = self.state.lock();
        if st.closed {
            return Err(TryAcquireError::Closed);
        }
        if st.permits >= n {
            st.permits -= n;
            Ok(())
        } else {
            Err(TryAcquireError::NoPermits)
        }
    }

    /// Returns `n` permits and hands them to the queue.
    pub(crate) fn release(&self, n: usize, check_max: bool) {
        if n == 0 {
            return;
        }
        let mut wakers = WakeList::new();
        let mut st = self.state.lock();
        if check_max {
            assert!(
                st.permits.saturating_add(n) <= Self::MAX_PERMITS,
                "Semaphore::add_permits: adding {n} permits would exceed Semaphore::MAX_PERMITS ({})",
                Self::MAX_PERMITS
            );
        }
        st.permits += n;
        loop {
            let more = st.assign(&mut wakers);
            drop(st);
            wakers.wake_all();
            if !more {
                return;
            }
            st = self.state.lock();
        }
    }
}

impl Default for Semaphore {
    /// A semaphore with no permits.
    fn default() -> Semaphore {
        Semaphore::new(0)
    }
}

impl fmt::Debug for Semaphore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.lock();
        f.debug_struct("Semaphore")
            .field("permits", &st.permits)
            .field("waiters", &st.queue.len())
            .field("closed", &st.closed)
            .finish()
    }
}

// A semaphore has no state that a panic could leave half-updated for a user to observe (the
// critical sections do not call user code), so it is unwind safe, like tokio's.
impl std::panic::UnwindSafe for Semaphore {}
impl std::panic::RefUnwindSafe for Semaphore {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AcquireState {
    Idle,
    Queued(u64),
    Done,
}

/// The future behind every waiting acquire: resolves once `n` permits were set aside for it
/// (they then belong to the caller, who wraps them in a permit guard).
pub(crate) struct Acquire<'a> {
    sem: &'a Semaphore,
    n: usize,
    state: AcquireState,
}

impl<'a> Acquire<'a> {
    pub(crate) fn new(sem: &'a Semaphore, n: usize) -> Acquire<'a> {
        Acquire {
            sem,
            n,
            state: AcquireState::Idle,
        }
    }
}

impl Future for Acquire<'_> {
    type Output = Result<(), AcquireError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let budget = match coop::poll_proceed(cx) {
            Poll::Ready(b) => b,
            Poll::Pending => return Poll::Pending,
        };
        let mut st = this.sem.state.lock();
        match this.state {
            AcquireState::Idle => {
                if st.closed {
                    this.state = AcquireState::Done;
                    return Poll::Ready(Err(AcquireError(())));
                }
                if st.permits >= this.n {
                    // Free permits mean nobody is queued (they would have been handed over).
                    st.permits -= this.n;
                    this.state = AcquireState::Done;
                    drop(st);
                    budget.made_progress();
                    return Poll::Ready(Ok(()));
                }
                // Take what is free now and queue for the rest.
                let take = st.permits;
                st.permits = 0;
                let id = st.next_id;
                st.next_id += 1;
                st.queue.insert(
                    id,
                    Waiter {
                        needed: this.n,
                        assigned: take,
                        waker: Some(cx.waker().clone()),
                    },
                );
                this.state = AcquireState::Queued(id);
                Poll::Pending
            }
            AcquireState::Queued(id) => {
                if st.granted.remove(&id) {
                    this.state = AcquireState::Done;
                    drop(st);
                    budget.made_progress();
                    return Poll::Ready(Ok(()));
                }
                match st.queue.get_mut(&id) {
                    Some(waiter) => {
                        match &mut waiter.waker {
                            Some(w) if w.will_wake(cx.waker()) => {}
                            slot => *slot = Some(cx.waker().clone()),
                        }
                        Poll::Pending
                    }
                    None => {
                        // `close` took us off the queue.
                        this.state = AcquireState::Done;
                        Poll::Ready(Err(AcquireError(())))
                    }
                }
            }
            AcquireState::Done => panic!("semaphore Acquire future polled after completion"),
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        let AcquireState::Queued(id) = self.state else {
            return;
        };
        let mut st = self.sem.state.lock();
        // Permits set aside for this request go back to the pool and on to the next waiter.
        let give_back = if st.granted.remove(&id) {
            self.n
        } else if let Some(waiter) = st.queue.remove(&id) {
            waiter.assigned
        } else {
            0
        };
        drop(st);
        self.sem.release(give_back, false);
    }
}

/// Permits borrowed from a [`Semaphore`]; they go back to it when this is dropped, unless
/// [`forget`](SemaphorePermit::forget) is called.
///
/// ```
/// use filch::sync::Semaphore;
/// let sem = Semaphore::new(1);
/// {
///     let _permit = sem.try_acquire().unwrap();
///     assert_eq!(sem.available_permits(), 0);
/// }
/// assert_eq!(sem.available_permits(), 1);
/// ```
#[must_use = "the permit is returned at once if it is not held"]
pub struct SemaphorePermit<'a> {
    sem: &'a Semaphore,
    permits: u32,
}

impl<'a> SemaphorePermit<'a> {
    /// Drops the permits without returning them: the semaphore has that many fewer for good.
    ///
    /// ```
    /// use filch::sync::Semaphore;
    /// let sem = Semaphore::new(2);
    /// sem.try_acquire().unwrap().forget();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// The number of permits held.
    ///
    /// ```
    /// use filch::sync::Semaphore;
    /// let sem = Semaphore::new(3);
    /// assert_eq!(sem.try_acquire_many(2).unwrap().num_permits(), 2);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }

    /// Moves the permits of `other` into `self`.
    ///
    /// # Panics
    ///
    /// If the two permits come from different semaphores.
    ///
    /// ```
    /// use filch::sync::Semaphore;
    /// let sem = Semaphore::new(3);
    /// let mut a = sem.try_acquire().unwrap();
    /// a.merge(sem.try_acquire_many(2).unwrap());
    /// assert_eq!(a.num_permits(), 3);
    /// ```
    pub fn merge(&mut self, mut other: SemaphorePermit<'a>) {
        assert!(
            std::ptr::eq(self.sem, other.sem),
            "SemaphorePermit::merge: the permits come from different semaphores"
        );
        self.permits += other.permits;
        other.permits = 0;
    }

    /// Splits `n` permits off into a new permit; `None` if fewer than `n` are held.
    ///
    /// ```
    /// use filch::sync::Semaphore;
    /// let sem = Semaphore::new(3);
    /// let mut a = sem.try_acquire_many(3).unwrap();
    /// let b = a.split(1).unwrap();
    /// assert_eq!((a.num_permits(), b.num_permits()), (2, 1));
    /// assert!(a.split(5).is_none());
    /// ```
    pub fn split(&mut self, n: usize) -> Option<SemaphorePermit<'a>> {
        let n = u32::try_from(n).ok().filter(|&n| n <= self.permits)?;
        self.permits -= n;
        Some(SemaphorePermit {
            sem: self.sem,
            permits: n,
        })
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.sem.release(self.permits as usize, false);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.permits)
            .finish_non_exhaustive()
    }
}

/// Permits from a [`Semaphore`] held through an `Arc`, so they can outlive the borrow (and move
/// into spawned tasks). They go back when this is dropped.
///
/// ```
/// use std::sync::Arc;
/// use filch::sync::Semaphore;
/// let sem = Arc::new(Semaphore::new(1));
/// let permit = sem.clone().try_acquire_owned().unwrap();
/// assert!(Arc::ptr_eq(permit.semaphore(), &sem));
/// drop(permit);
/// assert_eq!(sem.available_permits(), 1);
/// ```
#[must_use = "the permit is returned at once if it is not held"]
pub struct OwnedSemaphorePermit {
    sem: Arc<Semaphore>,
    permits: u32,
}

impl OwnedSemaphorePermit {
    /// Drops the permits without returning them.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::Semaphore;
    /// let sem = Arc::new(Semaphore::new(1));
    /// sem.clone().try_acquire_owned().unwrap().forget();
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    pub fn forget(mut self) {
        self.permits = 0;
    }

    /// The number of permits held.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::Semaphore;
    /// let sem = Arc::new(Semaphore::new(2));
    /// assert_eq!(sem.try_acquire_many_owned(2).unwrap().num_permits(), 2);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.permits as usize
    }

    /// The semaphore the permits belong to.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::Semaphore;
    /// let sem = Arc::new(Semaphore::new(1));
    /// let p = sem.clone().try_acquire_owned().unwrap();
    /// assert_eq!(p.semaphore().available_permits(), 0);
    /// ```
    pub fn semaphore(&self) -> &Arc<Semaphore> {
        &self.sem
    }

    /// Moves the permits of `other` into `self`.
    ///
    /// # Panics
    ///
    /// If the two permits come from different semaphores.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::Semaphore;
    /// let sem = Arc::new(Semaphore::new(2));
    /// let mut a = sem.clone().try_acquire_owned().unwrap();
    /// a.merge(sem.clone().try_acquire_owned().unwrap());
    /// assert_eq!(a.num_permits(), 2);
    /// ```
    pub fn merge(&mut self, mut other: OwnedSemaphorePermit) {
        assert!(
            Arc::ptr_eq(&self.sem, &other.sem),
            "OwnedSemaphorePermit::merge: the permits come from different semaphores"
        );
        self.permits += other.permits;
        other.permits = 0;
    }

    /// Splits `n` permits off into a new permit; `None` if fewer than `n` are held.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::Semaphore;
    /// let sem = Arc::new(Semaphore::new(2));
    /// let mut a = sem.clone().try_acquire_many_owned(2).unwrap();
    /// let b = a.split(1).unwrap();
    /// assert_eq!((a.num_permits(), b.num_permits()), (1, 1));
    /// ```
    pub fn split(&mut self, n: usize) -> Option<OwnedSemaphorePermit> {
        let n = u32::try_from(n).ok().filter(|&n| n <= self.permits)?;
        self.permits -= n;
        Some(OwnedSemaphorePermit {
            sem: self.sem.clone(),
            permits: n,
        })
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.sem.release(self.permits as usize, false);
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.permits)
            .finish_non_exhaustive()
    }
}

/// The error of a waiting acquire: the semaphore was closed.
///
/// ```
/// use filch::sync::Semaphore;
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let sem = Semaphore::new(0);
///     sem.close();
///     assert!(sem.acquire().await.is_err());
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcquireError(());

impl fmt::Display for AcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the semaphore was closed, so no permit can be acquired")
    }
}

impl std::error::Error for AcquireError {}

/// The error of a `try_acquire*` call.
///
/// ```
/// use filch::sync::{Semaphore, TryAcquireError};
/// let sem = Semaphore::new(0);
/// assert!(sem.try_acquire().unwrap_err().is_no_permits());
/// sem.close();
/// assert!(sem.try_acquire().unwrap_err().is_closed());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TryAcquireError {
    /// The semaphore was closed.
    Closed,
    /// Not enough permits are free.
    NoPermits,
}

impl TryAcquireError {
    /// Whether the semaphore was closed.
    pub fn is_closed(&self) -> bool {
        matches!(self, TryAcquireError::Closed)
    }

    /// Whether there were too few free permits.
    pub fn is_no_permits(&self) -> bool {
        matches!(self, TryAcquireError::NoPermits)
    }
}

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryAcquireError::Closed => f.write_str("the semaphore was closed"),
            TryAcquireError::NoPermits => {
                f.write_str("not enough permits are free in the semaphore right now")
            }
        }
    }
}

impl std::error::Error for TryAcquireError {}

/// loom models of the permit hand-over: release, a pending acquire being dropped after permits
/// were set aside for it, and close, racing each other. Run with
/// `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 cargo test -p filch-executor --release --lib loom`.
#[cfg(all(test, loom))]
mod loom_tests {
    use std::future::Future;
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::{Context, Waker};

    use loom::thread;

    use super::{Acquire, Semaphore};

    /// Polls `fut` on this loom thread, parking until its waker unparks the thread.
    fn block_on<F: Future>(fut: F) -> F::Output {
        struct Unpark(thread::Thread);
        impl std::task::Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(Unpark(thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut fut = pin!(fut);
        loop {
            if let std::task::Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                return v;
            }
            thread::park();
        }
    }

    /// A waiter that gives up after its first poll must hand any permit set aside for it to the
    /// waiter behind it; otherwise that one never wakes (loom reports the deadlock) or a permit
    /// is lost (the final count is wrong).
    #[test]
    fn loom_semaphore_dropped_acquire_hands_permits_on() {
        loom::model(|| {
            let sem = Arc::new(Semaphore::new(1));
            assert!(sem.try_take(1).is_ok());

            let s1 = sem.clone();
            let quitter = thread::spawn(move || {
                let mut fut = pin!(Acquire::new(&s1, 2));
                let mut cx = Context::from_waker(Waker::noop());
                // Two permits never exist at once: this can only queue (maybe partly served).
                assert!(fut.as_mut().poll(&mut cx).is_pending());
            });
            let s2 = sem.clone();
            let waiter = thread::spawn(move || {
                block_on(Acquire::new(&s2, 1)).unwrap();
                s2.release(1, false);
            });

            sem.release(1, false);
            quitter.join().unwrap();
            waiter.join().unwrap();
            assert_eq!(sem.available_permits(), 1);
        });
    }

    /// `close` racing a release and a waiting acquire: the waiter ends (with a permit or with an
    /// error) and the released permit is free at the end either way.
    #[test]
    fn loom_semaphore_close_races_release() {
        loom::model(|| {
            let sem = Arc::new(Semaphore::new(0));
            let s1 = sem.clone();
            let waiter = thread::spawn(move || {
                if block_on(Acquire::new(&s1, 1)).is_ok() {
                    s1.release(1, false);
                }
            });
            let s2 = sem.clone();
            let closer = thread::spawn(move || s2.close());
            sem.release(1, false);
            waiter.join().unwrap();
            closer.join().unwrap();
            assert!(sem.is_closed());
            assert_eq!(sem.available_permits(), 1);
        });
    }
}
