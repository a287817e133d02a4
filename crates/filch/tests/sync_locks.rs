//! `filch::sync` locks and friends: Semaphore, Mutex, RwLock, Notify, Barrier, OnceCell.
//!
//! Most ordering tests poll futures by hand with a counting waker, so the order of events is
//! exact and nothing can hang; the tests that run a runtime carry a hang guard.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use filch::runtime::{Builder, Runtime};
use filch::sync::{
    AcquireError, Barrier, MappedMutexGuard, Mutex, MutexGuard, Notify, OnceCell,
    OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock, RwLockMappedWriteGuard, RwLockReadGuard,
    RwLockWriteGuard, Semaphore, SetError, TryAcquireError,
};

mod common;
use common::guard;

fn runtime(workers: usize) -> Runtime {
    Builder::new().worker_threads(workers).build().unwrap()
}

/// A waker that counts its wakes.
#[derive(Default)]
struct Count(AtomicUsize);

impl Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

fn counting_waker() -> (Arc<Count>, Waker) {
    let c = Arc::new(Count::default());
    (c.clone(), Waker::from(c))
}

fn wakes(c: &Count) -> usize {
    c.0.load(SeqCst)
}

fn poll<F: Future + ?Sized>(f: Pin<&mut F>, w: &Waker) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(w))
}

fn ready<F: Future + ?Sized>(f: Pin<&mut F>, w: &Waker) -> F::Output {
    match poll(f, w) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("expected the future to be ready"),
    }
}

// ---------------------------------------------------------------------------------------------
// Semaphore

#[test]
fn semaphore_try_methods_and_counts() {
    assert_eq!(Semaphore::MAX_PERMITS, usize::MAX >> 3);
    let sem = Semaphore::new(5);
    assert_eq!(sem.available_permits(), 5);
    let a = sem.try_acquire().unwrap();
    assert_eq!(a.num_permits(), 1);
    let mut b = sem.try_acquire_many(3).unwrap();
    assert_eq!(b.num_permits(), 3);
    assert_eq!(sem.available_permits(), 1);
    assert_eq!(
        sem.try_acquire_many(2).unwrap_err(),
        TryAcquireError::NoPermits
    );
    // merge and split move permits between guards; no permit is created or lost.
    b.merge(a);
    assert_eq!(b.num_permits(), 4);
    let c = b.split(3).unwrap();
    assert!(b.split(2).is_none());
    assert_eq!((b.num_permits(), c.num_permits()), (1, 3));
    drop(c);
    assert_eq!(sem.available_permits(), 4);
    b.forget();
    assert_eq!(sem.available_permits(), 4);
    sem.add_permits(3);
    assert_eq!(sem.available_permits(), 7);
    assert_eq!(sem.forget_permits(2), 2);
    assert_eq!(sem.forget_permits(10), 5);
    assert_eq!(sem.available_permits(), 0);
    assert!(format!("{sem:?}").contains("Semaphore"));
}

#[test]
#[should_panic(expected = "MAX_PERMITS")]
fn semaphore_add_permits_over_max_panics() {
    let sem = Semaphore::new(Semaphore::MAX_PERMITS);
    sem.add_permits(1);
}

#[test]
#[should_panic(expected = "MAX_PERMITS")]
fn semaphore_new_over_max_panics() {
    let _ = Semaphore::new(Semaphore::MAX_PERMITS + 1);
}

#[test]
fn semaphore_acquire_waits_and_is_woken_by_add_permits() {
    let sem = Semaphore::new(0);
    let (count, w) = counting_waker();
    let mut acq = Box::pin(sem.acquire_many(2));
    assert!(poll(acq.as_mut(), &w).is_pending());
    sem.add_permits(1);
    assert_eq!(
        wakes(&count),
        0,
        "one of two permits must not wake the waiter"
    );
    assert_eq!(
        sem.available_permits(),
        0,
        "the permit is set aside for the waiter"
    );
    sem.add_permits(1);
    assert_eq!(wakes(&count), 1);
    let permit = ready(acq.as_mut(), &w).unwrap();
    assert_eq!(permit.num_permits(), 2);
    drop(permit);
    assert_eq!(sem.available_permits(), 2);
}

#[test]
fn semaphore_is_fifo_and_a_large_head_blocks_small_requests() {
    let sem = Semaphore::new(2);
    let held = sem.try_acquire_many(2).unwrap();
    let (_, w) = counting_waker();
    let mut big = Box::pin(sem.acquire_many(3));
    let mut small = Box::pin(sem.acquire());
    assert!(poll(big.as_mut(), &w).is_pending());
    assert!(poll(small.as_mut(), &w).is_pending());
    drop(held);
    // Both permits go to the head even though it still needs a third.
    assert!(poll(small.as_mut(), &w).is_pending());
    assert!(poll(big.as_mut(), &w).is_pending());
    assert_eq!(sem.available_permits(), 0);
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::NoPermits);
    sem.add_permits(1);
    assert!(poll(small.as_mut(), &w).is_pending());
    let big_permit = ready(big.as_mut(), &w).unwrap();
    assert!(poll(small.as_mut(), &w).is_pending());
    drop(big_permit);
    let small_permit = ready(small.as_mut(), &w).unwrap();
    assert_eq!(sem.available_permits(), 2);
    drop(small_permit);
    assert_eq!(sem.available_permits(), 3);
}

