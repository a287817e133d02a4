//! The runtime API: `Builder` options and thread callbacks, `block_on` (on the calling thread,
//! refused inside a task), `Runtime::spawn`, `Handle` (`Clone + Send + Sync`, `spawn` from any
//! thread, `current`/`try_current`, `enter`), and the panics with instructions that `spawn`
//! gives outside a runtime.
//!
//! Builder validation that involves environment variables lives in `builder_env.rs`.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{guard, panic_message, rt, thread_name};
use filch_executor::runtime::{Builder, Handle, Runtime, TryCurrentError};
use filch_executor::spawn;
use filch_executor::task::spawn_blocking;
use futures_lite::future::block_on;

fn assert_clone_send_sync<T: Clone + Send + Sync + 'static>() {}
fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn handle_is_clone_send_sync_and_errors_are_errors() {
    assert_clone_send_sync::<Handle>();
    assert_send_sync::<Runtime>();
    fn error<E: std::error::Error + Send + Sync + 'static>() {}
    error::<TryCurrentError>();
}

#[test]
fn builder_sets_every_option() {
    guard(|| {
        let starts = Arc::new(AtomicUsize::new(0));
        let stops = Arc::new(AtomicUsize::new(0));
        let (a, b) = (starts.clone(), stops.clone());
        let rt = Builder::new()
            .worker_threads(3)
            .max_blocking_threads(5)
            .thread_stack_size(3 * 1024 * 1024)
            .thread_keep_alive(Duration::from_secs(5))
            .on_thread_start(move || {
                a.fetch_add(1, SeqCst);
            })
            .on_thread_stop(move || {
                b.fetch_add(1, SeqCst);
            })
            .build()
            .unwrap();
        assert_eq!(rt.handle().worker_threads(), 3);
        assert_eq!(rt.handle().max_blocking_threads(), 5);
        assert_eq!(rt.block_on(async { spawn(async { 2 }).await }).unwrap(), 2);
        common::wait_until("3 workers started", || starts.load(SeqCst) == 3);
        assert_eq!(
            stops.load(SeqCst),
            0,
            "nothing stops while the runtime runs"
        );
        drop(rt);
        assert_eq!(starts.load(SeqCst), 3);
        assert_eq!(
            stops.load(SeqCst),
            3,
            "dropping the runtime stopped every worker"
        );
    });
}

#[test]
fn thread_callbacks_count_blocking_threads_too() {
    guard(|| {
        let starts = Arc::new(AtomicUsize::new(0));
        let stops = Arc::new(AtomicUsize::new(0));
        let names = Arc::new(Mutex::new(Vec::new()));
        let (a, b, n) = (starts.clone(), stops.clone(), names.clone());
        let rt = Builder::new()
            .worker_threads(2)
            .on_thread_start(move || {
                a.fetch_add(1, SeqCst);
                n.lock().unwrap().push(thread_name());
            })
            .on_thread_stop(move || {
                b.fetch_add(1, SeqCst);
            })
            .build()
            .unwrap();
        let h = rt.handle().spawn_blocking(|| 1);
        assert_eq!(block_on(h).unwrap(), 1);
        drop(rt);
        assert_eq!(starts.load(SeqCst), 3, "2 workers and 1 blocking thread");
        assert_eq!(
            stops.load(SeqCst),
            3,
            "all of them stopped by the time drop returned"
        );
        assert!(names
            .lock()
            .unwrap()
            .contains(&"filch-blocking-0".to_string()));
    });
}

#[test]
fn runtime_new_works() {
    guard(|| {
        let rt = Runtime::new().unwrap();
        assert!(rt.handle().worker_threads() >= 1);
        assert_eq!(
            rt.block_on(async { spawn(async { 40 }).await.unwrap() + 2 }),
            42
        );
    });
}

