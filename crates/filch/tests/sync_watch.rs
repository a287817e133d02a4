//! `filch::sync::watch` through the facade's public paths.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use filch::runtime::{Builder, Runtime};
use filch::sync::watch;

mod common;
use common::guard;

fn rt() -> Runtime {
    Builder::new().worker_threads(2).build().unwrap()
}

struct CountWaker(AtomicUsize);
impl Wake for CountWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counting() -> (Arc<CountWaker>, Waker) {
    let c = Arc::new(CountWaker(AtomicUsize::new(0)));
    let w = Waker::from(c.clone());
    (c, w)
}

#[test]
fn receivers_follow_the_latest_value() {
    guard("receivers_follow_the_latest_value", || {
        rt().block_on(async {
            let (tx, mut rx) = watch::channel(0);
            let h = filch::spawn(async move {
                let mut last = 0;
                while rx.changed().await.is_ok() {
                    let v = *rx.borrow_and_update();
                    assert!(v > last, "values only move forward");
                    last = v;
                }
                last
            });
            for i in 1..=100 {
                tx.send(i).unwrap();
                if i % 10 == 0 {
                    filch::task::yield_now().await;
                }
            }
            drop(tx);
            assert_eq!(h.await.unwrap(), 100, "the last value is always seen");
        })
    });
}

#[test]
fn send_variants() {
    let (tx, mut rx) = watch::channel(vec![1]);
    tx.send_modify(|v| v.push(2));
    assert!(rx.has_changed().unwrap());
    assert_eq!(*rx.borrow_and_update(), [1, 2]);
    assert!(!tx.send_if_modified(|v| {
        v.push(3);
        false
    }));
    assert!(!rx.has_changed().unwrap(), "unmodified: no notification");
    assert_eq!(*rx.borrow(), [1, 2, 3], "the change itself is kept");
    assert!(tx.send_if_modified(|v| {
        v.clear();
        true
    }));
    assert!(rx.has_changed().unwrap());
    assert_eq!(tx.send_replace(vec![9]), Vec::<i32>::new());
    assert_eq!(*tx.borrow(), [9]);
    assert!(!tx.borrow().has_changed());
    drop(rx);
    assert_eq!(tx.send(vec![1]).unwrap_err().0, [1]);
    assert_eq!(*tx.borrow(), [9], "a failed send does not store");
    tx.send_replace(vec![7]);
    assert_eq!(*tx.borrow(), [7], "send_replace stores without receivers");
}

#[test]
fn borrow_marks_and_mark_methods() {
    let (tx, mut rx) = watch::channel(0);
    assert!(!rx.borrow().has_changed());
    tx.send(1).unwrap();
    assert!(rx.borrow().has_changed());
    assert!(rx.has_changed().unwrap(), "borrow does not mark seen");
    let r = rx.borrow_and_update();
    assert!(r.has_changed());
    assert_eq!(format!("{r:?}"), "1");
    drop(r);
    assert!(!rx.has_changed().unwrap());
    rx.mark_changed();
    assert!(rx.has_changed().unwrap());
    rx.mark_unchanged();
    assert!(!rx.has_changed().unwrap());
}

#[test]
fn changed_waits_and_wakes() {
    let (c, w) = counting();
    let mut cx = Context::from_waker(&w);
    let (tx, mut rx) = watch::channel(0);
    {
        let mut ch = std::pin::pin!(rx.changed());
        assert!(ch.as_mut().poll(&mut cx).is_pending());
        tx.send(1).unwrap();
        assert_eq!(c.0.load(SeqCst), 1, "send must wake changed()");
        assert_eq!(ch.as_mut().poll(&mut cx), Poll::Ready(Ok(())));
    }
    assert!(!rx.has_changed().unwrap(), "changed() marks seen");
    rx.mark_changed();
    assert!(std::pin::pin!(rx.changed()).poll(&mut cx).is_ready());
    {
        let mut ch = std::pin::pin!(rx.changed());
        assert!(ch.as_mut().poll(&mut cx).is_pending());
        drop(tx);
        assert_eq!(
            c.0.load(SeqCst),
            2,
            "dropping the sender must wake changed()"
        );
        assert!(matches!(ch.as_mut().poll(&mut cx), Poll::Ready(Err(_))));
    }
    assert!(rx.has_changed().is_err());
}

#[test]
fn changed_reports_an_unseen_value_before_the_close() {
    guard("changed_reports_an_unseen_value_before_the_close", || {
        rt().block_on(async {
            let (tx, mut rx) = watch::channel(0);
            tx.send(1).unwrap();
            drop(tx);
            assert!(rx.changed().await.is_ok());
            assert_eq!(*rx.borrow(), 1);
            assert!(rx.changed().await.is_err());
        })
    });
}

