//! A multi-producer, multi-consumer channel where every receiver sees every value:
//! [`channel`], [`Sender`], [`Receiver`].
//!
//! The channel keeps the last `capacity` values. A receiver that falls further behind loses the
//! oldest ones and is told so once with [`error::RecvError::Lagged`], then continues from the
//! oldest value still kept. A value is dropped once every receiver that existed when it was
//! sent has seen it, or when it is pushed out. Values are cloned for each receiver, so
//! `T: Clone`. The API follows `tokio::sync::broadcast`.
//!
//! ```
//! let rt = filch::runtime::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let (tx, mut rx1) = filch::sync::broadcast::channel(16);
//!     let mut rx2 = tx.subscribe();
//!     tx.send(10).unwrap();
//!     assert_eq!(rx1.recv().await, Ok(10));
//!     assert_eq!(rx2.recv().await, Ok(10));
//! });
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::sync::{Arc, Mutex};

/// The errors of the broadcast channel.
pub mod error {
    use std::fmt;

    /// No receiver exists; the value comes back.
    ///
    /// ```
    /// let (tx, rx) = filch::sync::broadcast::channel(1);
    /// drop(rx);
    /// assert_eq!(tx.send(4).unwrap_err().0, 4);
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
            f.write_str("broadcast channel has no receivers")
        }
    }

    impl<T> std::error::Error for SendError<T> {}

    /// Why [`Receiver::recv`](super::Receiver::recv) returned no value.
    ///
    /// ```
    /// use filch::sync::broadcast::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = broadcast::channel(1);
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(1)));
    /// assert_eq!(rx.try_recv(), Ok(2));
    /// ```
    #[derive(Debug, PartialEq, Eq, Clone, Copy)]
    pub enum RecvError {
        /// Every sender is gone and this receiver has seen every value.
        Closed,
        /// The receiver fell behind and this many values were pushed out before it saw them.
        Lagged(u64),
    }

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                RecvError::Closed => f.write_str("broadcast channel closed"),
                RecvError::Lagged(n) => write!(f, "receiver lagged behind by {n} values"),
            }
        }
    }

    impl std::error::Error for RecvError {}

    /// Why [`Receiver::try_recv`](super::Receiver::try_recv) returned no value.
    ///
    /// ```
    /// use filch::sync::broadcast::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = broadcast::channel::<u8>(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    #[derive(Debug, PartialEq, Eq, Clone, Copy)]
    pub enum TryRecvError {
        /// Nothing new yet.
        Empty,
        /// Every sender is gone and this receiver has seen every value.
        Closed,
        /// The receiver fell behind and this many values were pushed out before it saw them.
        Lagged(u64),
    }

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("broadcast channel empty"),
                TryRecvError::Closed => f.write_str("broadcast channel closed"),
                TryRecvError::Lagged(n) => write!(f, "receiver lagged behind by {n} values"),
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}

use error::{RecvError, SendError, TryRecvError};

struct Shared<T> {
    state: Mutex<State<T>>,
    capacity: usize,
}

// No user code runs while the lock is held except `T::clone` in `recv`, after which the state
// is only read; values are dropped after the lock is released.
impl<T> std::panic::UnwindSafe for Shared<T> {}
impl<T> std::panic::RefUnwindSafe for Shared<T> {}

struct Slot<T> {
    /// `None` once every receiver that should see it has.
    value: Option<T>,
    /// Receivers that still have to see it.
    rem: usize,
}

struct State<T> {
    /// Kept values; the first is at position `head`.
    buf: VecDeque<Slot<T>>,
    head: u64,
    tx_count: usize,
    weak_count: usize,
    rx_count: usize,
    waiters: Vec<(u64, Waker)>,
    /// Futures waiting in `Sender::closed`.
    closed_waiters: Vec<(u64, Waker)>,
    next_id: u64,
}

impl<T> State<T> {
    fn tail(&self) -> u64 {
        self.head + self.buf.len() as u64
    }

    /// Drops leading slots nobody needs any more (no live receiver points at them).
    fn trim(&mut self) {
        while self.buf.front().is_some_and(|s| s.value.is_none()) {
            self.buf.pop_front();
            self.head += 1;
        }
    }

    /// This receiver (at `next`) has passed position `pos`: count it off that slot.
    fn seen(&mut self, pos: u64, dropped: &mut Vec<T>) {
        let idx = (pos - self.head) as usize;
        let slot = &mut self.buf[idx];
        slot.rem -= 1;
        if slot.rem == 0 {
            dropped.extend(slot.value.take());
        }
    }
}

