//! The test clock's public contract on runtimes that cannot pause it, and `filch::time::Instant`
//! as filch's own type. (The paused clock itself is tested in `filch-io`'s
//! `src/time/paused_tests.rs`, and through the public API in `tests/time_paused.rs`.)

mod common;

use common::HangGuard;

use std::io::ErrorKind;
use std::panic::{catch_unwind, AssertUnwindSafe};

use common::guard;
use filch::runtime::Builder;
use filch::time::{pause, resume, sleep_until, timeout_at, Duration, Instant};

fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// `time::pause()` on a multi-thread runtime panics, saying the clock can only be paused on a
/// current-thread runtime and how to get one; the clock keeps running.
#[test]
fn pause_on_a_multi_thread_runtime_panics_with_a_message() {
    guard(
        "pause_on_a_multi_thread_runtime_panics_with_a_message",
        || {
            let runtime = Builder::new().worker_threads(1).build().unwrap();
            let message = runtime.block_on(async { panic_message(pause) });
            assert!(
                message.contains("can only be paused on a current-thread runtime"),
                "{message}"
            );
            assert!(message.contains("new_current_thread"), "{message}");
            // Not paused: `resume` says so, and timers still take real time.
            runtime.block_on(async {
                let message = panic_message(resume);
                assert!(message.contains("not paused"), "{message}");
                let start = std::time::Instant::now();
                filch::time::sleep(Duration::from_millis(20)).await;
                assert!(start.elapsed() >= Duration::from_millis(20));
            });
        },
    );
}

/// `Builder::start_paused(true)` on a multi-thread builder: `build` returns `InvalidInput` with
/// the same explanation (tokio panics here). `start_paused(false)` changes nothing.
#[test]
fn start_paused_on_a_multi_thread_builder_is_an_invalid_input_error() {
    let error = Builder::new()
        .worker_threads(1)
        .start_paused(true)
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(
        error
            .to_string()
            .contains("can only be paused on a current-thread runtime"),
        "{error}"
    );
    let runtime = Builder::new()
        .worker_threads(1)
        .start_paused(false)
        .build()
        .unwrap();
    runtime.block_on(async {
        let message = panic_message(resume);
        assert!(message.contains("not paused"), "{message}");
    });
}

/// `#[filch::test(start_paused = true)]` on a multi-thread runtime fails the test with the
/// builder's error.
#[filch::test(worker_threads = 2, start_paused = true)]
#[should_panic(expected = "can only be paused on a current-thread runtime")]
async fn start_paused_attribute_on_a_multi_thread_runtime_fails_the_test() {}

/// Outside a runtime, the clock functions panic with a message naming the fix, and
/// `Instant::now()` is std's clock.
#[test]
fn clock_functions_outside_a_runtime_name_the_fix() {
    for message in [panic_message(pause), panic_message(resume)] {
        assert!(message.contains("inside a filch runtime"), "{message}");
    }
    let before = std::time::Instant::now();
    let now = Instant::now().into_std();
    assert!(now >= before && now <= std::time::Instant::now());
}

/// `filch::time::Instant` is filch's own type: the deadline functions take it, `Sleep` and
/// `Interval` hand it back, and it converts from and to `std::time::Instant`.
#[filch::test]
async fn deadlines_are_filch_instants() {
    let _hang = HangGuard::new("deadlines_are_filch_instants", 60);
    let std_deadline = std::time::Instant::now() + Duration::from_millis(5);
    let deadline = Instant::from_std(std_deadline);
    let sleep = sleep_until(deadline);
    assert_eq!(sleep.deadline(), deadline);
    assert_eq!(sleep.deadline().into_std(), std_deadline);
    sleep.await;
    assert!(Instant::now() >= deadline);
    assert!(deadline.elapsed() < Duration::from_secs(60));

    let later: Instant = (std::time::Instant::now() + Duration::from_secs(60)).into();
    assert_eq!(timeout_at(later, async { 7 }).await, Ok(7));

    let start = Instant::now() + Duration::from_millis(2);
    let mut ticks = filch::time::interval_at(start, Duration::from_millis(3));
    assert_eq!(ticks.tick().await, start);
    assert_eq!(ticks.tick().await, start + Duration::from_millis(3));
}
