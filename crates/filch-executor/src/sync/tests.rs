//! Unit tests of the guards' raw-pointer paths, small enough for miri
//! (`cargo +nightly miri test -p filch-executor --lib sync::`).

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use super::*;

fn now<F: Future>(fut: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(fut).poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("expected the future to be ready at once"),
    }
}

#[test]
fn mutex_guards_and_maps() {
    let m = Mutex::new((String::from("a"), vec![String::from("b")]));
    now(m.lock()).0.push('1');
    let mut first = MutexGuard::map(m.try_lock().unwrap(), |v| &mut v.0);
    first.push('2');
    drop(first);
    let g = MutexGuard::try_map(m.try_lock().unwrap(), |v| v.1.get_mut(3)).unwrap_err();
    let vec = MutexGuard::try_map(g, |v| Some(&mut v.1)).unwrap();
    MappedMutexGuard::map(vec, |v| &mut v[0]).push('3');
    let m = Arc::new(m);
    let owned = now(m.clone().lock_owned());
    let inner = OwnedMutexGuard::map(owned, |v| &mut v.1);
    OwnedMappedMutexGuard::map(inner, |v| &mut v[0]).push('4');
    let g = OwnedMutexGuard::try_map(m.clone().try_lock_owned().unwrap(), |v| v.1.get_mut(9));
    let g = g.unwrap_err();
    drop(g);
    let m = Arc::try_unwrap(m).unwrap();
    assert_eq!(m.into_inner(), ("a12".into(), vec!["b34".to_string()]));
}

#[test]
fn rwlock_guards_maps_and_downgrades() {
    let lock = RwLock::new((String::from("a"), String::from("b")));
    {
        let r1 = now(lock.read());
        let r2 = RwLockReadGuard::map(lock.try_read().unwrap(), |v| &v.1);
        assert_eq!((r1.0.as_str(), r2.as_str()), ("a", "b"));
        let r3 = RwLockReadGuard::try_map(r1, |v| Some(&v.0)).unwrap();
        assert_eq!(&*r3, "a");
    }
    let mut w = now(lock.write());
    w.0.push('1');
    let r = RwLockWriteGuard::downgrade(w);
    assert_eq!(r.0, "a1");
    drop(r);
    let w = RwLockWriteGuard::try_map(lock.try_write().unwrap(), |v| Some(&mut v.1)).unwrap();
    RwLockMappedWriteGuard::map(w, |s| s).push('2');
    let lock = Arc::new(lock);
    let w = now(lock.clone().write_owned());
    OwnedRwLockWriteGuard::map(w, |v| &mut v.0).push('3');
    let w = lock.clone().try_write_owned().unwrap();
    let w = OwnedRwLockMappedWriteGuard::map(OwnedRwLockWriteGuard::map(w, |v| &mut v.1), |s| s);
    drop(w);
    let mut w = lock.clone().try_write_owned().unwrap();
    w.1.push('4');
    let r = OwnedRwLockWriteGuard::downgrade(w);
    let r = OwnedRwLockReadGuard::map(r, |v| &v.1);
    assert_eq!(&*r, "b24");
    drop(r);
    let r = now(lock.clone().read_owned());
    drop(r);
    let lock = Arc::try_unwrap(lock).unwrap();
    assert_eq!(lock.into_inner(), ("a13".into(), "b24".into()));
}

