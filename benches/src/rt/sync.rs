//! [`SyncRt`] and [`BroadcastRt`]: the synchronisation primitives the sync workloads need,
//! each runtime with its own (filch: `filch::sync`; tokio: `tokio::sync`; smol: `async-channel`
//! and `async-lock`, the crates smol re-exports or builds on).
//!
//! smol has no oneshot channel of its own: its oneshot is an `async-channel` bounded to 1, the
//! way smol's users write one. No broadcast crate is available to this build for smol, so only
//! filch and tokio implement [`BroadcastRt`].

use std::future::Future;

use super::{Filch, Rt, Smol, Tokio};

/// Channels, a mutex and a semaphore, each the runtime's own.
///
/// The operations panic where the workload could only continue wrongly (a send on a channel
/// whose receiver is gone), so a broken primitive shows up as a failed run, not a fast one.
pub trait SyncRt: Rt {
    /// The sending half of a bounded multi-producer channel.
    type BoundedTx<T: Send + 'static>: Clone + Send + Sync + 'static;
    /// The receiving half of a bounded multi-producer channel.
    type BoundedRx<T: Send + 'static>: Send + 'static;
    /// The sending half of an unbounded multi-producer channel.
    type UnboundedTx<T: Send + 'static>: Clone + Send + Sync + 'static;
    /// The receiving half of an unbounded multi-producer channel.
    type UnboundedRx<T: Send + 'static>: Send + 'static;
    /// The sending half of a one-message channel.
    type OneshotTx<T: Send + 'static>: Send + 'static;
    /// The receiving half of a one-message channel.
    type OneshotRx<T: Send + 'static>: Send + 'static;
    /// An async mutex around a `u64`.
    type Mutex: Send + Sync + 'static;
    /// An async counting semaphore.
    type Semaphore: Send + Sync + 'static;

    /// A bounded channel with room for `capacity` messages.
    fn bounded<T: Send + 'static>(capacity: usize) -> (Self::BoundedTx<T>, Self::BoundedRx<T>);
    /// Sends `value`, waiting for room; panics if the receiver is gone.
    fn send_bounded<T: Send + 'static>(
        tx: &Self::BoundedTx<T>,
        value: T,
    ) -> impl Future<Output = ()> + Send;
    /// The next message, or `None` once every sender is gone and the channel is empty.
    fn recv_bounded<T: Send + 'static>(
        rx: &mut Self::BoundedRx<T>,
    ) -> impl Future<Output = Option<T>> + Send;

    /// An unbounded channel.
    fn unbounded<T: Send + 'static>() -> (Self::UnboundedTx<T>, Self::UnboundedRx<T>);
    /// Sends `value`; panics if the receiver is gone.
    fn send_unbounded<T: Send + 'static>(tx: &Self::UnboundedTx<T>, value: T);
    /// The next message, or `None` once every sender is gone and the channel is empty.
    fn recv_unbounded<T: Send + 'static>(
        rx: &mut Self::UnboundedRx<T>,
    ) -> impl Future<Output = Option<T>> + Send;

    /// A one-message channel.
    fn oneshot<T: Send + 'static>() -> (Self::OneshotTx<T>, Self::OneshotRx<T>);
    /// Sends the message; panics if the receiver is gone.
    fn send_oneshot<T: Send + 'static>(tx: Self::OneshotTx<T>, value: T);
    /// The message, or `None` if the sender was dropped without sending.
    fn recv_oneshot<T: Send + 'static>(
        rx: Self::OneshotRx<T>,
    ) -> impl Future<Output = Option<T>> + Send;

    /// A mutex holding `value`.
    fn mutex(value: u64) -> Self::Mutex;
    /// Locks `mutex`, reads the value, awaits `while_held` with the lock held, then writes the
    /// value read plus one: without mutual exclusion, increments would be lost.
    fn increment_locked<F: Future<Output = ()> + Send>(
        mutex: &Self::Mutex,
        while_held: F,
    ) -> impl Future<Output = ()> + Send;
    /// The value, read under the lock.
    fn mutex_value(mutex: &Self::Mutex) -> impl Future<Output = u64> + Send;

    /// A semaphore with `permits` permits.
    fn semaphore(permits: usize) -> Self::Semaphore;
    /// Acquires a permit, awaits `while_held`, then releases the permit.
    fn with_permit<F: Future + Send>(
        semaphore: &Self::Semaphore,
        while_held: F,
    ) -> impl Future<Output = F::Output> + Send;
}

/// A broadcast channel, the runtime's own: every receiver sees every message.
pub trait BroadcastRt: SyncRt {
    /// The sending half.
    type BroadcastTx<T: Clone + Send + Sync + 'static>: Send + Sync + 'static;
    /// A receiver.
    type BroadcastRx<T: Clone + Send + Sync + 'static>: Send + 'static;

