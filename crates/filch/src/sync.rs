//! Coordinating tasks: channels, locks, semaphores, notifications and cancellation.
pub use filch_executor::sync::*;
