//! Helpers shared by this crate's unit tests.

use std::time::Duration;

/// Runs `f` on a thread and fails with the test's name if it takes over 60 s, so a hang is
/// reported by name instead of timing out CI. A panic in `f` is re-raised here.
pub(crate) fn guard(name: &'static str, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = std::sync::mpsc::channel();
    let t = std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("{name} hangs"),
        // Finished, or panicked (the sender was dropped): `join` re-raises the panic.
        _ => {
            if let Err(panic) = t.join() {
                std::panic::resume_unwind(panic);
            }
        }
    }
}
