//! `filch::sync::oneshot` through the facade's public paths.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use filch::runtime::{Builder, Runtime};
use filch::sync::oneshot::{self, error::RecvError, error::TryRecvError};

mod common;
use common::guard;

fn rt() -> Runtime {
    Builder::new().worker_threads(2).build().unwrap()
}

fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
}

struct Counted(Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn send_then_await_across_tasks() {
    guard("send_then_await_across_tasks", || {
        rt().block_on(async {
            let (tx, rx) = oneshot::channel();
            let h = filch::spawn(rx);
            filch::task::yield_now().await;
            tx.send(String::from("hi")).unwrap();
            assert_eq!(h.await.unwrap(), Ok(String::from("hi")));
        })
    });
}

#[test]
fn dropped_sender_wakes_receiver_with_error() {
    guard("dropped_sender_wakes_receiver_with_error", || {
        rt().block_on(async {
            let (tx, rx) = oneshot::channel::<u8>();
            let h = filch::spawn(rx);
            filch::task::yield_now().await;
            drop(tx);
            let err = h.await.unwrap().unwrap_err();
            assert_eq!(err.to_string(), "the sender was dropped without sending");
            let _: &dyn std::error::Error = &err;
        })
    });
}

#[test]
fn send_to_dropped_or_closed_receiver_fails() {
    let (tx, rx) = oneshot::channel();
    drop(rx);
    assert!(tx.is_closed());
    assert_eq!(tx.send(1), Err(1));

    let (tx, mut rx) = oneshot::channel();
    assert!(!tx.is_closed());
    rx.close();
    assert!(tx.is_closed());
    assert_eq!(tx.send(2), Err(2));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn value_sent_before_close_is_received() {
    guard("value_sent_before_close_is_received", || {
        rt().block_on(async {
            let (tx, mut rx) = oneshot::channel();
            tx.send(5).unwrap();
            rx.close();
            assert_eq!(rx.await, Ok(5));
        })
    });
}

#[test]
fn closed_and_poll_closed() {
    guard("closed_and_poll_closed", || {
        rt().block_on(async {
            let (mut tx, rx) = oneshot::channel::<u8>();
            let mut cx = Context::from_waker(Waker::noop());
            assert!(tx.poll_closed(&mut cx).is_pending());
            let h = filch::spawn(async move {
                tx.closed().await;
                tx.is_closed()
            });
            filch::task::yield_now().await;
            drop(rx);
            assert!(h.await.unwrap());

            let (mut tx, mut rx) = oneshot::channel::<u8>();
            let h = filch::spawn(async move { tx.closed().await });
            filch::task::yield_now().await;
            rx.close();
            h.await.unwrap();
        })
    });
}

/// A waker that counts its wakes.
struct CountWaker(AtomicUsize);
impl std::task::Wake for CountWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counting() -> (Arc<CountWaker>, Waker) {
    let count = Arc::new(CountWaker(AtomicUsize::new(0)));
    let waker = Waker::from(count.clone());
    (count, waker)
}

#[test]
fn every_side_wakes_the_other() {
    // send wakes the receiver
    let (count, waker) = counting();
    let (tx, mut rx) = oneshot::channel();
    assert!(Pin::new(&mut rx)
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    tx.send(1).unwrap();
    assert_eq!(count.0.load(SeqCst), 1, "send must wake the receiver");

    // dropping the sender wakes the receiver
    let (count, waker) = counting();
    let (tx, mut rx) = oneshot::channel::<u8>();
    assert!(Pin::new(&mut rx)
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    drop(tx);
    assert_eq!(
        count.0.load(SeqCst),
        1,
        "dropping the sender must wake the receiver"
    );

    // dropping or closing the receiver wakes `poll_closed`
    for close in [false, true] {
        let (count, waker) = counting();
        let (mut tx, mut rx) = oneshot::channel::<u8>();
        assert!(tx
            .poll_closed(&mut Context::from_waker(&waker))
            .is_pending());
        if close {
            rx.close();
        } else {
            drop(rx);
        }
        assert_eq!(
            count.0.load(SeqCst),
            1,
            "close={close}: the sender was not woken"
        );
    }
}

#[test]
fn try_recv_states() {
    let (tx, mut rx) = oneshot::channel();
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert!(rx.is_empty() && !rx.is_terminated());
    tx.send(1).unwrap();
    assert!(!rx.is_empty() && !rx.is_terminated());
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(rx.is_empty() && rx.is_terminated());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));

    let (tx, mut rx) = oneshot::channel::<u8>();
    drop(tx);
    assert!(rx.is_empty());
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    assert_eq!(TryRecvError::Empty.to_string(), "no value sent yet");
    assert_eq!(TryRecvError::Closed.to_string(), "the channel is closed");
}

#[test]
fn receiver_future_terminates() {
    let (tx, mut rx) = oneshot::channel();
    assert!(poll_once(&mut rx).is_pending());
    assert!(!rx.is_terminated());
    tx.send(3).unwrap();
    assert_eq!(poll_once(&mut rx), Poll::Ready(Ok(3)));
    assert!(rx.is_terminated());

    let (tx, mut rx) = oneshot::channel::<u8>();
    drop(tx);
    assert!(!rx.is_terminated());
    assert!(matches!(
        poll_once(&mut rx),
        Poll::Ready(Err(RecvError { .. }))
    ));
    assert!(rx.is_terminated());
}

#[test]
#[should_panic(expected = "polled after it completed")]
fn polling_after_completion_panics() {
    let (tx, mut rx) = oneshot::channel();
    tx.send(1).unwrap();
    let _ = poll_once(&mut rx);
    let _ = poll_once(&mut rx);
}

#[test]
fn unreceived_value_dropped_with_receiver() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = oneshot::channel();
    tx.send(Counted(drops.clone())).ok().unwrap();
    assert_eq!(drops.load(SeqCst), 0);
    drop(rx);
    assert_eq!(drops.load(SeqCst), 1);

    let (tx, rx) = oneshot::channel();
    drop(rx);
    let back = tx.send(Counted(drops.clone())).err().unwrap();
    assert_eq!(
        drops.load(SeqCst),
        1,
        "a refused value comes back, not dropped"
    );
    drop(back);
    assert_eq!(drops.load(SeqCst), 2);
}

#[test]
fn send_from_another_thread_many_times() {
    guard("send_from_another_thread_many_times", || {
        let rt = rt();
        for i in 0..200 {
            let (tx, rx) = oneshot::channel();
            let t = thread::spawn(move || tx.send(i));
            assert_eq!(rt.block_on(rx), Ok(i));
            t.join().unwrap().unwrap();
        }
    });
}

/// With one worker, a task awaiting receivers whose values are ready must still yield now and
/// then (the coop budget): a task it spawned gets to run before it finishes.
#[test]
fn recv_spends_coop_budget() {
    guard("recv_spends_coop_budget", || {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        let saw_other = rt.block_on(async {
            filch::spawn(async {
                let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
                let r = ran.clone();
                filch::spawn(async move { r.store(true, SeqCst) });
                for i in 0..1000 {
                    let (tx, rx) = oneshot::channel();
                    tx.send(i).unwrap();
                    assert_eq!(rx.await, Ok(i));
                }
                ran.load(SeqCst)
            })
            .await
            .unwrap()
        });
        assert!(saw_other, "the receiving task never yielded");
    });
}

#[test]
fn auto_traits() {
    fn check<X: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    check::<oneshot::Sender<u8>>();
    check::<oneshot::Receiver<u8>>();
}

#[test]
fn blocking_recv_from_a_thread() {
    guard("blocking_recv_from_a_thread", || {
        let (tx, rx) = oneshot::channel();
        let t = thread::spawn(move || rx.blocking_recv());
        // Give the thread time to block first, so the wait (not only the fast path) runs.
        thread::sleep(Duration::from_millis(100));
        tx.send(4).unwrap();
        assert_eq!(t.join().unwrap(), Ok(4));
        let (tx, rx) = oneshot::channel::<u8>();
        drop(tx);
        assert!(rx.blocking_recv().is_err());
    });
}
