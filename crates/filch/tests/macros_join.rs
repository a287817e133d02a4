//! `filch::join!`, `filch::try_join!` and `filch::pin!`: outputs in order, fairness (the first
//! future polled rotates unless `biased;`), early return and drops of `try_join!`.
//!
//! The prelude import checks that the expansions do not clash with the I/O extension traits.

#![allow(unused_imports)]

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use filch::io::prelude::*;
use filch::runtime::Runtime;

mod common;
use common::guard;

fn block_on<F: Future>(future: F) -> F::Output {
    Runtime::new().unwrap().block_on(future)
}

/// A future that logs its id each time it is polled and completes on its `polls`-th poll.
struct Recorder {
    id: usize,
    polls_left: u32,
    log: Rc<RefCell<Vec<usize>>>,
}

impl Future for Recorder {
    type Output = usize;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<usize> {
        self.log.borrow_mut().push(self.id);
        self.polls_left -= 1;
        if self.polls_left == 0 {
            Poll::Ready(self.id)
        } else {
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

fn recorder(id: usize, polls: u32, log: &Rc<RefCell<Vec<usize>>>) -> Recorder {
    Recorder {
        id,
        polls_left: polls,
        log: log.clone(),
    }
}

/// Counts its drops.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn join_returns_outputs_in_the_order_written() {
    guard("join_returns_outputs_in_the_order_written", || {
        block_on(async {
            let (a, b, c) = filch::join!(
                async {
                    filch::time::sleep(Duration::from_millis(20)).await;
                    "slow"
                },
                async { 2u8 },
                async {
                    filch::task::yield_now().await;
                    'c'
                },
            );
            assert_eq!((a, b, c), ("slow", 2, 'c'));

            let (single,) = filch::join!(async { 7 });
            assert_eq!(single, 7);
            let () = filch::join!();
            let (x, y) = filch::join!(biased; async { 1 }, async { 2 },);
            assert_eq!((x, y), (1, 2));
        })
    });
}

#[test]
fn join_takes_many_futures() {
    guard("join_takes_many_futures", || {
        block_on(async {
            let out = filch::join!(
                async { 0 },
                async { 1 },
                async { 2 },
                async { 3 },
                async { 4 },
                async { 5 },
                async { 6 },
                async { 7 },
                async { 8 },
                async { 9 },
                async { 10 },
                async { 11 },
                async { 12 },
                async { 13 },
            );
            // Tuples longer than 12 implement neither `Debug` nor `PartialEq`.
            let (a, b, c, d, e, f, g, h, i, j, k, l, m, n) = out;
            assert_eq!(
                [a, b, c, d, e, f, g, h, i, j, k, l, m, n],
                [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
            );
        })
    });
}

#[test]
fn join_rotates_the_first_future_polled() {
    guard("join_rotates_the_first_future_polled", || {
        let log = Rc::new(RefCell::new(Vec::new()));
        let out = block_on(async {
            filch::join!(
                recorder(0, 4, &log),
                recorder(1, 4, &log),
                recorder(2, 4, &log)
            )
        });
        assert_eq!(out, (0, 1, 2));
        // Each poll of the join! starts one future further along.
        assert_eq!(*log.borrow(), [0, 1, 2, 1, 2, 0, 2, 0, 1, 0, 1, 2]);
    });
}

#[test]
fn biased_join_polls_in_the_order_written() {
    guard("biased_join_polls_in_the_order_written", || {
        let log = Rc::new(RefCell::new(Vec::new()));
        block_on(async {
            filch::join!(biased; recorder(0, 4, &log), recorder(1, 4, &log), recorder(2, 4, &log))
        });
        assert_eq!(*log.borrow(), [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]);
        let log = Rc::new(RefCell::new(Vec::new()));
        block_on(async {
            filch::try_join!(biased;
                async { Ok::<_, ()>(recorder(0, 3, &log).await) },
                async { Ok(recorder(1, 3, &log).await) },
            )
        })
        .unwrap();
        assert_eq!(*log.borrow(), [0, 1, 0, 1, 0, 1]);
    });
}

#[test]
fn try_join_rotates_the_first_future_polled() {
    guard("try_join_rotates_the_first_future_polled", || {
        let log = Rc::new(RefCell::new(Vec::new()));
        let out = block_on(async {
            filch::try_join!(async { Ok::<_, ()>(recorder(0, 3, &log).await) }, async {
                Ok(recorder(1, 3, &log).await)
            },)
        });
        assert_eq!(out, Ok((0, 1)));
        assert_eq!(*log.borrow(), [0, 1, 1, 0, 0, 1]);
    });
}

/// Completes at once but keeps its field until the future itself is dropped.
struct HoldsUntilDropped(#[allow(dead_code)] DropCount);

impl Future for HoldsUntilDropped {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        Poll::Ready(())
    }
}

#[test]
fn join_drops_each_future_as_soon_as_it_completes() {
    guard("join_drops_each_future_as_soon_as_it_completes", || {
        let drops = Arc::new(AtomicUsize::new(0));
        let held = DropCount(drops.clone());
        let seen = block_on(async {
            let (_, seen) = filch::join!(
                // Ready at once, but holds `held` until it is dropped.
                HoldsUntilDropped(held),
                async {
                    filch::task::yield_now().await;
                    filch::task::yield_now().await;
                    drops.load(Ordering::SeqCst)
                },
            );
            seen
        });
        assert_eq!(
            seen, 1,
            "the first future was not dropped when it completed"
        );
    });
}

#[test]
fn try_join_returns_ok_with_all_values() {
    guard("try_join_returns_ok_with_all_values", || {
        block_on(async {
            let out: Result<(u8, &str, char), String> = filch::try_join!(
                async { Ok(1) },
                async {
                    filch::time::sleep(Duration::from_millis(10)).await;
                    Ok("two")
                },
                async { Ok('3') },
            );
            assert_eq!(out, Ok((1, "two", '3')));
            let empty: Result<(), ()> = filch::try_join!();
            assert_eq!(empty, Ok(()));
            let many: Result<_, ()> = filch::try_join!(
                async { Ok(0) },
                async { Ok(1) },
                async { Ok(2) },
                async { Ok(3) },
                async { Ok(4) },
                async { Ok(5) },
                async { Ok(6) },
                async { Ok(7) },
                async { Ok(8) },
                async { Ok(9) },
                async { Ok(10) },
                async { Ok(11) },
            );
            assert_eq!(many, Ok((0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)));
        })
    });
}

#[test]
fn try_join_returns_the_first_error_and_drops_the_rest() {
    guard(
        "try_join_returns_the_first_error_and_drops_the_rest",
        || {
            let drops = Arc::new(AtomicUsize::new(0));
            let (pending_a, pending_b, done_value) = (
                DropCount(drops.clone()),
                DropCount(drops.clone()),
                DropCount(drops.clone()),
            );
            let (failed, drops_at_return) = block_on(async {
                let out = filch::try_join!(
                    async move {
                        let _held = pending_a;
                        std::future::pending::<()>().await;
                        Ok(None::<DropCount>)
                    },
                    // Succeeds first; its value waits in the try_join! and goes when it fails.
                    async move { Ok(Some(done_value)) },
                    async {
                        filch::time::sleep(Duration::from_millis(10)).await;
                        Err::<(), _>("failed")
                    },
                    async move {
                        let _held = pending_b;
                        std::future::pending::<()>().await;
                        Ok(None::<DropCount>)
                    },
                );
                let failed = out.err();
                (failed, drops.load(Ordering::SeqCst))
            });
            assert_eq!(failed, Some("failed"));
            assert_eq!(
                drops_at_return, 3,
                "try_join! returned without dropping the other futures"
            );
        },
    );
}

#[test]
fn pin_pins_variables_in_place() {
    guard("pin_pins_variables_in_place", || {
        block_on(async {
            let first = async { 1 };
            let second = filch::time::sleep(Duration::from_millis(1));
            filch::pin!(first, second);
            (&mut second).await;
            assert_eq!((&mut first).await, 1);
            // `second` is a `Pin<&mut Sleep>` now.
            let pinned: Pin<&mut filch::time::Sleep> = second;
            assert!(pinned.is_elapsed());

            filch::pin! {
                let third = async { 3 };
                let fourth = async { 4 };
            }
            assert_eq!((&mut third).await + fourth.as_mut().await, 7);
        })
    });
}
