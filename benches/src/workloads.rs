//! The executor workloads, each written once, generic over [`Rt`].
//!
//! The first six follow tokio's `benches/rt_multi_threaded.rs` (spawn_many_local,
//! spawn_many_remote_idle, spawn_many_remote_busy, ping_pong, yield_many, chained_spawn); the
//! next three follow async-executor's `benches/executor.rs` (spawn_one, spawn_recursively and a
//! fan-out/fan-in). The shapes and sizes are theirs; the code is ours. All three runtimes use the
//! same channel crate (`futures-channel`'s oneshot) wherever tasks signal each other.
//!
//! Each workload times itself and returns the elapsed time of the part that is measured, so
//! set-up that is not the point (starting busy tasks, say) stays out of the figure.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_channel::oneshot;

use crate::rt::Rt;
use crate::stats;

/// Tasks spawned by the spawn_many_* workloads (tokio's `NUM_SPAWN`).
pub const SPAWN_MANY: usize = 10_000;
/// Pairs of tasks in [`ping_pong`].
pub const PING_PONGS: usize = 1_000;
/// Tasks in [`yield_many`].
pub const YIELD_TASKS: usize = 200;
/// Yields per task in [`yield_many`].
pub const YIELDS_PER_TASK: usize = 1_000;
/// Length of the chain in [`chained_spawn`].
pub const CHAIN: usize = 1_000;
/// Sequential spawn-and-join round trips in [`spawn_one`].
pub const SPAWN_ONE_ROUNDS: usize = 1_000;
/// Roots in [`spawn_recursively`], each the top of a chain of [`RECURSION_DEPTH`] nested tasks.
pub const RECURSION_ROOTS: usize = 100;
/// Depth of each chain in [`spawn_recursively`].
pub const RECURSION_DEPTH: usize = 100;
/// Children in [`fan_out_fan_in`].
pub const FAN_OUT: usize = 1_000;
/// Tasks in [`timers`]; each makes [`SLEEPS_PER_TASK`] sleeps.
pub const TIMER_TASKS: usize = 1_000;
/// Sleeps per task in [`timers`] (so 100,000 in all).
pub const SLEEPS_PER_TASK: usize = 100;
/// How long a busy task in [`spawn_many_remote_busy`] spins between yields (tokio's figure).
const STALL: Duration = Duration::from_micros(10);

/// An executor workload: runs once on the given runtime and returns the measured time.
pub type Workload<R> = fn(&R) -> Duration;

/// The executor workloads by name, in table order. The timer workload, which reports more than
/// a time, is [`timers`].
pub fn executor_workloads<R: Rt>() -> Vec<(&'static str, Workload<R>)> {
    vec![
        ("spawn_many_local", spawn_many_local::<R>),
        ("spawn_many_remote_idle", spawn_many_remote_idle::<R>),
        ("spawn_many_remote_busy", spawn_many_remote_busy::<R>),
        ("ping_pong", ping_pong::<R>),
        ("yield_many", yield_many::<R>),
        ("chained_spawn", chained_spawn::<R>),
        ("spawn_one", spawn_one::<R>),
        ("spawn_recursively", spawn_recursively::<R>),
        ("fan_out_fan_in", fan_out_fan_in::<R>),
    ]
}

/// What each workload stresses, for the documentation and `compare --list`.
pub fn describe(name: &str) -> &'static str {
    match name {
        "spawn_many_local" => {
            "10,000 spawns from inside a task: the worker's local queue, its overflow into the \
             shared queue, and stealing by the other workers"
        }
        "spawn_many_remote_idle" => {
            "10,000 spawns from a thread outside the runtime, then joined: the injection queue \
             and waking idle workers"
        }
        "spawn_many_remote_busy" => {
            "the same while every worker runs a task that spins 10 us between yields: how soon \
             busy workers look at the injection queue"
        }
        "ping_pong" => {
            "1,000 pairs of tasks exchanging two oneshot messages: wake-ups across tasks and \
             threads"
        }
        "yield_many" => "200 tasks x 1,000 yields: the cost of one reschedule",
        "chained_spawn" => {
            "a chain of 1,000 tasks, each spawning the next: spawn latency when only one task \
             is runnable"
        }
        "spawn_one" => {
            "1,000 sequential rounds of block_on(spawn(empty)): one remote spawn plus waking the \
             blocked caller"
        }
        "spawn_recursively" => {
            "100 chains of 100 nested spawn-and-await: spawn, join and the wake-up of a parent"
        }
        "fan_out_fan_in" => "one task spawns 1,000 children and awaits each JoinHandle",
        "timers" => {
            "1,000 tasks x 100 sleeps of 0-2 ms, a quarter of them cancelled after \
             registering: timer insert, cancel and fire, and how late they fire"
        }
        _ => "",
    }
}

