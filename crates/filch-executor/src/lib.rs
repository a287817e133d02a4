//! The work-stealing task executor behind the [filch] async runtime.
//!
//! Most users depend on the `filch` facade crate, which re-exports everything here together with
//! the I/O driver, timers and the `#[filch::main]` attribute. This crate is the scheduler alone:
//!
//! * [`task`]: [`spawn`], [`task::spawn_blocking`], [`task::yield_now`], [`JoinHandle`],
//!   [`task::AbortHandle`], [`task::JoinError`], [`task::JoinSet`] and task ids ([`task::Id`]);
//! * [`runtime`]: [`runtime::Builder`], [`runtime::Runtime`] and [`runtime::Handle`];
//! * [`driver`]: the seam through which an I/O driver lets idle workers block in the OS poller;
//! * [`sync`]: primitives for coordinating tasks: channels ([`sync::mpsc`], [`sync::oneshot`],
//!   [`sync::broadcast`], [`sync::watch`]), locks, semaphores, [`sync::Notify`] and
//!   [`sync::CancellationToken`];
//! * [`coop`]: the per-task budget that keeps always-ready resources from starving other tasks.
//!
//! ```
//! let rt = filch_executor::runtime::Runtime::new().unwrap();
//! let answer = rt.block_on(async {
//!     let handle = filch_executor::spawn(async { 6 * 7 });
//!     handle.await.unwrap()
//! });
//! assert_eq!(answer, 42);
//! ```
//!
//! How it works is written down in `docs/architecture.md` at the root of the repository.
//!
//! [filch]: https://docs.rs/filch

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

pub(crate) mod loom;

mod blocking;
mod context;
pub mod coop;
pub mod driver;
pub mod runtime;
mod scheduler;
pub mod sync;
pub mod task;

pub use runtime::spawn::spawn;
pub use task::JoinHandle;
