//! loom model of the parking protocol: `Idle` (who searches, who sleeps) and `Parker` (driver or
//! condvar), with a pusher that makes work visible and then notifies, exactly as
//! `Shared::schedule_remote` does. A lost wake-up leaves both workers asleep with work pending,
//! which loom reports as a deadlock.

use std::sync::Arc as StdArc;

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;

use super::idle::Idle;
use super::park::{Parker, SharedDriver, Unparker};
use crate::driver::CondvarDriver;

struct World {
    idle: Idle,
    unparkers: Vec<Unparker>,
    work: AtomicUsize,
    done: AtomicBool,
}

impl World {
    fn notify(&self) {
        if let Some(w) = self.idle.worker_to_notify() {
            self.unparkers[w].unpark();
        }
    }

    fn try_take(&self) -> bool {
        self.work
            .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    fn finish(&self) {
        self.done.store(true, SeqCst);
        for u in &self.unparkers {
            u.unpark();
        }
    }
}

/// The worker loop of `worker.rs`, reduced to: take work, else park by the protocol.
fn worker(world: &World, index: usize, parker: &Parker) {
    let mut searching = false;
    loop {
        if world.try_take() {
            if searching
                && world.idle.transition_worker_from_searching()
                && world.work.load(SeqCst) > 0
            {
                world.notify();
            }
            world.finish();
            return;
        }
        if world.done.load(SeqCst) {
            return;
        }
        if !searching && world.idle.transition_worker_to_searching() {
            searching = true;
            continue;
        }
        let was_last = world.idle.transition_worker_to_parked(index, searching);
        searching = false;
        if was_last && world.work.load(SeqCst) > 0 {
            world.notify();
        }
        loop {
            parker.park(|| None);
            if world.done.load(SeqCst) {
                return;
            }
            if !world.idle.is_parked(index) {
                searching = true;
                break;
            }
            if world.work.load(SeqCst) > 0 {
                if !world.idle.unpark_worker_by_id(index) {
                    searching = true;
                }
                break;
            }
        }
    }
}

#[test]
fn no_lost_wakeup_with_two_workers() {
    loom::model(|| {
        let driver = Arc::new(SharedDriver::new(StdArc::new(CondvarDriver::new())));
        let parkers: Vec<Parker> = (0..2).map(|_| Parker::new(driver.clone())).collect();
        let world = Arc::new(World {
            idle: Idle::new(2),
            unparkers: parkers.iter().map(Parker::unparker).collect(),
            work: AtomicUsize::new(0),
            done: AtomicBool::new(false),
        });
        let mut parkers = parkers.into_iter();
        let p0 = parkers.next().unwrap();
        let p1 = parkers.next().unwrap();
        let w = world.clone();
        let t0 = thread::spawn(move || worker(&w, 0, &p0));
        let w = world.clone();
        let t1 = thread::spawn(move || worker(&w, 1, &p1));
        // The pusher (another thread, like Handle::spawn from outside).
        world.work.fetch_add(1, SeqCst);
        world.notify();
        t0.join().unwrap();
        t1.join().unwrap();
        assert_eq!(world.work.load(SeqCst), 0);
    });
}

#[test]
fn unpark_before_park_is_not_lost() {
    loom::model(|| {
        let driver = Arc::new(SharedDriver::new(StdArc::new(CondvarDriver::new())));
        let a = Parker::new(driver.clone());
        let b = Parker::new(driver);
        let (ua, ub) = (a.unparker(), b.unparker());
        let flag = Arc::new(AtomicBool::new(false));
        let f2 = flag.clone();
        // `b` parks on whichever of driver/condvar is free; `a` may hold the driver.
        let tb = thread::spawn(move || {
            while !f2.load(SeqCst) {
                b.park(|| None);
            }
        });
        let ta = thread::spawn(move || a.park(|| None));
        flag.store(true, SeqCst);
        ub.unpark();
        ua.unpark();
        ta.join().unwrap();
        tb.join().unwrap();
    });
}

/// A driver for the model: a timed park returns at once (the timeout always fires eventually),
/// an untimed park blocks until `unpark`.
#[derive(Default)]
struct TimeoutDriver {
    notified: loom::sync::Mutex<bool>,
    condvar: loom::sync::Condvar,
}

impl crate::driver::Driver for TimeoutDriver {
    fn park(&self, timeout: Option<std::time::Duration>) {
        if timeout.is_some() {
            return;
        }
        let mut notified = self.notified.lock().unwrap();
        while !*notified {
            notified = self.condvar.wait(notified).unwrap();
        }
        *notified = false;
    }
    fn unpark(&self) {
        *self.notified.lock().unwrap() = true;
        self.condvar.notify_one();
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The watchdog handshake: the driver holder decides on an untimed park when nothing runs; a
/// worker that runs and fills its LIFO slot then arms the watchdog (`arm_watchdog`), which must
/// interrupt the holder so that it re-parks with the watchdog period. If the two raced past each
/// other, the holder would sleep forever while the worker runs, and loom would report the
/// deadlock.
#[test]
fn arming_the_watchdog_interrupts_an_untimed_driver_park() {
    loom::model(|| {
        let driver = Arc::new(SharedDriver::new(StdArc::new(TimeoutDriver::default())));
        let running = Arc::new(AtomicBool::new(false));
        let parker = Parker::new(driver.clone());
        let r = running.clone();
        let holder = thread::spawn(move || {
            parker.park(|| {
                r.load(SeqCst)
                    .then_some(std::time::Duration::from_millis(10))
            })
        });
        running.store(true, SeqCst);
        // No sleeper to nudge in this model: if the driver is free, the holder has not taken
        // it yet and will see `running` when it decides.
        driver.arm_watchdog(|| {});
        holder.join().unwrap();
    });
}
