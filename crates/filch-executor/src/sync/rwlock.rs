//! An async reader-writer lock, fair and writer-preferring.
//!
//! Like tokio's `RwLock` (whose construction this follows; the code is ours), it is a FIFO
//! [`Semaphore`] with `max_readers` permits: a read takes one, a write takes all of them. A writer
//! queued behind readers therefore holds back every later reader, so writers cannot starve.

use std::cell::UnsafeCell;
use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::mutex::TryLockError;
use super::semaphore::{Acquire, Semaphore};

/// The largest `max_readers` a lock may have (as in tokio).
const MAX_READS: u32 = u32::MAX >> 3;

/// An async reader-writer lock: many readers or one writer at a time.
///
/// Access is granted in the order it was asked for, and a waiting writer holds back the readers
/// that came after it (writer preference, so writers cannot starve). A `read`/`write` that
/// succeeds at once spends one unit of the task's [`coop`](crate::coop) budget.
///
/// ```
/// use filch::sync::RwLock;
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let lock = RwLock::new(5);
///     {
///         let r1 = lock.read().await;
///         let r2 = lock.read().await;
///         assert_eq!(*r1 + *r2, 10);
///     }
///     *lock.write().await += 1;
///     assert_eq!(*lock.read().await, 6);
/// });
/// ```
pub struct RwLock<T: ?Sized> {
    max_readers: u32,
    sem: Semaphore,
    data: UnsafeCell<T>,
}

// SAFETY: the lock hands out `&mut T` to one writer or `&T` to several readers at a time, and
// readers on different threads share `&T` (T: Sync) while writers move access (T: Send).
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: see above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}
// SAFETY: a read guard is a shared borrow `&T`: it can move to or be shared with another thread
// when `T: Sync`.
unsafe impl<T: ?Sized + Sync> Send for RwLockReadGuard<'_, T> {}
// SAFETY: see above.
unsafe impl<T: ?Sized + Sync> Sync for RwLockReadGuard<'_, T> {}
// SAFETY: a write guard is an exclusive borrow `&mut T` of a value that readers on other threads
// may see afterwards, so it needs `T: Send + Sync` (the guard downgrades to a read guard).
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockWriteGuard<'_, T> {}
// SAFETY: see above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockWriteGuard<'_, T> {}
// SAFETY: as for the write guard.
unsafe impl<T: ?Sized + Send + Sync> Send for RwLockMappedWriteGuard<'_, T> {}
// SAFETY: see above.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLockMappedWriteGuard<'_, T> {}
// SAFETY: the owned read guard holds an `Arc<RwLock<T>>` (needs `T: Send + Sync` to cross
// threads) and a shared borrow of a `U` inside it.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Send for OwnedRwLockReadGuard<T, U> {}
// SAFETY: see above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Sync> Sync for OwnedRwLockReadGuard<T, U> {}
// SAFETY: the owned write guard holds an `Arc<RwLock<T>>` and exclusive access to `T`.
unsafe impl<T: ?Sized + Send + Sync> Send for OwnedRwLockWriteGuard<T> {}
// SAFETY: see above.
unsafe impl<T: ?Sized + Send + Sync> Sync for OwnedRwLockWriteGuard<T> {}

// No poisoning: a panic while a guard is held only releases the guard.
impl<T: ?Sized> std::panic::UnwindSafe for RwLock<T> {}
impl<T: ?Sized> std::panic::RefUnwindSafe for RwLock<T> {}

impl<T> RwLock<T> {
    /// Creates an unlocked lock holding `value`, allowing up to `u32::MAX >> 3` readers at once.
    ///
    /// ```
    /// use filch::sync::RwLock;
    /// let lock = RwLock::new(1);
    /// assert_eq!(lock.into_inner(), 1);
    /// ```
    pub fn new(value: T) -> RwLock<T> {
        RwLock::with_max_readers(value, MAX_READS)
    }

    /// Creates an unlocked lock that allows at most `max_reads` readers at once.
    ///
    /// # Panics
    ///
    /// If `max_reads` is 0 or more than `u32::MAX >> 3`.
    ///
    /// ```
    /// use filch::sync::RwLock;
    /// let lock = RwLock::with_max_readers(0, 2);
    /// let _a = lock.try_read().unwrap();
    /// let _b = lock.try_read().unwrap();
    /// assert!(lock.try_read().is_err());
    /// ```
    pub fn with_max_readers(value: T, max_reads: u32) -> RwLock<T> {
        assert!(
            max_reads > 0 && max_reads <= MAX_READS,
            "RwLock::with_max_readers: max_reads must be between 1 and {MAX_READS}, not {max_reads}"
        );
        RwLock {
            max_readers: max_reads,
            sem: Semaphore::new(max_reads as usize),
            data: UnsafeCell::new(value),
        }
    }

