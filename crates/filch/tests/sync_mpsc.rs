//! `filch::sync::mpsc`: bounded and unbounded channels through the facade's public paths.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::Duration;

use filch::runtime::{Builder, Runtime};
use filch::sync::mpsc::{self, error::TryRecvError, error::TrySendError};

mod common;
use common::guard;

fn rt(workers: usize) -> Runtime {
    Builder::new().worker_threads(workers).build().unwrap()
}

fn poll_once<F: Future>(f: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

/// A message whose drops are counted.
struct Counted(Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn send_recv_in_order_then_none() {
    guard("send_recv_in_order_then_none", || {
        rt(2).block_on(async {
            let (tx, mut rx) = mpsc::channel(2);
            let tx2 = tx.clone();
            let h = filch::spawn(async move {
                for i in 0..100 {
                    tx.send(i).await.unwrap();
                }
            });
            drop(tx2);
            let mut got = Vec::new();
            while let Some(v) = rx.recv().await {
                got.push(v);
            }
            h.await.unwrap();
            assert_eq!(got, (0..100).collect::<Vec<_>>());
        })
    });
}

#[test]
fn many_senders_many_threads() {
    guard("many_senders_many_threads", || {
        rt(2).block_on(async {
            let (tx, mut rx) = mpsc::channel::<usize>(4);
            for s in 0..4 {
                let tx = tx.clone();
                filch::spawn(async move {
                    for i in 0..500 {
                        tx.send(s * 1000 + i).await.unwrap();
                    }
                });
            }
            drop(tx);
            let mut got = Vec::new();
            while let Some(v) = rx.recv().await {
                got.push(v);
            }
            assert_eq!(got.len(), 2000);
            for s in 0..4 {
                let mine: Vec<_> = got.iter().filter(|v| **v / 1000 == s).collect();
                assert!(
                    mine.windows(2).all(|w| w[0] < w[1]),
                    "per-sender order kept"
                );
            }
        })
    });
}

#[test]
#[should_panic(expected = "buffer > 0")]
fn zero_buffer_panics() {
    let _ = mpsc::channel::<u8>(0);
}

#[test]
fn full_channel_send_waits_for_capacity() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(1).unwrap();
    let mut send = pin!(tx.send(2));
    assert!(poll_once(send.as_mut()).is_pending(), "no slot: must wait");
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(
        poll_once(send.as_mut()).is_ready(),
        "the freed slot went to the waiter"
    );
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn waiting_senders_are_served_in_order() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(0).unwrap();
    let mut a = pin!(tx.send(1));
    let mut b = pin!(tx.send(2));
    assert!(poll_once(a.as_mut()).is_pending());
    assert!(poll_once(b.as_mut()).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    // The slot belongs to `a` now: a newcomer may not take it, and neither may `b`.
    assert_eq!(tx.try_send(9), Err(TrySendError::Full(9)));
    assert!(poll_once(b.as_mut()).is_pending());
    assert!(poll_once(a.as_mut()).is_ready());
    assert_eq!(rx.try_recv(), Ok(1));
    assert!(poll_once(b.as_mut()).is_ready());
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn dropped_waiting_send_passes_its_slot_on() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(Counted(drops.clone())).ok().unwrap();
    let mut b = Box::pin(tx.send(Counted(drops.clone())));
    let mut c = pin!(tx.send(Counted(drops.clone())));
    assert!(poll_once(b.as_mut()).is_pending());
    assert!(poll_once(c.as_mut()).is_pending());
    drop(rx.try_recv().ok().unwrap()); // the slot is granted to `b`
    assert_eq!(drops.load(SeqCst), 1);
    drop(b); // ... which gives up: its message is dropped, its slot goes to `c`
    assert_eq!(drops.load(SeqCst), 2);
    assert!(poll_once(c.as_mut()).is_ready());
    assert_eq!(rx.len(), 1);
}

#[test]
fn permits_count_against_capacity() {
    let (tx, mut rx) = mpsc::channel::<u32>(2);
    assert_eq!((tx.capacity(), tx.max_capacity()), (2, 2));
    let p1 = tx.try_reserve().unwrap();
    assert_eq!(tx.capacity(), 1);
    let p2 = tx.try_reserve().unwrap();
    assert_eq!(tx.capacity(), 0);
    assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
    assert_eq!(tx.try_send(5), Err(TrySendError::Full(5)));
    drop(p1);
    assert_eq!(tx.capacity(), 1, "a dropped permit returns its slot");
    p2.send(7);
    assert_eq!(tx.capacity(), 1, "a sent message still holds its slot");
    assert_eq!(rx.try_recv(), Ok(7));
    assert_eq!(tx.capacity(), 2);
    assert_eq!(rx.capacity(), 2);
    assert_eq!(rx.max_capacity(), 2);
}

#[test]
fn reserve_and_owned_permits() {
    guard("reserve_and_owned_permits", || {
        rt(1).block_on(async {
            let (tx, mut rx) = mpsc::channel::<u32>(1);
            let permit = tx.reserve().await.unwrap();
            let mut waiting = pin!(tx.reserve());
            assert!(poll_once(waiting.as_mut()).is_pending());
            drop(permit);
            let p = match poll_once(waiting.as_mut()) {
                Poll::Ready(p) => p.unwrap(),
                Poll::Pending => panic!("the dropped permit's slot was not passed on"),
            };
            p.send(1);
            assert_eq!(rx.recv().await, Some(1));

            let owned = tx.clone().reserve_owned().await.unwrap();
            let tx2 = owned.send(2);
            assert!(tx2.same_channel(&tx));
            assert_eq!(rx.recv().await, Some(2));
            let owned = tx2.try_reserve_owned().unwrap();
            assert_eq!(tx.capacity(), 0);
            let tx2 = owned.release();
            assert_eq!(tx.capacity(), 1);
            let owned = tx2.try_reserve_owned().unwrap();
            drop(owned);
            assert_eq!(
                tx.capacity(),
                1,
                "dropping an owned permit returns the slot"
            );
            let _p = tx.try_reserve().unwrap();
            assert!(matches!(
                tx.clone().try_reserve_owned(),
                Err(TrySendError::Full(_))
            ));
        })
    });
}

#[test]
fn close_keeps_queued_messages_and_permits() {
    guard("close_keeps_queued_messages_and_permits", || {
        rt(1).block_on(async {
            let (tx, mut rx) = mpsc::channel(4);
            tx.send(1).await.unwrap();
            let permit = tx.reserve().await.unwrap();
            assert!(!rx.is_closed());
            rx.close();
            assert!(rx.is_closed() && tx.is_closed());
            assert_eq!(tx.send(9).await.unwrap_err().0, 9);
            assert!(matches!(tx.try_send(9), Err(TrySendError::Closed(9))));
            assert!(tx.reserve().await.is_err());
            assert_eq!(rx.recv().await, Some(1));
            assert_eq!(
                rx.try_recv(),
                Err(TryRecvError::Empty),
                "a permit is still out"
            );
            permit.send(2);
            assert_eq!(rx.recv().await, Some(2));
            assert_eq!(
                rx.recv().await,
                None,
                "closed and empty although a sender lives"
            );
            assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
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

#[test]
fn close_wakes_waiting_sender() {
    let (tx, mut rx) = mpsc::channel(1);
    tx.try_send(0).unwrap();
    let count = Arc::new(CountWaker(AtomicUsize::new(0)));
    let waker = Waker::from(count.clone());
    let mut cx = Context::from_waker(&waker);
    let mut send = pin!(tx.send(1));
    assert!(send.as_mut().poll(&mut cx).is_pending());
    rx.close();
    assert_eq!(
        count.0.load(SeqCst),
        1,
        "close must wake the waiting sender"
    );
    assert!(matches!(send.as_mut().poll(&mut cx), Poll::Ready(Err(_))));
    assert_eq!(rx.try_recv(), Ok(0));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
fn dropping_receiver_drops_queued_messages() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel(8);
    for _ in 0..5 {
        tx.try_send(Counted(drops.clone())).ok().unwrap();
    }
    let permit = tx.try_reserve().unwrap();
    drop(rx);
    assert_eq!(drops.load(SeqCst), 5);
    permit.send(Counted(drops.clone()));
    assert_eq!(
        drops.load(SeqCst),
        6,
        "a permit's message after the receiver went is dropped"
    );
    assert!(matches!(
        tx.try_send(Counted(drops.clone())),
        Err(TrySendError::Closed(_))
    ));
    assert_eq!(drops.load(SeqCst), 7);

    let (utx, urx) = mpsc::unbounded_channel();
    for _ in 0..3 {
        utx.send(Counted(drops.clone())).unwrap();
    }
    drop(urx);
    assert_eq!(drops.load(SeqCst), 10);
}

#[test]
fn closed_future_and_is_closed() {
    guard("closed_future_and_is_closed", || {
        rt(2).block_on(async {
            let (tx, rx) = mpsc::channel::<u8>(1);
            let tx2 = tx.clone();
            let h = filch::spawn(async move { tx2.closed().await });
            assert!(!tx.is_closed());
            filch::task::yield_now().await;
            drop(rx);
            h.await.unwrap();
            assert!(tx.is_closed());

            let (utx, mut urx) = mpsc::unbounded_channel::<u8>();
            let utx2 = utx.clone();
            let h = filch::spawn(async move { utx2.closed().await });
            assert!(!utx.is_closed());
            urx.close();
            h.await.unwrap();
            assert!(utx.is_closed());
            assert_eq!(utx.send(1).unwrap_err().0, 1);
        })
    });
}

#[test]
fn weak_senders_and_counts() {
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    let weak = tx.downgrade();
    let weak2 = weak.clone();
    assert_eq!((tx.strong_count(), tx.weak_count()), (1, 2));
    assert_eq!((weak.strong_count(), weak.weak_count()), (1, 2));
    assert_eq!((rx.sender_strong_count(), rx.sender_weak_count()), (1, 2));
    let tx2 = weak.upgrade().unwrap();
    assert!(tx2.same_channel(&tx));
    assert_eq!(tx.strong_count(), 2);
    drop((tx, tx2));
    assert_eq!(
        rx.try_recv(),
        Err(TryRecvError::Disconnected),
        "weak senders do not count"
    );
    assert!(weak2.upgrade().is_none());
    drop(weak);
    assert_eq!(weak2.weak_count(), 1);

    let (utx, urx) = mpsc::unbounded_channel::<u8>();
    let (other, _orx) = mpsc::unbounded_channel::<u8>();
    assert!(utx.same_channel(&utx.clone()) && !utx.same_channel(&other));
    let uweak = utx.downgrade();
    assert_eq!((utx.strong_count(), utx.weak_count()), (1, 1));
    assert_eq!((urx.sender_strong_count(), urx.sender_weak_count()), (1, 1));
    let up = uweak.clone().upgrade().unwrap();
    drop((utx, up));
    assert!(uweak.upgrade().is_none());
    assert!(urx.is_closed());
}

#[test]
fn recv_many_takes_up_to_limit() {
    guard("recv_many_takes_up_to_limit", || {
        rt(1).block_on(async {
            let (tx, mut rx) = mpsc::channel(8);
            for i in 0..5 {
                tx.send(i).await.unwrap();
            }
            let mut buf = vec![100];
            assert_eq!(rx.recv_many(&mut buf, 0).await, 0);
            assert_eq!(rx.recv_many(&mut buf, 3).await, 3);
            assert_eq!(buf, [100, 0, 1, 2]);
            assert_eq!(tx.capacity(), 6, "received messages free their slots");
            drop(tx);
            assert_eq!(rx.recv_many(&mut buf, 10).await, 2);
            assert_eq!(rx.recv_many(&mut buf, 10).await, 0);

            let (utx, mut urx) = mpsc::unbounded_channel();
            let h = filch::spawn(async move {
                let mut buf = Vec::new();
                let n = urx.recv_many(&mut buf, 10).await;
                (n, buf)
            });
            filch::task::yield_now().await;
            utx.send(7).unwrap();
            let (n, buf) = h.await.unwrap();
            assert!(n >= 1 && buf[0] == 7);
        })
    });
}

#[test]
fn poll_recv_len_is_empty() {
    let (tx, mut rx) = mpsc::channel(2);
    let mut cx = Context::from_waker(Waker::noop());
    assert!(rx.is_empty());
    assert_eq!(rx.poll_recv(&mut cx), Poll::Pending);
    let mut buf = Vec::new();
    assert_eq!(
        rx.poll_recv_many(&mut cx, &mut buf, 0),
        Poll::Ready(0),
        "limit 0: no wait"
    );
    tx.try_send(1).unwrap();
    tx.try_send(2).unwrap();
    assert_eq!((rx.len(), rx.is_empty()), (2, false));
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(Some(1)));
    assert_eq!(rx.poll_recv_many(&mut cx, &mut buf, 4), Poll::Ready(1));
    drop(tx);
    assert_eq!(rx.poll_recv(&mut cx), Poll::Ready(None));

    let (utx, mut urx) = mpsc::unbounded_channel();
    assert_eq!(urx.poll_recv(&mut cx), Poll::Pending);
    assert_eq!(urx.try_recv(), Err(TryRecvError::Empty));
    utx.send(1).unwrap();
    assert_eq!((urx.len(), urx.is_empty()), (1, false));
    assert_eq!(urx.poll_recv_many(&mut cx, &mut buf, 4), Poll::Ready(1));
    utx.send(2).unwrap();
    assert_eq!(urx.try_recv(), Ok(2));
    assert!(urx.is_empty());
}

#[test]
fn receiver_wakes_when_last_sender_drops() {
    guard("receiver_wakes_when_last_sender_drops", || {
        rt(2).block_on(async {
            let (tx, mut rx) = mpsc::unbounded_channel::<u8>();
            let h = filch::spawn(async move { rx.recv().await });
            filch::task::yield_now().await;
            drop(tx);
            assert_eq!(h.await.unwrap(), None);
        })
    });
}

#[test]
fn errors_display_and_debug() {
    let e = mpsc::error::SendError(5);
    assert_eq!(e.to_string(), "sending on a closed channel");
    assert_eq!(format!("{e:?}"), "SendError { .. }");
    let full = TrySendError::Full(1);
    assert_eq!(full.to_string(), "no free slot in the channel");
    assert_eq!(format!("{:?}", TrySendError::Closed(1)), "Closed(..)");
    assert_eq!(full.into_inner(), 1);
    assert_eq!(TryRecvError::Empty.to_string(), "channel is empty");
    assert_eq!(
        TryRecvError::Disconnected.to_string(),
        "channel is empty and closed"
    );
    let _: &dyn std::error::Error = &e;
    let _: &dyn std::error::Error = &full;
    let _: &dyn std::error::Error = &TryRecvError::Empty;
}

#[test]
fn auto_traits() {
    let (tx, mut rx) = mpsc::channel::<u8>(1);
    fn is_send<F: Send>(_: &F) {}
    is_send(&tx.send(1));
    is_send(&tx.reserve());
    is_send(&tx.closed());
    is_send(&rx.recv());
    fn check<X: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    check::<mpsc::Sender<u8>>();
    check::<mpsc::Receiver<u8>>();
    check::<mpsc::WeakSender<u8>>();
    check::<mpsc::OwnedPermit<u8>>();
    check::<mpsc::UnboundedSender<u8>>();
    check::<mpsc::UnboundedReceiver<u8>>();
    check::<mpsc::WeakUnboundedSender<u8>>();
}

/// With one worker, a task sending into a channel with room to spare must still yield now and
/// then (the coop budget): a task it spawned gets to run before the sender finishes.
#[test]
fn send_spends_coop_budget() {
    guard("send_spends_coop_budget", || {
        let rt = Builder::new()
            .worker_threads(1)
            .stall_threshold(Duration::from_secs(3600))
            .build()
            .unwrap();
        let saw_other = rt.block_on(async {
            filch::spawn(async {
                let ran = Arc::new(AtomicBool::new(false));
                let r = ran.clone();
                filch::spawn(async move { r.store(true, SeqCst) });
                let (tx, _rx) = mpsc::channel(100_000);
                for i in 0..10_000u32 {
                    tx.send(i).await.unwrap();
                }
                ran.load(SeqCst)
            })
            .await
            .unwrap()
        });
        assert!(saw_other, "the sender never yielded");
    });
}

/// With one worker, a task draining a channel that is never empty (an unbounded channel
/// pre-filled with a million messages) lets a 1 ms interval tick while it drains: `recv`
/// spends the coop budget, so the draining task yields to the timer.
#[cfg(feature = "time")]
#[test]
fn draining_a_full_channel_lets_an_interval_tick() {
    guard("draining_a_full_channel_lets_an_interval_tick", || {
        // No compensating worker may take the ticker over while the drain runs (that would
        // hide a drain that never yields): the stall threshold is far beyond the test's length.
        let rt = Builder::new()
            .worker_threads(1)
            .stall_threshold(Duration::from_secs(3600))
            .build()
            .unwrap();
        let (ticks, n) = rt.block_on(async {
            filch::spawn(async {
                let (tx, mut rx) = mpsc::unbounded_channel();
                for i in 0..1_000_000u32 {
                    tx.send(i).unwrap();
                }
                let ticks = Arc::new(AtomicUsize::new(0));
                let t = ticks.clone();
                let ticker = filch::spawn(async move {
                    let mut iv = filch::time::interval(Duration::from_millis(1));
                    loop {
                        iv.tick().await;
                        t.fetch_add(1, SeqCst);
                    }
                });
                let mut n = 0u32;
                while rx.recv().await.is_some() {
                    n += 1;
                    if n == 1_000_000 {
                        break;
                    }
                }
                let seen = ticks.load(SeqCst);
                ticker.abort();
                (seen, n)
            })
            .await
            .unwrap()
        });
        assert_eq!(n, 1_000_000);
        assert!(
            ticks >= 5,
            "the interval ticked only {ticks} times while the channel drained"
        );
    });
}

#[test]
fn blocking_send_and_recv_from_threads() {
    guard("blocking_send_and_recv_from_threads", || {
        let (tx, mut rx) = mpsc::channel(1);
        let t = thread::spawn(move || {
            for i in 0..50 {
                tx.blocking_send(i).unwrap();
            }
        });
        let mut got = Vec::new();
        while let Some(v) = rx.blocking_recv() {
            got.push(v);
        }
        t.join().unwrap();
        assert_eq!(got, (0..50).collect::<Vec<_>>());

        let (utx, mut urx) = mpsc::unbounded_channel();
        let t = thread::spawn(move || utx.send(3).unwrap());
        assert_eq!(urx.blocking_recv(), Some(3));
        t.join().unwrap();
        assert_eq!(urx.blocking_recv(), None);
    });
}

#[test]
fn blocking_recv_inside_a_task_panics() {
    guard("blocking_recv_inside_a_task_panics", || {
        let rt = rt(1);
        let err = rt
            .block_on(rt.spawn(async {
                let (_tx, mut rx) = mpsc::channel::<u8>(1);
                rx.blocking_recv()
            }))
            .unwrap_err();
        let msg = err.into_panic();
        let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            msg.contains("blocking_recv was called from inside a filch task"),
            "{msg}"
        );
    });
}

#[test]
fn try_reserve_many_takes_all_or_nothing() {
    let (tx, mut rx) = mpsc::channel::<u32>(4);
    let mut permits = tx.try_reserve_many(3).unwrap();
    assert_eq!(permits.len(), 3);
    assert_eq!(tx.capacity(), 1);
    assert!(
        matches!(tx.try_reserve_many(2), Err(TrySendError::Full(()))),
        "only 1 slot is free"
    );
    assert_eq!(tx.capacity(), 1, "a failed try_reserve_many takes nothing");
    permits.next().unwrap().send(10);
    assert_eq!(permits.len(), 2);
    drop(permits);
    assert_eq!(tx.capacity(), 3, "the 2 unused slots came back");
    assert_eq!(rx.try_recv(), Ok(10));
    assert_eq!(tx.capacity(), 4);
    // More than the channel can ever hold: Full, like tokio.
    assert!(matches!(
        tx.try_reserve_many(5),
        Err(TrySendError::Full(()))
    ));
    let none = tx.try_reserve_many(0).unwrap();
    assert_eq!(none.count(), 0);
    let all = tx.try_reserve_many(4).unwrap();
    assert_eq!(tx.capacity(), 0);
    assert_eq!(
        all.count(),
        4,
        "every slot is yielded; dropping the permits frees them"
    );
    assert_eq!(tx.capacity(), 4);
    rx.close();
    assert!(matches!(
        tx.try_reserve_many(1),
        Err(TrySendError::Closed(()))
    ));
}

#[test]
fn reserve_many_waits_for_all_and_keeps_fifo() {
    let (tx, mut rx) = mpsc::channel::<u32>(4);
    for i in 0..3 {
        tx.try_send(i).unwrap();
    }
    let mut a = pin!(tx.reserve_many(3));
    let mut b = pin!(tx.reserve());
    assert!(poll_once(a.as_mut()).is_pending(), "1 free slot, 3 needed");
    assert!(
        poll_once(b.as_mut()).is_pending(),
        "the free slot may not go past the waiter at the head"
    );
    assert!(matches!(tx.try_reserve(), Err(TrySendError::Full(()))));
    assert_eq!(rx.try_recv(), Ok(0));
    assert!(poll_once(a.as_mut()).is_pending(), "2 free, 3 needed");
    assert!(poll_once(b.as_mut()).is_pending());
    assert_eq!(rx.try_recv(), Ok(1));
    // 3 free: all go to `a`, none to `b`.
    assert!(poll_once(b.as_mut()).is_pending());
    let Poll::Ready(Ok(permits)) = poll_once(a.as_mut()) else {
        panic!("the head waiter got its 3 slots");
    };
    assert_eq!(permits.len(), 3);
    assert_eq!(tx.capacity(), 0);
    drop(permits);
    assert!(
        matches!(poll_once(b.as_mut()), Poll::Ready(Ok(_))),
        "the returned slots went on to the next waiter"
    );
    assert_eq!(rx.try_recv(), Ok(2));
}

#[test]
fn cancelled_reserve_many_lets_the_next_waiter_in() {
    let (tx, mut rx) = mpsc::channel::<u32>(2);
    tx.try_send(0).unwrap();
    tx.try_send(1).unwrap();
    let mut a = Box::pin(tx.reserve_many(2));
    let mut b = pin!(tx.reserve());
    assert!(poll_once(a.as_mut()).is_pending());
    assert!(poll_once(b.as_mut()).is_pending());
    assert_eq!(rx.try_recv(), Ok(0));
    assert!(
        poll_once(b.as_mut()).is_pending(),
        "`a` is still at the head"
    );
    drop(a); // gives up its place: the free slot goes to `b`
    assert!(matches!(poll_once(b.as_mut()), Poll::Ready(Ok(_))));
}

#[test]
fn reserve_many_errors() {
    guard("reserve_many_errors", || {
        rt(1).block_on(async {
            let (tx, mut rx) = mpsc::channel::<u32>(2);
            assert!(tx.reserve_many(3).await.is_err(), "more than max_capacity");
            assert_eq!(tx.reserve_many(0).await.unwrap().len(), 0);
            tx.try_send(1).unwrap();
            let mut w = pin!(tx.reserve_many(2));
            assert!(poll_once(w.as_mut()).is_pending());
            rx.close();
            assert!(matches!(poll_once(w.as_mut()), Poll::Ready(Err(_))));
            assert!(tx.reserve_many(1).await.is_err(), "closed");
        })
    });
}

#[test]
fn reserve_many_from_many_tasks() {
    guard("reserve_many_from_many_tasks", || {
        let rt = rt(2);
        rt.block_on(async {
            let (tx, mut rx) = mpsc::channel::<usize>(5);
            let mut tasks = Vec::new();
            for t in 0..8usize {
                let tx = tx.clone();
                tasks.push(filch::spawn(async move {
                    for round in 0..50usize {
                        let n = 1 + (t + round) % 5;
                        let permits = tx.reserve_many(n).await.unwrap();
                        assert_eq!(permits.len(), n);
                        for p in permits {
                            p.send(1);
                        }
                    }
                }));
            }
            drop(tx);
            let mut total = 0;
            while let Some(v) = rx.recv().await {
                total += v;
            }
            for t in tasks {
                t.await.unwrap();
            }
            let want: usize = (0..8usize)
                .map(|t| (0..50usize).map(|r| 1 + (t + r) % 5).sum::<usize>())
                .sum();
            assert_eq!(total, want);
        })
    });
}

#[test]
fn weak_unbounded_sender_counts() {
    let (tx, _rx) = mpsc::unbounded_channel::<u8>();
    let weak = tx.downgrade();
    let weak2 = weak.clone();
    let tx2 = tx.clone();
    assert_eq!((weak.strong_count(), weak.weak_count()), (2, 2));
    drop(tx2);
    drop(weak2);
    assert_eq!((weak.strong_count(), weak.weak_count()), (1, 1));
    drop(tx);
    assert_eq!(weak.strong_count(), 0);
}

#[test]
fn blocking_recv_many_from_threads() {
    guard("blocking_recv_many_from_threads", || {
        let (tx, mut rx) = mpsc::channel(8);
        for i in 0..5 {
            tx.try_send(i).unwrap();
        }
        let mut buf = Vec::new();
        assert_eq!(
            rx.blocking_recv_many(&mut buf, 3),
            3,
            "limit caps the batch"
        );
        assert_eq!(rx.blocking_recv_many(&mut buf, 3), 2);
        assert_eq!(buf, [0, 1, 2, 3, 4]);
        drop((tx, rx));

        let (tx, mut rx) = mpsc::channel(2);
        let t = thread::spawn(move || {
            for i in 0..40 {
                tx.blocking_send(i).unwrap();
            }
        });
        let mut got = Vec::new();
        loop {
            let before = got.len();
            let n = rx.blocking_recv_many(&mut got, 3);
            assert_eq!(got.len() - before, n);
            assert!(n <= 3, "at most `limit` at a time");
            if n == 0 {
                break;
            }
        }
        t.join().unwrap();
        assert_eq!(got, (0..40).collect::<Vec<_>>());

        let (utx, mut urx) = mpsc::unbounded_channel();
        let t = thread::spawn(move || {
            for i in 0..5 {
                utx.send(i).unwrap();
            }
        });
        t.join().unwrap();
        let mut buf = Vec::new();
        assert_eq!(urx.blocking_recv_many(&mut buf, 10), 5);
        assert_eq!(urx.blocking_recv_many(&mut buf, 10), 0, "closed and empty");
        assert_eq!(buf, [0, 1, 2, 3, 4]);
    });
}
