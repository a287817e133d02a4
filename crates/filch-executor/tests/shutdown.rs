//! Shutdown: dropping a runtime drops the future of every unfinished task and resolves their
//! handles to a cancelled `JoinError`, leaking nothing; `shutdown_timeout` returns while
//! blocking work or a stuck poll still runs; spawning through a handle afterwards gives a
//! cancelled handle and drops the future.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use common::{guard, pending_forever, rt, wait_until, DropCount, Guard};
use filch_executor::runtime::{Builder, Handle};
use filch_executor::task::yield_now;
use filch_executor::{spawn, JoinHandle};
use futures_lite::future::{block_on, poll_fn};

#[test]
fn dropping_the_runtime_cancels_every_unfinished_task() {
    guard(|| {
        let rt = rt(2);
        let futures = DropCount::new();
        let started = Arc::new(AtomicUsize::new(0));
        // Idle tasks (polled, waiting forever)...
        let mut handles: Vec<JoinHandle<()>> = (0..100)
            .map(|_| {
                let (g, s) = (futures.guard(), started.clone());
                rt.spawn(async move {
                    let _g = g;
                    s.fetch_add(1, SeqCst);
                    pending_forever().await
                })
            })
            .collect();
        wait_until("the idle tasks ran", || started.load(SeqCst) == 100);
        // ...tasks that keep yielding (always queued or running)...
        for _ in 0..10 {
            let g = futures.guard();
            handles.push(rt.spawn(async move {
                let _g = g;
                loop {
                    yield_now().await;
                }
            }));
        }
        // ...and tasks that may not have been polled at all yet.
        for _ in 0..1_000 {
            let g = futures.guard();
            handles.push(rt.spawn(async move {
                let _g = g;
                pending_forever().await
            }));
        }
        drop(rt);
        assert_eq!(
            futures.dropped(),
            futures.made(),
            "every future was dropped by the drop"
        );
        for h in handles {
            assert!(h.is_finished());
            assert!(block_on(h).unwrap_err().is_cancelled());
        }
    });
}

#[test]
fn shutdown_leaks_no_outputs_or_futures() {
    guard(|| {
        let rt = rt(2);
        let futures = DropCount::new();
        let outputs = DropCount::new();
        let mut kept = Vec::new();
        for i in 0..300 {
            let (g, o) = (futures.guard(), outputs.clone());
            let h: JoinHandle<Guard> = rt.spawn(async move {
                let _g = g;
                match i % 3 {
                    0 => o.guard(),
                    1 => {
                        yield_now().await;
                        o.guard()
                    }
                    _ => {
                        pending_forever().await;
                        o.guard()
                    }
                }
            });
            // Keep some handles, detach the others.
            if i % 2 == 0 {
                kept.push(h);
            }
        }
        // Let the finishing tasks finish, so both stored and unread outputs exist at shutdown.
        wait_until("the finite tasks finish", || futures.dropped() == 200);
        drop(rt);
        assert_eq!(futures.dropped(), 300);
        let mut ok = 0;
        for h in kept {
            match block_on(h) {
                Ok(out) => {
                    ok += 1;
                    drop(out);
                }
                Err(e) => assert!(e.is_cancelled()),
            }
        }
        assert_eq!(ok, 100);
        assert_eq!(outputs.made(), 200);
        assert_eq!(outputs.dropped(), 200, "outputs leaked");
    });
}

