//! `filch::task::JoinSet`: completion order, aborting, dropping, `join_all`, many tasks.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use filch::runtime::{Builder, Runtime};
use filch::sync::CancellationToken;
use filch::task::{self, JoinSet};

mod common;
use common::guard;

fn runtime() -> Runtime {
    Builder::new().worker_threads(2).build().unwrap()
}

/// Counts drops; held inside each task's future.
struct DropCount(Arc<AtomicUsize>);
impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn join_next_returns_tasks_in_completion_order() {
    guard("join_next_returns_tasks_in_completion_order", || {
        let rt = runtime();
        rt.block_on(async {
            let gates: Vec<CancellationToken> = (0..6).map(|_| CancellationToken::new()).collect();
            let mut set = JoinSet::new();
            for (i, gate) in gates.iter().enumerate() {
                let gate = gate.clone();
                set.spawn(async move {
                    gate.cancelled().await;
                    i
                });
            }
            // Release the tasks last-spawned first: each join_next returns the one released.
            for i in (0..6).rev() {
                gates[i].cancel();
                assert_eq!(set.join_next().await.unwrap().unwrap(), i);
                assert_eq!(set.len(), i);
            }
            assert!(set.join_next().await.is_none());
        });
    });
}

#[test]
fn join_next_with_id_and_try_join_next() {
    guard("join_next_with_id_and_try_join_next", || {
        let rt = runtime();
        rt.block_on(async {
            let gate = CancellationToken::new();
            let mut set = JoinSet::new();
            let waiting = gate.clone();
            let abort = set.spawn(async move {
                waiting.cancelled().await;
                7
            });
            assert!(set.try_join_next().is_none());
            assert!(set.try_join_next_with_id().is_none());
            assert_eq!(set.len(), 1);
            gate.cancel();
            let (id, seven) = set.join_next_with_id().await.unwrap().unwrap();
            assert_eq!((id, seven), (abort.id(), 7));
            assert!(set.is_empty());

            let abort = set.spawn(async { 8 });
            let joined = loop {
                match set.try_join_next_with_id() {
                    Some(result) => break result.unwrap(),
                    None => task::yield_now().await,
                }
            };
            assert_eq!(joined, (abort.id(), 8));
            set.spawn(async { 9 });
            let nine = loop {
                match set.try_join_next() {
                    Some(result) => break result.unwrap(),
                    None => task::yield_now().await,
                }
            };
            assert_eq!(nine, 9);
            assert!(set.try_join_next().is_none());
        });
    });
}

#[test]
fn abort_all_gives_cancelled_errors() {
    guard("abort_all_gives_cancelled_errors", || {
        let rt = runtime();
        rt.block_on(async {
            let mut set = JoinSet::new();
            let mut ids = Vec::new();
            for _ in 0..20 {
                ids.push(set.spawn(std::future::pending::<()>()).id());
            }
            set.abort_all();
            assert_eq!(set.len(), 20, "aborted tasks stay in the set until joined");
            let mut cancelled = Vec::new();
            while let Some(result) = set.join_next().await {
                let err = result.unwrap_err();
                assert!(err.is_cancelled(), "{err}");
                cancelled.push(err.id());
            }
            ids.sort_by_key(|id| id.to_string().parse::<u64>().unwrap());
            cancelled.sort_by_key(|id| id.to_string().parse::<u64>().unwrap());
            assert_eq!(ids, cancelled);
        });
    });
}

#[test]
fn abort_handle_from_spawn_aborts_one_task() {
    guard("abort_handle_from_spawn_aborts_one_task", || {
        let rt = runtime();
        rt.block_on(async {
            let mut set = JoinSet::new();
            let abort = set.spawn(std::future::pending::<u8>());
            set.spawn(async { 1 });
            abort.abort();
            let mut results: Vec<_> = Vec::new();
            while let Some(result) = set.join_next().await {
                results.push(result.map_err(|e| e.is_cancelled()));
            }
            results.sort();
            assert_eq!(results, [Ok(1), Err(true)]);
        });
    });
}

#[test]
fn dropping_the_set_aborts_every_task() {
    guard("dropping_the_set_aborts_every_task", || {
        let rt = runtime();
        let drops = Arc::new(AtomicUsize::new(0));
        rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..50 {
                let counter = DropCount(drops.clone());
                set.spawn(async move {
                    let _counter = counter;
                    std::future::pending::<()>().await
                });
            }
            task::yield_now().await;
            drop(set);
            let deadline = Instant::now() + Duration::from_secs(30);
            while drops.load(SeqCst) < 50 {
                assert!(
                    Instant::now() < deadline,
                    "only {} dropped",
                    drops.load(SeqCst)
                );
                task::yield_now().await;
            }
        });
        assert_eq!(drops.load(SeqCst), 50);
    });
}

