//! The effective configuration of a runtime, after builder, environment and defaults. A leaf
//! module: it depends on nothing else in the crate, so the scheduler, the blocking pool and the
//! builder can all read it.

use std::any::Any;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

/// A thread hook (`on_thread_start`, `on_thread_stop`).
pub(crate) type Callback = Arc<dyn Fn() + Send + Sync>;

/// The effective configuration of a runtime.
pub(crate) struct Config {
    pub(crate) worker_threads: usize,
    pub(crate) max_blocking_threads: usize,
    pub(crate) keep_alive: Duration,
    /// Stack size of worker and blocking threads, in bytes.
    pub(crate) stack_size: usize,
    pub(crate) on_thread_start: Option<Callback>,
    pub(crate) on_thread_stop: Option<Callback>,
    /// `None`: stall handling off (`Builder::stall_threshold`).
    pub(crate) stall_threshold: Option<Duration>,
    /// The poll-time histogram's layout; `None`: off.
    pub(crate) histogram: Option<super::metrics::Histogram>,
    /// `None`: slow-poll reports off (`Builder::slow_poll_threshold`).
    pub(crate) slow_poll_threshold: Option<Duration>,
    /// Replaces the default stderr line of a slow-poll report.
    pub(crate) on_slow_poll: Option<super::metrics::SlowPollCallback>,
}

impl Config {
    /// Whether workers time each poll (`runtime/metrics.rs`).
    pub(crate) fn timing(&self) -> bool {
        self.histogram.is_some() || self.slow_poll_threshold.is_some()
    }
}

/// Runs a thread's start hook, catching a panic; `Err` carries the panic's message.
pub(crate) fn run_start_hook(hook: Option<&Callback>) -> Result<(), String> {
    match hook {
        Some(f) => catch_unwind(AssertUnwindSafe(|| f())).map_err(|p| panic_message(&*p)),
        None => Ok(()),
    }
}

/// Runs a thread's stop hook; a panic is reported on stderr (one line naming the thread) and
/// otherwise ignored, so that shutdown goes on.
pub(crate) fn run_stop_hook(hook: Option<&Callback>) {
    let Some(f) = hook else { return };
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| f())) {
        let thread = std::thread::current();
        report(&format!(
            "filch: the on_thread_stop hook panicked on thread {}: {}; shutdown continues",
            thread.name().unwrap_or("<unnamed>"),
            panic_message(&*payload)
        ));
    }
}

/// Writes one line to standard error in a single `write` (so a panic message that another
/// thread prints at the same moment cannot cut it in two), and never panics (`eprintln!` does
/// when stderr is closed, and some callers run where a panic aborts).
pub(crate) fn report(line: &str) {
    use std::io::Write;
    let mut buf = String::with_capacity(line.len() + 1);
    buf.push_str(line);
    buf.push('\n');
    let _ = std::io::stderr().write_all(buf.as_bytes());
}

/// The text of a panic payload (`&str` or `String`), or a placeholder.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<a panic payload that is not a string>".to_string()
    }
}

/// Explains an error from the OS refusing to start a thread: which thread, how many of the
/// runtime's threads were running, and what to change. Keeps the original error's kind.
pub(crate) fn thread_start_error(thread: &str, running: usize, err: io::Error) -> io::Error {
    io::Error::new(
        err.kind(),
        format!(
            "filch could not start thread {thread} ({running} threads of this runtime were \
             running): {err}. Ask for fewer threads (FILCH_WORKER_THREADS or \
             Builder::worker_threads, FILCH_MAX_BLOCKING_THREADS or \
             Builder::max_blocking_threads), raise the limit on processes/threads (ulimit -u), \
             or give threads a smaller stack (Builder::thread_stack_size)"
        ),
    )
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_refused_thread_is_explained_keeping_the_os_errors_kind() {
        let os = io::Error::from_raw_os_error(11); // EAGAIN
        let kind = os.kind();
        let err = thread_start_error("filch-blocking-7", 12, os);
        assert_eq!(err.kind(), kind);
        let msg = err.to_string();
        for needle in [
            "filch-blocking-7",
            "12 threads of this runtime were running",
            "os error 11",
            "FILCH_WORKER_THREADS",
            "FILCH_MAX_BLOCKING_THREADS",
            "ulimit -u",
            "Builder::thread_stack_size",
        ] {
            assert!(msg.contains(needle), "{needle:?} missing from {msg}");
        }
    }

    #[test]
    fn hooks_panics_are_caught_with_their_message() {
        let hook: Callback = Arc::new(|| panic!("hook {}", 42));
        assert_eq!(run_start_hook(Some(&hook)), Err("hook 42".to_string()));
        assert_eq!(run_start_hook(None), Ok(()));
        let fine: Callback = Arc::new(|| ());
        assert_eq!(run_start_hook(Some(&fine)), Ok(()));
        // Reported, not propagated.
        run_stop_hook(Some(&hook));
    }
}
