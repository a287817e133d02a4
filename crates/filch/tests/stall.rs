//! A task that blocks its worker costs that worker, never the runtime (issue "stall-proof
//! scheduling"). Timing bounds here are generous (a loaded two-core CI machine); the precise
//! figures come from `examples/stall.rs`. Without the fixes each of these tests sees the full
//! length of the block (1 to 2 s) where the bound is a few hundred milliseconds.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use filch::runtime::{Builder, Runtime};

mod common;
use common::guard;

/// Generous bound for a 100 ms rhythm; a stalled driver shows gaps of about 1 s.
const MAX_GAP: Duration = Duration::from_millis(400);

fn runtime(workers: usize) -> Runtime {
    Builder::new().worker_threads(workers).build().unwrap()
}

fn max_gap(times: &[Instant]) -> Duration {
    times
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or_default()
}

/// Where the blocking task starts: spawned from outside (it lands on whichever worker the
/// injector hands it to), or from a task a timer woke (so it runs on the worker that was in
/// the driver a moment before).
#[derive(Clone, Copy, Debug)]
enum BlockFrom {
    Outside,
    TimerWokenTask,
}

/// A 100 ms ticker and a Unix-socket reader fed every 100 ms keep their rhythm while one worker
/// is blocked for 1 s.
fn rhythm_survives_a_blocked_worker(workers: usize, from: BlockFrom) {
    let rt = runtime(workers);
    let (ticks, reads) = rt.block_on(async move {
        let ticker = filch::spawn(async {
            let mut times = vec![Instant::now()];
            for _ in 0..14 {
                filch::time::sleep(Duration::from_millis(100)).await;
                times.push(Instant::now());
            }
            times
        });
        let (reader, writer) = std::os::unix::net::UnixStream::pair().unwrap();
        let reader = filch::net::UnixStream::from_std(reader).unwrap();
        let feeder = thread::spawn(move || {
            let mut writer = writer;
            for _ in 0..14 {
                thread::sleep(Duration::from_millis(100));
                if writer.write_all(b"x").is_err() {
                    break;
                }
            }
        });
        let reads = filch::spawn(async move {
            use filch::io::AsyncReadExt;
            let mut reader = reader;
            let mut times = Vec::new();
            let mut byte = [0u8; 1];
            while let Ok(1) = reader.read(&mut byte).await {
                times.push(Instant::now());
            }
            times
        });
        filch::time::sleep(Duration::from_millis(250)).await;
        let block = || async { thread::sleep(Duration::from_secs(1)) };
        match from {
            BlockFrom::Outside => filch::spawn(block()).await.unwrap(),
            BlockFrom::TimerWokenTask => filch::spawn(async move {
                filch::time::sleep(Duration::from_millis(1)).await;
                filch::spawn(block()).await.unwrap();
            })
            .await
            .unwrap(),
        }
        let ticks = ticker.await.unwrap();
        feeder.join().unwrap();
        (ticks, reads.await.unwrap())
    });
    let (tick_gap, read_gap) = (max_gap(&ticks), max_gap(&reads));
    assert!(
        tick_gap < MAX_GAP,
        "{workers} workers, blocker {from:?}: the ticker stalled for {tick_gap:?}"
    );
    assert!(reads.len() >= 10, "only {} reads", reads.len());
    assert!(
        read_gap < MAX_GAP,
        "{workers} workers, blocker {from:?}: the socket reader stalled for {read_gap:?}"
    );
}

#[test]
fn timers_and_sockets_keep_their_rhythm_while_one_of_two_workers_blocks() {
    guard("two workers", || {
        rhythm_survives_a_blocked_worker(2, BlockFrom::Outside);
        rhythm_survives_a_blocked_worker(2, BlockFrom::TimerWokenTask);
    });
}

#[test]
fn timers_and_sockets_keep_their_rhythm_with_three_and_four_workers() {
    guard("three and four workers", || {
        rhythm_survives_a_blocked_worker(3, BlockFrom::TimerWokenTask);
        rhythm_survives_a_blocked_worker(4, BlockFrom::Outside);
    });
}

