//! The scheduler: worker names and count, work reaching every worker, the LIFO slot that cannot
//! starve (neither by ping-pong nor behind a busy worker), injected tasks that a local
//! re-spawner cannot starve, `yield_now` ordering, and the cooperative budget.

mod common;

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

use common::{guard, rt, thread_name, wait_until};
use filch_executor::coop;
use filch_executor::runtime::Builder;
use filch_executor::task::yield_now;
use filch_executor::{spawn, JoinHandle};
use futures_lite::future::{block_on, poll_fn};

#[test]
fn workers_are_named_filch_worker_i() {
    guard(|| {
        let names = Arc::new(Mutex::new(Vec::new()));
        let n = names.clone();
        let rt = Builder::new()
            .worker_threads(3)
            .on_thread_start(move || n.lock().unwrap().push(thread_name()))
            .build()
            .unwrap();
        let ran_on: Vec<String> = rt.block_on(async {
            let hs: Vec<_> = (0..100).map(|_| spawn(async { thread_name() })).collect();
            let mut v = Vec::new();
            for h in hs {
                v.push(h.await.unwrap());
            }
            v
        });
        drop(rt);
        let expected: BTreeSet<String> = (0..3).map(|i| format!("filch-worker-{i}")).collect();
        let started: BTreeSet<String> = names.lock().unwrap().iter().cloned().collect();
        assert_eq!(started, expected);
        assert_eq!(
            names.lock().unwrap().len(),
            3,
            "exactly 3 worker threads started"
        );
        for name in ran_on {
            assert!(expected.contains(&name), "task ran on {name:?}");
        }
    });
}

/// A rendezvous for `n` parties that gives up after the hang guard's limit.
struct Rendezvous {
    count: Mutex<usize>,
    cv: Condvar,
    n: usize,
}

impl Rendezvous {
    fn new(n: usize) -> Arc<Rendezvous> {
        Arc::new(Rendezvous {
            count: Mutex::new(0),
            cv: Condvar::new(),
            n,
        })
    }

    /// Blocks the calling thread until all parties arrived; `false` if they never did.
    fn arrive(&self) -> bool {
        let mut count = self.count.lock().unwrap();
        *count += 1;
        self.cv.notify_all();
        let deadline = Instant::now() + Duration::from_secs(20);
        while *count < self.n {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            count = self.cv.wait_timeout(count, left).unwrap().0;
        }
        true
    }
}

/// `n` tasks that each block their thread until all `n` run at once: only possible when every
/// worker took one, so the work reached all of them.
fn all_workers_take_part(n: usize, from_a_task: bool) {
    let rt = rt(n);
    let meet = Rendezvous::new(n);
    let make = |meet: Arc<Rendezvous>| async move { (meet.arrive(), thread_name()) };
    let handles: Vec<JoinHandle<(bool, String)>> = if from_a_task {
        // Spawned by a task: they land in one worker's LIFO slot and deque; the others steal.
        let meet = meet.clone();
        block_on(rt.spawn(async move { (0..n).map(|_| spawn(make(meet.clone()))).collect() }))
            .unwrap()
    } else {
        (0..n).map(|_| rt.spawn(make(meet.clone()))).collect()
    };
    let mut names = BTreeSet::new();
    for h in handles {
        let (met, name) = block_on(h).unwrap();
        assert!(met, "{n} blocking tasks never ran at once on {n} workers");
        names.insert(name);
    }
    let expected: BTreeSet<String> = (0..n).map(|i| format!("filch-worker-{i}")).collect();
    assert_eq!(names, expected);
}

#[test]
fn injected_work_reaches_every_worker() {
    guard(|| all_workers_take_part(3, false));
}

#[test]
fn idle_workers_steal_from_a_busy_worker() {
    guard(|| all_workers_take_part(3, true));
}

