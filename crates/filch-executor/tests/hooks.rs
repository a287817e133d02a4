//! Panics in the thread hooks (`on_thread_start`, `on_thread_stop`) are caught: on a worker's
//! start they make `build` fail, on a blocking thread's start they fail that thread's job, and on
//! stop they are reported on stderr while shutdown goes on. None of them aborts the process.

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;

use common::{guard, panic_message, thread_name};
use filch_executor::runtime::Builder;
use futures_lite::future::block_on;

#[test]
fn a_panic_in_a_workers_start_hook_makes_build_fail_with_its_message() {
    guard(|| {
        let stops = Arc::new(AtomicUsize::new(0));
        let s = stops.clone();
        let err = Builder::new()
            .worker_threads(3)
            .on_thread_start(|| {
                if thread_name() == "filch-worker-1" {
                    panic!("no database connection");
                }
            })
            .on_thread_stop(move || {
                s.fetch_add(1, SeqCst);
            })
            .build()
            .expect_err("build must report the hook's panic");
        assert_eq!(err.kind(), std::io::ErrorKind::Other);
        let msg = err.to_string();
        assert!(
            msg.contains("on_thread_start")
                && msg.contains("filch-worker-1")
                && msg.contains("no database connection"),
            "{msg}"
        );
        // The workers whose hook succeeded were started and stopped again.
        assert_eq!(stops.load(SeqCst), 2);
    });
}

#[test]
fn a_panic_in_a_blocking_threads_start_hook_fails_its_job() {
    guard(|| {
        let rt = Builder::new()
            .worker_threads(1)
            .max_blocking_threads(1)
            .on_thread_start(|| {
                if thread_name().starts_with("filch-blocking-") {
                    panic!("blocking setup failed");
                }
            })
            .build()
            .unwrap();
        let ran = Arc::new(AtomicBool::new(false));
        // With a limit of one thread, the later jobs queue behind the first; each gets a thread
        // whose hook fails, and none of them may hang.
        let joins: Vec<_> = (0..3)
            .map(|_| {
                let ran = ran.clone();
                rt.handle().spawn_blocking(move || ran.store(true, SeqCst))
            })
            .collect();
        for join in joins {
            let err = block_on(join).expect_err("the job must fail");
            assert!(err.is_panic(), "{err}");
            let msg = panic_message(&*err.into_panic());
            assert!(
                msg.contains("on_thread_start")
                    && msg.contains("filch-blocking-")
                    && msg.contains("blocking setup failed"),
                "{msg}"
            );
        }
        assert!(
            !ran.load(SeqCst),
            "a job must not run after its thread's hook failed"
        );
        // The workers are unaffected.
        assert_eq!(block_on(rt.spawn(async { 3 })).unwrap(), 3);
    });
}

#[test]
fn after_a_blocking_start_hook_panics_later_threads_still_work() {
    guard(|| {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let rt = Builder::new()
            .worker_threads(1)
            .on_thread_start(move || {
                if thread_name().starts_with("filch-blocking-") && c.fetch_add(1, SeqCst) == 0 {
                    panic!("only the first blocking thread fails");
                }
            })
            .build()
            .unwrap();
        assert!(block_on(rt.handle().spawn_blocking(|| 1)).is_err());
        assert_eq!(block_on(rt.handle().spawn_blocking(|| 2)).unwrap(), 2);
    });
}

const CHILD: &str = "FILCH_HOOKS_TEST_CHILD";

/// Run by `a_panic_in_a_stop_hook_is_reported_and_shutdown_goes_on` in a child process, so that
/// its stderr can be read; does nothing in a normal test run.
#[test]
fn child_stop_hooks_panic() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    guard(|| {
        let stops = Arc::new(AtomicUsize::new(0));
        let s = stops.clone();
        let rt = Builder::new()
            .worker_threads(2)
            .on_thread_stop(move || {
                s.fetch_add(1, SeqCst);
                panic!("stop hook exploded");
            })
            .build()
            .unwrap();
        block_on(rt.handle().spawn_blocking(|| ())).unwrap();
        drop(rt);
        // Both workers and the blocking thread ran their hook, and the drop returned.
        assert_eq!(stops.load(SeqCst), 3);
    });
    println!("CHILD DONE");
}

#[test]
fn a_panic_in_a_stop_hook_is_reported_and_shutdown_goes_on() {
    guard(|| {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_stop_hooks_panic",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
        assert!(stdout.contains("CHILD DONE"), "{stdout}");
        for thread in ["filch-worker-0", "filch-worker-1", "filch-blocking-0"] {
            let line = format!("the on_thread_stop hook panicked on thread {thread}: stop hook exploded; shutdown continues");
            assert!(stderr.contains(&line), "no {line:?} in:\n{stderr}");
        }
    });
}
