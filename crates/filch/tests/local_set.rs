//! `filch::task::LocalSet` and `spawn_local`: `!Send` state, wakes from other threads, handles
//! sent elsewhere, `run_until` and the set as a future, shutdown on the owning thread, fairness,
//! nesting, `enter`, `JoinSet::spawn_local`. (Some cases are ideas from tokio's
//! `task_local_set.rs` and `rt_local.rs`, rewritten.)

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::thread::{self, ThreadId};
use std::time::Duration;

use filch::runtime::{Builder, Runtime};
use filch::sync::{mpsc, oneshot};
use filch::task::{self, JoinSet, LocalSet};

mod common;
use common::guard;

fn runtime() -> Runtime {
    Builder::new().worker_threads(2).build().unwrap()
}

/// Records, when dropped, that it was dropped and on which thread.
struct DropProbe {
    drops: Arc<AtomicUsize>,
    threads: Arc<Mutex<Vec<ThreadId>>>,
}

impl DropProbe {
    fn new(drops: &Arc<AtomicUsize>, threads: &Arc<Mutex<Vec<ThreadId>>>) -> DropProbe {
        DropProbe {
            drops: drops.clone(),
            threads: threads.clone(),
        }
    }
}

impl Drop for DropProbe {
    fn drop(&mut self) {
        self.threads.lock().unwrap().push(thread::current().id());
        self.drops.fetch_add(1, SeqCst);
    }
}

#[test]
fn rc_and_refcell_state_is_shared_by_local_tasks() {
    guard("rc_and_refcell_state_is_shared_by_local_tasks", || {
        let rt = runtime();
        let local = LocalSet::new();
        let owner = thread::current().id();
        let log = local.block_on(&rt, async move {
            let log = Rc::new(RefCell::new(Vec::new()));
            let mut handles = Vec::new();
            for i in 0..5u32 {
                let log = log.clone();
                handles.push(task::spawn_local(async move {
                    for round in 0..3u32 {
                        assert_eq!(thread::current().id(), owner, "polled on another thread");
                        log.borrow_mut().push((round, i));
                        task::yield_now().await;
                    }
                }));
            }
            for handle in handles {
                handle.await.unwrap();
            }
            Rc::try_unwrap(log).unwrap().into_inner()
        });
        // Every task ran its rounds, and yields interleaved them round by round.
        let expected: Vec<(u32, u32)> = (0..3).flat_map(|r| (0..5).map(move |i| (r, i))).collect();
        assert_eq!(log, expected);
    });
}

#[test]
fn a_wake_from_another_thread_reaches_a_parked_set() {
    guard("a_wake_from_another_thread_reaches_a_parked_set", || {
        let owner = thread::current().id();
        // Without a runtime (the set does not need one) and inside one.
        for with_runtime in [false, true] {
            let local = LocalSet::new();
            let (tx, rx) = oneshot::channel::<u32>();
            let sender = thread::spawn(move || {
                thread::sleep(Duration::from_millis(50));
                tx.send(7).unwrap();
            });
            let fut = local.run_until(async move {
                let waiting = task::spawn_local(async move {
                    let value = rx.await.unwrap();
                    assert_eq!(thread::current().id(), owner);
                    Rc::new(value)
                });
                *waiting.await.unwrap()
            });
            let value = if with_runtime {
                runtime().block_on(fut)
            } else {
                futures_lite::future::block_on(fut)
            };
            assert_eq!(value, 7);
            sender.join().unwrap();
        }
    });
}

#[test]
fn a_local_join_handle_is_send_when_the_output_is() {
    guard("a_local_join_handle_is_send_when_the_output_is", || {
        let rt = runtime();
        let local = LocalSet::new();
        local.block_on(&rt, async {
            let not_send = Rc::new(20u32);
            let handle = task::spawn_local(async move {
                task::yield_now().await;
                *not_send + 1
            });
            // Awaited by a task on a worker thread.
            let on_worker = filch::spawn(async move { handle.await.unwrap() * 2 });
            assert_eq!(on_worker.await.unwrap(), 42);

            // And by a plain thread.
            let handle = task::spawn_local(async { 5u8 });
            let waiter = thread::spawn(move || futures_lite::future::block_on(handle).unwrap());
            // The set must keep running for the task to complete.
            while !waiter.is_finished() {
                task::yield_now().await;
            }
            assert_eq!(waiter.join().unwrap(), 5);
        });
    });
}

