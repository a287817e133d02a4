//! `filch::sync::CancellationToken`, `DropGuard` and the cancellation futures.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::thread;

use filch::runtime::{Builder, Runtime};
use filch::sync::{
    CancellationToken, DropGuard, WaitForCancellationFuture, WaitForCancellationFutureOwned,
};
use filch::task;

mod common;
use common::guard;

fn runtime() -> Runtime {
    Builder::new().worker_threads(2).build().unwrap()
}

fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(Waker::noop()))
}

#[test]
fn new_default_cancel_and_clones() {
    let token = CancellationToken::new();
    let default = CancellationToken::default();
    let clone = token.clone();
    assert!(!token.is_cancelled() && !default.is_cancelled() && !clone.is_cancelled());
    assert_eq!(
        format!("{token:?}"),
        "CancellationToken { is_cancelled: false }"
    );
    clone.cancel();
    assert!(token.is_cancelled() && clone.is_cancelled());
    assert!(!default.is_cancelled());
    token.cancel(); // a second cancel is harmless
    assert_eq!(
        format!("{token:?}"),
        "CancellationToken { is_cancelled: true }"
    );
}

#[test]
fn cancelled_completes_at_once_when_already_cancelled() {
    let token = CancellationToken::new();
    let mut pending = token.cancelled();
    assert!(poll_once(&mut pending).is_pending());
    token.cancel();
    assert!(poll_once(&mut pending).is_ready());
    let mut after: WaitForCancellationFuture<'_> = token.cancelled();
    assert!(poll_once(&mut after).is_ready());
}

#[test]
fn cancel_from_another_thread_wakes_every_waiter() {
    guard("cancel_from_another_thread_wakes_every_waiter", || {
        let rt = runtime();
        rt.block_on(async {
            let token = CancellationToken::new();
            let woke = Arc::new(AtomicUsize::new(0));
            let mut waiters = Vec::new();
            for i in 0..20 {
                let token = token.clone();
                let woke = woke.clone();
                waiters.push(task::spawn(async move {
                    if i % 2 == 0 {
                        token.cancelled().await;
                    } else {
                        token.cancelled_owned().await;
                    }
                    woke.fetch_add(1, SeqCst);
                }));
            }
            // Let every waiter register before the cancel.
            for _ in 0..10 {
                task::yield_now().await;
            }
            assert_eq!(woke.load(SeqCst), 0);
            let remote = token.clone();
            thread::spawn(move || remote.cancel()).join().unwrap();
            for waiter in waiters {
                waiter.await.unwrap();
            }
            assert_eq!(woke.load(SeqCst), 20);
        });
    });
}

#[test]
fn cancelled_owned_is_static() {
    guard("cancelled_owned_is_static", || {
        let rt = runtime();
        rt.block_on(async {
            let token = CancellationToken::new();
            let future: WaitForCancellationFutureOwned = token.clone().cancelled_owned();
            let waiter = task::spawn(future);
            task::yield_now().await;
            assert!(!waiter.is_finished());
            token.cancel();
            waiter.await.unwrap();
        });
    });
}

#[test]
fn children_follow_the_parent_not_the_other_way() {
    let parent = CancellationToken::new();
    let child = parent.child_token();
    let grandchild = child.child_token();
    let sibling = parent.child_token();
    sibling.cancel();
    assert!(sibling.is_cancelled());
    assert!(!parent.is_cancelled() && !child.is_cancelled() && !grandchild.is_cancelled());
    let mut waiting = grandchild.cancelled();
    assert!(poll_once(&mut waiting).is_pending());
    parent.cancel();
    assert!(child.is_cancelled() && grandchild.is_cancelled());
    assert!(poll_once(&mut waiting).is_ready());
    // A child of a cancelled token starts cancelled.
    assert!(parent.child_token().is_cancelled());
}

