//! Task notification: wake one waiting task, or all of them.
//!
//! The semantics are tokio's `Notify` (the code is ours): `notify_one` with nobody waiting stores
//! one permit for the next waiter; `notify_waiters` wakes every `Notified` created before the call
//! and stores nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::coop;
use crate::loom::sync::Mutex;

/// Wakes tasks waiting in [`Notify::notified`].
///
/// `notify_one` wakes the task that has waited longest, or, if none waits, stores a single permit
/// that the next `notified().await` consumes at once (several calls store still one permit).
/// `notify_waiters` wakes every [`Notified`] future created before the call, whether or not it
/// was polled yet, and stores no permit.
///
/// ```
/// use std::sync::Arc;
/// use filch::sync::Notify;
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let notify = Arc::new(Notify::new());
///     let n2 = notify.clone();
///     let waiter = filch::spawn(async move {
///         n2.notified().await;
///         "woken"
///     });
///     notify.notify_one(); // stored as a permit if the task has not started waiting yet
///     assert_eq!(waiter.await.unwrap(), "woken");
/// });
/// ```
pub struct Notify {
    state: Mutex<State>,
}

struct State {
    permit: bool,
    /// Calls to `notify_waiters` so far.
    generation: u64,
    next_id: u64,
    /// Enabled waiters not yet notified, oldest first.
    queue: BTreeMap<u64, Option<Waker>>,
    /// Waiters notified by `notify_one`/`notify_last` that have not completed yet.
    handed: BTreeSet<u64>,
}

#[derive(Clone, Copy)]
enum Which {
    First,
    Last,
}

impl State {
    /// Notifies one waiter (or stores the permit); returns the waker to wake.
    fn notify(&mut self, which: Which) -> Option<Waker> {
        let entry = match which {
            Which::First => self.queue.pop_first(),
            Which::Last => self.queue.pop_last(),
        };
        match entry {
            Some((id, waker)) => {
                self.handed.insert(id);
                waker
            }
            None => {
                self.permit = true;
                None
            }
        }
    }
}

// Locking has no user code inside, so a panic cannot leave the state inconsistent.
impl std::panic::UnwindSafe for Notify {}
impl std::panic::RefUnwindSafe for Notify {}

impl Notify {
    /// Creates a `Notify` with no permit stored.
    ///
    /// ```
    /// use filch::sync::Notify;
    /// let notify = Notify::new();
    /// # drop(notify);
    /// ```
    pub fn new() -> Notify {
        Notify {
            state: Mutex::new(State {
                permit: false,
                generation: 0,
                next_id: 0,
                queue: BTreeMap::new(),
                handed: BTreeSet::new(),
            }),
        }
    }

    /// Creates a `Notify` in a `const` context (for a `static`).
    ///
    /// ```
    /// use filch::sync::Notify;
    /// static SHUTDOWN: Notify = Notify::const_new();
    /// SHUTDOWN.notify_one();
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new() -> Notify {
        Notify {
            state: Mutex::new(State {
                permit: false,
                generation: 0,
                next_id: 0,
                queue: BTreeMap::new(),
                handed: BTreeSet::new(),
            }),
        }
    }

