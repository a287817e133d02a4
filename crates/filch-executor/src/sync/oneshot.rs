//! A channel for exactly one value: [`channel`], [`Sender`], [`Receiver`].
//!
//! The [`Receiver`] is itself a future: awaiting it gives the value, or [`error::RecvError`] if
//! the sender was dropped without sending. The sender can wait for the receiver to lose
//! interest with [`Sender::closed`]. The API follows `tokio::sync::oneshot`.
//!
//! ```
//! let rt = filch::runtime::Runtime::new().unwrap();
//! rt.block_on(async {
//!     let (tx, rx) = filch::sync::oneshot::channel();
//!     filch::spawn(async move {
//!         let _ = tx.send(6 * 7);
//!     });
//!     assert_eq!(rx.await, Ok(42));
//! });
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::sync::{Arc, Mutex};

/// The errors of the oneshot channel.
pub mod error {
    use std::fmt;

    /// The sender was dropped without sending (returned by awaiting the receiver).
    ///
    /// ```
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let (tx, rx) = filch::sync::oneshot::channel::<u8>();
    ///     drop(tx);
    ///     let err: filch::sync::oneshot::error::RecvError = rx.await.unwrap_err();
    ///     assert_eq!(err.to_string(), "the sender was dropped without sending");
    /// });
    /// ```
    #[derive(Debug, PartialEq, Eq, Clone)]
    pub struct RecvError(pub(super) ());

    impl fmt::Display for RecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the sender was dropped without sending")
        }
    }

    impl std::error::Error for RecvError {}

    /// Why [`Receiver::try_recv`](super::Receiver::try_recv) returned no value.
    ///
    /// ```
    /// use filch::sync::oneshot::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = oneshot::channel::<u8>();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// drop(tx);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    #[derive(Debug, PartialEq, Eq, Clone, Copy)]
    pub enum TryRecvError {
        /// No value yet, but the sender may still send one.
        Empty,
        /// No value and none can come: the sender is gone, the receiver closed, or the value
        /// was already taken.
        Closed,
    }

    impl fmt::Display for TryRecvError {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                TryRecvError::Empty => f.write_str("no value sent yet"),
                TryRecvError::Closed => f.write_str("the channel is closed"),
            }
        }
    }

    impl std::error::Error for TryRecvError {}
}

use error::{RecvError, TryRecvError};

struct Inner<T> {
    state: Mutex<State<T>>,
}

// No user code runs while the lock is held (values are dropped and wakers woken after it is
// released), so a panic cannot leave the state half-updated.
impl<T> std::panic::UnwindSafe for Inner<T> {}
impl<T> std::panic::RefUnwindSafe for Inner<T> {}

struct State<T> {
    value: Option<T>,
    /// The sender sent or was dropped.
    tx_done: bool,
    /// The receiver closed or was dropped.
    rx_closed: bool,
    rx_waker: Option<Waker>,
    tx_waker: Option<Waker>,
}

/// Creates a oneshot channel.
///
/// ```
/// let (tx, mut rx) = filch::sync::oneshot::channel();
/// tx.send("done").unwrap();
/// assert_eq!(rx.try_recv(), Ok("done"));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let inner = Arc::new(Inner {
        state: Mutex::new(State {
            value: None,
            tx_done: false,
            rx_closed: false,
            rx_waker: None,
            tx_waker: None,
        }),
    });
    (
        Sender {
            inner: Some(inner.clone()),
        },
        Receiver { inner: Some(inner) },
    )
}

/// Sends the channel's one value. Dropping it unsent makes the receiver fail with
/// [`RecvError`].
pub struct Sender<T> {
    /// `None` once `send` consumed it.
    inner: Option<Arc<Inner<T>>>,
}

