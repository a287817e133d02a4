//! Every workload runs to completion, with correct results, on every runtime; and the servers
//! answer the load generator and wrk-style clients correctly. Nothing here is timed: speed is
//! what `compare` measures.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use filch_benches::loadgen::{LoadGen, Window};
use filch_benches::rt::{Filch, Rt, Smol, Tokio};
use filch_benches::server::HTTP_RESPONSE;
use filch_benches::workloads;

fn every_workload_completes<R: Rt>() {
    let rt = R::new(2).expect("runtime builds");
    for (name, workload) in workloads::executor_workloads::<R>() {
        let elapsed = workload(&rt);
        assert!(
            elapsed > Duration::ZERO,
            "{name} on {} measured nothing",
            R::NAME
        );
    }
    let report = workloads::timers(&rt);
    assert!(report.lateness_p50 <= report.lateness_p99);
}

#[test]
fn workloads_complete_on_filch() {
    every_workload_completes::<Filch>();
}

#[test]
fn workloads_complete_on_tokio() {
    every_workload_completes::<Tokio>();
}

#[test]
fn workloads_complete_on_smol() {
    every_workload_completes::<Smol>();
}

/// A server child process, killed when dropped.
struct Server(Child, SocketAddr);

impl Server {
    fn start(runtime: &str, service: &str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_compare"))
            .args(["--serve", runtime, service, "--threads", "2"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the compare binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line.trim().parse().expect("the server prints its address");
        Server(child, addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn servers_answer(runtime: &str) {
    let echo = Server::start(runtime, "echo");
    let http = Server::start(runtime, "http");

    // Pipelined keep-alive requests, then one that asks to close.
    let mut stream = TcpStream::connect(http.1).unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut all = Vec::new();
    stream.read_to_end(&mut all).unwrap();
    let text = String::from_utf8(all).unwrap();
    assert_eq!(text.matches("Hello, world!").count(), 3, "{text}");
    assert!(text.starts_with(std::str::from_utf8(HTTP_RESPONSE).unwrap()));
    assert!(text.contains("Connection: close"));

    let loadgen = LoadGen::new(2).unwrap();
    let window = Window {
        warmup: Duration::ZERO,
        measure: Duration::from_millis(200),
    };
    // Every client makes at least one request, and any failed request is an error: so these
    // hold however slow the machine is.
    for size in [64, 1024] {
        let report = loadgen.echo(echo.1, 4, size, window).unwrap();
        assert!(report.completed >= 4, "an echo client made no round trip");
    }
    let report = loadgen.http(http.1, 4, window).unwrap();
    assert!(report.completed >= 4, "a keep-alive client made no request");
    let report = loadgen.churn(http.1, 2, window).unwrap();
    assert!(report.completed >= 2, "a churn client made no connection");
}

#[test]
fn servers_answer_on_filch() {
    servers_answer("filch");
}

#[test]
fn servers_answer_on_tokio() {
    servers_answer("tokio");
}

#[test]
fn servers_answer_on_smol() {
    servers_answer("smol");
}
