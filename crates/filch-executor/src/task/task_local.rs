//! Task-local values: [`task_local!`](crate::task_local), [`LocalKey`] and [`TaskLocalFuture`].
//!
//! # How a value follows its task
//!
//! `task_local! { static KEY: T; }` declares a `static KEY: LocalKey<T>`, which wraps a
//! `std::thread_local!` slot of type `RefCell<Option<T>>` (empty on every thread) and the key's
//! name. The value itself lives in the future, not in the thread: [`LocalKey::scope`] returns a
//! [`TaskLocalFuture`] that owns the value, and around each poll of the inner future swaps the
//! value into the thread-local slot and back out again afterwards. So the value is visible to
//! the inner future (and everything it calls synchronously) on whichever thread polls it: a task
//! that moves between workers of a multi-thread runtime sees its value on each of them, and
//! another task polled on the same thread in between does not see it.
//!
//! The swap back is done by a guard, so the slot is restored even when the poll (or the closure of
//! [`LocalKey::sync_scope`]) panics: the value that was there before the scope (a value from an
//! enclosing scope, or none) is what the code after the catch sees. Scopes nest: an inner scope of
//! the same key shadows the outer value while it runs.
//!
//! # What does not see the value
//!
//! Only code running inside the scope sees it. A task started with `spawn`, `spawn_local` or
//! `spawn_blocking` from inside a scope is a separate computation on (maybe) another thread and
//! does *not* inherit the value: pass it explicitly (move a clone into the closure or the async
//! block), or open a new scope inside the spawned task.
//!
//! # Errors
//!
//! [`LocalKey::with`] and [`LocalKey::get`] outside any scope of the key panic with a message that
//! names the key; [`LocalKey::try_with`] and [`LocalKey::try_get`] return an [`AccessError`]
//! instead. Opening a scope of a key inside a [`LocalKey::with`] closure of the same key (its value
//! is borrowed) panics, as does opening one while the thread's thread-locals are being destroyed.
//!
//! # Dropping
//!
//! A `TaskLocalFuture` drops its inner future inside the scope, so the future's destructors can
//! still read the value; it does so when the future completes (inside the poll that completed it)
//! or when the `TaskLocalFuture` is dropped first. The value itself is dropped with the
//! `TaskLocalFuture` (or returned by [`TaskLocalFuture::take_value`]).
//!
//! The API and the swap-in-around-each-poll design are tokio's; the code is ours.

