//! What a task that blocks its worker costs everything else: three scenarios, written once over
//! [`Rt`] and run on each runtime by the `stall` binary. `crates/filch/examples/stall.rs` is the
//! same three on filch alone, written plainly for readers.
//!
//! 1. [`one_worker_blocked`]: a 100 ms ticker and a Unix-socket reader fed every 100 ms from a
//!    plain thread; a timer-woken task then blocks its worker for 1 s.
//! 2. [`lifo_child`]: after tokio-rs/tokio#4730 and #4941: a task spawns a child (it lands in
//!    the worker's LIFO slot) and then blocks that worker for 2 s.
//! 3. [`all_workers_blocked`]: one blocker per worker, each blocking for 1 s at the same time,
//!    while a 20 ms ticker runs (the blockers first make sure they sit on distinct workers).

use std::collections::HashSet;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::rt::{Rt, UnixRt};
use crate::stats::quantile_sorted;

/// The gaps between consecutive events of a periodic task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Gaps {
    /// How many gaps there were (events minus one).
    pub count: usize,
    /// The longest gap.
    pub max: Duration,
    /// The median gap (nearest rank).
    pub p50: Duration,
    /// The 99th-percentile gap (nearest rank).
    pub p99: Duration,
}

impl Gaps {
    /// The gaps between consecutive `times` (in the order given).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use filch_benches::stall::Gaps;
    /// let t = Instant::now();
    /// let ms = Duration::from_millis;
    /// let gaps = Gaps::of(&[t, t + ms(10), t + ms(20), t + ms(120)]);
    /// assert_eq!((gaps.count, gaps.max, gaps.p50, gaps.p99), (3, ms(100), ms(10), ms(100)));
    /// assert_eq!(Gaps::of(&[t]).count, 0);
    /// ```
    pub fn of(times: &[Instant]) -> Gaps {
        let mut micros: Vec<u64> = times
            .windows(2)
            .map(|w| w[1].saturating_duration_since(w[0]).as_micros() as u64)
            .collect();
        micros.sort_unstable();
        let at = |q| Duration::from_micros(quantile_sorted(&micros, q));
        Gaps {
            count: micros.len(),
            max: Duration::from_micros(micros.last().copied().unwrap_or(0)),
            p50: at(0.5),
            p99: at(0.99),
        }
    }
}

/// Records the time each `period` sleep ends, `count` times, after a first mark at the start.
async fn tick<R: Rt>(period: Duration, count: usize) -> Vec<Instant> {
    let mut times = Vec::with_capacity(count + 1);
    times.push(Instant::now());
    for _ in 0..count {
        R::sleep(period).await;
        times.push(Instant::now());
    }
    times
}

/// Blocks the calling thread for `total` in 100 ms steps or less (a loop of `thread::sleep`, as
/// a task stuck in synchronous calls would).
fn block_for(total: Duration) {
    let until = Instant::now() + total;
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        if left.is_zero() {
            break;
        }
        thread::sleep(left.min(Duration::from_millis(100)));
    }
}

/// What [`one_worker_blocked`] measured.
#[derive(Debug, Clone, Copy)]
pub struct OneBlocked {
    /// The 100 ms ticker.
    pub ticker: Gaps,
    /// The reader of the socket fed every 100 ms.
    pub reader: Gaps,
}

/// A 100 ms ticker (15 sleeps) and a Unix-socket reader fed one byte every 100 ms by a plain
/// thread; 250 ms in, a task woken by a timer blocks its worker for 1 s. A runtime that leaves
/// its driver with the blocked worker shows gaps of about 1 s in both.
pub fn one_worker_blocked<R: UnixRt>(rt: &R) -> std::io::Result<OneBlocked> {
    let (reader, writer) = std::os::unix::net::UnixStream::pair()?;
    let task_rt = rt.clone();
    let (ticks, reads) = rt.block_on(async move {
        let mut reader = R::unix_from_std(reader)?;
        let ticker = task_rt.spawn(tick::<R>(Duration::from_millis(100), 15));
        let feeder = thread::spawn(move || {
            let mut writer = writer;
            for _ in 0..15 {
                thread::sleep(Duration::from_millis(100));
                if writer.write_all(b"x").is_err() {
                    break;
                }
            }
        });
        let reads = task_rt.spawn(async move {
            let mut times = Vec::new();
            let mut byte = [0u8; 1];
            while let Ok(1) = R::read_unix(&mut reader, &mut byte).await {
                times.push(Instant::now());
            }
            times
        });
        let blocker = task_rt.spawn(async {
            R::sleep(Duration::from_millis(250)).await;
            thread::sleep(Duration::from_secs(1));
        });
        blocker.await;
        let ticks = ticker.await;
        feeder.join().expect("the feeder thread panicked");
        std::io::Result::Ok((ticks, reads.await))
    })?;
    Ok(OneBlocked {
        ticker: Gaps::of(&ticks),
        reader: Gaps::of(&reads),
    })
}

