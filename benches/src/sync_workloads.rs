//! The `filch::sync` workloads (issue 9), each written once over [`SyncRt`] /
//! [`BroadcastRt`], so that every runtime runs the same code with its own primitives.
//!
//! Every workload spawns all of its tasks and only joins them from [`Rt::block_on`](crate::rt::Rt::block_on); it takes
//! its size `n` as an argument (the `compare` binary passes the `*_N` constants, the tests
//! something small) and reports in [`Run::completed`] what its tasks counted, never `n` itself:
//!
//! | workload | `n` | `completed` |
//! |---|---|---|
//! | `mpsc bounded(128) 1 producer` and the other three mpsc rows | messages in all | messages received |
//! | `oneshot ping-pong` | round trips | messages received (two per round trip) |
//! | `Mutex contended (8 tasks)` | increments per task | the mutex's final value |
//! | `Semaphore acquire/release` | acquisitions per task | acquisitions made |
//! | `broadcast fan-out to 16 receivers` | messages sent | messages received, all receivers |

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::rt::{BroadcastRt, SyncRt};
use crate::workloads::Run;

/// Messages through each mpsc workload, over all producers.
pub const MPSC_N: usize = 100_000;
/// Round trips in [`oneshot_ping_pong`].
pub const ONESHOT_N: usize = 10_000;
/// Increments per task in [`mutex_contended`].
pub const MUTEX_N: usize = 10_000;
/// Acquisitions per task in [`semaphore`].
pub const SEMAPHORE_N: usize = 10_000;
/// Messages sent in [`broadcast_fan_out`].
pub const BROADCAST_N: usize = 10_000;

/// Capacity of the bounded mpsc channels.
pub const MPSC_CAPACITY: usize = 128;
/// Producers in the multi-producer mpsc workloads.
pub const PRODUCERS: usize = 8;
/// Tasks contending in [`mutex_contended`] and [`semaphore`].
pub const CONTENDERS: usize = 8;
/// Permits of the semaphore in [`semaphore`].
pub const PERMITS: usize = 4;
/// Receivers in [`broadcast_fan_out`].
pub const RECEIVERS: usize = 16;
/// Capacity of the broadcast channel in [`broadcast_fan_out`].
pub const BROADCAST_CAPACITY: usize = 1024;
/// One lock (or permit) in this many is held across a yield.
pub const YIELD_EVERY: usize = 16;

/// A sync workload: runs once with size `n` and reports what it did.
pub type SyncWorkload<R> = fn(&R, usize) -> Run;

/// The workloads every [`SyncRt`] runs, with the `n` the `compare` binary uses, in table order.
pub fn sync_workloads<R: SyncRt>() -> Vec<(&'static str, SyncWorkload<R>, usize)> {
    vec![
        (
            "mpsc bounded(128) 1 producer",
            |rt, n| mpsc_bounded::<R>(rt, 1, n),
            MPSC_N,
        ),
        (
            "mpsc bounded(128) 8 producers",
            |rt, n| mpsc_bounded::<R>(rt, PRODUCERS, n),
            MPSC_N,
        ),
        (
            "mpsc unbounded 1 producer",
            |rt, n| mpsc_unbounded::<R>(rt, 1, n),
            MPSC_N,
        ),
        (
            "mpsc unbounded 8 producers",
            |rt, n| mpsc_unbounded::<R>(rt, PRODUCERS, n),
            MPSC_N,
        ),
        ("oneshot ping-pong", oneshot_ping_pong::<R>, ONESHOT_N),
        ("Mutex contended (8 tasks)", mutex_contended::<R>, MUTEX_N),
        ("Semaphore acquire/release", semaphore::<R>, SEMAPHORE_N),
    ]
}

/// The workloads only a [`BroadcastRt`] runs, as [`sync_workloads`] lists them.
pub fn broadcast_workloads<R: BroadcastRt>() -> Vec<(&'static str, SyncWorkload<R>, usize)> {
    vec![(
        "broadcast fan-out to 16 receivers",
        broadcast_fan_out::<R>,
        BROADCAST_N,
    )]
}

/// What each sync workload stresses, for `compare --list`.
pub fn describe(name: &str) -> &'static str {
    match name {
        "mpsc bounded(128) 1 producer" => {
            "100,000 messages from one task to another through a bounded(128) channel"
        }
        "mpsc bounded(128) 8 producers" => {
            "100,000 messages from 8 tasks to one through a bounded(128) channel: senders \
             waiting for room"
        }
        "mpsc unbounded 1 producer" => "100,000 messages from one task to another, unbounded",
        "mpsc unbounded 8 producers" => "100,000 messages from 8 tasks to one, unbounded",
        "oneshot ping-pong" => {
            "10,000 round trips between two tasks, a fresh oneshot channel for every message"
        }
        "Mutex contended (8 tasks)" => {
            "8 tasks x 10,000 lock/increment/unlock, one in 16 held across a yield"
        }
        "Semaphore acquire/release" => {
            "8 tasks x 10,000 acquire/release of a 4-permit semaphore, one in 16 held across \
             a yield"
        }
        "broadcast fan-out to 16 receivers" => {
            "10,000 messages to 16 receiver tasks through a capacity-1024 broadcast channel, \
             the sender never more than 1,024 ahead (smol: no broadcast crate available)"
        }
        _ => "",
    }
}

