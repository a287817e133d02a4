//! Unit tests of what the facade's tests cannot reach: the `SIGCHLD` fallback and the orphan
//! list of children whose runtime is gone.

use std::time::{Duration, Instant};

use super::reaper::{ExitWatch, FORCE_SIGCHLD};
use super::*;

fn runtime() -> filch_executor::runtime::Runtime {
    filch_executor::runtime::Builder::new()
        .driver(crate::new_driver)
        .build()
        .unwrap()
}

use crate::test_util::guard;

fn is_gone(pid: u32) -> bool {
    // Gone, or (pid reused) no longer a zombie of ours.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z')
        }
    }
}

fn wait_gone(pid: u32) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if is_gone(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

#[test]
fn sigchld_fallback_waits_and_reaps() {
    guard("sigchld_fallback_waits_and_reaps", || {
        let rt = runtime();
        rt.block_on(async {
            FORCE_SIGCHLD.store(true, std::sync::atomic::Ordering::SeqCst);
            let mut quick = Command::new("sh").args(["-c", "exit 7"]).spawn().unwrap();
            let mut slow = Command::new("sh")
                .args(["-c", "sleep 0.2; exit 5"])
                .spawn()
                .unwrap();
            let dropped = Command::new("sh")
                .args(["-c", "sleep 0.1"])
                .spawn()
                .unwrap();
            FORCE_SIGCHLD.store(false, std::sync::atomic::Ordering::SeqCst);
            assert!(matches!(quick.watch(), Some(ExitWatch::Sigchld(_))));
            assert!(matches!(slow.watch(), Some(ExitWatch::Sigchld(_))));
            let dropped_pid = dropped.id().unwrap();
            drop(dropped);
            assert_eq!(quick.wait().await.unwrap().code(), Some(7));
            assert_eq!(slow.wait().await.unwrap().code(), Some(5));
            assert!(
                wait_gone(dropped_pid),
                "dropped child {dropped_pid} left a zombie"
            );
        });
    });
}

#[cfg(target_os = "linux")]
#[test]
fn pidfd_is_used_on_linux() {
    guard("pidfd_is_used_on_linux", || {
        let rt = runtime();
        rt.block_on(async {
            let mut child = Command::new("true").spawn().unwrap();
            assert!(matches!(child.watch(), Some(ExitWatch::Pidfd(_))));
            assert!(child.wait().await.unwrap().success());
            assert!(child.watch().is_none());
        });
    });
}

#[test]
fn orphan_of_a_shut_down_runtime_is_reaped_at_next_spawn() {
    guard(
        "orphan_of_a_shut_down_runtime_is_reaped_at_next_spawn",
        || {
            let first = runtime();
            let child = first.block_on(async {
                Command::new("sh")
                    .args(["-c", "sleep 0.2"])
                    .spawn()
                    .unwrap()
            });
            let pid = child.id().unwrap();
            drop(first);
            // Its runtime is gone: the child goes on the orphan list.
            drop(child);
            assert!(super::reaper::orphan_count() >= 1);
            // Let it exit: nothing waits for it now (tests running beside this one may sweep the
            // list first; that is the same mechanism)...
            std::thread::sleep(Duration::from_millis(600));
            // ...and the next spawn, on any runtime, sweeps the list.
            let second = runtime();
            second.block_on(async {
                Command::new("true").status().await.unwrap();
            });
            assert!(
                is_gone(pid),
                "orphan {pid} is still a zombie after the next spawn"
            );
        },
    );
}