/// Tasks queued behind a blocked worker are taken over while the other worker stays busy (it
/// never runs out of work, so it would never steal).
///
/// The parent blocks its worker first (spinning), so the busy task must start on the other
/// worker; only then does the parent queue its children and block for 2 s.
#[test]
fn queued_tasks_are_taken_over_from_a_blocked_worker_by_a_busy_one() {
    guard("queued tasks", || {
        let rt = runtime(2);
        let stop = Arc::new(AtomicBool::new(false));
        let busy_thread = Arc::new(Mutex::new(None::<String>));
        let done = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel();
        let parent = {
            let (busy_thread, done) = (busy_thread.clone(), done.clone());
            rt.spawn(async move {
                let me = thread::current().name().map(str::to_owned);
                tx.send(me.clone()).unwrap();
                // Hold this worker until the busy task runs on the other one.
                while busy_thread.lock().unwrap().is_none() {
                    thread::yield_now();
                }
                assert_ne!(*busy_thread.lock().unwrap(), me, "one worker ran both");
                for _ in 0..8 {
                    let done = done.clone();
                    drop(filch::spawn(async move {
                        done.fetch_add(1, SeqCst);
                    }));
                }
                tx.send(None).unwrap();
                thread::sleep(Duration::from_secs(2));
            })
        };
        rx.recv().unwrap();
        let busy = {
            let (stop, busy_thread) = (stop.clone(), busy_thread.clone());
            rt.spawn(async move {
                *busy_thread.lock().unwrap() = thread::current().name().map(str::to_owned);
                while !stop.load(SeqCst) {
                    filch::task::yield_now().await;
                }
            })
        };
        rx.recv().unwrap();
        let start = Instant::now();
        while done.load(SeqCst) < 8 && start.elapsed() < Duration::from_secs(3) {
            thread::sleep(Duration::from_millis(1));
        }
        let waited = start.elapsed();
        stop.store(true, SeqCst);
        rt.block_on(busy).unwrap();
        rt.block_on(parent).unwrap();
        assert_eq!(done.load(SeqCst), 8);
        assert!(
            waited < Duration::from_millis(800),
            "8 tasks queued behind a 2 s block waited {waited:?}"
        );
    });
}

/// A task that loops on `yield_now` waiting for a socket sees its event after the next driver
/// poll, not after the next maintenance poll (every 61 scheduler ticks).
#[test]
fn yield_now_lets_the_driver_deliver_a_socket_event() {
    guard("yield_now and sockets", || {
        let rt = runtime(1);
        for round in 0..5 {
            let yields = rt.block_on(async {
                filch::spawn(async {
                    let (a, b) = filch::net::UnixStream::pair().unwrap();
                    filch::task::yield_now().await;
                    b.try_write(b"ping").unwrap();
                    // `readable` resolves only once the driver has delivered the event.
                    let mut yields = 0;
                    loop {
                        if let Some(ready) = futures_lite::future::poll_once(a.readable()).await {
                            ready.unwrap();
                            return yields;
                        }
                        yields += 1;
                        assert!(yields < 10_000, "the event never came");
                        filch::task::yield_now().await;
                    }
                })
                .await
                .unwrap()
            });
            assert!(
                yields <= 2,
                "round {round}: the readable event took {yields} yields to arrive"
            );
        }
    });
}

/// Every worker blocked: a compensating worker keeps the ticker going, and retires afterwards.
#[test]
fn the_runtime_survives_every_worker_being_blocked() {
    guard("all workers blocked", || {
        let rt = Builder::new()
            .worker_threads(2)
            .stall_threshold(Duration::from_millis(50))
            .build()
            .unwrap();
        let (ticks, names) = rt.block_on(async {
            let ticker = filch::spawn(async {
                let mut times = vec![Instant::now()];
                let mut names = Vec::new();
                for _ in 0..30 {
                    filch::time::sleep(Duration::from_millis(20)).await;
                    times.push(Instant::now());
                    names.push(thread::current().name().unwrap_or("").to_owned());
                }
                (times, names)
            });
            filch::time::sleep(Duration::from_millis(60)).await;
            let blockers: Vec<_> = (0..2)
                .map(|_| filch::spawn(async { thread::sleep(Duration::from_secs(1)) }))
                .collect();
            let (times, names) = ticker.await.unwrap();
            for b in blockers {
                b.await.unwrap();
            }
            (times, names)
        });
        let gap = max_gap(&ticks);
        assert!(
            gap < MAX_GAP,
            "with both workers blocked for 1 s the 20 ms ticker stalled for {gap:?}"
        );
        assert!(
            names.iter().any(|n| n.starts_with("filch-extra-")),
            "no compensating worker ran the ticker: {names:?}"
        );
        // The blockers have returned: the extra workers retire within a few periods.
        thread::sleep(Duration::from_millis(200));
        let later: Vec<String> = rt.block_on(async {
            let mut names = Vec::new();
            for _ in 0..20 {
                let n = filch::spawn(async { thread::current().name().unwrap().to_owned() });
                names.push(n.await.unwrap());
                filch::time::sleep(Duration::from_millis(2)).await;
            }
            names
        });
        assert!(
            later.iter().all(|n| n.starts_with("filch-worker-")),
            "extra workers still run tasks after the stall ended: {later:?}"
        );
    });
}

