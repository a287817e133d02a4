//! The current-thread runtime (`Builder::new_current_thread`): every task runs on the thread
//! inside `block_on`, tasks from other threads wake it, timers and sockets are driven by it,
//! shutdown cancels what is left, and misuse panics with a message naming the fix.

#![cfg(all(feature = "net", feature = "time"))]

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use filch::io::prelude::*;
use filch::net::{TcpListener, TcpStream};
use filch::runtime::{Builder, Handle, Runtime, RuntimeFlavor};

fn current_thread() -> Runtime {
    Builder::new_current_thread().enable_all().build().unwrap()
}

/// The text of a caught panic.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn the_flavour_is_reported() {
    let rt = current_thread();
    assert_eq!(rt.flavor(), RuntimeFlavor::CurrentThread);
    assert_eq!(rt.handle().runtime_flavor(), RuntimeFlavor::CurrentThread);
    assert_eq!(rt.handle().worker_threads(), 1);
    rt.block_on(async {
        assert_eq!(
            Handle::current().runtime_flavor(),
            RuntimeFlavor::CurrentThread
        );
    });
    let mt = Builder::new_multi_thread()
        .worker_threads(1)
        .build()
        .unwrap();
    assert_eq!(mt.flavor(), RuntimeFlavor::MultiThread);
    assert_eq!(
        Builder::new().build().unwrap().flavor(),
        RuntimeFlavor::MultiThread
    );
}

#[test]
fn no_worker_thread_is_started() {
    common::guard("no_worker_thread_is_started", || {
        let rt = current_thread();
        let here = thread::current().id();
        let ids = rt.block_on(async {
            let mut handles = Vec::new();
            for _ in 0..20 {
                handles.push(filch::spawn(async {
                    filch::task::yield_now().await;
                    thread::current().id()
                }));
            }
            let mut ids = Vec::new();
            for h in handles {
                ids.push(h.await.unwrap());
            }
            ids
        });
        assert!(
            ids.iter().all(|id| *id == here),
            "a task ran on another thread"
        );
        // The stall threshold and worker count settings are ignored, not errors.
        let rt = Builder::new_current_thread()
            .worker_threads(0)
            .stall_threshold(Duration::from_millis(1))
            .build()
            .unwrap();
        assert_eq!(rt.block_on(async { 5 }), 5);
    });
}

#[test]
fn a_task_spawned_from_another_thread_wakes_block_on() {
    common::guard("a_task_spawned_from_another_thread_wakes_block_on", || {
        let rt = current_thread();
        let handle = rt.handle().clone();
        let here = thread::current().id();
        let (tx, rx) = filch::sync::oneshot::channel();
        let spawner = thread::spawn(move || {
            // Give block_on time to park in the driver first.
            thread::sleep(Duration::from_millis(50));
            let join = handle.spawn(async { thread::current().id() });
            tx.send(join).unwrap();
        });
        let ran_on = rt.block_on(async { rx.await.unwrap().await.unwrap() });
        spawner.join().unwrap();
        assert_eq!(ran_on, here, "the task ran on the block_on thread");
    });
}

#[test]
fn a_wake_from_another_thread_reaches_a_parked_block_on() {
    common::guard(
        "a_wake_from_another_thread_reaches_a_parked_block_on",
        || {
            let rt = current_thread();
            let (tx, mut rx) = filch::sync::mpsc::unbounded_channel::<usize>();
            let sender = thread::spawn(move || {
                for i in 0..100 {
                    if i % 10 == 0 {
                        thread::sleep(Duration::from_millis(2));
                    }
                    tx.send(i).unwrap();
                }
            });
            // A task (not the block_on future) receives, so the wake goes through the injector path.
            let sum = rt.block_on(async {
                filch::spawn(async move {
                    let mut sum = 0;
                    while let Some(i) = rx.recv().await {
                        sum += i;
                    }
                    sum
                })
                .await
                .unwrap()
            });
            sender.join().unwrap();
            assert_eq!(sum, (0..100).sum::<usize>());
        },
    );
}

