//! A cell initialized at most once, by an async function.
//!
//! The value lives in a `std::sync::OnceLock`; who runs the initializer is decided by a
//! one-permit [`Semaphore`] (as in tokio's `OnceCell`, whose idea this is): the holder of the
//! permit initializes, and if its future is dropped or fails, the permit passes to the next
//! caller in line.

use std::fmt;
use std::future::Future;
use std::sync::OnceLock;

use super::semaphore::{Semaphore, TryAcquireError};

/// A thread-safe cell written once, possibly by an async initializer.
///
/// ```
/// use filch::sync::OnceCell;
///
/// static CONFIG: std::sync::LazyLock<OnceCell<String>> = std::sync::LazyLock::new(OnceCell::new);
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let v = CONFIG.get_or_init(|| async { "loaded".to_string() }).await;
///     assert_eq!(v, "loaded");
///     // Later calls do not run the initializer.
///     let v = CONFIG.get_or_init(|| async { unreachable!() }).await;
///     assert_eq!(v, "loaded");
/// });
/// ```
pub struct OnceCell<T> {
    value: OnceLock<T>,
    /// One permit: the right to initialize. Closed once the value is set.
    sem: Semaphore,
}

/// The error of [`OnceCell::set`]; it gives the value back.
///
/// ```
/// use filch::sync::{OnceCell, SetError};
/// let cell = OnceCell::new_with(Some(1));
/// match cell.set(2) {
///     Err(SetError::AlreadyInitializedError(v)) => assert_eq!(v, 2),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell already holds a value.
    AlreadyInitializedError(T),
    /// Another task is running an initializer right now.
    InitializingError(T),
}

impl<T> SetError<T> {
    /// Whether the cell was already initialized.
    pub fn is_already_init_err(&self) -> bool {
        matches!(self, SetError::AlreadyInitializedError(_))
    }

    /// Whether another task was initializing the cell.
    pub fn is_initializing_err(&self) -> bool {
        matches!(self, SetError::InitializingError(_))
    }
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitializedError(_) => {
                f.write_str("the OnceCell already holds a value")
            }
            SetError::InitializingError(_) => {
                f.write_str("the OnceCell is being initialized by another task")
            }
        }
    }
}

impl<T: fmt::Debug> std::error::Error for SetError<T> {}

impl<T> OnceCell<T> {
    /// Creates an empty cell.
    ///
    /// ```
    /// use filch::sync::OnceCell;
    /// let cell = OnceCell::<u8>::new();
    /// assert!(cell.get().is_none());
    /// ```
    pub fn new() -> OnceCell<T> {
        OnceCell {
            value: OnceLock::new(),
            sem: Semaphore::new(1),
        }
    }

    /// Creates an empty cell in a `const` context (for a `static`).
    ///
    /// ```
    /// use filch::sync::OnceCell;
    /// static CELL: OnceCell<u32> = OnceCell::const_new();
    /// CELL.set(3).unwrap();
    /// assert_eq!(CELL.get(), Some(&3));
    /// ```
    #[cfg(not(loom))]
    pub const fn const_new() -> OnceCell<T> {
        OnceCell {
            value: OnceLock::new(),
            sem: Semaphore::const_new(1),
        }
    }

    /// Creates a cell holding `value` if it is `Some`, else an empty one.
    ///
    /// ```
    /// use filch::sync::OnceCell;
    /// assert_eq!(OnceCell::new_with(Some(3)).get(), Some(&3));
    /// assert!(OnceCell::<u8>::new_with(None).get().is_none());
    /// ```
    pub fn new_with(value: Option<T>) -> OnceCell<T> {
        match value {
            Some(v) => OnceCell::from(v),
            None => OnceCell::new(),
        }
    }

    /// Whether the cell holds a value.
    ///
    /// ```
    /// use filch::sync::OnceCell;
    /// let cell = OnceCell::new();
    /// assert!(!cell.initialized());
    /// cell.set(1).unwrap();
    /// assert!(cell.initialized());
    /// ```
    pub fn initialized(&self) -> bool {
        self.value.get().is_some()
    }

