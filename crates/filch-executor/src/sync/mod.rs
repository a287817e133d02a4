//! Coordinating tasks: channels, locks, semaphores, notifications and cancellation.
//!
//! These primitives need no I/O driver; they work on any filch runtime (and their futures on any
//! executor).
//!
//! * [`CancellationToken`]: a cancellation signal shared between tasks, with child tokens
//!   (tokio-util's `CancellationToken`).

mod cancellation;

pub use cancellation::{
    CancellationToken, DropGuard, WaitForCancellationFuture, WaitForCancellationFutureOwned,
};
