//! A single-value channel where receivers see the latest value: [`channel`], [`Sender`],
//! [`Receiver`], [`Ref`].
//!
//! A sender (clone it for more) replaces (or modifies) the value; each receiver can
//! [`borrow`](Receiver::borrow) the current value at any time and wait for the next change with
//! [`changed`](Receiver::changed). Intermediate values a receiver did not look at are simply
//! skipped. The API follows `tokio::sync::watch`.
//!
//! ```
//! let rt = filch::runtime::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let (tx, mut rx) = filch::sync::watch::channel("starting");
//!     filch::spawn(async move { tx.send("ready").unwrap() });
//!     rx.changed().await.unwrap();
//!     assert_eq!(*rx.borrow_and_update(), "ready");
//! });
//! ```

use std::fmt;
use std::ops::Deref;
use std::task::{Context, Poll, Waker};

use parking_lot::{RwLock, RwLockReadGuard};

use crate::loom::sync::{Arc, Mutex};

/// The errors of the watch channel.
pub mod error {
    use std::fmt;

    /// No receiver exists; the value comes back.
    ///
    /// ```
    /// let (tx, rx) = filch::sync::watch::channel(0);
    /// drop(rx);
    /// assert_eq!(tx.send(1).unwrap_err().0, 1);
    /// ```
    #[derive(PartialEq, Eq, Clone, Copy)]
    pub struct SendError<T>(pub T);

    impl<T> fmt::Debug for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SendError").finish_non_exhaustive()
        }
    }

    impl<T> fmt::Display for SendError<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("watch channel has no receivers")
        }
    }

    impl<T> std::error::Error for SendError<T> {}

    /// The sender is gone.
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (tx, mut rx) = filch::sync::watch::channel(0);
    ///     drop(tx);
    ///     let err = rx.changed().await.unwrap_err();
    ///     assert_eq!(err.to_string(), "watch sender dropped");
    /// });
    /// ```
    #[derive(Debug, PartialEq, Eq, Clone)]
    pub struct RecvError(pub(super) ());

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("watch sender dropped")
        }
    }

    impl std::error::Error for RecvError {}
}

use error::{RecvError, SendError};

/// `seen` value that never equals a version: the receiver is marked changed.
const MARKED_CHANGED: u64 = u64::MAX;

struct Shared<T> {
    /// Lock order: `value` before `meta`. A writer bumps the version while it still holds the
    /// write lock, so a reader that holds the read lock sees a version that matches the value.
    value: RwLock<T>,
    meta: Mutex<Meta>,
}

// No user code runs while `meta` is locked; a panic in a `send_modify` closure leaves the value
// as the closure left it, which is what tokio documents too.
impl<T> std::panic::UnwindSafe for Shared<T> {}
impl<T> std::panic::RefUnwindSafe for Shared<T> {}

struct Meta {
    version: u64,
    /// Live [`Sender`]s; receivers see the channel closed when it reaches 0.
    tx_count: usize,
    rx_count: usize,
    /// Receivers waiting in `changed`.
    rx_waiters: Vec<(u64, Waker)>,
    /// Senders waiting in `closed`.
    tx_waiters: Vec<(u64, Waker)>,
    next_id: u64,
}

/// Creates a watch channel holding `init`.
///
/// ```
/// let (tx, rx) = filch::sync::watch::channel(1);
/// assert_eq!(*rx.borrow(), 1);
/// tx.send(2).unwrap();
/// assert_eq!(*rx.borrow(), 2);
/// ```
pub fn channel<T>(init: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        value: RwLock::new(init),
        meta: Mutex::new(Meta {
            version: 0,
            tx_count: 1,
            rx_count: 1,
            rx_waiters: Vec::new(),
            tx_waiters: Vec::new(),
            next_id: 0,
        }),
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, seen: 0 },
    )
}

/// The sending half; clone it for more senders (as in tokio since 1.37). Dropping the last one
/// makes waiting receivers fail with [`RecvError`].
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// A receiving half; clone it for more receivers (a clone has seen what this one has seen).
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// The version this receiver has seen ([`MARKED_CHANGED`]: marked changed).
    seen: u64,
}