#[test]
fn shutdown_races_with_wakes_and_spawns_from_other_threads() {
    guard(|| {
        for _ in 0..20 {
            let rt = rt(2);
            let futures = DropCount::new();
            let wakers: Arc<Mutex<Vec<Waker>>> = Arc::new(Mutex::new(Vec::new()));
            let handles: Vec<_> = (0..50)
                .map(|_| {
                    let (g, w) = (futures.guard(), wakers.clone());
                    rt.spawn(poll_fn(move |cx| {
                        let _g = &g;
                        w.lock().unwrap().push(cx.waker().clone());
                        Poll::<()>::Pending
                    }))
                })
                .collect();
            let stop = Arc::new(AtomicBool::new(false));
            let late = Arc::new(Mutex::new(Vec::new()));
            thread::scope(|s| {
                // One thread keeps waking every task, another keeps spawning, while we drop.
                let (w, st) = (wakers.clone(), stop.clone());
                s.spawn(move || {
                    while !st.load(SeqCst) {
                        let batch: Vec<Waker> = w.lock().unwrap().drain(..).collect();
                        batch.iter().for_each(Waker::wake_by_ref);
                        thread::yield_now();
                    }
                });
                let (handle, st, f, l) = (
                    rt.handle().clone(),
                    stop.clone(),
                    futures.clone(),
                    late.clone(),
                );
                s.spawn(move || {
                    while !st.load(SeqCst) {
                        let g = f.guard();
                        l.lock().unwrap().push(handle.spawn(async move {
                            let _g = g;
                            pending_forever().await
                        }));
                        thread::yield_now();
                    }
                });
                thread::sleep(Duration::from_millis(5));
                drop(rt);
                stop.store(true, SeqCst);
            });
            wakers.lock().unwrap().clear();
            assert_eq!(
                futures.dropped(),
                futures.made(),
                "a future outlived the runtime"
            );
            for h in handles.into_iter().chain(late.lock().unwrap().drain(..)) {
                assert!(block_on(h).unwrap_err().is_cancelled());
            }
        }
    });
}

#[test]
fn futures_that_spawn_while_being_dropped_are_cancelled_too() {
    guard(|| {
        let rt = rt(1);
        let futures = DropCount::new();

        struct SpawnOnDrop {
            handle: Handle,
            futures: DropCount,
            _g: Guard,
        }
        impl Drop for SpawnOnDrop {
            fn drop(&mut self) {
                let g = self.futures.guard();
                drop(self.handle.spawn(async move {
                    let _g = g;
                    pending_forever().await
                }));
            }
        }

        for _ in 0..10 {
            let s = SpawnOnDrop {
                handle: rt.handle().clone(),
                futures: futures.clone(),
                _g: futures.guard(),
            };
            rt.spawn(async move {
                let _s = s;
                pending_forever().await
            });
        }
        drop(rt);
        assert_eq!(futures.made(), 20);
        assert_eq!(
            futures.dropped(),
            20,
            "tasks spawned during shutdown leaked"
        );
    });
}

#[test]
fn a_panicking_destructor_does_not_break_shutdown() {
    guard(|| {
        struct PanicOnDrop;
        impl Drop for PanicOnDrop {
            fn drop(&mut self) {
                panic!("destructor panicked during shutdown");
            }
        }
        let rt = rt(1);
        let futures = DropCount::new();
        let bad = rt.spawn(async {
            let _p = PanicOnDrop;
            pending_forever().await
        });
        let g = futures.guard();
        let good = rt.spawn(async move {
            let _g = g;
            pending_forever().await
        });
        thread::sleep(Duration::from_millis(10));
        drop(rt);
        assert!(block_on(bad).unwrap_err().is_panic());
        assert!(block_on(good).unwrap_err().is_cancelled());
        assert_eq!(futures.dropped(), 1);
    });
}

#[test]
fn shutdown_timeout_returns_while_blocking_work_runs() {
    guard(|| {
        let rt = rt(1);
        let (tx, rx) = mpsc::channel::<()>();
        let running = Arc::new(AtomicBool::new(false));
        let finished = Arc::new(AtomicBool::new(false));
        let (r, f) = (running.clone(), finished.clone());
        let job = rt.handle().spawn_blocking(move || {
            r.store(true, SeqCst);
            // Blocks until released (or for 60 s, far longer than the bound below).
            let _ = rx.recv_timeout(Duration::from_secs(60));
            f.store(true, SeqCst);
            "done"
        });
        wait_until("the blocking job runs", || running.load(SeqCst));
        let start = Instant::now();
        rt.shutdown_timeout(Duration::from_millis(100));
        let took = start.elapsed();
        assert!(
            took < Duration::from_secs(20),
            "shutdown_timeout(100ms) waited {took:?} for blocking work"
        );
        assert!(
            !finished.load(SeqCst),
            "it returned before the blocking work ended"
        );
        // The work itself goes on and its handle still gets the result.
        tx.send(()).unwrap();
        assert_eq!(block_on(job).unwrap(), "done");
    });
}

