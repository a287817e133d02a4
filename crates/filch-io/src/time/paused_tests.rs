//! Tests of the paused clock (`clock.rs`): auto-advance, `advance`, `resume`, and that a socket
//! event still wakes a paused runtime.
//!
//! `time::pause` only works on a current-thread runtime. These tests drive the same mechanism on
//! a runtime with **one** worker, paused through the crate-internal `pause_unchecked`; each runs
//! its body in a task spawned on that worker (the `block_on` thread only waits for it), so the
//! one worker is the only thread that runs tasks, as on a current-thread runtime. The stall
//! threshold is off, so no compensating worker can appear. Each test has a hang guard.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::mpsc;
use std::task::Poll;
use std::time::{Duration, Instant as StdInstant};

use filch_executor::runtime::{Builder, Runtime};
use futures_lite::AsyncReadExt;

use crate::driver;
use crate::net::UnixStream;
use crate::time::clock::pause_unchecked;
use crate::time::{
    advance, interval, resume, sleep, sleep_until, timeout, Instant, MissedTickBehavior,
};

const HOUR: Duration = Duration::from_secs(3600);
/// Real time a paused test may take at most: far less than the virtual time it covers, far more
/// than it needs on a loaded machine.
const REAL_LIMIT: Duration = Duration::from_secs(20);

/// Runs `body` in a task of a fresh one-worker runtime whose clock is paused, under a hang guard
/// (60 s) that names the test. Returns the real time it took.
fn paused<F, Fut>(body: F) -> Duration
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let test = std::thread::current()
        .name()
        .unwrap_or("<unnamed test>")
        .to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let rt = one_worker();
            let real = StdInstant::now();
            rt.block_on(async move {
                pause_unchecked(&driver::current().unwrap(), "test");
                filch_executor::spawn(async move { body().await })
                    .await
                    .unwrap();
            });
            real.elapsed()
        }));
        let _ = tx.send(out);
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(real)) => {
            assert!(real < REAL_LIMIT, "{test}: took {real:?} of real time");
            real
        }
        Ok(Err(payload)) => std::panic::resume_unwind(payload),
        Err(_) => panic!("test `{test}` did not finish within 60 s: it hangs"),
    }
}

fn one_worker() -> Runtime {
    Builder::new()
        .worker_threads(1)
        .stall_threshold(Duration::ZERO)
        .driver(crate::new_driver)
        .build()
        .unwrap()
}

/// `sleep(1 h)` completes at once in real time, and the clock has moved by exactly one hour.
#[test]
fn sleep_of_an_hour_completes_at_once_and_moves_the_clock_by_exactly_an_hour() {
    paused(|| async {
        let start = Instant::now();
        filch_executor::task::yield_now().await;
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(Instant::now(), start, "a paused clock stands still");
        sleep(HOUR).await;
        assert_eq!(Instant::now() - start, HOUR);
        assert_eq!(start.elapsed(), HOUR);
    });
}

/// Auto-advance goes to each deadline exactly, also deadlines that are not whole 10 µs granules,
/// in deadline order.
#[test]
fn auto_advance_reaches_each_deadline_exactly() {
    paused(|| async {
        let start = Instant::now();
        for nanos in [1_500_003u64, 7, 10_001, 3_000_000_000, 1] {
            let before = Instant::now();
            sleep(Duration::from_nanos(nanos)).await;
            assert_eq!(Instant::now() - before, Duration::from_nanos(nanos));
        }
        // Two sleeps in flight: the earlier deadline wakes first, at its own instant.
        let a = start + Duration::from_secs(10) + Duration::from_nanos(3);
        let b = start + Duration::from_secs(10) + Duration::from_nanos(5_000);
        let (tx, rx) = filch_executor::sync::oneshot::channel();
        filch_executor::spawn(async move {
            sleep_until(b).await;
            tx.send(Instant::now()).unwrap();
        });
        sleep_until(a).await;
        assert_eq!(Instant::now(), a);
        assert_eq!(rx.await.unwrap(), b);
    });
}

