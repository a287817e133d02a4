//! A small live view of a running runtime, like `top`: `Handle::metrics()` and `Handle::dump()`.
//!
//! ```text
//! cargo run --release -p filch --example top -- [--secs N] [--workers N]
//! ```
//!
//! Runs a mixed load for N seconds (default 4): tasks that compute in slices and yield, pairs of
//! tasks passing messages, timers, blocking work, and one "hog" that now and then blocks its
//! worker for 5 ms. Every second it prints a line per worker (busy %, queue depth, polls/s,
//! steals/s), a line for the runtime (alive tasks, global queue, blocking pool, slow polls) and
//! the five tasks with the most poll time. On a terminal the view is redrawn in place; when
//! stdout is not a terminal (a pipe, a file) it prints plain lines, one block per second.
//! `docs/observability.md` explains how to read the figures.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use filch::runtime::{Builder, RuntimeMetrics};

fn main() {
    let (secs, workers) = match parse_args() {
        Ok(v) => v,
        Err(message) => {
            eprintln!("{message}\nusage: top [--secs N] [--workers N]");
            std::process::exit(2);
        }
    };
    let slow_polls = Arc::new(AtomicU64::new(0));
    let slow = slow_polls.clone();
    let rt = Builder::new()
        .worker_threads(workers)
        // Times every poll: the dump's poll times and a measured mean poll time.
        .enable_metrics_poll_time_histogram()
        .slow_poll_threshold(Duration::from_millis(4))
        .on_slow_poll(move |_| {
            slow.fetch_add(1, Relaxed);
        })
        .build()
        .unwrap_or_else(|e| {
            eprintln!("top: cannot build the runtime: {e}");
            std::process::exit(1);
        });
    let stop = Arc::new(AtomicBool::new(false));
    start_load(&rt, &stop, workers);

    let metrics = rt.handle().metrics();
    let terminal = std::io::stdout().is_terminal();
    let mut prev = Sample::take(&metrics);
    for second in 1..=secs {
        std::thread::sleep(Duration::from_secs(1));
        let now = Sample::take(&metrics);
        let mut out = String::new();
        if terminal {
            // Clear the screen and go home: redraw in place.
            out.push_str("\x1b[2J\x1b[H");
        }
        render(&mut out, second, &metrics, &prev, &now, &rt, &slow_polls);
        let mut stdout = std::io::stdout().lock();
        // A closed pipe (`top | head`) ends the view quietly.
        if stdout.write_all(out.as_bytes()).is_err() || stdout.flush().is_err() {
            break;
        }
        prev = now;
    }
    stop.store(true, Relaxed);
    rt.shutdown_timeout(Duration::from_secs(1));
}

/// What one look at the figures saw.
struct Sample {
    at: Instant,
    busy: Vec<Duration>,
    polls: Vec<u64>,
    steals: Vec<u64>,
}

impl Sample {
    fn take(m: &RuntimeMetrics) -> Sample {
        let n = m.num_workers();
        Sample {
            at: Instant::now(),
            busy: (0..n).map(|w| m.worker_total_busy_duration(w)).collect(),
            polls: (0..n).map(|w| m.worker_poll_count(w)).collect(),
            steals: (0..n).map(|w| m.worker_steal_count(w)).collect(),
        }
    }
}

