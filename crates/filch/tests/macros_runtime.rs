//! `#[filch::test]` at run time: each test gets a working runtime of its own, the argument is
//! honoured, and `Result`-returning tests work.

use filch::runtime::{Handle, RuntimeFlavor};

#[filch::test]
async fn a_test_runs_on_a_runtime() {
    let handle = filch::spawn(async { "spawned" });
    assert_eq!(handle.await.unwrap(), "spawned");
}

/// Without arguments, as with `#[tokio::test]`: a current-thread runtime on the test's thread.
#[filch::test]
async fn a_test_without_arguments_runs_on_a_current_thread_runtime() {
    assert_eq!(
        Handle::current().runtime_flavor(),
        RuntimeFlavor::CurrentThread
    );
    let here = std::thread::current().id();
    let ran_on = filch::spawn(async { std::thread::current().id() })
        .await
        .unwrap();
    assert_eq!(ran_on, here);
}

#[filch::test(worker_threads = 3)]
async fn the_worker_threads_argument_is_applied() {
    assert_eq!(Handle::current().worker_threads(), 3);
    // `worker_threads` alone implies a multi-thread runtime.
    assert_eq!(
        Handle::current().runtime_flavor(),
        RuntimeFlavor::MultiThread
    );
}

#[filch::test(flavor = "multi_thread")]
async fn the_multi_thread_flavor() {
    assert_eq!(
        Handle::current().runtime_flavor(),
        RuntimeFlavor::MultiThread
    );
    let here = std::thread::current().id();
    let ran_on = filch::spawn(async { std::thread::current().id() })
        .await
        .unwrap();
    assert_ne!(
        ran_on, here,
        "a multi-thread runtime runs tasks on its workers"
    );
}

#[filch::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_multi_thread_flavor_with_workers() {
    assert_eq!(
        Handle::current().runtime_flavor(),
        RuntimeFlavor::MultiThread
    );
    assert_eq!(Handle::current().worker_threads(), 2);
}

#[filch::test(flavor = "current_thread")]
async fn the_current_thread_flavor() {
    assert_eq!(
        Handle::current().runtime_flavor(),
        RuntimeFlavor::CurrentThread
    );
}

#[filch::main(flavor = "current_thread")]
async fn main_on_one_thread() -> std::thread::ThreadId {
    filch::spawn(async { std::thread::current().id() })
        .await
        .unwrap()
}

#[test]
fn main_with_the_current_thread_flavor_runs_tasks_on_the_calling_thread() {
    assert_eq!(main_on_one_thread(), std::thread::current().id());
}

#[filch::test(worker_threads = 1)]
async fn a_test_may_return_a_result() -> Result<(), String> {
    let value: u32 = "12".parse().map_err(|e| format!("{e}"))?;
    assert_eq!(value, 12);
    Ok(())
}

thread_local! {
    /// Drops of [`CountDrop`] on this thread. A task that is idle when its runtime goes away is
    /// dropped by the thread that drops the runtime: here, the thread running the test.
    static DROPS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

struct CountDrop;

impl Drop for CountDrop {
    fn drop(&mut self) {
        DROPS.with(|d| d.set(d.get() + 1));
    }
}

/// Leaves a task behind that never finishes, holding a [`CountDrop`].
#[filch::main(worker_threads = 1)]
async fn leave_a_task_behind() {
    let (tx, rx) = std::sync::mpsc::channel();
    filch::spawn(async move {
        let _guard = CountDrop;
        tx.send(()).unwrap();
        std::future::pending::<()>().await;
    });
    rx.recv().unwrap();
}

/// A task still pending when the body returns is cancelled when the attribute's runtime is
/// dropped: the function returns instead of waiting for it, and the task's future is dropped.
#[test]
fn tasks_left_behind_are_dropped_with_the_runtime() {
    let before = DROPS.with(|d| d.get());
    leave_a_task_behind();
    assert_eq!(
        DROPS.with(|d| d.get()) - before,
        1,
        "the task left behind was not dropped when the runtime went away"
    );
}
