//! Misuse and edge cases that used to crash, hang or mislead (issue #14): an unbounded shutdown
//! timeout, enter guards dropped out of order, a panicking task's future dropped outside the
//! unwind, a tiny thread stack, a runtime dropped from its own task, the OS refusing a thread.

mod common;

use std::future::Future;
use std::hint::black_box;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use common::{guard, panic_message, pending_forever, rt, wait_until, DropCount};
use filch_executor::runtime::{Builder, Handle};
use futures_lite::future::block_on;

#[test]
fn shutdown_timeout_with_duration_max_waits_without_overflowing() {
    guard(|| {
        let rt = rt(2);
        let started = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let (st, d) = (started.clone(), done.clone());
        rt.handle().spawn_blocking(move || {
            st.store(true, SeqCst);
            std::thread::sleep(Duration::from_millis(50));
            d.store(true, SeqCst);
        });
        // Shutdown cancels blocking work that is still queued; wait until it runs.
        wait_until("the blocking job started", || started.load(SeqCst));
        // No deadline: waits for the running blocking work like a drop does.
        rt.shutdown_timeout(Duration::MAX);
        assert!(done.load(SeqCst), "Duration::MAX must mean no limit");
    });
}

#[test]
fn enter_guards_dropped_out_of_order_panic_and_leave_no_stale_runtime() {
    guard(|| {
        let rt1 = rt(1);
        let rt2 = rt(2);
        assert!(Handle::try_current().is_err());

        // In order, guards nest.
        let g1 = rt1.enter();
        let g2 = rt2.enter();
        assert_eq!(Handle::current().worker_threads(), 2);
        drop(g2);
        assert_eq!(Handle::current().worker_threads(), 1);
        drop(g1);
        assert!(Handle::try_current().is_err());

        // Out of order: the first drop panics with an explanation...
        let g1 = rt1.enter();
        let g2 = rt2.enter();
        let payload = catch_unwind(AssertUnwindSafe(|| drop(g1))).expect_err("must panic");
        let msg = panic_message(&*payload);
        assert!(
            msg.contains("reverse order of their creation"),
            "the panic explains the rule: {msg}"
        );
        // ...the newer guard's runtime stays current while that guard lives...
        assert_eq!(Handle::current().worker_threads(), 2);
        // ...and once it goes, no runtime is left current (not rt1 forever).
        drop(g2);
        assert!(
            Handle::try_current().is_err(),
            "a stale runtime is current after out-of-order guards"
        );

        // Three levels, the middle one dropped first.
        let outer = rt1.enter();
        let middle = rt2.enter();
        let inner = rt1.enter();
        assert!(catch_unwind(AssertUnwindSafe(|| drop(middle))).is_err());
        drop(inner);
        assert_eq!(
            Handle::current().worker_threads(),
            1,
            "outer's runtime is back"
        );
        drop(outer);
        assert!(Handle::try_current().is_err());
    });
}

/// Records, when dropped, whether the thread was panicking.
struct RecordDrop(Arc<Mutex<Option<bool>>>);

impl Drop for RecordDrop {
    fn drop(&mut self) {
        *self.0.lock().unwrap() = Some(std::thread::panicking());
    }
}

/// Panics in its first poll; its field is dropped when the task drops the future.
struct PanicsInPoll {
    _record: RecordDrop,
    panic_in_drop_too: bool,
}

impl Future for PanicsInPoll {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        panic!("poll fails");
    }
}

impl Drop for PanicsInPoll {
    fn drop(&mut self) {
        if self.panic_in_drop_too {
            panic!("drop fails too");
        }
    }
}

#[test]
fn a_future_whose_poll_panics_is_dropped_during_the_unwind() {
    guard(|| {
        let rt = rt(2);
        let seen = Arc::new(Mutex::new(None));
        let err = block_on(rt.spawn(PanicsInPoll {
            _record: RecordDrop(seen.clone()),
            panic_in_drop_too: false,
        }))
        .unwrap_err();
        assert!(err.is_panic());
        assert_eq!(panic_message(&*err.into_panic()), "poll fails");
        assert_eq!(
            *seen.lock().unwrap(),
            Some(true),
            "the future's Drop must run while the poll's panic unwinds"
        );

        // A destructor that panics during that unwind does not abort the process; the poll's
        // panic is the one reported, and the worker goes on.
        let seen = Arc::new(Mutex::new(None));
        let err = block_on(rt.spawn(PanicsInPoll {
            _record: RecordDrop(seen.clone()),
            panic_in_drop_too: true,
        }))
        .unwrap_err();
        assert_eq!(panic_message(&*err.into_panic()), "poll fails");
        assert_eq!(*seen.lock().unwrap(), Some(true));
        assert_eq!(block_on(rt.spawn(async { 5 })).unwrap(), 5);

        // A future that completes normally is still dropped outside any panic.
        let seen = Arc::new(Mutex::new(None));
        let record = RecordDrop(seen.clone());
        block_on(rt.spawn(async move {
            let _record = record;
        }))
        .unwrap();
        assert_eq!(*seen.lock().unwrap(), Some(false));
    });
}