fn render(
    out: &mut String,
    second: u64,
    m: &RuntimeMetrics,
    prev: &Sample,
    now: &Sample,
    rt: &filch::runtime::Runtime,
    slow_polls: &AtomicU64,
) {
    use std::fmt::Write as _;
    let dt = now.at.duration_since(prev.at).as_secs_f64();
    let _ = writeln!(out, "filch top — second {second}");
    let _ = writeln!(
        out,
        "{:>6} {:>7} {:>7} {:>10} {:>9} {:>11}",
        "worker", "busy%", "queue", "polls/s", "steals/s", "mean poll"
    );
    for w in 0..m.num_workers() {
        let busy = (now.busy[w].saturating_sub(prev.busy[w])).as_secs_f64() / dt * 100.0;
        let _ = writeln!(
            out,
            "{:>6} {:>6.1}% {:>7} {:>10.0} {:>9.0} {:>9.1}µs",
            w,
            busy.min(100.0),
            m.worker_local_queue_depth(w),
            (now.polls[w] - prev.polls[w]) as f64 / dt,
            (now.steals[w] - prev.steals[w]) as f64 / dt,
            m.worker_mean_poll_time(w).as_secs_f64() * 1e6,
        );
    }
    let _ = writeln!(
        out,
        "tasks alive {}  spawned {}  global queue {}  blocking threads {} (idle {}, queued {})  \
         timers {}  forced yields {}  slow polls {}",
        m.num_alive_tasks(),
        m.spawned_tasks_count(),
        m.global_queue_depth(),
        m.num_blocking_threads(),
        m.num_idle_blocking_threads(),
        m.blocking_queue_depth(),
        m.num_active_timers(),
        m.budget_forced_yield_count(),
        slow_polls.load(Relaxed),
    );
    let dump = rt.handle().dump();
    let mut tasks: Vec<_> = dump.tasks().to_vec();
    tasks.sort_by_key(|t| std::cmp::Reverse(t.total_poll_time()));
    let _ = writeln!(out, "top tasks by poll time:");
    for t in tasks.iter().take(5) {
        let _ = writeln!(
            out,
            "  task {:>5}  {:>9.1} ms in {:>7} polls  {:<22} {}",
            t.id().to_string(),
            t.total_poll_time().as_secs_f64() * 1000.0,
            t.polls(),
            t.state().to_string(),
            t.location()
        );
    }
    out.push('\n');
}

/// The load: something for every figure to show.
fn start_load(rt: &filch::runtime::Runtime, stop: &Arc<AtomicBool>, workers: usize) {
    // Compute in 200 µs slices, yielding between them.
    for _ in 0..workers {
        let stop = stop.clone();
        rt.spawn(async move {
            while !stop.load(Relaxed) {
                spin(Duration::from_micros(200));
                filch::task::yield_now().await;
            }
        });
    }
    // Ping-pong pairs.
    for _ in 0..4 {
        let stop = stop.clone();
        rt.spawn(async move {
            let (ping_tx, mut ping_rx) = filch::sync::mpsc::channel::<u64>(16);
            let (pong_tx, mut pong_rx) = filch::sync::mpsc::channel::<u64>(16);
            filch::spawn(async move {
                while let Some(n) = ping_rx.recv().await {
                    if pong_tx.send(n + 1).await.is_err() {
                        break;
                    }
                }
            });
            let mut n = 0;
            while !stop.load(Relaxed) {
                if ping_tx.send(n).await.is_err() {
                    break;
                }
                match pong_rx.recv().await {
                    Some(m) => n = m,
                    None => break,
                }
                if n % 64 == 0 {
                    filch::time::sleep(Duration::from_micros(500)).await;
                }
            }
        });
    }
    // Timers, and blocking work now and then.
    for i in 0..32u64 {
        let stop = stop.clone();
        rt.spawn(async move {
            while !stop.load(Relaxed) {
                filch::time::sleep(Duration::from_millis(5 + i % 10)).await;
                if i % 8 == 0 {
                    let _ = filch::task::spawn_blocking(|| {
                        std::thread::sleep(Duration::from_millis(3))
                    })
                    .await;
                }
            }
        });
    }
    // The hog: blocks its worker for 5 ms every 50 ms.
    let stop = stop.clone();
    rt.spawn(async move {
        while !stop.load(Relaxed) {
            std::thread::sleep(Duration::from_millis(5));
            filch::time::sleep(Duration::from_millis(50)).await;
        }
    });
}

fn spin(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

fn parse_args() -> Result<(u64, usize), String> {
    let mut secs = 4;
    let mut workers = 2;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            let v = args.next().ok_or_else(|| format!("{name} needs a value"))?;
            match v.parse::<u64>() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err(format!(
                    "{name} {v:?}: expected a whole number of at least 1"
                )),
            }
        };
        match arg.as_str() {
            "--secs" => secs = value("--secs")?,
            "--workers" => workers = value("--workers")? as usize,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok((secs, workers))
}
