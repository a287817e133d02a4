//! An accept loop that runs out of file descriptors keeps its listener usable.
//!
//! The scenario lowers `RLIMIT_NOFILE`, which affects the whole process, so it runs in a child
//! process: the test re-runs this test binary with `FILCH_EMFILE_CHILD=1`, selecting only the
//! (otherwise ignored) `emfile_child` test.

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::process::Command;

use filch_io::net::TcpListener;
use futures_lite::AsyncWriteExt;

#[test]
fn accept_survives_emfile() {
    // Longer than the child's own guard, so a hung child is reported by the child.
    common::guard_for(2 * common::HANG, move || {
        let output = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "emfile_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("FILCH_EMFILE_CHILD", "1")
            .output()
            .expect("re-running the test binary");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "child failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        assert!(
            stdout.contains("1 passed"),
            "the child did not run the scenario\nstdout:\n{stdout}"
        );
        assert!(
            stdout.contains("EMFILE-SEEN"),
            "accept never hit EMFILE:\n{stdout}"
        );
    })
}

#[test]
#[ignore = "run by accept_survives_emfile in a child process"]
fn emfile_child() {
    common::guard(move || {
        assert_eq!(
            std::env::var("FILCH_EMFILE_CHILD").as_deref(),
            Ok("1"),
            "run this only through accept_survives_emfile"
        );
        let rt = common::runtime(1);
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            // The client's connection completes in the kernel's backlog without an accept.
            let mut client = std::net::TcpStream::connect(addr).unwrap();

            // Lower the limit so that exhausting it is cheap, then use up every descriptor.
            let mut current = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: `getrlimit` writes into the valid, exclusively borrowed `current`.
            let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut current) };
            assert_eq!(rc, 0);
            let lowered = libc::rlimit {
                rlim_cur: 256,
                rlim_max: current.rlim_max,
            };
            // SAFETY: `setrlimit` only reads the valid `lowered`.
            let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lowered) };
            assert_eq!(rc, 0);
            let mut fillers = Vec::new();
            loop {
                match File::open("/dev/null") {
                    Ok(f) => fillers.push(f),
                    Err(e) if e.raw_os_error() == Some(libc::EMFILE) => break,
                    Err(e) => panic!("unexpected error while filling descriptors: {e}"),
                }
            }

            // Accepting needs a descriptor: EMFILE, and the connection stays queued.
            for _ in 0..3 {
                let err = listener.accept().await.unwrap_err();
                assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{err}");
            }
            println!("EMFILE-SEEN");

            // Free a few descriptors: the same listener accepts the queued connection.
            fillers.truncate(fillers.len() - 4);
            let (mut accepted, peer) = listener.accept().await.unwrap();
            assert_eq!(peer, client.local_addr().unwrap());
            accepted.write_all(b"still alive").await.unwrap();
            accepted.close().await.unwrap();
            let mut got = String::new();
            client.read_to_string(&mut got).unwrap();
            assert_eq!(got, "still alive");

            // And it keeps accepting new connections.
            drop(fillers);
            let mut second = std::net::TcpStream::connect(addr).unwrap();
            let (_accepted, _) = listener.accept().await.unwrap();
            second.write_all(b"x").unwrap();
        });
    })
}