/// The task in a busy worker's LIFO slot must run elsewhere while that worker stays busy.
fn lifo_task_escapes_a_busy_worker(wake_instead_of_spawn: bool) {
    let rt = rt(2);
    let ran = Arc::new(AtomicBool::new(false));
    let ran_on = Arc::new(Mutex::new(String::new()));
    // For the wake variant: an idle task whose waker the busy task will call.
    let parked_waker: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
    let idle = if wake_instead_of_spawn {
        let (r, on, slot) = (ran.clone(), ran_on.clone(), parked_waker.clone());
        let mut polled_once = false;
        let h = rt.spawn(poll_fn(move |cx| {
            if !polled_once {
                polled_once = true;
                *slot.lock().unwrap() = Some(cx.waker().clone());
                return Poll::Pending;
            }
            *on.lock().unwrap() = thread_name();
            r.store(true, SeqCst);
            Poll::Ready(())
        }));
        wait_until("the idle task parks", || {
            parked_waker.lock().unwrap().is_some()
        });
        Some(h)
    } else {
        None
    };
    let (r, on, slot) = (ran.clone(), ran_on.clone(), parked_waker.clone());
    let busy = rt.spawn(async move {
        let child = if let Some(waker) = slot.lock().unwrap().take() {
            // A wake on a worker puts the task in this worker's LIFO slot.
            waker.wake();
            None
        } else {
            // So does a spawn.
            let (r, on) = (r.clone(), on.clone());
            Some(spawn(async move {
                *on.lock().unwrap() = thread_name();
                r.store(true, SeqCst);
            }))
        };
        // Now hold this worker without returning to the scheduler.
        let deadline = Instant::now() + Duration::from_secs(20);
        while !r.load(SeqCst) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        (r.load(SeqCst), thread_name(), child)
    });
    let (ran_while_busy, busy_on, child) = block_on(busy).unwrap();
    assert!(
        ran_while_busy,
        "the task in a busy worker's LIFO slot waited for that worker (20 s)"
    );
    assert_ne!(
        *ran_on.lock().unwrap(),
        busy_on,
        "it ran on the other worker"
    );
    if let Some(child) = child {
        block_on(child).unwrap();
    }
    if let Some(idle) = idle {
        block_on(idle).unwrap();
    }
}

#[test]
fn a_spawned_task_in_a_busy_workers_lifo_slot_is_not_starved() {
    guard(|| lifo_task_escapes_a_busy_worker(false));
}

#[test]
fn a_woken_task_in_a_busy_workers_lifo_slot_is_not_starved() {
    guard(|| lifo_task_escapes_a_busy_worker(true));
}

/// Pending forever; each poll wakes its partner (putting it in the LIFO slot), like two tasks
/// passing messages back and forth.
struct PingPong {
    me: Arc<Mutex<Option<Waker>>>,
    partner: Arc<Mutex<Option<Waker>>>,
    stop: Arc<AtomicBool>,
    polls: usize,
    /// Spawned on the tenth poll, while the ping-pong is in full swing.
    third: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl Future for PingPong {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.me.lock().unwrap() = Some(cx.waker().clone());
        if self.stop.load(SeqCst) {
            if let Some(w) = self.partner.lock().unwrap().take() {
                w.wake();
            }
            return Poll::Ready(());
        }
        self.polls += 1;
        if self.polls == 10 {
            if let Some(third) = self.third.take() {
                // Goes into the LIFO slot, then is pushed to the deque by the wake below.
                drop(spawn(third));
            }
        }
        if let Some(w) = self.partner.lock().unwrap().take() {
            w.wake();
        }
        Poll::Pending
    }
}

#[test]
fn ping_pong_through_the_lifo_slot_does_not_starve_the_deque() {
    guard(|| {
        let rt = rt(1);
        let stop = Arc::new(AtomicBool::new(false));
        let (a, b) = (Arc::new(Mutex::new(None)), Arc::new(Mutex::new(None)));
        let s = stop.clone();
        let third: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async move {
            s.store(true, SeqCst);
        });
        let pa = rt.spawn(PingPong {
            me: a.clone(),
            partner: b.clone(),
            stop: stop.clone(),
            polls: 0,
            third: Some(third),
        });
        let pb = rt.spawn(PingPong {
            me: b,
            partner: a,
            stop: stop.clone(),
            polls: 0,
            third: None,
        });
        block_on(pa).unwrap();
        block_on(pb).unwrap();
        assert!(stop.load(SeqCst));
    });
}

/// A chain of tasks, each spawning the next (into the LIFO slot) before finishing, until
/// `stop` is set.
fn respawn(stop: Arc<AtomicBool>, count: Arc<AtomicUsize>) {
    count.fetch_add(1, SeqCst);
    if !stop.load(SeqCst) {
        drop(spawn(async move { respawn(stop, count) }));
    }
}