/// How many of `n` messages producer `index` of `producers` sends.
fn share(n: usize, producers: usize, index: usize) -> usize {
    n / producers + usize::from(index < n % producers)
}

/// `producers` tasks send `n` messages in all through a bounded(128) channel to one consumer
/// task. Counts the messages received, and checks each producer's arrive in order.
pub fn mpsc_bounded<R: SyncRt>(rt: &R, producers: usize, n: usize) -> Run {
    let start = Instant::now();
    let (tx, mut rx) = R::bounded::<(usize, usize)>(MPSC_CAPACITY);
    let consumer = rt.spawn(async move {
        let mut next = vec![0; producers];
        let mut received = 0;
        while let Some((producer, seq)) = R::recv_bounded(&mut rx).await {
            assert_eq!(seq, next[producer], "mpsc bounded: out of order");
            next[producer] += 1;
            received += 1;
        }
        received
    });
    let senders: Vec<_> = (0..producers)
        .map(|producer| {
            let tx = tx.clone();
            rt.spawn(async move {
                for seq in 0..share(n, producers, producer) {
                    R::send_bounded(&tx, (producer, seq)).await;
                }
            })
        })
        .collect();
    drop(tx);
    let completed = rt.block_on(async {
        for sender in senders {
            sender.await;
        }
        consumer.await
    });
    Run {
        elapsed: start.elapsed(),
        completed,
    }
}

/// [`mpsc_bounded`] through an unbounded channel.
pub fn mpsc_unbounded<R: SyncRt>(rt: &R, producers: usize, n: usize) -> Run {
    let start = Instant::now();
    let (tx, mut rx) = R::unbounded::<(usize, usize)>();
    let consumer = rt.spawn(async move {
        let mut next = vec![0; producers];
        let mut received = 0;
        while let Some((producer, seq)) = R::recv_unbounded(&mut rx).await {
            assert_eq!(seq, next[producer], "mpsc unbounded: out of order");
            next[producer] += 1;
            received += 1;
        }
        received
    });
    let senders: Vec<_> = (0..producers)
        .map(|producer| {
            let tx = tx.clone();
            rt.spawn(async move {
                for seq in 0..share(n, producers, producer) {
                    R::send_unbounded(&tx, (producer, seq));
                }
            })
        })
        .collect();
    drop(tx);
    let completed = rt.block_on(async {
        for sender in senders {
            sender.await;
        }
        consumer.await
    });
    Run {
        elapsed: start.elapsed(),
        completed,
    }
}

/// A message of [`oneshot_ping_pong`]: a sequence number and the channel to answer on.
struct Ball<R: SyncRt>(usize, R::OneshotTx<Ball<R>>);

/// Two tasks bounce a ball `n` times; each message carries the sender of a fresh oneshot
/// channel for the answer. Counts the messages received by both tasks.
pub fn oneshot_ping_pong<R: SyncRt>(rt: &R, n: usize) -> Run {
    let start = Instant::now();
    let (to_pong, pong_rx) = R::oneshot::<Ball<R>>();
    let pong = rt.spawn(async move {
        let mut inbox = pong_rx;
        let mut received = 0;
        while let Some(Ball(seq, reply)) = R::recv_oneshot(inbox).await {
            received += 1;
            let (next_tx, next_rx) = R::oneshot();
            R::send_oneshot(reply, Ball(seq + 1, next_tx));
            inbox = next_rx;
        }
        received
    });
    let ping = rt.spawn(async move {
        let mut to_pong = to_pong;
        let mut received = 0;
        for seq in 0..n {
            let (reply_tx, reply_rx) = R::oneshot();
            R::send_oneshot(to_pong, Ball(seq, reply_tx));
            let Ball(answer, next) = R::recv_oneshot(reply_rx)
                .await
                .expect("oneshot ping-pong: the partner dropped its sender");
            assert_eq!(answer, seq + 1, "oneshot ping-pong: wrong ball");
            received += 1;
            to_pong = next;
        }
        // Dropping the last sender ends the partner's loop.
        received
    });
    let completed = rt.block_on(async { ping.await + pong.await });
    Run {
        elapsed: start.elapsed(),
        completed,
    }
}

