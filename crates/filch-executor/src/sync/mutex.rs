//! An async mutex: a fair (FIFO) lock whose guard may be held across `.await`.
//!
//! It is a [`Semaphore`] with one permit plus the protected value, the same construction as
//! tokio's `Mutex` (credited; the code is ours). Waiters get the lock in the order they asked.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::semaphore::{Acquire, Semaphore, SemaphorePermit};

/// An async mutual-exclusion lock.
///
/// Unlike `std::sync::Mutex`, waiting for it does not block the thread, and its guard may be held
/// across `.await` points. Waiters acquire it in FIFO order. A lock that succeeds at once spends
/// one unit of the task's [`coop`](crate::coop) budget. There is no poisoning: a panic while the
/// guard is held just releases the lock.
///
/// ```
/// use std::sync::Arc;
/// use filch::sync::Mutex;
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let count = Arc::new(Mutex::new(0));
///     let mut handles = Vec::new();
///     for _ in 0..4 {
///         let count = count.clone();
///         handles.push(filch::spawn(async move {
///             *count.lock().await += 1;
///         }));
///     }
///     for h in handles {
///         h.await.unwrap();
///     }
///     assert_eq!(*count.lock().await, 4);
/// });
/// ```
pub struct Mutex<T: ?Sized> {
    sem: Semaphore,
    data: UnsafeCell<T>,
}

// SAFETY: the mutex hands out `&mut T` to one guard at a time (the single semaphore permit), so
// sharing the mutex between threads only ever moves access to `T` across threads: `T: Send`.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above; `&Mutex<T>` gives exclusive access to `T` one holder at a time.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}
// SAFETY: a shared `&MutexGuard` gives `&T` to several threads at once: needs `T: Sync`.
unsafe impl<T: ?Sized + Send + Sync> Sync for MutexGuard<'_, T> {}
// SAFETY: as for `MutexGuard`; the owned guard also moves the `Arc<Mutex<T>>` (T: Send).
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedMutexGuard<T> {}
// SAFETY: a mapped guard is an exclusive borrow of a `U` inside the locked value: it can move to
// another thread if `U: Send` and be shared if `U: Sync`, like `&mut U`.
unsafe impl<U: ?Sized + Send> Send for MappedMutexGuard<'_, U> {}
// SAFETY: see above.
unsafe impl<U: ?Sized + Sync> Sync for MappedMutexGuard<'_, U> {}

// No poisoning, so a panic cannot leave the lock in a state a later user must be warned about.
impl<T: ?Sized> std::panic::UnwindSafe for Mutex<T> {}
impl<T: ?Sized> std::panic::RefUnwindSafe for Mutex<T> {}

/// The error of [`Mutex::try_lock`] and the `try_read`/`try_write` methods of
/// [`RwLock`](super::RwLock): the lock is held (or tasks are queued for it).
///
/// ```
/// use filch::sync::Mutex;
/// let m = Mutex::new(1);
/// let _g = m.try_lock().unwrap();
/// assert!(m.try_lock().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryLockError(pub(super) ());

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the lock is held by someone else right now")
    }
}

impl std::error::Error for TryLockError {}

