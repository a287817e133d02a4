//! Helpers shared by the integration tests.
//!
//! Nothing here measures speed: [`guard`]'s limit is only a hang guard, generous enough for a
//! loaded two-core machine, that turns a deadlock into a failing test (named in the message)
//! instead of a stuck CI job.
#![allow(dead_code, unreachable_pub)]

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use filch_executor::runtime::{Builder, Runtime};

/// How long a test may take before it is declared hung.
pub const HANG: Duration = Duration::from_secs(60);

/// Runs `f` on its own thread and fails the test, naming it, if `f` does not finish within
/// [`HANG`]. A panic inside `f` is re-raised on the caller's thread.
#[track_caller]
pub fn guard<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    guard_for(HANG, f)
}

/// [`guard`] with an explicit limit.
#[track_caller]
pub fn guard_for<R: Send + 'static>(limit: Duration, f: impl FnOnce() -> R + Send + 'static) -> R {
    // libtest runs each test on a thread named after it.
    let test = thread::current()
        .name()
        .unwrap_or("<unnamed test>")
        .to_string();
    let (tx, rx) = mpsc::channel();
    let worker = thread::Builder::new()
        .name(format!("{test} (guarded)"))
        .spawn(move || {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = tx.send(out);
        })
        .expect("spawn the guarded thread");
    match rx.recv_timeout(limit) {
        Ok(Ok(value)) => {
            let _ = worker.join();
            value
        }
        Ok(Err(payload)) => std::panic::resume_unwind(payload),
        // The hung thread is left behind; the test binary exits when its tests are done.
        Err(_) => panic!("test `{test}` did not finish within {limit:?}: it hangs"),
    }
}

/// A runtime with the filch I/O driver and `workers` worker threads.
pub fn runtime(workers: usize) -> Runtime {
    Builder::new()
        .worker_threads(workers)
        .driver(filch_io::new_driver)
        .build()
        .expect("building a runtime with the I/O driver")
}

/// `len` pseudo-random bytes from `rng` (test payloads).
pub fn bytes(rng: &mut fastrand::Rng, len: usize) -> Vec<u8> {
    let mut out = vec![0; len];
    rng.fill(&mut out);
    out
}

/// CPU time (user + system) this process has used so far, over all its threads.
pub fn process_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `clock_gettime` writes into the valid, exclusively borrowed `ts`.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// A unique path for a Unix socket in the temp directory.
pub fn socket_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("filch-io-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}
