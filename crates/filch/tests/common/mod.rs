//! Helpers shared by the facade's integration tests.

use std::thread;
use std::time::Duration;

/// Runs `f` on its own thread and fails the test, naming it, if it does not finish within 60 s,
/// so a hang is reported by name instead of timing out CI. A panic in `f` is re-raised here.
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