#[test]
fn run_until_returns_with_tasks_pending_and_they_resume_at_the_next_run() {
    guard(
        "run_until_returns_with_tasks_pending_and_they_resume_at_the_next_run",
        || {
            let rt = runtime();
            let local = LocalSet::new();
            let (tx, rx) = oneshot::channel::<()>();
            let progress = Rc::new(Cell::new(0));
            let p = progress.clone();
            let handle = local.spawn_local(async move {
                p.set(1);
                rx.await.unwrap();
                p.set(2);
            });
            local.block_on(&rt, task::yield_now());
            assert_eq!(progress.get(), 1, "the task ran during the first run_until");
            assert!(!handle.is_finished());
            // Not running: the send only queues the wake.
            tx.send(()).unwrap();
            thread::sleep(Duration::from_millis(20));
            assert_eq!(progress.get(), 1, "a local task ran outside its set");
            local.block_on(&rt, handle).unwrap();
            assert_eq!(progress.get(), 2);
        },
    );
}

#[test]
fn awaiting_the_set_runs_every_task_to_completion() {
    guard("awaiting_the_set_runs_every_task_to_completion", || {
        let rt = runtime();
        let local = LocalSet::new();
        let done = Rc::new(Cell::new(0));
        for i in 0..10 {
            let done = done.clone();
            local.spawn_local(async move {
                for _ in 0..i {
                    task::yield_now().await;
                }
                // Tasks spawned by tasks are waited for too.
                let done2 = done.clone();
                task::spawn_local(async move {
                    task::yield_now().await;
                    done2.set(done2.get() + 1);
                });
                done.set(done.get() + 1);
            });
        }
        // A task woken from another thread keeps the set from completing until it is done.
        let (tx, rx) = oneshot::channel::<()>();
        let d = done.clone();
        local.spawn_local(async move {
            rx.await.unwrap();
            d.set(d.get() + 100);
        });
        let sender = thread::spawn(move || {
            thread::sleep(Duration::from_millis(50));
            tx.send(()).unwrap();
        });
        rt.block_on(local);
        assert_eq!(done.get(), 120);
        sender.join().unwrap();
    });
}

#[test]
fn an_empty_set_as_a_future_is_ready_at_once() {
    guard("an_empty_set_as_a_future_is_ready_at_once", || {
        futures_lite::future::block_on(LocalSet::new());
    });
}

#[test]
fn dropping_the_set_drops_its_futures_on_its_thread_and_cancels_the_handles() {
    guard(
        "dropping_the_set_drops_its_futures_on_its_thread_and_cancels_the_handles",
        || {
            let drops = Arc::new(AtomicUsize::new(0));
            let threads = Arc::new(Mutex::new(Vec::new()));
            let owner = thread::current().id();
            let local = LocalSet::new();

            let mut handles = Vec::new();
            // Idle forever.
            for _ in 0..3 {
                let probe = DropProbe::new(&drops, &threads);
                handles.push(local.spawn_local(async move {
                    let _probe = probe;
                    std::future::pending::<()>().await;
                }));
            }
            // Waiting for another thread, whose waker outlives the set: the last reference to
            // the task is then dropped on that thread, which must not drop the future.
            let parked: Arc<Mutex<Option<Waker>>> = Arc::default();
            let probe = DropProbe::new(&drops, &threads);
            let slot = parked.clone();
            let mut first = true;
            handles.push(local.spawn_local(poll_fn(move |cx| {
                let _keep = &probe;
                if first {
                    first = false;
                    *slot.lock().unwrap() = Some(cx.waker().clone());
                }
                Poll::<()>::Pending
            })));
            // Run them once.
            futures_lite::future::block_on(local.run_until(task::yield_now()));
            assert!(parked.lock().unwrap().is_some());
            assert_eq!(drops.load(SeqCst), 0);
            // Spawned after the last run: never polled before the set is dropped.
            let probe = DropProbe::new(&drops, &threads);
            handles.push(local.spawn_local(async move {
                let _probe = probe;
            }));

            // Handles are sent to another thread before the set goes.
            let (results_tx, results_rx) = std::sync::mpsc::channel();
            let joiner = thread::spawn(move || {
                for handle in handles {
                    let result = futures_lite::future::block_on(handle);
                    results_tx.send(result.unwrap_err().is_cancelled()).unwrap();
                }
            });
            thread::sleep(Duration::from_millis(20));
            drop(local);
            assert_eq!(drops.load(SeqCst), 5);
            assert!(
                threads.lock().unwrap().iter().all(|t| *t == owner),
                "a local future was dropped on another thread"
            );
            joiner.join().unwrap();
            let results: Vec<bool> = results_rx.iter().collect();
            assert_eq!(results, [true; 5]);

            // The waker, woken and dropped on another thread after the set is gone, holds the
            // task's last reference.
            let waker = parked.lock().unwrap().take().unwrap();
            thread::spawn(move || waker.wake()).join().unwrap();
            assert_eq!(drops.load(SeqCst), 5);
        },
    );
}