#[test]
fn semaphore_waiters_are_served_in_arrival_order() {
    let sem = Semaphore::new(0);
    let (_, w) = counting_waker();
    let mut futs: Vec<_> = (0..4).map(|_| Box::pin(sem.acquire())).collect();
    for f in &mut futs {
        assert!(poll(f.as_mut(), &w).is_pending());
    }
    for i in 0..4 {
        sem.add_permits(1);
        for (j, f) in futs.iter_mut().enumerate().skip(i) {
            let p = poll(f.as_mut(), &w);
            assert_eq!(p.is_ready(), j == i, "waiter {j} after {} permits", i + 1);
            if let Poll::Ready(permit) = p {
                permit.unwrap().forget();
            }
        }
    }
}

#[test]
fn semaphore_dropping_a_partly_served_acquire_hands_its_permits_on() {
    let sem = Semaphore::new(1);
    let held = sem.try_acquire().unwrap();
    let (_, w1) = counting_waker();
    let (next_wakes, w2) = counting_waker();
    let mut big = Box::pin(sem.acquire_many(2));
    let mut next = Box::pin(sem.acquire());
    assert!(poll(big.as_mut(), &w1).is_pending());
    assert!(poll(next.as_mut(), &w2).is_pending());
    drop(held); // the permit is set aside for `big`
    assert_eq!(sem.available_permits(), 0);
    assert_eq!(wakes(&next_wakes), 0);
    drop(big);
    assert_eq!(wakes(&next_wakes), 1, "the next waiter must be woken");
    let p = ready(next.as_mut(), &w2).unwrap();
    drop(p);
    assert_eq!(sem.available_permits(), 1, "no permit leaked");
}

#[test]
fn semaphore_dropping_a_granted_but_unpolled_acquire_returns_its_permits() {
    let sem = Semaphore::new(0);
    let (_, w) = counting_waker();
    let mut a = Box::pin(sem.acquire_many(3));
    assert!(poll(a.as_mut(), &w).is_pending());
    sem.add_permits(3);
    assert_eq!(sem.available_permits(), 0);
    drop(a);
    assert_eq!(sem.available_permits(), 3);
}

#[test]
fn semaphore_close_fails_waiters_and_later_acquires() {
    let sem = Semaphore::new(1);
    let held = sem.try_acquire().unwrap();
    let (count, w) = counting_waker();
    let mut a = Box::pin(sem.acquire_many(3));
    assert!(poll(a.as_mut(), &w).is_pending());
    drop(held); // one permit set aside for `a`
    assert!(!sem.is_closed());
    sem.close();
    assert!(sem.is_closed());
    assert_eq!(wakes(&count), 1);
    assert_eq!(
        ready(a.as_mut(), &w).unwrap_err(),
        AcquireError::clone(&ready_err())
    );
    assert_eq!(
        sem.available_permits(),
        1,
        "the set-aside permit is free again"
    );
    assert_eq!(sem.try_acquire().unwrap_err(), TryAcquireError::Closed);
    assert!(TryAcquireError::Closed.is_closed() && TryAcquireError::NoPermits.is_no_permits());
    let mut b = Box::pin(sem.acquire());
    assert!(ready(b.as_mut(), &w).is_err());
    assert!(!AcquireError::to_string(&ready_err()).is_empty());
}

fn ready_err() -> AcquireError {
    let sem = Semaphore::new(0);
    sem.close();
    let (_, w) = counting_waker();
    let mut f = Box::pin(sem.acquire());
    let out = poll(f.as_mut(), &w);
    drop(f);
    match out {
        Poll::Ready(Err(e)) => e,
        _ => panic!("a closed semaphore's acquire must fail at once"),
    }
}

#[test]
fn semaphore_owned_permits() {
    guard("semaphore_owned_permits", || {
        runtime(2).block_on(async {
            let sem = Arc::new(Semaphore::new(4));
            let a = sem.clone().acquire_owned().await.unwrap();
            let mut b = sem.clone().acquire_many_owned(2).await.unwrap();
            assert!(Arc::ptr_eq(a.semaphore(), &sem));
            assert_eq!(b.num_permits(), 2);
            let c = sem.clone().try_acquire_owned().unwrap();
            assert_eq!(
                sem.clone().try_acquire_owned().unwrap_err(),
                TryAcquireError::NoPermits
            );
            b.merge(c);
            let d = b.split(1).unwrap();
            assert_eq!((b.num_permits(), d.num_permits()), (2, 1));
            d.forget();
            // Owned permits move into tasks.
            filch::spawn(async move { drop(a) }).await.unwrap();
            assert_eq!(sem.available_permits(), 1);
            drop(b);
            let e = sem.clone().try_acquire_many_owned(3).unwrap();
            assert_eq!(e.num_permits(), 3);
            assert!(sem.clone().try_acquire_many_owned(1).is_err());
        })
    });
}

