//! `filch::io::{stdin, stdout, stderr}`: this test binary runs itself as a child process (the
//! ignored test `stdio_child`) with piped standard streams, and checks what went through them.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use filch::io::prelude::*;

const CHILD_ENV: &str = "FILCH_STDIO_CHILD";

/// What the child writes to standard output after the stdin it read: this many bytes, in
/// writes of varying size.
const OUT_LEN: usize = 1 << 20;

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| b'a' + (i % 26) as u8).collect()
}

/// The child: reads stdin to its end, then writes `<<LEN n>>`, the bytes read, a MiB of
/// pattern, and `<<END>>` to stdout, and `<<STDERR>>` to stderr, all through filch's handles.
#[test]
#[ignore = "run as a child process by the other tests of this file"]
fn stdio_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let rt = filch::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut input = Vec::new();
        filch::io::stdin().read_to_end(&mut input).await?;
        let mut out = filch::io::stdout();
        out.write_all(format!("<<LEN {}>>", input.len()).as_bytes())
            .await?;
        out.write_all(&input).await?;
        let body = pattern(OUT_LEN);
        let mut rest = &body[..];
        let mut step = 1;
        while !rest.is_empty() {
            let n = step.min(rest.len());
            out.write_all(&rest[..n]).await?;
            rest = &rest[n..];
            step = step * 3 + 1;
        }
        out.write_all(b"<<END>>").await?;
        out.flush().await?;
        let mut err = filch::io::stderr();
        err.write_all(b"<<STDERR>>").await?;
        err.close().await?;
        std::io::Result::Ok(())
    })
    .unwrap();
}

/// Runs `stdio_child` with `input` on its stdin (or a closed stdin); returns its stdout and
/// stderr.
fn run_child(input: Option<Vec<u8>>) -> (Vec<u8>, Vec<u8>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "stdio_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let writer = input.map(|input| {
        let mut stdin = child.stdin.take().unwrap();
        std::thread::spawn(move || stdin.write_all(&input))
    });
    let output = child.wait_with_output().unwrap();
    if let Some(w) = writer {
        w.join().unwrap().unwrap();
    }
    assert!(
        output.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (output.stdout, output.stderr)
}

/// The part of `haystack` between `start` and `end`.
fn between<'a>(haystack: &'a [u8], start: &[u8], end: &[u8]) -> &'a [u8] {
    let from = haystack
        .windows(start.len())
        .position(|w| w == start)
        .expect("start marker")
        + start.len();
    let to = haystack[from..]
        .windows(end.len())
        .position(|w| w == end)
        .expect("end marker")
        + from;
    &haystack[from..to]
}

#[test]
fn stdin_to_eof_and_stdout_stderr_complete() {
    common::guard("stdin_to_eof_and_stdout_stderr_complete", || {
        let input = pattern(300_000).into_iter().rev().collect::<Vec<u8>>();
        let (out, err) = run_child(Some(input.clone()));
        let len = format!("<<LEN {}>>", input.len());
        let body = between(&out, len.as_bytes(), b"<<END>>");
        assert_eq!(&body[..input.len()], &input[..]);
        assert_eq!(&body[input.len()..], &pattern(OUT_LEN)[..]);
        assert!(err.windows(10).any(|w| w == b"<<STDERR>>"));
    });
}

#[test]
fn closed_stdin_reads_eof() {
    common::guard("closed_stdin_reads_eof", || {
        let (out, _) = run_child(None);
        let body = between(&out, b"<<LEN 0>>", b"<<END>>");
        assert_eq!(body.len(), OUT_LEN);
    });
}

#[test]
fn stdio_outside_a_runtime_is_an_error() {
    let err = futures_lite::future::block_on(filch::io::stdout().write(b"x")).unwrap_err();
    assert!(err.to_string().contains("inside a filch runtime"), "{err}");
}