/// A read borrow of the value. Holding it blocks the sender, so keep it short and never hold it
/// across an `.await`.
pub struct Ref<'a, T> {
    guard: RwLockReadGuard<'a, T>,
    has_changed: bool,
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").finish_non_exhaustive()
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.guard, f)
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> Ref<'_, T> {
    /// Whether this value was new to the receiver when it was borrowed (always `false` for a
    /// borrow through the [`Sender`]).
    ///
    /// ```
    /// let (tx, mut rx) = filch::sync::watch::channel(0);
    /// tx.send(1).unwrap();
    /// assert!(rx.borrow_and_update().has_changed());
    /// assert!(!rx.borrow().has_changed());
    /// ```
    pub fn has_changed(&self) -> bool {
        self.has_changed
    }
}

fn wake_all(list: Vec<(u64, Waker)>) {
    for (_, w) in list {
        w.wake();
    }
}

impl<T> Sender<T> {
    /// A sender of a new channel holding `init`, with no receiver yet: [`send`](Self::send)
    /// fails until [`subscribe`](Self::subscribe) makes one (the other send methods store the
    /// value anyway).
    ///
    /// ```
    /// let tx = filch::sync::watch::Sender::new(0u8);
    /// assert!(tx.send(1).is_err(), "no receiver");
    /// let rx = tx.subscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(*rx.borrow(), 2);
    /// ```
    pub fn new(init: T) -> Sender<T> {
        let (tx, _rx) = channel(init);
        tx
    }

    /// How many senders exist, this one included.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::watch::channel(0);
    /// let tx2 = tx.clone();
    /// assert_eq!(tx.sender_count(), 2);
    /// drop(tx2);
    /// assert_eq!(tx.sender_count(), 1);
    /// ```
    pub fn sender_count(&self) -> usize {
        self.shared.meta.lock().tx_count
    }

    /// Replaces the value and notifies the receivers. Fails, giving the value back, when there
    /// is no receiver (the value is then not stored).
    ///
    /// ```
    /// let (tx, rx) = filch::sync::watch::channel(0);
    /// tx.send(5).unwrap();
    /// assert_eq!(*rx.borrow(), 5);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        if self.shared.meta.lock().rx_count == 0 {
            return Err(SendError(value));
        }
        self.send_replace(value);
        Ok(())
    }

    /// Modifies the value in place and notifies the receivers, whether or not any exists.
    ///
    /// ```
    /// let (tx, rx) = filch::sync::watch::channel(vec![1]);
    /// tx.send_modify(|v| v.push(2));
    /// assert_eq!(*rx.borrow(), [1, 2]);
    /// ```
    pub fn send_modify<F: FnOnce(&mut T)>(&self, modify: F) {
        self.send_if_modified(|v| {
            modify(v);
            true
        });
    }

    /// Lets `modify` change the value; receivers are notified only if it returns `true`.
    /// Returns what `modify` returned.
    ///
    /// ```
    /// let (tx, rx) = filch::sync::watch::channel(1);
    /// assert!(!tx.send_if_modified(|_| false));
    /// assert!(!rx.has_changed().unwrap());
    /// assert!(tx.send_if_modified(|v| { *v = 2; true }));
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn send_if_modified<F: FnOnce(&mut T) -> bool>(&self, modify: F) -> bool {
        let waiters = {
            let mut value = self.shared.value.write();
            if !modify(&mut value) {
                return false;
            }
            let mut meta = self.shared.meta.lock();
            meta.version += 1;
            std::mem::take(&mut meta.rx_waiters)
        };
        wake_all(waiters);
        true
    }

    /// Replaces the value, notifies the receivers (whether or not any exists) and returns the
    /// old value.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::watch::channel(1);
    /// assert_eq!(tx.send_replace(2), 1);
    /// ```
    pub fn send_replace(&self, value: T) -> T {
        let mut slot = Some(value);
        let mut old = None;
        self.send_if_modified(|v| {
            old = Some(std::mem::replace(v, slot.take().expect("called once")));
            true
        });
        old.expect("the closure ran")
    }

    /// Borrows the current value.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::watch::channel(3);
    /// assert_eq!(*tx.borrow(), 3);
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: self.shared.value.read(),
            has_changed: false,
        }
    }

    /// A new receiver, which has seen the current value.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::watch::channel(0);
    /// let rx2 = tx.subscribe();
    /// assert!(!rx2.has_changed().unwrap());
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        let mut meta = self.shared.meta.lock();
        meta.rx_count += 1;
        Receiver {
            shared: self.shared.clone(),
            seen: meta.version,
        }
    }

    /// How many receivers exist.
    ///
    /// ```
    /// let (tx, rx) = filch::sync::watch::channel(0);
    /// assert_eq!(tx.receiver_count(), 1);
    /// drop(rx);
    /// assert_eq!(tx.receiver_count(), 0);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.meta.lock().rx_count
    }

    /// Completes when every receiver is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (tx, rx) = filch::sync::watch::channel(0);
    ///     filch::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    ///     assert!(tx.is_closed());
    /// });
    /// ```
    pub async fn closed(&self) {
        let mut waiter = Waiter {
            shared: &self.shared,
            id: None,
            tx_side: true,
        };
        std::future::poll_fn(|cx| {
            let mut meta = self.shared.meta.lock();
            if meta.rx_count == 0 {
                return Poll::Ready(());
            }
            waiter.register(&mut meta, cx);
            Poll::Pending
        })
        .await
    }

    /// Whether every receiver is gone.
    ///
    /// ```
    /// let (tx, rx) = filch::sync::watch::channel(0);
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.meta.lock().rx_count == 0
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.meta.lock().tx_count += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waiters = {
            let mut meta = self.shared.meta.lock();
            meta.tx_count -= 1;
            if meta.tx_count > 0 {
                return;
            }
            std::mem::take(&mut meta.rx_waiters)
        };
        wake_all(waiters);
    }
}

