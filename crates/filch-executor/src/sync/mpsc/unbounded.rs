//! The unbounded channel: [`unbounded_channel`], [`UnboundedSender`], [`UnboundedReceiver`].

use std::fmt;
use std::task::{Context, Poll};

use super::bounded::Closed;
use super::chan::Chan;
use super::error::{SendError, TryRecvError};
use crate::loom::sync::Arc;

/// Creates a channel with no bound: [`UnboundedSender::send`] never waits.
///
/// Memory is the only limit, so prefer [`channel`](super::channel) when the receiver may fall
/// behind.
///
/// ```
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let (tx, mut rx) = filch::sync::mpsc::unbounded_channel();
///     tx.send(1).unwrap();
///     tx.send(2).unwrap();
///     drop(tx);
///     assert_eq!(rx.recv().await, Some(1));
///     assert_eq!(rx.recv().await, Some(2));
///     assert_eq!(rx.recv().await, None);
/// });
/// ```
pub fn unbounded_channel<T>() -> (UnboundedSender<T>, UnboundedReceiver<T>) {
    let chan = Arc::new(Chan::new(None));
    (
        UnboundedSender { chan: chan.clone() },
        UnboundedReceiver { chan },
    )
}

/// The sending half of an unbounded channel; clone it for more senders.
pub struct UnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

/// An unbounded sender that does not keep the channel open.
pub struct WeakUnboundedSender<T> {
    chan: Arc<Chan<T>>,
}

/// The receiving half of an unbounded channel. Dropping it drops every queued message.
pub struct UnboundedReceiver<T> {
    chan: Arc<Chan<T>>,
}

impl<T> fmt::Debug for UnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedSender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for WeakUnboundedSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakUnboundedSender")
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for UnboundedReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnboundedReceiver").finish_non_exhaustive()
    }
}

