//! Noticing that a child exited, and reaping children nobody waits for.
//!
//! # Exit notification
//!
//! [`ExitWatch`] is how a child's exit reaches the reactor:
//!
//! * On Linux 5.3 and later, a **pidfd** (`pidfd_open(2)`): a descriptor that becomes readable
//!   when the process exits, registered with the runtime's reactor like a socket. One per child,
//!   closed when the child is reaped.
//! * Elsewhere (or when `pidfd_open` fails: an older kernel, a seccomp filter, no descriptors
//!   left), **`SIGCHLD`** through `filch::signal`: a listener created at spawn time; every
//!   delivery makes each waiting child try `waitpid(pid, WNOHANG)` once.
//!
//! Either way the wait is `loop { try_wait; wait for the event }` with the event source created
//! before the first `try_wait`, so an exit between the two is not missed. No thread is started
//! and nothing polls on a timer.
//!
//! # Orphans
//!
//! A `Child` dropped before it was reaped becomes an [`Orphan`]: the runtime that spawned it gets
//! a small task that waits for the exit (through the same `ExitWatch`) and reaps it, so no zombie
//! is left. If that task cannot run (the runtime has shut down, or shuts down before the child
//! exits), the orphan's `Drop` puts the child on a process-wide list, [`ORPHANS`], which is
//! swept with `waitpid(WNOHANG)` at every spawn and every completed wait, on any runtime.

use std::future::poll_fn;
use std::io;
use std::os::fd::OwnedFd;
use std::process::ExitStatus;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use filch_executor::runtime::Handle as RuntimeHandle;
use parking_lot::Mutex;

use crate::driver::Handle;
use crate::io_source::PollEvented;
use crate::scheduled_io::Direction;
use crate::scheduled_io::ReadyEvent;
use crate::signal::unix::{signal_with, Signal, SignalKind};

/// Children whose exit nobody waits for any more, reaped by [`reap_orphans`].
static ORPHANS: Mutex<Vec<std::process::Child>> = Mutex::new(Vec::new());

/// Reaps every listed orphan that has exited (and forgets those `waitpid` no longer knows).
pub(crate) fn reap_orphans() {
    let mut orphans = ORPHANS.lock();
    orphans.retain_mut(|child| matches!(child.try_wait(), Ok(None)));
}

/// How many orphans are listed (for tests).
#[cfg(test)]
pub(crate) fn orphan_count() -> usize {
    ORPHANS.lock().len()
}

/// When set, `ExitWatch::new` skips the pidfd and uses `SIGCHLD` (tests of the fallback).
#[cfg(test)]
pub(crate) static FORCE_SIGCHLD: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// What tells a waiting task that the child may have exited.
#[derive(Debug)]
pub(crate) enum ExitWatch {
    /// Readable once the process has exited.
    Pidfd(PollEvented<OwnedFd>),
    /// Any child of the process changed state.
    Sigchld(Signal),
}

impl ExitWatch {
    pub(crate) fn new(
        pid: u32,
        driver: &Arc<Handle>,
        runtime: &RuntimeHandle,
    ) -> io::Result<ExitWatch> {
        #[cfg(test)]
        let force_sigchld = FORCE_SIGCHLD.load(std::sync::atomic::Ordering::SeqCst);
        #[cfg(not(test))]
        let force_sigchld = false;
        if !force_sigchld {
            if let Some(fd) = pidfd_open(pid) {
                if let Ok(io) = PollEvented::new_with(fd, driver.clone()) {
                    return Ok(ExitWatch::Pidfd(io));
                }
            }
        }
        Ok(ExitWatch::Sigchld(signal_with(
            SignalKind::child(),
            driver,
            runtime,
        )?))
    }

    /// Waits for the next sign of an exit. `Ready(Ok)` does not promise the child exited, only
    /// that `try_wait` is worth calling again; for a pidfd it carries the readiness seen, which
    /// [`poll_wait`](Self::poll_wait) clears when the child turns out to be still running.
    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<ReadyEvent>>> {
        match self {
            ExitWatch::Pidfd(io) => {
                // A pidfd becomes readable once the process has exited, and stays so.
                let event = ready!(io.poll_ready(cx, Direction::Read))?;
                Poll::Ready(Ok(Some(event)))
            }
            ExitWatch::Sigchld(signal) => match ready!(signal.poll_recv(cx)) {
                Some(()) => Poll::Ready(Ok(None)),
                None => Poll::Ready(Err(io::Error::other(
                    "the runtime that spawned this child has shut down; its exit can no longer \
                     be awaited (call `wait` inside a running runtime)",
                ))),
            },
        }
    }

    /// Polls until `child` has exited, reaping it.
    pub(crate) fn poll_wait(
        &mut self,
        cx: &mut Context<'_>,
        child: &mut std::process::Child,
    ) -> Poll<io::Result<ExitStatus>> {
        let mut seen: Option<ReadyEvent> = None;
        loop {
            if let Some(status) = child.try_wait()? {
                reap_orphans();
                return Poll::Ready(Ok(status));
            }
            if let (ExitWatch::Pidfd(io), Some(event)) = (&*self, seen.take()) {
                // Readable, yet the child runs: the reactor assumes a fresh descriptor ready
                // until told otherwise (`scheduled_io.rs`). Forget that readiness, unless a
                // newer event came in, and wait for the edge of the exit. (A child reaped
                // elsewhere makes `try_wait` fail with ECHILD above instead.)
                io.clear_readiness(event);
            }
            seen = ready!(self.poll_event(cx))?;
        }
    }
}

#[cfg(target_os = "linux")]
fn pidfd_open(pid: u32) -> Option<OwnedFd> {
    use std::os::fd::FromRawFd;
    let pid = libc::pid_t::try_from(pid).ok()?;
    // SAFETY: `pidfd_open(pid, 0)` takes no pointers; it returns a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return None;
    }
    let fd = libc::c_int::try_from(fd).ok()?;
    // SAFETY: the kernel just returned `fd` as a new descriptor (close-on-exec by default for
    // pidfds) that nothing else owns.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(not(target_os = "linux"))]
fn pidfd_open(_pid: u32) -> Option<OwnedFd> {
    None
}

/// A child nobody holds any more: reaped by a task of its runtime, or listed in [`ORPHANS`].
#[derive(Debug)]
pub(crate) struct Orphan {
    child: Option<std::process::Child>,
    watch: ExitWatch,
}

impl Orphan {
    /// Hands `child` to a reaper task on `runtime` (or, if the runtime is gone, to the list).
    pub(crate) fn reap(runtime: &RuntimeHandle, child: std::process::Child, watch: ExitWatch) {
        let mut orphan = Orphan {
            child: Some(child),
            watch,
        };
        // Perhaps it already exited: no task needed.
        if let Some(child) = orphan.child.as_mut() {
            if !matches!(child.try_wait(), Ok(None)) {
                orphan.child = None;
                return;
            }
        }
        // After a shutdown the future is dropped at once, and its `Drop` lists the child.
        runtime.spawn(async move {
            let _ = poll_fn(|cx| orphan.poll_reap(cx)).await;
        });
    }

    fn poll_reap(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(child) = self.child.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        ready!(self.watch.poll_wait(cx, child))?;
        self.child = None;
        Poll::Ready(Ok(()))
    }
}

impl Drop for Orphan {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if matches!(child.try_wait(), Ok(None)) {
                ORPHANS.lock().push(child);
            }
        }
    }
}