impl<T> Mutex<T> {
    /// Creates an unlocked mutex holding `value`.
    ///
    /// ```
    /// use filch::sync::Mutex;
    /// let m = Mutex::new(5);
    /// assert_eq!(m.into_inner(), 5);
    /// ```
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            sem: Semaphore::new(1),
            data: UnsafeCell::new(value),
        }
    }

    /// Creates an unlocked mutex in a `const` context (for a `static`).
    ///
    /// ```
    /// use filch::sync::Mutex;
    /// static COUNT: Mutex<u32> = Mutex::const_new(0);
    /// *COUNT.try_lock().unwrap() += 1;
    /// assert_eq!(*COUNT.try_lock().unwrap(), 1);
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> Mutex<T> {
        Mutex {
            sem: Semaphore::const_new(1),
            data: UnsafeCell::new(value),
        }
    }

    /// Takes the value out of the mutex.
    ///
    /// ```
    /// use filch::sync::Mutex;
    /// assert_eq!(Mutex::new("x").into_inner(), "x");
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Waits for the lock and returns a guard that unlocks on drop.
    ///
    /// Cancel safety: the lock is given in FIFO order; dropping the future gives up the place in
    /// the queue (and the lock, if it had just been handed over, goes to the next waiter).
    ///
    /// ```
    /// use filch::sync::Mutex;
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let m = Mutex::new(1);
    ///     *m.lock().await += 1;
    ///     assert_eq!(*m.lock().await, 2);
    /// });
    /// ```
    pub async fn lock(&self) -> MutexGuard<'_, T> {
        self.acquire().await;
        MutexGuard {
            lock: self,
            _not_send_sync_marker: PhantomData,
        }
    }

    /// Blocks the current thread until the lock is held: for synchronous code outside the
    /// runtime.
    ///
    /// # Panics
    ///
    /// Blocking inside an async task is a mistake; this panics if called from a runtime worker.
    ///
    /// ```
    /// use filch::sync::Mutex;
    /// let m = Mutex::new(1);
    /// *m.blocking_lock() += 1;
    /// assert_eq!(*m.blocking_lock(), 2);
    /// ```
    pub fn blocking_lock(&self) -> MutexGuard<'_, T> {
        crate::sync::blocking("Mutex::blocking_lock", self.lock())
    }

    /// [`blocking_lock`](Mutex::blocking_lock) for an owned guard.
    ///
    /// # Panics
    ///
    /// If called from inside the runtime.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::Mutex;
    /// let m = Arc::new(Mutex::new(1));
    /// *m.clone().blocking_lock_owned() += 1;
    /// assert_eq!(*m.blocking_lock(), 2);
    /// ```
    pub fn blocking_lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        crate::sync::blocking("Mutex::blocking_lock_owned", self.lock_owned())
    }

    /// Locks without waiting.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if the lock is held or tasks are waiting for it.
    ///
    /// ```
    /// use filch::sync::Mutex;
    /// let m = Mutex::new(1);
    /// let g = m.try_lock().unwrap();
    /// assert!(m.try_lock().is_err());
    /// drop(g);
    /// assert!(m.try_lock().is_ok());
    /// ```
    pub fn try_lock(&self) -> Result<MutexGuard<'_, T>, TryLockError> {
        match self.sem.try_acquire() {
            Ok(p) => {
                p.forget();
                Ok(MutexGuard {
                    lock: self,
                    _not_send_sync_marker: PhantomData,
                })
            }
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Waits for the lock and returns a guard that owns a reference to the mutex (so it can move
    /// into a spawned task). Cancel safety as [`lock`](Mutex::lock).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::Mutex;
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let m = Arc::new(Mutex::new(0));
    ///     let mut g = m.clone().lock_owned().await;
    ///     filch::spawn(async move { *g += 1 }).await.unwrap();
    ///     assert_eq!(*m.lock().await, 1);
    /// });
    /// ```
    pub async fn lock_owned(self: Arc<Self>) -> OwnedMutexGuard<T> {
        self.acquire().await;
        OwnedMutexGuard { lock: self }
    }

    /// Locks without waiting, returning an owned guard.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if the lock is held or tasks are waiting for it.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::Mutex;
    /// let m = Arc::new(Mutex::new(0));
    /// let g = m.clone().try_lock_owned().unwrap();
    /// assert!(m.clone().try_lock_owned().is_err());
    /// drop(g);
    /// ```
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedMutexGuard<T>, TryLockError> {
        let locked = self.sem.try_acquire().map(SemaphorePermit::forget).is_ok();
        if locked {
            Ok(OwnedMutexGuard { lock: self })
        } else {
            Err(TryLockError(()))
        }
    }

    /// A mutable reference to the value; no locking is needed since `&mut self` is exclusive.
    ///
    /// ```
    /// use filch::sync::Mutex;
    /// let mut m = Mutex::new(1);
    /// *m.get_mut() = 2;
    /// assert_eq!(m.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }

    async fn acquire(&self) {
        // The semaphore is never closed, so the acquire cannot fail. The permit is kept by the
        // guard as "the lock is held" and given back by its drop.
        if Acquire::new(&self.sem, 1).await.is_err() {
            unreachable!("a mutex's semaphore is never closed");
        }
    }
}

impl<T> From<T> for Mutex<T> {
    fn from(value: T) -> Mutex<T> {
        Mutex::new(value)
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Ok(g) => d.field("data", &&*g),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// The guard of a [`Mutex`]: access to the value; unlocks when dropped.
///
/// ```
/// use filch::sync::Mutex;
/// let m = Mutex::new(vec![1]);
/// m.try_lock().unwrap().push(2);
/// assert_eq!(*m.try_lock().unwrap(), [1, 2]);
/// ```
#[must_use = "the lock is released at once if the guard is not held"]
pub struct MutexGuard<'a, T: ?Sized> {
    lock: &'a Mutex<T>,
    // The guard is Send if `&Mutex<T>` is; Sync is implemented above with the right bound.
    _not_send_sync_marker: PhantomData<&'a mut T>,
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// Narrows the guard to a part of the value; the lock stays held by the returned guard.
    ///
    /// ```
    /// use filch::sync::{Mutex, MutexGuard};
    /// let m = Mutex::new((1, 2));
    /// let mut second = MutexGuard::map(m.try_lock().unwrap(), |pair| &mut pair.1);
    /// *second = 5;
    /// drop(second);
    /// assert_eq!(m.into_inner(), (1, 5));
    /// ```
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> MappedMutexGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let lock = this.lock;
        std::mem::forget(this);
        // SAFETY: the permit moved from `this` (forgotten without unlocking) to the new guard,
        // so the access to the value stays exclusive for `'a` or until the new guard drops.
        let data = f(unsafe { &mut *lock.data.get() }) as *mut U;
        MappedMutexGuard {
            sem: &lock.sem,
            data,
            _marker: PhantomData,
        }
    }

    /// Like [`map`](MutexGuard::map), but `f` may decline; the original guard comes back then.
    ///
    /// # Errors
    ///
    /// The original guard when `f` returns `None`.
    ///
    /// ```
    /// use filch::sync::{Mutex, MutexGuard};
    /// let m = Mutex::new(vec![1, 2]);
    /// let first = MutexGuard::try_map(m.try_lock().unwrap(), |v| v.first_mut()).unwrap();
    /// assert_eq!(*first, 1);
    /// ```
    pub fn try_map<U: ?Sized, F>(this: Self, f: F) -> Result<MappedMutexGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        // SAFETY: `this` holds the lock; the borrow ends before `this` is used again (on the
        // `None` path) or `this` is forgotten and the lock moves to the mapped guard.
        let data = match f(unsafe { &mut *this.lock.data.get() }) {
            Some(data) => data as *mut U,
            None => return Err(this),
        };
        let lock = this.lock;
        std::mem::forget(this);
        Ok(MappedMutexGuard {
            sem: &lock.sem,
            data,
            _marker: PhantomData,
        })
    }

    /// The mutex this guard locks.
    ///
    /// ```
    /// use filch::sync::{Mutex, MutexGuard};
    /// let m = Mutex::new(1);
    /// let g = m.try_lock().unwrap();
    /// assert!(std::ptr::eq(MutexGuard::mutex(&g), &m));
    /// ```
    pub fn mutex(this: &Self) -> &'a Mutex<T> {
        this.lock
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's only permit, so no `&mut T` exists elsewhere.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the mutex's only permit, and `&mut self` is exclusive.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.sem.release(1, false);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// A [`MutexGuard`] narrowed to part of the value by [`MutexGuard::map`].
///
/// ```
/// use filch::sync::{Mutex, MutexGuard};
/// let m = Mutex::new([0u8; 4]);
/// let mut last = MutexGuard::map(m.try_lock().unwrap(), |a| &mut a[3]);
/// *last = 9;
/// drop(last);
/// assert_eq!(m.into_inner(), [0, 0, 0, 9]);
/// ```
#[must_use = "the lock is released at once if the guard is not held"]
pub struct MappedMutexGuard<'a, U: ?Sized> {
    sem: &'a Semaphore,
    data: *mut U,
    _marker: PhantomData<&'a mut U>,
}