#[test]
fn child_cancelled_from_another_thread_wakes_waiters() {
    guard("child_cancelled_from_another_thread_wakes_waiters", || {
        let rt = runtime();
        rt.block_on(async {
            let root = CancellationToken::new();
            let child = root.child_token();
            let waiter = task::spawn(child.clone().cancelled_owned());
            task::yield_now().await;
            let remote = root.clone();
            thread::spawn(move || remote.cancel());
            waiter.await.unwrap();
            assert!(child.is_cancelled());
        });
    });
}

#[test]
fn dropping_an_intermediate_token_keeps_grandchildren_linked() {
    let root = CancellationToken::new();
    let middle = root.child_token();
    let leaf = middle.child_token();
    drop(middle);
    root.cancel();
    assert!(leaf.is_cancelled());
}

#[test]
fn many_short_lived_children_from_many_threads() {
    guard("many_short_lived_children_from_many_threads", || {
        let root = CancellationToken::new();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let root = root.clone();
                thread::spawn(move || {
                    for _ in 0..2_000 {
                        let child = root.child_token();
                        let grandchild = child.child_token();
                        drop(child);
                        drop(grandchild);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert!(!root.is_cancelled());
        let late = root.child_token();
        root.cancel();
        assert!(late.is_cancelled());
    });
}

#[test]
fn drop_guard_cancels_unless_disarmed() {
    let token = CancellationToken::new();
    let guard: DropGuard = token.clone().drop_guard();
    let kept = guard.disarm();
    assert!(!token.is_cancelled());
    let guard = kept.drop_guard();
    assert!(format!("{guard:?}").starts_with("DropGuard"));
    drop(guard);
    assert!(token.is_cancelled());
}

#[test]
fn run_until_cancelled_races_the_future() {
    guard("run_until_cancelled_races_the_future", || {
        struct DropCount(Arc<AtomicUsize>);
        impl Drop for DropCount {
            fn drop(&mut self) {
                self.0.fetch_add(1, SeqCst);
            }
        }
        let rt = runtime();
        rt.block_on(async {
            let token = CancellationToken::new();
            assert_eq!(token.run_until_cancelled(async { 3 }).await, Some(3));

            let drops = Arc::new(AtomicUsize::new(0));
            let counter = DropCount(drops.clone());
            let remote = token.clone();
            let canceller = task::spawn(async move {
                task::yield_now().await;
                remote.cancel();
            });
            let out = token
                .run_until_cancelled(async move {
                    let _counter = counter;
                    std::future::pending::<u8>().await
                })
                .await;
            assert_eq!(out, None);
            assert_eq!(drops.load(SeqCst), 1, "the raced future was dropped");
            canceller.await.unwrap();

            // Already cancelled: the future is never polled.
            let polled = Arc::new(AtomicUsize::new(0));
            let p = polled.clone();
            let out = token
                .run_until_cancelled(async move {
                    p.fetch_add(1, SeqCst);
                })
                .await;
            assert_eq!(out, None);
            assert_eq!(polled.load(SeqCst), 0);
        });
    });
}

#[test]
fn a_dropped_waiter_does_not_disturb_the_others() {
    let token = CancellationToken::new();
    let mut first = token.cancelled();
    let mut second = token.cancelled();
    assert!(poll_once(&mut first).is_pending());
    assert!(poll_once(&mut second).is_pending());
    drop(first);
    let mut third = token.cancelled();
    assert!(poll_once(&mut third).is_pending());
    token.cancel();
    assert!(poll_once(&mut second).is_ready());
    assert!(poll_once(&mut third).is_ready());
}

#[test]
fn types_are_send_sync_and_unwind_safe() {
    fn send_sync<T: Send + Sync>() {}
    fn unwind_safe<T: std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    send_sync::<CancellationToken>();
    send_sync::<DropGuard>();
    send_sync::<WaitForCancellationFuture<'static>>();
    send_sync::<WaitForCancellationFutureOwned>();
    unwind_safe::<CancellationToken>();
    unwind_safe::<DropGuard>();
}
