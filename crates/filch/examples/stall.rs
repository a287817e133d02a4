//! What a task that blocks its worker costs the rest of the runtime.
//!
//! ```text
//! cargo run --release -p filch --example stall -- [--workers N]
//! ```
//!
//! Three scenarios, each on a fresh runtime with `N` workers (default 2):
//!
//! * **a. one worker blocked**: a ticker sleeps 100 ms fifteen times and a task reads a Unix
//!   socket that a plain thread writes to every 100 ms. 250 ms in, a task calls
//!   `std::thread::sleep(1 s)`. Neither the ticker nor the reader should notice.
//! * **b. tokio-rs/tokio#4730**: a task spawns a child, which waits in its worker's LIFO slot,
//!   and then blocks that worker for 2 s. The child should start within a few periods of the
//!   runtime's monitor (10 ms each) rather than after the 2 s.
//! * **c. all workers blocked**: one task per worker blocks for 1 s, all at the same time (they
//!   first make sure they sit on distinct workers), while a 20 ms ticker runs. Once every
//!   worker has been stuck for the stall threshold (100 ms unless `FILCH_STALL_THRESHOLD_MS`
//!   says otherwise) filch starts compensating workers, so the ticker's longest gap should
//!   stay under about twice the threshold.
//!
//! filch prints one warning per stuck task on standard error, with the line that spawned it.
//! The side-by-side comparison with tokio is `cargo run --release -p filch-benches --bin stall`.

use std::collections::HashSet;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use filch::io::AsyncReadExt;
use filch::runtime::{Builder, Runtime};

fn main() {
    let workers = match parse_workers() {
        Ok(n) => n,
        Err(message) => {
            eprintln!("{message}\nusage: stall [--workers N]");
            std::process::exit(2);
        }
    };
    println!("filch, {workers} workers");

    println!("\na. one worker blocked: a task blocks its worker for 1 s at 250 ms");
    let (a_ticker, a_reader) = one_worker_blocked(workers);

    println!("\nb. tokio-rs/tokio#4730: a task spawns a child, then blocks its worker for 2 s");
    let (b_wait, b_ticker) = lifo_child(workers);
    println!("   the child waited {} to start", ms(b_wait));

    println!("\nc. all workers blocked: {workers} tasks block for 1 s each, at the same time");
    let (c_ticker, c_at_once, c_threads) = all_workers_blocked(workers);
    println!("   {c_at_once} of {workers} blocked at once, on {c_threads} distinct threads");

    println!();
    println!("| scenario               | task                 | max gap | p50 gap | p99 gap |");
    println!("|------------------------|----------------------|---------|---------|---------|");
    let rows = [
        ("a. one worker blocked", "ticker (100 ms)", a_ticker),
        ("a. one worker blocked", "socket reader", a_reader),
        ("b. tokio-rs/tokio#4730", "ticker (100 ms)", b_ticker),
        ("c. all workers blocked", "ticker (20 ms)", c_ticker),
    ];
    for (scenario, task, gaps) in rows {
        println!(
            "| {scenario:<22} | {task:<20} | {:>7} | {:>7} | {:>7} |",
            ms(gaps.max),
            ms(gaps.p50),
            ms(gaps.p99)
        );
    }

    println!();
    println!(
        "a. one worker blocked:  ticker max gap {}, reader max gap {} (a stalled driver: ~1050 ms)",
        ms(a_ticker.max),
        ms(a_reader.max)
    );
    println!(
        "b. tokio-rs/tokio#4730: child started after {}, ticker max gap {} (a stuck LIFO slot: 2000 ms)",
        ms(b_wait),
        ms(b_ticker.max)
    );
    println!(
        "c. all workers blocked: ticker max gap {} with {c_at_once} of {workers} workers blocked (no compensation: ~1000 ms)",
        ms(c_ticker.max)
    );
}

fn parse_workers() -> Result<usize, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => Ok(2),
        [flag, n] if flag == "--workers" => match n.parse() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("--workers takes a positive number, not {n:?}")),
        },
        _ => Err(format!("unexpected arguments {args:?}")),
    }
}

fn runtime(workers: usize) -> Runtime {
    Builder::new()
        .worker_threads(workers)
        .build()
        .expect("the runtime starts")
}

/// a. A 100 ms ticker and a socket reader, while a timer-woken task blocks its worker for 1 s.
fn one_worker_blocked(workers: usize) -> (Gaps, Gaps) {
    let rt = runtime(workers);
    let (ticks, reads) = rt.block_on(async {
        let ticker = filch::spawn(tick(Duration::from_millis(100), 15));

        let (reader, writer) = std::os::unix::net::UnixStream::pair().expect("a socket pair");
        let mut reader = filch::net::UnixStream::from_std(reader).expect("registered");
        let feeder = thread::spawn(move || {
            let mut writer = writer;
            for _ in 0..15 {
                thread::sleep(Duration::from_millis(100));
                if writer.write_all(b"x").is_err() {
                    break;
                }
            }
        });
        let reads = filch::spawn(async move {
            let mut times = Vec::new();
            let mut byte = [0u8; 1];
            while let Ok(1) = reader.read(&mut byte).await {
                times.push(Instant::now());
            }
            times
        });

        // The mistake: a blocking call inside a task. A timer wakes it, so it runs on the
        // worker that was waiting in the driver a moment before.
        let blocker = filch::spawn(async {
            filch::time::sleep(Duration::from_millis(250)).await;
            thread::sleep(Duration::from_secs(1));
        });
        blocker.await.unwrap();

        let ticks = ticker.await.unwrap();
        feeder.join().unwrap();
        (ticks, reads.await.unwrap())
    });
    let gaps: Vec<String> = ticks
        .windows(2)
        .map(|w| format!("{:.0}", (w[1] - w[0]).as_secs_f64() * 1000.0))
        .collect();
    println!("   ticker gaps (ms): {}", gaps.join(" "));
    println!("   reader got {} bytes", reads.len());
    (Gaps::of(&ticks), Gaps::of(&reads))
}

