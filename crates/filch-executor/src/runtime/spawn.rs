//! The free functions [`spawn`] and [`spawn_blocking`], which find the current runtime.
//! They live here, above `task/`, so that the task module depends on nothing that needs a runtime.

use std::future::Future;

use crate::task::JoinHandle;

/// Spawns a future onto the current runtime and returns a [`JoinHandle`] for its output.
///
/// The task starts running at once on one of the runtime's workers; it does not wait for the
/// handle to be awaited. Dropping the handle detaches the task.
///
/// # Panics
///
/// When called outside a runtime (not inside a task, `Runtime::block_on`, `#[filch::main]` or
/// `Runtime::enter`). Use [`Handle::spawn`](crate::runtime::Handle::spawn) to spawn from other
/// threads.
///
/// ```
/// # let rt = filch::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let handles: Vec<_> = (0..4).map(|i| filch::spawn(async move { i * 2 })).collect();
/// let mut sum = 0;
/// for h in handles {
///     sum += h.await.unwrap();
/// }
/// assert_eq!(sum, 12);
/// # });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // Box a large future at once, so that only a pointer travels down the call chain below; in
    // debug builds each frame would otherwise hold its own copy and a worker's stack could
    // overflow.
    if std::mem::size_of::<F>() > BOX_FUTURE_THRESHOLD {
        spawn_here(Box::pin(future))
    } else {
        spawn_here(future)
    }
}

/// Futures larger than this are boxed before they are passed on (tokio's thresholds).
pub(crate) const BOX_FUTURE_THRESHOLD: usize = if cfg!(debug_assertions) { 2048 } else { 16384 };

#[track_caller]
fn spawn_here<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // Taken here: the closure below is not a `#[track_caller]` frame.
    let location = std::panic::Location::caller();
    match crate::context::try_with_current(|handle| handle.spawn_inner(future, location)) {
        Ok(handle) => handle,
        Err(_) => panic!(
            "filch::spawn was called outside a filch runtime: call it from inside \
             #[filch::main], #[filch::test], Runtime::block_on or another task, \
             or spawn through a runtime Handle (Handle::spawn)"
        ),
    }
}

/// Runs a blocking function on the runtime's blocking thread pool and returns a [`JoinHandle`]
/// for its result.
///
/// Blocking threads are named `filch-blocking-{i}`, started on demand up to the runtime's
/// maximum (512 by default, `FILCH_MAX_BLOCKING_THREADS`) and retired after 10 seconds idle.
/// Work beyond the maximum waits in a queue. A blocking function that has started cannot be
/// aborted; one still queued can.
///
/// # Panics
///
/// When called outside a runtime, like [`spawn`].
///
/// ```
/// # let rt = filch::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let name = filch::task::spawn_blocking(|| {
///     std::thread::current().name().unwrap().to_string()
/// })
/// .await
/// .unwrap();
/// assert!(name.starts_with("filch-blocking-"));
/// # });
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(f: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match crate::context::try_with_current(|handle| handle.spawn_blocking(f)) {
        Ok(handle) => handle,
        Err(_) => panic!(
            "filch::task::spawn_blocking was called outside a filch runtime: call it from \
             inside #[filch::main], Runtime::block_on or a task, or use Handle::spawn_blocking"
        ),
    }
}