    /// Creates an unlocked lock in a `const` context (for a `static`).
    ///
    /// ```
    /// use filch::sync::RwLock;
    /// static CONFIG: RwLock<u32> = RwLock::const_new(1);
    /// assert_eq!(*CONFIG.try_read().unwrap(), 1);
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new(value: T) -> RwLock<T> {
        RwLock::const_with_max_readers(value, MAX_READS)
    }

    /// [`with_max_readers`](RwLock::with_max_readers) in a `const` context.
    ///
    /// # Panics
    ///
    /// If `max_reads` is 0 or more than `u32::MAX >> 3`.
    ///
    /// ```
    /// use filch::sync::RwLock;
    /// static TWO: RwLock<()> = RwLock::const_with_max_readers((), 2);
    /// let _a = TWO.try_read().unwrap();
    /// let _b = TWO.try_read().unwrap();
    /// assert!(TWO.try_read().is_err());
    /// ```
    #[cfg(not(loom))]
    pub const fn const_with_max_readers(value: T, max_reads: u32) -> RwLock<T> {
        assert!(
            max_reads > 0 && max_reads <= MAX_READS,
            "RwLock::const_with_max_readers: max_reads must be between 1 and u32::MAX >> 3"
        );
        RwLock {
            max_readers: max_reads,
            sem: Semaphore::const_new(max_reads as usize),
            data: UnsafeCell::new(value),
        }
    }

    /// Takes the value out of the lock.
    ///
    /// ```
    /// use filch::sync::RwLock;
    /// assert_eq!(RwLock::new("v").into_inner(), "v");
    /// ```
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    async fn acquire(&self, n: u32) {
        if Acquire::new(&self.sem, n as usize).await.is_err() {
            unreachable!("an RwLock's semaphore is never closed");
        }
    }

    fn try_acquire(&self, n: u32) -> Result<(), TryLockError> {
        match self.sem.try_acquire_many(n) {
            Ok(p) => {
                p.forget();
                Ok(())
            }
            Err(_) => Err(TryLockError(())),
        }
    }

