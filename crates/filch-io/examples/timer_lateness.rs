//! How late does a timer fire on an idle runtime?
//!
//! Sleeps for a series of pseudo-random durations, one at a time, on an otherwise idle
//! runtime, and reports how long after each deadline the sleeping task actually resumed
//! (p50, p99, max). Then does the same with 1000 timers in flight at once.
//!
//! ```text
//! cargo run --release -p filch-io --example timer_lateness
//! ```
//!
//! This is a measurement, not a test: the figures depend on the machine and its load. The
//! wheel's resolution is 1 ms and deadlines are rounded up to it, so expect lateness in
//! `0..~1.1 ms` on an idle machine.

use std::time::Duration;

use filch_executor::runtime::Builder;
use filch_io::time::{sleep_until, Instant};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index]
}

fn report(label: &str, mut lateness: Vec<Duration>) {
    lateness.sort();
    println!(
        "{label}: n={} p50={:?} p99={:?} max={:?} min={:?}",
        lateness.len(),
        percentile(&lateness, 0.50),
        percentile(&lateness, 0.99),
        lateness[lateness.len() - 1],
        lateness[0],
    );
}

fn main() -> std::io::Result<()> {
    let samples: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(500);
    let rt = Builder::new()
        .worker_threads(2)
        .driver(filch_io::new_driver)
        .build()?;

    // One timer at a time: the worker is blocked in the poller with the timer's deadline as
    // its timeout.
    let sequential = rt.block_on(async {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut lateness = Vec::new();
        for _ in 0..samples {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let micros = 500 + state % 9_500; // 0.5 ms to 10 ms
            let deadline = Instant::now() + Duration::from_micros(micros);
            // Run the sleep in a spawned task so it is woken on a worker, like real code.
            let woke = filch_executor::spawn(async move {
                sleep_until(deadline).await;
                Instant::now()
            })
            .await
            .expect("sleep task");
            lateness.push(woke - deadline);
        }
        lateness
    });
    report("one timer at a time", sequential);

    // 1000 timers in flight, deadlines spread over 200 ms.
    let concurrent = rt.block_on(async {
        let start = Instant::now() + Duration::from_millis(5);
        let tasks: Vec<_> = (0..1000u64)
            .map(|i| {
                let deadline = start + Duration::from_micros(i * 200 + (i * 7919) % 200);
                filch_executor::spawn(async move {
                    sleep_until(deadline).await;
                    Instant::now() - deadline
                })
            })
            .collect();
        let mut lateness = Vec::new();
        for task in tasks {
            lateness.push(task.await.expect("sleep task"));
        }
        lateness
    });
    report("1000 timers in flight", concurrent);
    Ok(())
}