    /// The value, if set.
    ///
    /// ```
    /// use filch::sync::OnceCell;
    /// let cell = OnceCell::new();
    /// assert_eq!(cell.get(), None);
    /// cell.set(5).unwrap();
    /// assert_eq!(cell.get(), Some(&5));
    /// ```
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// A mutable reference to the value, if set.
    ///
    /// ```
    /// use filch::sync::OnceCell;
    /// let mut cell = OnceCell::new_with(Some(1));
    /// *cell.get_mut().unwrap() += 1;
    /// assert_eq!(cell.get(), Some(&2));
    /// ```
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.value.get_mut()
    }

    /// Sets the value if the cell is empty and nobody is initializing it.
    ///
    /// # Errors
    ///
    /// [`SetError::AlreadyInitializedError`] if it holds a value,
    /// [`SetError::InitializingError`] if a `get_or_init` is running; both give `value` back.
    ///
    /// ```
    /// use filch::sync::OnceCell;
    /// let cell = OnceCell::new();
    /// assert!(cell.set(1).is_ok());
    /// assert!(cell.set(2).unwrap_err().is_already_init_err());
    /// ```
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        if self.initialized() {
            return Err(SetError::AlreadyInitializedError(value));
        }
        match self.sem.try_acquire() {
            Ok(permit) => {
                self.set_with_permit(value, permit);
                Ok(())
            }
            Err(TryAcquireError::NoPermits) => Err(SetError::InitializingError(value)),
            Err(TryAcquireError::Closed) => Err(SetError::AlreadyInitializedError(value)),
        }
    }

    fn set_with_permit(&self, value: T, permit: super::SemaphorePermit<'_>) -> &T {
        // Only the permit holder writes, so the cell is empty here and `set` cannot fail.
        let stored = self.value.get_or_init(|| value);
        // The permit is never returned: closing wakes the waiters, who then read the value.
        permit.forget();
        self.sem.close();
        stored
    }

    /// The value, running `f` to produce it if the cell is empty. Only one initializer runs at a
    /// time; other callers wait for it and then get its value.
    ///
    /// Cancel safety: if the task running the initializer is cancelled (or `f` panics), the next
    /// waiting caller runs its own initializer.
    ///
    /// ```
    /// use filch::sync::OnceCell;
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let cell = OnceCell::new();
    ///     assert_eq!(*cell.get_or_init(|| async { 7 }).await, 7);
    ///     assert_eq!(*cell.get_or_init(|| async { 8 }).await, 7);
    /// });
    /// ```
    pub async fn get_or_init<F, Fut>(&self, f: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        if let Some(v) = self.get() {
            return v;
        }
        match self.sem.acquire().await {
            Ok(permit) => {
                // An earlier holder may have set the value between our check and the grant; it
                // closes the semaphore afterwards, but a grant can race that close.
                if let Some(v) = self.get() {
                    return v;
                }
                let value = f().await;
                self.set_with_permit(value, permit)
            }
            Err(_) => self
                .get()
                .expect("a OnceCell's semaphore is closed only after its value is set"),
        }
    }

    /// Like [`get_or_init`](OnceCell::get_or_init) with a fallible initializer; on error the cell
    /// stays empty, the error is returned and the next waiting caller tries.
    ///
    /// # Errors
    ///
    /// The error of `f`.
    ///
    /// ```
    /// use filch::sync::OnceCell;
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let cell = OnceCell::new();
    ///     assert_eq!(cell.get_or_try_init(|| async { Err::<u8, _>("no") }).await, Err("no"));
    ///     assert_eq!(cell.get_or_try_init(|| async { Ok::<u8, &str>(1) }).await, Ok(&1));
    /// });
    /// ```
    pub async fn get_or_try_init<E, F, Fut>(&self, f: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(v) = self.get() {
            return Ok(v);
        }
        match self.sem.acquire().await {
            Ok(permit) => {
                if let Some(v) = self.get() {
                    return Ok(v);
                }
                let value = f().await?;
                Ok(self.set_with_permit(value, permit))
            }
            Err(_) => Ok(self
                .get()
                .expect("a OnceCell's semaphore is closed only after its value is set")),
        }
    }

    /// Takes the value out of the cell.
    ///
    /// ```
    /// use filch::sync::OnceCell;
    /// assert_eq!(OnceCell::new_with(Some(4)).into_inner(), Some(4));
    /// ```
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }

    /// Takes the value out, leaving the cell empty (and ready to be initialized again).
    ///
    /// ```
    /// use filch::sync::OnceCell;
    /// let mut cell = OnceCell::new_with(Some(4));
    /// assert_eq!(cell.take(), Some(4));
    /// assert!(!cell.initialized());
    /// assert!(cell.set(5).is_ok());
    /// ```
    pub fn take(&mut self) -> Option<T> {
        std::mem::take(self).into_inner()
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> OnceCell<T> {
        OnceCell::new()
    }
}

impl<T> From<T> for OnceCell<T> {
    fn from(value: T) -> OnceCell<T> {
        let sem = Semaphore::new(0);
        sem.close();
        OnceCell {
            value: OnceLock::from(value),
            sem,
        }
    }
}

impl<T: Clone> Clone for OnceCell<T> {
    fn clone(&self) -> OnceCell<T> {
        OnceCell::new_with(self.get().cloned())
    }
}

impl<T: PartialEq> PartialEq for OnceCell<T> {
    fn eq(&self, other: &OnceCell<T>) -> bool {
        self.get() == other.get()
    }
}

impl<T: Eq> Eq for OnceCell<T> {}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OnceCell")
            .field("value", &self.get())
            .finish()
    }
}
