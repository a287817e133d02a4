//! The driver seam: `build` calls the factory once, only one worker at a time is inside
//! `Driver::park`, the `block_on` thread never enters it, busy workers poll it without blocking,
//! `shutdown` is called once after the workers stopped, and a dropped runtime leaves nothing
//! holding on to it (no reference cycle through tasks, handles or queues).

mod common;

use std::any::Any;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use common::{guard, pending_forever, thread_name, wait_until};
use filch_executor::driver::{CondvarDriver, Driver};
use filch_executor::runtime::{Builder, Handle, Runtime};
use filch_executor::spawn;
use filch_executor::task::{spawn_blocking, yield_now};
use futures_lite::future::{block_on, poll_fn};

/// A condvar driver that watches how it is used.
#[derive(Default)]
struct Watching {
    inner: CondvarDriver,
    in_park: AtomicUsize,
    max_in_park: AtomicUsize,
    zero_parks: AtomicUsize,
    shutdowns: AtomicUsize,
    parked_by: Mutex<Vec<String>>,
    /// Workers still running when `shutdown` was called.
    running_at_shutdown: AtomicUsize,
    workers_running: Arc<AtomicUsize>,
}

impl Driver for Watching {
    fn park(&self, timeout: Option<Duration>) {
        let now = self.in_park.fetch_add(1, SeqCst) + 1;
        self.max_in_park.fetch_max(now, SeqCst);
        if timeout == Some(Duration::ZERO) {
            self.zero_parks.fetch_add(1, SeqCst);
        }
        {
            let mut by = self.parked_by.lock().unwrap();
            let me = thread_name();
            if !by.contains(&me) {
                by.push(me);
            }
        }
        self.inner.park(timeout);
        self.in_park.fetch_sub(1, SeqCst);
    }

    fn unpark(&self) {
        self.inner.unpark();
    }