/// Counts finished tasks and sends once on a oneshot channel when the last one finishes.
#[derive(Debug)]
struct Countdown {
    remaining: AtomicUsize,
    done: Mutex<Option<oneshot::Sender<()>>>,
}

impl Countdown {
    fn new(count: usize) -> (Arc<Countdown>, oneshot::Receiver<()>) {
        let (done, finished) = oneshot::channel();
        let countdown = Countdown {
            remaining: AtomicUsize::new(count),
            done: Mutex::new(Some(done)),
        };
        (Arc::new(countdown), finished)
    }

    fn count_down(&self) {
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            let sender = self.done.lock().map(|mut done| done.take());
            if let Ok(Some(sender)) = sender {
                let _ = sender.send(());
            }
        }
    }
}

/// tokio's spawn_many_local: one task spawns 10,000 tasks that each count down a shared counter.
pub fn spawn_many_local<R: Rt>(rt: &R) -> Duration {
    let (countdown, finished) = Countdown::new(SPAWN_MANY);
    let spawner = rt.clone();
    let start = Instant::now();
    rt.block_on(async {
        drop(rt.spawn(async move {
            for _ in 0..SPAWN_MANY {
                let countdown = countdown.clone();
                drop(spawner.spawn(async move { countdown.count_down() }));
            }
        }));
        finished.await.expect("spawn_many_local: a task was lost");
    });
    start.elapsed()
}

/// Spawns [`SPAWN_MANY`] empty tasks from this (non-worker) thread and joins them all.
fn spawn_and_join_remote<R: Rt>(rt: &R) {
    let handles: Vec<_> = (0..SPAWN_MANY).map(|_| rt.spawn(async {})).collect();
    rt.block_on(async {
        for handle in handles {
            handle.await;
        }
    });
}

/// tokio's spawn_many_remote_idle: 10,000 spawns from outside the runtime, then join them all.
pub fn spawn_many_remote_idle<R: Rt>(rt: &R) -> Duration {
    let start = Instant::now();
    spawn_and_join_remote(rt);
    start.elapsed()
}