impl<'a, U: ?Sized> MappedMutexGuard<'a, U> {
    /// Narrows the guard further.
    ///
    /// ```
    /// use filch::sync::{MappedMutexGuard, Mutex, MutexGuard};
    /// let m = Mutex::new(((1, 2), 3));
    /// let inner = MutexGuard::map(m.try_lock().unwrap(), |v| &mut v.0);
    /// let two = MappedMutexGuard::map(inner, |p| &mut p.1);
    /// assert_eq!(*two, 2);
    /// ```
    pub fn map<V: ?Sized, F>(this: Self, f: F) -> MappedMutexGuard<'a, V>
    where
        F: FnOnce(&mut U) -> &mut V,
    {
        let sem = this.sem;
        let data = this.data;
        std::mem::forget(this);
        // SAFETY: the lock moves from `this` (forgotten) to the new guard; `data` points into
        // the locked value, exclusively ours while the lock is held.
        let data = f(unsafe { &mut *data }) as *mut V;
        MappedMutexGuard {
            sem,
            data,
            _marker: PhantomData,
        }
    }

    /// Like [`map`](MappedMutexGuard::map), but `f` may decline; the guard comes back then.
    ///
    /// # Errors
    ///
    /// The original guard when `f` returns `None`.
    pub fn try_map<V: ?Sized, F>(this: Self, f: F) -> Result<MappedMutexGuard<'a, V>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut V>,
    {
        // SAFETY: `this` holds the lock for the duration of the borrow; on `Some` the lock moves
        // to the new guard and `this` is forgotten.
        let data = match f(unsafe { &mut *this.data }) {
            Some(d) => d as *mut V,
            None => return Err(this),
        };
        let sem = this.sem;
        std::mem::forget(this);
        Ok(MappedMutexGuard {
            sem,
            data,
            _marker: PhantomData,
        })
    }
}

