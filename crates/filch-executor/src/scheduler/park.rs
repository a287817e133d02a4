//! Parking a worker: on the runtime's driver if nobody else is in it, otherwise on the worker's
//! own condition variable.
//!
//! Only one thread at a time may block in the [`Driver`] (an OS poller allows one waiter that
//! makes progress; a second would return at once and spin). The driver sits behind a mutex that
//! a parking worker *tries* to lock: the winner blocks in `Driver::park`, the others sleep on
//! their condvars. An unpark must reach a worker wherever it sleeps, so each worker's parker
//! records where it is:
//!
//! | state | meaning | `unpark` does |
//! |---|---|---|
//! | EMPTY | running | record NOTIFIED |
//! | PARKED_CONDVAR | asleep on its condvar | notify the condvar |
//! | PARKED_DRIVER | blocked in the driver | `Driver::unpark` |
//! | NOTIFIED | a wake-up not yet consumed | nothing |
//!
//! The next `park` consumes NOTIFIED and returns at once, so an unpark that races with a park is
//! never lost. This is the shape of tokio's `park.rs`, with our driver trait in place of its I/O
//! stack.

use std::sync::Arc as StdArc;
use std::time::Duration;

use crate::driver::Driver;
use crate::loom::sync::atomic::{
    fence, AtomicBool, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst,
};
use crate::loom::sync::{Arc, Condvar, Mutex};

const EMPTY: usize = 0;
const PARKED_CONDVAR: usize = 1;
const PARKED_DRIVER: usize = 2;
const NOTIFIED: usize = 3;

/// The runtime's driver and the flag that lets one thread at a time block in it.
///
/// The flag is a plain atomic try-lock: nobody ever waits for it, so a mutex would add nothing
/// (and loom's `Mutex::try_lock` reports false deadlocks, tokio-rs/loom#376).
pub(crate) struct SharedDriver {
    driver: StdArc<dyn Driver>,
    locked: AtomicBool,
    /// Set while the holder blocks in the driver with a time limit, so the LIFO watchdog runs
    /// (see `worker.rs`). A worker that puts a task in its LIFO slot while this is clear arms
    /// the watchdog (`arm_watchdog`).
    armed: AtomicBool,
}

/// Holding the driver; dropping it lets the next parker in.
pub(crate) struct DriverGuard<'a> {
    locked: &'a AtomicBool,
}

impl Drop for DriverGuard<'_> {
    fn drop(&mut self) {
        self.locked.store(false, SeqCst);
    }
}

impl SharedDriver {
    pub(crate) fn new(driver: StdArc<dyn Driver>) -> SharedDriver {
        SharedDriver {
            driver,
            locked: AtomicBool::new(false),
            armed: AtomicBool::new(false),
        }
    }

    pub(crate) fn driver(&self) -> &StdArc<dyn Driver> {
        &self.driver
    }

    /// Whether a thread blocks in the driver with a time limit (cheap pre-check).
    pub(crate) fn is_armed(&self) -> bool {
        self.armed.load(Relaxed)
    }

    /// Makes sure some parked worker will wake within the watchdog period: interrupts a holder
    /// blocked without a time limit (it re-decides, and a worker runs now), or, if nobody holds
    /// the driver, calls `nudge` to wake a sleeper that will take it.
    pub(crate) fn arm_watchdog(&self, nudge: impl FnOnce()) {
        // Orders the caller's "a worker runs" before our reads (pairs with the fence in
        // `park_driver`; the pattern is store-buffering, which needs a fence on each side).
        fence(SeqCst);
        if self.armed.load(SeqCst) {
            return;
        }
        if self.locked.load(SeqCst) {
            // Sticky: a holder that has not started waiting yet returns at once and re-decides.
            self.driver.unpark();
        } else {
            nudge();
        }
    }

    /// Takes the driver if nobody is blocked in it.
    pub(crate) fn try_lock(&self) -> Option<DriverGuard<'_>> {
        if self.locked.swap(true, SeqCst) {
            None
        } else {
            Some(DriverGuard {
                locked: &self.locked,
            })
        }
    }
}

/// The worker's side: blocks.
pub(crate) struct Parker {
    inner: Arc<Inner>,
}

/// Everyone else's side: wakes the worker. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Unparker {
    inner: Arc<Inner>,
}

/// # Invariant
///
/// `state` is PARKED_CONDVAR only while the owning worker waits on `condvar` (set with `mutex`
/// held), and PARKED_DRIVER only while it is inside `Driver::park` holding the driver lock.
struct Inner {
    state: AtomicUsize,
    mutex: Mutex<()>,
    condvar: Condvar,
    shared: Arc<SharedDriver>,
}

impl Parker {
    pub(crate) fn new(shared: Arc<SharedDriver>) -> Parker {
        Parker {
            inner: Arc::new(Inner {
                state: AtomicUsize::new(EMPTY),
                mutex: Mutex::new(()),
                condvar: Condvar::new(),
                shared,
            }),
        }
    }

    pub(crate) fn unparker(&self) -> Unparker {
        Unparker {
            inner: self.inner.clone(),
        }
    }

    /// Blocks until unparked. In the driver, the wait is bounded by what `driver_timeout` returns
    /// (called once the driver is ours; the driver may also return when it delivered events); on
    /// the condvar there is no time limit.
    pub(crate) fn park(&self, driver_timeout: impl FnOnce() -> Option<Duration>) {
        let inner = &*self.inner;
        if inner
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return;
        }
        if let Some(guard) = inner.shared.try_lock() {
            inner.park_driver(driver_timeout);
            drop(guard);
        } else {
            inner.park_condvar();
        }
    }
}

impl Inner {
    fn park_driver(&self, timeout: impl FnOnce() -> Option<Duration>) {
        match self
            .state
            .compare_exchange(EMPTY, PARKED_DRIVER, SeqCst, SeqCst)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.swap(EMPTY, SeqCst);
                return;
            }
            Err(actual) => unreachable!("worker parked twice (state {actual})"),
        }
        // We hold the driver (`locked`); decide on the timeout only now. A worker that started
        // running before this sees `locked` in `arm_watchdog` and interrupts us; one we see here
        // makes us park with the watchdog period.
        fence(SeqCst);
        let timeout = timeout();
        if timeout.is_some() {
            self.shared.armed.store(true, SeqCst);
        }
        self.shared.driver.park(timeout);
        self.shared.armed.store(false, SeqCst);
        match self.state.swap(EMPTY, SeqCst) {
            NOTIFIED | PARKED_DRIVER => {}
            actual => unreachable!("parker state {actual} after driver park"),
        }
    }

    fn park_condvar(&self) {
        let mut guard = self.mutex.lock();
        match self
            .state
            .compare_exchange(EMPTY, PARKED_CONDVAR, SeqCst, SeqCst)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                self.state.swap(EMPTY, SeqCst);
                return;
            }
            Err(actual) => unreachable!("worker parked twice (state {actual})"),
        }
        loop {
            self.condvar.wait(&mut guard);
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
                .is_ok()
            {
                return;
            }
            // Spurious wake-up: keep waiting.
        }
    }
}

impl Unparker {
    pub(crate) fn unpark(&self) {
        let inner = &*self.inner;
        match inner.state.swap(NOTIFIED, SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED_CONDVAR => {
                // Taking the lock orders us after the parker's check-then-wait.
                drop(inner.mutex.lock());
                inner.condvar.notify_one();
            }
            PARKED_DRIVER => inner.shared.driver.unpark(),
            actual => unreachable!("parker state {actual}"),
        }
    }
}