#[test]
fn tasks_only_run_inside_block_on() {
    common::guard("tasks_only_run_inside_block_on", || {
        let rt = current_thread();
        let ran = Arc::new(AtomicBool::new(false));
        let ran2 = ran.clone();
        let join = rt.spawn(async move { ran2.store(true, Ordering::SeqCst) });
        thread::sleep(Duration::from_millis(50));
        assert!(
            !ran.load(Ordering::SeqCst),
            "a current-thread runtime ran a task outside block_on"
        );
        rt.block_on(join).unwrap();
        assert!(ran.load(Ordering::SeqCst));
        // Left over from one block_on, run by the next.
        let counter = Arc::new(AtomicUsize::new(0));
        let c = counter.clone();
        rt.block_on(async move {
            filch::spawn(async move {
                filch::time::sleep(Duration::from_millis(30)).await;
                c.fetch_add(1, Ordering::SeqCst);
            });
        });
        assert_eq!(counter.load(Ordering::SeqCst), 0);
        rt.block_on(async { filch::time::sleep(Duration::from_millis(100)).await });
        assert_eq!(counter.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn timers_fire() {
    common::guard("timers_fire", || {
        let rt = current_thread();
        rt.block_on(async {
            let start = Instant::now();
            filch::time::sleep(Duration::from_millis(30)).await;
            assert!(start.elapsed() >= Duration::from_millis(30));
            let mut interval = filch::time::interval(Duration::from_millis(10));
            for _ in 0..5 {
                interval.tick().await;
            }
            let slow =
                filch::time::timeout(Duration::from_millis(20), std::future::pending::<()>());
            assert!(slow.await.is_err());
            // Several sleeping tasks at once.
            let sleepers: Vec<_> = (0..10u64)
                .map(|i| {
                    filch::spawn(async move {
                        filch::time::sleep(Duration::from_millis(5 * i)).await;
                        i
                    })
                })
                .collect();
            let mut total = 0;
            for s in sleepers {
                total += s.await.unwrap();
            }
            assert_eq!(total, 45);
        });
    });
}

#[test]
fn sockets_work() {
    common::guard("sockets_work", || {
        let rt = current_thread();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = filch::spawn(async move {
                for _ in 0..3 {
                    let (mut stream, _) = listener.accept().await.unwrap();
                    filch::spawn(async move {
                        let mut buf = [0u8; 64];
                        loop {
                            let n = stream.read(&mut buf).await.unwrap();
                            if n == 0 {
                                break;
                            }
                            stream.write_all(&buf[..n]).await.unwrap();
                        }
                    });
                }
            });
            let mut clients = Vec::new();
            for i in 0..3u8 {
                clients.push(filch::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    for round in 0..10u8 {
                        let msg = [i, round, 7];
                        stream.write_all(&msg).await.unwrap();
                        let mut back = [0u8; 3];
                        stream.read_exact(&mut back).await.unwrap();
                        assert_eq!(back, msg);
                    }
                }));
            }
            for c in clients {
                c.await.unwrap();
            }
            server.await.unwrap();
        });
    });
}

#[test]
fn spawn_blocking_runs_elsewhere_and_wakes_the_loop() {
    common::guard("spawn_blocking_runs_elsewhere_and_wakes_the_loop", || {
        let rt = current_thread();
        let here = thread::current().id();
        let (id, name) = rt.block_on(async {
            filch::task::spawn_blocking(|| {
                thread::sleep(Duration::from_millis(20));
                (
                    thread::current().id(),
                    thread::current().name().map(String::from),
                )
            })
            .await
            .unwrap()
        });
        assert_ne!(id, here);
        assert!(name.unwrap().starts_with("filch-blocking-"));
    });
}

/// Counts drops, and on which thread they happened.
struct CountDrop(
    Arc<AtomicUsize>,
    Arc<std::sync::Mutex<Vec<thread::ThreadId>>>,
);

impl Drop for CountDrop {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        self.1.lock().unwrap().push(thread::current().id());
    }
}

#[test]
fn dropping_the_runtime_cancels_tasks_and_drops_their_futures() {
    common::guard(
        "dropping_the_runtime_cancels_tasks_and_drops_their_futures",
        || {
            let rt = current_thread();
            let drops = Arc::new(AtomicUsize::new(0));
            let threads = Arc::new(std::sync::Mutex::new(Vec::new()));
            let mut joins = Vec::new();
            // Idle tasks (waiting forever), queued tasks (spawned, never polled) and a yielder.
            rt.block_on(async {
                for _ in 0..3 {
                    let guard = CountDrop(drops.clone(), threads.clone());
                    joins.push(filch::spawn(async move {
                        let _guard = guard;
                        std::future::pending::<()>().await;
                    }));
                }
                filch::task::yield_now().await;
            });
            for _ in 0..2 {
                let guard = CountDrop(drops.clone(), threads.clone());
                joins.push(rt.spawn(async move {
                    let _guard = guard;
                }));
            }
            assert_eq!(drops.load(Ordering::SeqCst), 0);
            drop(rt);
            assert_eq!(drops.load(Ordering::SeqCst), 5, "every future was dropped");
            let here = thread::current().id();
            assert!(threads.lock().unwrap().iter().all(|id| *id == here));
            for join in joins {
                let err = futures_lite::future::block_on(join).unwrap_err();
                assert!(err.is_cancelled());
            }
        },
    );
}