#[test]
fn abort_from_another_thread_cancels_on_the_owning_thread() {
    guard(
        "abort_from_another_thread_cancels_on_the_owning_thread",
        || {
            let rt = runtime();
            let drops = Arc::new(AtomicUsize::new(0));
            let threads = Arc::new(Mutex::new(Vec::new()));
            let owner = thread::current().id();
            let local = LocalSet::new();
            let probe = DropProbe::new(&drops, &threads);
            let handle = local.spawn_local(async move {
                let _probe = probe;
                std::future::pending::<()>().await;
            });
            let abort = handle.abort_handle();
            let result = local.block_on(&rt, async move {
                task::yield_now().await;
                thread::spawn(move || abort.abort()).join().unwrap();
                handle.await
            });
            assert!(result.unwrap_err().is_cancelled());
            assert_eq!(drops.load(SeqCst), 1);
            assert_eq!(threads.lock().unwrap()[0], owner);
        },
    );
}

#[test]
fn a_future_that_spawns_while_the_set_is_dropped_is_cancelled() {
    guard(
        "a_future_that_spawns_while_the_set_is_dropped_is_cancelled",
        || {
            struct SpawnOnDrop(Rc<RefCell<Option<task::JoinHandle<()>>>>);
            impl Drop for SpawnOnDrop {
                fn drop(&mut self) {
                    *self.0.borrow_mut() = Some(task::spawn_local(async {}));
                }
            }
            let late = Rc::new(RefCell::new(None));
            let local = LocalSet::new();
            let guard = SpawnOnDrop(late.clone());
            local.spawn_local(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            });
            futures_lite::future::block_on(local.run_until(task::yield_now()));
            drop(local);
            let late = late.borrow_mut().take().expect("the destructor ran");
            assert!(late.is_finished());
            assert!(futures_lite::future::block_on(late)
                .unwrap_err()
                .is_cancelled());
        },
    );
}

#[test]
fn spawn_local_outside_a_set_panics_with_the_fix() {
    guard("spawn_local_outside_a_set_panics_with_the_fix", || {
        let message = |payload: Box<dyn std::any::Any + Send>| -> String {
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap()
        };
        // On a plain thread.
        let caught = std::panic::catch_unwind(|| {
            task::spawn_local(async {});
        });
        let text = message(caught.unwrap_err());
        assert!(text.contains("outside a LocalSet"), "{text}");
        assert!(text.contains("LocalSet::run_until"), "{text}");

        // Inside a multi-thread runtime's block_on and a worker's task.
        let rt = runtime();
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async {
                task::spawn_local(async {});
            })
        }));
        assert!(message(caught.unwrap_err()).contains("outside a LocalSet"));
        let joined = rt.block_on(rt.spawn(async {
            task::spawn_local(async {});
        }));
        let text = message(joined.unwrap_err().into_panic());
        assert!(text.contains("outside a LocalSet"), "{text}");
    });
}

#[test]
fn nested_sets_spawn_into_the_innermost() {
    guard("nested_sets_spawn_into_the_innermost", || {
        let rt = runtime();
        let outer = LocalSet::new();
        outer.block_on(&rt, async {
            let (tx, rx) = oneshot::channel::<()>();
            let outer_task = task::spawn_local(async move {
                rx.await.unwrap();
                "outer"
            });
            let inner = LocalSet::new();
            let inner_task = inner
                .run_until(async {
                    let pending = task::spawn_local(std::future::pending::<()>());
                    // The outer set's task is woken while the inner one runs.
                    tx.send(()).unwrap();
                    assert_eq!(task::spawn_local(async { 1 }).await.unwrap(), 1);
                    // Wrapped, so the block does not return a bare future (clippy).
                    Some(pending)
                })
                .await;
            // The task spawned inside belongs to the inner set: dropping it cancels the task.
            drop(inner);
            assert!(inner_task.unwrap().await.unwrap_err().is_cancelled());
            // Back in the outer set: spawn_local goes there again.
            assert_eq!(task::spawn_local(async { 2 }).await.unwrap(), 2);
            assert_eq!(outer_task.await.unwrap(), "outer");
        });
    });
}

