//! Multi-producer, single-consumer channels: [`channel`] (bounded, with back-pressure) and
//! [`unbounded_channel`].
//!
//! Messages arrive in the order they were sent (per sender; senders interleave). The receiver
//! sees `None` once every sender is gone, or the receiver [closed](Receiver::close) the
//! channel, and everything queued has been received. Dropping the receiver drops the queued
//! messages. Receiving and waiting for a slot spend the task's [coop](crate::coop) budget, so a
//! task draining a channel that is never empty still lets its worker's other tasks run.
//!
//! The API follows `tokio::sync::mpsc`.

mod bounded;
mod chan;
pub mod error;
mod unbounded;

pub use bounded::{channel, OwnedPermit, Permit, PermitIterator, Receiver, Sender, WeakSender};
pub use unbounded::{unbounded_channel, UnboundedReceiver, UnboundedSender, WeakUnboundedSender};
