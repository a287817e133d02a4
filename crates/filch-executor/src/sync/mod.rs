//! Synchronisation for tasks: channels, locks and notifications that wait without blocking the
//! worker thread. The API follows `tokio::sync`.
//!
//! * [`mpsc`]: multi-producer, single-consumer channels, bounded and unbounded;
//! * [`oneshot`]: a channel for exactly one value;
//! * [`broadcast`]: every receiver sees every value;
//! * [`watch`]: receivers see the latest value.

pub mod broadcast;
pub mod mpsc;
pub mod oneshot;
pub mod watch;

/// Runs `future` to completion on this thread for the `blocking_*` methods.
///
/// # Panics
///
/// Panics inside a filch task or `block_on`, where blocking would stall a worker.
#[track_caller]
pub(crate) fn blocking<F: std::future::Future>(what: &str, future: F) -> F::Output {
    let Some(_entered) = crate::context::enter_runtime() else {
        panic!(
            "{what} was called from inside a filch task or block_on; blocking there would \
             stall a worker thread. Use the async method with `.await` instead."
        );
    };
    crate::runtime::block_on::block_on(future)
}

#[cfg(all(test, loom))]
mod loom_tests;
