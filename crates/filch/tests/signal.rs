//! `filch::signal`: listeners see signals the process raises at itself.
//!
//! Signals are process-wide, and the tests of this binary run in parallel: each test uses a
//! signal of its own (SIGUSR1, SIGHUP, SIGINT, SIGUSR2, SIGWINCH, SIGALRM), so no test sees
//! another's.

use std::io;
use std::time::Duration;

use filch::runtime::{Builder, Runtime};
use filch::signal::unix::{signal, SignalKind};
use filch::time::{sleep, timeout};

mod common;
use common::guard;

fn runtime() -> Runtime {
    Builder::new().worker_threads(2).build().unwrap()
}

fn raise(signum: libc::c_int) {
    // SAFETY: `raise` takes a plain signal number; every signal raised here has a handler
    // installed by a listener created before the call.
    let rc = unsafe { libc::raise(signum) };
    assert_eq!(rc, 0, "raise({signum}) failed");
}

/// Generous: the machine running the tests may be loaded.
const LIMIT: Duration = Duration::from_secs(10);

#[test]
fn several_listeners_all_see_each_delivery() {
    guard("several_listeners_all_see_each_delivery", || {
        runtime().block_on(async {
            let mut listeners: Vec<_> = (0..3)
                .map(|_| signal(SignalKind::user_defined1()).unwrap())
                .collect();
            for round in 0..3 {
                raise(libc::SIGUSR1);
                for (i, listener) in listeners.iter_mut().enumerate() {
                    let got = timeout(LIMIT, listener.recv()).await;
                    assert_eq!(got, Ok(Some(())), "listener {i} missed delivery {round}");
                }
            }
        });
    });
}

#[test]
fn listeners_in_tasks_are_woken() {
    guard("listeners_in_tasks_are_woken", || {
        let rt = runtime();
        rt.block_on(async {
            let mut waiting = Vec::new();
            for _ in 0..4 {
                let mut listener = signal(SignalKind::alarm()).unwrap();
                waiting.push(filch::spawn(async move { listener.recv().await }));
            }
            // Let the tasks reach their `recv` and sleep in it.
            sleep(Duration::from_millis(50)).await;
            raise(libc::SIGALRM);
            for task in waiting {
                assert_eq!(timeout(LIMIT, task).await.unwrap().unwrap(), Some(()));
            }
        });
    });
}

#[test]
fn a_signal_raised_while_nobody_waits_is_not_lost() {
    guard("a_signal_raised_while_nobody_waits_is_not_lost", || {
        runtime().block_on(async {
            let mut hangup = signal(SignalKind::hangup()).unwrap();
            // Before the first `recv`...
            raise(libc::SIGHUP);
            sleep(Duration::from_millis(50)).await;
            assert_eq!(timeout(LIMIT, hangup.recv()).await, Ok(Some(())));
            // ...and between two `recv`s (the dispatcher has run meanwhile).
            raise(libc::SIGHUP);
            sleep(Duration::from_millis(50)).await;
            assert_eq!(timeout(LIMIT, hangup.recv()).await, Ok(Some(())));
            // Nothing more was raised: nothing more is received.
            assert!(timeout(Duration::from_millis(200), hangup.recv())
                .await
                .is_err());
        });
    });
}

#[test]
fn ctrl_c_completes_on_sigint() {
    guard("ctrl_c_completes_on_sigint", || {
        let rt = runtime();
        rt.block_on(async {
            // A listener of our own first, so the handler is installed before anything raises
            // SIGINT (whose default action would end the test process).
            let _keep = signal(SignalKind::interrupt()).unwrap();
            let ctrl_c = filch::spawn(filch::signal::ctrl_c());
            sleep(Duration::from_millis(50)).await;
            assert!(!ctrl_c.is_finished());
            raise(libc::SIGINT);
            timeout(LIMIT, ctrl_c).await.unwrap().unwrap().unwrap();
        });
    });
}

#[test]
fn two_runtimes_both_receive() {
    guard("two_runtimes_both_receive", || {
        let a = runtime();
        let b = runtime();
        let mut in_a = a
            .block_on(async { signal(SignalKind::window_change()) })
            .unwrap();
        let mut in_b = b
            .block_on(async { signal(SignalKind::window_change()) })
            .unwrap();
        let b_task = b.spawn(async move { timeout(LIMIT, in_b.recv()).await });
        a.block_on(async {
            sleep(Duration::from_millis(50)).await;
            raise(libc::SIGWINCH);
            assert_eq!(timeout(LIMIT, in_a.recv()).await, Ok(Some(())));
        });
        assert_eq!(b.block_on(b_task).unwrap(), Ok(Some(())));
        // With `a` gone, `b` still dispatches.
        drop(a);
        let mut again = b
            .block_on(async { signal(SignalKind::window_change()) })
            .unwrap();
        b.block_on(async {
            raise(libc::SIGWINCH);
            assert_eq!(timeout(LIMIT, again.recv()).await, Ok(Some(())));
        });
    });
}

#[test]
fn recv_returns_none_after_the_runtime_shut_down() {
    guard("recv_returns_none_after_the_runtime_shut_down", || {
        let first = runtime();
        let mut listener = first
            .block_on(async { signal(SignalKind::user_defined2()) })
            .unwrap();
        drop(first);
        let second = runtime();
        second.block_on(async {
            assert_eq!(timeout(LIMIT, listener.recv()).await, Ok(None));
        });
    });
}

#[test]
fn forbidden_and_invalid_signals_are_errors() {
    guard("forbidden_and_invalid_signals_are_errors", || {
        runtime().block_on(async {
            for signum in [
                libc::SIGKILL,
                libc::SIGSTOP,
                libc::SIGSEGV,
                libc::SIGILL,
                libc::SIGFPE,
                libc::SIGBUS,
            ] {
                let err = signal(SignalKind::from_raw(signum)).unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "signal {signum}");
                assert!(
                    err.to_string().contains("cannot be listened for"),
                    "signal {signum}: {err}"
                );
            }
            for signum in [0, -1, 1000] {
                let err = signal(SignalKind::from_raw(signum)).unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "signal {signum}");
                assert!(err.to_string().contains("not a signal number"), "{err}");
            }
        });
    });
}

#[test]
fn outside_a_runtime_the_error_names_the_fix() {
    let err = signal(SignalKind::quit()).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("filch::signal::unix::signal")
            && message.contains("inside a filch runtime")
            && message.contains("#[filch::main]"),
        "{message}"
    );
}

#[test]
fn signal_kind_numbers() {
    let kinds = [
        (SignalKind::alarm(), libc::SIGALRM),
        (SignalKind::child(), libc::SIGCHLD),
        (SignalKind::hangup(), libc::SIGHUP),
        (SignalKind::interrupt(), libc::SIGINT),
        (SignalKind::io(), libc::SIGIO),
        (SignalKind::pipe(), libc::SIGPIPE),
        (SignalKind::quit(), libc::SIGQUIT),
        (SignalKind::terminate(), libc::SIGTERM),
        (SignalKind::user_defined1(), libc::SIGUSR1),
        (SignalKind::user_defined2(), libc::SIGUSR2),
        (SignalKind::window_change(), libc::SIGWINCH),
    ];
    for (kind, signum) in kinds {
        assert_eq!(kind.as_raw_value(), signum);
        assert_eq!(SignalKind::from_raw(signum), kind);
        assert_eq!(SignalKind::from(signum), kind);
        assert_eq!(libc::c_int::from(kind), signum);
    }
}