#[test]
fn block_on_runs_on_the_calling_thread() {
    guard(|| {
        let rt = rt(2);
        let me = thread::current().id();
        let (inside, task_thread) = rt.block_on(async {
            let inside = thread::current().id();
            let task_thread = spawn(async { thread_name() }).await.unwrap();
            (inside, task_thread)
        });
        assert_eq!(inside, me);
        assert!(task_thread.starts_with("filch-worker-"), "{task_thread}");
        // block_on can be called again, and from several threads in turn.
        let rt = Arc::new(rt);
        let rt2 = rt.clone();
        let v = thread::spawn(move || rt2.block_on(async { spawn(async { 3 }).await.unwrap() }))
            .join()
            .unwrap();
        assert_eq!(v + rt.block_on(async { 1 }), 4);
    });
}

#[test]
fn block_on_inside_a_task_panics_with_an_explanation() {
    guard(|| {
        let rt = Arc::new(rt(2));
        let rt2 = rt.clone();
        let err = block_on(rt.spawn(async move { rt2.block_on(async { 1 }) })).unwrap_err();
        assert!(err.is_panic());
        let msg = panic_message(&*err.into_panic());
        assert!(msg.contains("block_on"), "{msg}");
        assert!(msg.contains("inside"), "says why: {msg}");
        // Another runtime's block_on is refused on a worker as well.
        let err = block_on(rt.spawn(async {
            let other = Builder::new().worker_threads(1).build().unwrap();
            other.block_on(async { 1 })
        }))
        .unwrap_err();
        assert!(panic_message(&*err.into_panic()).contains("block_on"));
    });
}

#[test]
fn nested_block_on_panics_with_an_explanation() {
    guard(|| {
        let rt = rt(1);
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async { rt.block_on(async { 1 }) })
        }));
        let msg = panic_message(&*caught.unwrap_err());
        assert!(msg.contains("block_on"), "{msg}");
        // The thread is usable afterwards.
        assert_eq!(rt.block_on(async { 5 }), 5);
    });
}

#[test]
fn runtime_spawn_and_handle_spawn_from_other_threads() {
    guard(|| {
        let rt = rt(2);
        let a = rt.spawn(async { thread_name() });
        assert!(block_on(a).unwrap().starts_with("filch-worker-"));
        let handle = rt.handle().clone();
        let joins: Vec<_> = (0..4)
            .map(|t| {
                let handle = handle.clone();
                thread::spawn(move || {
                    let hs: Vec<_> = (0..100)
                        .map(|i| handle.spawn(async move { t * 100 + i }))
                        .collect();
                    hs.into_iter().map(|h| block_on(h).unwrap()).sum::<usize>()
                })
            })
            .collect();
        let total: usize = joins.into_iter().map(|j| j.join().unwrap()).sum();
        assert_eq!(total, (0..400).sum());
    });
}

#[test]
fn handle_current_inside_block_on_tasks_and_blocking_threads() {
    guard(|| {
        // Two runtimes told apart by their worker counts.
        let one = rt(1);
        let two = rt(2);
        let counts = two.block_on(async {
            let in_block_on = Handle::current().worker_threads();
            let in_task = spawn(async { Handle::current().worker_threads() })
                .await
                .unwrap();
            let in_blocking = spawn_blocking(|| Handle::current().worker_threads())
                .await
                .unwrap();
            // A task spawned through Handle::current runs on that runtime.
            let via_current = Handle::current()
                .spawn(async { Handle::try_current().unwrap().worker_threads() })
                .await
                .unwrap();
            (in_block_on, in_task, in_blocking, via_current)
        });
        assert_eq!(counts, (2, 2, 2, 2));
        let in_one = one.block_on(async {
            spawn(async { Handle::current().worker_threads() })
                .await
                .unwrap()
        });
        assert_eq!(in_one, 1);
        // The context is restored after block_on returns.
        assert!(Handle::try_current().is_err());
    });
}

