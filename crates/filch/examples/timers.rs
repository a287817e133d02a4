//! A tour of `filch::time`: `sleep`, `sleep_until`, `timeout` and `interval`.
//!
//! ```text
//! cargo run -p filch --example timers
//! ```

use filch::time::{Duration, Instant};

use filch::time::{interval, sleep, sleep_until, timeout};

#[filch::main]
async fn main() {
    let start = Instant::now();
    let elapsed = || format!("{:>5.0} ms", start.elapsed().as_secs_f64() * 1000.0);

    // A sleep never completes before its deadline.
    sleep(Duration::from_millis(50)).await;
    println!("{}  slept 50 ms", elapsed());

    // The same with an absolute deadline.
    sleep_until(start + Duration::from_millis(100)).await;
    println!("{}  woke at the 100 ms mark", elapsed());

    // `timeout` gives up on a future that takes too long, and drops it.
    let slow = sleep(Duration::from_secs(10));
    match timeout(Duration::from_millis(30), slow).await {
        Ok(()) => println!("{}  the slow sleep finished (unexpected)", elapsed()),
        Err(elapsed_error) => println!("{}  timeout: {elapsed_error}", elapsed()),
    }

    // A future that finishes in time gives its output back.
    let quick = async { 6 * 7 };
    let answer = timeout(Duration::from_millis(30), quick).await;
    println!(
        "{}  timeout let a quick future finish: {answer:?}",
        elapsed()
    );

    // Sleeps in many tasks run concurrently: ten tasks sleeping 100 ms take ~100 ms, not 1 s.
    let before = Instant::now();
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            filch::spawn(async move {
                sleep(Duration::from_millis(100)).await;
                i
            })
        })
        .collect();
    let mut sum = 0;
    for task in tasks {
        sum += task.await.expect("the sleeping task panicked");
    }
    println!(
        "{}  ten concurrent 100 ms sleeps took {:.0} ms (sum of ids {sum})",
        elapsed(),
        before.elapsed().as_secs_f64() * 1000.0
    );

    // An interval ticks at a fixed period; the first tick completes at once.
    let mut ticker = interval(Duration::from_millis(20));
    for n in 0..5 {
        ticker.tick().await;
        println!("{}  tick {n}", elapsed());
    }
}
