//! Asynchronous signal handling: [`ctrl_c`] and, on Unix, [`unix::signal`] (tokio's names).
//!
//! Signals are delivered through filch's own reactor: the handler (installed with
//! `signal-hook-registry`) writes a byte to a self-pipe whose read end is registered with the
//! runtime's poller like any socket; no extra thread is started. `registry.rs` specifies the
//! path from the handler to a waiting task, and what happens with two runtimes.
//!
//! Choices where tokio's documentation is silent or where filch differs:
//!
//! * Creating a listener outside a runtime returns an error (tokio panics); its message names the
//!   fix (`#[filch::main]`, `Runtime::block_on`, `Runtime::enter`).
//! * Forbidden signals (`SIGKILL`, `SIGSTOP`, `SIGILL`, `SIGFPE`, `SIGSEGV`, `SIGBUS`) are an
//!   [`io::ErrorKind::InvalidInput`](std::io::ErrorKind::InvalidInput) error.
//! * Once installed, a handler stays for the life of the process (as in tokio).

mod registry;
pub mod unix;

/// Completes when the process receives Ctrl-C (`SIGINT`).
///
/// The listener is created when the future is first polled, so a Ctrl-C before that is not
/// seen; to catch every one, keep a [`unix::Signal`] for
/// [`SignalKind::interrupt`](unix::SignalKind::interrupt) instead. Once this has been called,
/// Ctrl-C no longer terminates the process: the program decides what to do.
///
/// # Errors
///
/// The errors of [`unix::signal`]: outside a runtime, or when the self-pipe cannot be set up.
pub async fn ctrl_c() -> std::io::Result<()> {
    let mut interrupt = unix::signal(unix::SignalKind::interrupt())?;
    match interrupt.recv().await {
        Some(()) => Ok(()),
        None => Err(std::io::Error::other(
            "the runtime shut down while waiting for Ctrl-C",
        )),
    }
}