/// Creates a broadcast channel keeping the last `capacity` values (exactly that many; tokio
/// rounds the capacity up to a power of two).
///
/// # Panics
///
/// Panics if `capacity` is 0.
///
/// ```
/// let (tx, mut rx) = filch::sync::broadcast::channel(2);
/// tx.send("a").unwrap();
/// assert_eq!(rx.try_recv(), Ok("a"));
/// ```
#[track_caller]
pub fn channel<T: Clone>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(capacity > 0, "broadcast channel requires capacity > 0");
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            buf: VecDeque::with_capacity(capacity.min(1024)),
            head: 0,
            tx_count: 1,
            weak_count: 0,
            rx_count: 1,
            waiters: Vec::new(),
            closed_waiters: Vec::new(),
            next_id: 0,
        }),
        capacity,
    });
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, next: 0 },
    )
}

/// The sending half; clone it for more senders.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

/// A sender that does not keep the channel open.
pub struct WeakSender<T> {
    shared: Arc<Shared<T>>,
}

/// A receiving half; each receiver sees every value sent after it was created.
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    /// Position of the next value to receive.
    next: u64,
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for WeakSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakSender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

fn wake_all(wakers: Vec<(u64, Waker)>) {
    for (_, w) in wakers {
        w.wake();
    }
}

impl<T> Sender<T> {
    /// Sends `value` to every current receiver, returning how many there are. Fails, giving the
    /// value back, if there is none. Never waits: when the channel is full the oldest value is
    /// pushed out.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::broadcast::channel(4);
    /// let _rx2 = tx.subscribe();
    /// assert_eq!(tx.send(1).unwrap(), 2);
    /// ```
    pub fn send(&self, value: T) -> Result<usize, SendError<T>> {
        let mut evicted = None;
        let (n, waiters) = {
            let mut s = self.shared.state.lock();
            if s.rx_count == 0 {
                return Err(SendError(value));
            }
            if s.buf.len() == self.shared.capacity {
                evicted = s.buf.pop_front().and_then(|slot| slot.value);
                s.head += 1;
            }
            let rem = s.rx_count;
            s.buf.push_back(Slot {
                value: Some(value),
                rem,
            });
            (rem, std::mem::take(&mut s.waiters))
        };
        wake_all(waiters);
        drop(evicted);
        Ok(n)
    }

    /// A new receiver that sees values sent from now on.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// let mut late = tx.subscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(late.try_recv(), Ok(2));
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        let mut s = self.shared.state.lock();
        s.rx_count += 1;
        Receiver {
            shared: self.shared.clone(),
            next: s.tail(),
        }
    }

    /// How many receivers exist.
    ///
    /// ```
    /// let (tx, rx) = filch::sync::broadcast::channel::<u8>(4);
    /// assert_eq!(tx.receiver_count(), 1);
    /// drop(rx);
    /// assert_eq!(tx.receiver_count(), 0);
    /// ```
    pub fn receiver_count(&self) -> usize {
        self.shared.state.lock().rx_count
    }

    /// Completes when there is no receiver (at once if there is none now). A later
    /// [`subscribe`](Self::subscribe) opens the channel again.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (tx, rx) = filch::sync::broadcast::channel::<u8>(4);
    ///     let rx2 = tx.subscribe();
    ///     filch::spawn(async move {
    ///         drop(rx);
    ///         drop(rx2);
    ///     });
    ///     tx.closed().await;
    ///     assert_eq!(tx.receiver_count(), 0);
    /// });
    /// ```
    pub async fn closed(&self) {
        let mut waiter = ClosedWaiter {
            shared: &self.shared,
            id: None,
        };
        std::future::poll_fn(|cx| {
            let mut s = self.shared.state.lock();
            if s.rx_count == 0 {
                if let Some(id) = waiter.id.take() {
                    s.closed_waiters.retain(|(w, _)| *w != id);
                }
                return Poll::Ready(());
            }
            let id = match waiter.id {
                Some(id) => id,
                None => {
                    s.next_id += 1;
                    let id = s.next_id;
                    waiter.id = Some(id);
                    id
                }
            };
            // The last receiver's drop takes the whole list: re-register on every pending poll.
            match s.closed_waiters.iter_mut().find(|(w, _)| *w == id) {
                Some(entry) => {
                    if !entry.1.will_wake(cx.waker()) {
                        entry.1.clone_from(cx.waker());
                    }
                }
                None => s.closed_waiters.push((id, cx.waker().clone())),
            }
            Poll::Pending
        })
        .await
    }

    /// How many [`Sender`]s the channel has.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::broadcast::channel::<u8>(4);
    /// let _tx2 = tx.clone();
    /// assert_eq!(tx.strong_count(), 2);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.shared.state.lock().tx_count
    }

    /// How many [`WeakSender`]s the channel has.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::broadcast::channel::<u8>(4);
    /// let _weak = tx.downgrade();
    /// assert_eq!(tx.weak_count(), 1);
    /// ```
    pub fn weak_count(&self) -> usize {
        self.shared.state.lock().weak_count
    }

    /// How many values are queued: sent, still kept, and not yet seen by every receiver that
    /// existed when they were sent.
    ///
    /// ```
    /// let (tx, mut rx) = filch::sync::broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// assert_eq!(tx.len(), 1);
    /// rx.try_recv().unwrap();
    /// assert_eq!(tx.len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        // Leading slots everyone has seen are trimmed, and a slot someone still needs is
        // followed only by slots that receiver also needs, so every kept slot is queued.
        self.shared.state.lock().buf.len()
    }

    /// Whether no value is queued (see [`len`](Self::len)).
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::broadcast::channel::<u8>(4);
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A [`WeakSender`] for this channel.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::broadcast::channel::<u8>(4);
    /// let weak = tx.downgrade();
    /// assert!(weak.upgrade().is_some());
    /// drop(tx);
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn downgrade(&self) -> WeakSender<T> {
        self.shared.state.lock().weak_count += 1;
        WeakSender {
            shared: self.shared.clone(),
        }
    }

    /// Whether both senders belong to the same channel.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::broadcast::channel::<u8>(4);
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.shared.state.lock().tx_count += 1;
        Sender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waiters = {
            let mut s = self.shared.state.lock();
            s.tx_count -= 1;
            if s.tx_count == 0 {
                std::mem::take(&mut s.waiters)
            } else {
                Vec::new()
            }
        };
        wake_all(waiters);
    }
}

