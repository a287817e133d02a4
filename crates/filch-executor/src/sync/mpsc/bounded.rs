//! The bounded channel: [`channel`], [`Sender`], [`Receiver`], the permits and [`WeakSender`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::chan::Chan;
use super::error::{SendError, TryRecvError, TrySendError};
use crate::loom::sync::Arc;

/// Creates a bounded channel holding at most `buffer` messages, counting reserved permits.
///
/// A full channel makes [`Sender::send`] wait; waiting senders get slots in the order they
/// started waiting.
///
/// # Panics
///
/// Panics if `buffer` is 0.
///
/// ```
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let (tx, mut rx) = filch::sync::mpsc::channel(8);
///     filch::spawn(async move {
///         for i in 0..3 {
///             tx.send(i).await.unwrap();
///         }
///     });
///     let mut got = Vec::new();
///     while let Some(i) = rx.recv().await {
///         got.push(i);
///     }
///     assert_eq!(got, [0, 1, 2]);
/// });
/// ```
#[track_caller]
pub fn channel<T>(buffer: usize) -> (Sender<T>, Receiver<T>) {
    assert!(buffer > 0, "mpsc bounded channel requires buffer > 0");
    let chan = Arc::new(Chan::new(Some(buffer)));
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// The sending half of a bounded channel; clone it for more senders.
///
/// The channel stays open while at least one `Sender` (or [`OwnedPermit`]) exists.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

/// A sender that does not keep the channel open; [`upgrade`](WeakSender::upgrade) it to send.
pub struct WeakSender<T> {
    chan: Arc<Chan<T>>,
}

/// A reserved slot in the channel: [`send`](Permit::send) cannot fail or wait. Dropping it
/// gives the slot back.
pub struct Permit<'a, T> {
    chan: &'a Chan<T>,
}

/// `n` reserved slots, from [`Sender::reserve_many`] or [`Sender::try_reserve_many`]; it yields
/// them as [`Permit`]s. Dropping it gives back the slots it has not yielded yet.
pub struct PermitIterator<'a, T> {
    chan: &'a Chan<T>,
    /// Slots not yet yielded.
    n: usize,
}

/// A reserved slot that owns its [`Sender`]; see [`Sender::reserve_owned`].
pub struct OwnedPermit<T> {
    /// `None` only while `send`/`release` take it out.
    sender: Option<Sender<T>>,
}

/// The receiving half of a bounded channel.
///
/// Dropping it closes the channel and drops every queued message.
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

macro_rules! debug_by_name {
    ($($ty:ident $(<$lt:lifetime>)?),*) => {$(
        impl<$($lt,)? T> fmt::Debug for $ty<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty)).finish_non_exhaustive()
            }
        }
    )*};
}
debug_by_name!(Sender, WeakSender, Permit<'a>, OwnedPermit, Receiver);

impl<T> fmt::Debug for PermitIterator<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PermitIterator")
            .field("remaining", &self.n)
            .finish_non_exhaustive()
    }
}

/// Waits for `n` slots; dropping it mid-wait gives up its place (and any slots already handed
/// to it go to the next waiters).
struct Reserve<'a, T> {
    chan: &'a Chan<T>,
    id: Option<u64>,
    n: usize,
}

impl<T> Future for Reserve<'_, T> {
    type Output = Result<(), ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let guard = match crate::coop::poll_proceed(cx) {
            Poll::Ready(g) => g,
            Poll::Pending => return Poll::Pending,
        };
        let this = &mut *self;
        let out = this.chan.poll_reserve(&mut this.id, this.n, cx);
        if out.is_ready() {
            guard.made_progress();
        }
        out
    }
}

impl<T> Drop for Reserve<'_, T> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.chan.cancel_reserve(id);
        }
    }
}

/// Waits until the receiver is closed or dropped.
pub(super) struct Closed<'a, T> {
    pub(super) chan: &'a Chan<T>,
    pub(super) id: Option<u64>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        this.chan.poll_closed(&mut this.id, cx)
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.chan.cancel_closed(id);
        }
    }
}

