//! `spawn_blocking`: threads named `filch-blocking-{i}`, started on demand up to the maximum,
//! work beyond the maximum queued, idle threads retired after the keep-alive, panics caught,
//! queued work abortable.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{guard, panic_message, rt, thread_name, wait_until, DropCount};
use filch_executor::runtime::Builder;
use filch_executor::task::spawn_blocking;
use futures_lite::future::block_on;

#[test]
fn blocking_work_runs_on_named_blocking_threads() {
    guard(|| {
        let rt = rt(1);
        let (name, value) =
            rt.block_on(async { spawn_blocking(|| (thread_name(), 6 * 7)).await.unwrap() });
        assert_eq!(name, "filch-blocking-0");
        assert_eq!(value, 42);
        // From a task and through a handle on another thread as well.
        let from_task =
            block_on(rt.spawn(async { spawn_blocking(thread_name).await.unwrap() })).unwrap();
        assert!(from_task.starts_with("filch-blocking-"), "{from_task}");
        let handle = rt.handle().clone();
        let h = thread::spawn(move || handle.spawn_blocking(thread_name))
            .join()
            .unwrap();
        assert!(block_on(h).unwrap().starts_with("filch-blocking-"));
    });
}

#[test]
fn threads_start_on_demand_up_to_the_maximum_and_extra_work_queues() {
    guard(|| {
        let rt = Builder::new()
            .worker_threads(1)
            .max_blocking_threads(2)
            .build()
            .unwrap();
        let current = Arc::new(AtomicUsize::new(0));
        let max_seen = Arc::new(AtomicUsize::new(0));
        let all_spawned = Arc::new(AtomicBool::new(false));
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let (cur, max, all) = (current.clone(), max_seen.clone(), all_spawned.clone());
                rt.handle().spawn_blocking(move || {
                    let now = cur.fetch_add(1, SeqCst) + 1;
                    max.fetch_max(now, SeqCst);
                    // Hold this thread until two jobs run at once and every job was submitted,
                    // then a little longer, so a pool that started a third thread would show it.
                    let deadline = Instant::now() + Duration::from_secs(20);
                    while (max.load(SeqCst) < 2 || !all.load(SeqCst)) && Instant::now() < deadline {
                        thread::sleep(Duration::from_millis(1));
                    }
                    thread::sleep(Duration::from_millis(20));
                    cur.fetch_sub(1, SeqCst);
                    thread_name()
                })
            })
            .collect();
        all_spawned.store(true, SeqCst);
        let names: BTreeSet<String> = handles.into_iter().map(|h| block_on(h).unwrap()).collect();
        assert_eq!(max_seen.load(SeqCst), 2, "exactly the maximum ran at once");
        let expected: BTreeSet<String> = ["filch-blocking-0", "filch-blocking-1"]
            .map(String::from)
            .into();
        assert_eq!(names, expected, "two threads served all six jobs");
    });
}

#[test]
fn a_blocking_thread_stays_for_more_work() {
    guard(|| {
        // With one thread allowed, a thread that exited after each job would show up as
        // filch-blocking-1, -2, ...
        let rt = Builder::new()
            .worker_threads(1)
            .max_blocking_threads(1)
            .build()
            .unwrap();
        for _ in 0..5 {
            let name = block_on(rt.handle().spawn_blocking(thread_name)).unwrap();
            assert_eq!(
                name, "filch-blocking-0",
                "the idle thread is reused, not replaced"
            );
        }
    });
}

#[test]
fn idle_threads_retire_after_the_keep_alive() {
    guard(|| {
        let stopped = Arc::new(Mutex::new(Vec::new()));
        let s = stopped.clone();
        let rt = Builder::new()
            .worker_threads(1)
            .thread_keep_alive(Duration::from_millis(100))
            .on_thread_stop(move || s.lock().unwrap().push(thread_name()))
            .build()
            .unwrap();
        assert_eq!(
            block_on(rt.handle().spawn_blocking(thread_name)).unwrap(),
            "filch-blocking-0"
        );
        wait_until("the idle blocking thread exits", || {
            !stopped.lock().unwrap().is_empty()
        });
        assert_eq!(
            *stopped.lock().unwrap(),
            ["filch-blocking-0"],
            "only the blocking thread stopped"
        );
        // New work starts a new thread.
        assert_eq!(
            block_on(rt.handle().spawn_blocking(thread_name)).unwrap(),
            "filch-blocking-1"
        );
        wait_until("the second one retires too", || {
            stopped.lock().unwrap().len() == 2
        });
    });
}

#[test]
fn the_keep_alive_counts_idle_time_only() {
    guard(|| {
        let rt = Builder::new()
            .worker_threads(1)
            .max_blocking_threads(1)
            .thread_keep_alive(Duration::from_secs(1))
            .build()
            .unwrap();
        // Jobs back to back for longer than the keep-alive, with short idle gaps: the thread
        // is never idle for a whole keep-alive, so it must not retire (with one thread allowed,
        // a replacement would be named filch-blocking-1).
        for _ in 0..4 {
            let name = block_on(rt.handle().spawn_blocking(|| {
                thread::sleep(Duration::from_millis(300));
                thread_name()
            }))
            .unwrap();
            assert_eq!(name, "filch-blocking-0");
        }
    });
}