#[test]
fn detach_all_lets_tasks_run_on() {
    guard("detach_all_lets_tasks_run_on", || {
        let rt = runtime();
        rt.block_on(async {
            let gate = CancellationToken::new();
            let finished = Arc::new(AtomicUsize::new(0));
            let mut set = JoinSet::new();
            for _ in 0..10 {
                let gate = gate.clone();
                let finished = finished.clone();
                set.spawn(async move {
                    gate.cancelled().await;
                    finished.fetch_add(1, SeqCst);
                });
            }
            set.detach_all();
            assert!(set.is_empty());
            assert!(set.join_next().await.is_none());
            drop(set);
            gate.cancel();
            let deadline = Instant::now() + Duration::from_secs(30);
            while finished.load(SeqCst) < 10 {
                assert!(Instant::now() < deadline, "detached tasks were aborted");
                task::yield_now().await;
            }
        });
    });
}

#[test]
fn join_all_returns_every_output() {
    guard("join_all_returns_every_output", || {
        let rt = runtime();
        let mut outputs = rt.block_on(async {
            let mut set = JoinSet::new();
            for i in 0..100u32 {
                set.spawn(async move { i });
            }
            set.join_all().await
        });
        outputs.sort();
        assert_eq!(outputs, (0..100).collect::<Vec<_>>());
    });
}

#[test]
fn join_all_resumes_a_task_panic() {
    guard("join_all_resumes_a_task_panic", || {
        let rt = runtime();
        let drops = Arc::new(AtomicUsize::new(0));
        let counted = drops.clone();
        let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async move {
                let mut set = JoinSet::new();
                for _ in 0..5 {
                    let counter = DropCount(counted.clone());
                    set.spawn(async move {
                        let _counter = counter;
                        std::future::pending::<u8>().await
                    });
                }
                set.spawn(async { std::panic::panic_any(String::from("task exploded")) });
                set.join_all().await
            })
        }))
        .unwrap_err();
        assert_eq!(payload.downcast_ref::<String>().unwrap(), "task exploded");
        // The other tasks were aborted when the set was dropped during the unwind.
        let deadline = Instant::now() + Duration::from_secs(30);
        while drops.load(SeqCst) < 5 {
            assert!(
                Instant::now() < deadline,
                "only {} dropped",
                drops.load(SeqCst)
            );
            thread::sleep(Duration::from_millis(1));
        }
    });
}

#[test]
fn shutdown_waits_for_every_task() {
    guard("shutdown_waits_for_every_task", || {
        /// Takes a while to drop, so that an abort alone does not finish it at once.
        struct SlowDrop(Arc<AtomicUsize>);
        impl Drop for SlowDrop {
            fn drop(&mut self) {
                thread::sleep(Duration::from_millis(20));
                self.0.fetch_add(1, SeqCst);
            }
        }
        let rt = runtime();
        rt.block_on(async {
            let drops = Arc::new(AtomicUsize::new(0));
            let mut set = JoinSet::new();
            for _ in 0..10 {
                let slow = SlowDrop(drops.clone());
                set.spawn(async move {
                    let _slow = slow;
                    std::future::pending::<()>().await
                });
            }
            task::yield_now().await;
            set.shutdown().await;
            assert!(set.is_empty());
            assert_eq!(drops.load(SeqCst), 10);
        });
    });
}

#[test]
fn ten_thousand_tasks_join_quickly() {
    guard("ten_thousand_tasks_join_quickly", || {
        let rt = runtime();
        let started = Instant::now();
        rt.block_on(async {
            let gate = CancellationToken::new();
            let mut set = JoinSet::new();
            for i in 0..10_000u64 {
                let gate = gate.clone();
                set.spawn(async move {
                    if i % 2 == 0 {
                        gate.cancelled().await;
                    }
                    i
                });
            }
            let mut sum = 0;
            let mut joined = 0;
            while joined < 5_000 {
                sum += set.join_next().await.unwrap().unwrap();
                joined += 1;
            }
            assert_eq!(sum, (0..10_000u64).filter(|i| i % 2 == 1).sum::<u64>());
            gate.cancel();
            while let Some(result) = set.join_next().await {
                sum += result.unwrap();
            }
            assert_eq!(sum, (0..10_000u64).sum::<u64>());
        });
        // Generous: a debug build on a loaded two-core machine takes well under a second.
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{:?}",
            started.elapsed()
        );
    });
}

