//! `Handle::metrics`, slow-poll reports and `Handle::dump`, seen from the outside: each figure is
//! made to move by a known amount. Timing bounds are generous (a loaded two-core machine).

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use filch::runtime::{
    Builder, HistogramConfiguration, Runtime, RuntimeMetrics, TaskDump, TaskInfo, TaskState,
};

mod common;
use common::guard;

fn runtime(workers: usize) -> Runtime {
    Builder::new().worker_threads(workers).build().unwrap()
}

/// Waits (up to 10 s) until `cond` holds; fails with `what` otherwise.
#[track_caller]
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(2));
    }
}

/// The dump's entry for task `id`; fails the test, saying `what` is missing, if it is not listed.
fn listed<'a>(dump: &'a TaskDump, id: filch::task::Id, what: &str) -> &'a TaskInfo {
    dump.tasks()
        .iter()
        .find(|t| t.id() == id)
        .unwrap_or_else(|| panic!("{what} is not listed: {dump}"))
}

fn sum(m: &RuntimeMetrics, f: impl Fn(&RuntimeMetrics, usize) -> u64) -> u64 {
    (0..m.num_workers()).map(|w| f(m, w)).sum()
}

#[test]
fn spawning_100_tasks_adds_100_to_spawned_and_alive_counts() {
    guard("spawning_100_tasks", || {
        let rt = runtime(2);
        let m = rt.handle().metrics();
        assert_eq!(m.num_workers(), 2);
        let spawned = m.spawned_tasks_count();
        let (tx, rx) = filch::sync::watch::channel(false);
        let handles: Vec<_> = (0..100)
            .map(|_| {
                let mut rx = rx.clone();
                rt.spawn(async move {
                    while !*rx.borrow_and_update() {
                        rx.changed().await.unwrap();
                    }
                })
            })
            .collect();
        assert_eq!(m.spawned_tasks_count(), spawned + 100);
        assert_eq!(m.num_alive_tasks(), 100);
        tx.send(true).unwrap();
        for h in handles {
            rt.block_on(h).unwrap();
        }
        wait_until("the finished tasks have left the list", || {
            m.num_alive_tasks() == 0
        });
        assert_eq!(m.spawned_tasks_count(), spawned + 100);
        // Blocking work is not a spawned task.
        rt.block_on(rt.spawn_blocking(|| ())).unwrap();
        assert_eq!(m.spawned_tasks_count(), spawned + 100);
    });
}

#[test]
fn polls_are_counted_per_worker_and_parks_grow() {
    guard("polls_are_counted", || {
        let rt = runtime(2);
        let m = rt.handle().metrics();
        wait_until("both workers have parked", || {
            (0..2).all(|w| m.worker_park_count(w) >= 1)
        });
        let polls = sum(&m, RuntimeMetrics::worker_poll_count);
        let parks = sum(&m, RuntimeMetrics::worker_park_count);
        // 10 tasks, each polled 5 times (4 yields, then done).
        let handles: Vec<_> = (0..10)
            .map(|_| {
                rt.spawn(async {
                    for _ in 0..4 {
                        filch::task::yield_now().await;
                    }
                })
            })
            .collect();
        for h in handles {
            rt.block_on(h).unwrap();
        }
        wait_until("the polls are counted", || {
            sum(&m, RuntimeMetrics::worker_poll_count) >= polls + 50
        });
        assert_eq!(sum(&m, RuntimeMetrics::worker_poll_count), polls + 50);
        wait_until("a worker parked again", || {
            sum(&m, RuntimeMetrics::worker_park_count) > parks
        });
        // Scheduled from a worker onto its own queues: the yields at least.
        assert!(sum(&m, RuntimeMetrics::worker_local_schedule_count) >= 40);
        let busy: Duration = (0..2).map(|w| m.worker_total_busy_duration(w)).sum();
        assert!(busy > Duration::ZERO);
        assert!((0..2).any(|w| m.worker_mean_poll_time(w) > Duration::ZERO));
    });
}

#[test]
fn an_idle_wake_up_is_a_noop() {
    guard("an_idle_wake_up_is_a_noop", || {
        let rt = runtime(1);
        let m = rt.handle().metrics();
        wait_until("the worker parked", || m.worker_park_count(0) >= 1);
        let noops = m.worker_noop_count(0);
        // A task wakes the worker, runs, and the worker parks: not a no-op.
        rt.block_on(rt.spawn(async {})).unwrap();
        wait_until("the worker parked again", || m.worker_park_count(0) >= 2);
        assert_eq!(m.worker_noop_count(0), noops, "it ran a task: not a no-op");
        // A timer of the calling thread's future: it fires in the driver, where the idle
        // worker waits, and wakes the `block_on` thread, not a task: the worker woke for
        // nothing.
        rt.block_on(async { filch::time::sleep(Duration::from_millis(30)).await });
        wait_until("a no-op wake-up is counted", || {
            m.worker_noop_count(0) > noops
        });
    });
}

