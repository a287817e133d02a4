//! The loopback workloads: servers in child processes, loaded from this one.

use std::io::{self, BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use filch_benches::loadgen::{self, LoadGen, LoadReport};
use filch_benches::rt::{Filch, Kind, Smol, Tokio};
use filch_benches::server::{self, Service};

use crate::cli::Options;
use crate::report::{Row, Unit};

/// The child-process entry point: `compare --serve <runtime> <service> --threads N
/// [--current-thread]`.
pub(crate) fn serve(args: &[String]) -> ExitCode {
    if args.get(1).map(String::as_str) == Some(crate::hyper::NAME) {
        return crate::hyper::serve(args);
    }
    let (Some(kind), Some(service), Some("--threads"), Some(threads), flavor) = (
        args.first().and_then(|name| Kind::from_name(name)),
        args.get(1).and_then(|name| Service::from_name(name)),
        args.get(2).map(String::as_str),
        args.get(3).and_then(|n| n.parse::<usize>().ok()),
        args.get(4).map(String::as_str),
    ) else {
        eprintln!(
            "compare: usage: compare --serve <filch|tokio|smol> <echo|http> --threads N \
             [--current-thread]"
        );
        return ExitCode::from(2);
    };
    let current_thread = match flavor {
        None => false,
        Some("--current-thread") => true,
        Some(other) => {
            eprintln!("compare: --serve: unknown argument `{other}`");
            return ExitCode::from(2);
        }
    };
    let served = match kind {
        Kind::Filch => serve_flavour::<Filch>(current_thread, threads, service),
        Kind::Tokio => serve_flavour::<Tokio>(current_thread, threads, service),
        Kind::Smol => serve_flavour::<Smol>(current_thread, threads, service),
    };
    match served {
        // Leave at once: waiting for the runtime to wind down open connections is pointless.
        Ok(()) => std::process::exit(0),
        Err(error) => {
            eprintln!(
                "compare: {} {} server: {error}",
                kind.name(),
                service.name()
            );
            ExitCode::FAILURE
        }
    }
}

fn serve_flavour<R: filch_benches::rt::NetRt>(
    current_thread: bool,
    threads: usize,
    service: Service,
) -> io::Result<()> {
    if !current_thread {
        return server::serve::<R>(threads, service);
    }
    let rt = R::new_current_thread().unwrap_or_else(|| {
        Err(io::Error::other(format!(
            "{} has no current-thread runtime here",
            R::NAME
        )))
    })?;
    server::serve_on(rt, service)
}

/// A loopback workload.
#[derive(Debug, Clone, Copy)]
pub(crate) enum NetConfig {
    /// Echo ping-pong of `size`-byte messages over `connections` connections.
    Echo { size: usize, connections: usize },
    /// HTTP keep-alive, driven by the suite's load generator.
    Http { connections: usize },
    /// HTTP keep-alive, driven by `wrk`.
    Wrk { connections: usize },
    /// Connect, one request, close, by `concurrency` clients at once.
    Churn { concurrency: usize },
    /// The same hyper 1.x service on each runtime, loaded by `wrk` (see `hyper.rs`).
    HyperWrk { connections: usize },
}

pub(crate) fn net_configs() -> Vec<NetConfig> {
    let mut configs = Vec::new();
    for size in [64, 1024] {
        for connections in [1, 64, 256, 1024] {
            configs.push(NetConfig::Echo { size, connections });
        }
    }
    configs.push(NetConfig::Http { connections: 64 });
    configs.push(NetConfig::Wrk { connections: 64 });
    configs.push(NetConfig::Churn { concurrency: 16 });
    configs.push(NetConfig::HyperWrk { connections: 64 });
    configs
}

impl NetConfig {
    pub(crate) fn name(self) -> String {
        match self {
            NetConfig::Echo { size, connections } => {
                let size = if size >= 1024 {
                    format!("{}KiB", size / 1024)
                } else {
                    format!("{size}B")
                };
                format!("echo {size} c={connections}")
            }
            NetConfig::Http { connections } => format!("http keep-alive c={connections}"),
            NetConfig::Wrk { connections } => format!("http wrk c={connections}"),
            NetConfig::Churn { concurrency } => format!("http churn c={concurrency}"),
            NetConfig::HyperWrk { connections } => format!("http hyper c={connections}"),
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            NetConfig::Echo { .. } => {
                "TCP ping-pong over loopback: each connection writes a message and waits for it \
                 to come back; readiness events, wake-ups and socket reads and writes"
            }
            NetConfig::Http { .. } => {
                "HTTP/1.1 keep-alive hello-world, the suite's tokio-based load generator"
            }
            NetConfig::Wrk { .. } => "HTTP/1.1 keep-alive hello-world, loaded by wrk",
            NetConfig::HyperWrk { .. } => {
                "the same hyper 1.x hello-world service on each runtime (filch natively, tokio \
                 through hyper-util's TokioIo, smol through smol-hyper), loaded by wrk"
            }
            NetConfig::Churn { .. } => {
                "connect, one request with Connection: close, close: accept, registration and \
                 deregistration of sockets"
            }
        }
    }

    fn server(self) -> Server {
        match self {
            NetConfig::Echo { .. } => Server::Suite(Service::Echo),
            NetConfig::HyperWrk { .. } => Server::Hyper,
            _ => Server::Suite(Service::Http),
        }
    }

    fn unit_name(self) -> &'static str {
        match self {
            NetConfig::Echo { .. } => "msg/s",
            NetConfig::Churn { .. } => "conn/s",
            _ => "req/s",
        }
    }
}