#[test]
fn spawn_on_and_blocking_variants() {
    guard("spawn_on_and_blocking_variants", || {
        let rt = runtime();
        let mut set = JoinSet::new();
        set.spawn_on(async { 1 }, rt.handle());
        set.spawn_blocking_on(|| 2, rt.handle());
        let mut outputs = rt.block_on(async move {
            set.spawn_blocking(|| 3);
            set.spawn(async { 4 });
            set.join_all().await
        });
        outputs.sort();
        assert_eq!(outputs, [1, 2, 3, 4]);
    });
}

#[test]
fn from_iterator_extend_default_and_debug() {
    guard("from_iterator_extend_default_and_debug", || {
        let rt = runtime();
        rt.block_on(async {
            let mut set: JoinSet<u32> = (0..3u32).map(|i| async move { i }).collect();
            set.extend((3..5u32).map(|i| async move { i }));
            assert_eq!(set.len(), 5);
            assert_eq!(format!("{set:?}"), "JoinSet { len: 5 }");
            let mut outputs = set.join_all().await;
            outputs.sort();
            assert_eq!(outputs, [0, 1, 2, 3, 4]);
            let empty: JoinSet<()> = JoinSet::default();
            assert!(empty.is_empty());
            assert_eq!(empty.len(), 0);
        });
    });
}

#[test]
fn poll_join_next_registers_the_waker() {
    guard("poll_join_next_registers_the_waker", || {
        let rt = runtime();
        rt.block_on(async {
            let gate = CancellationToken::new();
            let mut set = JoinSet::new();
            let waiting = gate.clone();
            set.spawn(async move {
                waiting.cancelled().await;
                5
            });
            let woken = Arc::new(AtomicBool::new(false));
            struct Flag(Arc<AtomicBool>);
            impl std::task::Wake for Flag {
                fn wake(self: Arc<Self>) {
                    self.0.store(true, SeqCst);
                }
            }
            let waker = std::task::Waker::from(Arc::new(Flag(woken.clone())));
            let mut cx = Context::from_waker(&waker);
            assert!(set.poll_join_next(&mut cx).is_pending());
            gate.cancel();
            let deadline = Instant::now() + Duration::from_secs(30);
            while !woken.load(SeqCst) {
                assert!(
                    Instant::now() < deadline,
                    "the JoinSet's waiter was never woken"
                );
                task::yield_now().await;
            }
            assert_eq!(
                poll_fn(|cx| set.poll_join_next(cx)).await.unwrap().unwrap(),
                5
            );
            assert!(matches!(set.poll_join_next(&mut cx), Poll::Ready(None)));
        });
    });
}

/// join_next on a set of already finished tasks spends the coop budget, so a loop over it yields
/// and lets another task on the same (single) worker run.
#[test]
fn join_next_spends_the_coop_budget() {
    guard("join_next_spends_the_coop_budget", || {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        rt.block_on(async {
            let outer = task::spawn(async {
                let mut set = JoinSet::new();
                for i in 0..1_000u32 {
                    set.spawn(async move { i });
                }
                // Let every member finish: a yield puts this task behind them.
                for _ in 0..10 {
                    task::yield_now().await;
                }
                let ticked = Arc::new(AtomicBool::new(false));
                let tick = ticked.clone();
                task::spawn(async move { tick.store(true, SeqCst) });
                let mut polled_out = false;
                while let Some(result) = YieldCounter::new(set.join_next(), &mut polled_out).await {
                    result.unwrap();
                    if ticked.load(SeqCst) {
                        break;
                    }
                }
                assert!(polled_out, "join_next never yielded for the coop budget");
                assert!(ticked.load(SeqCst), "the other task never ran");
            });
            outer.await.unwrap();
        });
    });
}

/// Polls a future, noting whether it ever returned `Pending`.
struct YieldCounter<'a, F> {
    future: Pin<Box<F>>,
    pending_seen: &'a mut bool,
}

impl<'a, F> YieldCounter<'a, F> {
    fn new(future: F, pending_seen: &'a mut bool) -> Self {
        YieldCounter {
            future: Box::pin(future),
            pending_seen,
        }
    }
}

impl<F: Future> Future for YieldCounter<'_, F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let polled = self.future.as_mut().poll(cx);
        if polled.is_pending() {
            *self.pending_seen = true;
        }
        polled
    }
}

#[test]
fn join_set_is_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<JoinSet<String>>();
}
