//! The process-wide side of signal delivery: installed handlers, the self-pipe, the per-signal
//! slots, and the per-runtime task that drains the pipe.
//!
//! # From a signal to a task
//!
//! 1. [`listen`] installs, once per signal number and for the life of the process, a handler
//!    through `signal-hook-registry`. The handler does two async-signal-safe things: it sets the
//!    signal's `pending` flag, then writes one byte to the write end of a non-blocking
//!    `UnixStream` pair (the self-pipe). A full pipe drops the byte, which loses nothing: a byte
//!    already in the pipe will wake the reader, and the flag is what carries the signal.
//! 2. Each runtime that creates a listener gets, once, a duplicate of the read end registered
//!    with its own reactor (`PollEvented`) and a small task, [`dispatch_loop`], that waits for it
//!    to be readable, drains it, and then calls [`Globals::dispatch`].
//! 3. [`Globals::dispatch`] swaps every installed signal's `pending` flag to `false`; for each
//!    one that was set it increments the slot's sequence number and wakes every listener waiting
//!    on that slot.
//! 4. A listener (`Signal`) remembers the sequence number it has seen; `poll_recv` returns once
//!    the slot's number differs. Every listener of a signal thus sees every dispatch, a signal
//!    that arrives while nobody waits is kept in the number (not lost), and signals that arrive
//!    between two dispatches count as one (coalescing, as in tokio).
//!
//! The handler sets the flag *before* writing the byte and the dispatcher drains the pipe
//! *before* swapping the flags, so a flag set after the swap always comes with a byte that
//! will make the dispatcher run again. A listener stores its waker under the slot's lock and
//! re-reads the sequence number afterwards; the dispatcher increments the number before it takes
//! that lock, so either the listener sees the new number or the dispatcher sees its waker.
//!
//! # Two runtimes
//!
//! The handlers, flags and slots are process-wide; the read end is registered once per runtime
//! that has listeners (each with its own descriptor, a `dup` of the read end), and each such
//! runtime runs one dispatcher task. A byte written by the handler wakes every registration;
//! whichever dispatcher drains first dispatches to the listeners of *all* runtimes, the others
//! find the pipe empty and the flags already swapped. When a runtime shuts down its dispatcher
//! task is cancelled with its other tasks and its listeners' `recv` returns `None`; listeners of
//! other runtimes are not affected.
//!
//! Handlers are never uninstalled (as in tokio): once a program has listened for a signal, the
//! signal's default action (terminating the process for `SIGINT`, `SIGTERM`, `SIGHUP`…) no
//! longer happens, even after every listener is dropped.

use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::task::Waker;

use filch_executor::runtime::Handle as RuntimeHandle;
use parking_lot::Mutex;

use crate::driver::Handle;
use crate::io_source::PollEvented;
use crate::scheduled_io::Direction;

/// Signal numbers below this have a slot (Linux's real-time signals end at 64).
pub(crate) const SLOTS: usize = 128;

/// What the process knows about one signal number.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    /// Set by the handler, swapped back by the dispatcher.
    pending: AtomicBool,
    /// Incremented by the dispatcher once per dispatch in which `pending` was set.
    pub(crate) seq: AtomicU64,
    /// Whether the handler has been installed (the `Err` keeps the message for later callers).
    installed: OnceLock<Result<(), String>>,
    /// The wakers of listeners waiting on this slot, by listener id.
    pub(crate) wakers: Mutex<Vec<(u64, Waker)>>,
}

/// The process-wide state.
#[derive(Debug)]
pub(crate) struct Globals {
    slots: Box<[Slot]>,
    /// Write end of the self-pipe (the handlers write here; never closed).
    write: UnixStream,
    /// Read end; each runtime registers a duplicate of it.
    read: UnixStream,
    /// Driver handles of the runtimes that have a dispatcher task.
    runtimes: Mutex<Vec<Weak<Handle>>>,
    /// Source of listener ids.
    next_id: AtomicU64,
}

static GLOBALS: OnceLock<Result<Globals, String>> = OnceLock::new();

fn globals() -> io::Result<&'static Globals> {
    GLOBALS
        .get_or_init(|| {
            let (write, read) = UnixStream::pair()
                .map_err(|e| format!("cannot create the signal self-pipe: {e}"))?;
            write
                .set_nonblocking(true)
                .and_then(|()| read.set_nonblocking(true))
                .map_err(|e| format!("cannot make the signal self-pipe non-blocking: {e}"))?;
            Ok(Globals {
                slots: (0..SLOTS).map(|_| Slot::default()).collect(),
                write,
                read,
                runtimes: Mutex::new(Vec::new()),
                next_id: AtomicU64::new(0),
            })
        })
        .as_ref()
        .map_err(|message| io::Error::other(message.clone()))
}