#[test]
fn mutex_between_threads() {
    let m = Arc::new(Mutex::new(0u32));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let m = m.clone();
            std::thread::spawn(move || {
                for _ in 0..20 {
                    *m.blocking_lock() += 1;
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(*m.blocking_lock(), 40);
}

#[test]
fn once_cell_values_drop_once() {
    let cell = OnceCell::new();
    assert_eq!(now(cell.get_or_init(|| async { String::from("x") })), "x");
    assert!(cell.set(String::from("y")).is_err());
    let mut cell = cell;
    assert_eq!(cell.take().as_deref(), Some("x"));
    cell.set(String::from("z")).unwrap();
}

#[test]
fn try_map_on_every_guard() {
    let m = Arc::new(Mutex::new((String::from("a"), vec![String::from("b")])));
    let g = MutexGuard::map(m.try_lock().unwrap(), |v| v);
    let g = MappedMutexGuard::try_map(g, |v| v.1.get_mut(5)).unwrap_err();
    MappedMutexGuard::try_map(g, |v| v.1.get_mut(0))
        .unwrap()
        .push('1');
    let g = OwnedMutexGuard::map(m.clone().try_lock_owned().unwrap(), |v| v);
    let g = OwnedMappedMutexGuard::try_map(g, |v| v.1.get_mut(5)).unwrap_err();
    OwnedMappedMutexGuard::try_map(g, |v| Some(&mut v.0))
        .unwrap()
        .push('2');
    assert_eq!(
        *m.try_lock().unwrap(),
        ("a2".into(), vec!["b1".to_string()])
    );

    let lock = Arc::new(RwLock::new((String::from("a"), vec![String::from("b")])));
    let w = RwLockWriteGuard::map(lock.try_write().unwrap(), |v| v);
    let w = RwLockMappedWriteGuard::try_map(w, |v| v.1.get_mut(5)).unwrap_err();
    RwLockMappedWriteGuard::try_map(w, |v| Some(&mut v.0))
        .unwrap()
        .push('1');
    let w = lock.clone().try_write_owned().unwrap();
    let w = OwnedRwLockWriteGuard::try_map(w, |v| v.1.get_mut(5)).unwrap_err();
    let w = OwnedRwLockWriteGuard::try_map(w, |v| Some(v)).unwrap();
    let w = OwnedRwLockMappedWriteGuard::try_map(w, |v| v.1.get_mut(5)).unwrap_err();
    OwnedRwLockMappedWriteGuard::try_map(w, |v| v.1.get_mut(0))
        .unwrap()
        .push('2');
    let r = lock.clone().try_read_owned().unwrap();
    let r = OwnedRwLockReadGuard::try_map(r, |v| v.1.get(5)).unwrap_err();
    let r = OwnedRwLockReadGuard::try_map(r, |v| v.1.first()).unwrap();
    assert_eq!(&*r, "b2");
    assert!(lock.try_write().is_err());
    drop(r);
    assert_eq!(
        *lock.try_write().unwrap(),
        ("a1".into(), vec!["b2".to_string()])
    );
}

#[test]
fn downgrade_maps_and_into_mapped() {
    let lock = Arc::new(RwLock::new((String::from("a"), vec![String::from("b")])));
    RwLockWriteGuard::into_mapped(lock.try_write().unwrap())
        .0
        .push('1');
    let w = RwLockWriteGuard::try_downgrade_map(lock.try_write().unwrap(), |v| v.1.get(3));
    let w = w.unwrap_err();
    assert!(
        lock.try_read().is_err(),
        "a declined try_downgrade_map keeps the write lock"
    );
    let r = RwLockWriteGuard::try_downgrade_map(w, |v| v.1.first()).unwrap();
    assert_eq!(&*r, "b");
    assert!(lock.try_read().is_ok() && lock.try_write().is_err());
    drop(r);
    let r = RwLockWriteGuard::downgrade_map(lock.try_write().unwrap(), |v| &v.0);
    assert_eq!(&*r, "a1");
    drop(r);

    OwnedRwLockWriteGuard::into_mapped(lock.clone().try_write_owned().unwrap())
        .1
        .push(String::from("c"));
    let w = lock.clone().try_write_owned().unwrap();
    let w = OwnedRwLockWriteGuard::try_downgrade_map(w, |v| v.1.get(7)).unwrap_err();
    assert!(lock.try_read().is_err());
    let r = OwnedRwLockWriteGuard::try_downgrade_map(w, |v| v.1.get(1)).unwrap();
    assert_eq!(&*r, "c");
    assert!(lock.try_read().is_ok() && lock.try_write().is_err());
    drop(r);
    let r = OwnedRwLockWriteGuard::downgrade_map(lock.clone().try_write_owned().unwrap(), |v| &v.0);
    assert_eq!(&*r, "a1");
    drop(r);
    assert!(lock.try_write().is_ok(), "no permit leaked");
}