/// Injects a task that sets `stop` from a plain thread and waits for it to run.
fn inject_stop(rt: &filch_executor::runtime::Runtime, stop: &Arc<AtomicBool>) {
    let handle = rt.handle().clone();
    let s = stop.clone();
    let injected = thread::spawn(move || handle.spawn(async move { s.store(true, SeqCst) }))
        .join()
        .unwrap();
    block_on(injected).unwrap();
}

#[test]
fn a_local_respawner_does_not_starve_an_injected_task() {
    guard(|| {
        let rt = rt(1);
        let stop = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicUsize::new(0));
        // Several chains, so the LIFO slot and the local deque both always hold work and no
        // task ever yields: only the periodic look at the injector can reach the injected task.
        for _ in 0..3 {
            let (s, c) = (stop.clone(), count.clone());
            rt.spawn(async move { respawn(s, c) });
        }
        wait_until("the local work is under way", || count.load(SeqCst) > 1_000);
        inject_stop(&rt, &stop);
    });
}

#[test]
fn a_local_yielder_does_not_starve_an_injected_task() {
    guard(|| {
        let rt = rt(1);
        let stop = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicUsize::new(0));
        // A task that yields forever (to the local deque) while spawning more local work.
        let (s, c) = (stop.clone(), count.clone());
        let yielder = rt.spawn(async move {
            while !s.load(SeqCst) {
                c.fetch_add(1, SeqCst);
                let (s2, c2) = (s.clone(), c.clone());
                drop(spawn(async move { respawn(s2, c2) }));
                yield_now().await;
            }
        });
        wait_until("the local work is under way", || count.load(SeqCst) > 1_000);
        inject_stop(&rt, &stop);
        block_on(yielder).unwrap();
    });
}

#[test]
fn yield_now_lets_a_task_spawned_by_the_yielder_run_first() {
    guard(|| {
        let rt = rt(1);
        let order = Arc::new(Mutex::new(Vec::new()));
        let o = order.clone();
        block_on(rt.spawn(async move {
            let o2 = o.clone();
            let b = spawn(async move { o2.lock().unwrap().push("B") });
            o.lock().unwrap().push("A yields");
            yield_now().await;
            o.lock().unwrap().push("A resumed");
            b.await.unwrap();
        }))
        .unwrap();
        assert_eq!(*order.lock().unwrap(), ["A yields", "B", "A resumed"]);
    });
}

/// On a 1-worker runtime, task A holds the worker until `n` tasks were injected from outside,
/// then yields: all of them must run before A resumes.
fn yield_goes_behind_injected_tasks(n: usize) {
    let rt = rt(1);
    let order = Arc::new(Mutex::new(Vec::new()));
    let all_spawned = Arc::new(AtomicBool::new(false));
    let a_running = Arc::new(AtomicBool::new(false));
    let (o, all, ar) = (order.clone(), all_spawned.clone(), a_running.clone());
    let a = rt.spawn(async move {
        ar.store(true, SeqCst);
        // Wait (holding the only worker) until the others are queued in the injector.
        while !all.load(SeqCst) {
            thread::sleep(Duration::from_millis(1));
        }
        o.lock().unwrap().push("A yields".to_string());
        yield_now().await;
        o.lock().unwrap().push("A resumed".to_string());
    });
    wait_until("A runs", || a_running.load(SeqCst));
    let others: Vec<_> = (0..n)
        .map(|i| {
            let o = order.clone();
            rt.spawn(async move { o.lock().unwrap().push(format!("B{i}")) })
        })
        .collect();
    all_spawned.store(true, SeqCst);
    block_on(a).unwrap();
    for b in others {
        block_on(b).unwrap();
    }
    let mut expected = vec!["A yields".to_string()];
    expected.extend((0..n).map(|i| format!("B{i}")));
    expected.push("A resumed".to_string());
    assert_eq!(
        *order.lock().unwrap(),
        expected,
        "the B tasks were ready when A yielded, so they must run before A resumes"
    );
}

#[test]
fn yield_now_goes_behind_a_task_injected_from_outside() {
    guard(|| yield_goes_behind_injected_tasks(1));
}

#[test]
fn yield_now_goes_behind_several_tasks_injected_from_outside() {
    guard(|| yield_goes_behind_injected_tasks(5));
}

/// A resource that is always ready but takes a unit of the task's budget each time.
fn always_ready() -> impl Future<Output = ()> {
    poll_fn(|cx| match coop::poll_proceed(cx) {
        Poll::Ready(unit) => {
            unit.made_progress();
            Poll::Ready(())
        }
        Poll::Pending => Poll::Pending,
    })
}