/// b. A child waiting in the LIFO slot of a worker that then blocks for 2 s.
fn lifo_child(workers: usize) -> (Duration, Gaps) {
    let rt = runtime(workers);
    rt.block_on(async {
        let ticker = filch::spawn(tick(Duration::from_millis(100), 25));
        filch::time::sleep(Duration::from_millis(150)).await;
        let parent = filch::spawn(async {
            let spawned = Instant::now();
            // Spawned from a worker, the child goes to that worker's LIFO slot...
            let child = filch::spawn(async move { spawned.elapsed() });
            // ...and the worker then blocks, in a loop of short sleeps.
            for _ in 0..20 {
                thread::sleep(Duration::from_millis(100));
            }
            child.await.unwrap()
        });
        let waited = parent.await.unwrap();
        (waited, Gaps::of(&ticker.await.unwrap()))
    })
}

/// c. One blocker per worker, all blocking at once, while a 20 ms ticker runs. Returns the
/// ticker's gaps, how many blockers blocked at the same moment and on how many threads.
fn all_workers_blocked(workers: usize) -> (Gaps, usize, usize) {
    let rt = runtime(workers);
    let seen_on: Arc<Mutex<Vec<Option<String>>>> = Arc::new(Mutex::new(vec![None; workers]));
    let blocking = Arc::new(AtomicUsize::new(0));
    let at_once = Arc::new(AtomicUsize::new(0));
    let threads = Arc::new(Mutex::new(HashSet::new()));
    let done = Arc::new(AtomicBool::new(false));
    let ticks = rt.block_on(async {
        let ticker_done = done.clone();
        let ticker = filch::spawn(async move {
            let mut times = vec![Instant::now()];
            while !ticker_done.load(SeqCst) {
                filch::time::sleep(Duration::from_millis(20)).await;
                times.push(Instant::now());
            }
            times
        });
        filch::time::sleep(Duration::from_millis(250)).await;
        let mut blockers = Vec::new();
        for index in 0..workers {
            let (seen_on, blocking) = (seen_on.clone(), blocking.clone());
            let (at_once, threads) = (at_once.clone(), threads.clone());
            blockers.push(filch::spawn(async move {
                // Make sure every worker gets one: write down the thread that polls this
                // blocker, and yield (holding no worker) until each blocker has been seen on a
                // thread of its own. Two that start on one worker wait for a free worker to take
                // one of them over. After a second, block wherever we are.
                let deadline = Instant::now() + Duration::from_secs(1);
                while Instant::now() < deadline {
                    let spread = {
                        let mut seen = seen_on.lock().unwrap();
                        seen[index] = thread::current().name().map(String::from);
                        seen.iter().flatten().collect::<HashSet<_>>().len() == workers
                    };
                    if spread {
                        break;
                    }
                    filch::task::yield_now().await;
                }
                let name = thread::current().name().unwrap_or("?").to_string();
                threads.lock().unwrap().insert(name);
                at_once.fetch_max(blocking.fetch_add(1, SeqCst) + 1, SeqCst);
                thread::sleep(Duration::from_secs(1));
                blocking.fetch_sub(1, SeqCst);
            }));
        }
        for blocker in blockers {
            blocker.await.unwrap();
        }
        filch::time::sleep(Duration::from_millis(100)).await;
        done.store(true, SeqCst);
        ticker.await.unwrap()
    });
    let threads = threads.lock().unwrap().len();
    (Gaps::of(&ticks), at_once.load(SeqCst), threads)
}

/// Sleeps `period` `count` times and returns the start and the end of every sleep.
async fn tick(period: Duration, count: usize) -> Vec<Instant> {
    let mut times = vec![Instant::now()];
    for _ in 0..count {
        filch::time::sleep(period).await;
        times.push(Instant::now());
    }
    times
}

/// The longest, median and 99th-percentile gap between consecutive times.
#[derive(Clone, Copy)]
struct Gaps {
    max: Duration,
    p50: Duration,
    p99: Duration,
}

impl Gaps {
    fn of(times: &[Instant]) -> Gaps {
        let mut gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
        gaps.sort();
        // Nearest rank: the smallest gap with at least q of all gaps at or below it.
        let at = |q: f64| {
            let rank = (q * gaps.len() as f64).ceil() as usize;
            gaps.get(rank.clamp(1, gaps.len().max(1)) - 1)
                .copied()
                .unwrap_or_default()
        };
        Gaps {
            max: gaps.last().copied().unwrap_or_default(),
            p50: at(0.5),
            p99: at(0.99),
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}