#[test]
fn enter_makes_spawn_local_target_the_set() {
    guard("enter_makes_spawn_local_target_the_set", || {
        let rt = runtime();
        let local = LocalSet::new();
        let handle = {
            let _entered = local.enter();
            task::spawn_local(async { Rc::new(3) })
        };
        // The guard restored "no set".
        assert!(std::panic::catch_unwind(|| drop(task::spawn_local(async {}))).is_err());
        assert_eq!(*local.block_on(&rt, handle).unwrap(), 3);
    });
}

#[test]
fn a_spawn_from_outside_wakes_a_parked_set() {
    guard("a_spawn_from_outside_wakes_a_parked_set", || {
        // The set is parked in `run_until` (nothing to do); a sibling future on the same thread,
        // outside the set, spawns into it: the set must be woken to run the task.
        let local = LocalSet::new();
        let out = futures_lite::future::block_on(futures_lite::future::or(
            async {
                local.run_until(std::future::pending::<()>()).await;
                unreachable!()
            },
            async {
                task::yield_now().await;
                local.spawn_local(async { Rc::new(9) }).await.unwrap()
            },
        ));
        assert_eq!(*out, 9);
    });
}

#[test]
fn a_tick_runs_at_most_61_tasks_before_yielding_to_the_caller() {
    guard(
        "a_tick_runs_at_most_61_tasks_before_yielding_to_the_caller",
        || {
            let local = LocalSet::new();
            let ran = Rc::new(Cell::new(0usize));
            let main_waker: Rc<RefCell<Option<Waker>>> = Rc::default();
            for _ in 0..200 {
                let ran = ran.clone();
                let main_waker = main_waker.clone();
                local.spawn_local(async move {
                    ran.set(ran.get() + 1);
                    if ran.get() == 200 {
                        main_waker.borrow_mut().take().unwrap().wake();
                    }
                });
            }
            let mut seen = Vec::new();
            futures_lite::future::block_on(local.run_until(poll_fn(|cx| {
                seen.push(ran.get());
                if ran.get() == 200 {
                    Poll::Ready(())
                } else {
                    // Woken by the last task; between, only the set's self-wake brings it back.
                    *main_waker.borrow_mut() = Some(cx.waker().clone());
                    Poll::Pending
                }
            })));
            assert_eq!(seen.first(), Some(&0));
            assert_eq!(seen.last(), Some(&200));
            for pair in seen.windows(2) {
                assert!(
                    pair[1] - pair[0] <= 61,
                    "one tick ran {} tasks",
                    pair[1] - pair[0]
                );
            }
            assert!(seen.len() >= 5, "polls saw {seen:?}");
        },
    );
}

#[test]
fn a_yielding_local_task_does_not_starve_the_run_until_future() {
    guard(
        "a_yielding_local_task_does_not_starve_the_run_until_future",
        || {
            let rt = runtime();
            let local = LocalSet::new();
            let stop = Rc::new(Cell::new(false));
            let s = stop.clone();
            let spinner = local.spawn_local(async move {
                let mut spins = 0u64;
                while !s.get() {
                    spins += 1;
                    task::yield_now().await;
                }
                spins
            });
            local.block_on(&rt, async {
                filch::time::sleep(Duration::from_millis(20)).await;
                stop.set(true);
            });
            let spins = local.block_on(&rt, spinner).unwrap();
            assert!(spins > 0);
        },
    );
}

#[test]
fn a_local_task_spends_its_coop_budget_and_lets_others_run() {
    guard(
        "a_local_task_spends_its_coop_budget_and_lets_others_run",
        || {
            // Outside any runtime, so the only budget is the one each local task's poll gets.
            let local = LocalSet::new();
            let (tx, mut rx) = mpsc::unbounded_channel::<u32>();
            for i in 0..2_000 {
                tx.send(i).unwrap();
            }
            drop(tx);
            let other_ran = Rc::new(Cell::new(false));
            let o = other_ran.clone();
            let drainer = local.spawn_local(async move {
                let mut received = 0u32;
                let mut before_other = 0u32;
                // Never pending on its own: only the coop budget makes it yield.
                while rx.recv().await.is_some() {
                    received += 1;
                    if !o.get() {
                        before_other = received;
                    }
                }
                (received, before_other)
            });
            let o2 = other_ran.clone();
            local.spawn_local(async move { o2.set(true) });
            let (received, before_other) =
                futures_lite::future::block_on(local.run_until(drainer)).unwrap();
            assert_eq!(received, 2_000);
            assert!(other_ran.get());
            assert!(
                before_other < 2_000,
                "the other task only ran after the drainer had taken everything"
            );
        },
    );
}

