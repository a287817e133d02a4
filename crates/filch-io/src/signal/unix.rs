//! Unix signals: [`signal`], [`SignalKind`] and [`Signal`] (tokio's `signal::unix` names).
//!
//! A [`Signal`] is one listener. Creating it installs the process-wide handler of its signal
//! (once; it stays installed for the life of the process, so the signal's default action, such
//! as terminating the process, no longer happens) and registers the self-pipe with the current
//! runtime's reactor (once per runtime). How a signal travels from the handler to
//! [`Signal::recv`] is described in `registry.rs`.
//!
//! Guarantees:
//!
//! * every listener of a signal sees each delivery (a broadcast, not a queue shared between
//!   listeners);
//! * a signal that arrives while a listener is not waiting (between two `recv`s, or between
//!   [`signal`] and the first `recv`) is kept and returned by the next `recv`;
//! * several deliveries before a `recv` may be returned as one (coalescing, as in tokio);
//! * `recv` returns `None` once the runtime the listener was created in has shut down.
//!
//! Errors, not panics: a forbidden signal (`SIGKILL`, `SIGSTOP`, `SIGILL`, `SIGFPE`, `SIGSEGV`,
//! `SIGBUS`) or a number the platform does not have is an [`io::ErrorKind::InvalidInput`]
//! error; creating a listener outside a filch runtime is an error whose message names the fix.

use std::future::poll_fn;
use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};

use filch_executor::runtime::Handle as RuntimeHandle;

use super::registry::{self, Slot};
use crate::driver::{self, Handle};

/// Which signal to listen for: a thin wrapper around a signal number.
///
/// The named constructors cover the signals programs usually handle; [`SignalKind::from_raw`]
/// takes any other number.
///
/// ```
/// use filch::signal::unix::SignalKind;
///
/// assert_eq!(SignalKind::interrupt().as_raw_value(), libc::SIGINT);
/// assert_eq!(SignalKind::from_raw(libc::SIGUSR1), SignalKind::user_defined1());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(libc::c_int);

impl SignalKind {
    /// A signal by its number (for example a real-time signal). Numbers are checked when a
    /// listener is created, not here.
    pub const fn from_raw(signum: libc::c_int) -> Self {
        SignalKind(signum)
    }

    /// The signal number.
    pub const fn as_raw_value(&self) -> libc::c_int {
        self.0
    }

    /// `SIGALRM`: a real-time timer expired.
    pub const fn alarm() -> Self {
        SignalKind(libc::SIGALRM)
    }

    /// `SIGCHLD`: a child process stopped or exited.
    pub const fn child() -> Self {
        SignalKind(libc::SIGCHLD)
    }

    /// `SIGHUP`: the terminal hung up (daemons often use it to reload their configuration).
    pub const fn hangup() -> Self {
        SignalKind(libc::SIGHUP)
    }

    /// `SIGINT`: interrupt from the terminal (Ctrl-C).
    pub const fn interrupt() -> Self {
        SignalKind(libc::SIGINT)
    }

    /// `SIGIO`: I/O is possible on a descriptor set up for it.
    pub const fn io() -> Self {
        SignalKind(libc::SIGIO)
    }

    /// `SIGPIPE`: a write to a pipe or socket whose reader is gone. Rust programs ignore it
    /// by default; listening for it replaces that.
    pub const fn pipe() -> Self {
        SignalKind(libc::SIGPIPE)
    }

    /// `SIGQUIT`: quit from the terminal (Ctrl-\\).
    pub const fn quit() -> Self {
        SignalKind(libc::SIGQUIT)
    }

    /// `SIGTERM`: a polite request to terminate (what `kill` and service managers send).
    pub const fn terminate() -> Self {
        SignalKind(libc::SIGTERM)
    }

    /// `SIGUSR1`: meaning defined by the program.
    pub const fn user_defined1() -> Self {
        SignalKind(libc::SIGUSR1)
    }

    /// `SIGUSR2`: meaning defined by the program.
    pub const fn user_defined2() -> Self {
        SignalKind(libc::SIGUSR2)
    }