use std::cell::RefCell;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys: `static` items of type [`LocalKey`].
///
/// Several keys may be declared in one invocation; each takes attributes (doc comments) and a
/// visibility. A value is given to a key for the duration of a future with
/// [`LocalKey::scope`], or of a closure with [`LocalKey::sync_scope`].
///
/// ```
/// filch::task_local! {
///     /// The request being served.
///     pub static REQUEST_ID: u64;
///     static USER: String;
/// }
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(REQUEST_ID.scope(7, async {
///     filch::task::yield_now().await;
///     assert_eq!(REQUEST_ID.get(), 7);
///     assert!(USER.try_with(|user| user.len()).is_err());
/// }));
/// ```
#[macro_export]
macro_rules! task_local {
    ($($(#[$attr:meta])* $vis:vis static $name:ident : $ty:ty);+ $(;)?) => {
        $(
            $(#[$attr])*
            $vis static $name: $crate::task::LocalKey<$ty> = {
                ::std::thread_local! {
                    static SLOT: ::std::cell::RefCell<::std::option::Option<$ty>> =
                        const { ::std::cell::RefCell::new(::std::option::Option::None) };
                }
                $crate::task::LocalKey::__new(SLOT, ::std::stringify!($name))
            };
        )+
    };
}

/// A key for a task-local value, declared with [`task_local!`](crate::task_local).
///
/// Unlike a `std::thread::LocalKey`, it has no initial value: it holds a value only inside a
/// [`scope`](LocalKey::scope) (for a future) or [`sync_scope`](LocalKey::sync_scope) (for a
/// closure), and that value moves with the future from thread to thread.
pub struct LocalKey<T: 'static> {
    slot: std::thread::LocalKey<RefCell<Option<T>>>,
    name: &'static str,
}

impl<T: 'static> LocalKey<T> {
    /// What [`task_local!`](crate::task_local) expands to; not part of the public API.
    #[doc(hidden)]
    pub const fn __new(
        slot: std::thread::LocalKey<RefCell<Option<T>>>,
        name: &'static str,
    ) -> LocalKey<T> {
        LocalKey { slot, name }
    }

    /// Runs `future` with `value` as this key's value: inside it (on whichever thread polls it),
    /// [`with`](Self::with), [`get`](Self::get) and [`try_with`](Self::try_with) see `value`.
    ///
    /// ```
    /// filch::task_local! {
    ///     static DEPTH: u32;
    /// }
    ///
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(DEPTH.scope(1, async {
    ///     assert_eq!(DEPTH.get(), 1);
    ///     DEPTH.scope(2, async { assert_eq!(DEPTH.get(), 2) }).await;
    ///     assert_eq!(DEPTH.get(), 1);
    /// }));
    /// ```
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture {
            key: self,
            value: Some(value),
            future: Some(future),
        }
    }

    /// Runs `f` with `value` as this key's value, and returns what `f` returns.
    ///
    /// # Panics
    ///
    /// Inside a [`with`](Self::with) closure of the same key, or while the thread's thread-locals
    /// are being destroyed. A panic of `f` propagates, after the key's previous value (or none)
    /// is restored.
    ///
    /// ```
    /// filch::task_local! {
    ///     static NAME: &'static str;
    /// }
    ///
    /// let greeting = NAME.sync_scope("world", || format!("hello, {}", NAME.get()));
    /// assert_eq!(greeting, "hello, world");
    /// assert!(NAME.try_get().is_err());
    /// ```
    #[track_caller]
    pub fn sync_scope<F, R>(&'static self, value: T, f: F) -> R
    where
        F: FnOnce() -> R,
    {
        let mut value = Some(value);
        match self.enter(&mut value, f) {
            Ok(output) => output,
            Err(error) => error.panic(self.name),
        }
    }

    /// Swaps `value` into the thread-local slot, runs `f`, and swaps it back out (also when `f`
    /// unwinds).
    fn enter<F, R>(&'static self, value: &mut Option<T>, f: F) -> Result<R, ScopeError>
    where
        F: FnOnce() -> R,
    {
        struct SwapBack<'a, T: 'static> {
            key: &'static LocalKey<T>,
            value: &'a mut Option<T>,
        }
        impl<T: 'static> Drop for SwapBack<'_, T> {
            fn drop(&mut self) {
                // Nothing borrows the slot now: `with` borrows it only for its closure, which
                // returned (or unwound) before we got here. If the thread-local is being
                // destroyed there is nothing left to restore.
                let _ = self.key.slot.try_with(|slot| {
                    if let Ok(mut slot) = slot.try_borrow_mut() {
                        std::mem::swap(self.value, &mut *slot);
                    }
                });
            }
        }

        self.slot
            .try_with(|slot| {
                let mut slot = slot.try_borrow_mut().map_err(|_| ScopeError::Borrowed)?;
                std::mem::swap(value, &mut *slot);
                Ok(())
            })
            .map_err(|_| ScopeError::Destroyed)??;
        let _swap_back = SwapBack { key: self, value };
        Ok(f())
    }

    /// Calls `f` with a reference to this key's current value.
    ///
    /// # Panics
    ///
    /// Outside any [`scope`](Self::scope) or [`sync_scope`](Self::sync_scope) of this key; the
    /// message names the key. Use [`try_with`](Self::try_with) to get an error instead.
    ///
    /// ```
    /// filch::task_local! {
    ///     static WORDS: Vec<&'static str>;
    /// }
    ///
    /// WORDS.sync_scope(vec!["a", "b"], || {
    ///     assert_eq!(WORDS.with(|words| words.len()), 2);
    /// });
    /// ```
    #[track_caller]
    pub fn with<F, R>(&'static self, f: F) -> R
    where
        F: FnOnce(&T) -> R,
    {
        match self.try_with(f) {
            Ok(output) => output,
            Err(_) => panic!(
                "the task-local `{}` has no value here: it is only set inside `{}.scope(value, \
                 future)` or `{}.sync_scope(value, closure)`, and a task spawned from inside a \
                 scope does not inherit it (pass the value explicitly); use `try_with` to \
                 handle its absence",
                self.name, self.name, self.name
            ),
        }
    }

    /// Calls `f` with a reference to this key's current value, or returns an [`AccessError`] if
    /// it has none here (outside any scope of the key, or while the thread's thread-locals are
    /// being destroyed).
    ///
    /// ```
    /// filch::task_local! {
    ///     static LIMIT: usize;
    /// }
    ///
    /// assert!(LIMIT.try_with(|limit| *limit).is_err());
    /// assert_eq!(LIMIT.sync_scope(3, || LIMIT.try_with(|limit| *limit)), Ok(3));
    /// ```
    pub fn try_with<F, R>(&'static self, f: F) -> Result<R, AccessError>
    where
        F: FnOnce(&T) -> R,
    {
        self.slot
            .try_with(|slot| {
                let slot = slot.try_borrow().map_err(|_| AccessError(()))?;
                match &*slot {
                    Some(value) => Ok(f(value)),
                    None => Err(AccessError(())),
                }
            })
            .unwrap_or(Err(AccessError(())))
    }
}

impl<T: Clone + 'static> LocalKey<T> {
    /// A clone of this key's current value.
    ///
    /// # Panics
    ///
    /// Outside any scope of this key, as [`with`](Self::with).
    ///
    /// ```
    /// filch::task_local! {
    ///     static ID: u32;
    /// }
    ///
    /// assert_eq!(ID.sync_scope(9, || ID.get()), 9);
    /// ```
    #[track_caller]
    pub fn get(&'static self) -> T {
        self.with(T::clone)
    }

    /// A clone of this key's current value, or an [`AccessError`] outside any scope of the key.
    ///
    /// ```
    /// filch::task_local! {
    ///     static ID: u32;
    /// }
    ///
    /// assert!(ID.try_get().is_err());
    /// ```
    pub fn try_get(&'static self) -> Result<T, AccessError> {
        self.try_with(T::clone)
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Why a scope could not be entered.
enum ScopeError {
    /// Inside a `with` closure of the same key.
    Borrowed,
    /// The thread-local has been destroyed (thread exit).
    Destroyed,
}

impl ScopeError {
    #[track_caller]
    fn panic(self, name: &str) -> ! {
        match self {
            ScopeError::Borrowed => panic!(
                "cannot enter a scope of the task-local `{name}` inside `{name}.with(..)`: its \
                 value is borrowed there; open the scope outside the closure"
            ),
            ScopeError::Destroyed => panic!(
                "cannot enter a scope of the task-local `{name}` while this thread's \
                 thread-locals are being destroyed"
            ),
        }
    }
}

/// The future returned by [`LocalKey::scope`]: runs the inner future with the key's value set
/// around each poll.
///
/// ```
/// filch::task_local! {
///     static STEP: u8;
/// }
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// let scoped = STEP.scope(1, async { STEP.get() + 1 });
/// assert_eq!(rt.block_on(scoped), 2);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct TaskLocalFuture<T: 'static, F> {
    key: &'static LocalKey<T>,
    /// The key's value while the inner future is not being polled (`None` during a poll, and
    /// after `take_value`). Not pinned.
    value: Option<T>,
    /// The inner future (`None` once it completed or was dropped). Structurally pinned.
    future: Option<F>,
}

impl<T: 'static, F> TaskLocalFuture<T, F> {
    /// Takes the value out of the scope, leaving the key unset for any later poll; `None` if it
    /// was already taken.
    ///
    /// ```
    /// filch::task_local! {
    ///     static TOKEN: String;
    /// }
    ///
    /// let mut scoped = std::pin::pin!(TOKEN.scope("secret".to_string(), async {}));
    /// assert_eq!(scoped.as_mut().take_value().as_deref(), Some("secret"));
    /// assert_eq!(scoped.as_mut().take_value(), None);
    /// ```
    pub fn take_value(self: Pin<&mut Self>) -> Option<T> {
        // SAFETY: `value` is not structurally pinned (nothing relies on its address), so moving
        // out of it through the `&mut` is allowed; `future` is not touched.
        let this = unsafe { self.get_unchecked_mut() };
        this.value.take()
    }
}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    #[track_caller]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: `future` is structurally pinned: it is only reached below through
        // `Pin::new_unchecked`, never moved out, and dropped in place (by assigning `None`, here
        // and in `Drop`); `value` and `key` are not pinned. `TaskLocalFuture` is not
        // `#[repr(packed)]` and its `Unpin` is the automatic one (it needs `F: Unpin`).
        let this = unsafe { self.get_unchecked_mut() };
        let key = this.key;
        let future = &mut this.future;
        let polled = key.enter(&mut this.value, || {
            let pinned = future.as_mut()?;
            // SAFETY: see above: the `F` inside `future` never moves while `self` is pinned.
            let polled = unsafe { Pin::new_unchecked(pinned) }.poll(cx);
            if polled.is_ready() {
                // Dropped in place, inside the scope, so its destructors see the value.
                *future = None;
            }
            Some(polled)
        });
        match polled {
            Ok(Some(polled)) => polled,
            Ok(None) => panic!("a TaskLocalFuture was polled after it completed"),
            Err(error) => error.panic(key.name),
        }
    }
}

impl<T: 'static, F> Drop for TaskLocalFuture<T, F> {
    fn drop(&mut self) {
        if std::mem::needs_drop::<F>() && self.future.is_some() {
            let future = &mut self.future;
            // Dropped in place (the pinning contract allows it), inside the scope if it can be
            // entered; otherwise it is dropped with the struct, outside.
            let _ = self.key.enter(&mut self.value, || *future = None);
        }
    }
}

impl<T: fmt::Debug + 'static, F> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture")
            .field("key", &self.key.name)
            .field("value", &self.value)
            .finish_non_exhaustive()
    }
}

/// The error of [`LocalKey::try_with`] and [`LocalKey::try_get`]: the key has no value here.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AccessError(());

impl fmt::Debug for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessError")
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the task-local key has no value here (outside any of its scopes)")
    }
}

impl Error for AccessError {}

#[cfg(all(test, not(loom)))]
mod tests {
    //! Hand-polled, so they run under miri with the rest of `task::`.

    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;
    use std::task::Waker;

    crate::task_local! {
        static NUMBER: u32;
        static TEXT: String
    }

    /// Pending `n` times, checking the key each time, then ready with the value it saw.
    struct Steps(u32);
    impl Future for Steps {
        type Output = u32;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            let seen = NUMBER.get();
            if self.0 == 0 {
                return Poll::Ready(seen);
            }
            self.0 -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    fn poll_once<F: Future>(fut: Pin<&mut F>) -> Poll<F::Output> {
        fut.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn value_is_set_only_during_polls_and_interleaved_scopes_do_not_mix() {
        let mut a = Box::pin(NUMBER.scope(1, Steps(3)));
        let mut b = Box::pin(NUMBER.scope(2, Steps(3)));
        for _ in 0..3 {
            assert!(poll_once(a.as_mut()).is_pending());
            assert!(
                NUMBER.try_get().is_err(),
                "the value leaked out of the poll"
            );
            assert!(poll_once(b.as_mut()).is_pending());
        }
        assert_eq!(poll_once(a.as_mut()), Poll::Ready(1));
        assert_eq!(poll_once(b.as_mut()), Poll::Ready(2));
        assert!(NUMBER.try_get().is_err());
    }

    #[test]
    fn future_is_dropped_inside_the_scope_with_a_non_copy_value() {
        struct SeesText(Arc<AtomicUsize>);
        impl Drop for SeesText {
            fn drop(&mut self) {
                if TEXT.try_with(|t| t == "kept").unwrap_or(false) {
                    self.0.fetch_add(1, SeqCst);
                }
            }
        }
        let seen = Arc::new(AtomicUsize::new(0));
        // Dropped before completion: `Drop` enters the scope.
        let guard = SeesText(seen.clone());
        let fut = TEXT.scope("kept".to_string(), async move {
            let _guard = guard;
            std::future::pending::<()>().await
        });
        let mut fut = Box::pin(fut);
        assert!(poll_once(fut.as_mut()).is_pending());
        drop(fut);
        assert_eq!(seen.load(SeqCst), 1);
        // Completed: dropped inside the poll that completed it.
        let guard = SeesText(seen.clone());
        let fut = TEXT.scope("kept".to_string(), async move {
            let _guard = guard;
        });
        let mut fut = Box::pin(fut);
        assert_eq!(poll_once(fut.as_mut()), Poll::Ready(()));
        assert_eq!(seen.load(SeqCst), 2);
        assert!(TEXT.try_with(|_| ()).is_err());
    }

    #[test]
    fn take_value_then_poll_sees_no_value() {
        let mut fut =
            Box::pin(TEXT.scope("v".to_string(), async { TEXT.try_with(|t| t.clone()).ok() }));
        assert_eq!(fut.as_mut().take_value().as_deref(), Some("v"));
        assert_eq!(poll_once(fut.as_mut()), Poll::Ready(None));
    }

    #[test]
    fn panic_in_sync_scope_restores_the_outer_value() {
        NUMBER.sync_scope(1, || {
            let caught = std::panic::catch_unwind(|| {
                NUMBER.sync_scope(2, || {
                    assert_eq!(NUMBER.get(), 2);
                    panic!("inside");
                })
            });
            assert!(caught.is_err());
            assert_eq!(NUMBER.get(), 1);
        });
        assert!(NUMBER.try_get().is_err());
    }

    #[test]
    fn scope_inside_with_of_the_same_key_panics_with_the_name() {
        let caught = std::panic::catch_unwind(|| {
            NUMBER.sync_scope(1, || NUMBER.with(|_| NUMBER.sync_scope(2, || ())))
        });
        let payload = caught.unwrap_err();
        let message = payload.downcast_ref::<String>().unwrap();
        assert!(message.contains("`NUMBER`"), "{message}");
        assert!(NUMBER.try_get().is_err());
    }
}
