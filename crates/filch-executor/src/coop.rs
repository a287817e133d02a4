//! Cooperative scheduling budget.
//!
//! A task whose resources are always ready (a socket with endless data, a channel that is never
//! empty) would otherwise never return `Pending`, and every other task on its worker would wait.
//! Each poll of a task therefore gets a budget of [`BUDGET`] units. Resources call
//! [`poll_proceed`] before doing work: it takes a unit, or, when the budget is spent, wakes the
//! task and returns `Pending`, so the task goes to the back of the run queue (a wake during the
//! task's own poll is a yield, see `scheduler/worker.rs`). The idea and the figure of 128 units
//! come from tokio's `coop` module.
//!
//! Outside a runtime-driven poll there is no budget and [`poll_proceed`] always proceeds.
//!
//! ```
//! use std::task::{Context, Poll};
//! use filch_executor::coop;
//!
//! fn poll_resource(cx: &mut Context<'_>) -> Poll<u32> {
//!     let guard = match coop::poll_proceed(cx) {
//!         Poll::Ready(guard) => guard,
//!         Poll::Pending => return Poll::Pending,
//!     };
//!     let value = 7; // the resource was ready
//!     guard.made_progress();
//!     Poll::Ready(value)
//! }
//! # let waker = std::task::Waker::noop();
//! # assert_eq!(poll_resource(&mut Context::from_waker(&waker)), Poll::Ready(7));
//! ```

use std::cell::Cell;
use std::task::{Context, Poll};

/// Units a task may spend in one poll before it has to yield (tokio's figure).
pub const BUDGET: u8 = 128;

thread_local! {
    /// `None`: unconstrained (no runtime poll in progress). `Some(n)`: `n` units left.
    static CURRENT: Cell<Option<u8>> = const { Cell::new(None) };
}

/// Runs `f` with a fresh budget, restoring the previous budget afterwards (even on panic).
#[inline]
pub(crate) fn budget<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(Option<u8>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CURRENT.with(|c| c.set(self.0));
        }
    }
    let _restore = Restore(CURRENT.with(|c| c.replace(Some(BUDGET))));
    f()
}

/// Takes one unit of the current task's budget.
///
/// Returns `Poll::Ready(guard)` when the caller may proceed. If the caller's operation then
/// turns out not to be ready, dropping the guard gives the unit back; call
/// [`RestoreOnPending::made_progress`] when the operation did work. When the budget is spent,
/// the task is woken and `Poll::Pending` is returned: the resource must return `Pending` too.
#[inline]
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    CURRENT.with(|c| match c.get() {
        None => Poll::Ready(RestoreOnPending(None)),
        Some(0) => {
            crate::runtime::metrics::count_forced_yield();
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Some(n) => {
            c.set(Some(n - 1));
            Poll::Ready(RestoreOnPending(Some(n)))
        }
    })
}

/// Whether the current task has budget left (`true` outside a runtime-driven poll).
#[inline]
pub fn has_budget_remaining() -> bool {
    CURRENT.with(|c| c.get() != Some(0))
}

/// Gives the budget unit back on drop, unless [`made_progress`](Self::made_progress) was called.
#[derive(Debug)]
#[must_use = "dropping the guard at once gives the unit back; call made_progress() after work"]
pub struct RestoreOnPending(Option<u8>);

impl RestoreOnPending {
    /// Keeps the unit spent: the operation did work.
    #[inline]
    pub fn made_progress(mut self) {
        self.0 = None;
    }
}

impl Drop for RestoreOnPending {
    #[inline]
    fn drop(&mut self) {
        if let Some(before) = self.0 {
            CURRENT.with(|c| c.set(Some(before)));
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn unconstrained_outside_a_runtime() {
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        for _ in 0..1000 {
            match poll_proceed(&mut cx) {
                Poll::Ready(g) => g.made_progress(),
                Poll::Pending => panic!("no budget applies outside a runtime"),
            }
        }
    }

    #[test]
    fn budget_runs_out_and_wakes() {
        let count = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(count.clone());
        let mut cx = Context::from_waker(&waker);
        budget(|| {
            for _ in 0..BUDGET {
                match poll_proceed(&mut cx) {
                    Poll::Ready(g) => g.made_progress(),
                    Poll::Pending => panic!("budget ran out early"),
                }
            }
            assert!(!has_budget_remaining());
            assert!(poll_proceed(&mut cx).is_pending());
        });
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(has_budget_remaining(), "budget restored after the poll");
    }

    #[test]
    fn unit_is_refunded_without_progress() {
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        budget(|| {
            for _ in 0..(BUDGET as usize * 3) {
                match poll_proceed(&mut cx) {
                    Poll::Ready(g) => drop(g),
                    Poll::Pending => panic!("refunded units must not run out"),
                }
            }
        });
    }
}