    /// Waits for shared read access.
    ///
    /// Cancel safety: access is granted in FIFO order; dropping the future gives up its place.
    ///
    /// ```
    /// use filch::sync::RwLock;
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let lock = RwLock::new(3);
    ///     assert_eq!(*lock.read().await, 3);
    /// });
    /// ```
    pub async fn read(&self) -> RwLockReadGuard<'_, T> {
        self.acquire(1).await;
        RwLockReadGuard {
            sem: &self.sem,
            data: self.data.get(),
            _marker: PhantomData,
        }
    }

    /// Waits for exclusive write access.
    ///
    /// Cancel safety: access is granted in FIFO order; dropping the future gives up its place,
    /// and reader slots already set aside for it go to the next waiters.
    ///
    /// ```
    /// use filch::sync::RwLock;
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let lock = RwLock::new(3);
    ///     *lock.write().await = 4;
    ///     assert_eq!(*lock.read().await, 4);
    /// });
    /// ```
    pub async fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.acquire(self.max_readers).await;
        RwLockWriteGuard {
            sem: &self.sem,
            permits: self.max_readers,
            data: self.data.get(),
            _marker: PhantomData,
        }
    }

    /// Blocks the current thread until read access is granted: for synchronous code outside
    /// the runtime.
    ///
    /// # Panics
    ///
    /// If called from inside the runtime (a worker or `block_on`).
    ///
    /// ```
    /// use filch::sync::RwLock;
    /// let lock = RwLock::new(1);
    /// assert_eq!(*lock.blocking_read(), 1);
    /// ```
    pub fn blocking_read(&self) -> RwLockReadGuard<'_, T> {
        crate::sync::blocking("RwLock::blocking_read", self.read())
    }

    /// Blocks the current thread until write access is granted: for synchronous code outside
    /// the runtime.
    ///
    /// # Panics
    ///
    /// If called from inside the runtime (a worker or `block_on`).
    ///
    /// ```
    /// use filch::sync::RwLock;
    /// let lock = RwLock::new(1);
    /// *lock.blocking_write() = 2;
    /// assert_eq!(*lock.blocking_read(), 2);
    /// ```
    pub fn blocking_write(&self) -> RwLockWriteGuard<'_, T> {
        crate::sync::blocking("RwLock::blocking_write", self.write())
    }

    /// Read access without waiting.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if a writer holds the lock or is queued, or `max_readers` readers hold it.
    ///
    /// ```
    /// use filch::sync::RwLock;
    /// let lock = RwLock::new(1);
    /// let w = lock.try_write().unwrap();
    /// assert!(lock.try_read().is_err());
    /// drop(w);
    /// assert!(lock.try_read().is_ok());
    /// ```
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        self.try_acquire(1)?;
        Ok(RwLockReadGuard {
            sem: &self.sem,
            data: self.data.get(),
            _marker: PhantomData,
        })
    }

    /// Write access without waiting.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if anyone holds the lock or is queued for it.
    ///
    /// ```
    /// use filch::sync::RwLock;
    /// let lock = RwLock::new(1);
    /// let r = lock.try_read().unwrap();
    /// assert!(lock.try_write().is_err());
    /// drop(r);
    /// assert!(lock.try_write().is_ok());
    /// ```
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        self.try_acquire(self.max_readers)?;
        Ok(RwLockWriteGuard {
            sem: &self.sem,
            permits: self.max_readers,
            data: self.data.get(),
            _marker: PhantomData,
        })
    }

    /// Waits for read access through an `Arc`, for a guard that can move into a spawned task.
    /// Cancel safety as [`read`](RwLock::read).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::RwLock;
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let lock = Arc::new(RwLock::new(2));
    ///     let r = lock.clone().read_owned().await;
    ///     assert_eq!(filch::spawn(async move { *r }).await.unwrap(), 2);
    /// });
    /// ```
    pub async fn read_owned(self: Arc<Self>) -> OwnedRwLockReadGuard<T> {
        self.acquire(1).await;
        let data = self.data.get() as *const T;
        OwnedRwLockReadGuard { lock: self, data }
    }

    /// Read access through an `Arc` without waiting.
    ///
    /// # Errors
    ///
    /// As [`try_read`](RwLock::try_read).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::RwLock;
    /// let lock = Arc::new(RwLock::new(2));
    /// assert_eq!(*lock.clone().try_read_owned().unwrap(), 2);
    /// ```
    pub fn try_read_owned(self: Arc<Self>) -> Result<OwnedRwLockReadGuard<T>, TryLockError> {
        self.try_acquire(1)?;
        let data = self.data.get() as *const T;
        Ok(OwnedRwLockReadGuard { lock: self, data })
    }

    /// Waits for write access through an `Arc`. Cancel safety as [`write`](RwLock::write).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::RwLock;
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let lock = Arc::new(RwLock::new(2));
    ///     let mut w = lock.clone().write_owned().await;
    ///     filch::spawn(async move { *w = 3 }).await.unwrap();
    ///     assert_eq!(*lock.read().await, 3);
    /// });
    /// ```
    pub async fn write_owned(self: Arc<Self>) -> OwnedRwLockWriteGuard<T> {
        self.acquire(self.max_readers).await;
        let permits = self.max_readers;
        OwnedRwLockWriteGuard {
            lock: self,
            permits,
        }
    }

    /// Write access through an `Arc` without waiting.
    ///
    /// # Errors
    ///
    /// As [`try_write`](RwLock::try_write).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::RwLock;
    /// let lock = Arc::new(RwLock::new(2));
    /// *lock.clone().try_write_owned().unwrap() = 5;
    /// assert_eq!(*lock.try_read().unwrap(), 5);
    /// ```
    pub fn try_write_owned(self: Arc<Self>) -> Result<OwnedRwLockWriteGuard<T>, TryLockError> {
        self.try_acquire(self.max_readers)?;
        let permits = self.max_readers;
        Ok(OwnedRwLockWriteGuard {
            lock: self,
            permits,
        })
    }

    /// A mutable reference to the value; no locking is needed since `&mut self` is exclusive.
    ///
    /// ```
    /// use filch::sync::RwLock;
    /// let mut lock = RwLock::new(1);
    /// *lock.get_mut() = 2;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> RwLock<T> {
        RwLock::new(value)
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> RwLock<T> {
        RwLock::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwLock");
        match self.try_read() {
            Ok(g) => d.field("data", &&*g),
            Err(_) => d.field("data", &format_args!("<locked>")),
        };
        d.finish()
    }
}