    /// A broadcast channel that keeps the last `capacity` messages.
    fn broadcast<T: Clone + Send + Sync + 'static>(
        capacity: usize,
    ) -> (Self::BroadcastTx<T>, Self::BroadcastRx<T>);
    /// A new receiver that sees the messages sent from now on.
    fn subscribe<T: Clone + Send + Sync + 'static>(
        tx: &Self::BroadcastTx<T>,
    ) -> Self::BroadcastRx<T>;
    /// Sends `value` to every receiver; panics if there is none.
    fn send_broadcast<T: Clone + Send + Sync + 'static>(tx: &Self::BroadcastTx<T>, value: T);
    /// The next message, or `None` once the sender is gone; panics if this receiver fell so far
    /// behind that it missed messages.
    fn recv_broadcast<T: Clone + Send + Sync + 'static>(
        rx: &mut Self::BroadcastRx<T>,
    ) -> impl Future<Output = Option<T>> + Send;
}

/// The `SyncRt` and `BroadcastRt` implementations of filch and tokio, whose `sync` modules
/// share one API shape (filch follows tokio's names).
macro_rules! tokio_shaped {
    ($rt:ty, $sync:ident) => {
        impl SyncRt for $rt {
            type BoundedTx<T: Send + 'static> = $sync::mpsc::Sender<T>;
            type BoundedRx<T: Send + 'static> = $sync::mpsc::Receiver<T>;
            type UnboundedTx<T: Send + 'static> = $sync::mpsc::UnboundedSender<T>;
            type UnboundedRx<T: Send + 'static> = $sync::mpsc::UnboundedReceiver<T>;
            type OneshotTx<T: Send + 'static> = $sync::oneshot::Sender<T>;
            type OneshotRx<T: Send + 'static> = $sync::oneshot::Receiver<T>;
            type Mutex = $sync::Mutex<u64>;
            type Semaphore = $sync::Semaphore;

            fn bounded<T: Send + 'static>(
                capacity: usize,
            ) -> (Self::BoundedTx<T>, Self::BoundedRx<T>) {
                $sync::mpsc::channel(capacity)
            }

            async fn send_bounded<T: Send + 'static>(tx: &Self::BoundedTx<T>, value: T) {
                if tx.send(value).await.is_err() {
                    panic!("{}: bounded receiver dropped", Self::NAME);
                }
            }

            fn recv_bounded<T: Send + 'static>(
                rx: &mut Self::BoundedRx<T>,
            ) -> impl Future<Output = Option<T>> + Send {
                rx.recv()
            }

            fn unbounded<T: Send + 'static>() -> (Self::UnboundedTx<T>, Self::UnboundedRx<T>) {
                $sync::mpsc::unbounded_channel()
            }

            fn send_unbounded<T: Send + 'static>(tx: &Self::UnboundedTx<T>, value: T) {
                if tx.send(value).is_err() {
                    panic!("{}: unbounded receiver dropped", Self::NAME);
                }
            }

            fn recv_unbounded<T: Send + 'static>(
                rx: &mut Self::UnboundedRx<T>,
            ) -> impl Future<Output = Option<T>> + Send {
                rx.recv()
            }

            fn oneshot<T: Send + 'static>() -> (Self::OneshotTx<T>, Self::OneshotRx<T>) {
                $sync::oneshot::channel()
            }

            fn send_oneshot<T: Send + 'static>(tx: Self::OneshotTx<T>, value: T) {
                if tx.send(value).is_err() {
                    panic!("{}: oneshot receiver dropped", Self::NAME);
                }
            }

            async fn recv_oneshot<T: Send + 'static>(rx: Self::OneshotRx<T>) -> Option<T> {
                rx.await.ok()
            }

            fn mutex(value: u64) -> Self::Mutex {
                $sync::Mutex::new(value)
            }

            async fn increment_locked<F: Future<Output = ()> + Send>(
                mutex: &Self::Mutex,
                while_held: F,
            ) {
                let mut guard = mutex.lock().await;
                let read = *guard;
                while_held.await;
                *guard = read + 1;
            }

            async fn mutex_value(mutex: &Self::Mutex) -> u64 {
                *mutex.lock().await
            }

            fn semaphore(permits: usize) -> Self::Semaphore {
                $sync::Semaphore::new(permits)
            }

            async fn with_permit<F: Future + Send>(
                semaphore: &Self::Semaphore,
                while_held: F,
            ) -> F::Output {
                let permit = semaphore.acquire().await;
                let permit = match permit {
                    Ok(permit) => permit,
                    Err(_) => panic!("{}: semaphore closed", Self::NAME),
                };
                let output = while_held.await;
                drop(permit);
                output
            }
        }

        impl BroadcastRt for $rt {
            type BroadcastTx<T: Clone + Send + Sync + 'static> = $sync::broadcast::Sender<T>;
            type BroadcastRx<T: Clone + Send + Sync + 'static> = $sync::broadcast::Receiver<T>;

            fn broadcast<T: Clone + Send + Sync + 'static>(
                capacity: usize,
            ) -> (Self::BroadcastTx<T>, Self::BroadcastRx<T>) {
                $sync::broadcast::channel(capacity)
            }

            fn subscribe<T: Clone + Send + Sync + 'static>(
                tx: &Self::BroadcastTx<T>,
            ) -> Self::BroadcastRx<T> {
                tx.subscribe()
            }

            fn send_broadcast<T: Clone + Send + Sync + 'static>(
                tx: &Self::BroadcastTx<T>,
                value: T,
            ) {
                if tx.send(value).is_err() {
                    panic!("{}: no broadcast receiver", Self::NAME);
                }
            }

            async fn recv_broadcast<T: Clone + Send + Sync + 'static>(
                rx: &mut Self::BroadcastRx<T>,
            ) -> Option<T> {
                use $sync::broadcast::error::RecvError;
                match rx.recv().await {
                    Ok(value) => Some(value),
                    Err(RecvError::Closed) => None,
                    Err(RecvError::Lagged(missed)) => {
                        panic!("{}: a broadcast receiver missed {missed}", Self::NAME)
                    }
                }
            }
        }
    };
}