#[test]
fn a_panicking_local_task_gives_a_join_error_and_the_set_runs_on() {
    guard(
        "a_panicking_local_task_gives_a_join_error_and_the_set_runs_on",
        || {
            let rt = runtime();
            let local = LocalSet::new();
            local.block_on(&rt, async {
                let bad = task::spawn_local(async {
                    let _not_send = Rc::new(());
                    panic!("boom in a local task");
                });
                assert!(bad.await.unwrap_err().is_panic());
                assert_eq!(task::spawn_local(async { 1 }).await.unwrap(), 1);
            });
        },
    );
}

#[test]
fn join_set_spawn_local_and_spawn_local_on() {
    guard("join_set_spawn_local_and_spawn_local_on", || {
        let rt = runtime();
        let local = LocalSet::new();
        let mut set = JoinSet::new();
        // Before the set runs, onto a named LocalSet.
        for i in 0..3u32 {
            let not_send = Rc::new(i);
            set.spawn_local_on(async move { *not_send }, &local);
        }
        let drops = Arc::new(AtomicUsize::new(0));
        let threads = Arc::new(Mutex::new(Vec::new()));
        let mut outputs = local.block_on(&rt, async {
            for i in 3..6u32 {
                let not_send = Rc::new(i);
                set.spawn_local(async move {
                    task::yield_now().await;
                    *not_send
                });
            }
            let mut outputs = Vec::new();
            while let Some(result) = set.join_next().await {
                outputs.push(result.unwrap());
            }
            // Dropping a JoinSet aborts its local members, on the owning thread.
            let probe = DropProbe::new(&drops, &threads);
            set.spawn_local(async move {
                let _probe = probe;
                std::future::pending::<u32>().await
            });
            task::yield_now().await;
            let abort_later = set;
            let abort_flag = Arc::new(AtomicBool::new(false));
            let f = abort_flag.clone();
            thread::spawn(move || {
                drop(abort_later);
                f.store(true, SeqCst);
            })
            .join()
            .unwrap();
            assert!(abort_flag.load(SeqCst));
            while drops.load(SeqCst) == 0 {
                task::yield_now().await;
            }
            outputs
        });
        outputs.sort();
        assert_eq!(outputs, [0, 1, 2, 3, 4, 5]);
        assert_eq!(threads.lock().unwrap()[0], thread::current().id());
    });
}

#[test]
fn a_set_in_a_thread_local_is_dropped_at_thread_exit_on_that_thread() {
    guard(
        "a_set_in_a_thread_local_is_dropped_at_thread_exit_on_that_thread",
        || {
            thread_local! {
                static SET: RefCell<Option<LocalSet>> = const { RefCell::new(None) };
            }
            let drops = Arc::new(AtomicUsize::new(0));
            let threads = Arc::new(Mutex::new(Vec::new()));
            let (d, t) = (drops.clone(), threads.clone());
            let owner = thread::spawn(move || {
                let rt = runtime();
                SET.with(|set| {
                    let local = LocalSet::new();
                    let probe = DropProbe::new(&d, &t);
                    local.block_on(&rt, async move {
                        task::spawn_local(async move {
                            let _probe = probe;
                            std::future::pending::<()>().await;
                        });
                        task::yield_now().await;
                    });
                    *set.borrow_mut() = Some(local);
                });
                thread::current().id()
                // The set is dropped with the thread's thread-locals, maybe after the set's own
                // `CURRENT` slot is gone.
            })
            .join()
            .unwrap();
            assert_eq!(drops.load(SeqCst), 1);
            assert_eq!(*threads.lock().unwrap(), [owner]);
        },
    );
}

#[test]
fn local_tasks_use_timers_and_workers() {
    guard("local_tasks_use_timers_and_workers", || {
        let rt = runtime();
        let local = LocalSet::new();
        let out = local.block_on(&rt, async {
            let mut handles = Vec::new();
            for i in 0..4u64 {
                let state = Rc::new(Cell::new(i));
                handles.push(task::spawn_local(async move {
                    filch::time::sleep(Duration::from_millis(5 * (4 - i))).await;
                    let doubled = filch::spawn(async move { i * 2 }).await.unwrap();
                    state.set(state.get() + doubled);
                    state.get()
                }));
            }
            let mut out = Vec::new();
            for handle in handles {
                out.push(handle.await.unwrap());
            }
            out
        });
        assert_eq!(out, [0, 3, 6, 9]);
    });
}