/// Installs the handler of `signum` (once per process), makes sure the runtime of `driver` has a
/// dispatcher, and returns the signal's slot and a fresh listener id.
pub(crate) fn listen(
    signum: libc::c_int,
    driver: &Arc<Handle>,
    runtime: &RuntimeHandle,
) -> io::Result<(&'static Slot, u64)> {
    if signal_hook_registry::FORBIDDEN.contains(&signum) || signum == libc::SIGBUS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "signal {signum} ({}) cannot be listened for: the operating system or the \
                 program's correctness forbids a handler for it (SIGKILL, SIGSTOP, SIGILL, \
                 SIGFPE, SIGSEGV and SIGBUS are refused); choose another signal",
                signal_name(signum)
            ),
        ));
    }
    let index = usize::try_from(signum)
        .ok()
        .filter(|&i| i > 0 && i < SLOTS)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{signum} is not a signal number this platform supports"),
            )
        })?;
    let globals = globals()?;
    let slot = &globals.slots[index];
    slot.installed
        .get_or_init(|| install(signum, globals))
        .as_ref()
        .map_err(|message| io::Error::new(io::ErrorKind::InvalidInput, message.clone()))?;
    ensure_dispatcher(globals, driver, runtime)?;
    let id = globals.next_id.fetch_add(1, Ordering::Relaxed);
    Ok((slot, id))
}

fn install(signum: libc::c_int, globals: &'static Globals) -> Result<(), String> {
    let pending = &globals.slots[signum as usize].pending;
    let fd = globals.write.as_raw_fd();
    let action = move || {
        pending.store(true, Ordering::SeqCst);
        let byte = 1u8;
        // SAFETY: `fd` is the write end of the self-pipe, which `GLOBALS` keeps open for the
        // life of the process; `byte` outlives the call. `write` is async-signal-safe, and its
        // result (a full pipe: `EAGAIN`) is deliberately ignored, see the module docs.
        // signal-hook-registry saves and restores `errno` around the handler.
        unsafe {
            libc::write(fd, (&byte as *const u8).cast(), 1);
        }
    };
    // SAFETY: `register` requires the action to be async-signal-safe and not to panic: it does
    // an atomic store and a `write` system call, allocates nothing, takes no lock. FORBIDDEN
    // signals were refused by the caller, so `register` does not panic either.
    let result = unsafe { signal_hook_registry::register(signum, action) };
    result.map(|_| ()).map_err(|e| {
        format!(
            "cannot install a handler for signal {signum} ({}): {e}",
            signal_name(signum)
        )
    })
}

fn ensure_dispatcher(
    globals: &'static Globals,
    driver: &Arc<Handle>,
    runtime: &RuntimeHandle,
) -> io::Result<()> {
    let mut runtimes = globals.runtimes.lock();
    runtimes.retain(|weak| weak.strong_count() > 0);
    if runtimes
        .iter()
        .any(|weak| std::ptr::eq(weak.as_ptr(), Arc::as_ptr(driver)))
    {
        return Ok(());
    }
    let read = globals.read.try_clone()?;
    let io = PollEvented::new_with(read, driver.clone())?;
    runtime.spawn(dispatch_loop(globals, io));
    runtimes.push(Arc::downgrade(driver));
    Ok(())
}

/// The per-runtime dispatcher: waits for the pipe, drains it, dispatches. Ends when the
/// runtime shuts down (its task is cancelled, or the registration reports the shutdown).
async fn dispatch_loop(globals: &'static Globals, io: PollEvented<UnixStream>) {
    // Flags set before this runtime registered (no byte left to wake us) are not lost.
    globals.dispatch();
    loop {
        let drained = io
            .async_io(Direction::Read, |pipe| {
                let mut buf = [0u8; 64];
                let mut got = false;
                loop {
                    match (&*pipe).read(&mut buf) {
                        Ok(0) => return Ok(got),
                        Ok(_) => got = true,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock && got => return Ok(true),
                        Err(e) => return Err(e),
                    }
                }
            })
            .await;
        match drained {
            Ok(true) => globals.dispatch(),
            // End of stream (cannot happen: the write end is never closed) or the reactor is
            // gone: this runtime stops dispatching.
            Ok(false) | Err(_) => return,
        }
    }
}

impl Globals {
    /// Turns every set `pending` flag into a new sequence number and wakes the slot's listeners.
    fn dispatch(&self) {
        for slot in self.slots.iter() {
            if slot.pending.swap(false, Ordering::SeqCst) {
                slot.seq.fetch_add(1, Ordering::SeqCst);
                let wakers = std::mem::take(&mut *slot.wakers.lock());
                for (_, waker) in wakers {
                    waker.wake();
                }
            }
        }
    }
}

/// The conventional name of a signal number, for messages.
pub(crate) fn signal_name(signum: libc::c_int) -> &'static str {
    match signum {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGCHLD => "SIGCHLD",
        libc::SIGCONT => "SIGCONT",
        libc::SIGSTOP => "SIGSTOP",
        libc::SIGTSTP => "SIGTSTP",
        libc::SIGWINCH => "SIGWINCH",
        libc::SIGIO => "SIGIO",
        _ => "no common name",
    }
}