/// Shared read access to the value of an [`RwLock`]; released when dropped.
///
/// ```
/// use filch::sync::{RwLock, RwLockReadGuard};
/// let lock = RwLock::new((1, 2));
/// let second = RwLockReadGuard::map(lock.try_read().unwrap(), |p| &p.1);
/// assert_eq!(*second, 2);
/// ```
#[must_use = "the lock is released at once if the guard is not held"]
pub struct RwLockReadGuard<'a, T: ?Sized> {
    sem: &'a Semaphore,
    data: *const T,
    _marker: PhantomData<&'a T>,
}

impl<'a, T: ?Sized> RwLockReadGuard<'a, T> {
    /// Narrows the guard to a part of the value.
    pub fn map<U: ?Sized, F: FnOnce(&T) -> &U>(this: Self, f: F) -> RwLockReadGuard<'a, U> {
        let (sem, data) = (this.sem, this.data);
        std::mem::forget(this);
        // SAFETY: the read permit moves from `this` (forgotten) to the new guard, so the value
        // stays shared-borrowable for as long as the new guard lives.
        let data = f(unsafe { &*data }) as *const U;
        RwLockReadGuard {
            sem,
            data,
            _marker: PhantomData,
        }
    }

    /// Like [`map`](RwLockReadGuard::map), but `f` may decline; the guard comes back then.
    ///
    /// # Errors
    ///
    /// The original guard when `f` returns `None`.
    ///
    /// ```
    /// use filch::sync::{RwLock, RwLockReadGuard};
    /// let lock = RwLock::new(vec![7]);
    /// let first = RwLockReadGuard::try_map(lock.try_read().unwrap(), |v| v.first()).unwrap();
    /// assert_eq!(*first, 7);
    /// ```
    pub fn try_map<U: ?Sized, F>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        // SAFETY: `this` holds a read permit for the duration of the borrow.
        let data = match f(unsafe { &*this.data }) {
            Some(d) => d as *const U,
            None => return Err(this),
        };
        let sem = this.sem;
        std::mem::forget(this);
        Ok(RwLockReadGuard {
            sem,
            data,
            _marker: PhantomData,
        })
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds a read permit, so no writer holds the lock.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.sem.release(1, false);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Exclusive write access to the value of an [`RwLock`]; released when dropped.
///
/// ```
/// use filch::sync::RwLock;
/// let lock = RwLock::new(1);
/// *lock.try_write().unwrap() += 1;
/// assert_eq!(*lock.try_read().unwrap(), 2);
/// ```
#[must_use = "the lock is released at once if the guard is not held"]
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    sem: &'a Semaphore,
    permits: u32,
    data: *mut T,
    _marker: PhantomData<&'a mut T>,
}