impl<T> Sender<T> {
    /// Sends `value`, waiting for a free slot if the channel is full.
    ///
    /// Fails, giving the value back, if the receiver is closed or dropped.
    ///
    /// # Cancel safety
    ///
    /// If the future is dropped before it completes, the value was not sent (it is dropped with
    /// the future) and the sender loses its place in the queue of waiting senders. Use
    /// [`reserve`](Self::reserve) to keep the value when cancelled.
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (tx, mut rx) = filch::sync::mpsc::channel(1);
    ///     tx.send("hi").await.unwrap();
    ///     assert_eq!(rx.recv().await, Some("hi"));
    /// });
    /// ```
    pub async fn send(&self, value: T) -> Result<(), SendError<T>> {
        match self.reserve().await {
            Ok(permit) => {
                permit.send(value);
                Ok(())
            }
            Err(_) => Err(SendError(value)),
        }
    }

    /// Sends `value` if a slot is free right now and no other sender is waiting for one.
    ///
    /// ```
    /// use filch::sync::mpsc::{self, error::TrySendError};
    ///
    /// let (tx, rx) = mpsc::channel(1);
    /// assert_eq!(tx.try_send(1), Ok(()));
    /// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
    /// drop(rx);
    /// assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        match self.chan.try_reserve(1) {
            Ok(()) => {
                self.chan.send_reserved(value);
                Ok(())
            }
            Err(TrySendError::Full(())) => Err(TrySendError::Full(value)),
            Err(TrySendError::Closed(())) => Err(TrySendError::Closed(value)),
        }
    }

    /// Waits for a slot and holds it as a [`Permit`]. The slot counts against the capacity until
    /// the permit sends or is dropped.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe in that no message is lost; the sender loses its place in the queue of
    /// waiting senders, and a slot already handed to it goes to the next waiter.
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (tx, mut rx) = filch::sync::mpsc::channel(1);
    ///     let permit = tx.reserve().await.unwrap();
    ///     assert!(tx.try_send(0).is_err(), "the only slot is reserved");
    ///     permit.send(1);
    ///     assert_eq!(rx.recv().await, Some(1));
    /// });
    /// ```
    pub async fn reserve(&self) -> Result<Permit<'_, T>, SendError<()>> {
        let reserve = Reserve {
            chan: &self.chan,
            id: None,
            n: 1,
        };
        match reserve.await {
            Ok(()) => Ok(Permit { chan: &self.chan }),
            Err(()) => Err(SendError(())),
        }
    }

    /// Waits for `n` slots at once and holds them as a [`PermitIterator`] of `n` [`Permit`]s.
    /// Waiting senders are served in order, so a sender waiting for `n` slots at the head of
    /// the queue gets them before senders that came later, even ones that need fewer.
    ///
    /// Fails if the receiver is closed or dropped, or if `n` is larger than
    /// [`max_capacity`](Self::max_capacity) (it could never be served). `n == 0` yields no
    /// permits.
    ///
    /// # Cancel safety
    ///
    /// As for [`reserve`](Self::reserve): no message is lost, but the place in the queue is.
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (tx, mut rx) = filch::sync::mpsc::channel(4);
    ///     let permits = tx.reserve_many(3).await.unwrap();
    ///     assert_eq!(tx.capacity(), 1);
    ///     for (i, permit) in permits.enumerate() {
    ///         permit.send(i);
    ///     }
    ///     assert_eq!(rx.recv().await, Some(0));
    ///     assert!(tx.reserve_many(5).await.is_err(), "more than max_capacity");
    /// });
    /// ```
    pub async fn reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, SendError<()>> {
        if n > self.max_capacity() {
            return Err(SendError(()));
        }
        let reserve = Reserve {
            chan: &self.chan,
            id: None,
            n,
        };
        match reserve.await {
            Ok(()) => Ok(PermitIterator {
                chan: &self.chan,
                n,
            }),
            Err(()) => Err(SendError(())),
        }
    }

    /// Takes `n` slots as a [`PermitIterator`] if they are all free right now and nobody is
    /// waiting for slots.
    ///
    /// `Err(TrySendError::Full(()))` if they are not, or if `n` is larger than
    /// [`max_capacity`](Self::max_capacity); `Err(TrySendError::Closed(()))` if the receiver is
    /// closed or dropped.
    ///
    /// ```
    /// use filch::sync::mpsc::{self, error::TrySendError};
    ///
    /// let (tx, mut rx) = mpsc::channel(3);
    /// let mut permits = tx.try_reserve_many(2).unwrap();
    /// assert!(matches!(tx.try_reserve_many(2), Err(TrySendError::Full(()))));
    /// permits.next().unwrap().send("a");
    /// drop(permits); // gives back the unused slot
    /// assert_eq!(tx.capacity(), 2);
    /// assert_eq!(rx.try_recv(), Ok("a"));
    /// ```
    pub fn try_reserve_many(&self, n: usize) -> Result<PermitIterator<'_, T>, TrySendError<()>> {
        if n > self.max_capacity() {
            return Err(TrySendError::Full(()));
        }
        self.chan.try_reserve(n)?;
        Ok(PermitIterator {
            chan: &self.chan,
            n,
        })
    }

    /// [`reserve`](Self::reserve), but the permit owns this sender, so it can move into
    /// another task. [`OwnedPermit::send`] gives the sender back.
    ///
    /// # Cancel safety
    ///
    /// As for [`reserve`](Self::reserve).
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (tx, mut rx) = filch::sync::mpsc::channel(1);
    ///     let permit = tx.reserve_owned().await.unwrap();
    ///     let tx = permit.send(5);
    ///     assert_eq!(rx.recv().await, Some(5));
    ///     drop(tx);
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// ```
    pub async fn reserve_owned(self) -> Result<OwnedPermit<T>, SendError<()>> {
        let reserve = Reserve {
            chan: &self.chan,
            id: None,
            n: 1,
        };
        match reserve.await {
            Ok(()) => Ok(OwnedPermit { sender: Some(self) }),
            Err(()) => Err(SendError(())),
        }
    }

    /// [`send`](Self::send) for synchronous code: blocks this thread until the value is queued.
    ///
    /// # Panics
    ///
    /// Panics if called inside a filch task or `block_on`.
    ///
    /// ```
    /// let (tx, mut rx) = filch::sync::mpsc::channel(1);
    /// let t = std::thread::spawn(move || tx.blocking_send(5).unwrap());
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// assert_eq!(rt.block_on(rx.recv()), Some(5));
    /// t.join().unwrap();
    /// ```
    #[track_caller]
    pub fn blocking_send(&self, value: T) -> Result<(), SendError<T>> {
        crate::sync::blocking("Sender::blocking_send", self.send(value))
    }

    /// Takes a slot as a [`Permit`] if one is free right now and nobody is waiting for one.
    ///
    /// ```
    /// use filch::sync::mpsc::{self, error::TrySendError};
    ///
    /// let (tx, _rx) = mpsc::channel::<u8>(1);
    /// let permit = tx.try_reserve().unwrap();
    /// assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
    /// drop(permit);
    /// assert!(tx.try_reserve().is_ok());
    /// ```
    pub fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        self.chan.try_reserve(1)?;
        Ok(Permit { chan: &self.chan })
    }

    /// [`try_reserve`](Self::try_reserve) with an owned permit; on failure the sender comes
    /// back inside the error.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::mpsc::channel::<u8>(1);
    /// let permit = tx.try_reserve_owned().unwrap();
    /// let _tx = permit.release();
    /// ```
    pub fn try_reserve_owned(self) -> Result<OwnedPermit<T>, TrySendError<Self>> {
        match self.chan.try_reserve(1) {
            Ok(()) => Ok(OwnedPermit { sender: Some(self) }),
            Err(TrySendError::Full(())) => Err(TrySendError::Full(self)),
            Err(TrySendError::Closed(())) => Err(TrySendError::Closed(self)),
        }
    }

    /// Completes when the receiver is closed or dropped.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (tx, rx) = filch::sync::mpsc::channel::<()>(1);
    ///     drop(rx);
    ///     tx.closed().await;
    ///     assert!(tx.is_closed());
    /// });
    /// ```
    pub async fn closed(&self) {
        Closed {
            chan: &self.chan,
            id: None,
        }
        .await
    }

    /// Whether the receiver is closed or dropped.
    ///
    /// ```
    /// let (tx, mut rx) = filch::sync::mpsc::channel::<()>(1);
    /// assert!(!tx.is_closed());
    /// rx.close();
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_rx_closed()
    }

    /// Free slots now: the bound minus queued messages and reserved permits.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::mpsc::channel::<u8>(3);
    /// tx.try_send(1).unwrap();
    /// let _p = tx.try_reserve().unwrap();
    /// assert_eq!(tx.capacity(), 1);
    /// assert_eq!(tx.max_capacity(), 3);
    /// ```
    pub fn capacity(&self) -> usize {
        self.chan.capacity()
    }

    /// The bound the channel was created with.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::mpsc::channel::<u8>(4);
    /// assert_eq!(tx.max_capacity(), 4);
    /// ```
    pub fn max_capacity(&self) -> usize {
        self.chan.bound().unwrap_or(usize::MAX)
    }

    /// A [`WeakSender`] for this channel.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::mpsc::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// assert!(weak.upgrade().is_some());
    /// drop(tx);
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn downgrade(&self) -> WeakSender<T> {
        self.chan.inc_weak();
        WeakSender {
            chan: self.chan.clone(),
        }
    }

    /// Whether both senders belong to the same channel.
    ///
    /// ```
    /// let (a, _rx) = filch::sync::mpsc::channel::<u8>(1);
    /// let (b, _rx2) = filch::sync::mpsc::channel::<u8>(1);
    /// assert!(a.same_channel(&a.clone()));
    /// assert!(!a.same_channel(&b));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// How many [`Sender`]s the channel has.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::mpsc::channel::<u8>(1);
    /// let _tx2 = tx.clone();
    /// assert_eq!(tx.strong_count(), 2);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.chan.tx_count()
    }

    /// How many [`WeakSender`]s the channel has.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::mpsc::channel::<u8>(1);
    /// let _w = tx.downgrade();
    /// assert_eq!(tx.weak_count(), 1);
    /// ```
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.inc_tx();
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.dec_tx();
    }
}