/// Uses about `(depth + 1) * 64 KiB` of stack, in a way the optimiser cannot remove.
#[inline(never)]
fn use_stack(depth: usize) -> u8 {
    let buf = black_box([depth as u8; 64 * 1024]);
    if depth == 0 {
        return buf[0];
    }
    let below = use_stack(depth - 1);
    black_box(&buf);
    below.wrapping_add(buf[100])
}

#[test]
fn a_stack_below_256_kib_is_rejected_naming_the_floor() {
    for size in [0, 1, 64 * 1024, 256 * 1024 - 1] {
        let err = Builder::new()
            .worker_threads(1)
            .thread_stack_size(size)
            .build()
            .expect_err("a stack below the floor must be refused");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("262144") && msg.contains(&size.to_string()),
            "{msg}"
        );
    }
}

#[test]
fn a_task_with_a_64_kib_frame_runs_on_the_smallest_stack_allowed() {
    guard(|| {
        let rt = Builder::new()
            .worker_threads(1)
            .thread_stack_size(256 * 1024)
            .build()
            .unwrap();
        let on_worker = block_on(rt.spawn(async { use_stack(0) })).unwrap();
        let on_blocking = block_on(rt.handle().spawn_blocking(|| use_stack(0))).unwrap();
        assert_eq!((on_worker, on_blocking), (0, 0));
    });
}

#[test]
fn dropping_a_runtime_inside_its_own_task_panics_and_still_stops_it() {
    guard(|| {
        let rt = rt(2);
        let handle = rt.handle().clone();
        let slot = Arc::new(Mutex::new(Some(rt)));
        let futures = DropCount::new();
        let g = futures.guard();
        let idle = handle.spawn(async move {
            let _g = g;
            pending_forever().await
        });
        let s = slot.clone();
        let dropper = handle.spawn(async move {
            let rt = s.lock().unwrap().take().unwrap();
            drop(rt);
        });
        let err = block_on(dropper).unwrap_err();
        assert!(err.is_panic(), "{err}");
        let msg = panic_message(&*err.into_panic());
        assert!(msg.contains("inside one of its own tasks"), "{msg}");
        // The runtime was still told to stop: the idle task is cancelled and dropped.
        assert!(block_on(idle).unwrap_err().is_cancelled());
        wait_until("the idle future is dropped", || futures.dropped() == 1);
        assert!(block_on(handle.spawn(async {})).unwrap_err().is_cancelled());
    });
}

#[test]
fn shutdown_timeout_inside_its_own_task_panics_too() {
    guard(|| {
        let rt = rt(1);
        let handle = rt.handle().clone();
        let slot = Arc::new(Mutex::new(Some(rt)));
        let s = slot.clone();
        let err = block_on(handle.spawn(async move {
            let rt = s.lock().unwrap().take().unwrap();
            rt.shutdown_timeout(Duration::from_secs(1));
        }))
        .unwrap_err();
        assert!(panic_message(&*err.into_panic()).contains("inside one of its own tasks"));
    });
}

#[test]
fn dropping_a_runtime_from_its_own_blocking_thread_is_allowed() {
    guard(|| {
        let rt = rt(1);
        let handle = rt.handle().clone();
        let join = handle.spawn_blocking(move || drop(rt));
        // The drop cancels the task that runs it? No: a started blocking job is never cancelled.
        block_on(join).unwrap();
    });
}

#[test]
fn the_os_refusing_a_worker_thread_is_explained() {
    // An absurd stack size makes the OS refuse the thread (it cannot map that much memory).
    let err = Builder::new()
        .worker_threads(2)
        .thread_stack_size(usize::MAX / 2)
        .build()
        .expect_err("the OS cannot give a thread an exabyte of stack");
    let msg = err.to_string();
    assert!(msg.contains("filch-worker-0"), "names the thread: {msg}");
    assert!(
        msg.contains("0 threads of this runtime were running"),
        "{msg}"
    );
    assert!(
        msg.contains("FILCH_WORKER_THREADS")
            && msg.contains("ulimit -u")
            && msg.contains("thread_stack_size"),
        "says what to change: {msg}"
    );
    assert_ne!(
        err.kind(),
        std::io::ErrorKind::InvalidInput,
        "the OS's kind: {msg}"
    );
}