#[test]
fn no_current_runtime_outside_with_a_helpful_error() {
    guard(|| {
        let err = Handle::try_current().unwrap_err();
        assert!(!err.is_thread_local_destroyed());
        let msg = err.to_string();
        assert!(msg.contains("no filch runtime"), "{msg}");
        assert!(
            msg.contains("block_on") || msg.contains("enter"),
            "names a fix: {msg}"
        );
        let caught = std::panic::catch_unwind(Handle::current);
        let msg = panic_message(&*caught.unwrap_err());
        assert!(msg.contains("no filch runtime"), "{msg}");
    });
}

#[test]
fn spawn_outside_a_runtime_panics_naming_the_fix() {
    guard(|| {
        let caught = std::panic::catch_unwind(|| drop(spawn(async {})));
        let msg = panic_message(&*caught.unwrap_err());
        assert!(msg.contains("outside a filch runtime"), "{msg}");
        assert!(
            msg.contains("Handle::spawn") && msg.contains("block_on"),
            "names the fix: {msg}"
        );

        let caught = std::panic::catch_unwind(|| drop(spawn_blocking(|| ())));
        let msg = panic_message(&*caught.unwrap_err());
        assert!(msg.contains("outside a filch runtime"), "{msg}");
        assert!(msg.contains("spawn_blocking"), "{msg}");
    });
}

#[test]
fn enter_makes_the_runtime_current_until_dropped() {
    guard(|| {
        let rt = rt(1);
        {
            let _guard = rt.enter();
            assert_eq!(Handle::current().worker_threads(), 1);
            let h = spawn(async { 9 });
            assert_eq!(block_on(h).unwrap(), 9);
        }
        assert!(Handle::try_current().is_err());
        let handle = rt.handle().clone();
        thread::spawn(move || {
            let _guard = handle.enter();
            assert_eq!(block_on(spawn(async { 1 })).unwrap(), 1);
        })
        .join()
        .unwrap();
    });
}

#[test]
fn handle_reports_its_configuration() {
    guard(|| {
        let rt = Builder::new()
            .worker_threads(2)
            .max_blocking_threads(7)
            .build()
            .unwrap();
        let h = rt.handle().clone();
        assert_eq!((h.worker_threads(), h.max_blocking_threads()), (2, 7));
        let from_task = block_on(rt.spawn(async {
            let h = Handle::current();
            (h.worker_threads(), h.max_blocking_threads())
        }))
        .unwrap();
        assert_eq!(from_task, (2, 7));
    });
}

#[test]
fn spawning_and_waking_across_runtimes_uses_the_target_runtime() {
    guard(|| {
        let a = rt(1);
        let b = rt(3);
        let b_handle = b.handle().clone();
        // An idle task on B whose waker will be called from a task on A's worker.
        let waker_slot = Arc::new(Mutex::new(None));
        let polled_on = Arc::new(Mutex::new(Vec::new()));
        let (ws, po) = (waker_slot.clone(), polled_on.clone());
        let mut first = true;
        let on_b = b.spawn(futures_lite::future::poll_fn(move |cx| {
            po.lock().unwrap().push(Handle::current().worker_threads());
            if first {
                first = false;
                *ws.lock().unwrap() = Some(cx.waker().clone());
                return std::task::Poll::Pending;
            }
            std::task::Poll::Ready(())
        }));
        common::wait_until("the task on B parks", || {
            waker_slot.lock().unwrap().is_some()
        });
        let spawned_on = block_on(a.spawn(async move {
            // Spawning onto B from A's worker must not use A's local queues.
            let count = b_handle
                .spawn(async { Handle::current().worker_threads() })
                .await
                .unwrap();
            let waker = waker_slot.lock().unwrap().take().unwrap();
            waker.wake();
            count
        }))
        .unwrap();
        assert_eq!(
            spawned_on, 3,
            "the task spawned through B's handle ran on B"
        );
        block_on(on_b).unwrap();
        assert_eq!(
            *polled_on.lock().unwrap(),
            [3, 3],
            "the woken task ran on B"
        );
    });
}
