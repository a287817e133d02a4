//! End-to-end stress of the readiness hand-off through the real reactor.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{guard, runtime};
use filch_executor::spawn;
use filch_io::net::UnixStream;
use filch_io::time::{sleep, timeout};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

/// Two tasks on different workers bounce a byte back and forth many times. Each side's read
/// finds the socket empty, clears its readiness and waits, while the other side may already
/// be sending the reply: the exact window where an event can arrive during re-arming. A lost
/// wake-up stalls the exchange, which the (generous) timeout turns into a failure instead of a
/// hang.
#[test]
fn ping_pong_never_loses_a_wakeup() {
    guard(move || {
        let rounds = if cfg!(debug_assertions) {
            20_000
        } else {
            100_000
        };
        let rt = runtime(2);
        rt.block_on(async {
            let pairs: Vec<_> = (0..4).map(|_| UnixStream::pair().unwrap()).collect();
            let mut tasks = Vec::new();
            for (mut a, mut b) in pairs {
                tasks.push(spawn(async move {
                    let mut byte = [0u8; 1];
                    for i in 0..rounds {
                        b.read_exact(&mut byte).await?;
                        assert_eq!(byte[0], i as u8);
                        b.write_all(&byte).await?;
                    }
                    std::io::Result::Ok(())
                }));
                tasks.push(spawn(async move {
                    let mut byte = [0u8; 1];
                    for i in 0..rounds {
                        a.write_all(&[i as u8]).await?;
                        a.read_exact(&mut byte).await?;
                        assert_eq!(byte[0], i as u8);
                    }
                    std::io::Result::Ok(())
                }));
            }
            for task in tasks {
                timeout(Duration::from_secs(120), task)
                    .await
                    .expect("ping-pong stalled: a wake-up was lost")
                    .unwrap()
                    .unwrap();
            }
        });
    })
}

/// A timer fires even while the only worker never goes idle: busy workers poll the driver
/// every few scheduler ticks. The busy task yields at most a fixed number of times (a count,
/// not a duration) waiting for the timer's task to run.
#[test]
fn timer_fires_while_the_only_worker_is_busy() {
    guard(move || {
        let rt = runtime(1);
        rt.block_on(async {
            let fired = Arc::new(AtomicBool::new(false));
            let timer = {
                let fired = fired.clone();
                spawn(async move {
                    sleep(Duration::from_millis(5)).await;
                    fired.store(true, Ordering::SeqCst);
                })
            };
            let busy = {
                let fired = fired.clone();
                spawn(async move {
                    for yields in 0..50_000_000u64 {
                        if fired.load(Ordering::SeqCst) {
                            return Some(yields);
                        }
                        filch_executor::task::yield_now().await;
                    }
                    None
                })
            };
            assert!(
                busy.await.unwrap().is_some(),
                "the timer never fired while the worker was busy"
            );
            timer.await.unwrap();
        });
    })
}