/// `timeout` fires in virtual time: a 30 s timeout of a future that never completes ends with
/// `Elapsed` after exactly 30 s of virtual time; one whose future finishes first returns its
/// output at the future's time.
#[test]
fn timeout_fires_in_virtual_time() {
    paused(|| async {
        let start = Instant::now();
        let never = std::future::pending::<()>();
        assert!(timeout(Duration::from_secs(30), never).await.is_err());
        assert_eq!(start.elapsed(), Duration::from_secs(30));

        let start = Instant::now();
        let quick = async {
            sleep(Duration::from_secs(10)).await;
            "done"
        };
        assert_eq!(timeout(Duration::from_secs(30), quick).await, Ok("done"));
        assert_eq!(start.elapsed(), Duration::from_secs(10));
    });
}

/// `advance` moves the clock by exactly the duration and fires the timers due by then, and only
/// those; the woken task has run when `advance` returns.
#[test]
fn advance_moves_the_clock_and_fires_due_timers() {
    paused(|| async {
        let start = Instant::now();
        let (tx, mut rx) = filch_executor::sync::mpsc::unbounded_channel();
        for secs in [1u64, 2, 5] {
            let tx = tx.clone();
            filch_executor::spawn(async move {
                sleep(Duration::from_secs(secs)).await;
                tx.send(secs).unwrap();
            });
        }
        drop(tx);
        filch_executor::task::yield_now().await; // let the sleepers register
        advance(Duration::from_millis(2500)).await;
        assert_eq!(start.elapsed(), Duration::from_millis(2500));
        // Both due sleepers have run (in whichever order the scheduler chose).
        let mut woken = [rx.try_recv().ok(), rx.try_recv().ok()];
        woken.sort_unstable();
        assert_eq!(woken, [Some(1), Some(2)]);
        assert!(rx.try_recv().is_err(), "the 5 s sleep is not due yet");
        // A deadline inside the wheel's present 10 µs granule: it fires on an advance of exactly
        // that much. First put the clock 1 µs into a granule (the wheel, moved to the granule's
        // end by `advance`, is then ahead of the clock), so the sleep is filed one granule on.
        let driver = driver::current().unwrap();
        let into_granule = driver.deadline_to_nanos(Instant::now().into_std()) % 10_000;
        advance(Duration::from_nanos(10_000 - into_granule + 1_000)).await;
        let (odd_tx, mut odd_rx) = filch_executor::sync::oneshot::channel();
        filch_executor::spawn(async move {
            sleep(Duration::from_nanos(4_003)).await;
            odd_tx.send(Instant::now()).unwrap();
        });
        filch_executor::task::yield_now().await;
        let before = Instant::now();
        advance(Duration::from_nanos(4_003)).await;
        let odd = odd_rx.try_recv().expect("the sleeper ran during advance");
        assert_eq!(odd - before, Duration::from_nanos(4_003));
        assert_eq!(rx.recv().await, Some(5));
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(5),
            "auto-advanced to the 5 s sleep"
        );
    });
}

/// An interval on a paused clock, after `advance` made it miss ticks, under each
/// [`MissedTickBehavior`]: which instants the ticks report and where the clock stands when they
/// complete.
#[test]
fn interval_after_advance_under_each_missed_tick_behavior() {
    paused(|| async {
        let period = Duration::from_secs(10);
        for behavior in [
            MissedTickBehavior::Burst,
            MissedTickBehavior::Delay,
            MissedTickBehavior::Skip,
        ] {
            let mut ticks = interval(period);
            ticks.set_missed_tick_behavior(behavior);
            let t0 = ticks.tick().await;
            assert_eq!(
                t0,
                Instant::now(),
                "{behavior:?}: the first tick is immediate"
            );
            advance(Duration::from_secs(35)).await;
            let late = t0 + Duration::from_secs(35);
            // The late tick completes at once, reporting its schedule.
            assert_eq!(ticks.tick().await, t0 + period, "{behavior:?}");
            assert_eq!(Instant::now(), late, "{behavior:?}");
            let (expected_ticks, expected_next): (&[u64], u64) = match behavior {
                // The missed ticks at 20 and 30 come at once, then the schedule goes on at 40.
                MissedTickBehavior::Burst => (&[20, 30], 40),
                // One full period after the late tick completed (35 + 10).
                MissedTickBehavior::Delay => (&[], 45),
                // The next tick of the original schedule still ahead.
                MissedTickBehavior::Skip => (&[], 40),
            };
            for &secs in expected_ticks {
                assert_eq!(
                    ticks.tick().await,
                    t0 + Duration::from_secs(secs),
                    "{behavior:?}"
                );
                assert_eq!(
                    Instant::now(),
                    late,
                    "{behavior:?}: bursts do not move the clock"
                );
            }
            let next = t0 + Duration::from_secs(expected_next);
            assert_eq!(ticks.tick().await, next, "{behavior:?}");
            assert_eq!(
                Instant::now(),
                next,
                "{behavior:?}: auto-advanced to the tick"
            );
            let after = next + period;
            assert_eq!(ticks.tick().await, after, "{behavior:?}");
        }
    });
}