/// Receives the channel's one value; await it (it is a future).
///
/// Dropping it closes the channel and drops a value that was sent but not received.
pub struct Receiver<T> {
    /// `None` once the future completed (or `try_recv` returned a final answer).
    inner: Option<Arc<Inner<T>>>,
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

impl<T> Sender<T> {
    /// Sends `value`, or gives it back if the receiver is closed or dropped.
    ///
    /// `Ok` does not mean the value will be received: the receiver may still be dropped first.
    ///
    /// ```
    /// let (tx, rx) = filch::sync::oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send(3), Err(3));
    /// ```
    pub fn send(mut self, value: T) -> Result<(), T> {
        let inner = self
            .inner
            .take()
            .expect("the sender holds the channel until it sends");
        let waker = {
            let mut s = inner.state.lock();
            if s.rx_closed {
                s.tx_done = true;
                drop(s);
                return Err(value);
            }
            s.value = Some(value);
            s.tx_done = true;
            s.rx_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
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
    ///     let (mut tx, rx) = filch::sync::oneshot::channel::<()>();
    ///     filch::spawn(async move { drop(rx) });
    ///     tx.closed().await;
    ///     assert!(tx.is_closed());
    /// });
    /// ```
    pub async fn closed(&mut self) {
        std::future::poll_fn(|cx| self.poll_closed(cx)).await
    }

    /// Whether the receiver is closed or dropped.
    ///
    /// ```
    /// let (tx, mut rx) = filch::sync::oneshot::channel::<()>();
    /// assert!(!tx.is_closed());
    /// rx.close();
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        match &self.inner {
            Some(inner) => inner.state.lock().rx_closed,
            None => true,
        }
    }

    /// Polls for the receiver to be closed or dropped; only the last waker given is woken.
    ///
    /// ```
    /// use std::task::{Context, Poll};
    ///
    /// let (mut tx, rx) = filch::sync::oneshot::channel::<()>();
    /// let mut cx = Context::from_waker(std::task::Waker::noop());
    /// assert!(tx.poll_closed(&mut cx).is_pending());
    /// drop(rx);
    /// assert!(tx.poll_closed(&mut cx).is_ready());
    /// ```
    pub fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let guard = match crate::coop::poll_proceed(cx) {
            Poll::Ready(g) => g,
            Poll::Pending => return Poll::Pending,
        };
        let inner = self
            .inner
            .as_ref()
            .expect("the sender holds the channel until it sends");
        let mut s = inner.state.lock();
        if s.rx_closed {
            drop(s);
            guard.made_progress();
            return Poll::Ready(());
        }
        if !s.tx_waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            s.tx_waker = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            let waker = {
                let mut s = inner.state.lock();
                s.tx_done = true;
                s.rx_waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        }
    }
}

impl<T> Receiver<T> {
    /// Takes the value if it has been sent, without waiting.
    ///
    /// After it returns a value or [`TryRecvError::Closed`], later calls return `Closed`.
    ///
    /// ```
    /// use filch::sync::oneshot::{self, error::TryRecvError};
    ///
    /// let (tx, mut rx) = oneshot::channel();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let Some(inner) = &self.inner else {
            return Err(TryRecvError::Closed);
        };
        let out = {
            let mut s = inner.state.lock();
            if let Some(value) = s.value.take() {
                Ok(value)
            } else if s.tx_done || s.rx_closed {
                Err(TryRecvError::Closed)
            } else {
                return Err(TryRecvError::Empty);
            }
        };
        self.inner = None;
        out
    }

    /// Awaits the value from synchronous code, blocking this thread.
    ///
    /// # Panics
    ///
    /// Panics if called inside a filch task or `block_on`.
    ///
    /// ```
    /// let (tx, rx) = filch::sync::oneshot::channel();
    /// std::thread::spawn(move || tx.send(8).unwrap());
    /// assert_eq!(rx.blocking_recv(), Ok(8));
    /// ```
    #[track_caller]
    pub fn blocking_recv(self) -> Result<T, RecvError> {
        crate::sync::blocking("oneshot::Receiver::blocking_recv", self)
    }

    /// Closes the channel: the sender's `send` fails from now on and [`Sender::closed`]
    /// completes. A value sent before the close can still be received.
    ///
    /// ```
    /// let (tx, mut rx) = filch::sync::oneshot::channel();
    /// tx.send(1).unwrap();
    /// rx.close();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    pub fn close(&mut self) {
        if let Some(inner) = &self.inner {
            let waker = {
                let mut s = inner.state.lock();
                s.rx_closed = true;
                s.tx_waker.take()
            };
            if let Some(w) = waker {
                w.wake();
            }
        }
    }

    /// Whether the receiver has completed: awaiting it returned, or `try_recv` returned a value
    /// or `Closed`. Polling it again then panics.
    ///
    /// ```
    /// let (tx, mut rx) = filch::sync::oneshot::channel();
    /// assert!(!rx.is_terminated());
    /// tx.send(1).unwrap();
    /// assert!(!rx.is_terminated());
    /// rx.try_recv().unwrap();
    /// assert!(rx.is_terminated());
    /// ```
    pub fn is_terminated(&self) -> bool {
        self.inner.is_none()
    }

    /// Whether no value is waiting to be received (none sent yet, sender gone, or already
    /// received).
    ///
    /// ```
    /// let (tx, rx) = filch::sync::oneshot::channel();
    /// assert!(rx.is_empty());
    /// tx.send(1).unwrap();
    /// assert!(!rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        match &self.inner {
            Some(inner) => inner.state.lock().value.is_none(),
            None => true,
        }
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    /// # Panics
    ///
    /// Panics if polled after it completed (see [`Receiver::is_terminated`]).
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let guard = match crate::coop::poll_proceed(cx) {
            Poll::Ready(g) => g,
            Poll::Pending => return Poll::Pending,
        };
        let inner = self
            .inner
            .as_ref()
            .expect("oneshot::Receiver polled after it completed");
        let out = {
            let mut s = inner.state.lock();
            if let Some(value) = s.value.take() {
                Ok(value)
            } else if s.tx_done || s.rx_closed {
                Err(RecvError(()))
            } else {
                if !s.rx_waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    s.rx_waker = Some(cx.waker().clone());
                }
                return Poll::Pending;
            }
        };
        self.inner = None;
        guard.made_progress();
        Poll::Ready(out)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            let (waker, value) = {
                let mut s = inner.state.lock();
                s.rx_closed = true;
                (s.tx_waker.take(), s.value.take())
            };
            if let Some(w) = waker {
                w.wake();
            }
            drop(value);
        }
    }
}
