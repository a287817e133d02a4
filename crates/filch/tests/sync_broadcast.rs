//! `filch::sync::broadcast` through the facade's public paths.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use filch::runtime::{Builder, Runtime};
use filch::sync::broadcast::{self, error::RecvError, error::TryRecvError};

mod common;
use common::guard;

fn rt() -> Runtime {
    Builder::new().worker_threads(2).build().unwrap()
}

/// A message whose drops are counted (clones count too).
struct Counted(Arc<AtomicUsize>);
impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted(self.0.clone())
    }
}
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

struct CountWaker(AtomicUsize);
impl Wake for CountWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn every_receiver_sees_every_value() {
    guard("every_receiver_sees_every_value", || {
        rt().block_on(async {
            let (tx, rx1) = broadcast::channel(4);
            let rx2 = tx.subscribe();
            let mut handles = Vec::new();
            for mut rx in [rx1, rx2] {
                handles.push(filch::spawn(async move {
                    let mut got = Vec::new();
                    loop {
                        match rx.recv().await {
                            Ok(v) => got.push(v),
                            Err(RecvError::Closed) => return got,
                            Err(RecvError::Lagged(n)) => panic!("lagged by {n}"),
                        }
                    }
                }));
            }
            for i in 0..4 {
                assert_eq!(tx.send(i).unwrap(), 2);
            }
            drop(tx);
            for h in handles {
                assert_eq!(h.await.unwrap(), [0, 1, 2, 3]);
            }
        })
    });
}

#[test]
fn slow_receiver_lags_then_continues() {
    let (tx, mut rx) = broadcast::channel(2);
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(3)));
    assert_eq!(rx.try_recv(), Ok(3));
    tx.send(5).unwrap();
    tx.send(6).unwrap();
    tx.send(7).unwrap();
    guard("slow_receiver_lags_then_continues", move || {
        rt().block_on(async move {
            assert_eq!(
                rx.recv().await,
                Err(RecvError::Lagged(2)),
                "4 and 5 were pushed out"
            );
            assert_eq!(rx.recv().await, Ok(6));
            assert_eq!(rx.recv().await, Ok(7));
        })
    });
}

#[test]
fn send_without_receivers_fails_and_counts() {
    let (tx, rx) = broadcast::channel(2);
    assert_eq!(tx.receiver_count(), 1);
    let rx2 = rx.resubscribe();
    assert!(rx2.same_channel(&rx));
    assert_eq!(tx.receiver_count(), 2);
    drop((rx, rx2));
    assert_eq!(tx.receiver_count(), 0);
    assert_eq!(tx.send(1).unwrap_err().0, 1);
    let mut late = tx.subscribe();
    assert_eq!(late.try_recv(), Err(TryRecvError::Empty));
    tx.send(2).unwrap();
    assert_eq!(late.try_recv(), Ok(2));
}

#[test]
fn subscribe_and_resubscribe_start_at_the_tail() {
    let (tx, mut rx) = broadcast::channel(4);
    tx.send(1).unwrap();
    let mut sub = tx.subscribe();
    let mut resub = rx.resubscribe();
    tx.send(2).unwrap();
    assert_eq!(sub.try_recv(), Ok(2));
    assert_eq!(resub.try_recv(), Ok(2));
    assert_eq!(rx.try_recv(), Ok(1));
    assert_eq!(rx.try_recv(), Ok(2));
    assert!(rx.is_empty() && sub.is_empty());
}

#[test]
fn len_counts_values_not_seen_by_all() {
    let (tx, mut rx1) = broadcast::channel(4);
    let mut rx2 = tx.subscribe();
    assert!(tx.is_empty());
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert_eq!((tx.len(), rx1.len(), rx2.len()), (2, 2, 2));
    rx1.try_recv().unwrap();
    assert_eq!((tx.len(), rx1.len()), (2, 1));
    rx2.try_recv().unwrap();
    assert_eq!(tx.len(), 1, "the first value was seen by everyone");
    drop(rx2);
    assert_eq!(tx.len(), 1);
    rx1.try_recv().unwrap();
    assert!(tx.is_empty());
}

#[test]
fn values_are_dropped_once_seen_by_all() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx1) = broadcast::channel(8);
    let rx2 = tx.subscribe();
    tx.send(Counted(drops.clone())).ok().unwrap();
    drop(rx1.try_recv().ok().unwrap()); // a clone
    assert_eq!(drops.load(SeqCst), 1, "the stored value waits for rx2");
    drop(rx2);
    assert_eq!(
        drops.load(SeqCst),
        2,
        "the last receiver went: the stored value is dropped"
    );

    tx.send(Counted(drops.clone())).ok().unwrap();
    tx.send(Counted(drops.clone())).ok().unwrap();
    drop(rx1);
    assert_eq!(
        drops.load(SeqCst),
        4,
        "dropping the receiver drops its unseen values"
    );
}

