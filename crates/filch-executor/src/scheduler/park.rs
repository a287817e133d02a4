//! Parking a worker: on the runtime's driver if nobody else is in it, otherwise on the worker's
//! own condition variable.
//!
//! Only one thread at a time may block in the [`Driver`] (an OS poller allows one waiter that
//! makes progress; a second would return at once and spin). The driver sits behind an atomic
//! flag that a parking worker *tries* to take ([`SharedDriver::try_lock`]): the winner blocks
//! in `Driver::park`, the others sleep on their condvars. An unpark must reach a worker wherever it sleeps, so each worker's parker
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
//!
//! Nothing here keeps the driver occupied: a holder that leaves it to run a task leaves it empty
//! until some worker parks again. The runtime's monitor (`watchdog.rs`) notices a driver that
//! nobody has entered for a whole period while workers sleep on their condvars, and nudges one
//! of them into it ([`SharedDriver::entries`] is what it watches).

use std::sync::Arc as StdArc;
use std::time::Duration;

use crate::driver::Driver;
use crate::loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
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
    /// How many times the driver has been taken; the monitor compares it across periods.
    entries: AtomicUsize,
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
            entries: AtomicUsize::new(0),
        }
    }

    pub(crate) fn driver(&self) -> &StdArc<dyn Driver> {
        &self.driver
    }

    /// Whether some thread holds the driver now (blocked in it, or in a maintenance poll).
    pub(crate) fn is_locked(&self) -> bool {
        self.locked.load(SeqCst)
    }

    /// How many times the driver has been taken so far (wraps).
    pub(crate) fn entries(&self) -> usize {
        self.entries.load(Relaxed)
    }

    /// Takes the driver if nobody is blocked in it.
    pub(crate) fn try_lock(&self) -> Option<DriverGuard<'_>> {
        if self.locked.swap(true, SeqCst) {
            None
        } else {
            self.entries.fetch_add(1, Relaxed);
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

    /// Blocks until unparked, or until `timeout` elapses (`None`: no limit). In the driver the
    /// wait may also end when the driver delivered events. Returns whether this thread was the
    /// one in the driver.
    pub(crate) fn park(&self, timeout: Option<Duration>) -> bool {
        let inner = &*self.inner;
        if inner
            .state
            .compare_exchange(NOTIFIED, EMPTY, SeqCst, SeqCst)
            .is_ok()
        {
            return false;
        }
        if let Some(guard) = inner.shared.try_lock() {
            inner.park_driver(timeout);
            drop(guard);
            true
        } else {
            inner.park_condvar(timeout);
            false
        }
    }
}

impl Inner {
    fn park_driver(&self, timeout: Option<Duration>) {
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
        self.shared.driver.park(timeout);
        match self.state.swap(EMPTY, SeqCst) {
            NOTIFIED | PARKED_DRIVER => {}
            actual => unreachable!("parker state {actual} after driver park"),
        }
    }

    fn park_condvar(&self, timeout: Option<Duration>) {
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
            match timeout {
                Some(timeout) => {
                    self.condvar.wait_for(&mut guard, timeout);
                    // Notified or not, we are no longer parked: consume whichever it was.
                    match self.state.swap(EMPTY, SeqCst) {
                        NOTIFIED | PARKED_CONDVAR => return,
                        actual => unreachable!("parker state {actual} after a timed wait"),
                    }
                }
                None => self.condvar.wait(&mut guard),
            }
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