impl<U: ?Sized> Deref for MappedMutexGuard<'_, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: `data` points into the value locked by the permit this guard holds.
        unsafe { &*self.data }
    }
}

impl<U: ?Sized> DerefMut for MappedMutexGuard<'_, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`, and `&mut self` is exclusive.
        unsafe { &mut *self.data }
    }
}

impl<U: ?Sized> Drop for MappedMutexGuard<'_, U> {
    fn drop(&mut self) {
        self.sem.release(1, false);
    }
}

impl<U: ?Sized + fmt::Debug> fmt::Debug for MappedMutexGuard<'_, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A guard of a [`Mutex`] held through an `Arc` ([`Mutex::lock_owned`]); unlocks when dropped.
///
/// ```
/// use std::sync::Arc;
/// use filch::sync::Mutex;
/// let m = Arc::new(Mutex::new(1));
/// let g = m.clone().try_lock_owned().unwrap();
/// assert!(Arc::ptr_eq(g.mutex(), &m));
/// assert_eq!(*g, 1);
/// ```
#[must_use = "the lock is released at once if the guard is not held"]
pub struct OwnedMutexGuard<T: ?Sized> {
    lock: Arc<Mutex<T>>,
}

impl<T: ?Sized> OwnedMutexGuard<T> {
    /// The mutex this guard locks.
    pub fn mutex(&self) -> &Arc<Mutex<T>> {
        &self.lock
    }

    /// Moves the `Arc` out of a guard that will not be dropped (its permit moves on with it).
    fn into_lock(this: Self) -> Arc<Mutex<T>> {
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so the Arc is moved out exactly once.
        unsafe { std::ptr::read(&this.lock) }
    }

