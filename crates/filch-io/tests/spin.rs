//! An idle runtime sleeps: its threads block in the OS poller or on a condition variable
//! instead of polling in a loop.
//!
//! What is measured is the CPU time of the whole process (all threads) over an idle stretch of
//! wall time, so this file holds a single test: another test running beside it in the same
//! process would be counted too. CPU time counts only what this process ran, so a loaded
//! machine does not raise it; a thread that spins gets a whole CPU, or at least its share of
//! one, which is far above the bound.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{guard, process_cpu_time, runtime};
use filch_io::net::UnixStream;
use filch_io::time::sleep;
use futures_lite::{AsyncReadExt, AsyncWriteExt};

/// How long the idle stretch lasts.
const IDLE: Duration = Duration::from_millis(500);

/// CPU time used over [`IDLE`] of wall time while nothing is ready, as a fraction of it.
fn idle_cpu_share() -> f64 {
    // Let the workers finish what they were doing and go to sleep.
    std::thread::sleep(Duration::from_millis(100));
    let (cpu, wall) = (process_cpu_time(), Instant::now());
    std::thread::sleep(IDLE);
    let (cpu, wall) = (process_cpu_time() - cpu, wall.elapsed());
    cpu.as_secs_f64() / wall.as_secs_f64()
}

/// Three threads park on one driver in a loop, the way workers do (a return with nothing to do
/// is followed by another park), two without a timeout and one with a far one: one blocks in
/// the OS poller, the others wait beside it for their turn. None may return over and over
/// (which is what the driver's unit test `unpark_is_sticky_and_second_parker_does_not_spin`
/// cannot see); then `unpark` lets them out.
fn second_parker_waits_beside_the_poller() {
    let driver = filch_io::new_driver().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let returns = Arc::new(AtomicUsize::new(0));
    let parkers: Vec<_> = [None, None, Some(Duration::from_secs(3600))]
        .into_iter()
        .map(|timeout| {
            let (driver, stop, returns) = (driver.clone(), stop.clone(), returns.clone());
            std::thread::spawn(move || {
                while !stop.load(SeqCst) {
                    driver.park(timeout);
                    returns.fetch_add(1, SeqCst);
                }
            })
        })
        .collect();
    let share = idle_cpu_share();
    assert!(
        parkers.iter().all(|p| !p.is_finished()),
        "a parker stopped early"
    );
    assert!(
        share < 0.05,
        "three threads parked on an idle driver used {:.0}% of a CPU over {IDLE:?} (park \
         returned {} times)",
        share * 100.0,
        returns.load(SeqCst)
    );
    stop.store(true, SeqCst);
    // Until all are out: a parker between its check of `stop` and its next park would miss a
    // single unpark.
    while !parkers.iter().all(|p| p.is_finished()) {
        driver.unpark();
        std::thread::sleep(Duration::from_millis(1));
    }
    for parker in parkers {
        parker.join().unwrap();
    }
}

/// Four workers with nothing to do (one blocks in the OS poller, the others sleep in the
/// executor), then the same with a task waiting on a socket and another on a far timer, then
/// bare parkers on a driver (see [`second_parker_waits_beside_the_poller`]): each uses less
/// than 5% of the wall time in CPU. Measured idle, they use about 0.01%; a thread that polls in
/// a loop uses a whole CPU, or on a loaded machine at least its share of one (35-45% when
/// this was checked by making the poller wait with a zero timeout).
#[test]
fn idle_runtime_and_parked_driver_do_not_spin() {
    guard(move || {
        let rt = runtime(4);
        // Start the workers and the driver.
        rt.block_on(async { sleep(Duration::from_millis(1)).await });
        let share = idle_cpu_share();
        assert!(
            share < 0.05,
            "an idle runtime used {:.0}% of a CPU over {IDLE:?}",
            share * 100.0
        );

        let (mut reader, writer) = rt.block_on(async { UnixStream::pair() }).unwrap();
        let read = rt.spawn(async move {
            let mut byte = [0u8; 1];
            reader.read_exact(&mut byte).await.map(|()| byte[0])
        });
        let timer = rt.spawn(async { sleep(Duration::from_secs(3600)).await });
        let share = idle_cpu_share();
        assert!(
            share < 0.05,
            "a runtime waiting on a socket and a timer used {:.0}% of a CPU over {IDLE:?}",
            share * 100.0
        );

        // The waits were real: the reader still gets its byte.
        rt.block_on(async move {
            let mut writer = writer;
            writer.write_all(b"k").await.unwrap();
            assert_eq!(read.await.unwrap().unwrap(), b'k');
        });
        timer.abort();
        drop(rt);

        second_parker_waits_beside_the_poller();
    })
}