impl<T> WeakSender<T> {
    /// A [`Sender`], if any still exists.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::mpsc::channel::<u8>(1);
    /// let weak = tx.downgrade();
    /// assert!(weak.upgrade().unwrap().same_channel(&tx));
    /// ```
    pub fn upgrade(&self) -> Option<Sender<T>> {
        if self.chan.try_inc_tx() {
            Some(Sender {
                chan: self.chan.clone(),
            })
        } else {
            None
        }
    }

    /// How many [`Sender`]s the channel has.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::mpsc::channel::<u8>(1);
    /// assert_eq!(tx.downgrade().strong_count(), 1);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.chan.tx_count()
    }

    /// How many [`WeakSender`]s the channel has.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::mpsc::channel::<u8>(1);
    /// assert_eq!(tx.downgrade().weak_count(), 1);
    /// ```
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Clone for WeakSender<T> {
    fn clone(&self) -> Self {
        self.chan.inc_weak();
        WeakSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for WeakSender<T> {
    fn drop(&mut self) {
        self.chan.dec_weak();
    }
}

impl<T> Permit<'_, T> {
    /// Sends `value` through the reserved slot. If the receiver has gone meanwhile, the value is
    /// dropped.
    ///
    /// ```
    /// let (tx, mut rx) = filch::sync::mpsc::channel(1);
    /// tx.try_reserve().unwrap().send(9);
    /// assert_eq!(rx.try_recv(), Ok(9));
    /// ```
    pub fn send(self, value: T) {
        let chan = self.chan;
        // The slot moves to the message: no release on drop.
        std::mem::forget(self);
        chan.send_reserved(value);
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        self.chan.release_slots(1);
    }
}

impl<'a, T> Iterator for PermitIterator<'a, T> {
    type Item = Permit<'a, T>;

    fn next(&mut self) -> Option<Permit<'a, T>> {
        if self.n == 0 {
            return None;
        }
        // The slot moves from this iterator to the permit.
        self.n -= 1;
        Some(Permit { chan: self.chan })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.n, Some(self.n))
    }
}