#[test]
fn nested_block_on_panics_with_a_message() {
    common::guard("nested_block_on_panics_with_a_message", || {
        let rt = current_thread();
        let other = current_thread();
        let handle = rt.handle().clone();
        let caught = rt.block_on(async {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| other.block_on(async {})))
        });
        let text = panic_text(&*caught.unwrap_err());
        assert!(text.contains("Runtime::block_on"), "{text}");
        let caught = rt.block_on(async {
            filch::spawn(async move {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handle.block_on(async {})))
                    .map_err(|p| panic_text(&*p))
            })
            .await
            .unwrap()
        });
        let text = caught.unwrap_err();
        assert!(text.contains("Handle::block_on"), "{text}");
        assert!(text.contains(".await"), "{text}");
        // The runtime still works after the panics.
        assert_eq!(
            rt.block_on(async { filch::spawn(async { 1 }).await.unwrap() }),
            1
        );
    });
}

#[test]
fn a_panicking_block_on_future_leaves_the_runtime_usable() {
    common::guard(
        "a_panicking_block_on_future_leaves_the_runtime_usable",
        || {
            let rt = current_thread();
            let left = Arc::new(AtomicUsize::new(0));
            let l = left.clone();
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                rt.block_on(async move {
                    filch::spawn(async move {
                        filch::time::sleep(Duration::from_millis(10)).await;
                        l.fetch_add(1, Ordering::SeqCst);
                    });
                    panic!("boom");
                })
            }));
            assert!(result.is_err());
            // The task queued before the panic runs in the next block_on.
            rt.block_on(async { filch::time::sleep(Duration::from_millis(50)).await });
            assert_eq!(left.load(Ordering::SeqCst), 1);
        },
    );
}

#[test]
fn two_threads_in_block_on_share_the_runtime() {
    common::guard("two_threads_in_block_on_share_the_runtime", || {
        let rt = Arc::new(current_thread());
        let rt2 = rt.clone();
        let (go_tx, go_rx) = std::sync::mpsc::channel();
        // The other thread runs the scheduler for a while...
        let other = thread::spawn(move || {
            rt2.block_on(async move {
                go_tx.send(()).unwrap();
                filch::time::sleep(Duration::from_millis(100)).await;
            });
        });
        go_rx.recv().unwrap();
        // ...while this one blocks on a future whose task the other thread runs, then takes the
        // scheduler over when the other returns.
        let (a, b) = rt.block_on(async {
            let a = filch::spawn(async { 1 }).await.unwrap();
            filch::time::sleep(Duration::from_millis(150)).await;
            let b = filch::spawn(async { 2 }).await.unwrap();
            (a, b)
        });
        assert_eq!((a, b), (1, 2));
        other.join().unwrap();
    });
}

#[test]
fn handle_block_on_from_another_thread_runs_tasks() {
    common::guard("handle_block_on_from_another_thread_runs_tasks", || {
        let rt = current_thread();
        let handle = rt.handle().clone();
        let out = thread::spawn(move || {
            let here = thread::current().id();
            handle.block_on(async move {
                let ran_on = filch::spawn(async { thread::current().id() })
                    .await
                    .unwrap();
                filch::time::sleep(Duration::from_millis(5)).await;
                assert_eq!(ran_on, here);
                7
            })
        })
        .join()
        .unwrap();
        assert_eq!(out, 7);
        drop(rt);
    });
}