#[test]
fn a_panic_in_blocking_work_is_caught() {
    guard(|| {
        let rt = Builder::new()
            .worker_threads(1)
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let err = block_on(rt.handle().spawn_blocking(|| panic!("blocking boom"))).unwrap_err();
        assert!(err.is_panic());
        assert_eq!(panic_message(&*err.into_panic()), "blocking boom");
        // The pool (its only thread, or a replacement) keeps working.
        assert_eq!(block_on(rt.handle().spawn_blocking(|| 3)).unwrap(), 3);
    });
}

#[test]
fn queued_blocking_work_can_be_aborted() {
    guard(|| {
        let rt = Builder::new()
            .worker_threads(1)
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let running = Arc::new(AtomicBool::new(false));
        let release = Arc::new(AtomicBool::new(false));
        let (r, rel) = (running.clone(), release.clone());
        let first = rt.handle().spawn_blocking(move || {
            r.store(true, SeqCst);
            while !rel.load(SeqCst) {
                thread::sleep(Duration::from_millis(1));
            }
        });
        wait_until("the first job runs", || running.load(SeqCst));
        let ran = Arc::new(AtomicBool::new(false));
        let drops = DropCount::new();
        let (ran2, g) = (ran.clone(), drops.guard());
        let queued = rt.handle().spawn_blocking(move || {
            let _g = g;
            ran2.store(true, SeqCst);
        });
        queued.abort();
        release.store(true, SeqCst);
        assert!(block_on(queued).unwrap_err().is_cancelled());
        block_on(first).unwrap();
        assert!(!ran.load(SeqCst), "an aborted queued job never runs");
        assert_eq!(drops.dropped(), 1, "its closure was dropped");
    });
}

#[test]
fn started_blocking_work_runs_to_completion_despite_abort() {
    guard(|| {
        let rt = rt(1);
        let running = Arc::new(AtomicBool::new(false));
        let release = Arc::new(AtomicBool::new(false));
        let (r, rel) = (running.clone(), release.clone());
        let h = rt.handle().spawn_blocking(move || {
            r.store(true, SeqCst);
            while !rel.load(SeqCst) {
                thread::sleep(Duration::from_millis(1));
            }
            5
        });
        wait_until("the job runs", || running.load(SeqCst));
        h.abort();
        release.store(true, SeqCst);
        assert_eq!(
            block_on(h).unwrap(),
            5,
            "a started blocking function cannot be cancelled"
        );
    });
}

#[test]
fn many_threads_spawning_blocking_work_at_once() {
    guard(|| {
        let rt = Builder::new()
            .worker_threads(1)
            .max_blocking_threads(3)
            .thread_keep_alive(Duration::from_millis(5))
            .build()
            .unwrap();
        let current = Arc::new(AtomicUsize::new(0));
        let max_seen = Arc::new(AtomicUsize::new(0));
        let total: usize = thread::scope(|s| {
            let joins: Vec<_> = (0..4)
                .map(|t| {
                    let (handle, cur, max) =
                        (rt.handle().clone(), current.clone(), max_seen.clone());
                    s.spawn(move || {
                        let hs: Vec<_> = (0..200)
                            .map(|i| {
                                let (cur, max) = (cur.clone(), max.clone());
                                handle.spawn_blocking(move || {
                                    let now = cur.fetch_add(1, SeqCst) + 1;
                                    max.fetch_max(now, SeqCst);
                                    if i % 50 == 0 {
                                        // Now and then idle long enough for threads to retire.
                                        thread::sleep(Duration::from_millis(10));
                                    }
                                    cur.fetch_sub(1, SeqCst);
                                    t * 1000 + i
                                })
                            })
                            .collect();
                        hs.into_iter().map(|h| block_on(h).unwrap()).sum::<usize>()
                    })
                })
                .collect();
            joins.into_iter().map(|j| j.join().unwrap()).sum()
        });
        let expected: usize = (0..4)
            .map(|t| (0..200).map(|i| t * 1000 + i).sum::<usize>())
            .sum();
        assert_eq!(total, expected);
        assert!(
            max_seen.load(SeqCst) <= 3,
            "more than the maximum ran at once"
        );
    });
}

#[test]
fn dropping_the_runtime_from_its_own_blocking_thread_does_not_deadlock() {
    guard(|| {
        let rt = rt(1);
        let handle = rt.handle().clone();
        let slot = Arc::new(Mutex::new(Some(rt)));
        let s = slot.clone();
        let h = handle.spawn_blocking(move || {
            let rt = s.lock().unwrap().take().unwrap();
            drop(rt);
            "dropped"
        });
        assert_eq!(block_on(h).unwrap(), "dropped");
    });
}

/// The only blocking thread times out and, while it is still exiting (here: inside a slow
/// `on_thread_stop`), new blocking work arrives: a thread must be started for it.
#[test]
fn work_arriving_while_the_last_blocking_thread_exits_still_runs() {
    guard(|| {
        let rt = Builder::new()
            .worker_threads(1)
            .max_blocking_threads(1)
            .thread_keep_alive(Duration::from_millis(20))
            .on_thread_stop(|| {
                if thread_name().starts_with("filch-blocking") {
                    thread::sleep(Duration::from_millis(500));
                }
            })
            .build()
            .unwrap();
        let h = rt.handle().clone();
        rt.block_on(h.spawn_blocking(|| ())).unwrap();
        thread::sleep(Duration::from_millis(150));
        let j = h.spawn_blocking(|| 7);
        assert_eq!(block_on(j).unwrap(), 7);
    });
}
