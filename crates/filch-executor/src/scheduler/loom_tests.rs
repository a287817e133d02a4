//! loom model of the parking protocol: `Idle` (who searches, who sleeps) and `Parker` (driver or
//! condvar), with a pusher that makes work visible and then notifies, exactly as
//! `Shared::schedule_remote` does. A lost wake-up leaves both workers asleep with work pending,
//! which loom reports as a deadlock.

use std::sync::Arc as StdArc;

use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use loom::sync::Arc;
use loom::thread;

use super::idle::{AfterWake, Idle};
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

/// The worker loop of `worker.rs`, reduced to: take work, else park by the protocol. Every
/// scheduling decision goes through the functions `WorkerCtx` calls (`Idle::stop_searching`,
/// `Idle::park_worker`, `Idle::after_wake`); only the queues are simplified: the model's work is
/// global (an injector), so a worker has no local work and leaves park only when chosen, exactly
/// as a worker woken for injector work does.
fn worker(world: &World, index: usize, parker: &Parker) {
    let mut searching = false;
    loop {
        if world.try_take() {
            if searching {
                world
                    .idle
                    .stop_searching(|| world.work.load(SeqCst) > 0, || world.notify());
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
        world.idle.park_worker(
            index,
            searching,
            || world.work.load(SeqCst) > 0,
            || world.notify(),
        );
        loop {
            parker.park(None);
            if world.done.load(SeqCst) {
                return;
            }
            match world.idle.after_wake(index, false) {
                AfterWake::Run { searching: s } => {
                    searching = s;
                    break;
                }
                AfterWake::ParkAgain => {}
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
                b.park(None);
            }
        });
        let ta = thread::spawn(move || {
            a.park(None);
        });
        flag.store(true, SeqCst);
        ub.unpark();
        ua.unpark();
        ta.join().unwrap();
        tb.join().unwrap();
    });
}

/// The monitor's sleep handshake (`watchdog.rs`): the monitor decides to sleep when it sees no
/// worker running; a worker that becomes unparked counts itself and then calls
/// `Monitor::wake`. If the two raced past each other, the monitor would sleep while a worker
/// runs (stalls would go unnoticed), and loom would report the deadlock of the final wait.
#[test]
fn monitor_sleep_never_misses_a_worker() {
    use super::watchdog::Monitor;
    loom::model(|| {
        let monitor = Arc::new(Monitor::new());
        let running = Arc::new(AtomicUsize::new(0));
        let (m, r) = (monitor.clone(), running.clone());
        let sleeper = thread::spawn(move || {
            // Returns once it has seen the worker running (a timed wait returns at once under
            // loom, so the loop stands for "checks again every period").
            while r.load(SeqCst) == 0 {
                m.sleep_while(
                    || r.load(SeqCst) == 0,
                    std::time::Duration::from_millis(10),
                    true,
                );
            }
        });
        running.fetch_add(1, SeqCst);
        monitor.wake();
        sleeper.join().unwrap();
    });
}

/// Extra-worker retirement (`watchdog.rs`, steps 1 to 3): an extra hands its queue over and
/// gives its slot back while the monitor claims a slot to start another extra. Whatever the
/// interleaving, the queued task ends up handed over exactly once, and a claimed slot never
/// carries a task from its previous owner.
#[test]
fn retiring_extra_leaves_no_task_behind() {
    use super::watchdog::{Extras, Slot};

    struct TestSlot {
        index: usize,
        queue: loom::sync::Mutex<Vec<u32>>,
    }
    impl Slot for TestSlot {
        fn index(&self) -> usize {
            self.index
        }
    }

    loom::model(|| {
        let extras = Arc::new(Extras::new(
            2,
            vec![TestSlot {
                index: 2,
                queue: loom::sync::Mutex::new(Vec::new()),
            }],
        ));
        let injector = Arc::new(loom::sync::Mutex::new(Vec::new()));
        // The monitor started an extra in slot 2, and the extra queued a task.
        let slot = extras.claim().expect("a free slot");
        slot.queue.lock().unwrap().push(7);
        extras.request_retire(2);

        let (e, inj) = (extras.clone(), injector.clone());
        let retiring = thread::spawn(move || {
            assert!(e.should_retire(2));
            e.retire(slot, |slot| {
                inj.lock().unwrap().append(&mut slot.queue.lock().unwrap());
            });
        });
        let e = extras.clone();
        let monitor = thread::spawn(move || {
            if let Some(slot) = e.claim() {
                assert!(
                    slot.queue.lock().unwrap().is_empty(),
                    "a reused slot still holds its previous owner's task"
                );
                assert!(
                    !e.should_retire(2),
                    "a claimed slot starts without a retire request"
                );
                e.unclaim(slot);
            }
        });
        retiring.join().unwrap();
        monitor.join().unwrap();
        assert_eq!(
            *injector.lock().unwrap(),
            vec![7],
            "handed over exactly once"
        );
        assert_eq!(extras.active(), 0);
    });
}
