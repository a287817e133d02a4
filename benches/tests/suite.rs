//! Every workload runs to completion and does all of its work, on every runtime; and the
//! servers answer the load generator and wrk-style clients correctly, byte for byte. Nothing
//! here is timed: speed is what `compare` measures.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use filch_benches::loadgen::{LoadGen, Window};
use filch_benches::rt::{BroadcastRt, Filch, Rt, Smol, SyncRt, Tokio};
use filch_benches::server::{HTTP_RESPONSE, HTTP_RESPONSE_CLOSE};
use filch_benches::sync_workloads::{self, SyncWorkload};
use filch_benches::workloads::{self, *};

/// How much work each executor workload must report, from the sizes it is documented to have.
fn expected_work(name: &str) -> usize {
    match name {
        // Tasks run or joined.
        "spawn_many_local" | "spawn_many_remote_idle" | "spawn_many_remote_busy" => SPAWN_MANY,
        // Messages received: a ping and a pong per pair.
        "ping_pong" => 2 * PING_PONGS,
        // Yields made.
        "yield_many" => YIELD_TASKS * YIELDS_PER_TASK,
        // The first task and the CHAIN tasks it leads to.
        "chained_spawn" => CHAIN + 1,
        // Rounds of block_on(spawn).
        "spawn_one" => SPAWN_ONE_ROUNDS,
        // Each root and its chain of RECURSION_DEPTH nested tasks.
        "spawn_recursively" => RECURSION_ROOTS * (RECURSION_DEPTH + 1),
        // Children joined.
        "fan_out_fan_in" => FAN_OUT,
        other => panic!("no expectation for workload {other}"),
    }
}

fn every_workload_completes<R: Rt>() {
    every_workload_completes_on(R::new(2).expect("runtime builds"), &[]);
}

/// The current-thread flavour, as `compare --flavor current_thread` runs it (without
/// `spawn_many_remote_busy`, which needs worker threads).
fn every_workload_completes_on_one_thread<R: Rt>() {
    let rt = R::new_current_thread()
        .expect("the runtime has a current-thread flavour")
        .expect("runtime builds");
    assert_eq!(rt.worker_threads(), 1);
    every_workload_completes_on(rt, &["spawn_many_remote_busy"]);
}

fn every_workload_completes_on<R: Rt>(rt: R, skip: &[&str]) {
    let counted = workloads::counted_workloads::<R>();
    let names: Vec<_> = workloads::executor_workloads::<R>()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(
        names,
        counted.iter().map(|(name, _)| *name).collect::<Vec<_>>(),
        "the two workload lists differ"
    );
    for (name, workload) in counted {
        if skip.contains(&name) {
            continue;
        }
        let run = workload(&rt);
        assert!(
            run.elapsed > Duration::ZERO,
            "{name} on {} measured nothing",
            R::NAME
        );
        assert_eq!(
            run.completed,
            expected_work(name),
            "{name} on {} did not do all its work",
            R::NAME
        );
    }
    let report = workloads::timers(&rt);
    assert_eq!(report.early, 0, "{}: sleeps completed early", R::NAME);
    assert_eq!(
        report.fired + report.cancelled,
        TIMER_TASKS * SLEEPS_PER_TASK,
        "{}: sleeps went missing",
        R::NAME
    );
    // One draw in four is the kind that is cancelled: with 100,000 draws, far from 0 or all.
    assert!(
        report.cancelled > TIMER_TASKS * SLEEPS_PER_TASK / 5
            && report.fired > TIMER_TASKS * SLEEPS_PER_TASK / 2,
        "{}: {} fired, {} cancelled",
        R::NAME,
        report.fired,
        report.cancelled
    );
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
fn workloads_complete_on_filch_current_thread() {
    every_workload_completes_on_one_thread::<Filch>();
}

#[test]
fn workloads_complete_on_tokio_current_thread() {
    every_workload_completes_on_one_thread::<Tokio>();
}

#[test]
fn workloads_complete_on_smol() {
    every_workload_completes::<Smol>();
}

/// Aborts the process with `name` if the returned guard is still alive after `seconds`, so a
/// workload that hangs fails with its name instead of at the harness's timeout.
fn hang_guard(name: &'static str, seconds: u64) -> std::sync::mpsc::Sender<()> {
    let (done, finished) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
            finished.recv_timeout(Duration::from_secs(seconds))
        {
            // Straight to stderr: `eprintln!` from this thread is captured by the harness and
            // would be lost with the process.
            let line = format!("{name}: still running after {seconds} s\n");
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
            std::process::abort();
        }
    });
    done
}