    /// Narrows the guard to a part of the value; the lock stays held.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::{Mutex, OwnedMutexGuard};
    /// let m = Arc::new(Mutex::new((1, 2)));
    /// let mut second = OwnedMutexGuard::map(m.clone().try_lock_owned().unwrap(), |p| &mut p.1);
    /// *second = 5;
    /// assert!(m.try_lock().is_err());
    /// drop(second);
    /// assert_eq!(*m.try_lock().unwrap(), (1, 5));
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data = f(&mut *this) as *mut U;
        OwnedMappedMutexGuard {
            lock: Self::into_lock(this),
            data,
        }
    }

    /// Like [`map`](OwnedMutexGuard::map), but `f` may decline; the guard comes back then.
    ///
    /// # Errors
    ///
    /// The original guard when `f` returns `None`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::{Mutex, OwnedMutexGuard};
    /// let m = Arc::new(Mutex::new(vec![1]));
    /// let g = OwnedMutexGuard::try_map(m.clone().try_lock_owned().unwrap(), |v| v.get_mut(3));
    /// assert!(g.is_err());
    /// ```
    pub fn try_map<U: ?Sized, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data = match f(&mut *this) {
            Some(d) => d as *mut U,
            None => return Err(this),
        };
        Ok(OwnedMappedMutexGuard {
            lock: Self::into_lock(this),
            data,
        })
    }
}

impl<T: ?Sized> Deref for OwnedMutexGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds the mutex's only permit.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedMutexGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds the mutex's only permit, and `&mut self` is exclusive.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for OwnedMutexGuard<T> {
    fn drop(&mut self) {
        self.lock.sem.release(1, false);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedMutexGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// An [`OwnedMutexGuard`] narrowed to a `U` inside the value by [`OwnedMutexGuard::map`].
///
/// ```
/// use std::sync::Arc;
/// use filch::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};
/// let m = Arc::new(Mutex::new(((1, 2), 3)));
/// let inner = OwnedMutexGuard::map(m.clone().try_lock_owned().unwrap(), |v| &mut v.0);
/// let two = OwnedMappedMutexGuard::map(inner, |p| &mut p.1);
/// assert_eq!(*two, 2);
/// assert!(Arc::ptr_eq(two.mutex(), &m));
/// ```
#[must_use = "the lock is released at once if the guard is not held"]
pub struct OwnedMappedMutexGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<Mutex<T>>,
    data: *mut U,
}

// SAFETY: the guard owns an `Arc<Mutex<T>>` (shareable when `T: Send`) and exclusive access to a
// `U` inside the locked value, like `&mut U`.
unsafe impl<T: ?Sized + Send, U: ?Sized + Send> Send for OwnedMappedMutexGuard<T, U> {}
// SAFETY: see above; sharing the guard shares `&U` (and `&T` through `mutex()`'s Arc).
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync for OwnedMappedMutexGuard<T, U> {}

impl<T: ?Sized, U: ?Sized> OwnedMappedMutexGuard<T, U> {
    /// The mutex this guard locks.
    pub fn mutex(&self) -> &Arc<Mutex<T>> {
        &self.lock
    }

    /// Narrows the guard further.
    pub fn map<V: ?Sized, F>(mut this: Self, f: F) -> OwnedMappedMutexGuard<T, V>
    where
        F: FnOnce(&mut U) -> &mut V,
    {
        let data = f(&mut *this) as *mut V;
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so the Arc is moved out exactly once;
        // the lock moves with it to the new guard.
        let lock = unsafe { std::ptr::read(&this.lock) };
        OwnedMappedMutexGuard { lock, data }
    }

    /// Like [`map`](OwnedMappedMutexGuard::map), but `f` may decline; the guard comes back then.
    ///
    /// # Errors
    ///
    /// The original guard when `f` returns `None`.
    pub fn try_map<V: ?Sized, F>(mut this: Self, f: F) -> Result<OwnedMappedMutexGuard<T, V>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut V>,
    {
        let data = match f(&mut *this) {
            Some(d) => d as *mut V,
            None => return Err(this),
        };
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so the Arc is moved out exactly once.
        let lock = unsafe { std::ptr::read(&this.lock) };
        Ok(OwnedMappedMutexGuard { lock, data })
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedMappedMutexGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: `data` points into the value locked by the permit this guard holds; the Arc
        // keeps the value alive.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedMappedMutexGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`, and `&mut self` is exclusive.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedMappedMutexGuard<T, U> {
    fn drop(&mut self) {
        self.lock.sem.release(1, false);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedMappedMutexGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