impl<'a, T: ?Sized> RwLockWriteGuard<'a, T> {
    /// Narrows the guard to a part of the value; the write lock stays held.
    ///
    /// ```
    /// use filch::sync::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new((1, 2));
    /// *RwLockWriteGuard::map(lock.try_write().unwrap(), |p| &mut p.0) = 9;
    /// assert_eq!(*lock.try_read().unwrap(), (9, 2));
    /// ```
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let (sem, permits, data) = (this.sem, this.permits, this.data);
        std::mem::forget(this);
        // SAFETY: the write permits move from `this` (forgotten) to the new guard.
        let data = f(unsafe { &mut *data }) as *mut U;
        RwLockMappedWriteGuard {
            sem,
            permits,
            data,
            _marker: PhantomData,
        }
    }

    /// Like [`map`](RwLockWriteGuard::map), but `f` may decline; the guard comes back then.
    ///
    /// # Errors
    ///
    /// The original guard when `f` returns `None`.
    ///
    /// ```
    /// use filch::sync::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new(vec![1]);
    /// let g = RwLockWriteGuard::try_map(lock.try_write().unwrap(), |v| v.get_mut(5));
    /// assert!(g.is_err());
    /// ```
    pub fn try_map<U: ?Sized, F>(this: Self, f: F) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        // SAFETY: `this` holds the write lock for the duration of the borrow.
        let data = match f(unsafe { &mut *this.data }) {
            Some(d) => d as *mut U,
            None => return Err(this),
        };
        let (sem, permits) = (this.sem, this.permits);
        std::mem::forget(this);
        Ok(RwLockMappedWriteGuard {
            sem,
            permits,
            data,
            _marker: PhantomData,
        })
    }

    /// Turns the guard into a mapped write guard of the whole value.
    ///
    /// ```
    /// use filch::sync::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new(1);
    /// let mut g = RwLockWriteGuard::into_mapped(lock.try_write().unwrap());
    /// *g = 2;
    /// drop(g);
    /// assert_eq!(*lock.try_read().unwrap(), 2);
    /// ```
    pub fn into_mapped(this: Self) -> RwLockMappedWriteGuard<'a, T> {
        RwLockWriteGuard::map(this, |v| v)
    }

    /// Downgrades to read access to a part of the value, atomically (no writer in between).
    ///
    /// ```
    /// use filch::sync::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new((1, 2));
    /// let second = RwLockWriteGuard::downgrade_map(lock.try_write().unwrap(), |p| &p.1);
    /// assert_eq!(*second, 2);
    /// assert!(lock.try_read().is_ok());
    /// assert!(lock.try_write().is_err());
    /// ```
    pub fn downgrade_map<U: ?Sized, F>(this: Self, f: F) -> RwLockReadGuard<'a, U>
    where
        F: FnOnce(&T) -> &U,
    {
        RwLockReadGuard::map(RwLockWriteGuard::downgrade(this), f)
    }

    /// Like [`downgrade_map`](RwLockWriteGuard::downgrade_map), but `f` may decline; the write
    /// guard comes back then, still exclusive.
    ///
    /// # Errors
    ///
    /// The original guard when `f` returns `None`.
    ///
    /// ```
    /// use filch::sync::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new(vec![1]);
    /// let w = RwLockWriteGuard::try_downgrade_map(lock.try_write().unwrap(), |v| v.get(4));
    /// assert!(w.is_err());
    /// ```
    pub fn try_downgrade_map<U: ?Sized, F>(this: Self, f: F) -> Result<RwLockReadGuard<'a, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        // SAFETY: `this` holds the write lock for the duration of the shared borrow.
        let data = match f(unsafe { &*this.data }) {
            Some(d) => d as *const U,
            None => return Err(this),
        };
        let read = RwLockWriteGuard::downgrade(this);
        let sem = read.sem;
        std::mem::forget(read);
        Ok(RwLockReadGuard {
            sem,
            data,
            _marker: PhantomData,
        })
    }

    /// Turns write access into read access without letting any writer in between. Readers that
    /// were queued may then join (unless a writer is queued before them).
    ///
    /// ```
    /// use filch::sync::{RwLock, RwLockWriteGuard};
    /// let lock = RwLock::new(1);
    /// let mut w = lock.try_write().unwrap();
    /// *w = 2;
    /// let r = RwLockWriteGuard::downgrade(w);
    /// assert_eq!(*r, 2);
    /// assert!(lock.try_read().is_ok());
    /// assert!(lock.try_write().is_err());
    /// ```
    pub fn downgrade(this: Self) -> RwLockReadGuard<'a, T> {
        let (sem, permits, data) = (this.sem, this.permits, this.data);
        std::mem::forget(this);
        // Keep one permit for the read guard; the rest go to the queue.
        sem.release(permits as usize - 1, false);
        RwLockReadGuard {
            sem,
            data,
            _marker: PhantomData,
        }
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds every permit of the lock.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds every permit of the lock and `&mut self` is exclusive.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.sem.release(self.permits as usize, false);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// A write guard narrowed to part of the value by [`RwLockWriteGuard::map`].
///
/// ```
/// use filch::sync::{RwLock, RwLockMappedWriteGuard, RwLockWriteGuard};
/// let lock = RwLock::new(((1, 2), 3));
/// let inner = RwLockWriteGuard::map(lock.try_write().unwrap(), |v| &mut v.0);
/// *RwLockMappedWriteGuard::map(inner, |p| &mut p.1) = 7;
/// assert_eq!(lock.try_read().unwrap().0, (1, 7));
/// ```
#[must_use = "the lock is released at once if the guard is not held"]
pub struct RwLockMappedWriteGuard<'a, T: ?Sized> {
    sem: &'a Semaphore,
    permits: u32,
    data: *mut T,
    _marker: PhantomData<&'a mut T>,
}