impl<T> WeakSender<T> {
    /// A [`Sender`], if any still exists.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::broadcast::channel::<u8>(4);
    /// assert!(tx.downgrade().upgrade().unwrap().same_channel(&tx));
    /// ```
    pub fn upgrade(&self) -> Option<Sender<T>> {
        let mut s = self.shared.state.lock();
        if s.tx_count == 0 {
            return None;
        }
        s.tx_count += 1;
        Some(Sender {
            shared: self.shared.clone(),
        })
    }
}

impl<T> WeakSender<T> {
    /// How many [`Sender`]s the channel has.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::broadcast::channel::<u8>(4);
    /// let weak = tx.downgrade();
    /// assert_eq!(weak.strong_count(), 1);
    /// drop(tx);
    /// assert_eq!(weak.strong_count(), 0);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.shared.state.lock().tx_count
    }

    /// How many [`WeakSender`]s the channel has.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::broadcast::channel::<u8>(4);
    /// let weak = tx.downgrade();
    /// let _weak2 = weak.clone();
    /// assert_eq!(weak.weak_count(), 2);
    /// ```
    pub fn weak_count(&self) -> usize {
        self.shared.state.lock().weak_count
    }
}

/// A registered `Sender::closed` waker; dropping it removes the entry.
struct ClosedWaiter<'a, T> {
    shared: &'a Shared<T>,
    id: Option<u64>,
}

impl<T> Drop for ClosedWaiter<'_, T> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.shared
                .state
                .lock()
                .closed_waiters
                .retain(|(w, _)| *w != id);
        }
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        self.shared.state.lock().weak_count += 1;
        WeakSender {
            shared: self.shared.clone(),
        }
    }
}

impl<T> Drop for WeakSender<T> {
    fn drop(&mut self) {
        self.shared.state.lock().weak_count -= 1;
    }
}

impl<T: Clone> Receiver<T> {
    /// One attempt for the receiver whose next position is `next`; `None` means nothing new
    /// and senders remain (register then). Takes the position rather than the receiver so that
    /// a caller can hold the lock through `self.shared` meanwhile, without cloning the `Arc`
    /// (two atomic operations on the channel's most contended line per receive).
    fn attempt(
        next: &mut u64,
        s: &mut State<T>,
        dropped: &mut Vec<T>,
    ) -> Option<Result<T, TryRecvError>> {
        if *next < s.head {
            let missed = s.head - *next;
            *next = s.head;
            return Some(Err(TryRecvError::Lagged(missed)));
        }
        if *next < s.tail() {
            let pos = *next;
            let idx = (pos - s.head) as usize;
            let value = s.buf[idx]
                .value
                .clone()
                .expect("a value stays until every receiver has seen it");
            s.seen(pos, dropped);
            s.trim();
            *next += 1;
            return Some(Ok(value));
        }
        if s.tx_count == 0 {
            return Some(Err(TryRecvError::Closed));
        }
        None
    }