/// tokio's spawn_many_remote_busy: like [`spawn_many_remote_idle`], but while one task per
/// worker spins for 10 µs between yields, so every worker is busy when the spawns arrive.
pub fn spawn_many_remote_busy<R: Rt>(rt: &R) -> Duration {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicUsize::new(0));
    let busy: Vec<_> = (0..rt.worker_threads())
        .map(|_| {
            let stop = stop.clone();
            let started = started.clone();
            rt.spawn(async move {
                started.fetch_add(1, Ordering::Relaxed);
                while !stop.load(Ordering::Relaxed) {
                    stall();
                    R::yield_now().await;
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(1);
    while started.load(Ordering::Relaxed) < busy.len() && Instant::now() < deadline {
        std::thread::yield_now();
    }

    let start = Instant::now();
    spawn_and_join_remote(rt);
    let elapsed = start.elapsed();

    stop.store(true, Ordering::Relaxed);
    rt.block_on(async {
        for handle in busy {
            handle.await;
        }
    });
    elapsed
}

fn stall() {
    let start = Instant::now();
    while start.elapsed() < STALL {
        std::hint::spin_loop();
    }
}

/// tokio's ping_pong: 1,000 tasks each spawn a partner and bounce a message off it through two
/// oneshot channels.
pub fn ping_pong<R: Rt>(rt: &R) -> Duration {
    let (countdown, finished) = Countdown::new(PING_PONGS);
    let spawner = rt.clone();
    let start = Instant::now();
    rt.block_on(async {
        drop(rt.spawn(async move {
            for _ in 0..PING_PONGS {
                let countdown = countdown.clone();
                let partner_spawner = spawner.clone();
                drop(spawner.spawn(async move {
                    let (ping, pinged) = oneshot::channel::<()>();
                    let (pong, ponged) = oneshot::channel::<()>();
                    drop(partner_spawner.spawn(async move {
                        pinged.await.expect("ping_pong: ping sender dropped");
                        pong.send(()).expect("ping_pong: pong receiver dropped");
                    }));
                    ping.send(()).expect("ping_pong: ping receiver dropped");
                    ponged.await.expect("ping_pong: pong sender dropped");
                    countdown.count_down();
                }));
            }
        }));
        finished.await.expect("ping_pong: a task was lost");
    });
    start.elapsed()
}

/// tokio's yield_many: 200 tasks spawned from outside, each yielding 1,000 times.
pub fn yield_many<R: Rt>(rt: &R) -> Duration {
    let start = Instant::now();
    let handles: Vec<_> = (0..YIELD_TASKS)
        .map(|_| {
            rt.spawn(async {
                for _ in 0..YIELDS_PER_TASK {
                    R::yield_now().await;
                }
            })
        })
        .collect();
    rt.block_on(async {
        for handle in handles {
            handle.await;
        }
    });
    start.elapsed()
}

/// tokio's chained_spawn: each task spawns the next, 1,000 deep; the last one signals.
pub fn chained_spawn<R: Rt>(rt: &R) -> Duration {
    fn link<R: Rt>(rt: R, done: oneshot::Sender<()>, remaining: usize) {
        if remaining == 0 {
            let _ = done.send(());
        } else {
            let next = rt.clone();
            drop(rt.spawn(async move { link(next, done, remaining - 1) }));
        }
    }

    let (done, finished) = oneshot::channel();
    let start = Instant::now();
    let first = rt.clone();
    rt.block_on(async {
        drop(rt.spawn(async move { link(first, done, CHAIN) }));
        finished.await.expect("chained_spawn: the chain broke");
    });
    start.elapsed()
}

/// async-executor's spawn_one, repeated: 1,000 rounds of `block_on(spawn(async {}))`.
pub fn spawn_one<R: Rt>(rt: &R) -> Duration {
    let start = Instant::now();
    for _ in 0..SPAWN_ONE_ROUNDS {
        rt.block_on(rt.spawn(async {}));
    }
    start.elapsed()
}

/// async-executor's spawn_recursively: 100 roots, each awaiting a chain of 100 nested tasks,
/// every level spawning and awaiting the next.
pub fn spawn_recursively<R: Rt>(rt: &R) -> Duration {
    fn nest<R: Rt>(rt: R, depth: usize) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(async move {
            if depth > 0 {
                let child = nest(rt.clone(), depth - 1);
                rt.spawn(child).await;
            }
        })
    }

    let start = Instant::now();
    let roots: Vec<_> = (0..RECURSION_ROOTS)
        .map(|_| rt.spawn(nest(rt.clone(), RECURSION_DEPTH)))
        .collect();
    rt.block_on(async {
        for root in roots {
            root.await;
        }
    });
    start.elapsed()
}

/// One task spawns 1,000 children and awaits each handle in turn.
pub fn fan_out_fan_in<R: Rt>(rt: &R) -> Duration {
    let spawner = rt.clone();
    let start = Instant::now();
    let sum = rt.block_on(rt.spawn(async move {
        let children: Vec<_> = (0..FAN_OUT)
            .map(|i| spawner.spawn(async move { std::hint::black_box(i) }))
            .collect();
        let mut sum = 0;
        for child in children {
            sum += child.await;
        }
        sum
    }));
    assert_eq!(
        sum,
        FAN_OUT * (FAN_OUT - 1) / 2,
        "fan_out_fan_in: wrong sum"
    );
    start.elapsed()
}

/// What [`timers`] measured.
#[derive(Debug, Clone, Copy)]
pub struct TimerReport {
    /// Wall time of the whole workload.
    pub elapsed: Duration,
    /// Median lateness of the sleeps that fired: how long after its deadline each one completed.
    pub lateness_p50: Duration,
    /// 99th-percentile lateness.
    pub lateness_p99: Duration,
    /// Sleeps that completed before their deadline: a runtime bug if ever non-zero.
    pub early: usize,
}

/// 100,000 sleeps from 1,000 tasks with deadlines spread over 0-2 ms: three in four are awaited
/// (insert and fire; their lateness is recorded), one in four is polled once, so it registers
/// a timer 1-50 ms out, and is then dropped (insert and cancel).
pub fn timers<R: Rt>(rt: &R) -> TimerReport {
    let start = Instant::now();
    let tasks: Vec<_> = (0..TIMER_TASKS)
        .map(|task| {
            rt.spawn(async move {
                let mut random = sleep_rng(task);
                let mut lateness = Vec::with_capacity(SLEEPS_PER_TASK);
                for _ in 0..SLEEPS_PER_TASK {
                    let PlannedSleep { wait, cancelled } = PlannedSleep::draw(&mut random);
                    if cancelled {
                        let mut sleep = pin!(R::sleep(wait));
                        let _ = futures_lite::future::poll_once(sleep.as_mut()).await;
                    } else {
                        let deadline = Instant::now() + wait;
                        R::sleep(wait).await;
                        // An early wake-up is recorded as `u64::MAX` and counted below.
                        let late = Instant::now()
                            .checked_duration_since(deadline)
                            .map_or(u64::MAX, |late| late.as_nanos() as u64);
                        lateness.push(late);
                    }
                }
                lateness
            })
        })
        .collect();
    let mut lateness = rt.block_on(async {
        let mut all = Vec::with_capacity(TIMER_TASKS * SLEEPS_PER_TASK);
        for task in tasks {
            all.extend(task.await);
        }
        all
    });
    let elapsed = start.elapsed();
    let early = lateness.iter().filter(|&&late| late == u64::MAX).count();
    lateness.retain(|&late| late != u64::MAX);
    lateness.sort_unstable();
    TimerReport {
        elapsed,
        lateness_p50: Duration::from_nanos(stats::quantile_sorted(&lateness, 0.50)),
        lateness_p99: Duration::from_nanos(stats::quantile_sorted(&lateness, 0.99)),
        early,
    }
}

/// The random numbers of one task of [`timers`]: seeded by the task's number, so every runtime
/// (and every round) sees the same sleeps.
fn sleep_rng(task: usize) -> fastrand::Rng {
    fastrand::Rng::with_seed(task as u64)
}

/// One sleep of [`timers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PlannedSleep {
    /// How long it sleeps.
    wait: Duration,
    /// Whether it is polled once and dropped rather than awaited.
    cancelled: bool,
}

impl PlannedSleep {
    /// One in four is cancelled, with a deadline 1-50 ms out; the rest wait 0-2 ms.
    fn draw(random: &mut fastrand::Rng) -> PlannedSleep {
        if random.u8(0..4) == 0 {
            PlannedSleep {
                wait: Duration::from_micros(random.u64(1_000..50_000)),
                cancelled: true,
            }
        } else {
            PlannedSleep {
                wait: Duration::from_micros(random.u64(0..=2_000)),
                cancelled: false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(task: usize) -> Vec<PlannedSleep> {
        let mut random = sleep_rng(task);
        (0..SLEEPS_PER_TASK)
            .map(|_| PlannedSleep::draw(&mut random))
            .collect()
    }

    #[test]
    fn timer_sleeps_are_the_same_on_every_run() {
        for task in [0, 1, 7, TIMER_TASKS - 1] {
            assert_eq!(plan(task), plan(task), "task {task}");
        }
        // Different tasks get different sleeps.
        assert_ne!(plan(0), plan(1));
    }

    #[test]
    fn timer_sleeps_have_the_documented_shape() {
        let all: Vec<PlannedSleep> = (0..TIMER_TASKS).flat_map(plan).collect();
        let cancelled = all.iter().filter(|sleep| sleep.cancelled).count();
        // One in four of 100,000, give or take a generous margin.
        assert!(
            (20_000..30_000).contains(&cancelled),
            "{cancelled} cancelled"
        );
        for sleep in &all {
            if sleep.cancelled {
                assert!(
                    sleep.wait >= Duration::from_millis(1)
                        && sleep.wait < Duration::from_millis(50)
                );
            } else {
                assert!(sleep.wait <= Duration::from_millis(2));
            }
        }
    }
}