impl<'a, T: ?Sized> RwLockMappedWriteGuard<'a, T> {
    /// Narrows the guard further.
    pub fn map<U: ?Sized, F>(this: Self, f: F) -> RwLockMappedWriteGuard<'a, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let (sem, permits, data) = (this.sem, this.permits, this.data);
        std::mem::forget(this);
        // SAFETY: the write permits move from `this` (forgotten) to the new guard.
        let data = f(unsafe { &mut *data }) as *mut U;
        RwLockMappedWriteGuard {
            sem,
            permits,
            data,
            _marker: PhantomData,
        }
    }

    /// Like [`map`](RwLockMappedWriteGuard::map), but `f` may decline; the guard comes back then.
    ///
    /// # Errors
    ///
    /// The original guard when `f` returns `None`.
    pub fn try_map<U: ?Sized, F>(this: Self, f: F) -> Result<RwLockMappedWriteGuard<'a, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        // SAFETY: `this` holds the write lock for the duration of the borrow; on `Some` the
        // permits move to the new guard and `this` is forgotten.
        let data = match f(unsafe { &mut *this.data }) {
            Some(d) => d as *mut U,
            None => return Err(this),
        };
        let (sem, permits) = (this.sem, this.permits);
        std::mem::forget(this);
        Ok(RwLockMappedWriteGuard {
            sem,
            permits,
            data,
            _marker: PhantomData,
        })
    }
}

