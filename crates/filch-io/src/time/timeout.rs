//! [`Timeout`]: a future with a deadline.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::error::Elapsed;
use crate::time::{sleep, sleep_until, Instant, Sleep};

/// Requires `future` to complete within `duration`.
///
/// Resolves to `Ok(output)` if the future completes first, or to `Err(Elapsed)` once the
/// duration has passed, in which case the future is dropped (cancelled) along with the
/// `Timeout`. The future is polled before the timer, so a future that is ready at the deadline
/// still wins.
///
/// ```
/// use std::time::Duration;
/// use filch::time::{sleep, timeout};
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     assert_eq!(timeout(Duration::from_secs(5), async { 7 }).await, Ok(7));
///     assert!(timeout(Duration::from_millis(1), sleep(Duration::from_secs(5))).await.is_err());
/// });
/// ```
///
/// # Panics
///
/// As for [`sleep`]: outside a filch runtime with the I/O driver.
#[track_caller]
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: future.into_future(),
        sleep: sleep(duration),
    }
}

/// Requires `future` to complete before `deadline`; see [`timeout`].
///
/// ```
/// use std::time::Duration;
/// use filch::time::{timeout_at, Instant};
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let deadline = Instant::now() + Duration::from_secs(5);
///     assert_eq!(timeout_at(deadline, async { "done" }).await, Ok("done"));
/// });
/// ```
///
/// # Panics
///
/// As for [`sleep`].
#[track_caller]
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: future.into_future(),
        sleep: sleep_until(deadline),
    }
}

pin_project_lite::pin_project! {
    /// A future with a deadline; see [`timeout`].
    #[derive(Debug)]
    #[must_use = "a Timeout does nothing unless awaited or polled"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        sleep: Sleep,
    }
}

impl<F> Timeout<F> {
    /// The wrapped future.
    pub fn get_ref(&self) -> &F {
        &self.future
    }

    /// The wrapped future, mutably.
    pub fn get_mut(&mut self) -> &mut F {
        &mut self.future
    }

    /// Unwraps the future, dropping the deadline.
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let (future, sleep) = (this.future, this.sleep);
        if let Poll::Ready(output) = future.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        // The inner future may have spent the task's budget; the deadline is checked anyway
        // (without taking budget), so a timeout still fires under a busy inner future.
        match sleep.poll_elapsed(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed::new())),
            Poll::Pending => Poll::Pending,
        }
    }
}
