//! `FILCH_WORKER_THREADS` / `FILCH_MAX_BLOCKING_THREADS` and builder validation.
//!
//! Environment variables are process-wide and tests run on parallel threads, so this file holds
//! exactly ONE test, and it is the only test in this binary that builds a runtime. Do not add
//! another `#[test]` here.

use std::ffi::OsStr;
use std::io;
use std::os::unix::ffi::OsStrExt;

use filch_executor::runtime::{Builder, Runtime, MAX_BLOCKING_THREADS_ENV, WORKER_THREADS_ENV};

const WORKERS: &str = "FILCH_WORKER_THREADS";
const BLOCKING: &str = "FILCH_MAX_BLOCKING_THREADS";

fn counts(rt: &Runtime) -> (usize, usize) {
    (
        rt.handle().worker_threads(),
        rt.handle().max_blocking_threads(),
    )
}

#[track_caller]
fn expect_invalid(result: io::Result<Runtime>, needles: &[&str]) {
    let err = result.expect_err("a bad value must be an error");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
    let msg = err.to_string();
    for needle in needles {
        assert!(
            msg.contains(needle),
            "message {msg:?} should mention {needle:?}"
        );
    }
}

#[test]
fn environment_variables_and_builder_validation() {
    assert_eq!(WORKER_THREADS_ENV, WORKERS);
    assert_eq!(MAX_BLOCKING_THREADS_ENV, BLOCKING);
    std::env::remove_var(WORKERS);
    std::env::remove_var(BLOCKING);

    // Defaults.
    let rt = Runtime::new().unwrap();
    assert_eq!(counts(&rt), (num_cpus::get(), 512));
    drop(rt);

    // Read by build() when the builder leaves the value unset (Runtime::new too).
    std::env::set_var(WORKERS, "3");
    std::env::set_var(BLOCKING, "7");
    assert_eq!(counts(&Runtime::new().unwrap()), (3, 7));
    assert_eq!(counts(&Builder::new().build().unwrap()), (3, 7));
    // Surrounding whitespace is tolerated.
    std::env::set_var(WORKERS, " 2 ");
    assert_eq!(counts(&Builder::new().build().unwrap()), (2, 7));

    // An explicit builder value wins, per setting.
    assert_eq!(
        counts(&Builder::new().worker_threads(1).build().unwrap()),
        (1, 7)
    );
    assert_eq!(
        counts(&Builder::new().max_blocking_threads(9).build().unwrap()),
        (2, 9)
    );
    // ...and a bad variable is not even read when the builder set the value.
    std::env::set_var(WORKERS, "nonsense");
    std::env::set_var(BLOCKING, "-1");
    let rt = Builder::new()
        .worker_threads(2)
        .max_blocking_threads(4)
        .build()
        .unwrap();
    assert_eq!(counts(&rt), (2, 4));
    drop(rt);
    std::env::remove_var(WORKERS);
    std::env::remove_var(BLOCKING);

    // Bad values: an InvalidInput error naming the variable and the value; never a panic or a
    // silent fallback.
    for var in [WORKERS, BLOCKING] {
        for (value, shown) in [
            ("0", "0"),
            ("-1", "-1"),
            ("-4", "-4"),
            ("abc", "abc"),
            ("3.5", "3.5"),
            ("", ""),
            ("   ", ""),
            ("99999999999999999999999999", "99999999999999999999999999"),
        ] {
            std::env::set_var(var, value);
            let mut needles = vec![var];
            if !shown.is_empty() {
                needles.push(shown);
            } else {
                needles.push("empty");
            }
            expect_invalid(Builder::new().build(), &needles);
            expect_invalid(Runtime::new(), &needles);
        }
        // Non-UTF-8.
        std::env::set_var(var, OsStr::from_bytes(b"4\xff"));
        expect_invalid(Builder::new().build(), &[var, "UTF-8"]);
        std::env::remove_var(var);
    }

    // A count of zero set on the builder is the same kind of error.
    expect_invalid(
        Builder::new().worker_threads(0).build(),
        &["worker_threads", "0"],
    );
    expect_invalid(
        Builder::new().max_blocking_threads(0).build(),
        &["max_blocking_threads", "0"],
    );

    // The blocking-thread limit has a real maximum (100 000), named in the message, for the
    // builder and the variable alike.
    for value in ["100001", "18446744073709551615"] {
        std::env::set_var(BLOCKING, value);
        let err = Builder::new().build().expect_err(value);
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
        let msg = err.to_string();
        assert!(msg.contains("100000"), "{msg}");
        assert!(msg.contains("the most filch supports is 100000"), "{msg}");
    }
    std::env::set_var(BLOCKING, "100000");
    assert_eq!(
        counts(&Builder::new().worker_threads(1).build().unwrap()).1,
        100_000
    );
    std::env::remove_var(BLOCKING);
    expect_invalid(
        Builder::new().max_blocking_threads(100_001).build(),
        &[
            "max_blocking_threads",
            "100001",
            "the most filch supports is 100000",
        ],
    );
    assert_eq!(
        counts(
            &Builder::new()
                .worker_threads(1)
                .max_blocking_threads(100_000)
                .build()
                .unwrap()
        )
        .1,
        100_000
    );

    // With the variables gone again, everything builds.
    assert!(Runtime::new().is_ok());
}