/// A registered waker in one of the lists; dropping it removes the entry.
struct Waiter<'a, T> {
    shared: &'a Shared<T>,
    id: Option<u64>,
    tx_side: bool,
}

impl<T> Waiter<'_, T> {
    fn register(&mut self, meta: &mut Meta, cx: &mut Context<'_>) {
        let id = *self.id.get_or_insert_with(|| {
            meta.next_id += 1;
            meta.next_id
        });
        let list = if self.tx_side {
            &mut meta.tx_waiters
        } else {
            &mut meta.rx_waiters
        };
        match list.iter_mut().find(|(w, _)| *w == id) {
            Some(entry) => entry.1.clone_from(cx.waker()),
            None => list.push((id, cx.waker().clone())),
        }
    }
}

impl<T> Drop for Waiter<'_, T> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            let mut meta = self.shared.meta.lock();
            let list = if self.tx_side {
                &mut meta.tx_waiters
            } else {
                &mut meta.rx_waiters
            };
            list.retain(|(w, _)| *w != id);
        }
    }
}

impl<T> Receiver<T> {
    /// Borrows the current value without marking it seen.
    ///
    /// ```
    /// let (tx, rx) = filch::sync::watch::channel(0);
    /// tx.send(1).unwrap();
    /// assert_eq!(*rx.borrow(), 1);
    /// assert!(rx.has_changed().unwrap(), "borrow does not mark it seen");
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        let guard = self.shared.value.read();
        let version = self.shared.meta.lock().version;
        Ref {
            guard,
            has_changed: version != self.seen,
        }
    }

    /// Borrows the current value and marks it seen.
    ///
    /// ```
    /// let (tx, mut rx) = filch::sync::watch::channel(0);
    /// tx.send(1).unwrap();
    /// assert_eq!(*rx.borrow_and_update(), 1);
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = self.shared.value.read();
        let version = self.shared.meta.lock().version;
        let has_changed = version != self.seen;
        self.seen = version;
        Ref { guard, has_changed }
    }

    /// Whether the value changed since this receiver last marked it seen. Fails if the sender
    /// is gone.
    ///
    /// ```
    /// let (tx, rx) = filch::sync::watch::channel(0);
    /// assert!(!rx.has_changed().unwrap());
    /// tx.send(1).unwrap();
    /// assert!(rx.has_changed().unwrap());
    /// drop(tx);
    /// assert!(rx.has_changed().is_err());
    /// ```
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let meta = self.shared.meta.lock();
        if meta.tx_count == 0 {
            return Err(RecvError(()));
        }
        Ok(meta.version != self.seen)
    }

    /// Waits for a value this receiver has not seen, and marks it seen. Completes at once if
    /// there already is one. Fails once the sender is gone (an unseen last value is then still
    /// readable with [`borrow`](Self::borrow)).
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (tx, mut rx) = filch::sync::watch::channel(0);
    ///     tx.send(1).unwrap();
    ///     rx.changed().await.unwrap();
    ///     assert_eq!(*rx.borrow(), 1);
    /// });
    /// ```
    pub async fn changed(&mut self) -> Result<(), RecvError> {
        changed_impl(&self.shared, &mut self.seen).await
    }

    /// Waits until the value satisfies `f` (checking the current value first), marks it seen
    /// and returns a borrow of it. Fails if the sender goes before that.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (tx, mut rx) = filch::sync::watch::channel(0);
    ///     filch::spawn(async move {
    ///         for i in 1..=5 {
    ///             tx.send(i).unwrap();
    ///         }
    ///     });
    ///     let v = rx.wait_for(|v| *v >= 5).await.unwrap();
    ///     assert_eq!(*v, 5);
    /// });
    /// ```
    pub async fn wait_for(
        &mut self,
        mut f: impl FnMut(&T) -> bool,
    ) -> Result<Ref<'_, T>, RecvError> {
        // Split borrows: `shared` is only ever borrowed shared, so a guard from it can be
        // returned from inside the loop.
        let Receiver { shared, seen } = self;
        let shared: &Arc<Shared<T>> = shared;
        loop {
            // The guard lives only in this block, so the future stays `Send` across the await.
            let alive = {
                let guard = shared.value.read();
                let (version, alive) = {
                    let meta = shared.meta.lock();
                    (meta.version, meta.tx_count > 0)
                };
                let has_changed = version != *seen;
                *seen = version;
                if f(&guard) {
                    return Ok(Ref { guard, has_changed });
                }
                alive
            };
            if !alive {
                return Err(RecvError(()));
            }
            changed_impl(shared, seen).await?;
            // `changed_impl` marked the new version seen; the next turn looks at it and
            // reports it as changed.
            *seen = MARKED_CHANGED;
        }
    }

    /// Marks the current value as not seen, so [`changed`](Self::changed) completes at once.
    ///
    /// ```
    /// let (_tx, mut rx) = filch::sync::watch::channel(0);
    /// rx.mark_changed();
    /// assert!(rx.has_changed().unwrap());
    /// ```
    pub fn mark_changed(&mut self) {
        self.seen = MARKED_CHANGED;
    }

    /// Marks the current value as seen.
    ///
    /// ```
    /// let (tx, mut rx) = filch::sync::watch::channel(0);
    /// tx.send(1).unwrap();
    /// rx.mark_unchanged();
    /// assert!(!rx.has_changed().unwrap());
    /// ```
    pub fn mark_unchanged(&mut self) {
        self.seen = self.shared.meta.lock().version;
    }

    /// Whether both receivers belong to the same channel.
    ///
    /// ```
    /// let (tx, rx) = filch::sync::watch::channel(0);
    /// assert!(rx.same_channel(&tx.subscribe()));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