/// After a stall, the compensating worker retires while the core worker parks: the driver must
/// not be left without a thread in it (a timer due after the retirement still fires).
#[test]
fn timers_still_fire_after_a_compensating_worker_retired() {
    guard("after retirement", || {
        let rt = Builder::new()
            .worker_threads(1)
            .stall_threshold(Duration::from_millis(30))
            .build()
            .unwrap();
        for round in 0..3 {
            let start = Instant::now();
            rt.block_on(async {
                // Due well after the stall has ended and the extra has retired.
                let later = filch::spawn(filch::time::sleep(Duration::from_millis(700)));
                filch::spawn(async { thread::sleep(Duration::from_millis(400)) })
                    .await
                    .unwrap();
                later.await.unwrap();
            });
            let took = start.elapsed();
            assert!(
                took < Duration::from_secs(3),
                "round {round}: a 700 ms timer took {took:?} after the extra worker retired"
            );
        }
    });
}

/// The child half of the warning tests: runs only when the parent test starts this binary.
#[test]
fn stall_warning_child() {
    if std::env::var_os("FILCH_STALL_CHILD").is_none() {
        return;
    }
    let rt = match Builder::new().worker_threads(1).build() {
        Ok(rt) => rt,
        Err(err) => {
            println!("BUILD_ERROR={err}");
            return;
        }
    };
    if std::env::var_os("FILCH_STALL_CHILD").is_some_and(|mode| mode == "runtime") {
        // Spawned with `Runtime::spawn` from outside the runtime.
        let block = async { thread::sleep(Duration::from_millis(400)) };
        let h = rt.spawn(block);
        let line = line!() - 1; // the spawn's line (rustfmt keeps the two lines short and apart)
        println!("SPAWN_LINE={line}");
        rt.block_on(h).unwrap();
        return;
    }
    rt.block_on(async {
        let block = async { thread::sleep(Duration::from_millis(400)) };
        let h = filch::spawn(block);
        let line = line!() - 1; // the spawn's line (rustfmt keeps the two lines short and apart)
        println!("SPAWN_LINE={line}");
        h.await.unwrap();
    });
}

fn run_child(threshold_ms: &str) -> (String, String) {
    run_child_mode(threshold_ms, "1")
}

fn run_child_mode(threshold_ms: &str, mode: &str) -> (String, String) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "stall_warning_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("FILCH_STALL_CHILD", mode)
        .env("FILCH_STALL_THRESHOLD_MS", threshold_ms)
        .output()
        .unwrap();
    assert!(out.status.success(), "child failed: {out:?}");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_stuck_task_is_reported_once_with_its_spawn_location() {
    guard("stall warning", || check_spawn_location("1"));
}

/// `Runtime::spawn` passes its caller's location on too (it used to report its own line inside
/// filch-executor).
#[test]
fn a_task_spawned_with_runtime_spawn_is_reported_at_the_callers_line() {
    guard("stall warning, Runtime::spawn", || {
        check_spawn_location("runtime")
    });
}

fn check_spawn_location(mode: &str) {
    let (stdout, stderr) = run_child_mode("50", mode);
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("SPAWN_LINE=").map(|(_, v)| v))
        .expect("the child printed its spawn line");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("stuck in one poll"))
        .collect();
    assert_eq!(warnings.len(), 1, "one warning per task: {stderr}");
    assert!(
        warnings[0].contains(&format!("stall.rs:{line}:")),
        "the warning names the spawn location (line {line}): {}",
        warnings[0]
    );
    assert!(warnings[0].contains(" ms "), "{}", warnings[0]);
}

#[test]
fn a_zero_threshold_turns_reports_off() {
    guard("threshold 0", || {
        let (_, stderr) = run_child("0");
        assert!(!stderr.contains("stuck in one poll"), "{stderr}");
    });
}

#[test]
fn a_bad_threshold_is_a_clear_error() {
    guard("bad threshold", || {
        let (stdout, stderr) = run_child("soon");
        let msg = stdout
            .lines()
            .find_map(|l| l.split_once("BUILD_ERROR=").map(|(_, v)| v))
            .unwrap_or_else(|| panic!("build did not fail: {stdout} {stderr}"));
        assert!(msg.contains("FILCH_STALL_THRESHOLD_MS=\"soon\""), "{msg}");
        assert!(msg.contains("milliseconds"), "{msg}");
    });
}
