//! Scheduler behaviour that needs the scheduler's insides to observe.

use std::any::Any;
use std::future::poll_fn;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::task::{Poll, Waker};
use std::time::Duration;

use parking_lot::Mutex;

use crate::driver::{CondvarDriver, Driver};
use crate::runtime::Builder;

/// A driver that wakes a whole batch of tasks in one `park`, as an I/O driver does when one
/// `epoll_wait` returns many ready sockets.
struct BatchWaker {
    inner: CondvarDriver,
    batch: usize,
    wakers: Mutex<Vec<Waker>>,
}

impl Driver for BatchWaker {
    fn park(&self, timeout: Option<Duration>) {
        let ready = {
            let mut wakers = self.wakers.lock();
            if wakers.len() >= self.batch {
                std::mem::take(&mut *wakers)
            } else {
                Vec::new()
            }
        };
        if ready.is_empty() {
            self.inner.park(timeout);
        } else {
            for waker in ready {
                waker.wake();
            }
        }
    }

    fn unpark(&self) {
        self.inner.unpark();
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `# Waking helpers after the driver` (worker.rs): tasks the driver wakes on a worker queue
/// there without one `notify_parked` each; the one wake-up comes after the driver returns.
/// A local push that skipped the deferral (as the LIFO-slot path once did, after a refactor)
/// shows up here as a `notify_parked` inside the driver.
#[test]
fn tasks_woken_by_the_driver_wake_no_helper_until_it_returns() {
    guard(|| {
        const BATCH: usize = 16;
        let driver = Arc::new(BatchWaker {
            inner: CondvarDriver::new(),
            batch: BATCH,
            wakers: Mutex::new(Vec::new()),
        });
        let d = driver.clone();
        let rt = Builder::new()
            .worker_threads(2)
            .driver(move || Ok(d.clone() as Arc<dyn Driver>))
            .build()
            .unwrap();
        for _round in 0..20 {
            let handles: Vec<_> = (0..BATCH)
                .map(|_| {
                    let driver = driver.clone();
                    rt.spawn(async move {
                        let mut registered = false;
                        poll_fn(|cx| {
                            if registered {
                                return Poll::Ready(());
                            }
                            registered = true;
                            let mut wakers = driver.wakers.lock();
                            wakers.push(cx.waker().clone());
                            let full = wakers.len() >= BATCH;
                            drop(wakers);
                            if full {
                                driver.unpark();
                            }
                            Poll::Pending
                        })
                        .await;
                    })
                })
                .collect();
            rt.block_on(async {
                for handle in handles {
                    handle.await.unwrap();
                }
            });
        }
        assert_eq!(
            rt.handle().shared.notified_in_driver.load(SeqCst),
            0,
            "a task woken inside the driver woke a helper at once instead of after the driver"
        );
    });
}

/// `# Sleeping when idle` (watchdog.rs): a runtime that goes idle and busy again thousands of
/// times a second wakes its sleeping monitor about ten times a second (it stays on timed checks
/// for 100 ms after each untimed sleep), and an idle runtime's monitor does go to sleep.
#[test]
fn a_runtime_flipping_between_idle_and_busy_rarely_wakes_the_monitor() {
    guard(|| {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        let monitor = &rt.handle().shared.monitor;
        wait_for("the idle runtime's monitor to sleep", || {
            monitor.is_sleeping()
        });
        let woken_before = monitor.woken.load(SeqCst);
        let start = std::time::Instant::now();
        let mut rounds = 0;
        while start.elapsed() < Duration::from_millis(500) {
            rt.block_on(rt.spawn(async {})).unwrap();
            // Let the worker park again before the next round.
            std::thread::sleep(Duration::from_micros(100));
            rounds += 1;
        }
        let woken = monitor.woken.load(SeqCst) - woken_before;
        assert!(rounds >= 100, "only {rounds} rounds in 500 ms");
        // About 5 for 500 ms; the old rule (one timed check between untimed sleeps) gave 47.
        assert!(
            woken <= 10,
            "the monitor was woken {woken} times in {rounds} rounds"
        );
        wait_for("the monitor to sleep again", || monitor.is_sleeping());
    });
}

/// Waits up to 10 s for `cond`.
fn wait_for(what: &str, cond: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Runs `body` on its own thread and fails the test, with its name, if it has not finished in
/// a minute (a lost wake-up hangs instead of failing).
fn guard(body: impl FnOnce() + Send + 'static) {
    let (done, finished) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        body();
        let _ = done.send(());
    });
    match finished.recv_timeout(Duration::from_secs(60)) {
        Ok(()) => thread.join().unwrap(),
        // The body panicked: join gives its panic to the test.
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => thread.join().unwrap(),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("hung for 60 s: a task woken by the driver never ran")
        }
    }
}
