//! [`JoinError`]: why a task did not produce its output.

use std::any::Any;
use std::fmt;

/// The reason a task's [`JoinHandle`](super::JoinHandle) yields no output: the task was
/// cancelled (aborted, or its runtime shut down), or its future panicked.
///
/// ```
/// # let rt = filch::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let handle = filch::spawn(async { panic!("boom") });
/// let err = handle.await.unwrap_err();
/// assert!(err.is_panic());
/// assert_eq!(err.into_panic().downcast_ref::<&str>(), Some(&"boom"));
/// # });
/// ```
pub struct JoinError {
    id: u64,
    repr: Repr,
}

enum Repr {
    Cancelled,
    Panic {
        payload: SyncPayload,
        message: Option<String>,
    },
}

/// A panic payload that can be shared between threads.
///
/// # Invariant
///
/// The payload is only ever reached by value (`into_panic`), never through `&self`, so sharing a
/// `&SyncPayload` between threads cannot touch the `!Sync` value inside.
struct SyncPayload(Box<dyn Any + Send + 'static>);

// SAFETY: see the invariant: no `&self` method exposes the payload, so `&SyncPayload` is useless
// for reaching the `!Sync` contents and may be shared freely.
unsafe impl Sync for SyncPayload {}

impl JoinError {
    pub(crate) fn cancelled(id: u64) -> JoinError {
        JoinError {
            id,
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(id: u64, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        let message = payload
            .downcast_ref::<&'static str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned());
        JoinError {
            id,
            repr: Repr::Panic {
                payload: SyncPayload(payload),
                message,
            },
        }
    }

    /// The [`Id`](super::Id) of the task that failed.
    ///
    /// ```
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let handle = filch::spawn(std::future::pending::<()>());
    /// let id = handle.id();
    /// handle.abort();
    /// assert_eq!(handle.await.unwrap_err().id(), id);
    /// # });
    /// ```
    pub fn id(&self) -> super::Id {
        super::Id::from_u64(self.id)
    }

    /// Whether the task was cancelled, by [`JoinHandle::abort`](super::JoinHandle::abort) or by
    /// its runtime shutting down.
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let handle = filch::spawn(std::future::pending::<()>());
    /// handle.abort();
    /// let error = handle.await.unwrap_err();
    /// assert!(error.is_cancelled() && !error.is_panic());
    /// # });
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// Whether the task's future panicked (while being polled, or while being dropped).
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let error = filch::spawn(async { panic!("boom") }).await.unwrap_err();
    /// assert!(error.is_panic() && !error.is_cancelled());
    /// # });
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic { .. })
    }

    /// The panic payload, to resume the panic with [`std::panic::resume_unwind`].
    ///
    /// # Panics
    ///
    /// If the error is not a panic; use [`try_into_panic`](Self::try_into_panic) to check.
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let error = filch::spawn(async { panic!("boom") }).await.unwrap_err();
    /// let payload = error.into_panic();
    /// assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    /// // In a program: `std::panic::resume_unwind(payload)` re-raises it here.
    /// # });
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .expect("JoinError::into_panic called on a cancellation; check is_panic() first")
    }

    /// The panic payload, or the error back if it was a cancellation.
    ///
    /// ```
    /// # filch::runtime::Runtime::new().unwrap().block_on(async {
    /// let handle = filch::spawn(std::future::pending::<()>());
    /// handle.abort();
    /// let error = handle.await.unwrap_err();
    /// let error = error.try_into_panic().unwrap_err(); // a cancellation, not a panic
    /// assert!(error.is_cancelled());
    /// # });
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic { payload, .. } => Ok(payload.0),
            repr => Err(JoinError { id: self.id, repr }),
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "task {} was cancelled", self.id),
            Repr::Panic {
                message: Some(m), ..
            } => write!(f, "task {} panicked with message {m:?}", self.id),
            Repr::Panic { message: None, .. } => write!(f, "task {} panicked", self.id),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "JoinError::Cancelled({})", self.id),
            Repr::Panic { message, .. } => {
                write!(f, "JoinError::Panic({}, {message:?}, ..)", self.id)
            }
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(err: JoinError) -> std::io::Error {
        std::io::Error::other(err.to_string())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + std::error::Error + 'static>() {}

    #[test]
    fn join_error_is_send_sync_error() {
        assert_send_sync::<JoinError>();
    }

    #[test]
    fn cancelled_message_and_accessors() {
        let err = JoinError::cancelled(7);
        assert!(err.is_cancelled() && !err.is_panic());
        assert_eq!(err.to_string(), "task 7 was cancelled");
        let err = err.try_into_panic().unwrap_err();
        assert!(err.is_cancelled());
    }

    #[test]
    fn panic_keeps_payload_and_message() {
        let err = JoinError::panic(3, Box::new(String::from("bad input")));
        assert!(err.is_panic());
        assert_eq!(
            err.to_string(),
            "task 3 panicked with message \"bad input\""
        );
        let payload = err.into_panic();
        assert_eq!(payload.downcast_ref::<String>().unwrap(), "bad input");
        let err = JoinError::panic(4, Box::new(17_u32));
        assert_eq!(err.to_string(), "task 4 panicked");
    }
}
