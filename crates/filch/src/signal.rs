//! Asynchronous signal handling (feature `signal`): [`ctrl_c`] and, on Unix,
//! [`unix::signal`] with tokio's names.
//!
//! A handler is installed once per signal for the life of the process (the signal's default
//! action, such as terminating the process on `SIGINT`, stops happening once a program listens
//! for it); it writes to a pipe registered with the runtime's reactor, so no thread is added.
//! Every [`unix::Signal`] listener sees every delivery; a delivery that arrives while nobody is
//! waiting is kept for the next `recv`, and several close together may be merged into one.
//!
//! ```
//! use filch::signal::unix::{signal, SignalKind};
//!
//! #[filch::main]
//! async fn main() -> std::io::Result<()> {
//!     let mut hangup = signal(SignalKind::hangup())?;
//!     // Another process (or this one) sends SIGHUP...
//!     std::process::Command::new("kill")
//!         .args(["-HUP", &std::process::id().to_string()])
//!         .status()?;
//!     // ...and the listener sees it.
//!     hangup.recv().await;
//!     Ok(())
//! }
//! ```
//!
//! A forbidden signal (`SIGKILL`, `SIGSTOP`, `SIGILL`, `SIGFPE`, `SIGSEGV`, `SIGBUS`) is an
//! `InvalidInput` error; listening outside a runtime is an error that names the fix.

pub use filch_io::signal::*;