use filch::sync as filch_sync;
use tokio::sync as tokio_sync;

tokio_shaped!(Filch, filch_sync);
tokio_shaped!(Tokio, tokio_sync);

impl SyncRt for Smol {
    type BoundedTx<T: Send + 'static> = async_channel::Sender<T>;
    type BoundedRx<T: Send + 'static> = async_channel::Receiver<T>;
    type UnboundedTx<T: Send + 'static> = async_channel::Sender<T>;
    type UnboundedRx<T: Send + 'static> = async_channel::Receiver<T>;
    type OneshotTx<T: Send + 'static> = async_channel::Sender<T>;
    type OneshotRx<T: Send + 'static> = async_channel::Receiver<T>;
    type Mutex = async_lock::Mutex<u64>;
    type Semaphore = async_lock::Semaphore;

    fn bounded<T: Send + 'static>(capacity: usize) -> (Self::BoundedTx<T>, Self::BoundedRx<T>) {
        async_channel::bounded(capacity)
    }

    async fn send_bounded<T: Send + 'static>(tx: &Self::BoundedTx<T>, value: T) {
        if tx.send(value).await.is_err() {
            panic!("smol: bounded receiver dropped");
        }
    }

    async fn recv_bounded<T: Send + 'static>(rx: &mut Self::BoundedRx<T>) -> Option<T> {
        rx.recv().await.ok()
    }

    fn unbounded<T: Send + 'static>() -> (Self::UnboundedTx<T>, Self::UnboundedRx<T>) {
        async_channel::unbounded()
    }

    fn send_unbounded<T: Send + 'static>(tx: &Self::UnboundedTx<T>, value: T) {
        if tx.try_send(value).is_err() {
            panic!("smol: unbounded receiver dropped");
        }
    }

    async fn recv_unbounded<T: Send + 'static>(rx: &mut Self::UnboundedRx<T>) -> Option<T> {
        rx.recv().await.ok()
    }

    fn oneshot<T: Send + 'static>() -> (Self::OneshotTx<T>, Self::OneshotRx<T>) {
        async_channel::bounded(1)
    }

    fn send_oneshot<T: Send + 'static>(tx: Self::OneshotTx<T>, value: T) {
        if tx.try_send(value).is_err() {
            panic!("smol: oneshot receiver dropped");
        }
    }

    async fn recv_oneshot<T: Send + 'static>(rx: Self::OneshotRx<T>) -> Option<T> {
        rx.recv().await.ok()
    }

    fn mutex(value: u64) -> Self::Mutex {
        async_lock::Mutex::new(value)
    }

    async fn increment_locked<F: Future<Output = ()> + Send>(mutex: &Self::Mutex, while_held: F) {
        let mut guard = mutex.lock().await;
        let read = *guard;
        while_held.await;
        *guard = read + 1;
    }

    async fn mutex_value(mutex: &Self::Mutex) -> u64 {
        *mutex.lock().await
    }

    fn semaphore(permits: usize) -> Self::Semaphore {
        async_lock::Semaphore::new(permits)
    }

    async fn with_permit<F: Future + Send>(
        semaphore: &Self::Semaphore,
        while_held: F,
    ) -> F::Output {
        let permit = semaphore.acquire().await;
        let output = while_held.await;
        drop(permit);
        output
    }
}
