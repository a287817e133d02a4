//! `examples/graceful_shutdown.rs`: on SIGINT (and SIGTERM) the server stops accepting, lets an
//! open connection finish, and exits with status 0.
//!
//! The example's code is compiled into this test binary (`#[path]` module), and the test runs
//! the binary again as a child process with one test selected, `example_server`, which runs the
//! example's server (`run`, what its `main` calls) when `FILCH_GRACEFUL_SHUTDOWN_CHILD` is set. This tests the example's current
//! code without depending on `cargo test` having built `target/debug/examples/` (it does not
//! with `--test graceful_shutdown`), and a signal sent to the child reaches only the child.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::guard;

#[allow(dead_code)]
#[path = "../examples/graceful_shutdown.rs"]
mod example;

const CHILD_ENV: &str = "FILCH_GRACEFUL_SHUTDOWN_CHILD";

/// Not a test of its own: the entry point of the child process (ignored, so a normal run does
/// not count it as a passing test; the child runs it with `--ignored`).
#[test]
#[ignore = "the entry point of the server child process, run by the tests below"]
fn example_server() {
    if std::env::var_os(CHILD_ENV).is_some() {
        filch::runtime::Runtime::new()
            .unwrap()
            .block_on(example::run("127.0.0.1:0"))
            .unwrap();
    }
}

/// Starts the example server as a child process; returns it and the address it listens on.
/// Kills the server if the test fails half-way, so no process outlives the test.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn start_server() -> (KillOnDrop, String, BufReader<std::process::ChildStdout>) {
    let mut server = KillOnDrop(
        Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "example_server",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, "1")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stdout = BufReader::new(server.0.stdout.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert_ne!(
            stdout.read_line(&mut line).unwrap(),
            0,
            "server exited early"
        );
        // The harness may print `test example_server ... ` on the same line.
        if let Some(at) = line.find("listening on ") {
            let addr = line[at + "listening on ".len()..].trim().to_string();
            return (server, addr, stdout);
        }
    }
}

fn send_signal(child: &Child, signum: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: `kill` takes plain integers; `pid` is our child, not yet waited for.
    assert_eq!(unsafe { libc::kill(pid, signum) }, 0);
}

fn wait_with_deadline(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("the server did not exit within {limit:?} of the signal");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn shuts_down_on(signum: libc::c_int, name: &str) {
    let (mut server, addr, mut stdout) = start_server();
    let child = &mut server.0;
    // A connection that is open (greeted, so accepted) when the signal arrives.
    let mut open = TcpStream::connect(&addr).unwrap();
    open.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut greeting = [0u8; 6];
    open.read_exact(&mut greeting).unwrap();
    assert_eq!(&greeting, b"hello\n");

    send_signal(child, signum);
    // The server says it is shutting down, with our connection still open...
    let mut line = String::new();
    loop {
        line.clear();
        assert_ne!(
            stdout.read_line(&mut line).unwrap(),
            0,
            "server exited early"
        );
        if line.contains("shutting down") {
            break;
        }
    }
    assert!(line.contains(&format!("{name}: shutting down")), "{line}");
    assert!(line.contains("for 1 open connection"), "{line}");
    // ...and no longer accepts.
    assert!(
        TcpStream::connect(&addr).is_err(),
        "the server still accepts after {name}"
    );
    // The open connection is still served to the end.
    open.write_all(b"last words\n").unwrap();
    let mut answer = String::new();
    open.read_to_string(&mut answer).unwrap();
    assert_eq!(answer, "done: last words\n");

    let status = wait_with_deadline(child, Duration::from_secs(30));
    assert_eq!(status.code(), Some(0), "{status}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(rest.contains("all connections finished"), "{rest}");
}

#[test]
fn sigint_stops_accepting_and_lets_open_connections_finish() {
    guard(
        "sigint_stops_accepting_and_lets_open_connections_finish",
        || {
            shuts_down_on(libc::SIGINT, "SIGINT");
        },
    );
}

#[test]
fn sigterm_does_the_same() {
    guard("sigterm_does_the_same", || {
        shuts_down_on(libc::SIGTERM, "SIGTERM");
    });
}