    /// A future that completes when this `Notify` is notified.
    ///
    /// It counts for `notify_waiters` from its creation; for `notify_one` from its first poll or
    /// [`Notified::enable`]. Cancel safety: dropping a future that `notify_one` had already chosen
    /// hands the notification on to the next waiter (or stores it as the permit), so no
    /// notification is lost. The future is fused: once complete, it stays ready.
    ///
    /// ```
    /// use filch::sync::Notify;
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let notify = Notify::new();
    ///     notify.notify_one();
    ///     notify.notified().await; // consumes the stored permit
    /// });
    /// ```
    pub fn notified(&self) -> Notified<'_> {
        let generation = self.state.lock().generation;
        Notified {
            notify: self,
            generation,
            state: NotifiedState::Init,
        }
    }

    /// Wakes the task that has waited longest, or stores one permit if none is waiting.
    ///
    /// ```
    /// use filch::sync::Notify;
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let notify = Notify::new();
    ///     notify.notify_one();
    ///     notify.notify_one(); // still one permit
    ///     notify.notified().await;
    /// });
    /// ```
    pub fn notify_one(&self) {
        let waker = self.state.lock().notify(Which::First);
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Like [`notify_one`](Notify::notify_one), but wakes the task that started waiting last.
    ///
    /// ```
    /// use filch::sync::Notify;
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let notify = Notify::new();
    ///     notify.notify_last();
    ///     notify.notified().await;
    /// });
    /// ```
    pub fn notify_last(&self) {
        let waker = self.state.lock().notify(Which::Last);
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Wakes every [`Notified`] future created before this call; stores no permit.
    ///
    /// ```
    /// use filch::sync::Notify;
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let notify = Notify::new();
    ///     let a = notify.notified();
    ///     let b = notify.notified();
    ///     notify.notify_waiters();
    ///     a.await;
    ///     b.await;
    /// });
    /// ```
    pub fn notify_waiters(&self) {
        let waiters = {
            let mut st = self.state.lock();
            st.generation += 1;
            std::mem::take(&mut st.queue)
        };
        for w in waiters.into_values().flatten() {
            w.wake();
        }
    }
}

impl Default for Notify {
    fn default() -> Notify {
        Notify::new()
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.lock();
        f.debug_struct("Notify")
            .field("permit", &st.permit)
            .field("waiters", &st.queue.len())
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NotifiedState {
    Init,
    Waiting(u64),
    Done,
}

/// The future of [`Notify::notified`].
///
/// ```
/// use std::pin::pin;
/// use filch::sync::Notify;
/// let notify = Notify::new();
/// let mut fut = pin!(notify.notified());
/// assert!(!fut.as_mut().enable()); // now first in line for notify_one
/// notify.notify_one();
/// assert!(fut.as_mut().enable());
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Notified<'a> {
    notify: &'a Notify,
    generation: u64,
    state: NotifiedState,
}

impl Notified<'_> {
    /// Registers this future for `notify_one` without polling it (no waker is stored), so a
    /// notification sent before the first poll is not lost to another waiter. Returns whether the
    /// future is ready: `notify_waiters` was called since its creation, it consumed the stored
    /// permit, or it was chosen by `notify_one` since being enabled.
    pub fn enable(self: Pin<&mut Self>) -> bool {
        self.get_mut().poll_inner(None)
    }

    fn poll_inner(&mut self, waker: Option<&Waker>) -> bool {
        let mut st = self.notify.state.lock();
        match self.state {
            NotifiedState::Done => true,
            NotifiedState::Init => {
                if st.generation != self.generation || std::mem::take(&mut st.permit) {
                    self.state = NotifiedState::Done;
                    return true;
                }
                let id = st.next_id;
                st.next_id += 1;
                st.queue.insert(id, waker.cloned());
                self.state = NotifiedState::Waiting(id);
                false
            }
            NotifiedState::Waiting(id) => {
                if st.handed.remove(&id) {
                    self.state = NotifiedState::Done;
                    return true;
                }
                if st.generation != self.generation {
                    st.queue.remove(&id);
                    self.state = NotifiedState::Done;
                    return true;
                }
                if let (Some(waker), Some(slot)) = (waker, st.queue.get_mut(&id)) {
                    match slot {
                        Some(w) if w.will_wake(waker) => {}
                        _ => *slot = Some(waker.clone()),
                    }
                }
                false
            }
        }
    }
}

impl Future for Notified<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.state == NotifiedState::Done {
            return Poll::Ready(());
        }
        let budget = match coop::poll_proceed(cx) {
            Poll::Ready(b) => b,
            Poll::Pending => return Poll::Pending,
        };
        if this.poll_inner(Some(cx.waker())) {
            budget.made_progress();
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Notified<'_> {
    fn drop(&mut self) {
        let NotifiedState::Waiting(id) = self.state else {
            return;
        };
        let waker = {
            let mut st = self.notify.state.lock();
            if st.handed.remove(&id) {
                // Chosen by notify_one but never completed: pass the notification on.
                st.notify(Which::First)
            } else {
                st.queue.remove(&id);
                None
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl fmt::Debug for Notified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}