#[test]
fn pushed_out_values_are_dropped() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, _rx) = broadcast::channel(1);
    tx.send(Counted(drops.clone())).ok().unwrap();
    tx.send(Counted(drops.clone())).ok().unwrap();
    assert_eq!(drops.load(SeqCst), 1);
}

#[test]
fn send_wakes_waiting_receivers_and_last_sender_drop_closes() {
    let count = Arc::new(CountWaker(AtomicUsize::new(0)));
    let waker = Waker::from(count.clone());
    let mut cx = Context::from_waker(&waker);
    let (tx, mut rx) = broadcast::channel::<u8>(2);
    let tx2 = tx.clone();
    {
        let mut recv = std::pin::pin!(rx.recv());
        assert!(recv.as_mut().poll(&mut cx).is_pending());
        tx.send(1).unwrap();
        assert_eq!(count.0.load(SeqCst), 1, "send must wake the receiver");
        assert_eq!(recv.as_mut().poll(&mut cx), Poll::Ready(Ok(1)));
    }
    {
        let mut recv = std::pin::pin!(rx.recv());
        assert!(recv.as_mut().poll(&mut cx).is_pending());
        drop(tx);
        assert_eq!(count.0.load(SeqCst), 1, "a sender remains");
        drop(tx2);
        assert_eq!(
            count.0.load(SeqCst),
            2,
            "the last sender's drop must wake the receiver"
        );
        assert_eq!(
            recv.as_mut().poll(&mut cx),
            Poll::Ready(Err(RecvError::Closed))
        );
    }
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn weak_sender() {
    let (tx, mut rx) = broadcast::channel::<u8>(2);
    let weak = tx.downgrade();
    let weak2 = weak.clone();
    let up = weak.upgrade().unwrap();
    assert!(up.same_channel(&tx));
    drop((tx, up));
    assert!(weak2.upgrade().is_none());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
#[should_panic(expected = "capacity > 0")]
fn zero_capacity_panics() {
    let _ = broadcast::channel::<u8>(0);
}

#[test]
fn errors_display() {
    assert_eq!(
        broadcast::error::SendError(1).to_string(),
        "broadcast channel has no receivers"
    );
    assert_eq!(RecvError::Closed.to_string(), "broadcast channel closed");
    assert_eq!(
        RecvError::Lagged(3).to_string(),
        "receiver lagged behind by 3 values"
    );
    assert_eq!(TryRecvError::Empty.to_string(), "broadcast channel empty");
}

#[test]
fn auto_traits() {
    let (_tx, mut rx) = broadcast::channel::<u8>(1);
    fn is_send<F: Send>(_: &F) {}
    is_send(&rx.recv());
    fn check<X: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    check::<broadcast::Sender<u8>>();
    check::<broadcast::Receiver<u8>>();
    check::<broadcast::WeakSender<u8>>();
}

#[test]
fn sender_closed_waits_for_the_last_receiver() {
    let c = Arc::new(CountWaker(AtomicUsize::new(0)));
    let w = Waker::from(c.clone());
    let mut cx = Context::from_waker(&w);
    let (tx, rx) = broadcast::channel::<u8>(2);
    let rx2 = tx.subscribe();
    {
        let mut closed = std::pin::pin!(tx.closed());
        assert!(closed.as_mut().poll(&mut cx).is_pending());
        drop(rx);
        assert_eq!(c.0.load(SeqCst), 0, "a receiver is left");
        assert!(closed.as_mut().poll(&mut cx).is_pending());
        drop(rx2);
        assert_eq!(
            c.0.load(SeqCst),
            1,
            "the last receiver's drop wakes closed()"
        );
        assert!(closed.as_mut().poll(&mut cx).is_ready());
    }
    assert!(
        std::pin::pin!(tx.closed()).poll(&mut cx).is_ready(),
        "no receiver: ready at once"
    );
    let _rx3 = tx.subscribe();
    assert!(
        std::pin::pin!(tx.closed()).poll(&mut cx).is_pending(),
        "subscribe opens the channel again"
    );
    guard("sender_closed_waits_for_the_last_receiver", move || {
        rt().block_on(async move {
            let rx = tx.subscribe();
            drop(_rx3);
            filch::spawn(async move { drop(rx) });
            tx.closed().await;
        })
    });
}

#[test]
fn sender_strong_and_weak_counts() {
    let (tx, _rx) = broadcast::channel::<u8>(2);
    assert_eq!((tx.strong_count(), tx.weak_count()), (1, 0));
    let tx2 = tx.clone();
    let weak = tx.downgrade();
    let weak2 = weak.clone();
    assert_eq!((tx.strong_count(), tx.weak_count()), (2, 2));
    assert_eq!((weak.strong_count(), weak.weak_count()), (2, 2));
    drop(tx2);
    drop(weak2);
    assert_eq!((weak.strong_count(), weak.weak_count()), (1, 1));
    drop(tx);
    assert_eq!(weak.strong_count(), 0);
    assert!(weak.upgrade().is_none());
}
