//! `filch::process`: exit codes, pipes both ways at once, killing, `kill_on_drop`, many children
//! at once, no zombies left, output, environment and directory, the error outside a runtime.

use std::collections::HashSet;
use std::io;
use std::process::Stdio;
use std::time::{Duration, Instant};

use filch::io::prelude::*;
use filch::process::Command;
use filch::runtime::{Builder, Runtime};
use filch::time::timeout;

mod common;
use common::guard;

fn runtime() -> Runtime {
    Builder::new().worker_threads(2).build().unwrap()
}

const LIMIT: Duration = Duration::from_secs(30);

/// The state letter of process `pid` from `/proc/<pid>/stat` (`None`: no such process).
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(')').next()?.trim_start().chars().next()
}

/// The parent pid of process `pid`.
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(')')
        .next()?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Zombies among `pids` that are still children of this process.
fn zombies_among(pids: &HashSet<u32>) -> Vec<u32> {
    let me = std::process::id();
    pids.iter()
        .copied()
        .filter(|&pid| proc_state(pid) == Some('Z') && parent_of(pid) == Some(me))
        .collect()
}

/// Waits (up to 20 s) until none of `pids` is a zombie child of ours; returns those left.
fn wait_no_zombies(pids: &HashSet<u32>) -> Vec<u32> {
    let start = Instant::now();
    loop {
        let left = zombies_among(pids);
        if left.is_empty() || start.elapsed() > Duration::from_secs(20) {
            return left;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits (up to 20 s) until `pid` is gone from `/proc` (or belongs to someone else now).
fn wait_gone(pid: u32) -> bool {
    let me = std::process::id();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if proc_state(pid).is_none() || parent_of(pid) != Some(me) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn exit_codes() {
    guard("exit_codes", || {
        runtime().block_on(async {
            assert!(Command::new("true").status().await.unwrap().success());
            let status = Command::new("false").status().await.unwrap();
            assert!(!status.success());
            assert_eq!(status.code(), Some(1));
            let status = Command::new("sh")
                .args(["-c", "exit 3"])
                .status()
                .await
                .unwrap();
            assert_eq!(status.code(), Some(3));

            let mut child = Command::new("sh").args(["-c", "exit 4"]).spawn().unwrap();
            assert!(child.id().is_some());
            assert_eq!(child.wait().await.unwrap().code(), Some(4));
            // Reaped: no id, and the same status again.
            assert_eq!(child.id(), None);
            assert_eq!(child.wait().await.unwrap().code(), Some(4));
            assert_eq!(child.try_wait().unwrap().and_then(|s| s.code()), Some(4));
        });
    });
}

#[test]
fn try_wait_does_not_block() {
    guard("try_wait_does_not_block", || {
        runtime().block_on(async {
            let mut child = Command::new("sleep").arg("0.3").spawn().unwrap();
            assert_eq!(child.try_wait().unwrap(), None);
            assert!(child.id().is_some());
            let start = Instant::now();
            loop {
                if let Some(status) = child.try_wait().unwrap() {
                    assert!(status.success());
                    break;
                }
                assert!(start.elapsed() < LIMIT, "sleep 0.3 never exited");
                filch::time::sleep(Duration::from_millis(20)).await;
            }
        });
    });
}

#[test]
fn a_mebibyte_through_cat_both_ways_at_once() {
    guard("a_mebibyte_through_cat_both_ways_at_once", || {
        runtime().block_on(async {
            let data: Vec<u8> = (0..1024 * 1024).map(|i| (i * 7 % 251) as u8).collect();
            let mut child = Command::new("cat")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            let mut stdout = child.stdout.take().unwrap();
            // Writing all before reading would deadlock once both pipe buffers are full: the two
            // run at once, on one task.
            let to_write = data.clone();
            let writer = async move {
                stdin.write_all(&to_write).await?;
                drop(stdin);
                io::Result::Ok(())
            };
            let reader = async move {
                let mut out = Vec::new();
                stdout.read_to_end(&mut out).await?;
                io::Result::Ok(out)
            };
            let ((), out) = timeout(LIMIT, async { filch::try_join!(writer, reader) })
                .await
                .expect("cat deadlocked")
                .unwrap();
            assert_eq!(out.len(), data.len());
            assert!(out == data, "cat changed the bytes");
            assert!(child.wait().await.unwrap().success());
        });
    });
}

#[test]
fn wait_with_output_reads_both_pipes_concurrently() {
    guard("wait_with_output_reads_both_pipes_concurrently", || {
        runtime().block_on(async {
            // 256 KiB to stderr first, then to stdout: more than a pipe holds, so reading stdout
            // alone first would deadlock.
            let script = "head -c 262144 /dev/zero | tr '\\0' e >&2; \
                          head -c 262144 /dev/zero | tr '\\0' o";
            let child = Command::new("sh")
                .args(["-c", script])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let output = timeout(LIMIT, child.wait_with_output())
                .await
                .expect("wait_with_output deadlocked")
                .unwrap();
            assert!(output.status.success());
            assert_eq!(output.stdout.len(), 262144);
            assert_eq!(output.stderr.len(), 262144);
            assert!(output.stdout.iter().all(|&b| b == b'o'));
            assert!(output.stderr.iter().all(|&b| b == b'e'));

            let output = Command::new("sh")
                .args(["-c", "echo out; echo err >&2; exit 2"])
                .output()
                .await
                .unwrap();
            assert_eq!(output.status.code(), Some(2));
            assert_eq!(output.stdout, b"out\n");
            assert_eq!(output.stderr, b"err\n");
        });
    });
}

#[test]
fn kill_and_start_kill() {
    guard("kill_and_start_kill", || {
        runtime().block_on(async {
            let mut child = Command::new("sleep").arg("30").spawn().unwrap();
            let start = Instant::now();
            child.kill().await.unwrap();
            assert!(start.elapsed() < Duration::from_secs(20));
            let status = child.wait().await.unwrap();
            assert_eq!(
                std::os::unix::process::ExitStatusExt::signal(&status),
                Some(libc::SIGKILL)
            );
            // Nothing left to kill.
            let err = child.start_kill().unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);

            let mut child = Command::new("sleep").arg("30").spawn().unwrap();
            child.start_kill().unwrap();
            let status = timeout(LIMIT, child.wait()).await.unwrap().unwrap();
            assert_eq!(
                std::os::unix::process::ExitStatusExt::signal(&status),
                Some(libc::SIGKILL)
            );
        });
    });
}

#[test]
fn kill_on_drop_kills_and_reaps() {
    guard("kill_on_drop_kills_and_reaps", || {
        runtime().block_on(async {
            let mut command = Command::new("sleep");
            command.arg("30").kill_on_drop(true);
            assert!(command.get_kill_on_drop());
            let child = command.spawn().unwrap();
            let pid = child.id().unwrap();
            assert_eq!(parent_of(pid), Some(std::process::id()));
            drop(child);
            assert!(
                wait_gone(pid),
                "child {pid} still exists after kill_on_drop"
            );
        });
    });
}

#[test]
fn dropped_children_are_reaped() {
    guard("dropped_children_are_reaped", || {
        runtime().block_on(async {
            let mut pids = HashSet::new();
            for i in 0..20 {
                let child = Command::new("sh")
                    .args(["-c", &format!("sleep 0.{}", i % 3)])
                    .spawn()
                    .unwrap();
                pids.insert(child.id().unwrap());
                drop(child);
            }
            let left = wait_no_zombies(&pids);
            assert!(left.is_empty(), "zombies left: {left:?}");
            for pid in &pids {
                assert!(wait_gone(*pid), "child {pid} never exited");
            }
            let left = zombies_among(&pids);
            assert!(left.is_empty(), "zombies left: {left:?}");
        });
    });
}

#[test]
fn two_hundred_children_at_once() {
    guard("two_hundred_children_at_once", || {
        let rt = runtime();
        rt.block_on(async {
            let mut tasks = Vec::new();
            let mut pids = HashSet::new();
            for i in 0..200 {
                let mut child = Command::new("sh")
                    .args(["-c", &format!("exit {}", i % 7)])
                    .spawn()
                    .unwrap();
                pids.insert(child.id().unwrap());
                tasks.push(filch::spawn(async move {
                    (i, child.wait().await.unwrap().code())
                }));
            }
            for task in tasks {
                let (i, code) = timeout(LIMIT, task).await.unwrap().unwrap();
                assert_eq!(code, Some(i % 7));
            }
            let left = zombies_among(&pids);
            assert!(left.is_empty(), "zombies left: {left:?}");
        });
    });
}

#[test]
fn env_and_current_dir() {
    guard("env_and_current_dir", || {
        runtime().block_on(async {
            let dir = std::env::temp_dir().canonicalize().unwrap();
            let output = Command::new("sh")
                .args(["-c", "echo \"$A,$B,$C,$PWD\""])
                .env("A", "1")
                .envs([("B", "2"), ("C", "3")])
                .env_remove("C")
                .current_dir(&dir)
                .output()
                .await
                .unwrap();
            let expected = format!("1,2,,{}\n", dir.display());
            assert_eq!(String::from_utf8_lossy(&output.stdout), expected);

            // `env_clear` leaves only what is set afterwards (`env` prints the environment).
            let output = Command::new("/usr/bin/env")
                .env_clear()
                .env("ONLY", "this")
                .output()
                .await
                .unwrap();
            assert_eq!(output.stdout, b"ONLY=this\n");

            let output = Command::new("sh")
                .args(["-c", "ps -o pgid= -p $$"])
                .process_group(0)
                .output()
                .await;
            // Without `ps` (minimal images) the check is skipped; the spawn must still work.
            if let Ok(output) = output {
                if output.status.success() {
                    let pgid: u32 = String::from_utf8_lossy(&output.stdout)
                        .trim()
                        .parse()
                        .unwrap();
                    assert_ne!(pgid, 0);
                    // A new group: not ours.
                    let ours = std::fs::read_to_string("/proc/self/stat").unwrap();
                    let ours: u32 = ours
                        .rsplit(')')
                        .next()
                        .unwrap()
                        .split_whitespace()
                        .nth(2)
                        .unwrap()
                        .parse()
                        .unwrap();
                    assert_ne!(pgid, ours);
                }
            }
        });
    });
}

#[test]
fn a_missing_program_is_not_found() {
    guard("a_missing_program_is_not_found", || {
        runtime().block_on(async {
            let err = Command::new("/nonexistent/filch-no-such-program")
                .spawn()
                .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::NotFound);
        });
    });
}

#[test]
fn spawn_outside_a_runtime_names_the_fix() {
    let err = Command::new("true").spawn().unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("filch::process::Command::spawn")
            && message.contains("inside a filch runtime"),
        "{message}"
    );
}

#[test]
fn pipes_hand_over_to_another_child() {
    guard("pipes_hand_over_to_another_child", || {
        runtime().block_on(async {
            let mut first = Command::new("echo")
                .arg("through two children")
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let stdout: Stdio = first.stdout.take().unwrap().try_into().unwrap();
            let output = Command::new("cat").stdin(stdout).output().await.unwrap();
            assert_eq!(output.stdout, b"through two children\n");
            assert!(first.wait().await.unwrap().success());
        });
    });
}

#[test]
fn types_are_send_and_sync_and_pipes_unwind_safe() {
    use std::panic::{RefUnwindSafe, UnwindSafe};
    fn send_sync<T: Send + Sync>() {}
    fn unwind_safe<T: UnwindSafe + RefUnwindSafe>() {}
    send_sync::<Command>();
    send_sync::<filch::process::Child>();
    send_sync::<filch::process::ChildStdin>();
    send_sync::<filch::process::ChildStdout>();
    send_sync::<filch::process::ChildStderr>();
    send_sync::<filch::signal::unix::Signal>();
    unwind_safe::<filch::process::ChildStdin>();
    unwind_safe::<filch::process::ChildStdout>();
    unwind_safe::<filch::process::ChildStderr>();
}