/// Which server a child process runs: one of the suite's own (`server.rs`) or the hyper one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    Suite(Service),
    Hyper,
}

impl Server {
    fn name(self) -> &'static str {
        match self {
            Server::Suite(service) => service.name(),
            Server::Hyper => crate::hyper::NAME,
        }
    }
}

/// A server in a child process; closing its stdin tells it to exit.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    fn start(
        kind: Kind,
        service: Server,
        threads: usize,
        current_thread: bool,
    ) -> io::Result<ServerProcess> {
        let exe = std::env::current_exe()?;
        // `COMPARE_SERVER_PREFIX="perf record -g -o perf.{runtime}.{service}.data --"` runs
        // each server under a profiler (or strace); `{runtime}` and `{service}` are filled in.
        let prefix: Vec<String> = std::env::var("COMPARE_SERVER_PREFIX")
            .unwrap_or_default()
            .split_whitespace()
            .map(|word| {
                word.replace("{runtime}", kind.name())
                    .replace("{service}", service.name())
            })
            .collect();
        let mut command = match prefix.split_first() {
            Some((program, args)) => {
                let mut command = Command::new(program);
                command.args(args).arg(exe);
                command
            }
            None => Command::new(exe),
        };
        let mut child = command
            .args(["--serve", kind.name(), service.name(), "--threads"])
            .arg(threads.to_string())
            .args(current_thread.then_some("--current-thread"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let addr = line.trim().parse().map_err(|_| {
            let _ = child.kill();
            io::Error::other(format!(
                "the {} {} server did not print its address (it printed {line:?})",
                kind.name(),
                service.name()
            ))
        })?;
        Ok(ServerProcess { child, addr })
    }
}

impl ServerProcess {
    /// CPU time the server's threads have used so far (Linux: the sum of
    /// `/proc/<pid>/task/*/schedstat`); `None` where that cannot be read. Under
    /// `COMPARE_SERVER_PREFIX` this is the wrapper's time, not the server's.
    fn cpu_time(&self) -> Option<Duration> {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.child.id())).ok()?;
        let mut nanos: u64 = 0;
        for task in tasks {
            let schedstat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
            nanos += schedstat.split_whitespace().next()?.parse::<u64>().ok()?;
        }
        Some(Duration::from_nanos(nanos))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        // Generous, so a profiler wrapped around the server has time to write its data.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn run_net(
    options: &Options,
    rows: &mut Vec<Row>,
    notes: &mut Vec<String>,
) -> io::Result<()> {
    let configs: Vec<NetConfig> = net_configs()
        .into_iter()
        .filter(|config| options.wants(&config.name()))
        .collect();
    if configs.is_empty() {
        return Ok(());
    }
    let wrk_ready = if configs
        .iter()
        .any(|config| matches!(config, NetConfig::Wrk { .. } | NetConfig::HyperWrk { .. }))
    {
        wrk_ready(notes)
    } else {
        false
    };

    let loadgen = LoadGen::new(options.threads)?;
    let mut servers: Vec<(Kind, Server, ServerProcess)> = Vec::new();
    for config in configs {
        if matches!(config, NetConfig::Wrk { .. } | NetConfig::HyperWrk { .. }) && !wrk_ready {
            continue;
        }
        eprint!("compare: {} ", config.name());
        let name = config.name();
        let unit = config.unit_name();
        let mut throughput = Row::new(format!("{name}: {unit}"), Unit::PerSec);
        let mut p50 = Row::new(format!("{name}: p50 (us)"), Unit::Micros);
        let mut p99 = Row::new(format!("{name}: p99 (us)"), Unit::Micros);
        let mut cpu = Row::new(format!("{name}: server CPU/op (us)"), Unit::Micros);
        for _ in 0..options.slow_rounds() {
            for kind in options.kinds() {
                let service = config.server();
                let position = servers
                    .iter()
                    .position(|(k, s, _)| *k == kind && *s == service);
                let at = match position {
                    Some(at) => at,
                    None => {
                        let process = ServerProcess::start(
                            kind,
                            service,
                            options.threads,
                            options.current_thread,
                        )?;
                        servers.push((kind, service, process));
                        servers.len() - 1
                    }
                };
                let server = &servers[at].2;
                let cpu_before = server.cpu_time();
                let loaded = load(&loadgen, options, config, server.addr);
                let cpu_used = cpu_before.and_then(|before| Some(server.cpu_time()? - before));
                match loaded {
                    Ok(report) => {
                        if std::env::var_os("COMPARE_SERVER_PREFIX").is_some() {
                            // For counts per request of a wrapped server (strace, perf stat):
                            // every request of the run, warm-up included, as the CPU row uses.
                            eprintln!(
                                "\ncompare: served: {name} on {}: {} completed",
                                kind.name(),
                                report.completed
                            );
                        }
                        throughput.push(kind, report.per_sec);
                        p50.push(kind, report.p50.as_secs_f64() * 1e6);
                        p99.push(kind, report.p99.as_secs_f64() * 1e6);
                        if let Some(used) = cpu_used.filter(|_| report.completed > 0) {
                            cpu.push(kind, used.as_secs_f64() * 1e6 / report.completed as f64);
                        }
                    }
                    Err(error) => {
                        let note = format!("{name} on {}: {error}", kind.name());
                        eprintln!("\ncompare: {note}");
                        notes.push(note);
                    }
                }
                // Let the closed connections drain before the next runtime's turn.
                std::thread::sleep(Duration::from_millis(50));
            }
            eprint!(".");
        }
        eprintln!();
        rows.extend([throughput, p50, p99, cpu]);
    }
    Ok(())
}

fn load(
    loadgen: &LoadGen,
    options: &Options,
    config: NetConfig,
    addr: SocketAddr,
) -> io::Result<LoadReport> {
    let window = options.window();
    match config {
        NetConfig::Echo { size, connections } => loadgen.echo(addr, connections, size, window),
        NetConfig::Http { connections } => loadgen.http(addr, connections, window),
        NetConfig::Wrk { connections } | NetConfig::HyperWrk { connections } => {
            loadgen::wrk(addr, options.threads, connections, options.wrk_seconds())
        }
        NetConfig::Churn { concurrency } => loadgen.churn(addr, concurrency, window),
    }
}

/// Whether `wrk` can run. When it cannot, says how to install it, and the wrk rows are skipped
/// (with a note under the table); `compare` does not install anything itself.
fn wrk_ready(notes: &mut Vec<String>) -> bool {
    if loadgen::wrk_available() {
        return true;
    }
    eprintln!(
        "compare: wrk not found; install it (e.g. `apt-get install wrk`) to include the wrk rows"
    );
    notes.push(
        "wrk rows skipped: wrk is not installed (install it, e.g. with `apt-get install wrk`, \
         then run again)"
            .into(),
    );
    false
}