    /// `SIGWINCH`: the terminal window changed size.
    pub const fn window_change() -> Self {
        SignalKind(libc::SIGWINCH)
    }
}

impl From<libc::c_int> for SignalKind {
    fn from(signum: libc::c_int) -> Self {
        SignalKind::from_raw(signum)
    }
}

impl From<SignalKind> for libc::c_int {
    fn from(kind: SignalKind) -> Self {
        kind.as_raw_value()
    }
}

/// A listener for one signal, created by [`signal`].
///
/// Each listener sees every delivery of its signal (deliveries that come close together may
/// be merged into one). Dropping it stops nothing: the handler stays installed.
#[derive(Debug)]
pub struct Signal {
    slot: &'static Slot,
    /// The slot's sequence number this listener has already returned.
    seen: u64,
    id: u64,
    driver: Arc<Handle>,
}

/// Listens for `kind` on the current runtime.
///
/// ```
/// use filch::signal::unix::{signal, SignalKind};
///
/// # let rt = filch::runtime::Builder::new().build().unwrap();
/// # rt.block_on(async {
/// let mut usr1 = signal(SignalKind::user_defined1())?;
/// // Raise it at ourselves; it is kept until `recv` asks for it.
/// unsafe { libc::raise(libc::SIGUSR1) };
/// usr1.recv().await;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
///
/// # Errors
///
/// * [`io::ErrorKind::InvalidInput`] when the signal is one no handler may be installed for
///   (`SIGKILL`, `SIGSTOP`, `SIGILL`, `SIGFPE`, `SIGSEGV`, `SIGBUS`) or is not a valid number;
/// * an error naming the fix when called outside a filch runtime (or in one without the I/O
///   driver);
/// * the operating system's error when the self-pipe cannot be created or registered.
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let what = "filch::signal::unix::signal";
    let runtime = RuntimeHandle::try_current()
        .map_err(|_| driver::NoDriver::NoRuntime.into_io_error(what))?;
    let driver = driver::current().map_err(|e| e.into_io_error(what))?;
    signal_with(kind, &driver, &runtime)
}

/// [`signal`] for a runtime the caller has already found (the process module's fallback).
pub(crate) fn signal_with(
    kind: SignalKind,
    driver: &Arc<Handle>,
    runtime: &RuntimeHandle,
) -> io::Result<Signal> {
    let (slot, id) = registry::listen(kind.as_raw_value(), driver, runtime)?;
    Ok(Signal {
        slot,
        seen: slot.seq.load(Ordering::SeqCst),
        id,
        driver: driver.clone(),
    })
}

impl Signal {
    /// Waits for the next delivery of the signal. Returns `None` once the runtime this listener
    /// was created in has shut down (no more deliveries can be noticed).
    ///
    /// Cancel safe: dropping the future loses no delivery.
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery: `Ready(Some(()))` when one came since the last, `Pending`
    /// (with `cx`'s waker registered) otherwise, `Ready(None)` after the runtime shut down.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        if self.take_delivery() {
            return Poll::Ready(Some(()));
        }
        {
            let mut wakers = self.slot.wakers.lock();
            match wakers.iter_mut().find(|(id, _)| *id == self.id) {
                Some((_, waker)) => waker.clone_from(cx.waker()),
                None => wakers.push((self.id, cx.waker().clone())),
            }
        }
        // Re-read after storing the waker: see `registry.rs` for why this closes the race.
        if self.take_delivery() {
            return Poll::Ready(Some(()));
        }
        if self.driver.timers.lock().shutdown {
            self.remove_waker();
            return Poll::Ready(None);
        }
        Poll::Pending
    }

    fn take_delivery(&mut self) -> bool {
        let seq = self.slot.seq.load(Ordering::SeqCst);
        if seq != self.seen {
            self.seen = seq;
            true
        } else {
            false
        }
    }

    fn remove_waker(&self) {
        self.slot.wakers.lock().retain(|(id, _)| *id != self.id);
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        self.remove_waker();
    }
}