/// Two tasks that keep waking each other keep the run queue from ever emptying, and a third
/// yields all the time: timers and sockets still fire (the driver is polled every 61 ticks) and a
/// task spawned from another thread still runs (the injector is looked at every 31 ticks).
#[test]
fn busy_tasks_do_not_starve_timers_sockets_or_remote_spawns() {
    common::guard(
        "busy_tasks_do_not_starve_timers_sockets_or_remote_spawns",
        || {
            let rt = current_thread();
            let handle = rt.handle().clone();
            rt.block_on(async move {
                let stop = Arc::new(AtomicBool::new(false));
                let s = stop.clone();
                let spinner = filch::spawn(async move {
                    while !s.load(Ordering::Relaxed) {
                        filch::task::yield_now().await;
                    }
                });
                // A ping-pong pair: one of the two is always queued.
                let (ping_tx, mut ping_rx) = filch::sync::mpsc::unbounded_channel::<u32>();
                let (pong_tx, mut pong_rx) = filch::sync::mpsc::unbounded_channel::<u32>();
                let s2 = stop.clone();
                let ping = filch::spawn(async move {
                    let mut n = 0u32;
                    while !s2.load(Ordering::Relaxed) {
                        ping_tx.send(n).unwrap();
                        n = pong_rx.recv().await.unwrap().wrapping_add(1);
                    }
                });
                let pong = filch::spawn(async move {
                    while let Some(n) = ping_rx.recv().await {
                        if pong_tx.send(n).is_err() {
                            break;
                        }
                    }
                });
                filch::time::sleep(Duration::from_millis(20)).await;
                let remote = thread::spawn(move || handle.spawn(async { 3 }))
                    .join()
                    .unwrap();
                assert_eq!(remote.await.unwrap(), 3);
                let (a, b) = filch::net::UnixStream::pair().unwrap();
                let reader = filch::spawn(async move {
                    let mut a = a;
                    let mut buf = [0u8; 1];
                    a.read_exact(&mut buf).await.unwrap();
                    buf[0]
                });
                let mut b = b;
                b.write_all(&[9]).await.unwrap();
                assert_eq!(reader.await.unwrap(), 9);
                stop.store(true, Ordering::Relaxed);
                spinner.await.unwrap();
                ping.await.unwrap();
                pong.await.unwrap();
            });
        },
    );
}

#[test]
fn handle_block_on_after_shutdown_still_finishes_a_future_without_tasks() {
    common::guard(
        "handle_block_on_after_shutdown_still_finishes_a_future_without_tasks",
        || {
            let rt = current_thread();
            let handle = rt.handle().clone();
            drop(rt);
            assert_eq!(handle.block_on(async { 4 }), 4);
            let join = handle.spawn(async { 5 });
            assert!(handle.block_on(join).unwrap_err().is_cancelled());
        },
    );
}

#[test]
fn a_runtime_dropped_while_another_thread_drives_it_cancels_that_threads_tasks() {
    common::guard(
        "a_runtime_dropped_while_another_thread_drives_it_cancels_that_threads_tasks",
        || {
            let rt = current_thread();
            let handle = rt.handle().clone();
            let (started_tx, started_rx) = std::sync::mpsc::channel();
            let driver = thread::spawn(move || {
                handle.block_on(async move {
                    let pending = filch::spawn(std::future::pending::<()>());
                    started_tx.send(()).unwrap();
                    // Resolves cancelled once the runtime is dropped.
                    pending.await
                })
            });
            started_rx.recv().unwrap();
            thread::sleep(Duration::from_millis(20));
            drop(rt);
            let result = driver.join().unwrap();
            assert!(result.unwrap_err().is_cancelled());
        },
    );
}

/// `spawn_local` works inside a current-thread runtime's `block_on` (tasks that are not `Send`),
/// and the local tasks still pending when it returns are cancelled on this thread.
#[test]
fn spawn_local_inside_a_current_thread_block_on() {
    use std::cell::RefCell;
    use std::rc::Rc;
    common::guard("spawn_local_inside_a_current_thread_block_on", || {
        let rt = filch::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let shared = Rc::new(RefCell::new(Vec::new()));
        let s = shared.clone();
        let sum = rt.block_on(async move {
            let mut handles = Vec::new();
            for i in 0..10 {
                let s = s.clone();
                handles.push(filch::task::spawn_local(async move {
                    filch::task::yield_now().await;
                    s.borrow_mut().push(i);
                    i
                }));
            }
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, 45);
        assert_eq!(shared.borrow().len(), 10);

        struct OnDrop(Rc<RefCell<Vec<i32>>>, std::thread::ThreadId);
        impl Drop for OnDrop {
            fn drop(&mut self) {
                assert_eq!(std::thread::current().id(), self.1);
                self.0.borrow_mut().push(-1);
            }
        }
        let s = shared.clone();
        #[allow(clippy::async_yields_async)] // the handle is awaited later, on purpose
        let pending = rt.block_on(async move {
            let guard = OnDrop(s, std::thread::current().id());
            filch::task::spawn_local(async move {
                let _guard = guard;
                std::future::pending::<()>().await
            })
        });
        assert_eq!(
            shared.borrow().last(),
            Some(&-1),
            "the pending local task was dropped"
        );
        assert!(rt.block_on(pending).unwrap_err().is_cancelled());
    });
}