#[test]
fn an_always_ready_resource_yields_through_the_budget() {
    guard(|| {
        let rt = rt(1);
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let greedy = rt.spawn(async move {
            let mut n = 0u64;
            // Without the budget this loop would never return to the scheduler, and the task
            // that sets `stop` could never run on the only worker.
            while !s.load(SeqCst) {
                always_ready().await;
                n += 1;
            }
            n
        });
        let s = stop.clone();
        let other = rt.spawn(async move { s.store(true, SeqCst) });
        block_on(other).unwrap();
        assert!(block_on(greedy).unwrap() > 0);
    });
}

#[test]
fn the_budget_is_128_units_per_poll_and_refunds_unused_units() {
    guard(|| {
        let rt = rt(1);
        let result = block_on(rt.spawn(async {
            let mut first_poll = None;
            let mut polls = 0;
            poll_fn(|cx| {
                polls += 1;
                if polls > 1 {
                    // Polled again after running out: the budget is fresh.
                    assert!(coop::has_budget_remaining());
                    return Poll::Ready(());
                }
                assert!(coop::has_budget_remaining());
                // Units given back (no progress) do not count.
                for _ in 0..1_000 {
                    match coop::poll_proceed(cx) {
                        Poll::Ready(unit) => drop(unit),
                        Poll::Pending => panic!("refunded units ran out"),
                    }
                }
                let mut spent = 0;
                loop {
                    match coop::poll_proceed(cx) {
                        Poll::Ready(unit) => {
                            unit.made_progress();
                            spent += 1;
                        }
                        Poll::Pending => break,
                    }
                    assert!(spent <= 10_000, "the budget never ran out");
                }
                assert!(!coop::has_budget_remaining());
                first_poll = Some(spent);
                // poll_proceed woke the task, so returning Pending gets it polled again.
                Poll::Pending
            })
            .await;
            first_poll.unwrap()
        }))
        .unwrap();
        assert_eq!(result, usize::from(coop::BUDGET));
        assert_eq!(coop::BUDGET, 128);
    });
}

/// All `n` workers park first (the driver holder re-parks without a time limit, and is not the
/// sleeper that the next wake picks). Then a busy task puts a child in its LIFO slot and spins:
/// the watchdog must still take the child within a few periods.
fn lifo_watchdog_after_the_runtime_went_idle(n: usize) {
    guard(move || {
        let rt = rt(n);
        thread::sleep(Duration::from_millis(300));
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let busy = rt.spawn(async move {
            let r2 = r.clone();
            let _child = spawn(async move { r2.store(true, SeqCst) });
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while !r.load(SeqCst) && std::time::Instant::now() < deadline {
                std::hint::spin_loop();
            }
            r.load(SeqCst)
        });
        assert!(
            block_on(busy).unwrap(),
            "the LIFO child waited 5 s for its busy worker: the watchdog did not fire"
        );
    });
}

#[test]
fn lifo_watchdog_fires_with_three_workers_after_idle() {
    lifo_watchdog_after_the_runtime_went_idle(3);
}

#[test]
fn lifo_watchdog_fires_with_four_workers_after_idle() {
    lifo_watchdog_after_the_runtime_went_idle(4);
}

/// Two tasks that keep yielding, both queued on one worker (the second was spawned into the
/// first's LIFO slot, which wakes nobody): the idle worker must be woken to take one of them,
/// as it would be for any other work in the deque, or both run on one thread while the other
/// sleeps.
#[test]
fn yielding_tasks_spread_to_an_idle_worker() {
    guard(|| {
        let rt = rt(2);
        let threads: BTreeSet<String> = rt.block_on(async {
            spawn(async {
                let spin = |stop: Instant| async move {
                    let mut seen = BTreeSet::new();
                    while Instant::now() < stop {
                        seen.insert(thread_name());
                        // Burn a little CPU between yields, as a real computation would.
                        let t = Instant::now();
                        while t.elapsed() < Duration::from_micros(50) {}
                        yield_now().await;
                    }
                    seen
                };
                let stop = Instant::now() + Duration::from_millis(300);
                let other = spawn(spin(stop));
                let mut seen = spin(stop).await;
                seen.extend(other.await.unwrap());
                seen
            })
            .await
            .unwrap()
        });
        assert_eq!(
            threads.len(),
            2,
            "two yielding tasks ran on one worker for 300 ms while the other slept: {threads:?}"
        );
    });
}