impl<T> ExactSizeIterator for PermitIterator<'_, T> {}

impl<T> std::iter::FusedIterator for PermitIterator<'_, T> {}

impl<T> Drop for PermitIterator<'_, T> {
    fn drop(&mut self) {
        self.chan.release_slots(self.n);
    }
}

impl<T> OwnedPermit<T> {
    /// Sends `value` through the reserved slot and gives the sender back.
    ///
    /// ```
    /// let (tx, mut rx) = filch::sync::mpsc::channel(1);
    /// let tx = tx.try_reserve_owned().unwrap().send(1);
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(tx.capacity(), 1);
    /// ```
    pub fn send(mut self, value: T) -> Sender<T> {
        let sender = self
            .sender
            .take()
            .expect("OwnedPermit holds its sender until consumed");
        sender.chan.send_reserved(value);
        sender
    }

    /// Gives the slot back unused and returns the sender.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::mpsc::channel::<u8>(1);
    /// let tx = tx.try_reserve_owned().unwrap().release();
    /// assert_eq!(tx.capacity(), 1);
    /// ```
    pub fn release(mut self) -> Sender<T> {
        let sender = self
            .sender
            .take()
            .expect("OwnedPermit holds its sender until consumed");
        sender.chan.release_slots(1);
        sender
    }
}