/// Small sizes for the sync workloads: `n`, and what the workload must report for it, worked
/// out from the sizes each is documented to have. The mpsc size is not a multiple of the
/// producer count, and the broadcast one is well over the channel's capacity.
fn sync_size(name: &str) -> (usize, usize) {
    use sync_workloads::{CONTENDERS, RECEIVERS};
    match name {
        // Messages received.
        "mpsc bounded(128) 1 producer"
        | "mpsc bounded(128) 8 producers"
        | "mpsc unbounded 1 producer"
        | "mpsc unbounded 8 producers" => (1_003, 1_003),
        // Two messages per round trip.
        "oneshot ping-pong" => (300, 600),
        // The counter's final value and the acquisitions: every task's.
        "Mutex contended (8 tasks)" | "Semaphore acquire/release" => (300, CONTENDERS * 300),
        // Every receiver gets every message.
        "broadcast fan-out to 16 receivers" => (3_000, RECEIVERS * 3_000),
        other => panic!("no size for sync workload {other}"),
    }
}

fn run_sync<R: Rt>(rt: &R, list: Vec<(&'static str, SyncWorkload<R>, usize)>) -> Vec<&'static str> {
    let mut names = Vec::new();
    for (name, workload, _) in list {
        let (n, expected) = sync_size(name);
        eprintln!("{}: {name}, n = {n}", R::NAME);
        let run = workload(rt, n);
        assert!(
            run.elapsed > Duration::ZERO,
            "{name} on {} measured nothing",
            R::NAME
        );
        assert_eq!(
            run.completed,
            expected,
            "{name} on {} did not do all its work",
            R::NAME
        );
        names.push(name);
    }
    names
}

fn sync_workloads_complete<R: SyncRt>(test: &'static str) -> Vec<&'static str> {
    let _guard = hang_guard(test, 120);
    let rt = R::new(2).expect("runtime builds");
    run_sync(&rt, sync_workloads::sync_workloads::<R>())
}

fn broadcast_workloads_complete<R: BroadcastRt>(test: &'static str) -> Vec<&'static str> {
    let _guard = hang_guard(test, 120);
    let rt = R::new(2).expect("runtime builds");
    run_sync(&rt, sync_workloads::broadcast_workloads::<R>())
}

#[test]
fn sync_workloads_complete_on_filch() {
    let mut ran = sync_workloads_complete::<Filch>("sync_workloads_complete_on_filch");
    ran.extend(broadcast_workloads_complete::<Filch>(
        "sync_workloads_complete_on_filch",
    ));
    assert_eq!(ran.len(), 8, "{ran:?}");
}

#[test]
fn sync_workloads_complete_on_tokio() {
    let mut ran = sync_workloads_complete::<Tokio>("sync_workloads_complete_on_tokio");
    ran.extend(broadcast_workloads_complete::<Tokio>(
        "sync_workloads_complete_on_tokio",
    ));
    assert_eq!(ran.len(), 8, "{ran:?}");
}

#[test]
fn sync_workloads_complete_on_smol() {
    let ran = sync_workloads_complete::<Smol>("sync_workloads_complete_on_smol");
    assert_eq!(ran.len(), 7, "{ran:?}");
}

/// A server child process, killed when dropped.
struct Server(Child, SocketAddr);

impl Server {
    fn start_with(runtime: &str, service: &str, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_compare"))
            .args(["--serve", runtime, service, "--threads", "2"])
            .args(extra)
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
    servers_answer_with(runtime, &[]);
}

fn servers_answer_with(runtime: &str, extra: &[&str]) {
    let echo = Server::start_with(runtime, "echo", extra);
    let http = Server::start_with(runtime, "http", extra);

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
    // Every client makes at least one request, and any failed request (or an echo that differs
    // from what was sent) is an error: so these hold however slow the machine is.
    let in_window = |report: &filch_benches::loadgen::LoadReport| {
        // Requests measured in the window are a subset of all requests made.
        let measured = (report.per_sec * window.measure.as_secs_f64()).round() as u64;
        assert!(measured <= report.completed, "{report:?}");
        assert!(report.p50 <= report.p99, "{report:?}");
    };
    for size in [64, 1024] {
        let report = loadgen.echo(echo.1, 4, size, window).unwrap();
        assert!(report.completed >= 4, "an echo client made no round trip");
        assert_eq!(
            report.received,
            Some(report.completed * size as u64),
            "echo: bytes echoed for {} round trips of {size} bytes",
            report.completed
        );
        in_window(&report);
    }
    let report = loadgen.http(http.1, 4, window).unwrap();
    assert!(report.completed >= 4, "a keep-alive client made no request");
    assert_eq!(
        report.received,
        Some(report.completed * HTTP_RESPONSE.len() as u64),
        "http: one whole response per request"
    );
    in_window(&report);
    let report = loadgen.churn(http.1, 2, window).unwrap();
    assert!(report.completed >= 2, "a churn client made no connection");
    assert_eq!(
        report.received,
        Some(report.completed * HTTP_RESPONSE_CLOSE.len() as u64),
        "churn: one whole closing response per connection"
    );
    in_window(&report);
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
fn servers_answer_on_filch_current_thread() {
    servers_answer_with("filch", &["--current-thread"]);
}

#[test]
fn servers_answer_on_tokio_current_thread() {
    servers_answer_with("tokio", &["--current-thread"]);
}

#[test]
fn servers_answer_on_smol() {
    servers_answer("smol");
}
