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

#[cfg(all(test, loom))]
mod loom_tests;