#[test]
fn shutdown_timeout_returns_while_a_worker_is_stuck_in_a_poll() {
    guard(|| {
        let rt = rt(2);
        let in_poll = Arc::new(AtomicBool::new(false));
        let release = Arc::new(AtomicBool::new(false));
        let futures = DropCount::new();
        let (ip, rel, g) = (in_poll.clone(), release.clone(), futures.guard());
        let stuck = rt.spawn(poll_fn(move |_| {
            let _g = &g;
            ip.store(true, SeqCst);
            let deadline = Instant::now() + Duration::from_secs(60);
            while !rel.load(SeqCst) && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(1));
            }
            Poll::<()>::Pending
        }));
        wait_until("the poll is stuck", || in_poll.load(SeqCst));
        let start = Instant::now();
        rt.shutdown_timeout(Duration::from_millis(100));
        let took = start.elapsed();
        assert!(
            took < Duration::from_secs(20),
            "shutdown_timeout waited {took:?}"
        );
        assert_eq!(futures.dropped(), 0, "the future is still being polled");
        // When the poll returns the task is cancelled and its future dropped.
        release.store(true, SeqCst);
        assert!(block_on(stuck).unwrap_err().is_cancelled());
        wait_until("the stuck future is dropped", || futures.dropped() == 1);
    });
}

#[test]
fn shutdown_cancels_queued_blocking_work() {
    guard(|| {
        let rt = Builder::new()
            .worker_threads(1)
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let (tx, rx) = mpsc::channel::<()>();
        let running = Arc::new(AtomicBool::new(false));
        let r = running.clone();
        let first = rt.handle().spawn_blocking(move || {
            r.store(true, SeqCst);
            let _ = rx.recv_timeout(Duration::from_secs(60));
        });
        wait_until("the first job runs", || running.load(SeqCst));
        let ran = Arc::new(AtomicBool::new(false));
        let ran2 = ran.clone();
        let queued = rt.handle().spawn_blocking(move || ran2.store(true, SeqCst));
        rt.shutdown_timeout(Duration::from_millis(50));
        assert!(block_on(queued).unwrap_err().is_cancelled());
        tx.send(()).unwrap();
        block_on(first).unwrap();
        assert!(
            !ran.load(SeqCst),
            "queued blocking work never runs after shutdown"
        );
    });
}

#[test]
fn spawn_through_a_handle_after_shutdown_is_cancelled_and_dropped() {
    guard(|| {
        let rt = rt(2);
        let handle = rt.handle().clone();
        drop(rt);
        let futures = DropCount::new();
        let polled = Arc::new(AtomicBool::new(false));
        let (g, p) = (futures.guard(), polled.clone());
        let h = handle.spawn(async move {
            let _g = g;
            p.store(true, SeqCst);
        });
        assert_eq!(futures.dropped(), 1, "the future was dropped at once");
        assert!(h.is_finished());
        assert!(block_on(h).unwrap_err().is_cancelled());
        assert!(!polled.load(SeqCst));

        // From another thread, inside a context entered on the dead runtime, and blocking work.
        let h2 = handle.clone();
        let g = futures.guard();
        let h = thread::spawn(move || h2.spawn(async move { drop(g) }))
            .join()
            .unwrap();
        assert!(block_on(h).unwrap_err().is_cancelled());
        {
            let _enter = handle.enter();
            let g = futures.guard();
            assert!(block_on(spawn(async move { drop(g) }))
                .unwrap_err()
                .is_cancelled());
        }
        let g = futures.guard();
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let h = handle.spawn_blocking(move || {
            drop(g);
            r.store(true, SeqCst);
        });
        assert!(block_on(h).unwrap_err().is_cancelled());
        assert!(!ran.load(SeqCst));
        assert_eq!(futures.dropped(), futures.made());
    });
}

#[test]
fn dropping_a_runtime_from_inside_its_own_task_does_not_deadlock() {
    guard(|| {
        let rt = rt(2);
        let handle = rt.handle().clone();
        let rt_slot = Arc::new(Mutex::new(Some(rt)));
        let slot = rt_slot.clone();
        let futures = DropCount::new();
        let g = futures.guard();
        let idle = handle.spawn(async move {
            let _g = g;
            pending_forever().await
        });
        let h = handle.spawn(async move {
            let rt = slot.lock().unwrap().take().unwrap();
            drop(rt);
            "dropped"
        });
        // The drop panics (it would wait for its own worker) after stopping the runtime; see
        // `tests/robustness.rs`.
        let err = block_on(h).unwrap_err();
        assert!(err.is_panic(), "{err}");
        assert!(block_on(idle).unwrap_err().is_cancelled());
        wait_until("the idle future is dropped", || futures.dropped() == 1);
    });
}