/// [`Receiver::changed`] on split borrows (so `wait_for` can hold a borrow of `shared`).
async fn changed_impl<T>(shared: &Shared<T>, seen: &mut u64) -> Result<(), RecvError> {
    let mut waiter = Waiter {
        shared,
        id: None,
        tx_side: false,
    };
    std::future::poll_fn(|cx| {
        let guard = match crate::coop::poll_proceed(cx) {
            Poll::Ready(g) => g,
            Poll::Pending => return Poll::Pending,
        };
        let mut meta = shared.meta.lock();
        if meta.version != *seen {
            *seen = meta.version;
            guard.made_progress();
            return Poll::Ready(Ok(()));
        }
        if meta.tx_count == 0 {
            guard.made_progress();
            return Poll::Ready(Err(RecvError(())));
        }
        waiter.register(&mut meta, cx);
        Poll::Pending
    })
    .await
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.shared.meta.lock().rx_count += 1;
        Receiver {
            shared: self.shared.clone(),
            seen: self.seen,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let waiters = {
            let mut meta = self.shared.meta.lock();
            meta.rx_count -= 1;
            if meta.rx_count == 0 {
                std::mem::take(&mut meta.tx_waiters)
            } else {
                Vec::new()
            }
        };
        wake_all(waiters);
    }
}
