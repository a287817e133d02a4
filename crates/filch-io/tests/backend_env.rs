//! `FILCH_IO_BACKEND`: which OS wait the driver uses, and the error for a bad value.
//!
//! Environment variables are process-wide and tests run on parallel threads, so this file holds
//! exactly ONE test, and it is the only test in this binary that creates a driver. Do not add
//! another `#[test]` here.

use std::io;

use filch_io::IoDriver;

const VAR: &str = "FILCH_IO_BACKEND";

#[track_caller]
fn expect_invalid(value: &str, needles: &[&str]) {
    std::env::set_var(VAR, value);
    let err = match filch_io::new_driver() {
        Ok(_) => panic!("{VAR}={value:?} must be an error"),
        Err(err) => err,
    };
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
fn filch_io_backend_selects_the_wait_and_bad_values_are_errors() {
    std::env::remove_var(VAR);
    let default = if cfg!(target_os = "linux") {
        "epoll"
    } else {
        "polling"
    };
    assert_eq!(IoDriver::new().unwrap().io_backend(), default);

    std::env::set_var(VAR, "polling");
    assert_eq!(IoDriver::new().unwrap().io_backend(), "polling");
    // A runtime on the portable backend runs timers.
    let rt = filch_executor::runtime::Builder::new()
        .driver(filch_io::new_driver)
        .build()
        .unwrap();
    rt.block_on(async { filch_io::time::sleep(std::time::Duration::from_millis(2)).await });
    drop(rt);

    if cfg!(target_os = "linux") {
        std::env::set_var(VAR, " epoll ");
        assert_eq!(IoDriver::new().unwrap().io_backend(), "epoll");
        expect_invalid(
            "kqueue",
            &[
                "FILCH_IO_BACKEND=\"kqueue\" is not an I/O backend filch knows",
                "set it to epoll (the default) or polling (the portable backend)",
                "or unset it to use the default (epoll)",
            ],
        );
    } else {
        expect_invalid("epoll", &["epoll exists on Linux only", "polling"]);
    }
    expect_invalid("", &["FILCH_IO_BACKEND is set but empty", "polling"]);
    expect_invalid("POLLING", &["\"POLLING\"", "polling"]);
    std::env::remove_var(VAR);
}