impl<T: ?Sized> Deref for RwLockMappedWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds every permit of the lock.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized> DerefMut for RwLockMappedWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds every permit of the lock and `&mut self` is exclusive.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized> Drop for RwLockMappedWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.sem.release(self.permits as usize, false);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwLockMappedWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Read access through an `Arc<RwLock<T>>` ([`RwLock::read_owned`]), to a `U` inside the value
/// (`U = T` unless mapped).
///
/// ```
/// use std::sync::Arc;
/// use filch::sync::{OwnedRwLockReadGuard, RwLock};
/// let lock = Arc::new(RwLock::new((1, 2)));
/// let g = OwnedRwLockReadGuard::map(lock.clone().try_read_owned().unwrap(), |p| &p.0);
/// assert_eq!(*g, 1);
/// assert!(Arc::ptr_eq(g.rwlock(), &lock));
/// ```
#[must_use = "the lock is released at once if the guard is not held"]
pub struct OwnedRwLockReadGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<RwLock<T>>,
    data: *const U,
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockReadGuard<T, U> {
    /// Narrows the guard to a part of the value.
    pub fn map<V: ?Sized, F: FnOnce(&U) -> &V>(this: Self, f: F) -> OwnedRwLockReadGuard<T, V> {
        // SAFETY: `this` holds a read permit, moved (with the Arc) into the new guard below.
        let data = f(unsafe { &*this.data }) as *const V;
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so the Arc is moved out exactly once.
        let lock = unsafe { std::ptr::read(&this.lock) };
        OwnedRwLockReadGuard { lock, data }
    }

    /// Like [`map`](OwnedRwLockReadGuard::map), but `f` may decline; the guard comes back then.
    ///
    /// # Errors
    ///
    /// The original guard when `f` returns `None`.
    pub fn try_map<V: ?Sized, F>(this: Self, f: F) -> Result<OwnedRwLockReadGuard<T, V>, Self>
    where
        F: FnOnce(&U) -> Option<&V>,
    {
        // SAFETY: `this` holds a read permit for the duration of the borrow.
        let data = match f(unsafe { &*this.data }) {
            Some(d) => d as *const V,
            None => return Err(this),
        };
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so the Arc is moved out exactly once.
        let lock = unsafe { std::ptr::read(&this.lock) };
        Ok(OwnedRwLockReadGuard { lock, data })
    }

    /// The lock this guard reads.
    pub fn rwlock(&self) -> &Arc<RwLock<T>> {
        &self.lock
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockReadGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: the guard holds a read permit; `data` points into the locked value, which the
        // Arc keeps alive.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockReadGuard<T, U> {
    fn drop(&mut self) {
        self.lock.sem.release(1, false);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockReadGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Write access through an `Arc<RwLock<T>>` ([`RwLock::write_owned`]).
///
/// ```
/// use std::sync::Arc;
/// use filch::sync::{OwnedRwLockWriteGuard, RwLock};
/// let lock = Arc::new(RwLock::new(1));
/// let mut w = lock.clone().try_write_owned().unwrap();
/// *w = 2;
/// let r = OwnedRwLockWriteGuard::downgrade(w);
/// assert_eq!(*r, 2);
/// assert!(lock.try_read().is_ok());
/// ```
#[must_use = "the lock is released at once if the guard is not held"]
pub struct OwnedRwLockWriteGuard<T: ?Sized> {
    lock: Arc<RwLock<T>>,
    permits: u32,
}

impl<T: ?Sized> OwnedRwLockWriteGuard<T> {
    /// Turns the guard into a mapped write guard of the whole value.
    pub fn into_mapped(this: Self) -> OwnedRwLockMappedWriteGuard<T> {
        OwnedRwLockWriteGuard::map(this, |v| v)
    }

    /// Downgrades to read access to a part of the value, atomically (no writer in between).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::{OwnedRwLockWriteGuard, RwLock};
    /// let lock = Arc::new(RwLock::new((1, 2)));
    /// let w = lock.clone().try_write_owned().unwrap();
    /// let first = OwnedRwLockWriteGuard::downgrade_map(w, |p| &p.0);
    /// assert_eq!(*first, 1);
    /// assert!(lock.try_write().is_err());
    /// ```
    pub fn downgrade_map<U: ?Sized, F>(this: Self, f: F) -> OwnedRwLockReadGuard<T, U>
    where
        F: FnOnce(&T) -> &U,
    {
        OwnedRwLockReadGuard::map(OwnedRwLockWriteGuard::downgrade(this), f)
    }

    /// Like [`downgrade_map`](OwnedRwLockWriteGuard::downgrade_map), but `f` may decline; the
    /// write guard comes back then, still exclusive.
    ///
    /// # Errors
    ///
    /// The original guard when `f` returns `None`.
    pub fn try_downgrade_map<U: ?Sized, F>(
        this: Self,
        f: F,
    ) -> Result<OwnedRwLockReadGuard<T, U>, Self>
    where
        F: FnOnce(&T) -> Option<&U>,
    {
        let data = match f(&*this) {
            Some(d) => d as *const U,
            None => return Err(this),
        };
        let read = OwnedRwLockWriteGuard::downgrade(this);
        let read = std::mem::ManuallyDrop::new(read);
        // SAFETY: `read` is never used or dropped again, so the Arc is moved out exactly once;
        // its read permit moves with it.
        let lock = unsafe { std::ptr::read(&read.lock) };
        Ok(OwnedRwLockReadGuard { lock, data })
    }

    /// Turns write access into read access without letting any writer in between.
    pub fn downgrade(this: Self) -> OwnedRwLockReadGuard<T> {
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so the Arc is moved out exactly once.
        let lock = unsafe { std::ptr::read(&this.lock) };
        lock.sem.release(this.permits as usize - 1, false);
        let data = lock.data.get() as *const T;
        OwnedRwLockReadGuard { lock, data }
    }

    /// The lock this guard writes.
    pub fn rwlock(&self) -> &Arc<RwLock<T>> {
        &self.lock
    }

    /// Narrows the guard to a part of the value; the write lock stays held.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use filch::sync::{OwnedRwLockWriteGuard, RwLock};
    /// let lock = Arc::new(RwLock::new((1, 2)));
    /// let mut first = OwnedRwLockWriteGuard::map(lock.clone().try_write_owned().unwrap(), |p| &mut p.0);
    /// *first = 7;
    /// assert!(lock.try_read().is_err());
    /// drop(first);
    /// assert_eq!(*lock.try_read().unwrap(), (7, 2));
    /// ```
    pub fn map<U: ?Sized, F>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, U>
    where
        F: FnOnce(&mut T) -> &mut U,
    {
        let data = f(&mut *this) as *mut U;
        let permits = this.permits;
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so the Arc is moved out exactly once;
        // the write permits move with it to the new guard.
        let lock = unsafe { std::ptr::read(&this.lock) };
        OwnedRwLockMappedWriteGuard {
            lock,
            permits,
            data,
        }
    }

    /// Like [`map`](OwnedRwLockWriteGuard::map), but `f` may decline; the guard comes back then.
    ///
    /// # Errors
    ///
    /// The original guard when `f` returns `None`.
    pub fn try_map<U: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, U>, Self>
    where
        F: FnOnce(&mut T) -> Option<&mut U>,
    {
        let data = match f(&mut *this) {
            Some(d) => d as *mut U,
            None => return Err(this),
        };
        let permits = this.permits;
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so the Arc is moved out exactly once.
        let lock = unsafe { std::ptr::read(&this.lock) };
        Ok(OwnedRwLockMappedWriteGuard {
            lock,
            permits,
            data,
        })
    }
}

/// An [`OwnedRwLockWriteGuard`] narrowed to a `U` inside the value by
/// [`OwnedRwLockWriteGuard::map`].
///
/// ```
/// use std::sync::Arc;
/// use filch::sync::{OwnedRwLockMappedWriteGuard, OwnedRwLockWriteGuard, RwLock};
/// let lock = Arc::new(RwLock::new(((1, 2), 3)));
/// let inner = OwnedRwLockWriteGuard::map(lock.clone().try_write_owned().unwrap(), |v| &mut v.0);
/// *OwnedRwLockMappedWriteGuard::map(inner, |p| &mut p.1) = 9;
/// assert_eq!(lock.try_read().unwrap().0, (1, 9));
/// ```
#[must_use = "the lock is released at once if the guard is not held"]
pub struct OwnedRwLockMappedWriteGuard<T: ?Sized, U: ?Sized = T> {
    lock: Arc<RwLock<T>>,
    permits: u32,
    data: *mut U,
}

// SAFETY: the guard owns an `Arc<RwLock<T>>` (needs `T: Send + Sync` to cross threads) and
// exclusive access to a `U` inside the value, like `&mut U`.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Send
    for OwnedRwLockMappedWriteGuard<T, U>
{
}
// SAFETY: see above.
unsafe impl<T: ?Sized + Send + Sync, U: ?Sized + Send + Sync> Sync
    for OwnedRwLockMappedWriteGuard<T, U>
{
}

impl<T: ?Sized, U: ?Sized> OwnedRwLockMappedWriteGuard<T, U> {
    /// The lock this guard writes.
    pub fn rwlock(&self) -> &Arc<RwLock<T>> {
        &self.lock
    }

    /// Narrows the guard further.
    pub fn map<V: ?Sized, F>(mut this: Self, f: F) -> OwnedRwLockMappedWriteGuard<T, V>
    where
        F: FnOnce(&mut U) -> &mut V,
    {
        let data = f(&mut *this) as *mut V;
        let permits = this.permits;
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so the Arc is moved out exactly once.
        let lock = unsafe { std::ptr::read(&this.lock) };
        OwnedRwLockMappedWriteGuard {
            lock,
            permits,
            data,
        }
    }

    /// Like [`map`](OwnedRwLockMappedWriteGuard::map), but `f` may decline; the guard comes back
    /// then.
    ///
    /// # Errors
    ///
    /// The original guard when `f` returns `None`.
    pub fn try_map<V: ?Sized, F>(
        mut this: Self,
        f: F,
    ) -> Result<OwnedRwLockMappedWriteGuard<T, V>, Self>
    where
        F: FnOnce(&mut U) -> Option<&mut V>,
    {
        let data = match f(&mut *this) {
            Some(d) => d as *mut V,
            None => return Err(this),
        };
        let permits = this.permits;
        let this = std::mem::ManuallyDrop::new(this);
        // SAFETY: `this` is never used or dropped again, so the Arc is moved out exactly once.
        let lock = unsafe { std::ptr::read(&this.lock) };
        Ok(OwnedRwLockMappedWriteGuard {
            lock,
            permits,
            data,
        })
    }
}

impl<T: ?Sized, U: ?Sized> Deref for OwnedRwLockMappedWriteGuard<T, U> {
    type Target = U;
    fn deref(&self) -> &U {
        // SAFETY: the guard holds every permit of the lock; the Arc keeps the value alive.
        unsafe { &*self.data }
    }
}

impl<T: ?Sized, U: ?Sized> DerefMut for OwnedRwLockMappedWriteGuard<T, U> {
    fn deref_mut(&mut self) -> &mut U {
        // SAFETY: as in `deref`, and `&mut self` is exclusive.
        unsafe { &mut *self.data }
    }
}

impl<T: ?Sized, U: ?Sized> Drop for OwnedRwLockMappedWriteGuard<T, U> {
    fn drop(&mut self) {
        self.lock.sem.release(self.permits as usize, false);
    }
}

impl<T: ?Sized, U: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockMappedWriteGuard<T, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized> Deref for OwnedRwLockWriteGuard<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard holds every permit of the lock.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> DerefMut for OwnedRwLockWriteGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard holds every permit of the lock and `&mut self` is exclusive.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for OwnedRwLockWriteGuard<T> {
    fn drop(&mut self) {
        self.lock.sem.release(self.permits as usize, false);
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for OwnedRwLockWriteGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
