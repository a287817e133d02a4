//! Timers driven by the reactor.

mod common;

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use common::{guard, runtime};
use filch_executor::spawn;
use filch_io::net::UnixStream;
use filch_io::time::{
    interval, interval_at, sleep, sleep_until, timeout, timeout_at, Instant, MissedTickBehavior,
    Sleep,
};
use futures_lite::AsyncReadExt;

/// One task owns 300 sleeps with mixed deadlines (many within the same millisecond, some within
/// the same 10 µs wheel granule) and polls every unfinished one on each wake.
///
/// What is promised, and checked on every poll: a sleep is never ready before its deadline, and
/// a sleep whose deadline had already passed when the poll began is ready (it is never left
/// pending once due). Together these make completion follow deadline order wherever the two
/// deadlines lie on either side of a poll. What is *not* promised is that two sleeps a few
/// microseconds apart complete in the same round: the round polls one after the other while the
/// clock moves, so that is not asserted. Polls made after the task's cooperative budget ran out
/// return `Pending` whatever the deadline, so a round stops there (the task has been re-woken).
#[test]
fn many_timers_complete_when_due_and_never_early() {
    guard(move || {
        let rt = runtime(2);
        rt.block_on(async {
            let mut rng = fastrand::Rng::with_seed(11);
            let start = Instant::now();
            let mut sleeps: Vec<(Instant, Option<Sleep>)> = (0..300)
                .map(|_| {
                    let ms = rng.u64(..150);
                    let us = rng.u64(..1000);
                    let deadline = start + Duration::from_millis(ms) + Duration::from_micros(us);
                    (deadline, Some(sleep_until(deadline)))
                })
                .collect();
            poll_fn(|cx| {
                let mut pending = 0;
                for (i, (deadline, slot)) in sleeps.iter_mut().enumerate() {
                    let Some(s) = slot else { continue };
                    if !filch_executor::coop::has_budget_remaining() {
                        return Poll::Pending;
                    }
                    let before = Instant::now();
                    // Polling through `poll_elapsed`'s public face: the Future impl.
                    match Pin::new(s).poll(cx) {
                        Poll::Ready(()) => {
                            let now = Instant::now();
                            assert!(
                                now >= *deadline,
                                "sleep {i} completed {:?} early",
                                *deadline - now
                            );
                            *slot = None;
                        }
                        Poll::Pending => {
                            assert!(
                                before < *deadline,
                                "sleep {i} was still pending {:?} after its deadline",
                                before - *deadline
                            );
                            pending += 1;
                        }
                    }
                }
                if pending == 0 {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            })
            .await;
            let latest = sleeps.iter().map(|(d, _)| *d).max().unwrap();
            assert!(Instant::now() >= latest);
        });
    })
}

/// Many tasks, each sleeping a random time: none wakes before its deadline.
#[test]
fn concurrent_sleeps_never_complete_early() {
    guard(move || {
        let rt = runtime(2);
        rt.block_on(async {
            let tasks: Vec<_> = (0..500u64)
                .map(|i| {
                    spawn(async move {
                        let d = Duration::from_micros(fastrand::Rng::with_seed(i).u64(..80_000));
                        let start = Instant::now();
                        sleep(d).await;
                        assert!(start.elapsed() >= d, "task {i} woke early");
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
    })
}

/// A timer created on the `block_on` thread while the worker is blocked in the poller with no
/// timeout must interrupt that wait (the parked thread recomputes its deadline).
#[test]
fn new_timer_interrupts_a_parked_poller() {
    guard(move || {
        let rt = runtime(1);
        // Let the worker go idle and block in the poller with no timer pending.
        std::thread::sleep(Duration::from_millis(50));
        rt.block_on(async {
            let t = spawn(async {
                let start = Instant::now();
                sleep(Duration::from_millis(20)).await;
                start.elapsed()
            });
            assert!(t.await.unwrap() >= Duration::from_millis(20));
        });
    })
}

#[test]
fn timeout_cancels_a_pending_read() {
    guard(move || {
        let rt = runtime(1);
        rt.block_on(async {
            let (mut a, mut b) = UnixStream::pair()?;
            let mut buf = [0; 8];
            let result = timeout(Duration::from_millis(20), a.read(&mut buf)).await;
            assert!(result.is_err(), "read should time out, got {result:?}");
            // The cancelled read left nothing behind: a new read works.
            futures_lite::AsyncWriteExt::write_all(&mut b, b"late").await?;
            let n = timeout(Duration::from_secs(10), a.read(&mut buf))
                .await
                .expect("data was sent")?;
            assert_eq!(&buf[..n], b"late");
            std::io::Result::Ok(())
        })
        .unwrap();
    })
}

#[test]
fn timeout_passes_output_through() {
    guard(move || {
        let rt = runtime(1);
        rt.block_on(async {
            assert_eq!(timeout(Duration::from_secs(1), async { 5 }).await, Ok(5));
            let deadline = Instant::now() + Duration::from_millis(5);
            let err = timeout_at(deadline, sleep(Duration::from_secs(10)))
                .await
                .unwrap_err();
            assert!(Instant::now() >= deadline);
            let io_err: std::io::Error = err.into();
            assert_eq!(io_err.kind(), std::io::ErrorKind::TimedOut);
        });
    })
}

/// A million sleeps registered (polled once) and dropped before they fire. Each costs one
/// insert and one O(1) removal; the test asserts that it finishes and that the wheel is empty
/// afterwards (a later short sleep still works), not how long it takes.
#[test]
fn million_sleeps_dropped_before_firing() {
    guard(move || {
        let rt = runtime(1);
        rt.block_on(async {
            let n = if cfg!(debug_assertions) {
                200_000
            } else {
                1_000_000
            };
            poll_fn(|cx| {
                let mut rng = fastrand::Rng::with_seed(3);
                for _ in 0..n {
                    let mut s = sleep(Duration::from_millis(1_000 + rng.u64(..3_600_000)));
                    assert!(Pin::new(&mut s).poll(cx).is_pending());
                    drop(s);
                }
                Poll::Ready(())
            })
            .await;
            let start = Instant::now();
            sleep(Duration::from_millis(2)).await;
            assert!(start.elapsed() >= Duration::from_millis(2));
        });
    })
}

#[test]
fn interval_ticks_on_schedule() {
    guard(move || {
        let rt = runtime(1);
        rt.block_on(async {
            let period = Duration::from_millis(5);
            let mut ticks = interval(period);
            let first = ticks.tick().await;
            for n in 1..=5u32 {
                let due = ticks.tick().await;
                assert_eq!(due, first + period * n);
                assert!(Instant::now() >= due);
            }
        });
    })
}

#[test]
fn interval_missed_tick_behaviors() {
    guard(move || {
        let rt = runtime(1);
        rt.block_on(async {
            let period = Duration::from_millis(10);
            for behavior in [
                MissedTickBehavior::Burst,
                MissedTickBehavior::Delay,
                MissedTickBehavior::Skip,
            ] {
                let start = Instant::now();
                let mut ticks = interval_at(start, period);
                ticks.set_missed_tick_behavior(behavior);
                assert_eq!(ticks.tick().await, start);
                // Miss about three and a half ticks.
                std::thread::sleep(Duration::from_millis(35));
                let before_late = Instant::now();
                let late = ticks.tick().await;
                assert_eq!(
                    late,
                    start + period,
                    "{behavior:?}: the late tick is still reported"
                );
                let next = ticks.tick().await;
                match behavior {
                    // Catches up on the original schedule.
                    MissedTickBehavior::Burst => assert_eq!(next, start + period * 2),
                    // One full period after the late tick completed.
                    MissedTickBehavior::Delay => assert!(next >= before_late + period),
                    // The next point of the original schedule that was still in the future.
                    MissedTickBehavior::Skip => {
                        assert!(next > start + period * 3);
                        assert_eq!((next - start).as_nanos() % period.as_nanos(), 0);
                    }
                }
            }
        });
    })
}

#[test]
fn sleep_reset_moves_the_deadline() {
    guard(move || {
        let rt = runtime(1);
        rt.block_on(async {
            let mut s = sleep(Duration::from_secs(3600));
            assert!(futures_lite::future::poll_once(&mut s).await.is_none());
            let soon = Instant::now() + Duration::from_millis(3);
            s.reset(soon);
            (&mut s).await;
            assert!(Instant::now() >= soon);
            assert!(s.is_elapsed());
        });
    })
}

#[test]
fn sleep_outside_runtime_panics_with_advice() {
    let err = std::panic::catch_unwind(|| sleep(Duration::from_millis(1))).unwrap_err();
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("inside a filch runtime"), "{msg}");
    assert!(msg.contains("block_on"), "{msg}");
}

#[test]
fn sleep_shared_between_tasks_via_arc_mutex() {
    guard(move || {
        // Wakers of different tasks polling the same Sleep: the latest one is woken.
        let rt = runtime(2);
        rt.block_on(async {
            let s = Arc::new(Mutex::new(sleep(Duration::from_millis(5))));
            let t = {
                let s = s.clone();
                spawn(async move {
                    poll_fn(|cx| Pin::new(&mut *s.lock().unwrap()).poll(cx)).await;
                })
            };
            t.await.unwrap();
            assert!(s.lock().unwrap().is_elapsed());
        });
    })
}

/// Durations too long for `Instant` mean "never": nothing panics with "overflow when adding
/// duration to instant", and the far timers simply do not fire.
#[test]
fn far_deadlines_mean_never_and_do_not_overflow() {
    guard(move || {
        let rt = runtime(1);
        rt.block_on(async {
            let pending = |s: &mut Sleep| {
                let waker = std::task::Waker::noop();
                Pin::new(s)
                    .poll(&mut std::task::Context::from_waker(waker))
                    .is_pending()
            };

            let mut s = sleep(Duration::MAX);
            assert!(!s.is_elapsed());
            assert!(pending(&mut s));

            let mut ticks = interval(Duration::MAX);
            ticks.tick().await;
            ticks.reset();
            assert!(futures_lite::future::poll_once(ticks.tick())
                .await
                .is_none());

            let start = Instant::now();
            let mut ticks = interval_at(start, Duration::MAX);
            assert_eq!(ticks.tick().await, start);
            assert!(futures_lite::future::poll_once(ticks.tick())
                .await
                .is_none());
            ticks.reset();
            assert!(futures_lite::future::poll_once(ticks.tick())
                .await
                .is_none());
            for behavior in [
                MissedTickBehavior::Burst,
                MissedTickBehavior::Delay,
                MissedTickBehavior::Skip,
            ] {
                let mut ticks = interval_at(start, Duration::MAX);
                ticks.set_missed_tick_behavior(behavior);
                assert_eq!(ticks.tick().await, start);
                assert!(futures_lite::future::poll_once(ticks.tick())
                    .await
                    .is_none());
            }

            let result = timeout(Duration::MAX, sleep(Duration::from_millis(1))).await;
            assert_eq!(result, Ok(()));
            let mut never = timeout(Duration::MAX, std::future::pending::<()>());
            assert!(futures_lite::future::poll_once(&mut never).await.is_none());

            // The farthest deadline an `Instant` can hold.
            let mut far = start;
            let mut step = Duration::MAX;
            while step > Duration::ZERO {
                match far.checked_add(step) {
                    Some(later) => far = later,
                    None => step /= 2,
                }
            }
            let mut s = sleep_until(far);
            assert!(pending(&mut s));
            s.reset(far);
            assert!(pending(&mut s));
            let mut s = timeout_at(far, std::future::pending::<()>());
            assert!(futures_lite::future::poll_once(&mut s).await.is_none());

            // And a normal timer still works afterwards.
            let soon = Instant::now() + Duration::from_millis(2);
            sleep_until(soon).await;
            assert!(Instant::now() >= soon);
        });
    })
}