    fn shutdown(&self) {
        self.shutdowns.fetch_add(1, SeqCst);
        self.running_at_shutdown
            .store(self.workers_running.load(SeqCst), SeqCst);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn runtime_with(
    driver: &Arc<Watching>,
    workers: usize,
    factory_calls: &Arc<AtomicUsize>,
) -> Runtime {
    let (d, calls) = (driver.clone(), factory_calls.clone());
    let (running_a, running_b) = (
        driver.workers_running.clone(),
        driver.workers_running.clone(),
    );
    Builder::new()
        .worker_threads(workers)
        .max_blocking_threads(2)
        .on_thread_start(move || {
            if thread_name().starts_with("filch-worker-") {
                running_a.fetch_add(1, SeqCst);
            }
        })
        .on_thread_stop(move || {
            if thread_name().starts_with("filch-worker-") {
                running_b.fetch_sub(1, SeqCst);
            }
        })
        .driver(move || {
            calls.fetch_add(1, SeqCst);
            Ok(d.clone() as Arc<dyn Driver>)
        })
        .build()
        .unwrap()
}

#[test]
fn the_driver_is_used_as_the_seam_promises() {
    guard(|| {
        let driver = Arc::new(Watching::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let rt = runtime_with(&driver, 3, &calls);
        assert_eq!(calls.load(SeqCst), 1, "build calls the factory once");
        let found = rt
            .handle()
            .driver()
            .as_any()
            .downcast_ref::<Watching>()
            .is_some();
        assert!(found, "Handle::driver gives the installed driver back");

        // Work that makes workers park and wake many times, from block_on and from tasks.
        rt.block_on(async {
            for round in 0..300 {
                let hs: Vec<_> = (0..(round % 7))
                    .map(|_| {
                        spawn(async {
                            yield_now().await;
                        })
                    })
                    .collect();
                for h in hs {
                    h.await.unwrap();
                }
                spawn_blocking(|| ()).await.unwrap();
            }
        });
        assert_eq!(driver.shutdowns.load(SeqCst), 0);
        drop(rt);

        assert_eq!(
            driver.max_in_park.load(SeqCst),
            1,
            "two threads were in Driver::park at once"
        );
        for name in driver.parked_by.lock().unwrap().iter() {
            assert!(
                name.starts_with("filch-worker-"),
                "{name} entered the driver"
            );
        }
        assert_eq!(
            driver.shutdowns.load(SeqCst),
            1,
            "shutdown is called exactly once"
        );
        assert_eq!(
            driver.running_at_shutdown.load(SeqCst),
            0,
            "Driver::shutdown ran before every worker had stopped"
        );
    });
}

#[test]
fn a_busy_worker_polls_the_driver_without_blocking() {
    guard(|| {
        let driver = Arc::new(Watching::default());
        let calls = Arc::new(AtomicUsize::new(0));
        // One worker: nobody else can be holding the driver when it wants to poll it.
        let rt = runtime_with(&driver, 1, &calls);
        let before = driver.zero_parks.load(SeqCst);
        block_on(rt.spawn(async {
            for _ in 0..20_000 {
                yield_now().await;
            }
        }))
        .unwrap();
        assert!(
            driver.zero_parks.load(SeqCst) > before,
            "a worker that never ran out of tasks never polled the driver"
        );
    });
}

#[test]
fn a_failing_driver_factory_fails_build() {
    let err = Builder::new()
        .worker_threads(1)
        .driver(|| Err(io::Error::other("no poller today")))
        .build()
        .unwrap_err();
    assert_eq!(err.to_string(), "no poller today");
}

#[test]
fn a_dropped_runtime_leaves_no_references_behind() {
    guard(|| {
        let driver = Arc::new(Watching::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let rt = runtime_with(&driver, 2, &calls);
        let stop = Arc::new(AtomicBool::new(false));
        // Tasks holding handles to their own runtime, in every state at shutdown: idle, queued,
        // finished with a stored output, finished and detached, and blocking work.
        let mut kept = Vec::new();
        for i in 0..200 {
            let handle = rt.handle().clone();
            let s = stop.clone();
            let h = rt.spawn(async move {
                let own = Handle::current();
                match i % 4 {
                    0 => {
                        pending_forever().await;
                        None
                    }
                    1 => {
                        while !s.load(SeqCst) {
                            yield_now().await;
                        }
                        Some(own)
                    }
                    2 => Some(handle),
                    _ => {
                        drop(handle);
                        Some(own)
                    }
                }
            });
            if i % 8 < 4 {
                kept.push(h);
            }
        }
        // A task whose waker is stored outside, so a wake can arrive after shutdown.
        let waker_slot = Arc::new(Mutex::new(None));
        let ws = waker_slot.clone();
        kept.push(rt.spawn(poll_fn(move |cx| {
            *ws.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        })));
        let blocking = rt
            .handle()
            .spawn_blocking(|| Handle::current().worker_threads());
        assert_eq!(block_on(blocking).unwrap(), 2);
        wait_until("the waker is stored", || {
            waker_slot.lock().unwrap().is_some()
        });
        drop(rt);
        if let Some(w) = waker_slot.lock().unwrap().take() {
            w.wake();
        }
        for h in kept {
            drop(block_on(h));
        }
        // The blocking thread may still be on its way out; give it the hang guard's time.
        wait_until("every reference to the runtime is gone", || {
            Arc::strong_count(&driver) == 1
        });
    });
}

#[test]
fn tasks_still_queued_at_shutdown_leave_no_references_behind() {
    guard(|| {
        let driver = Arc::new(Watching::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let rt = runtime_with(&driver, 1, &calls);
        let futures = common::DropCount::new();
        // Hold the only worker inside a poll...
        let in_poll = Arc::new(AtomicBool::new(false));
        let release = Arc::new(AtomicBool::new(false));
        let (ip, rel) = (in_poll.clone(), release.clone());
        let busy = rt.spawn(poll_fn(move |_| {
            ip.store(true, SeqCst);
            while !rel.load(SeqCst) {
                std::thread::sleep(Duration::from_millis(1));
            }
            Poll::Ready(())
        }));
        wait_until("the worker is held", || in_poll.load(SeqCst));
        // ...so these stay queued in the injector until the runtime is gone.
        let queued: Vec<_> = (0..50)
            .map(|_| {
                let g = futures.guard();
                rt.spawn(async move {
                    let _g = g;
                    pending_forever().await
                })
            })
            .collect();
        let dropper = std::thread::spawn(move || drop(rt));
        std::thread::sleep(Duration::from_millis(20));
        release.store(true, SeqCst);
        dropper.join().unwrap();
        assert_eq!(futures.dropped(), 50);
        block_on(busy).unwrap();
        for h in queued {
            assert!(block_on(h).unwrap_err().is_cancelled());
        }
        wait_until("every reference to the runtime is gone", || {
            Arc::strong_count(&driver) == 1
        });
    });
}