impl<T> UnboundedSender<T> {
    /// Queues `value`; fails, giving it back, if the receiver is closed or dropped.
    ///
    /// ```
    /// let (tx, rx) = filch::sync::mpsc::unbounded_channel();
    /// assert!(tx.send(1).is_ok());
    /// drop(rx);
    /// assert_eq!(tx.send(2).unwrap_err().0, 2);
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        self.chan.send_unbounded(value).map_err(SendError)
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
    ///     let (tx, mut rx) = filch::sync::mpsc::unbounded_channel::<()>();
    ///     rx.close();
    ///     tx.closed().await;
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
    /// let (tx, rx) = filch::sync::mpsc::unbounded_channel::<()>();
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.is_rx_closed()
    }

    /// A [`WeakUnboundedSender`] for this channel.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::mpsc::unbounded_channel::<()>();
    /// let weak = tx.downgrade();
    /// drop(tx);
    /// assert!(weak.upgrade().is_none());
    /// ```
    pub fn downgrade(&self) -> WeakUnboundedSender<T> {
        self.chan.inc_weak();
        WeakUnboundedSender {
            chan: self.chan.clone(),
        }
    }

    /// Whether both senders belong to the same channel.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::mpsc::unbounded_channel::<()>();
    /// assert!(tx.same_channel(&tx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// How many [`UnboundedSender`]s the channel has.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::mpsc::unbounded_channel::<()>();
    /// assert_eq!(tx.strong_count(), 1);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.chan.tx_count()
    }

    /// How many [`WeakUnboundedSender`]s the channel has.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::mpsc::unbounded_channel::<()>();
    /// let _w = tx.downgrade();
    /// assert_eq!(tx.weak_count(), 1);
    /// ```
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Clone for UnboundedSender<T> {
    fn clone(&self) -> Self {
        self.chan.inc_tx();
        UnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for UnboundedSender<T> {
    fn drop(&mut self) {
        self.chan.dec_tx();
    }
}

impl<T> WeakUnboundedSender<T> {
    /// An [`UnboundedSender`], if any still exists.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::mpsc::unbounded_channel::<()>();
    /// assert!(tx.downgrade().upgrade().is_some());
    /// ```
    pub fn upgrade(&self) -> Option<UnboundedSender<T>> {
        if self.chan.try_inc_tx() {
            Some(UnboundedSender {
                chan: self.chan.clone(),
            })
        } else {
            None
        }
    }

    /// How many [`UnboundedSender`]s the channel has.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::mpsc::unbounded_channel::<()>();
    /// let weak = tx.downgrade();
    /// assert_eq!(weak.strong_count(), 1);
    /// drop(tx);
    /// assert_eq!(weak.strong_count(), 0);
    /// ```
    pub fn strong_count(&self) -> usize {
        self.chan.tx_count()
    }

    /// How many [`WeakUnboundedSender`]s the channel has.
    ///
    /// ```
    /// let (tx, _rx) = filch::sync::mpsc::unbounded_channel::<()>();
    /// let weak = tx.downgrade();
    /// let _weak2 = weak.clone();
    /// assert_eq!(weak.weak_count(), 2);
    /// ```
    pub fn weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Clone for WeakUnboundedSender<T> {
    fn clone(&self) -> Self {
        self.chan.inc_weak();
        WeakUnboundedSender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for WeakUnboundedSender<T> {
    fn drop(&mut self) {
        self.chan.dec_weak();
    }
}

impl<T> UnboundedReceiver<T> {
    /// Receives the next message, waiting if none is queued; `None` once every sender is gone
    /// (or the channel was closed) and the queue is empty.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (tx, mut rx) = filch::sync::mpsc::unbounded_channel();
    ///     tx.send("a").unwrap();
    ///     assert_eq!(rx.recv().await, Some("a"));
    /// });
    /// ```
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.chan.poll_recv(cx)).await
    }

    /// Waits for at least one message, then moves up to `limit` of them into `buffer`.
    ///
    /// # Cancel safety
    ///
    /// Cancel-safe.
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (tx, mut rx) = filch::sync::mpsc::unbounded_channel();
    ///     tx.send(1).unwrap();
    ///     tx.send(2).unwrap();
    ///     let mut buf = vec![0];
    ///     assert_eq!(rx.recv_many(&mut buf, 10).await, 2);
    ///     assert_eq!(buf, [0, 1, 2]);
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
    /// let (tx, mut rx) = filch::sync::mpsc::unbounded_channel();
    /// std::thread::spawn(move || tx.send(1).unwrap());
    /// assert_eq!(rx.blocking_recv(), Some(1));
    /// assert_eq!(rx.blocking_recv(), None);
    /// ```
    #[track_caller]
    pub fn blocking_recv(&mut self) -> Option<T> {
        crate::sync::blocking("UnboundedReceiver::blocking_recv", self.recv())
    }

    /// [`recv_many`](Self::recv_many) for synchronous code: blocks this thread until at least
    /// one message comes (then takes up to `limit`), or the channel is closed and empty (0).
    ///
    /// # Panics
    ///
    /// Panics if called inside a filch task or `block_on`.
    ///
    /// ```
    /// let (tx, mut rx) = filch::sync::mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// tx.send(2).unwrap();
    /// drop(tx);
    /// let mut buf = Vec::new();
    /// assert_eq!(rx.blocking_recv_many(&mut buf, 5), 2);
    /// assert_eq!(rx.blocking_recv_many(&mut buf, 5), 0);
    /// assert_eq!(buf, [1, 2]);
    /// ```
    #[track_caller]
    pub fn blocking_recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        crate::sync::blocking(
            "UnboundedReceiver::blocking_recv_many",
            self.recv_many(buffer, limit),
        )
    }

    /// Takes a queued message without waiting.
    ///
    /// ```
    /// let (tx, mut rx) = filch::sync::mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        self.chan.try_recv()
    }

    /// Closes the channel: sends fail from now on; queued messages can still be received.
    ///
    /// ```
    /// let (tx, mut rx) = filch::sync::mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
    /// rx.close();
    /// assert!(tx.send(2).is_err());
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn close(&mut self) {
        self.chan.close();
    }

    /// Polls for the next message.
    ///
    /// ```
    /// use std::task::{Context, Poll};
    ///
    /// let (tx, mut rx) = filch::sync::mpsc::unbounded_channel::<u8>();
    /// let mut cx = Context::from_waker(std::task::Waker::noop());
    /// drop(tx);
    /// assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(None));
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.chan.poll_recv(cx)
    }

    /// Polls for up to `limit` messages.
    ///
    /// ```
    /// use std::task::{Context, Poll};
    ///
    /// let (tx, mut rx) = filch::sync::mpsc::unbounded_channel();
    /// tx.send(1).unwrap();
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
    /// let (tx, rx) = filch::sync::mpsc::unbounded_channel();
    /// tx.send(()).unwrap();
    /// assert_eq!(rx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether no message is queued.
    ///
    /// ```
    /// let (_tx, rx) = filch::sync::mpsc::unbounded_channel::<()>();
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the channel is closed (by [`close`](Self::close) or because every sender is
    /// gone).
    ///
    /// ```
    /// let (tx, rx) = filch::sync::mpsc::unbounded_channel::<()>();
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.rx_is_closed()
    }

    /// How many [`UnboundedSender`]s the channel has.
    ///
    /// ```
    /// let (_tx, rx) = filch::sync::mpsc::unbounded_channel::<()>();
    /// assert_eq!(rx.sender_strong_count(), 1);
    /// ```
    pub fn sender_strong_count(&self) -> usize {
        self.chan.tx_count()
    }

    /// How many [`WeakUnboundedSender`]s the channel has.
    ///
    /// ```
    /// let (tx, rx) = filch::sync::mpsc::unbounded_channel::<()>();
    /// let _w = tx.downgrade();
    /// assert_eq!(rx.sender_weak_count(), 1);
    /// ```
    pub fn sender_weak_count(&self) -> usize {
        self.chan.weak_count()
    }
}

impl<T> Drop for UnboundedReceiver<T> {
    fn drop(&mut self) {
        self.chan.drop_rx();
    }
}
