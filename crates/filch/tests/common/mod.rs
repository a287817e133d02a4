//! Helpers shared by the facade's integration tests.

use std::thread;
use std::time::Duration;

/// Runs `f` on its own thread and fails the test, naming it, if it does not finish within 60 s,
/// so a hang is reported by name instead of timing out CI. A panic in `f` is re-raised here.
#[allow(dead_code)]
#[track_caller]
pub(crate) fn guard<R: Send + 'static>(name: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let limit = Duration::from_secs(60);
    let (tx, rx) = std::sync::mpsc::channel();
    let t = thread::spawn(move || {
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let _ = tx.send(out);
    });
    match rx.recv_timeout(limit) {
        Ok(Ok(v)) => {
            let _ = t.join();
            v
        }
        Ok(Err(p)) => std::panic::resume_unwind(p),
        Err(_) => panic!("{name} did not finish within {limit:?}: it hangs"),
    }
}

/// Aborts the test binary, naming the test, if the guard is still alive after `seconds`: the
/// hang guard for test bodies that run on the test's own thread (`#[filch::test]`), which
/// [`guard`] cannot wrap. Dropping it disarms it. The message goes straight to stderr, which
/// the test harness does not capture.
#[allow(dead_code)]
pub(crate) struct HangGuard(Option<std::sync::mpsc::Sender<()>>);

#[allow(dead_code)]
impl HangGuard {
    pub(crate) fn new(test: &'static str, seconds: u64) -> HangGuard {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                rx.recv_timeout(Duration::from_secs(seconds))
            {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "test `{test}` did not finish within {seconds} s: it hangs"
                );
                std::process::abort();
            }
        });
        HangGuard(Some(tx))
    }
}

impl Drop for HangGuard {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}
