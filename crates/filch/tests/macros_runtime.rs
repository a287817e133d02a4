//! `#[filch::test]` at run time: each test gets a working runtime of its own, the argument is
//! honoured, and `Result`-returning tests work.

use filch::runtime::Handle;

#[filch::test]
async fn a_test_runs_on_a_runtime() {
    let handle = filch::spawn(async { "spawned" });
    assert_eq!(handle.await.unwrap(), "spawned");
}

#[filch::test(worker_threads = 3)]
async fn the_worker_threads_argument_is_applied() {
    assert_eq!(Handle::current().worker_threads(), 3);
}

#[filch::test(worker_threads = 1)]
async fn a_test_may_return_a_result() -> Result<(), String> {
    let value: u32 = "12".parse().map_err(|e| format!("{e}"))?;
    assert_eq!(value, 12);
    Ok(())
}

/// A task still pending when the test body returns is cancelled when the test's runtime is
/// dropped: the test finishes instead of waiting for it.
#[filch::test(worker_threads = 1)]
async fn tasks_left_behind_are_dropped_with_the_runtime() {
    // Never finishes; the runtime cancels it when the test returns.
    filch::spawn(std::future::pending::<()>());
}