#[test]
fn wait_for_checks_current_then_changes() {
    guard("wait_for_checks_current_then_changes", || {
        rt().block_on(async {
            let (tx, mut rx) = watch::channel(5);
            assert_eq!(*rx.wait_for(|v| *v == 5).await.unwrap(), 5);
            let h = filch::spawn(async move {
                let r = rx
                    .wait_for(|v| *v >= 10)
                    .await
                    .map(|r| (*r, r.has_changed()));
                (r, rx)
            });
            for i in 6..=12 {
                tx.send(i).unwrap();
                filch::task::yield_now().await;
            }
            let (r, mut rx) = h.await.unwrap();
            let (v, changed) = r.unwrap();
            assert!(
                v >= 10 && changed,
                "a value reached by waiting is reported as changed"
            );
            drop(tx);
            assert!(rx.wait_for(|v| *v > 100).await.is_err());
            assert_eq!(
                *rx.wait_for(|v| *v == 12).await.unwrap(),
                12,
                "checks the last value"
            );
        })
    });
}

#[test]
fn wait_for_reports_a_waited_for_value_as_changed() {
    let (c, w) = counting();
    let mut cx = Context::from_waker(&w);
    let (tx, mut rx) = watch::channel(0);
    let mut wait = std::pin::pin!(rx.wait_for(|v| *v == 1));
    assert!(wait.as_mut().poll(&mut cx).is_pending());
    tx.send(1).unwrap();
    assert_eq!(c.0.load(SeqCst), 1);
    match wait.as_mut().poll(&mut cx) {
        Poll::Ready(Ok(r)) => assert!(*r == 1 && r.has_changed()),
        other => panic!("expected the value, got {:?}", other.map(|r| r.map(|r| *r))),
    };
}

#[test]
fn subscribe_clone_counts_and_closed() {
    guard("subscribe_clone_counts_and_closed", || {
        rt().block_on(async {
            let (tx, rx) = watch::channel(0);
            tx.send(1).unwrap();
            let sub = tx.subscribe();
            assert!(
                !sub.has_changed().unwrap(),
                "a subscriber has seen the current value"
            );
            let cl = rx.clone();
            assert!(
                cl.has_changed().unwrap(),
                "a clone has seen what the original has"
            );
            assert!(cl.same_channel(&sub));
            assert_eq!(tx.receiver_count(), 3);
            assert!(!tx.is_closed());
            let h = filch::spawn(async move {
                drop((rx, cl));
                filch::task::yield_now().await;
                drop(sub);
            });
            tx.closed().await;
            assert!(tx.is_closed());
            assert_eq!(tx.receiver_count(), 0);
            h.await.unwrap();
        })
    });
}

#[test]
fn closed_waits_for_the_last_receiver() {
    let (c, w) = counting();
    let mut cx = Context::from_waker(&w);
    let (tx, rx) = watch::channel(0);
    let rx2 = rx.clone();
    let mut closed = std::pin::pin!(tx.closed());
    assert!(closed.as_mut().poll(&mut cx).is_pending());
    drop(rx);
    assert_eq!(c.0.load(SeqCst), 0);
    drop(rx2);
    assert_eq!(
        c.0.load(SeqCst),
        1,
        "the last receiver's drop must wake closed()"
    );
    assert!(closed.as_mut().poll(&mut cx).is_ready());
}

#[test]
fn errors_display() {
    assert_eq!(
        watch::error::SendError(1).to_string(),
        "watch channel has no receivers"
    );
}

#[test]
fn auto_traits() {
    let (tx, mut rx) = watch::channel(0u8);
    fn is_send<F: Send>(_: &F) {}
    is_send(&rx.changed());
    is_send(&rx.wait_for(|_| true));
    is_send(&tx.closed());
    fn check<X: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    check::<watch::Sender<u8>>();
    check::<watch::Receiver<u8>>();
}

#[test]
fn cloned_senders_close_with_the_last_one() {
    let (c, w) = counting();
    let mut cx = Context::from_waker(&w);
    let (tx, mut rx) = watch::channel(0);
    let tx2 = tx.clone();
    assert_eq!((tx.sender_count(), tx2.sender_count()), (2, 2));
    tx2.send(1).unwrap();
    assert_eq!(
        *rx.borrow_and_update(),
        1,
        "a clone sends on the same channel"
    );
    let mut ch = std::pin::pin!(rx.changed());
    assert!(ch.as_mut().poll(&mut cx).is_pending());
    drop(tx);
    assert_eq!(tx2.sender_count(), 1);
    assert_eq!(c.0.load(SeqCst), 0, "one sender is left: no wake");
    assert!(
        ch.as_mut().poll(&mut cx).is_pending(),
        "still open while a sender is alive"
    );
    drop(tx2);
    assert_eq!(
        c.0.load(SeqCst),
        1,
        "the last sender's drop wakes changed()"
    );
    assert!(matches!(ch.as_mut().poll(&mut cx), Poll::Ready(Err(_))));
}

#[test]
fn sender_new_has_no_receiver() {
    let tx = watch::Sender::new(5);
    assert_eq!(tx.receiver_count(), 0);
    assert!(tx.is_closed());
    assert_eq!(tx.send(6).unwrap_err().0, 6);
    assert_eq!(
        tx.send_replace(7),
        5,
        "send_replace stores without receivers"
    );
    let rx = tx.subscribe();
    assert_eq!(*rx.borrow(), 7);
    tx.send(8).unwrap();
    assert_eq!(*rx.borrow(), 8);
    assert_eq!(tx.sender_count(), 1);
    assert!(rx.has_changed().unwrap());
}