#[test]
fn a_blocked_worker_has_its_queue_stolen_and_handed_over() {
    guard("steals", || {
        let rt = Builder::new()
            .worker_threads(2)
            .stall_threshold(Duration::ZERO)
            .build()
            .unwrap();
        let m = rt.handle().metrics();
        let ran = Arc::new(AtomicUsize::new(0));
        let ran2 = ran.clone();
        let blocker = rt.spawn(async move {
            // Queued on this worker: one in the LIFO slot, nine in its deque (the second push
            // wakes the other worker, which steals half of the deque).
            for _ in 0..10 {
                let ran = ran2.clone();
                filch::spawn(async move {
                    ran.fetch_add(1, SeqCst);
                });
            }
            thread::sleep(Duration::from_millis(500));
        });
        wait_until(
            "the queued tasks ran while their worker was blocked",
            || ran.load(SeqCst) == 10,
        );
        assert!(!blocker.is_finished(), "they ran on the other worker");
        rt.block_on(blocker).unwrap();
        let ops = sum(&m, RuntimeMetrics::worker_steal_operations);
        let stolen = sum(&m, RuntimeMetrics::worker_steal_count);
        let handed = sum(&m, RuntimeMetrics::worker_overflow_count);
        assert!(
            ops >= 1 || handed >= 1,
            "the tasks left the blocked worker by a steal or a hand-over"
        );
        assert!(stolen >= ops, "each steal takes at least one task");
        // The LIFO slot cannot be stolen: only the monitor's hand-over takes it.
        assert!(handed >= 1, "the monitor handed the LIFO task over");
    });
}

#[test]
fn a_steal_counts_the_stolen_tasks() {
    guard("a_steal_counts", || {
        let rt = Builder::new()
            .worker_threads(2)
            .stall_threshold(Duration::ZERO)
            .build()
            .unwrap();
        let m = rt.handle().metrics();
        // Repeat until a steal happens (a hand-over by the monitor may come first).
        for _ in 0..20 {
            let before = sum(&m, RuntimeMetrics::worker_steal_operations);
            let blocker = rt.spawn(async {
                for _ in 0..16 {
                    filch::spawn(async {});
                }
                thread::sleep(Duration::from_millis(100));
            });
            rt.block_on(blocker).unwrap();
            if sum(&m, RuntimeMetrics::worker_steal_operations) > before {
                assert!(sum(&m, RuntimeMetrics::worker_steal_count) > before);
                return;
            }
        }
        panic!("no steal in 20 tries");
    });
}

#[test]
fn queue_depths() {
    guard("queue_depths", || {
        let rt = Builder::new()
            .worker_threads(1)
            .stall_threshold(Duration::ZERO)
            .build()
            .unwrap();
        let m = rt.handle().metrics();
        let m2 = m.clone();
        let local = rt
            .block_on(rt.spawn(async move {
                for _ in 0..3 {
                    filch::spawn(async {});
                }
                // Before any hand-over (the monitor needs a whole period of us stuck).
                m2.worker_local_queue_depth(0)
            }))
            .unwrap();
        assert_eq!(local, 3);
        let started = Arc::new(Barrier::new(2));
        let started2 = started.clone();
        let blocker = rt.spawn(async move {
            started2.wait();
            thread::sleep(Duration::from_millis(300));
        });
        started.wait();
        let waiting: Vec<_> = (0..5).map(|_| rt.spawn(async {})).collect();
        // The only worker is blocked and no compensating worker starts (threshold 0).
        assert_eq!(m.global_queue_depth(), 5);
        rt.block_on(blocker).unwrap();
        for h in waiting {
            rt.block_on(h).unwrap();
        }
        assert_eq!(m.global_queue_depth(), 0);
    });
}