/// [`CONTENDERS`] tasks each increment one mutex-guarded counter `n` times, reading and writing
/// it in two steps and holding the lock across a yield one time in [`YIELD_EVERY`]. Reports the
/// counter's final value (lost increments show as a shortfall).
pub fn mutex_contended<R: SyncRt>(rt: &R, n: usize) -> Run {
    let start = Instant::now();
    let mutex = Arc::new(R::mutex(0));
    let tasks: Vec<_> = (0..CONTENDERS)
        .map(|_| {
            let mutex = mutex.clone();
            rt.spawn(async move {
                for i in 0..n {
                    let hold = i % YIELD_EVERY == 0;
                    R::increment_locked(&mutex, async {
                        if hold {
                            R::yield_now().await;
                        }
                    })
                    .await;
                }
            })
        })
        .collect();
    let completed = rt.block_on(async {
        for task in tasks {
            task.await;
        }
        R::mutex_value(&mutex).await
    });
    Run {
        elapsed: start.elapsed(),
        completed: usize::try_from(completed).expect("the count fits"),
    }
}

/// [`CONTENDERS`] tasks each acquire and release a permit of a [`PERMITS`]-permit semaphore `n`
/// times, holding it across a yield one time in [`YIELD_EVERY`]. Counts the acquisitions, and
/// panics if more than [`PERMITS`] tasks ever hold a permit at once.
pub fn semaphore<R: SyncRt>(rt: &R, n: usize) -> Run {
    let start = Instant::now();
    let semaphore = Arc::new(R::semaphore(PERMITS));
    let holders = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..CONTENDERS)
        .map(|_| {
            let semaphore = semaphore.clone();
            let holders = holders.clone();
            rt.spawn(async move {
                let mut acquired = 0;
                for i in 0..n {
                    R::with_permit(&semaphore, async {
                        let now = holders.fetch_add(1, Ordering::AcqRel) + 1;
                        assert!(
                            now <= PERMITS,
                            "semaphore: {now} holders of {PERMITS} permits"
                        );
                        if i % YIELD_EVERY == 0 {
                            R::yield_now().await;
                        }
                        holders.fetch_sub(1, Ordering::AcqRel);
                    })
                    .await;
                    acquired += 1;
                }
                acquired
            })
        })
        .collect();
    let completed = rt.block_on(async {
        let mut acquired = 0;
        for task in tasks {
            acquired += task.await;
        }
        acquired
    });
    Run {
        elapsed: start.elapsed(),
        completed,
    }
}

/// One task sends `n` messages on a capacity-[`BROADCAST_CAPACITY`] broadcast channel to
/// [`RECEIVERS`] receiver tasks, each of which must see every message in order. So that none
/// falls behind by more than the capacity (which would lose messages), the sender sends in
/// batches of half the capacity and, before each batch, waits until every receiver has finished
/// the batch before the last (receivers report on an unbounded channel of the same runtime).
/// Counts the messages received by all receivers together.
pub fn broadcast_fan_out<R: BroadcastRt>(rt: &R, n: usize) -> Run {
    const BATCH: usize = BROADCAST_CAPACITY / 2;
    let start = Instant::now();
    let (tx, first_rx) = R::broadcast::<usize>(BROADCAST_CAPACITY);
    let (done_tx, mut done_rx) = R::unbounded::<usize>();
    let mut receivers_rx: Vec<_> = (1..RECEIVERS).map(|_| R::subscribe(&tx)).collect();
    receivers_rx.push(first_rx);
    let receivers: Vec<_> = receivers_rx
        .into_iter()
        .enumerate()
        .map(|(index, mut rx)| {
            let done_tx = done_tx.clone();
            rt.spawn(async move {
                let mut received = 0;
                while let Some(value) = R::recv_broadcast(&mut rx).await {
                    assert_eq!(value, received, "broadcast: out of order");
                    received += 1;
                    if received % BATCH == 0 {
                        R::send_unbounded(&done_tx, index);
                    }
                }
                received
            })
        })
        .collect();
    drop(done_tx);
    let sender = rt.spawn(async move {
        // Batches each receiver has reported finishing; batches sent so far.
        let mut finished = [0usize; RECEIVERS];
        let mut sent = 0;
        let mut batches = 0;
        while sent < n {
            // Before sending batch k, every receiver has finished batch k - 2, so none has more
            // than two batches (the capacity) unread.
            while batches >= 2 && finished.iter().any(|&done| done < batches - 1) {
                let index = R::recv_unbounded(&mut done_rx)
                    .await
                    .expect("broadcast: a receiver stopped early");
                finished[index] += 1;
            }
            let end = (sent + BATCH).min(n);
            for value in sent..end {
                R::send_broadcast(&tx, value);
            }
            sent = end;
            batches += 1;
        }
        // Dropping the sender ends the receivers' loops; the report channel stays open until
        // they have all finished, so that late reports still have somewhere to go.
        done_rx
    });
    let completed = rt.block_on(async {
        let reports = sender.await;
        let mut received = 0;
        for receiver in receivers {
            received += receiver.await;
        }
        drop(reports);
        received
    });
    Run {
        elapsed: start.elapsed(),
        completed,
    }
}
