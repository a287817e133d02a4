//! The paused test clock through the public API: `#[filch::test(start_paused = true)]` and
//! `filch::time::pause()` inside a current-thread runtime.
//!
//! The mechanism itself is also tested on a one-worker runtime in `filch-io`'s
//! `src/time/paused_tests.rs`.

mod common;

use common::HangGuard;

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;

use filch::io::prelude::*;
use filch::net::UnixStream;
use filch::runtime::{Handle, RuntimeFlavor};
use filch::time::{
    advance, interval, pause, resume, sleep, timeout, Duration, Instant, MissedTickBehavior,
};

const HOUR: Duration = Duration::from_secs(3600);

/// `start_paused = true`: `sleep(1 h)` completes at once, and the clock moved by exactly an hour.
#[filch::test(start_paused = true)]
async fn start_paused_sleep_of_an_hour_takes_no_real_time() {
    let _hang = HangGuard::new("start_paused_sleep_of_an_hour_takes_no_real_time", 60);
    assert_eq!(
        Handle::current().runtime_flavor(),
        RuntimeFlavor::CurrentThread
    );
    let real = std::time::Instant::now();
    let start = Instant::now();
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(Instant::now(), start, "a paused clock stands still");
    sleep(HOUR).await;
    assert_eq!(start.elapsed(), HOUR);
    assert!(real.elapsed() < Duration::from_secs(20));
}

/// `pause()` inside a current-thread runtime (here `#[filch::test]`'s default one), then a 30 s
/// timeout fires in virtual time.
#[filch::test]
async fn pause_inside_a_current_thread_runtime_then_a_timeout_fires_in_virtual_time() {
    let _hang = HangGuard::new(
        "pause_inside_a_current_thread_runtime_then_a_timeout_fires_in_virtual_time",
        60,
    );
    assert_eq!(
        Handle::current().runtime_flavor(),
        RuntimeFlavor::CurrentThread
    );
    pause();
    let start = Instant::now();
    let result = timeout(Duration::from_secs(30), std::future::pending::<()>()).await;
    assert!(result.is_err());
    assert_eq!(start.elapsed(), Duration::from_secs(30));
    assert_eq!(
        timeout(Duration::from_secs(30), sleep(Duration::from_secs(2))).await,
        Ok(())
    );
    assert_eq!(start.elapsed(), Duration::from_secs(32));
}

/// An interval that missed ticks because of `advance`, under each `MissedTickBehavior`.
#[filch::test(start_paused = true)]
async fn interval_after_advance_under_each_missed_tick_behavior() {
    let _hang = HangGuard::new("interval_after_advance_under_each_missed_tick_behavior", 60);
    let period = Duration::from_secs(10);
    for (behavior, bursts, next) in [
        (MissedTickBehavior::Burst, &[20u64, 30][..], 40u64),
        (MissedTickBehavior::Delay, &[][..], 45),
        (MissedTickBehavior::Skip, &[][..], 40),
    ] {
        let mut ticks = interval(period);
        ticks.set_missed_tick_behavior(behavior);
        let t0 = ticks.tick().await;
        advance(Duration::from_secs(35)).await;
        assert_eq!(ticks.tick().await, t0 + period, "{behavior:?}");
        for &secs in bursts {
            assert_eq!(
                ticks.tick().await,
                t0 + Duration::from_secs(secs),
                "{behavior:?}"
            );
        }
        assert_eq!(Instant::now(), t0 + Duration::from_secs(35), "{behavior:?}");
        let next = t0 + Duration::from_secs(next);
        assert_eq!(ticks.tick().await, next, "{behavior:?}");
        assert_eq!(Instant::now(), next, "{behavior:?}");
    }
}

/// A socket event still wakes a paused runtime, and wins over a pending timer.
#[filch::test(start_paused = true)]
async fn a_socket_event_still_wakes_a_paused_runtime() {
    let _hang = HangGuard::new("a_socket_event_still_wakes_a_paused_runtime", 60);
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
    assert_eq!(Instant::now(), start);

    // With no timer at all, bytes sent 50 ms later from another thread wake it.
    let (mut a, b) = UnixStream::pair().unwrap();
    let b = b.into_std().unwrap();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        std::io::Write::write_all(&mut &b, b"late").unwrap();
    });
    let mut buf = [0u8; 4];
    a.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"late");
    writer.join().unwrap();
}

/// `resume` lets the clock run again from where it stood.
#[filch::test(start_paused = true)]
async fn resume_runs_the_clock_from_where_it_stood() {
    let _hang = HangGuard::new("resume_runs_the_clock_from_where_it_stood", 60);
    let start = Instant::now();
    advance(HOUR).await;
    resume();
    let real = std::time::Instant::now();
    sleep(Duration::from_millis(20)).await;
    assert!(real.elapsed() >= Duration::from_millis(20));
    assert!(start.elapsed() >= HOUR + Duration::from_millis(20));
}