#[test]
fn a_registered_socket_moves_the_fd_counts() {
    guard("fd_counts", || {
        let rt = runtime(1);
        let m = rt.handle().metrics();
        let registered = m.io_driver_fd_registered_count();
        let deregistered = m.io_driver_fd_deregistered_count();
        let listener =
            rt.block_on(async { filch::net::TcpListener::bind("127.0.0.1:0").await.unwrap() });
        assert_eq!(m.io_driver_fd_registered_count(), registered + 1);
        assert_eq!(m.io_driver_fd_deregistered_count(), deregistered);
        let addr = listener.local_addr().unwrap();
        let ready = m.io_driver_ready_count();
        rt.block_on(async {
            let connect = filch::spawn(filch::net::TcpStream::connect(addr));
            let (_accepted, _) = listener.accept().await.unwrap();
            connect.await.unwrap().unwrap();
        });
        assert_eq!(m.io_driver_fd_registered_count(), registered + 3);
        assert!(
            m.io_driver_ready_count() > ready,
            "the accept saw a readiness event"
        );
        drop(listener);
        assert_eq!(m.io_driver_fd_deregistered_count(), deregistered + 3);
    });
}

#[test]
fn timers_are_counted_while_they_wait() {
    guard("timers", || {
        let rt = runtime(1);
        let m = rt.handle().metrics();
        assert_eq!(m.num_active_timers(), 0);
        let sleepers: Vec<_> = (0..3)
            .map(|_| rt.spawn(async { filch::time::sleep(Duration::from_secs(60)).await }))
            .collect();
        wait_until("three timers wait", || m.num_active_timers() == 3);
        for s in &sleepers {
            s.abort();
        }
        for s in sleepers {
            assert!(rt.block_on(s).unwrap_err().is_cancelled());
        }
        wait_until("the timers are gone", || m.num_active_timers() == 0);
    });
}

#[test]
fn blocking_threads_idle_threads_and_queue() {
    guard("blocking", || {
        let rt = Builder::new()
            .worker_threads(1)
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let m = rt.handle().metrics();
        assert_eq!(m.num_blocking_threads(), 0);
        let gate = Arc::new(Barrier::new(2));
        let gate2 = gate.clone();
        let first = rt.spawn_blocking(move || {
            gate2.wait();
        });
        let second = rt.spawn_blocking(|| ());
        wait_until("one thread runs the first job", || {
            m.num_blocking_threads() == 1 && m.blocking_queue_depth() == 1
        });
        assert_eq!(m.num_idle_blocking_threads(), 0);
        gate.wait();
        rt.block_on(first).unwrap();
        rt.block_on(second).unwrap();
        wait_until("the thread waits for work", || {
            m.num_idle_blocking_threads() == 1
        });
        assert_eq!(m.blocking_queue_depth(), 0);
        assert_eq!(m.num_blocking_threads(), 1);
    });
}

#[test]
fn an_exhausted_budget_is_a_forced_yield() {
    guard("forced_yield", || {
        use filch::io::prelude::*;
        let rt = runtime(1);
        let m = rt.handle().metrics();
        let before = m.budget_forced_yield_count();
        rt.block_on(rt.spawn(async {
            let mut sink = filch::io::sink();
            // 128 units per poll: 300 writes need two forced yields.
            for _ in 0..300 {
                sink.write_all(b"x").await.unwrap();
            }
        }))
        .unwrap();
        assert_eq!(m.budget_forced_yield_count(), before + 2);
    });
}

#[test]
fn the_poll_time_histogram_counts_each_poll_in_its_bucket() {
    guard("histogram", || {
        let rt = Builder::new()
            .worker_threads(1)
            .enable_metrics_poll_time_histogram()
            .metrics_poll_time_histogram_configuration(HistogramConfiguration::linear(
                Duration::from_millis(10),
                4,
            ))
            .build()
            .unwrap();
        let m = rt.handle().metrics();
        assert!(m.poll_time_histogram_enabled());
        assert_eq!(m.poll_time_histogram_num_buckets(), 4);
        assert_eq!(
            m.poll_time_histogram_bucket_range(2),
            Duration::from_millis(20)..Duration::from_millis(30)
        );
        assert_eq!(m.poll_time_histogram_bucket_range(3).end, Duration::MAX);
        let counts = |m: &RuntimeMetrics| -> Vec<u64> {
            (0..4)
                .map(|b| m.worker_poll_time_histogram_bucket_count(0, b))
                .collect()
        };
        let before = counts(&m);
        rt.block_on(rt.spawn(async {})).unwrap();
        // The last bucket is open-ended: a 50 ms poll lands there.
        rt.block_on(rt.spawn(async { thread::sleep(Duration::from_millis(50)) }))
            .unwrap();
        // Recorded right after each poll returns, maybe after `block_on` saw the output.
        let total = |c: &[u64]| c.iter().sum::<u64>();
        wait_until("both polls are counted", || {
            total(&counts(&m)) == total(&before) + 2
        });
        let after = counts(&m);
        assert_eq!(after[0], before[0] + 1, "{before:?} -> {after:?}");
        assert_eq!(after[3], before[3] + 1, "{before:?} -> {after:?}");
        assert_eq!(after[1] + after[2], before[1] + before[2]);
        // Measured poll time: the mean is at least the 50 ms over the polls.
        assert!(m.worker_mean_poll_time(0) >= Duration::from_millis(50) / 2);

        let off = runtime(1);
        assert!(!off.handle().metrics().poll_time_histogram_enabled());
        assert_eq!(off.handle().metrics().poll_time_histogram_num_buckets(), 0);
    });
}

