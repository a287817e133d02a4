//! The driver seam: how an idle worker blocks, and how it is woken.
//!
//! The scheduler knows nothing about sockets or timers. When a worker runs out of work it parks,
//! and at most one parked worker at a time blocks inside the runtime's [`Driver`]; the others
//! sleep on their own condition variables (see `scheduler/park.rs`). The executor ships
//! [`CondvarDriver`], which only sleeps. The I/O crate (`filch-io`) supplies a driver whose
//! [`Driver::park`] blocks in the operating system's poller, fires expired timers and wakes the
//! tasks waiting on ready sockets, and whose [`Driver::unpark`] interrupts that wait.
//!
//! # Contract
//!
//! * `park(timeout)` blocks the calling thread until `unpark` is called, until the driver has
//!   delivered events (woken some tasks), or until `timeout` elapses, whichever is first.
//!   `Some(Duration::ZERO)` means "process what is ready now, do not block". Spurious returns
//!   are allowed: the caller re-checks its queues.
//! * `unpark` may be called from any thread at any time. A call that finds no thread inside
//!   `park` is remembered, so the next `park` returns at once: a wake-up is never lost.
//! * The scheduler guarantees that only one thread is inside `park` at a time.
//! * `shutdown` is called once, after the workers have stopped (after `shutdown_timeout` gave
//!   up on a worker stuck in a poll, that worker may still be running).

use std::any::Any;
use std::fmt;
use std::time::Duration;

use crate::loom::sync::{Condvar, Mutex};

/// Something an idle worker can block in: a condvar, or the OS poller of an I/O driver.
///
/// See the [module documentation](self) for the contract an implementation must keep.
pub trait Driver: Send + Sync + 'static {
    /// Blocks until [`unpark`](Driver::unpark) is called, events are delivered, or `timeout`
    /// elapses. `None` waits without a time limit; `Some(Duration::ZERO)` does not block.
    fn park(&self, timeout: Option<Duration>);

    /// Wakes the thread inside [`park`](Driver::park), or makes the next `park` return at once.
    fn unpark(&self);

    /// Called once, after the runtime's workers have stopped. An I/O driver wakes every task
    /// still waiting on it here so that nothing waits on a driver that no thread will run again.
    fn shutdown(&self) {}

    /// The driver's own figures, for [`RuntimeMetrics`](crate::runtime::RuntimeMetrics)'s
    /// `io_driver_*` and `num_active_timers`. The default (a driver without sockets or timers)
    /// reports zeros.
    fn metrics(&self) -> DriverMetrics {
        DriverMetrics::default()
    }

    /// Returns `self` as [`Any`], so resources can find their concrete driver through
    /// [`Handle::driver`](crate::runtime::Handle::driver).
    fn as_any(&self) -> &dyn Any;
}

/// What a [`Driver`] reports about itself (see [`Driver::metrics`]). Counters count since the
/// driver was created.
///
/// ```
/// let mut m = filch_executor::driver::DriverMetrics::default();
/// m.fd_registered_count = 3;
/// assert_eq!(m.ready_count, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DriverMetrics {
    /// Readiness events handed to registered sources.
    pub ready_count: u64,
    /// File descriptors registered.
    pub fd_registered_count: u64,
    /// File descriptors deregistered.
    pub fd_deregistered_count: u64,
    /// Timers waiting now.
    pub num_active_timers: usize,
}

impl fmt::Debug for dyn Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver").finish_non_exhaustive()
    }
}

/// The executor's own driver: parking on a condition variable, with a sticky notification.
///
/// # Invariant
///
/// `notified` is true exactly when an `unpark` has happened that no `park` has consumed yet; it
/// is only read or written with `lock` held, so a notification cannot slip between a parker's
/// check and its wait.
#[derive(Debug, Default)]
pub struct CondvarDriver {
    lock: Mutex<bool>,
    condvar: Condvar,
}

impl CondvarDriver {
    /// Creates a driver with no pending notification.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Driver for CondvarDriver {
    fn park(&self, timeout: Option<Duration>) {
        let mut notified = self.lock.lock();
        if !*notified {
            match timeout {
                Some(d) if d.is_zero() => {}
                Some(d) => {
                    let _ = self.condvar.wait_for(&mut notified, d);
                }
                None => self.condvar.wait(&mut notified),
            }
        }
        *notified = false;
    }

    fn unpark(&self) {
        let mut notified = self.lock.lock();
        *notified = true;
        drop(notified);
        self.condvar.notify_one();
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
