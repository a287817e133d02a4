//! loom models of the channels, run on the channel code itself (it takes its lock and `Arc`
//! from `crate::loom`). A lost wake-up leaves a `block_on` waiting forever, which loom reports
//! as a deadlock; a lost or doubled message fails an assertion.

use std::future::Future;
use std::sync::Arc as StdArc;
use std::task::{Context, Poll, Wake, Waker};

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::sync::{Arc, Notify};
use loom::thread;

use super::{broadcast, mpsc, oneshot};

/// A waker that sets a loom `Notify`, so a `block_on` that is never woken is a deadlock.
struct NotifyWaker(Notify);

impl Wake for NotifyWaker {
    fn wake(self: StdArc<Self>) {
        self.0.notify();
    }
    fn wake_by_ref(self: &StdArc<Self>) {
        self.0.notify();
    }
}

/// Polls `f` on this loom thread, sleeping on the waker's `Notify` between polls.
fn block_on<F: Future>(f: F) -> F::Output {
    let notify = StdArc::new(NotifyWaker(Notify::new()));
    let waker = Waker::from(notify.clone());
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        notify.0.wait();
    }
}

/// Counts drops, to check a value is dropped exactly once whoever ends up with it.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A bounded channel of one slot: a sender sends two messages (the second must wait for the
/// receiver to free the slot) while the receiver takes one and then closes the channel. Every
/// message whose send succeeded is received, and the receiver then sees `None`.
#[test]
fn mpsc_bounded_send_recv_close() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        let sender = thread::spawn(move || {
            block_on(async {
                let mut sent = Vec::new();
                for i in 0..2 {
                    if tx.send(i).await.is_ok() {
                        sent.push(i);
                    }
                }
                sent
            })
        });
        let mut got = Vec::new();
        block_on(async {
            got.extend(rx.recv().await);
            rx.close();
            while let Some(v) = rx.recv().await {
                got.push(v);
            }
        });
        let sent = sender.join().unwrap();
        assert_eq!(got, sent);
    });
}

/// Two senders race for the one slot the receiver frees; the receiver then waits for all
/// senders to go. Nobody may be left waiting.
#[test]
fn mpsc_bounded_two_senders() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        tx.try_send(0).unwrap();
        let tx2 = tx.clone();
        let a = thread::spawn(move || block_on(tx.send(1)).is_ok());
        let b = thread::spawn(move || block_on(tx2.send(2)).is_ok());
        let mut got = Vec::new();
        block_on(async {
            while let Some(v) = rx.recv().await {
                got.push(v);
            }
        });
        assert!(a.join().unwrap() && b.join().unwrap());
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2]);
    });
}

/// A permit is dropped unused while another sender waits for the slot: the waiter must get it.
#[test]
fn mpsc_dropped_permit_passes_slot() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::channel::<u32>(1);
        let tx2 = tx.clone();
        let permit_holder = thread::spawn(move || {
            let permit = tx.try_reserve();
            drop(permit);
        });
        let waiter = thread::spawn(move || block_on(tx2.send(7)).is_ok());
        permit_holder.join().unwrap();
        assert!(waiter.join().unwrap());
        assert_eq!(block_on(rx.recv()), Some(7));
        assert_eq!(block_on(rx.recv()), None);
    });
}

/// The receiver is dropped while a sender waits on a full channel: the sender fails instead of
/// hanging, and every message (queued or rejected) is dropped exactly once.
#[test]
fn mpsc_receiver_drop_wakes_sender() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel::<Counted>(1);
        tx.try_send(Counted(drops.clone())).ok().unwrap();
        let d = drops.clone();
        let sender = thread::spawn(move || block_on(tx.send(Counted(d))).is_err());
        drop(rx);
        assert!(sender.join().unwrap());
        assert_eq!(drops.load(SeqCst), 2);
    });
}

/// The last unbounded sender is dropped while the receiver waits: it sees the message, then
/// `None`.
#[test]
fn mpsc_unbounded_sender_drop_wakes_receiver() {
    loom::model(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
        });
        let got = block_on(async {
            let mut got = Vec::new();
            while let Some(v) = rx.recv().await {
                got.push(v);
            }
            got
        });
        sender.join().unwrap();
        assert_eq!(got, [1]);
    });
}

/// A oneshot value is sent while the receiver awaits.
#[test]
fn oneshot_send_recv() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel::<u32>();
        let sender = thread::spawn(move || tx.send(5).unwrap());
        assert_eq!(block_on(rx), Ok(5));
        sender.join().unwrap();
    });
}

/// The sender is dropped unsent while the receiver awaits: the receiver wakes with an error.
#[test]
fn oneshot_sender_drop_wakes_receiver() {
    loom::model(|| {
        let (tx, rx) = oneshot::channel::<u32>();
        let sender = thread::spawn(move || drop(tx));
        assert!(block_on(rx).is_err());
        sender.join().unwrap();
    });
}

/// A send races the receiver's drop: the value is dropped exactly once, whichever wins, and
/// `send` fails only if the receiver was already gone.
#[test]
fn oneshot_send_vs_receiver_drop() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = oneshot::channel::<Counted>();
        let d = drops.clone();
        let sender = thread::spawn(move || {
            let _ = tx.send(Counted(d));
        });
        drop(rx);
        sender.join().unwrap();
        assert_eq!(drops.load(SeqCst), 1);
    });
}

/// A send races `close` on the receiver: if the send succeeded the value is still received
/// after the close; if it failed the receiver sees `Closed`.
#[test]
fn oneshot_send_vs_close() {
    loom::model(|| {
        let (tx, mut rx) = oneshot::channel::<u32>();
        let sender = thread::spawn(move || tx.send(3).is_ok());
        rx.close();
        let sent = sender.join().unwrap();
        let got = rx.try_recv();
        if sent {
            assert_eq!(got, Ok(3));
        } else {
            assert_eq!(got, Err(oneshot::error::TryRecvError::Closed));
        }
    });
}

/// The sender waits in `closed()` while the receiver is dropped.
#[test]
fn oneshot_closed_wakes_on_receiver_drop() {
    loom::model(|| {
        let (mut tx, rx) = oneshot::channel::<u32>();
        let receiver = thread::spawn(move || drop(rx));
        block_on(tx.closed());
        assert!(tx.is_closed());
        receiver.join().unwrap();
    });
}

/// `Counted` for the broadcast channel, which clones values for each receiver.
impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted(self.0.clone())
    }
}

/// A broadcast send races one receiver waiting in `recv` and another being dropped: the waiting
/// receiver gets the value, and once both receivers are done with it the stored value is
/// dropped (with the clone that was handed out, two drops), while the channel still exists.
#[test]
fn broadcast_send_recv_and_receiver_drop() {
    loom::model(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx1) = broadcast::channel::<Counted>(2);
        let rx2 = tx.subscribe();
        // Kept so that only the send, not the last sender's drop, can wake the receiver.
        let _keep = tx.clone();
        let d = drops.clone();
        let sender = thread::spawn(move || {
            tx.send(Counted(d)).ok().unwrap();
        });
        let dropper = thread::spawn(move || drop(rx2));
        let got = block_on(rx1.recv());
        assert!(got.is_ok());
        drop(got);
        sender.join().unwrap();
        dropper.join().unwrap();
        assert_eq!(drops.load(SeqCst), 2);
        drop(rx1);
    });
}