#[test]
fn a_log_histogram_doubles_its_buckets() {
    let rt = Builder::new()
        .worker_threads(1)
        .enable_metrics_poll_time_histogram()
        .metrics_poll_time_histogram_configuration(HistogramConfiguration::log(
            filch::runtime::LogHistogram::new(Duration::from_micros(100), 6),
        ))
        .build()
        .unwrap();
    let m = rt.handle().metrics();
    assert_eq!(
        m.poll_time_histogram_bucket_range(3),
        Duration::from_micros(400)..Duration::from_micros(800)
    );
}

#[test]
#[should_panic(expected = "worker index 2 is out of range: this runtime has 2 workers")]
fn a_worker_index_out_of_range_names_the_range() {
    runtime(2).handle().metrics().worker_poll_count(2);
}

#[test]
fn a_50ms_poll_is_reported_once_with_its_spawn_line() {
    guard("slow_poll", || {
        let reports = Arc::new(Mutex::new(Vec::new()));
        let reports2 = reports.clone();
        let rt = Builder::new()
            .worker_threads(1)
            .slow_poll_threshold(Duration::from_millis(20))
            .on_slow_poll(move |r| reports2.lock().unwrap().push(r.clone()))
            .build()
            .unwrap();
        rt.block_on(rt.spawn(async {})).unwrap();
        let line = line!() + 1;
        let slow = rt.spawn(async { thread::sleep(Duration::from_millis(50)) });
        let id = slow.id();
        rt.block_on(slow).unwrap();
        // The report comes right after the poll returns, which may be after the `JoinHandle`
        // saw the output.
        wait_until("the slow poll is reported", || {
            !reports.lock().unwrap().is_empty()
        });
        // Give a wrong second report (of the fast task, say) time to show.
        thread::sleep(Duration::from_millis(20));
        let reports = reports.lock().unwrap();
        assert_eq!(reports.len(), 1, "only the slow poll: {reports:?}");
        let r = &reports[0];
        assert_eq!(r.id(), id);
        assert_eq!(r.location().file(), file!());
        assert_eq!(r.location().line(), line);
        assert!(r.duration() >= Duration::from_millis(50));
        assert_eq!(r.worker(), 0);
        let text = r.to_string();
        assert!(text.contains(&format!("{}:{line}", file!())), "{text}");
        assert!(text.contains("slow poll"), "{text}");
    });
}

#[test]
fn without_a_threshold_nothing_is_reported() {
    guard("no_slow_poll", || {
        let reports = Arc::new(AtomicUsize::new(0));
        let reports2 = reports.clone();
        let rt = Builder::new()
            .worker_threads(1)
            .on_slow_poll(move |_| {
                reports2.fetch_add(1, SeqCst);
            })
            .build()
            .unwrap();
        rt.block_on(rt.spawn(async { thread::sleep(Duration::from_millis(30)) }))
            .unwrap();
        assert_eq!(reports.load(SeqCst), 0);
    });
}

#[test]
fn the_dump_lists_a_pending_task_with_its_spawn_location_and_state() {
    guard("dump", || {
        let rt = runtime(2);
        let (tx, rx) = filch::sync::oneshot::channel::<()>();
        let line = line!() + 1;
        let pending = rt.spawn(async move {
            rx.await.ok();
        });
        let started = Arc::new(Barrier::new(2));
        let started2 = started.clone();
        let release = Arc::new(Barrier::new(2));
        let release2 = release.clone();
        let running = rt.spawn(async move {
            started2.wait();
            release2.wait();
        });
        started.wait();
        wait_until("the pending task was polled", || {
            rt.handle()
                .dump()
                .tasks()
                .iter()
                .any(|t| t.id() == pending.id() && t.polls() == 1)
        });
        let dump = rt.handle().dump();
        let t = listed(&dump, pending.id(), "the pending task");
        assert_eq!(t.location().file(), file!());
        assert_eq!(t.location().line(), line);
        assert_eq!(t.state(), TaskState::Idle);
        assert!(t.age() > Duration::ZERO);
        let r = listed(&dump, running.id(), "the running task");
        assert!(
            matches!(r.state(), TaskState::Running { worker: Some(w) } if w < 2),
            "{:?}",
            r.state()
        );
        let text = dump.to_string();
        assert!(text.contains(&format!("{}:{line}", file!())), "{text}");
        release.wait();
        tx.send(()).unwrap();
        rt.block_on(pending).unwrap();
        rt.block_on(running).unwrap();
        wait_until("finished tasks leave the dump", || {
            rt.handle().dump().tasks().is_empty()
        });
    });
}