impl<T> Drop for OwnedPermit<T> {
    fn drop(&mut self) {
        if let Some(sender) = &self.sender {
            sender.chan.release_slots(1);
        }
    }
}

impl<T> Receiver<T> {
    /// Receives the next message, waiting if none is queued. `None` once every sender is gone
    /// (or the channel was [closed](Self::close)) and the queue is empty.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe: a message is only taken out of the queue when the call returns it.
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (tx, mut rx) = filch::sync::mpsc::channel(2);
    ///     tx.send(1).await.unwrap();
    ///     drop(tx);
    ///     assert_eq!(rx.recv().await, Some(1));
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// ```
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.chan.poll_recv(cx)).await
    }

    /// Waits for at least one message, then moves up to `limit` queued messages to the end of
    /// `buffer`, returning how many. Returns 0 when `limit` is 0, or once the channel is closed
    /// and empty.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (tx, mut rx) = filch::sync::mpsc::channel(4);
    ///     for i in 0..3 {
    ///         tx.send(i).await.unwrap();
    ///     }
    ///     let mut buf = Vec::new();
    ///     assert_eq!(rx.recv_many(&mut buf, 2).await, 2);
    ///     assert_eq!(buf, [0, 1]);
    /// });
    /// ```
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        std::future::poll_fn(|cx| self.chan.poll_recv_many(cx, buffer, limit)).await
    }

    /// [`recv`](Self::recv) for synchronous code: blocks this thread until a message comes or
    /// the channel is closed and empty.
    ///
    /// # Panics
    ///
    /// Panics if called inside a filch task or `block_on`.
    ///
    /// ```
    /// let (tx, mut rx) = filch::sync::mpsc::channel(1);
    /// let t = std::thread::spawn(move || rx.blocking_recv());
    /// tx.try_send(1).unwrap();
    /// assert_eq!(t.join().unwrap(), Some(1));
    /// ```
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        crate::sync::blocking("Receiver::blocking_recv", self.recv())
    }

    /// [`recv_many`](Self::recv_many) for synchronous code: blocks this thread until at least
    /// one message comes (then takes up to `limit`), or the channel is closed and empty (0).
    ///
    /// # Panics
    ///
    /// Panics if called inside a filch task or `block_on`.
    ///
    /// ```
    /// let (tx, mut rx) = filch::sync::mpsc::channel(4);
    /// let t = std::thread::spawn(move || {
    ///     let mut buf = Vec::new();
    ///     let n = rx.blocking_recv_many(&mut buf, 2);
    ///     (n, buf)
    /// });
    /// tx.try_send(7).unwrap();
    /// let (n, buf) = t.join().unwrap();
    /// assert!(n >= 1 && buf[0] == 7);
    /// ```
    #[track_caller]
    pub fn blocking_recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        crate::sync::blocking(
            "Receiver::blocking_recv_many",
            self.recv_many(buffer, limit),
        )
    }

    /// Takes a queued message without waiting.
    ///
    /// ```
    /// use filch::sync::mpsc::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = mpsc::channel(1);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.chan.try_recv()
    }

    /// Closes the channel: further sends fail, but queued messages and messages of permits
    /// already handed out can still be received.
    ///
    /// ```
    /// let (tx, mut rx) = filch::sync::mpsc::channel(2);
    /// tx.try_send(1).unwrap();
    /// rx.close();
    /// assert!(tx.try_send(2).is_err());
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn close(&mut self) {
        self.chan.close();
    }

    /// Polls for the next message; `Ready(None)` once the channel is closed and empty. Only the
    /// waker of the last call is woken.
    ///
    /// ```
    /// use std::task::{Context, Poll};
    ///
    /// let (tx, mut rx) = filch::sync::mpsc::channel(1);
    /// let mut cx = Context::from_waker(std::task::Waker::noop());
    /// assert_eq!(rx.poll_recv(&mut cx), Poll::Pending);
    /// tx.try_send(3).unwrap();
    /// assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(3)));
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.chan.poll_recv(cx)
    }

    /// Polls for up to `limit` messages; see [`recv_many`](Self::recv_many).
    ///
    /// ```
    /// use std::task::{Context, Poll};
    ///
    /// let (tx, mut rx) = filch::sync::mpsc::channel(2);
    /// tx.try_send(1).unwrap();
    /// let mut buf = Vec::new();
    /// let mut cx = Context::from_waker(std::task::Waker::noop());
    /// assert_eq!(rx.poll_recv_many(&mut cx, &mut buf, 5), Poll::Ready(1));
    /// ```
    pub fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        self.chan.poll_recv_many(cx, buffer, limit)
    }

    /// How many messages are queued.
    ///
    /// ```
    /// let (tx, rx) = filch::sync::mpsc::channel(2);
    /// tx.try_send(1).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether no message is queued.
    ///
    /// ```
    /// let (_tx, rx) = filch::sync::mpsc::channel::<u8>(2);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the channel is closed: [`close`](Self::close) was called or every sender is
    /// gone. Queued messages may remain.
    ///
    /// ```
    /// let (tx, rx) = filch::sync::mpsc::channel::<u8>(2);
    /// assert!(!rx.is_closed());
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.rx_is_closed()
    }

    /// Free slots now; see [`Sender::capacity`].
    ///
    /// ```
    /// let (_tx, rx) = filch::sync::mpsc::channel::<u8>(2);
    /// assert_eq!(rx.capacity(), 2);
    /// ```
    pub fn capacity(&self) -> usize {
        self.chan.capacity()
    }

    /// The bound the channel was created with.
    ///
    /// ```
    /// let (_tx, rx) = filch::sync::mpsc::channel::<u8>(2);
    /// assert_eq!(rx.max_capacity(), 2);
    /// ```
    pub fn max_capacity(&self) -> usize {
        self.chan.bound().unwrap_or(usize::MAX)
    }

    /// How many [`Sender`]s the channel has.
    ///
    /// ```
    /// let (_tx, rx) = filch::sync::mpsc::channel::<u8>(2);
    /// assert_eq!(rx.sender_strong_count(), 1);
    /// ```
    pub fn sender_strong_count(&self) -> usize {
        self.chan.tx_count()
    }

    /// How many [`WeakSender`]s the channel has.
    ///
    /// ```
    /// let (tx, rx) = filch::sync::mpsc::channel::<u8>(2);
    /// let _w = tx.downgrade();
    /// assert_eq!(rx.sender_weak_count(), 1);
    /// ```
    pub fn sender_weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.drop_rx();
    }
}