/// What [`lifo_child`] measured.
#[derive(Debug, Clone, Copy)]
pub struct LifoChild {
    /// From the child's spawn to its first poll.
    pub child_wait: Duration,
    /// The 100 ms ticker that ran meanwhile.
    pub ticker: Gaps,
}

/// A task spawns a child, which goes to its worker's LIFO slot, and then blocks that worker
/// for 2 s (a loop of `thread::sleep`); a 100 ms ticker runs meanwhile. Reports how long the
/// child waited for its first poll: the whole 2 s where nothing else may take the slot.
pub fn lifo_child<R: Rt>(rt: &R) -> LifoChild {
    let task_rt = rt.clone();
    let (child_wait, ticks) = rt.block_on(async move {
        let ticker = task_rt.spawn(tick::<R>(Duration::from_millis(100), 25));
        R::sleep(Duration::from_millis(150)).await;
        let parent_rt = task_rt.clone();
        let parent = task_rt.spawn(async move {
            let spawned = Instant::now();
            let child = parent_rt.spawn(async move { spawned.elapsed() });
            block_for(Duration::from_secs(2));
            child.await
        });
        let child_wait = parent.await;
        (child_wait, ticker.await)
    });
    LifoChild {
        child_wait,
        ticker: Gaps::of(&ticks),
    }
}

/// What [`all_workers_blocked`] measured.
#[derive(Debug, Clone, Copy)]
pub struct AllBlocked {
    /// The 20 ms ticker.
    pub ticker: Gaps,
    /// The most blockers that were blocking at the same moment (the worker count when every
    /// worker took one).
    pub at_once: usize,
    /// How many distinct threads ran a blocker.
    pub threads: usize,
}

/// One blocker per worker, each blocking its thread for 1 s, while a 20 ms ticker runs until
/// they are done.
///
/// Before blocking, each blocker writes down the thread that polls it and yields (so it holds
/// no worker) until every blocker has been seen on a thread of its own; only then, at its next
/// poll, does it block. Two blockers that start on one worker therefore wait until a free
/// worker takes one of them. After a second without that, they block wherever they are, and
/// [`AllBlocked::at_once`] says how many workers really were blocked at the same moment.
pub fn all_workers_blocked<R: Rt>(rt: &R) -> AllBlocked {
    let workers = rt.worker_threads();
    let task_rt = rt.clone();
    let seen_on = Arc::new(Mutex::new(vec![None; workers]));
    let blocking = Arc::new(AtomicUsize::new(0));
    let at_once = Arc::new(AtomicUsize::new(0));
    let threads = Arc::new(Mutex::new(HashSet::new()));
    let done = Arc::new(AtomicBool::new(false));
    let (at_once2, threads2) = (at_once.clone(), threads.clone());
    let ticks = rt.block_on(async move {
        let ticker_done = done.clone();
        let ticker = task_rt.spawn(async move {
            let mut times = vec![Instant::now()];
            while !ticker_done.load(SeqCst) {
                R::sleep(Duration::from_millis(20)).await;
                times.push(Instant::now());
            }
            times
        });
        R::sleep(Duration::from_millis(250)).await;
        let blockers: Vec<_> = (0..workers)
            .map(|index| {
                let (seen_on, blocking) = (seen_on.clone(), blocking.clone());
                let (at_once, threads) = (at_once2.clone(), threads2.clone());
                task_rt.spawn(async move {
                    let deadline = Instant::now() + Duration::from_secs(1);
                    while Instant::now() < deadline {
                        let spread = {
                            let mut seen = seen_on.lock().expect("no holder panics");
                            seen[index] = Some(thread::current().id());
                            seen.iter().flatten().collect::<HashSet<_>>().len() == workers
                        };
                        if spread {
                            break;
                        }
                        R::yield_now().await;
                    }
                    threads
                        .lock()
                        .expect("no holder panics")
                        .insert(thread::current().id());
                    at_once.fetch_max(blocking.fetch_add(1, SeqCst) + 1, SeqCst);
                    thread::sleep(Duration::from_secs(1));
                    blocking.fetch_sub(1, SeqCst);
                })
            })
            .collect();
        for blocker in blockers {
            blocker.await;
        }
        R::sleep(Duration::from_millis(100)).await;
        done.store(true, SeqCst);
        ticker.await
    });
    let threads = threads.lock().expect("no holder panics").len();
    AllBlocked {
        ticker: Gaps::of(&ticks),
        at_once: at_once.load(SeqCst),
        threads,
    }
}
