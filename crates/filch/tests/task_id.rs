//! Task ids: `filch::task::{Id, id, try_id}`, `JoinHandle::id`, `AbortHandle::id`,
//! `JoinError::id`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::Arc;

use filch::runtime::{Builder, Runtime};
use filch::task::{self, Id};

mod common;
use common::guard;

fn runtime() -> Runtime {
    Builder::new().worker_threads(2).build().unwrap()
}

#[test]
fn id_inside_a_task_matches_its_handles() {
    guard("id_inside_a_task_matches_its_handles", || {
        let rt = runtime();
        rt.block_on(async {
            let handle = task::spawn(async {
                let before = task::id();
                task::yield_now().await;
                // Same id after a suspension (possibly on another worker).
                assert_eq!(task::id(), before);
                assert_eq!(task::try_id(), Some(before));
                before
            });
            let id = handle.id();
            assert_eq!(handle.abort_handle().id(), id);
            assert_eq!(handle.await.unwrap(), id);
        });
    });
}

#[test]
fn ids_are_unique_and_hashable() {
    guard("ids_are_unique_and_hashable", || {
        let rt = runtime();
        rt.block_on(async {
            let handles: Vec<_> = (0..100)
                .map(|_| task::spawn(async { task::id() }))
                .collect();
            let mut seen = HashSet::new();
            for handle in handles {
                let id = handle.id();
                assert_eq!(handle.await.unwrap(), id);
                assert!(seen.insert(id), "{id} seen twice");
            }
            assert_eq!(seen.len(), 100);
        });
    });
}

#[test]
fn id_is_unset_outside_tasks_and_after_a_poll() {
    guard("id_is_unset_outside_tasks_and_after_a_poll", || {
        assert_eq!(task::try_id(), None);
        // After its polls a worker thread has no current task: the thread-stop hook, run on the
        // worker after it ran tasks, sees none.
        let after_polls = Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = after_polls.clone();
        let rt = Builder::new()
            .worker_threads(1)
            .on_thread_stop(move || record.lock().unwrap().push(task::try_id()))
            .build()
            .unwrap();
        // `block_on`'s own future is not a task.
        rt.block_on(async {
            assert_eq!(task::try_id(), None);
            for _ in 0..10 {
                task::spawn(async { task::yield_now().await })
                    .await
                    .unwrap();
            }
            assert_eq!(task::try_id(), None);
        });
        drop(rt);
        let seen = after_polls.lock().unwrap().clone();
        assert!(!seen.is_empty(), "the thread-stop hook ran");
        assert!(seen.iter().all(Option::is_none), "{seen:?}");
        assert_eq!(task::try_id(), None);
    });
}

#[test]
fn id_panics_outside_a_task_with_a_clear_message() {
    let payload = std::panic::catch_unwind(task::id).unwrap_err();
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap();
    assert!(message.contains("outside a task"), "{message}");
    assert!(message.contains("try_id"), "{message}");
}

#[test]
fn blocking_tasks_have_ids() {
    guard("blocking_tasks_have_ids", || {
        let rt = runtime();
        rt.block_on(async {
            let handle = task::spawn_blocking(task::id);
            let id = handle.id();
            assert_eq!(handle.await.unwrap(), id);
        });
    });
}

#[test]
fn join_error_carries_the_id() {
    guard("join_error_carries_the_id", || {
        let rt = runtime();
        rt.block_on(async {
            let pending = task::spawn(std::future::pending::<()>());
            let id = pending.id();
            pending.abort();
            let err = pending.await.unwrap_err();
            assert!(err.is_cancelled());
            assert_eq!(err.id(), id);

            let panicking = task::spawn(async { panic!("on purpose") });
            let id = panicking.id();
            assert_eq!(panicking.await.unwrap_err().id(), id);
        });
    });
}

/// The future's destructor, run when the task is aborted, also sees the task's id.
#[test]
fn id_is_set_while_an_aborted_future_is_dropped() {
    guard("id_is_set_while_an_aborted_future_is_dropped", || {
        struct RecordOnDrop(Arc<AtomicU64>);
        impl Drop for RecordOnDrop {
            fn drop(&mut self) {
                let id = task::try_id().map(|id| id.to_string().parse::<u64>().unwrap());
                self.0.store(id.unwrap_or(u64::MAX), SeqCst);
            }
        }
        let rt = runtime();
        rt.block_on(async {
            let seen = Arc::new(AtomicU64::new(0));
            let record = RecordOnDrop(seen.clone());
            let handle = task::spawn(async move {
                let _record = record;
                std::future::pending::<()>().await
            });
            task::yield_now().await;
            let id = handle.id();
            handle.abort();
            assert!(handle.await.unwrap_err().is_cancelled());
            assert_eq!(seen.load(SeqCst).to_string(), id.to_string());
        });
    });
}

#[test]
fn id_formats() {
    guard("id_formats", || {
        let rt = runtime();
        let id: Id = rt.block_on(async { task::spawn(async {}).id() });
        let shown = id.to_string();
        assert!(shown.parse::<u64>().is_ok(), "{shown}");
        assert_eq!(format!("{id:?}"), format!("Id({shown})"));
        fn assert_traits<T: Copy + Eq + std::hash::Hash + Send + Sync + 'static>() {}
        assert_traits::<Id>();
    });
}
