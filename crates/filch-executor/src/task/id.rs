//! [`Id`]: an opaque, process-unique task identifier, and [`id`]/[`try_id`] for the task being
//! polled on the current thread.

use std::cell::Cell;
use std::fmt;

/// An opaque identifier of a task, unique among all tasks of the process (spawned and blocking)
/// for as long as the process runs.
///
/// Ids are not reused, but they carry no meaning beyond identity: do not rely on their order or
/// their numeric value.
///
/// ```
/// # let rt = filch::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let handle = filch::spawn(async { filch::task::id() });
/// let id = handle.id();
/// assert_eq!(handle.await.unwrap(), id);
/// # });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Id(u64);

impl Id {
    pub(crate) fn from_u64(id: u64) -> Id {
        Id(id)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

thread_local! {
    /// The id of the task being polled (or dropped) on this thread; 0 when none (real ids start
    /// at 1).
    static CURRENT: Cell<u64> = const { Cell::new(0) };
}

/// Marks `id` as the current task's id; returns the previous value for [`restore`].
#[inline]
pub(crate) fn enter(id: u64) -> u64 {
    CURRENT.with(|c| c.replace(id))
}

/// Undoes [`enter`].
#[inline]
pub(crate) fn restore(previous: u64) {
    CURRENT.with(|c| c.set(previous));
}

/// The [`Id`] of the task that is running this code.
///
/// # Panics
///
/// When called outside a task (for example on a plain thread, or directly inside
/// `Runtime::block_on`, whose future is not a task). Use [`try_id`] where that can happen.
///
/// ```
/// # let rt = filch::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let handle = filch::spawn(async { filch::task::id() });
/// assert_eq!(handle.id(), handle.await.unwrap());
/// # });
/// ```
#[track_caller]
pub fn id() -> Id {
    try_id().expect(
        "filch::task::id() was called outside a task: it only works inside a spawned or \
         blocking task; use filch::task::try_id() to get None elsewhere",
    )
}

/// The [`Id`] of the task that is running this code, or `None` outside a task.
///
/// ```
/// assert!(filch::task::try_id().is_none());
/// # let rt = filch::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let id = filch::spawn(async { filch::task::try_id() }).await.unwrap();
/// assert!(id.is_some());
/// # });
/// ```
pub fn try_id() -> Option<Id> {
    match CURRENT.with(|c| c.get()) {
        0 => None,
        id => Some(Id(id)),
    }
}