/// A socket that became readable wins over a pending timer: the paused park looks at the OS
/// poller before it auto-advances, so the read completes and the clock does not move.
#[test]
fn a_socket_event_wakes_a_paused_runtime_before_any_auto_advance() {
    paused(|| async {
        let start = Instant::now();
        let (mut a, b) = UnixStream::pair().unwrap();
        let mut b = Some(b);
        let mut buf = [0u8; 1];
        let mut read = pin!(a.read(&mut buf));
        let mut hour = pin!(sleep(HOUR));
        let winner = poll_fn(|cx| {
            if let Poll::Ready(n) = read.as_mut().poll(cx) {
                return Poll::Ready(("socket", n.unwrap()));
            }
            if let Some(b) = b.take() {
                // The read is registered and pending; the byte is in the kernel before the timer is
                // registered and before this task returns `Pending` and the runtime parks.
                let b = b.into_std().unwrap();
                std::io::Write::write_all(&mut &b, b"x").unwrap();
            }
            if hour.as_mut().poll(cx).is_ready() {
                return Poll::Ready(("timer", 0));
            }
            Poll::Pending
        })
        .await;
        assert_eq!(winner, ("socket", 1));
        assert_eq!(Instant::now(), start, "the clock did not move");
    });
}

/// With no timer pending, a paused runtime blocks in the poller like a running one: bytes sent
/// from another thread, 50 ms later in real time, wake it.
#[test]
fn a_socket_event_from_another_thread_wakes_a_paused_idle_runtime() {
    let real = paused(|| async {
        let start = Instant::now();
        let (mut a, b) = UnixStream::pair().unwrap();
        let b = b.into_std().unwrap();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            std::io::Write::write_all(&mut &b, b"late").unwrap();
        });
        let mut buf = [0u8; 4];
        a.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"late");
        assert_eq!(Instant::now(), start);
        writer.join().unwrap();
    });
    assert!(real >= Duration::from_millis(50));
}

/// `resume` lets the clock run again from where it stood: it keeps the virtual hour and moves
/// with real time from there; timers then take real time again.
#[test]
fn resume_runs_the_clock_from_where_it_stood() {
    paused(|| async {
        let start = Instant::now();
        advance(HOUR).await;
        resume();
        let resumed = Instant::now();
        assert!(resumed - start >= HOUR);
        std::thread::sleep(Duration::from_millis(20));
        assert!(Instant::now() - resumed >= Duration::from_millis(20));
        let real = StdInstant::now();
        sleep(Duration::from_millis(30)).await;
        assert!(
            real.elapsed() >= Duration::from_millis(30),
            "a real sleep again"
        );
    });
}

/// Misuse panics with a message that names the fix: `resume` or `advance` on a running clock,
/// `pause` on a paused one.
#[test]
fn misuse_of_the_paused_clock_panics_with_a_message() {
    fn message(f: impl FnOnce()) -> String {
        let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_err();
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap()
    }
    let rt = one_worker();
    let _guard = rt.enter();
    let handle = driver::current().unwrap();
    let m = message(resume);
    assert!(m.contains("not paused") && m.contains("pause()"), "{m}");
    let m = message(|| futures_lite::future::block_on(advance(HOUR)));
    assert!(m.contains("not paused") && m.contains("pause()"), "{m}");
    pause_unchecked(&handle, "test");
    let m = message(|| pause_unchecked(&handle, "`filch::time::pause`"));
    assert!(
        m.contains("already paused") && m.contains("resume()"),
        "{m}"
    );
    let m = message(|| futures_lite::future::block_on(advance(Duration::MAX)));
    assert!(m.contains("beyond"), "{m}");
    resume();
}
