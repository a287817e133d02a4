//! `filch::task_local!` and `task::LocalKey`: values across `.await`s and worker moves, nested
//! scopes, `try_with`/`with` outside a scope, panics inside a scope, what spawned tasks and
//! `spawn_blocking` see. (Some cases are ideas from tokio's `task_local.rs`, rewritten.)

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;

use filch::runtime::Builder;
use filch::task::{self, LocalSet};
use futures_lite::FutureExt;

mod common;
use common::guard;

mod keys {
    filch::task_local! {
        /// A public key, declared with others in one invocation.
        pub static REQUEST: u64;
        pub(crate) static NAME: String;
        static PRIVATE: u8
    }

    pub(crate) fn private_is_unset() -> bool {
        PRIVATE.try_get().is_err()
    }
}

use keys::{NAME, REQUEST};

filch::task_local! {
    static DEPTH: u32;
}

#[test]
fn the_value_follows_its_task_across_awaits_and_workers() {
    guard(
        "the_value_follows_its_task_across_awaits_and_workers",
        || {
            // Which tasks a worker steals is up to timing, so a run in which no task happens
            // to move proves nothing either way: try again with a new runtime (each run checks
            // the values all the same), up to 20 times.
            for _ in 0..20 {
                let rt = Builder::new().worker_threads(4).build().unwrap();
                let moved = rt.block_on(async {
                    let mut handles = Vec::new();
                    for i in 0..16u64 {
                        handles.push(filch::spawn(REQUEST.scope(i, async move {
                            let mut threads = HashSet::new();
                            for _ in 0..300 {
                                threads.insert(thread::current().id());
                                assert_eq!(REQUEST.get(), i, "another task's value leaked in");
                                task::yield_now().await;
                            }
                            threads.len()
                        })));
                    }
                    let mut moved = 0;
                    for handle in handles {
                        if handle.await.unwrap() > 1 {
                            moved += 1;
                        }
                    }
                    moved
                });
                if moved > 0 {
                    return;
                }
            }
            panic!("in 20 runs of 16 tasks yielding 300 times on 4 workers, no task moved");
        },
    );
}

#[test]
fn a_scoped_future_moved_between_threads_sees_its_value_on_each() {
    guard(
        "a_scoped_future_moved_between_threads_sees_its_value_on_each",
        || {
            /// Ready on its third poll; records the value at each poll.
            struct Record(Arc<Mutex<Vec<(u64, thread::ThreadId)>>>);
            impl Future for Record {
                type Output = ();
                fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
                    let mut seen = self.0.lock().unwrap();
                    seen.push((REQUEST.get(), thread::current().id()));
                    if seen.len() == 3 {
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    }
                }
            }
            let seen = Arc::new(Mutex::new(Vec::new()));
            let mut fut = Box::pin(REQUEST.scope(11, Record(seen.clone())));
            for _ in 0..3 {
                fut = thread::spawn(move || {
                    let _ = fut.as_mut().poll(&mut Context::from_waker(Waker::noop()));
                    assert!(REQUEST.try_get().is_err(), "the value stayed on the thread");
                    fut
                })
                .join()
                .unwrap();
            }
            let seen = seen.lock().unwrap();
            assert_eq!(
                seen.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
                [11, 11, 11]
            );
            let threads: HashSet<_> = seen.iter().map(|(_, t)| *t).collect();
            assert_eq!(threads.len(), 3);
        },
    );
}

#[test]
fn nested_scopes_shadow_and_restore() {
    guard("nested_scopes_shadow_and_restore", || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        rt.block_on(DEPTH.scope(1, async {
            assert_eq!(DEPTH.get(), 1);
            DEPTH
                .scope(2, async {
                    task::yield_now().await;
                    assert_eq!(DEPTH.get(), 2);
                    // Another key at the same time.
                    NAME.scope("inner".to_string(), async {
                        task::yield_now().await;
                        assert_eq!(DEPTH.get(), 2);
                        assert_eq!(NAME.with(|n| n.clone()), "inner");
                    })
                    .await;
                    assert!(NAME.try_with(|_| ()).is_err());
                })
                .await;
            assert_eq!(DEPTH.get(), 1);
            assert_eq!(DEPTH.sync_scope(3, || DEPTH.get()), 3);
            assert_eq!(DEPTH.get(), 1);
        }));
        assert!(keys::private_is_unset());
    });
}

#[test]
fn outside_a_scope_try_with_errs_and_with_panics_naming_the_key() {
    guard(
        "outside_a_scope_try_with_errs_and_with_panics_naming_the_key",
        || {
            assert!(REQUEST.try_with(|v| *v).is_err());
            assert!(REQUEST.try_get().is_err());
            let error = NAME.try_with(|n| n.len()).unwrap_err();
            assert!(error.to_string().contains("no value"), "{error}");
            let caught = std::panic::catch_unwind(|| REQUEST.get()).unwrap_err();
            let text = caught.downcast_ref::<String>().unwrap();
            assert!(text.contains("`REQUEST`"), "{text}");
            assert!(text.contains("REQUEST.scope("), "{text}");
        },
    );
}

#[test]
fn a_panic_inside_a_scope_restores_the_previous_value() {
    guard("a_panic_inside_a_scope_restores_the_previous_value", || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        rt.block_on(DEPTH.scope(1, async {
            let caught = DEPTH
                .scope(2, async {
                    task::yield_now().await;
                    assert_eq!(DEPTH.get(), 2);
                    panic!("inside the inner scope");
                })
                .catch_unwind()
                .await;
            assert!(caught.is_err());
            assert_eq!(DEPTH.get(), 1);
            // The same for the closure form.
            let caught = std::panic::catch_unwind(|| DEPTH.sync_scope(5, || panic!("sync")));
            assert!(caught.is_err());
            assert_eq!(DEPTH.get(), 1);
        }));
        assert!(DEPTH.try_get().is_err());
    });
}

#[test]
fn spawned_tasks_and_spawn_blocking_see_the_value_only_when_passed() {
    guard(
        "spawned_tasks_and_spawn_blocking_see_the_value_only_when_passed",
        || {
            let rt = Builder::new().worker_threads(2).build().unwrap();
            rt.block_on(REQUEST.scope(77, async {
                let spawned = filch::spawn(async { REQUEST.try_get() }).await.unwrap();
                assert!(spawned.is_err());
                let blocking = task::spawn_blocking(|| REQUEST.try_get()).await.unwrap();
                assert!(blocking.is_err());
                // Passed explicitly.
                let value = REQUEST.get();
                let blocking =
                    task::spawn_blocking(move || REQUEST.sync_scope(value, || REQUEST.get()))
                        .await
                        .unwrap();
                assert_eq!(blocking, 77);
                let spawned = filch::spawn(REQUEST.scope(value, async { REQUEST.get() }))
                    .await
                    .unwrap();
                assert_eq!(spawned, 77);
            }));
        },
    );
}

#[test]
fn local_tasks_use_their_own_scopes() {
    guard("local_tasks_use_their_own_scopes", || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let local = LocalSet::new();
        local.block_on(&rt, async {
            let a = task::spawn_local(DEPTH.scope(10, async {
                task::yield_now().await;
                DEPTH.get()
            }));
            let b = task::spawn_local(DEPTH.scope(20, async {
                task::yield_now().await;
                DEPTH.get()
            }));
            assert_eq!((a.await.unwrap(), b.await.unwrap()), (10, 20));
            assert!(DEPTH.try_get().is_err());
        });
    });
}
