//! The blocking bridges: `task::block_in_place` (the worker's queue moves elsewhere while it
//! blocks) and `Handle::block_on` (wait for a future from a thread that is not a worker).

#![cfg(all(feature = "net", feature = "time"))]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use filch::runtime::{Builder, Handle};
use filch::task::block_in_place;

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Runs [`ticker_during_block_in_place`] and checks that the ticker kept going: at least 3
/// ticks during the 300 ms block, and no gap of 200 ms or more.
fn assert_ticker_kept_going(stall_threshold: Option<Duration>) {
    let (during, max_gap) = ticker_during_block_in_place(stall_threshold);
    assert!(
        during >= 3,
        "only {during} ticks during a 300 ms block_in_place"
    );
    assert!(
        max_gap < Duration::from_millis(200),
        "the ticker stopped for {max_gap:?}"
    );
}

/// One worker; a task blocks in place for 300 ms while another task's 50 ms ticker keeps
/// ticking. Returns the ticks seen during the block and the longest gap between two ticks.
fn ticker_during_block_in_place(stall_threshold: Option<Duration>) -> (usize, Duration) {
    let mut builder = Builder::new_multi_thread();
    builder.worker_threads(1);
    if let Some(t) = stall_threshold {
        builder.stall_threshold(t);
    }
    let rt = builder.build().unwrap();
    rt.block_on(async {
        let ticks = Arc::new(Mutex::new(Vec::<Instant>::new()));
        let t = ticks.clone();
        let ticker = filch::spawn(async move {
            let mut interval = filch::time::interval(Duration::from_millis(50));
            for _ in 0..12 {
                interval.tick().await;
                t.lock().unwrap().push(Instant::now());
            }
        });
        // Let the ticker start.
        filch::time::sleep(Duration::from_millis(60)).await;
        let (start, end) = filch::spawn(async {
            let start = Instant::now();
            block_in_place(|| thread::sleep(Duration::from_millis(300)));
            (start, Instant::now())
        })
        .await
        .unwrap();
        ticker.await.unwrap();
        let ticks = ticks.lock().unwrap().clone();
        let during = ticks.iter().filter(|t| **t > start && **t < end).count();
        let mut max_gap = Duration::ZERO;
        for pair in ticks.windows(2) {
            max_gap = max_gap.max(pair[1] - pair[0]);
        }
        (during, max_gap)
    })
}

#[test]
fn block_in_place_keeps_a_one_worker_runtime_ticking() {
    common::guard("block_in_place_keeps_a_one_worker_runtime_ticking", || {
        // A threshold far above the block: only block_in_place's own hand-over can help.
        assert_ticker_kept_going(Some(Duration::from_secs(10)));
    });
}

#[test]
fn block_in_place_works_with_stall_handling_off() {
    common::guard("block_in_place_works_with_stall_handling_off", || {
        assert_ticker_kept_going(Some(Duration::ZERO));
    });
}

#[test]
fn tasks_queued_behind_block_in_place_run_meanwhile() {
    common::guard("tasks_queued_behind_block_in_place_run_meanwhile", || {
        let rt = Builder::new_multi_thread()
            .worker_threads(1)
            .stall_threshold(Duration::from_secs(10))
            .build()
            .unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        let ran2 = ran.clone();
        let seen_during = rt.block_on(async move {
            filch::spawn(async move {
                // Queued on this worker (its LIFO slot and deque) before it blocks.
                for _ in 0..10 {
                    let r = ran2.clone();
                    filch::spawn(async move {
                        r.fetch_add(1, Ordering::SeqCst);
                    });
                }
                block_in_place(|| {
                    let deadline = Instant::now() + Duration::from_secs(5);
                    while ran2.load(Ordering::SeqCst) < 10 && Instant::now() < deadline {
                        thread::sleep(Duration::from_millis(5));
                    }
                    ran2.load(Ordering::SeqCst)
                })
            })
            .await
            .unwrap()
        });
        assert_eq!(
            seen_during, 10,
            "the queued tasks waited for block_in_place"
        );
        assert_eq!(ran.load(Ordering::SeqCst), 10);
    });
}