#[test]
fn semaphore_limits_concurrency_on_a_multi_thread_runtime() {
    guard("semaphore_limits_concurrency", || {
        runtime(4).block_on(async {
            let sem = Arc::new(Semaphore::new(3));
            let inside = Arc::new(AtomicUsize::new(0));
            let max = Arc::new(AtomicUsize::new(0));
            let mut handles = Vec::new();
            for _ in 0..16 {
                let (sem, inside, max) = (sem.clone(), inside.clone(), max.clone());
                handles.push(filch::spawn(async move {
                    for _ in 0..50 {
                        let _p = sem.acquire().await.unwrap();
                        let now = inside.fetch_add(1, SeqCst) + 1;
                        max.fetch_max(now, SeqCst);
                        filch::task::yield_now().await;
                        inside.fetch_sub(1, SeqCst);
                    }
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
            assert!(max.load(SeqCst) <= 3);
            assert_eq!(sem.available_permits(), 3);
        })
    });
}

/// A task that acquires in a loop from an always-free semaphore must still yield to the task it
/// spawned on a one-worker runtime (the coop budget).
#[test]
fn semaphore_acquire_spends_the_coop_budget() {
    guard("semaphore_acquire_spends_the_coop_budget", || {
        runtime(1).block_on(async {
            filch::spawn(async {
                let sem = Semaphore::new(1);
                let other_ran = Arc::new(AtomicBool::new(false));
                let flag = other_ran.clone();
                filch::spawn(async move { flag.store(true, SeqCst) });
                for _ in 0..100_000 {
                    drop(sem.acquire().await.unwrap());
                    if other_ran.load(SeqCst) {
                        return true;
                    }
                }
                false
            })
            .await
            .unwrap()
        })
    })
    .then_some(())
    .expect("the acquiring loop never yielded");
}

// ---------------------------------------------------------------------------------------------
// Mutex

#[test]
fn mutex_lock_try_lock_and_accessors() {
    guard("mutex_lock_try_lock_and_accessors", || {
        runtime(1).block_on(async {
            let m = Mutex::new(vec![1]);
            {
                let mut g = m.lock().await;
                g.push(2);
                assert!(m.try_lock().is_err());
                assert!(!m.try_lock().unwrap_err().to_string().is_empty());
                assert!(std::ptr::eq(MutexGuard::mutex(&g), &m));
                assert_eq!(format!("{m:?}"), "Mutex { data: <locked> }");
                assert_eq!(format!("{g:?}"), "[1, 2]");
            }
            assert_eq!(*m.try_lock().unwrap(), [1, 2]);
            let mut m = m;
            m.get_mut().push(3);
            assert_eq!(m.into_inner(), [1, 2, 3]);
            assert_eq!(*Mutex::<u8>::default().lock().await, 0);
            assert_eq!(Mutex::from(4).into_inner(), 4);
        })
    });
}

#[test]
fn mutex_guard_map_and_try_map() {
    let m = Mutex::new((1, vec![2, 3]));
    let mut first = MutexGuard::map(m.try_lock().unwrap(), |v| &mut v.0);
    *first = 10;
    assert!(m.try_lock().is_err(), "the mapped guard keeps the lock");
    drop(first);
    let g = MutexGuard::try_map(m.try_lock().unwrap(), |v| v.1.get_mut(9));
    let g = g.unwrap_err(); // `None`: the original guard comes back, still locked
    assert!(m.try_lock().is_err());
    let vec = MutexGuard::try_map(g, |v| Some(&mut v.1)).unwrap();
    let mut last = MappedMutexGuard::map(vec, |v| v.last_mut().unwrap());
    *last = 30;
    assert_eq!(format!("{last:?}"), "30");
    drop(last);
    assert_eq!(m.into_inner(), (10, vec![2, 30]));
}

#[test]
fn mutex_owned_guards() {
    guard("mutex_owned_guards", || {
        runtime(2).block_on(async {
            let m = Arc::new(Mutex::new(0));
            let mut g = m.clone().lock_owned().await;
            assert!(Arc::ptr_eq(g.mutex(), &m));
            assert!(m.clone().try_lock_owned().is_err());
            filch::spawn(async move { *g += 1 }).await.unwrap();
            let g = m.clone().try_lock_owned().unwrap();
            assert_eq!(*g, 1);
            assert_eq!(format!("{g:?}"), "1");
        })
    });
}

#[test]
fn mutex_blocking_lock_outside_the_runtime() {
    guard("mutex_blocking_lock_outside_the_runtime", || {
        let rt = runtime(1);
        let m = Arc::new(Mutex::new(0));
        let g = m.clone().try_lock_owned().unwrap();
        let m2 = m.clone();
        let t = thread::spawn(move || *m2.blocking_lock() += 1);
        // The release happens inside a task; the blocked thread must be woken by it.
        thread::sleep(Duration::from_millis(50));
        rt.block_on(async move { filch::spawn(async move { drop(g) }).await.unwrap() });
        t.join().unwrap();
        assert_eq!(*m.blocking_lock(), 1);
    });
}

#[test]
#[should_panic(expected = "blocking_lock was called from inside a filch task")]
fn mutex_blocking_lock_inside_the_runtime_panics() {
    runtime(1).block_on(async {
        let m = Mutex::new(0);
        let _g = m.blocking_lock();
    });
}

#[test]
fn mutex_is_fifo() {
    let m = Mutex::new(Vec::new());
    let g = m.try_lock().unwrap();
    let (_, w) = counting_waker();
    let mut a = Box::pin(m.lock());
    let mut b = Box::pin(m.lock());
    let mut c = Box::pin(m.lock());
    for f in [&mut a, &mut b, &mut c] {
        assert!(poll(f.as_mut(), &w).is_pending());
    }
    drop(g);
    assert!(
        m.try_lock().is_err(),
        "the lock was handed to the first waiter"
    );
    // Poll in reverse order: still the first waiter gets it.
    assert!(poll(c.as_mut(), &w).is_pending());
    assert!(poll(b.as_mut(), &w).is_pending());
    ready(a.as_mut(), &w).push('a');
    assert!(poll(c.as_mut(), &w).is_pending());
    ready(b.as_mut(), &w).push('b');
    ready(c.as_mut(), &w).push('c');
    drop((a, b, c));
    assert_eq!(m.into_inner(), ['a', 'b', 'c']);
}

#[test]
fn mutex_dropping_a_pending_lock_wakes_the_next_waiter() {
    let m = Mutex::new(0);
    let g = m.try_lock().unwrap();
    let (_, wa) = counting_waker();
    let (b_wakes, wb) = counting_waker();
    let mut a = Box::pin(m.lock());
    let mut b = Box::pin(m.lock());
    assert!(poll(a.as_mut(), &wa).is_pending());
    assert!(poll(b.as_mut(), &wb).is_pending());
    drop(g); // handed to `a`, which is never polled again
    assert_eq!(wakes(&b_wakes), 0);
    drop(a);
    assert_eq!(wakes(&b_wakes), 1);
    *ready(b.as_mut(), &wb) += 1;
    drop(b);
    assert_eq!(*m.try_lock().expect("the lock leaked"), 1);
}

#[test]
fn mutex_contended_counter_sums_exactly() {
    guard("mutex_contended_counter_sums_exactly", || {
        runtime(4).block_on(async {
            let m = Arc::new(Mutex::new(0u64));
            let mut handles = Vec::new();
            for _ in 0..8 {
                let m = m.clone();
                handles.push(filch::spawn(async move {
                    for i in 0..1000 {
                        let mut g = m.lock().await;
                        let v = *g;
                        if i % 16 == 0 {
                            // Hold the lock across a suspension now and then.
                            filch::task::yield_now().await;
                        }
                        *g = v + 1;
                    }
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
            assert_eq!(*m.lock().await, 8000);
        })
    });
}

#[test]
fn mutex_lock_spends_the_coop_budget() {
    guard("mutex_lock_spends_the_coop_budget", || {
        runtime(1).block_on(async {
            filch::spawn(async {
                let m = Mutex::new(0);
                let other_ran = Arc::new(AtomicBool::new(false));
                let flag = other_ran.clone();
                filch::spawn(async move { flag.store(true, SeqCst) });
                for _ in 0..100_000 {
                    *m.lock().await += 1;
                    if other_ran.load(SeqCst) {
                        return true;
                    }
                }
                false
            })
            .await
            .unwrap()
        })
    })
    .then_some(())
    .expect("the locking loop never yielded");
}

// ---------------------------------------------------------------------------------------------
// RwLock

#[test]
fn rwlock_read_write_and_try() {
    guard("rwlock_read_write_and_try", || {
        runtime(1).block_on(async {
            let lock = RwLock::new(1);
            {
                let r1 = lock.read().await;
                let r2 = lock.try_read().unwrap();
                assert_eq!(*r1 + *r2, 2);
                assert!(lock.try_write().is_err());
                assert_eq!(format!("{r1:?}"), "1");
            }
            {
                let mut w = lock.write().await;
                *w = 2;
                assert!(lock.try_read().is_err());
                assert!(lock.try_write().is_err());
                assert_eq!(format!("{lock:?}"), "RwLock { data: <locked> }");
                assert_eq!(format!("{w:?}"), "2");
            }
            *lock.try_write().unwrap() += 1;
            assert_eq!(format!("{lock:?}"), "RwLock { data: 3 }");
            let mut lock = lock;
            *lock.get_mut() += 1;
            assert_eq!(lock.into_inner(), 4);
            assert_eq!(RwLock::<u8>::default().into_inner(), 0);
            assert_eq!(RwLock::from(5).into_inner(), 5);
        })
    });
}

#[test]
fn rwlock_with_max_readers_limits_readers() {
    let lock = RwLock::with_max_readers(0, 2);
    let a = lock.try_read().unwrap();
    let _b = lock.try_read().unwrap();
    assert!(lock.try_read().is_err());
    drop(a);
    assert!(lock.try_read().is_ok());
}

#[test]
#[should_panic(expected = "max_reads")]
fn rwlock_with_zero_max_readers_panics() {
    let _ = RwLock::with_max_readers(0, 0);
}

#[test]
fn rwlock_a_queued_writer_blocks_later_readers() {
    let lock = RwLock::new(0);
    let r1 = lock.try_read().unwrap();
    let (_, w) = counting_waker();
    let mut writer = Box::pin(lock.write());
    let mut reader = Box::pin(lock.read());
    assert!(poll(writer.as_mut(), &w).is_pending());
    assert!(
        poll(reader.as_mut(), &w).is_pending(),
        "the reader must queue behind the writer"
    );
    assert!(lock.try_read().is_err());
    drop(r1);
    assert!(poll(reader.as_mut(), &w).is_pending());
    let mut g = ready(writer.as_mut(), &w);
    *g = 1;
    drop(g);
    assert_eq!(*ready(reader.as_mut(), &w), 1);
}

#[test]
fn rwlock_dropping_a_pending_write_lets_queued_readers_in() {
    let lock = RwLock::new(0);
    let r1 = lock.try_read().unwrap();
    let (_, w) = counting_waker();
    let (reader_wakes, wr) = counting_waker();
    let mut writer = Box::pin(lock.write());
    let mut reader = Box::pin(lock.read());
    assert!(poll(writer.as_mut(), &w).is_pending()); // holds all reader slots but one
    assert!(poll(reader.as_mut(), &wr).is_pending());
    drop(writer);
    assert_eq!(wakes(&reader_wakes), 1);
    let r2 = ready(reader.as_mut(), &wr);
    drop((r1, r2));
    assert!(lock.try_write().is_ok(), "reader slots leaked");
}

#[test]
fn rwlock_downgrade_lets_readers_in_but_not_writers() {
    let lock = RwLock::new(1);
    let mut wg = lock.try_write().unwrap();
    let (_, w) = counting_waker();
    let mut reader = Box::pin(lock.read());
    assert!(poll(reader.as_mut(), &w).is_pending());
    *wg = 2;
    let r = RwLockWriteGuard::downgrade(wg);
    assert_eq!(*r, 2);
    assert_eq!(*ready(reader.as_mut(), &w), 2);
    assert!(lock.try_write().is_err());
    drop(r);
    drop(reader);
    assert!(lock.try_write().is_ok());
}

#[test]
fn rwlock_guard_maps() {
    let lock = RwLock::new((1, vec![2, 3]));
    let first = RwLockReadGuard::map(lock.try_read().unwrap(), |v| &v.0);
    assert_eq!(*first, 1);
    assert!(lock.try_write().is_err());
    drop(first);
    let g = RwLockReadGuard::try_map(lock.try_read().unwrap(), |v| v.1.get(7)).unwrap_err();
    let second = RwLockReadGuard::try_map(g, |v| v.1.first()).unwrap();
    assert_eq!(*second, 2);
    drop(second);

    let w = RwLockWriteGuard::try_map(lock.try_write().unwrap(), |v| v.1.get_mut(7)).unwrap_err();
    let vec = RwLockWriteGuard::try_map(w, |v| Some(&mut v.1)).unwrap();
    let mut last = RwLockMappedWriteGuard::map(vec, |v| v.last_mut().unwrap());
    *last = 30;
    assert!(lock.try_read().is_err());
    assert_eq!(format!("{last:?}"), "30");
    drop(last);
    *RwLockWriteGuard::map(lock.try_write().unwrap(), |v| &mut v.0) = 10;
    assert_eq!(lock.into_inner(), (10, vec![2, 30]));
}

#[test]
fn rwlock_owned_guards() {
    guard("rwlock_owned_guards", || {
        runtime(2).block_on(async {
            let lock = Arc::new(RwLock::new((1, 2)));
            let r = lock.clone().read_owned().await;
            assert!(Arc::ptr_eq(r.rwlock(), &lock));
            let r2 = lock.clone().try_read_owned().unwrap();
            assert!(lock.clone().try_write_owned().is_err());
            let second = OwnedRwLockReadGuard::map(r2, |p| &p.1);
            assert_eq!(filch::spawn(async move { *second }).await.unwrap(), 2);
            drop(r);
            let mut w = lock.clone().write_owned().await;
            assert!(Arc::ptr_eq(w.rwlock(), &lock));
            assert!(lock.clone().try_read_owned().is_err());
            w.0 = 5;
            let r = OwnedRwLockWriteGuard::downgrade(w);
            assert_eq!(r.0, 5);
            assert!(lock.try_read().is_ok());
            assert!(lock.try_write().is_err());
            drop(r);
            let mut w = lock.clone().try_write_owned().unwrap();
            w.1 = 6;
            filch::spawn(async move { drop(w) }).await.unwrap();
            assert_eq!(*lock.read().await, (5, 6));
        })
    });
}

#[test]
fn rwlock_readers_and_writers_on_a_multi_thread_runtime() {
    guard("rwlock_readers_and_writers", || {
        runtime(4).block_on(async {
            let lock = Arc::new(RwLock::new((0u64, 0u64)));
            let mut handles = Vec::new();
            for t in 0..8 {
                let lock = lock.clone();
                handles.push(filch::spawn(async move {
                    for _ in 0..300 {
                        if t % 2 == 0 {
                            let mut w = lock.write().await;
                            w.0 += 1;
                            filch::task::yield_now().await;
                            w.1 += 1;
                        } else {
                            let r = lock.read().await;
                            assert_eq!(r.0, r.1, "a reader saw a half-done write");
                        }
                    }
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
            assert_eq!(*lock.read().await, (1200, 1200));
        })
    });
}

// ---------------------------------------------------------------------------------------------
// Notify

#[test]
fn notify_one_without_waiter_stores_one_permit() {
    let notify = Notify::new();
    let (_, w) = counting_waker();
    notify.notify_one();
    notify.notify_one();
    let mut a = Box::pin(notify.notified());
    ready(a.as_mut(), &w);
    // Fused: polling again stays ready.
    ready(a.as_mut(), &w);
    let mut b = Box::pin(notify.notified());
    assert!(
        poll(b.as_mut(), &w).is_pending(),
        "only one permit is stored"
    );
    assert!(format!("{notify:?}").contains("Notify"));
}

#[test]
fn notify_one_wakes_the_oldest_waiter_and_notify_last_the_newest() {
    let notify = Notify::new();
    let (a_wakes, wa) = counting_waker();
    let (b_wakes, wb) = counting_waker();
    let (c_wakes, wc) = counting_waker();
    let mut a = Box::pin(notify.notified());
    let mut b = Box::pin(notify.notified());
    let mut c = Box::pin(notify.notified());
    assert!(poll(a.as_mut(), &wa).is_pending());
    assert!(poll(b.as_mut(), &wb).is_pending());
    assert!(poll(c.as_mut(), &wc).is_pending());
    notify.notify_one();
    assert_eq!(
        (wakes(&a_wakes), wakes(&b_wakes), wakes(&c_wakes)),
        (1, 0, 0)
    );
    notify.notify_last();
    assert_eq!(
        (wakes(&a_wakes), wakes(&b_wakes), wakes(&c_wakes)),
        (1, 0, 1)
    );
    ready(a.as_mut(), &wa);
    ready(c.as_mut(), &wc);
    assert!(poll(b.as_mut(), &wb).is_pending());
}

#[test]
fn notify_waiters_wakes_futures_created_before_it_and_stores_nothing() {
    let notify = Notify::new();
    let (a_wakes, wa) = counting_waker();
    let (_, w) = counting_waker();
    let mut polled = Box::pin(notify.notified());
    let mut unpolled = Box::pin(notify.notified());
    assert!(poll(polled.as_mut(), &wa).is_pending());
    notify.notify_waiters();
    assert_eq!(wakes(&a_wakes), 1);
    let mut later = Box::pin(notify.notified());
    ready(polled.as_mut(), &wa);
    ready(unpolled.as_mut(), &w);
    assert!(poll(later.as_mut(), &w).is_pending(), "no permit is stored");
}

#[test]
fn notified_enable_registers_for_notify_one() {
    let notify = Notify::new();
    let (_, w) = counting_waker();
    let mut enabled = Box::pin(notify.notified());
    let mut polled_later = Box::pin(notify.notified());
    assert!(!enabled.as_mut().enable());
    assert!(poll(polled_later.as_mut(), &w).is_pending());
    notify.notify_one();
    // The enabled future was first in line, though never polled.
    assert!(poll(polled_later.as_mut(), &w).is_pending());
    assert!(enabled.as_mut().enable());
    ready(enabled.as_mut(), &w);
    // enable consumes a stored permit too.
    notify.notify_one();
    let mut c = Box::pin(notify.notified());
    // `polled_later` is waiting, so the notification went to it, not to a permit.
    assert!(!c.as_mut().enable());
    ready(polled_later.as_mut(), &w);
}

#[test]
fn notified_dropped_after_notify_one_passes_the_notification_on() {
    let notify = Notify::new();
    let (_, wa) = counting_waker();
    let (b_wakes, wb) = counting_waker();
    let mut a = Box::pin(notify.notified());
    let mut b = Box::pin(notify.notified());
    assert!(poll(a.as_mut(), &wa).is_pending());
    assert!(poll(b.as_mut(), &wb).is_pending());
    notify.notify_one(); // chooses `a`
    assert_eq!(wakes(&b_wakes), 0);
    drop(a);
    assert_eq!(wakes(&b_wakes), 1);
    ready(b.as_mut(), &wb);
    // With nobody left waiting, the passed-on notification becomes the permit.
    let mut c = Box::pin(notify.notified());
    assert!(poll(c.as_mut(), &wa).is_pending());
    notify.notify_one();
    drop(c);
    let mut d = Box::pin(notify.notified());
    ready(d.as_mut(), &wa);
}

#[test]
fn notify_wakes_a_task_on_a_multi_thread_runtime() {
    guard("notify_wakes_a_task", || {
        runtime(2).block_on(async {
            let notify = Arc::new(Notify::new());
            for _ in 0..100 {
                let n = notify.clone();
                let waiter = filch::spawn(async move { n.notified().await });
                notify.notify_one();
                waiter.await.unwrap();
            }
            let mut waiters = Vec::new();
            let started = Arc::new(Barrier::new(5));
            for _ in 0..4 {
                let (n, started) = (notify.clone(), started.clone());
                waiters.push(filch::spawn(async move {
                    let fut = n.notified();
                    started.wait().await;
                    fut.await
                }));
            }
            started.wait().await;
            notify.notify_waiters();
            for w in waiters {
                w.await.unwrap();
            }
        })
    });
}

/// A loop that consumes a stored permit on every turn never waits, so it must spend the budget.
#[test]
fn notified_and_rwlock_spend_the_coop_budget() {
    let out = guard("notified_and_rwlock_spend_the_coop_budget", || {
        runtime(1).block_on(async {
            filch::spawn(async {
                let notify = Notify::new();
                let lock = RwLock::new(0);
                let other_ran = Arc::new(AtomicBool::new(false));
                let flag = other_ran.clone();
                filch::spawn(async move { flag.store(true, SeqCst) });
                for _ in 0..100_000 {
                    notify.notify_one();
                    notify.notified().await;
                    if other_ran.load(SeqCst) {
                        break;
                    }
                }
                let notify_yielded = other_ran.swap(false, SeqCst);
                let flag = other_ran.clone();
                filch::spawn(async move { flag.store(true, SeqCst) });
                for _ in 0..100_000 {
                    drop(lock.read().await);
                    *lock.write().await += 1;
                    if other_ran.load(SeqCst) {
                        break;
                    }
                }
                (notify_yielded, other_ran.load(SeqCst))
            })
            .await
            .unwrap()
        })
    });
    let (notify_yielded, rwlock_yielded) = out;
    assert!(notify_yielded, "the notified loop never yielded");
    assert!(rwlock_yielded, "the rwlock loop never yielded");
}

// ---------------------------------------------------------------------------------------------
// Barrier

#[test]
fn barrier_releases_rounds_with_one_leader_each() {
    guard("barrier_releases_rounds", || {
        runtime(4).block_on(async {
            let barrier = Arc::new(Barrier::new(4));
            let leaders = Arc::new(AtomicUsize::new(0));
            let mut handles = Vec::new();
            for _ in 0..4 {
                let (b, leaders) = (barrier.clone(), leaders.clone());
                handles.push(filch::spawn(async move {
                    for _ in 0..10 {
                        if b.wait().await.is_leader() {
                            leaders.fetch_add(1, SeqCst);
                        }
                    }
                }));
            }
            for h in handles {
                h.await.unwrap();
            }
            assert_eq!(leaders.load(SeqCst), 10);
            assert!(format!("{barrier:?}").contains("Barrier"));
        })
    });
}

#[test]
fn barrier_waits_for_the_last_arrival() {
    let barrier = Barrier::new(3);
    let (a_wakes, wa) = counting_waker();
    let mut a = Box::pin(barrier.wait());
    let mut b = Box::pin(barrier.wait());
    assert!(poll(a.as_mut(), &wa).is_pending());
    assert!(poll(b.as_mut(), &wa).is_pending());
    assert_eq!(wakes(&a_wakes), 0);
    let mut c = Box::pin(barrier.wait());
    assert!(ready(c.as_mut(), &wa).is_leader());
    assert_eq!(wakes(&a_wakes), 2);
    assert!(!ready(a.as_mut(), &wa).is_leader());
    assert!(!ready(b.as_mut(), &wa).is_leader());
    // n = 0 and n = 1: every wait leads at once.
    for n in [0, 1] {
        let b = Barrier::new(n);
        let mut f = Box::pin(b.wait());
        assert!(ready(f.as_mut(), &wa).is_leader());
    }
}

// ---------------------------------------------------------------------------------------------
// OnceCell

#[test]
fn once_cell_set_get_take() {
    let cell = OnceCell::new();
    assert!(!cell.initialized());
    assert_eq!(cell.get(), None);
    cell.set(1).unwrap();
    assert!(cell.initialized());
    assert_eq!(cell.get(), Some(&1));
    let err = cell.set(2).unwrap_err();
    assert!(err.is_already_init_err() && !err.is_initializing_err());
    assert_eq!(err, SetError::AlreadyInitializedError(2));
    assert!(!err.to_string().is_empty());
    let mut cell = cell;
    *cell.get_mut().unwrap() = 3;
    assert_eq!(cell.take(), Some(3));
    assert!(!cell.initialized());
    cell.set(4).unwrap();
    assert_eq!(cell.clone().into_inner(), Some(4));
    assert_eq!(OnceCell::new_with(Some(5)).get(), Some(&5));
    assert_eq!(OnceCell::<u8>::new_with(None).into_inner(), None);
    assert_eq!(
        format!("{:?}", OnceCell::from(6)),
        "OnceCell { value: Some(6) }"
    );
}

#[test]
fn once_cell_initializes_once_under_contention() {
    guard("once_cell_initializes_once", || {
        runtime(4).block_on(async {
            let cell = Arc::new(OnceCell::new());
            let runs = Arc::new(AtomicUsize::new(0));
            let mut handles = Vec::new();
            for i in 0..8 {
                let (cell, runs) = (cell.clone(), runs.clone());
                handles.push(filch::spawn(async move {
                    *cell
                        .get_or_init(|| async move {
                            runs.fetch_add(1, SeqCst);
                            filch::task::yield_now().await;
                            i
                        })
                        .await
                }));
            }
            let mut values = Vec::new();
            for h in handles {
                values.push(h.await.unwrap());
            }
            assert_eq!(runs.load(SeqCst), 1);
            assert!(values.iter().all(|v| *v == values[0]));
        })
    });
}

#[test]
fn once_cell_set_while_initializing_and_cancelled_initializer() {
    let cell = OnceCell::new();
    let gate = Notify::new();
    let (_, w) = counting_waker();
    let mut first = Box::pin(cell.get_or_init(|| async {
        gate.notified().await;
        1
    }));
    assert!(poll(first.as_mut(), &w).is_pending());
    let err = cell.set(9).unwrap_err();
    assert!(err.is_initializing_err());
    assert_eq!(err, SetError::InitializingError(9));
    let (second_wakes, w2) = counting_waker();
    let mut second = Box::pin(cell.get_or_init(|| async { 2 }));
    assert!(poll(second.as_mut(), &w2).is_pending());
    // Cancelling the running initializer lets the next caller initialize.
    drop(first);
    assert_eq!(wakes(&second_wakes), 1);
    assert_eq!(*ready(second.as_mut(), &w2), 2);
    assert_eq!(cell.get(), Some(&2));
}

#[test]
fn once_cell_get_or_try_init() {
    let cell = OnceCell::new();
    let (_, w) = counting_waker();
    let mut fail = Box::pin(cell.get_or_try_init(|| async { Err::<u8, _>("no") }));
    assert_eq!(ready(fail.as_mut(), &w), Err("no"));
    assert!(!cell.initialized());
    let mut ok = Box::pin(cell.get_or_try_init(|| async { Ok::<u8, &str>(3) }));
    assert_eq!(ready(ok.as_mut(), &w), Ok(&3));
    let mut again = Box::pin(cell.get_or_try_init(|| async { Err::<u8, _>("unused") }));
    assert_eq!(ready(again.as_mut(), &w), Ok(&3));
}

// ---------------------------------------------------------------------------------------------
// Auto traits

#[test]
fn auto_traits_match_tokio() {
    use std::panic::{RefUnwindSafe, UnwindSafe};
    fn send_sync<T: Send + Sync>() {}
    fn unwind<T: UnwindSafe + RefUnwindSafe>() {}
    unwind::<Semaphore>();
    unwind::<Mutex<u8>>();
    unwind::<RwLock<u8>>();
    unwind::<Notify>();
    unwind::<Barrier>();
    unwind::<OnceCell<u8>>();
    send_sync::<Semaphore>();
    send_sync::<Mutex<std::cell::Cell<u8>>>(); // a Mutex makes a Send-only value shareable
    send_sync::<MutexGuard<'static, u8>>();
    send_sync::<filch::sync::OwnedMutexGuard<u8>>();
    send_sync::<RwLock<u8>>();
    send_sync::<RwLockReadGuard<'static, u8>>();
    send_sync::<RwLockWriteGuard<'static, u8>>();
    send_sync::<OwnedRwLockReadGuard<u8>>();
    send_sync::<OwnedRwLockWriteGuard<u8>>();
    send_sync::<Notify>();
    send_sync::<Barrier>();
    send_sync::<OnceCell<u8>>();
    send_sync::<filch::sync::SemaphorePermit<'static>>();
    send_sync::<filch::sync::OwnedMappedMutexGuard<u8, u8>>();
    send_sync::<filch::sync::OwnedRwLockMappedWriteGuard<u8, u8>>();
    send_sync::<filch::sync::MappedMutexGuard<'static, u8>>();
    send_sync::<RwLockMappedWriteGuard<'static, u8>>();
    send_sync::<filch::sync::OwnedSemaphorePermit>();
    // Futures of the async methods can be spawned.
    fn send_future<F: Future + Send>(_: F) {}
    let (m, s, rw, n, b, c) = (
        Mutex::new(0),
        Semaphore::new(1),
        RwLock::new(0),
        Notify::new(),
        Barrier::new(1),
        OnceCell::<u8>::new(),
    );
    send_future(m.lock());
    send_future(s.acquire());
    send_future(rw.read());
    send_future(rw.write());
    send_future(n.notified());
    send_future(b.wait());
    send_future(c.get_or_init(|| async { 1 }));
}

// ---------------------------------------------------------------------------------------------
// const constructors, blocking methods and owned mapped guards

static CONST_SEM: Semaphore = Semaphore::const_new(2);
static CONST_MUTEX: Mutex<u32> = Mutex::const_new(7);
static CONST_RWLOCK: RwLock<u32> = RwLock::const_new(8);
static CONST_RWLOCK_2: RwLock<()> = RwLock::const_with_max_readers((), 2);
static CONST_NOTIFY: Notify = Notify::const_new();
static CONST_CELL: OnceCell<u32> = OnceCell::const_new();

#[test]
fn const_constructors_make_working_statics() {
    let p = CONST_SEM.try_acquire_many(2).unwrap();
    assert!(CONST_SEM.try_acquire().is_err());
    drop(p);
    assert_eq!(CONST_SEM.available_permits(), 2);
    {
        let g = CONST_MUTEX.try_lock().unwrap();
        assert_eq!(*g, 7);
        assert!(CONST_MUTEX.try_lock().is_err());
    }
    {
        let r = CONST_RWLOCK.try_read().unwrap();
        assert_eq!(*r, 8);
        assert!(CONST_RWLOCK.try_write().is_err());
    }
    let a = CONST_RWLOCK_2.try_read().unwrap();
    let b = CONST_RWLOCK_2.try_read().unwrap();
    assert!(CONST_RWLOCK_2.try_read().is_err());
    drop((a, b));
    CONST_NOTIFY.notify_one();
    let (_, w) = counting_waker();
    let mut n = Box::pin(CONST_NOTIFY.notified());
    ready(n.as_mut(), &w);
    assert!(!CONST_CELL.initialized());
    CONST_CELL.set(9).unwrap();
    assert!(CONST_CELL.set(10).is_err());
    assert_eq!(CONST_CELL.get(), Some(&9));
}

#[test]
fn rwlock_and_mutex_blocking_methods_outside_the_runtime() {
    guard("rwlock_and_mutex_blocking_methods", || {
        let rt = runtime(1);
        let lock = Arc::new(RwLock::new(0));
        let r = lock.clone().try_read_owned().unwrap();
        let l2 = lock.clone();
        let writer = thread::spawn(move || *l2.blocking_write() += 1);
        thread::sleep(Duration::from_millis(50));
        // The release happens inside a task and must wake the blocked thread.
        rt.block_on(async move { filch::spawn(async move { drop(r) }).await.unwrap() });
        writer.join().unwrap();
        assert_eq!(*lock.blocking_read(), 1);

        let m = Arc::new(Mutex::new(0));
        let g = m.clone().try_lock_owned().unwrap();
        let m2 = m.clone();
        let t = thread::spawn(move || *m2.blocking_lock_owned() += 1);
        thread::sleep(Duration::from_millis(50));
        drop(g);
        t.join().unwrap();
        assert_eq!(*m.blocking_lock(), 1);
    });
}

#[test]
#[should_panic(expected = "blocking_read was called from inside a filch task")]
fn rwlock_blocking_read_inside_the_runtime_panics() {
    runtime(1).block_on(async {
        let lock = RwLock::new(0);
        let _g = lock.blocking_read();
    });
}

#[test]
#[should_panic(expected = "blocking_write was called from inside a filch task")]
fn rwlock_blocking_write_inside_the_runtime_panics() {
    runtime(1).block_on(async {
        let lock = RwLock::new(0);
        let _g = lock.blocking_write();
    });
}

#[test]
#[should_panic(expected = "blocking_lock_owned was called from inside a filch task")]
fn mutex_blocking_lock_owned_inside_the_runtime_panics() {
    runtime(1).block_on(async {
        let m = Arc::new(Mutex::new(0));
        let _g = m.blocking_lock_owned();
    });
}

#[test]
fn owned_mapped_guards_keep_the_lock_until_dropped() {
    use filch::sync::{OwnedMappedMutexGuard, OwnedMutexGuard, OwnedRwLockMappedWriteGuard};
    let m = Arc::new(Mutex::new(((1, 2), vec![3])));
    let g = OwnedMutexGuard::try_map(m.clone().try_lock_owned().unwrap(), |v| v.1.get_mut(5))
        .unwrap_err();
    let inner = OwnedMutexGuard::try_map(g, |v| Some(&mut v.0)).unwrap();
    let mut two = OwnedMappedMutexGuard::map(inner, |p| &mut p.1);
    *two = 20;
    assert!(Arc::ptr_eq(two.mutex(), &m));
    assert!(m.try_lock().is_err());
    assert_eq!(format!("{two:?}"), "20");
    drop(two);
    *OwnedMutexGuard::map(m.clone().try_lock_owned().unwrap(), |v| &mut v.1[0]) = 30;
    assert_eq!(*m.try_lock().unwrap(), ((1, 20), vec![30]));

    let lock = Arc::new(RwLock::new(((1, 2), 3)));
    let inner = OwnedRwLockWriteGuard::map(lock.clone().try_write_owned().unwrap(), |v| &mut v.0);
    let mut one = OwnedRwLockMappedWriteGuard::map(inner, |p| &mut p.0);
    *one = 10;
    assert!(Arc::ptr_eq(one.rwlock(), &lock));
    assert!(lock.try_read().is_err());
    assert_eq!(format!("{one:?}"), "10");
    drop(one);
    assert_eq!(*lock.try_read().unwrap(), ((10, 2), 3));
}