#[test]
fn a_stall_is_counted() {
    guard("stall_count", || {
        let rt = Builder::new()
            .worker_threads(1)
            .stall_threshold(Duration::from_millis(50))
            .build()
            .unwrap();
        let m = rt.handle().metrics();
        assert_eq!(m.stall_count(), 0);
        rt.block_on(rt.spawn(async { thread::sleep(Duration::from_millis(300)) }))
            .unwrap();
        assert_eq!(m.stall_count(), 1);
    });
}

/// `FILCH_SLOW_POLL_MS`, in a child process (the environment is read at `build`).
mod env {
    use std::process::Command;

    const CHILD: &str = "FILCH_METRICS_TEST_CHILD";

    fn child(name: &str, value: &str) -> std::process::Output {
        Command::new(std::env::current_exe().unwrap())
            .args([name, "--exact", "--include-ignored", "--nocapture"])
            .env(CHILD, "1")
            .env("FILCH_SLOW_POLL_MS", value)
            .output()
            .unwrap()
    }

    #[test]
    fn a_bad_value_is_a_clear_error() {
        for value in ["abc", "-5", ""] {
            let out = child("env::child_build", value);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(stdout.contains("BUILD InvalidInput"), "{value:?}: {stdout}");
            assert!(stdout.contains("FILCH_SLOW_POLL_MS"), "{stdout}");
            assert!(stdout.contains("milliseconds"), "{stdout}");
        }
    }

    #[test]
    fn a_value_turns_reports_on() {
        let out = child("env::child_build", "20");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stdout.contains("BUILD ok"), "{stdout}\n{stderr}");
        assert!(stderr.contains("slow poll"), "{stderr}");
        assert!(stderr.contains(file!()), "{stderr}");
    }

    #[test]
    #[ignore = "run by the tests above in a child process"]
    fn child_build() {
        if std::env::var_os(CHILD).is_none() {
            return;
        }
        match filch::runtime::Builder::new().worker_threads(1).build() {
            Ok(rt) => {
                println!("BUILD ok");
                rt.block_on(
                    rt.spawn(async { std::thread::sleep(std::time::Duration::from_millis(40)) }),
                )
                .unwrap();
            }
            Err(e) => println!("BUILD {:?} {e}", e.kind()),
        }
    }
}

#[test]
fn a_task_spawned_on_a_worker_ages_from_its_spawn() {
    guard("dump_age", || {
        let rt = runtime(1);
        let (tx, rx) = filch::sync::oneshot::channel::<()>();
        let id = rt
            .block_on(rt.spawn(async move {
                // Spawned on the worker: its spawn time is the worker's latest clock reading.
                filch::spawn(async move {
                    rx.await.ok();
                })
                .id()
            }))
            .unwrap();
        thread::sleep(Duration::from_millis(200));
        let dump = rt.handle().dump();
        let t = listed(&dump, id, "the child");
        assert!(
            t.age() >= Duration::from_millis(200) && t.age() < Duration::from_secs(10),
            "age {:?}",
            t.age()
        );
        tx.send(()).unwrap();
    });
}

/// A spawn from a thread that is not a runtime thread takes its spawn time from the coarse
/// clock (one kernel tick of resolution, `runtime/metrics.rs`): the age is still the time since
/// the spawn, to within that tick.
#[test]
fn a_task_spawned_from_outside_ages_from_its_spawn() {
    guard("dump_age_outside", || {
        let rt = runtime(1);
        let (tx, rx) = filch::sync::oneshot::channel::<()>();
        let before = Instant::now();
        let id = rt
            .spawn(async move {
                rx.await.ok();
            })
            .id();
        thread::sleep(Duration::from_millis(200));
        let dump = rt.handle().dump();
        let waited = before.elapsed();
        let t = listed(&dump, id, "the task");
        // 20 ms of slack below: less than a tick is the promise, and a tick is 10 ms at most.
        assert!(
            t.age() + Duration::from_millis(20) >= Duration::from_millis(200)
                && t.age() <= waited + Duration::from_millis(20),
            "age {:?} after {waited:?}",
            t.age()
        );
        tx.send(()).unwrap();
    });
}