    /// Receives the next value, waiting if there is none yet.
    ///
    /// Returns [`RecvError::Lagged`] once if values were pushed out before this receiver saw
    /// them (the next call returns the oldest value still kept), and [`RecvError::Closed`] once
    /// every sender is gone and every kept value has been received.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: a value is only consumed when the call returns it.
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (tx, mut rx) = filch::sync::broadcast::channel(4);
    ///     filch::spawn(async move { tx.send(1).unwrap() });
    ///     assert_eq!(rx.recv().await, Ok(1));
    ///     assert!(rx.recv().await.is_err());
    /// });
    /// ```
    pub async fn recv(&mut self) -> Result<T, RecvError> {
        Recv { rx: self, id: None }.await
    }

    /// Takes the next value without waiting.
    ///
    /// ```
    /// use filch::sync::broadcast::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = broadcast::channel(4);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut dropped = Vec::new();
        let out = {
            let mut s = self.shared.state.lock();
            Self::attempt(&mut self.next, &mut s, &mut dropped).unwrap_or(Err(TryRecvError::Empty))
        };
        drop(dropped);
        out
    }

    /// A new receiver for the same channel that starts at the newest position (it does not see
    /// values this one has not received yet).
    ///
    /// ```
    /// let (tx, rx) = filch::sync::broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// let mut rx2 = rx.resubscribe();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx2.try_recv(), Ok(2));
    /// ```
    pub fn resubscribe(&self) -> Receiver<T> {
        let mut s = self.shared.state.lock();
        s.rx_count += 1;
        Receiver {
            shared: self.shared.clone(),
            next: s.tail(),
        }
    }
}

impl<T> Receiver<T> {
    /// How many kept values this receiver has not received yet.
    ///
    /// ```
    /// let (tx, rx) = filch::sync::broadcast::channel(4);
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// assert_eq!(rx.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        let s = self.shared.state.lock();
        (s.tail() - self.next.max(s.head)) as usize
    }

    /// Whether this receiver has received every kept value.
    ///
    /// ```
    /// let (_tx, rx) = filch::sync::broadcast::channel::<u8>(4);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether both receivers belong to the same channel.
    ///
    /// ```
    /// let (tx, rx) = filch::sync::broadcast::channel::<u8>(4);
    /// assert!(rx.same_channel(&tx.subscribe()));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut dropped = Vec::new();
        let closed = {
            let mut s = self.shared.state.lock();
            s.rx_count -= 1;
            let from = self.next.max(s.head);
            for pos in from..s.tail() {
                s.seen(pos, &mut dropped);
            }
            s.trim();
            if s.rx_count == 0 {
                std::mem::take(&mut s.closed_waiters)
            } else {
                Vec::new()
            }
        };
        wake_all(closed);
        drop(dropped);
    }
}

/// The future of [`Receiver::recv`]; dropping it removes its waker.
struct Recv<'a, T> {
    rx: &'a mut Receiver<T>,
    id: Option<u64>,
}

impl<T: Clone> Future for Recv<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let guard = match crate::coop::poll_proceed(cx) {
            Poll::Ready(g) => g,
            Poll::Pending => return Poll::Pending,
        };
        let this = &mut *self;
        let mut dropped = Vec::new();
        let out = {
            let Receiver { shared, next } = &mut *this.rx;
            let mut s = shared.state.lock();
            match Receiver::attempt(next, &mut s, &mut dropped) {
                Some(r) => {
                    if let Some(id) = this.id.take() {
                        s.waiters.retain(|(w, _)| *w != id);
                    }
                    Poll::Ready(r.map_err(|e| match e {
                        TryRecvError::Lagged(n) => RecvError::Lagged(n),
                        TryRecvError::Closed | TryRecvError::Empty => RecvError::Closed,
                    }))
                }
                None => {
                    let id = match this.id {
                        Some(id) => id,
                        None => {
                            s.next_id += 1;
                            let id = s.next_id;
                            this.id = Some(id);
                            id
                        }
                    };
                    // A send takes the whole list, so re-register on every pending poll.
                    match s.waiters.iter_mut().find(|(w, _)| *w == id) {
                        Some(entry) => entry.1.clone_from(cx.waker()),
                        None => s.waiters.push((id, cx.waker().clone())),
                    }
                    Poll::Pending
                }
            }
        };
        drop(dropped);
        if out.is_ready() {
            guard.made_progress();
        }
        out
    }
}

impl<T> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.rx
                .shared
                .state
                .lock()
                .waiters
                .retain(|(w, _)| *w != id);
        }
    }
}