#[test]
fn block_in_place_off_a_worker_just_runs_the_function() {
    common::guard("block_in_place_off_a_worker_just_runs_the_function", || {
        assert_eq!(block_in_place(|| 1), 1, "outside any runtime");
        let rt = Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        // On the block_on thread (not a worker).
        assert_eq!(rt.block_on(async { block_in_place(|| 2) }), 2);
        // On a blocking-pool thread.
        let three = rt.block_on(async {
            filch::task::spawn_blocking(|| block_in_place(|| 3))
                .await
                .unwrap()
        });
        assert_eq!(three, 3);
    });
}

#[test]
fn block_in_place_panics_on_a_current_thread_runtime() {
    common::guard("block_in_place_panics_on_a_current_thread_runtime", || {
        let rt = Builder::new_current_thread().build().unwrap();
        let caught = rt.block_on(async {
            std::panic::catch_unwind(|| block_in_place(|| ())).map_err(|p| panic_text(&*p))
        });
        let text = caught.unwrap_err();
        assert!(text.contains("current-thread runtime"), "{text}");
        assert!(text.contains("spawn_blocking"), "{text}");
        let in_task = rt.block_on(async {
            filch::spawn(async { block_in_place(|| ()) })
                .await
                .unwrap_err()
        });
        assert!(in_task.is_panic());
    });
}

#[test]
fn handle_block_on_is_allowed_inside_block_in_place() {
    common::guard("handle_block_on_is_allowed_inside_block_in_place", || {
        let rt = Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let out = rt.block_on(async {
            filch::spawn(async {
                block_in_place(|| {
                    Handle::current().block_on(async {
                        filch::time::sleep(Duration::from_millis(10)).await;
                        filch::spawn(async { 11 }).await.unwrap()
                    })
                })
            })
            .await
            .unwrap()
        });
        assert_eq!(out, 11);
    });
}

#[test]
fn handle_block_on_from_a_plain_thread() {
    common::guard("handle_block_on_from_a_plain_thread", || {
        let rt = Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        let handle = rt.handle().clone();
        let out = thread::spawn(move || {
            handle.block_on(async {
                // The runtime is current inside: spawn, timers and Handle::current work.
                filch::time::sleep(Duration::from_millis(5)).await;
                let n = filch::spawn(async { 20 }).await.unwrap();
                n + Handle::current().worker_threads()
            })
        })
        .join()
        .unwrap();
        assert_eq!(out, 21);
    });
}

#[test]
fn handle_block_on_inside_a_task_panics_with_a_message() {
    common::guard(
        "handle_block_on_inside_a_task_panics_with_a_message",
        || {
            let rt = Builder::new_multi_thread()
                .worker_threads(1)
                .build()
                .unwrap();
            let handle = rt.handle().clone();
            let err = rt.block_on(async move {
                filch::spawn(async move {
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        handle.block_on(async {})
                    }))
                    .map_err(|p| panic_text(&*p))
                })
                .await
                .unwrap()
            });
            let text = err.unwrap_err();
            assert!(text.contains("Handle::block_on"), "{text}");
            assert!(text.contains("block_in_place"), "{text}");
            // Inside the block_on future of the same runtime, too.
            let handle = rt.handle().clone();
            let caught = rt.block_on(async move {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handle.block_on(async {})))
                    .is_err()
            });
            assert!(caught);
        },
    );
}

/// The child side of `block_in_place_is_not_reported_as_a_stall`.
#[test]
fn block_in_place_child() {
    if std::env::var_os("FILCH_BIP_CHILD").is_none() {
        return;
    }
    let rt = Builder::new_multi_thread()
        .worker_threads(1)
        .stall_threshold(Duration::from_millis(20))
        .build()
        .unwrap();
    rt.block_on(async {
        filch::spawn(async { block_in_place(|| thread::sleep(Duration::from_millis(200))) })
            .await
            .unwrap();
    });
    println!("CHILD_DONE");
}

#[test]
fn block_in_place_is_not_reported_as_a_stall() {
    common::guard("block_in_place_is_not_reported_as_a_stall", || {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "block_in_place_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("FILCH_BIP_CHILD", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stdout} {stderr}");
        assert!(stdout.contains("CHILD_DONE"), "{stdout}");
        assert!(!stderr.contains("stuck in one poll"), "{stderr}");
    });
}