/// Every name issue 15 gives, on the facade, with the issue's spelling (a missing or renamed
/// item fails to compile). `poll_time_histogram_bucket_count` is the issue's name for tokio's
/// `poll_time_histogram_num_buckets`: both exist and agree.
#[test]
fn every_name_of_issue_15_is_on_the_facade() {
    use filch::runtime::{Handle, SlowPollReport, TaskDump};
    type M = RuntimeMetrics;
    type Figure = (&'static str, fn(&M) -> u64);
    type WorkerFigure = (&'static str, fn(&M, usize) -> u64);
    let runtime_figures: [Figure; 13] = [
        ("num_workers", |m| M::num_workers(m) as u64),
        ("num_alive_tasks", |m| M::num_alive_tasks(m) as u64),
        ("spawned_tasks_count", M::spawned_tasks_count),
        ("global_queue_depth", |m| M::global_queue_depth(m) as u64),
        ("budget_forced_yield_count", M::budget_forced_yield_count),
        ("stall_count", M::stall_count),
        ("num_blocking_threads", |m| {
            M::num_blocking_threads(m) as u64
        }),
        ("num_idle_blocking_threads", |m| {
            M::num_idle_blocking_threads(m) as u64
        }),
        ("blocking_queue_depth", |m| {
            M::blocking_queue_depth(m) as u64
        }),
        ("io_driver_ready_count", M::io_driver_ready_count),
        (
            "io_driver_fd_registered_count",
            M::io_driver_fd_registered_count,
        ),
        (
            "io_driver_fd_deregistered_count",
            M::io_driver_fd_deregistered_count,
        ),
        ("num_active_timers", |m| M::num_active_timers(m) as u64),
    ];
    let worker_figures: [WorkerFigure; 10] = [
        ("worker_park_count", M::worker_park_count),
        ("worker_noop_count", M::worker_noop_count),
        ("worker_steal_count", M::worker_steal_count),
        ("worker_steal_operations", M::worker_steal_operations),
        ("worker_poll_count", M::worker_poll_count),
        ("worker_total_busy_duration", |m, w| {
            M::worker_total_busy_duration(m, w).as_nanos() as u64
        }),
        ("worker_local_queue_depth", |m, w| {
            M::worker_local_queue_depth(m, w) as u64
        }),
        (
            "worker_local_schedule_count",
            M::worker_local_schedule_count,
        ),
        ("worker_overflow_count", M::worker_overflow_count),
        ("worker_mean_poll_time", |m, w| {
            M::worker_mean_poll_time(m, w).as_nanos() as u64
        }),
    ];
    let _: fn(&M) -> usize = M::poll_time_histogram_bucket_count;
    let _: fn(&M, usize) -> std::ops::Range<Duration> = M::poll_time_histogram_bucket_range;
    let _: fn(&M, usize, usize) -> u64 = M::worker_poll_time_histogram_bucket_count;
    let _: fn(&Handle) -> M = Handle::metrics;
    let _: fn(&Handle) -> TaskDump = Handle::dump;
    let _: fn(&mut Builder) -> &mut Builder = Builder::enable_metrics_poll_time_histogram;
    let _: fn(&mut Builder, Duration) -> &mut Builder = Builder::slow_poll_threshold;
    let _: fn(&mut Builder, HistogramConfiguration) -> &mut Builder =
        Builder::metrics_poll_time_histogram_configuration;
    let _ = Builder::new().on_slow_poll(|_: &SlowPollReport| {});

    for mut builder in [Builder::new_current_thread(), Builder::new_multi_thread()] {
        let rt = builder
            .enable_metrics_poll_time_histogram()
            .metrics_poll_time_histogram_configuration(HistogramConfiguration::linear(
                Duration::from_millis(1),
                7,
            ))
            .build()
            .unwrap();
        let m = rt.metrics();
        assert_eq!(m.poll_time_histogram_bucket_count(), 7);
        assert_eq!(
            m.poll_time_histogram_bucket_count(),
            m.poll_time_histogram_num_buckets()
        );
        assert!(m.num_workers() >= 1);
        for (name, f) in runtime_figures {
            let _ = (name, f(&m));
        }
        for w in 0..m.num_workers() {
            for (name, f) in worker_figures {
                let _ = (name, f(&m, w));
            }
            assert_eq!(m.worker_poll_time_histogram_bucket_count(w, 6), 0);
        }
    }
    assert_eq!(
        runtime(1).metrics().poll_time_histogram_bucket_count(),
        0,
        "0 when the histogram is off"
    );
}

/// The current-thread flavour: one worker (index 0), the thread inside `block_on`. Its figures
/// are written on that thread during the `block_on`, so they are exact when it returns.
mod current_thread {
    use super::*;

    fn ct() -> Runtime {
        Builder::new_current_thread().build().unwrap()
    }

    #[test]
    fn one_worker_counts_each_poll_and_each_local_schedule() {
        guard("ct_polls", || {
            let rt = ct();
            let m = rt.metrics();
            assert_eq!(m.num_workers(), 1);
            let polls = m.worker_poll_count(0);
            let schedules = m.worker_local_schedule_count(0);
            let busy = m.worker_total_busy_duration(0);
            rt.block_on(async {
                // 10 spawns and 40 yields onto the core's queue; 50 polls.
                let handles: Vec<_> = (0..10)
                    .map(|_| {
                        filch::spawn(async {
                            for _ in 0..4 {
                                filch::task::yield_now().await;
                            }
                            thread::sleep(Duration::from_millis(1));
                        })
                    })
                    .collect();
                for h in handles {
                    h.await.unwrap();
                }
            });
            assert_eq!(m.worker_poll_count(0), polls + 50);
            assert_eq!(m.worker_local_schedule_count(0), schedules + 50);
            // Ten polls slept 1 ms each, inside this block_on.
            assert!(m.worker_total_busy_duration(0) >= busy + Duration::from_millis(10));
            assert!(m.worker_mean_poll_time(0) > Duration::ZERO);
            // One thread: nothing to steal from, nothing handed over.
            assert_eq!(m.worker_steal_count(0), 0);
            assert_eq!(m.worker_steal_operations(0), 0);
            assert_eq!(m.worker_overflow_count(0), 0);
            assert_eq!(m.spawned_tasks_count(), 10);
        });
    }

    #[test]
    fn a_park_is_counted_and_a_wake_for_the_block_on_future_alone_is_a_noop() {
        guard("ct_parks", || {
            let rt = ct();
            let m = rt.metrics();
            let parks = m.worker_park_count(0);
            let noops = m.worker_noop_count(0);
            // Two sleeps of the block_on future itself: the loop parks in the driver for each,
            // and the second park follows a wake-up that polled no task.
            rt.block_on(async {
                filch::time::sleep(Duration::from_millis(10)).await;
                filch::time::sleep(Duration::from_millis(10)).await;
            });
            assert!(m.worker_park_count(0) >= parks + 2, "{m:?}");
            assert!(m.worker_noop_count(0) > noops);
            let noops = m.worker_noop_count(0);
            let parks = m.worker_park_count(0);
            // A task that runs and finishes: no park (nothing waits), no no-op.
            rt.block_on(async { filch::spawn(async {}).await.unwrap() });
            assert_eq!(m.worker_park_count(0), parks);
            assert_eq!(m.worker_noop_count(0), noops);
        });
    }

    #[test]
    fn the_local_queue_depth_counts_the_cores_queue() {
        guard("ct_depth", || {
            let rt = ct();
            let m = rt.metrics();
            let m2 = m.clone();
            let (queued, after) = rt.block_on(async move {
                let handles: Vec<_> = (0..3).map(|_| filch::spawn(async {})).collect();
                let queued = m2.worker_local_queue_depth(0);
                for h in handles {
                    h.await.unwrap();
                }
                (queued, m2.worker_local_queue_depth(0))
            });
            assert_eq!(queued, 3);
            assert_eq!(after, 0);
            // Spawned from outside `block_on`: the global queue, not the core's.
            let outside = rt.spawn(async {});
            assert_eq!(m.global_queue_depth(), 1);
            assert_eq!(m.worker_local_queue_depth(0), 0);
            rt.block_on(outside).unwrap();
            assert_eq!(m.global_queue_depth(), 0);
        });
    }

    #[test]
    fn the_histogram_and_a_slow_poll_report_name_worker_0() {
        guard("ct_histogram", || {
            let reports = Arc::new(Mutex::new(Vec::new()));
            let reports2 = reports.clone();
            let rt = Builder::new_current_thread()
                .enable_metrics_poll_time_histogram()
                .metrics_poll_time_histogram_configuration(HistogramConfiguration::linear(
                    Duration::from_millis(10),
                    4,
                ))
                .slow_poll_threshold(Duration::from_millis(20))
                .on_slow_poll(move |r| reports2.lock().unwrap().push(r.clone()))
                .build()
                .unwrap();
            let m = rt.metrics();
            let counts = |m: &RuntimeMetrics| -> Vec<u64> {
                (0..4)
                    .map(|b| m.worker_poll_time_histogram_bucket_count(0, b))
                    .collect()
            };
            assert_eq!(counts(&m), [0, 0, 0, 0]);
            let line = line!() + 3;
            let id = rt.block_on(async {
                filch::spawn(async {}).await.unwrap();
                let slow = filch::spawn(async { thread::sleep(Duration::from_millis(50)) });
                let id = slow.id();
                slow.await.unwrap();
                id
            });
            // The fast poll in the first bucket, the 50 ms one in the open-ended last.
            assert_eq!(counts(&m), [1, 0, 0, 1]);
            assert!(m.worker_mean_poll_time(0) >= Duration::from_millis(25));
            let reports = reports.lock().unwrap();
            assert_eq!(reports.len(), 1, "only the slow poll: {reports:?}");
            assert_eq!(reports[0].id(), id);
            assert_eq!(reports[0].worker(), 0);
            assert_eq!(reports[0].location().file(), file!());
            assert_eq!(reports[0].location().line(), line);
            assert!(reports[0].duration() >= Duration::from_millis(50));
        });
    }

    #[test]
    fn the_dump_shows_a_running_task_on_worker_0_and_a_pending_one_idle() {
        guard("ct_dump", || {
            let rt = ct();
            let handle = rt.handle().clone();
            let (tx, rx) = filch::sync::oneshot::channel::<()>();
            let line = line!() + 1;
            let pending = rt.spawn(async move {
                rx.await.ok();
            });
            let pending_id = pending.id();
            let (me, seen) = rt.block_on(async move {
                filch::task::yield_now().await;
                filch::spawn(async move {
                    let me = filch::task::id();
                    let dump = handle.dump();
                    let seen: Vec<_> = dump
                        .tasks()
                        .iter()
                        .map(|t| (t.id(), t.state(), t.location().line(), t.polls()))
                        .collect();
                    (me, seen)
                })
                .await
                .unwrap()
            });
            let mine = seen.iter().find(|t| t.0 == me).expect("the running task");
            assert_eq!(mine.1, TaskState::Running { worker: Some(0) });
            let other = seen.iter().find(|t| t.0 == pending_id).expect("pending");
            assert_eq!(other.1, TaskState::Idle);
            assert_eq!(other.2, line);
            assert_eq!(other.3, 1);
            tx.send(()).unwrap();
            rt.block_on(pending).unwrap();
            assert!(rt.handle().dump().tasks().is_empty());
        });
    }

    #[test]
    fn a_spawn_after_block_on_returned_ages_from_that_spawn() {
        guard("ct_age", || {
            let rt = ct();
            rt.block_on(async { filch::spawn(async {}).await.unwrap() });
            // The loop's latest clock reading is forgotten when block_on returns; a spawn on
            // this thread later reads the clock.
            thread::sleep(Duration::from_millis(300));
            let task = rt.spawn(async {});
            let dump = rt.handle().dump();
            let t = listed(&dump, task.id(), "the task");
            assert!(t.age() < Duration::from_millis(300), "age {:?}", t.age());
            rt.block_on(task).unwrap();
        });
    }
}

/// With timing on, the dump shows each task's total poll time (kept in the owner list, not in
/// the task header); with timing off it is zero. Both flavours.
#[test]
fn the_dump_shows_a_tasks_total_poll_time_with_timing_on() {
    guard("dump_poll_time", || {
        for (timing, current_thread) in [(true, false), (true, true), (false, false)] {
            let mut builder = if current_thread {
                Builder::new_current_thread()
            } else {
                Builder::new_multi_thread()
            };
            if !current_thread {
                builder.worker_threads(1);
            }
            if timing {
                builder.enable_metrics_poll_time_histogram();
            }
            let rt = builder.build().unwrap();
            let (tx, rx) = filch::sync::oneshot::channel::<()>();
            let (polled_tx, polled_rx) = filch::sync::oneshot::channel::<()>();
            let task = rt.spawn(async move {
                for _ in 0..2 {
                    thread::sleep(Duration::from_millis(30));
                    filch::task::yield_now().await;
                }
                polled_tx.send(()).unwrap();
                rx.await.ok();
            });
            rt.block_on(polled_rx).unwrap();
            wait_until("the third poll is counted", || {
                rt.handle()
                    .dump()
                    .tasks()
                    .iter()
                    .any(|t| t.id() == task.id() && t.polls() == 3)
            });
            let dump = rt.handle().dump();
            let t = listed(&dump, task.id(), "the task");
            if timing {
                assert!(
                    t.total_poll_time() >= Duration::from_millis(60),
                    "{:?} (current_thread: {current_thread})",
                    t.total_poll_time()
                );
            } else {
                assert_eq!(t.total_poll_time(), Duration::ZERO);
            }
            tx.send(()).unwrap();
            rt.block_on(task).unwrap();
        }
    });
}
