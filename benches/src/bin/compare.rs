//! Runs every workload on filch, tokio and smol and prints one table.
//!
//! ```text
//! cargo run --release -p filch-benches --bin compare -- [--threads N] [--quick] [--only TEXT]...
//! ```
//!
//! Runs interleave the runtimes (filch, tokio, smol, filch, tokio, smol, ...) and the table
//! reports the median of each, so drift in the machine's speed hits all three alike. The
//! loopback servers run in child processes (this binary re-executed with `--serve`); the load
//! generator is one tokio-based implementation in this process, the same for every server.

use std::io::{self, BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use filch_benches::loadgen::{self, LoadGen, LoadReport, Window};
use filch_benches::rt::{Filch, Kind, Rt, Smol, Tokio};
use filch_benches::server::{self, Service};
use filch_benches::stats::median;
use filch_benches::workloads::{self, TimerReport};

const USAGE: &str = "\
usage: compare [--threads N] [--quick] [--only TEXT]... [--rounds N] [--runtime NAME]... [--iterations N]
               [--list]

  --threads N   worker threads for every runtime and for the load generator
                (default: the number of CPUs)
  --quick       fewer and shorter runs: a couple of minutes on two cores
  --only TEXT   run only the workloads whose name contains TEXT (repeatable); a
                trailing `$` anchors TEXT at the end of the name
  --rounds N    how many times each runtime runs each workload (the median is reported)
  --runtime NAME  run only this runtime (filch, tokio or smol; repeatable): for profiling
  --iterations N  run each executor workload exactly N times per sample instead of sizing
                  samples by time (with --rounds 1, for instruction counts under callgrind)
  --list        print the workloads and what each stresses, then exit

environment:
  COMPARE_SERVER_PREFIX  a command put before each server process, e.g.
                         \"perf record -g -o perf.{runtime}.{service}.data --\"";

/// Settings from the command line.
#[derive(Debug, Clone)]
struct Options {
    threads: usize,
    quick: bool,
    only: Vec<String>,
    rounds: Option<usize>,
    runtimes: Vec<Kind>,
    iterations: Option<usize>,
}

impl Options {
    /// The runtimes to run, in table order.
    fn kinds(&self) -> Vec<Kind> {
        Kind::ALL
            .into_iter()
            .filter(|kind| self.runtimes.is_empty() || self.runtimes.contains(kind))
            .collect()
    }

    /// Whether `workload` matches an `--only` filter: a substring, or with a trailing `$` a
    /// suffix (so `"echo 64B c=1$"` leaves out `echo 64B c=1024`).
    fn wants(&self, workload: &str) -> bool {
        self.only.is_empty()
            || self.only.iter().any(|only| match only.strip_suffix('$') {
                Some(suffix) => workload.ends_with(suffix),
                None => workload.contains(only.as_str()),
            })
    }

    /// Rounds of the executor workloads.
    fn executor_rounds(&self) -> usize {
        self.rounds.unwrap_or(if self.quick { 5 } else { 11 })
    }

    /// Rounds of the timer workload and of every loopback workload.
    fn slow_rounds(&self) -> usize {
        self.rounds.unwrap_or(if self.quick { 3 } else { 5 })
    }

    /// Roughly how long one sample of an executor workload should take.
    fn executor_sample(&self) -> Duration {
        Duration::from_millis(if self.quick { 20 } else { 100 })
    }

    fn window(&self) -> Window {
        if self.quick {
            Window {
                warmup: Duration::from_millis(100),
                measure: Duration::from_millis(400),
            }
        } else {
            Window {
                warmup: Duration::from_millis(300),
                measure: Duration::from_secs(2),
            }
        }
    }

    fn wrk_seconds(&self) -> u64 {
        if self.quick {
            1
        } else {
            3
        }
    }
}

fn main() -> ExitCode {
    raise_fd_limit();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--serve") {
        return serve(&args[1..]);
    }
    match parse(&args) {
        Ok(Some(options)) => match run(&options) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("compare: {error}");
                ExitCode::FAILURE
            }
        },
        Ok(None) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("compare: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// Lifts the soft limit on open files to the hard limit: 1,024 connections need more than the
/// 1,024 descriptors many systems allow by default. Says so, and carries on, if that fails.
fn raise_fd_limit() {
    #[cfg(unix)]
    {
        use rustix::process::{getrlimit, setrlimit, Resource};
        let limit = getrlimit(Resource::Nofile);
        if limit.current.is_some() && limit.current != limit.maximum {
            let raised = rustix::process::Rlimit {
                current: limit.maximum,
                maximum: limit.maximum,
            };
            if let Err(error) = setrlimit(Resource::Nofile, raised) {
                eprintln!(
                    "compare: could not raise the open-file limit ({error}); the 1,024-connection \
                     runs may fail with `Too many open files` (try `ulimit -n 4096`)"
                );
            }
        }
    }
}

/// Parses the arguments; `Ok(None)` when the request (`--help`, `--list`) is already answered.
fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let default_threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut options = Options {
        threads: default_threads,
        quick: false,
        only: Vec::new(),
        rounds: None,
        runtimes: Vec::new(),
        iterations: None,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => options.threads = positive(args.next(), "--threads")?,
            "--rounds" => options.rounds = Some(positive(args.next(), "--rounds")?),
            "--quick" => options.quick = true,
            "--iterations" => options.iterations = Some(positive(args.next(), "--iterations")?),
            "--runtime" => match args.next().and_then(|name| Kind::from_name(name)) {
                Some(kind) => options.runtimes.push(kind),
                None => return Err("--runtime needs one of: filch, tokio, smol".into()),
            },
            "--only" => match args.next() {
                Some(text) => options.only.push(text.clone()),
                None => return Err("--only needs some text to match workload names".into()),
            },
            "--list" => {
                list();
                return Ok(None);
            }
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some(options))
}

fn positive(value: Option<&String>, flag: &str) -> Result<usize, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a number"))?;
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "{flag} must be a whole number of at least 1, not `{value}`"
        )),
    }
}

fn list() {
    for (name, _) in workloads::executor_workloads::<Tokio>() {
        println!("{name:<24} {}", workloads::describe(name));
    }
    println!("{:<24} {}", "timers", workloads::describe("timers"));
    for config in net_configs() {
        println!("{:<24} {}", config.name(), config.describe());
    }
}

/// The child-process entry point: `compare --serve <runtime> <service> --threads N`.
fn serve(args: &[String]) -> ExitCode {
    let (Some(kind), Some(service), Some("--threads"), Some(threads)) = (
        args.first().and_then(|name| Kind::from_name(name)),
        args.get(1).and_then(|name| Service::from_name(name)),
        args.get(2).map(String::as_str),
        args.get(3).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("compare: usage: compare --serve <filch|tokio|smol> <echo|http> --threads N");
        return ExitCode::from(2);
    };
    let served = match kind {
        Kind::Filch => server::serve::<Filch>(threads, service),
        Kind::Tokio => server::serve::<Tokio>(threads, service),
        Kind::Smol => server::serve::<Smol>(threads, service),
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

/// How a row's figures read.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Unit {
    /// Milliseconds; lower is better.
    Millis,
    /// Microseconds; lower is better.
    Micros,
    /// Operations per second; higher is better.
    PerSec,
}

/// One line of the table: every sample of every runtime.
#[derive(Debug)]
struct Row {
    name: String,
    unit: Unit,
    samples: [Vec<f64>; 3],
}

impl Row {
    fn new(name: impl Into<String>, unit: Unit) -> Row {
        Row {
            name: name.into(),
            unit,
            samples: [Vec::new(), Vec::new(), Vec::new()],
        }
    }

    fn push(&mut self, kind: Kind, value: f64) {
        self.samples[kind as usize].push(value);
    }

    fn median(&self, kind: Kind) -> Option<f64> {
        median(&self.samples[kind as usize])
    }
}

fn run(options: &Options) -> io::Result<()> {
    let started = Instant::now();
    eprintln!(
        "compare: {} worker threads, {} mode",
        options.threads,
        if options.quick { "quick" } else { "full" }
    );
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    run_executor(options, &mut rows)?;
    run_net(options, &mut rows, &mut notes)?;
    if rows.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "no workload matches {:?}; `--list` shows the names",
                options.only
            ),
        ));
    }
    print_table(options, &rows, &notes, started.elapsed());
    Ok(())
}

/// The runtimes, kept for the whole executor part; only those selected are built.
struct Runtimes {
    filch: Option<Filch>,
    tokio: Option<Tokio>,
    smol: Option<Smol>,
}

impl Runtimes {
    fn build(options: &Options) -> io::Result<Runtimes> {
        let kinds = options.kinds();
        let threads = options.threads;
        Ok(Runtimes {
            filch: kinds
                .contains(&Kind::Filch)
                .then(|| Filch::new(threads))
                .transpose()?,
            tokio: kinds
                .contains(&Kind::Tokio)
                .then(|| Tokio::new(threads))
                .transpose()?,
            smol: kinds
                .contains(&Kind::Smol)
                .then(|| Smol::new(threads))
                .transpose()?,
        })
    }
}

/// Runs `$body` with `$rt` bound to the runtime of `$kind` (each arm monomorphises `$body`).
macro_rules! on {
    ($runtimes:expr, $kind:expr, |$rt:ident| $body:expr) => {
        match $kind {
            Kind::Filch => {
                let $rt = $runtimes
                    .filch
                    .as_ref()
                    .expect("only selected runtimes run");
                $body
            }
            Kind::Tokio => {
                let $rt = $runtimes
                    .tokio
                    .as_ref()
                    .expect("only selected runtimes run");
                $body
            }
            Kind::Smol => {
                let $rt = $runtimes.smol.as_ref().expect("only selected runtimes run");
                $body
            }
        }
    };
}

/// Runs the executor workload `name` `iterations` times; returns the mean time in ms.
fn sample<R: Rt>(rt: &R, name: &str, iterations: usize) -> f64 {
    let (_, workload) = workloads::executor_workloads::<R>()
        .into_iter()
        .find(|(candidate, _)| *candidate == name)
        .expect("the workload list is the same for every runtime");
    let total: Duration = (0..iterations).map(|_| workload(rt)).sum();
    total.as_secs_f64() * 1e3 / iterations as f64
}

fn run_executor(options: &Options, rows: &mut Vec<Row>) -> io::Result<()> {
    let names: Vec<&str> = workloads::executor_workloads::<Tokio>()
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| options.wants(name))
        .collect();
    let timers = options.wants("timers");
    if names.is_empty() && !timers {
        return Ok(());
    }
    let runtimes = Runtimes::build(options)?;

    for name in names {
        eprint!("compare: {name} ");
        // Warm every runtime up once, and size a sample from the slowest warm-up.
        let mut slowest: f64 = 0.0;
        for kind in options.kinds() {
            slowest = slowest.max(on!(runtimes, kind, |rt| sample(rt, name, 1)));
        }
        let budget = options.executor_sample().as_secs_f64() * 1e3;
        let iterations = options
            .iterations
            .unwrap_or_else(|| ((budget / slowest.max(1e-3)).ceil() as usize).clamp(1, 1_000));
        let mut row = Row::new(format!("{name} (ms)"), Unit::Millis);
        for _ in 0..options.executor_rounds() {
            for kind in options.kinds() {
                row.push(kind, on!(runtimes, kind, |rt| sample(rt, name, iterations)));
            }
            eprint!(".");
        }
        eprintln!();
        rows.push(row);
    }

    if timers {
        eprint!("compare: timers ");
        let mut wall = Row::new("timers: wall (ms)", Unit::Millis);
        let mut p50 = Row::new("timers: lateness p50 (us)", Unit::Micros);
        let mut p99 = Row::new("timers: lateness p99 (us)", Unit::Micros);
        for _ in 0..options.slow_rounds() {
            for kind in options.kinds() {
                let report: TimerReport = on!(runtimes, kind, |rt| workloads::timers(rt));
                if report.early > 0 {
                    eprintln!(
                        "\ncompare: {} woke {} sleeps before their deadline",
                        kind.name(),
                        report.early
                    );
                }
                wall.push(kind, report.elapsed.as_secs_f64() * 1e3);
                p50.push(kind, report.lateness_p50.as_secs_f64() * 1e6);
                p99.push(kind, report.lateness_p99.as_secs_f64() * 1e6);
            }
            eprint!(".");
        }
        eprintln!();
        rows.extend([wall, p50, p99]);
    }
    Ok(())
}

/// A loopback workload.
#[derive(Debug, Clone, Copy)]
enum NetConfig {
    /// Echo ping-pong of `size`-byte messages over `connections` connections.
    Echo { size: usize, connections: usize },
    /// HTTP keep-alive, driven by the suite's load generator.
    Http { connections: usize },
    /// HTTP keep-alive, driven by `wrk`.
    Wrk { connections: usize },
    /// Connect, one request, close, by `concurrency` clients at once.
    Churn { concurrency: usize },
}

fn net_configs() -> Vec<NetConfig> {
    let mut configs = Vec::new();
    for size in [64, 1024] {
        for connections in [1, 64, 256, 1024] {
            configs.push(NetConfig::Echo { size, connections });
        }
    }
    configs.push(NetConfig::Http { connections: 64 });
    configs.push(NetConfig::Wrk { connections: 64 });
    configs.push(NetConfig::Churn { concurrency: 16 });
    configs
}

impl NetConfig {
    fn name(self) -> String {
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
        }
    }

    fn describe(self) -> &'static str {
        match self {
            NetConfig::Echo { .. } => {
                "TCP ping-pong over loopback: each connection writes a message and waits for it \
                 to come back; readiness events, wake-ups and socket reads and writes"
            }
            NetConfig::Http { .. } => {
                "HTTP/1.1 keep-alive hello-world, the suite's tokio-based load generator"
            }
            NetConfig::Wrk { .. } => "HTTP/1.1 keep-alive hello-world, loaded by wrk",
            NetConfig::Churn { .. } => {
                "connect, one request with Connection: close, close: accept, registration and \
                 deregistration of sockets"
            }
        }
    }

    fn service(self) -> Service {
        match self {
            NetConfig::Echo { .. } => Service::Echo,
            _ => Service::Http,
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

/// A server in a child process; closing its stdin tells it to exit.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    fn start(kind: Kind, service: Service, threads: usize) -> io::Result<ServerProcess> {
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

fn run_net(options: &Options, rows: &mut Vec<Row>, notes: &mut Vec<String>) -> io::Result<()> {
    let configs: Vec<NetConfig> = net_configs()
        .into_iter()
        .filter(|config| options.wants(&config.name()))
        .collect();
    if configs.is_empty() {
        return Ok(());
    }
    let wrk_ready = if configs
        .iter()
        .any(|config| matches!(config, NetConfig::Wrk { .. }))
    {
        ensure_wrk(notes)
    } else {
        false
    };

    let loadgen = LoadGen::new(options.threads)?;
    let mut servers: Vec<(Kind, Service, ServerProcess)> = Vec::new();
    for config in configs {
        if matches!(config, NetConfig::Wrk { .. }) && !wrk_ready {
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
                let service = config.service();
                let position = servers
                    .iter()
                    .position(|(k, s, _)| *k == kind && *s == service);
                let at = match position {
                    Some(at) => at,
                    None => {
                        let process = ServerProcess::start(kind, service, options.threads)?;
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
        NetConfig::Wrk { connections } => {
            loadgen::wrk(addr, options.threads, connections, options.wrk_seconds())
        }
        NetConfig::Churn { concurrency } => loadgen.churn(addr, concurrency, window),
    }
}

/// Makes sure `wrk` can run, installing it from the OS packages if it is missing.
fn ensure_wrk(notes: &mut Vec<String>) -> bool {
    if loadgen::wrk_available() {
        return true;
    }
    eprintln!("compare: wrk is not installed; trying `apt-get install -y wrk`");
    let installed = Command::new("apt-get")
        .args(["install", "-y", "wrk"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|status| status.success())
        .unwrap_or(false);
    if installed && loadgen::wrk_available() {
        return true;
    }
    notes.push(
        "wrk rows skipped: wrk is not installed and `apt-get install -y wrk` failed \
         (install it by hand, then run again)"
            .into(),
    );
    false
}

fn print_table(options: &Options, rows: &[Row], notes: &[String], took: Duration) {
    let mut out = io::stdout().lock();
    let _ = writeln!(
        out,
        "\n{} worker threads per runtime, {} CPUs, {} mode: median of {} rounds (executor) / \
         {} rounds (timers, loopback), runtimes interleaved; took {:.0} s\n",
        options.threads,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        if options.quick { "quick" } else { "full" },
        options.executor_rounds(),
        options.slow_rounds(),
        took.as_secs_f64(),
    );
    let _ = writeln!(
        out,
        "| workload | filch | tokio | smol | filch/tokio | filch/smol |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for row in rows {
        let [filch, tokio, smol] = Kind::ALL.map(|kind| row.median(kind));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            row.name,
            value(filch, row.unit),
            value(tokio, row.unit),
            value(smol, row.unit),
            ratio(filch, tokio, row.unit),
            ratio(filch, smol, row.unit),
        );
    }
    let _ = writeln!(
        out,
        "\nRows in ms or us are times: lower is better, and a ratio below 1.00 means filch is \
         faster. Rows in msg/s, req/s or conn/s are throughputs: higher is better, and a ratio \
         above 1.00 means filch is ahead. A ratio marked * is one where filch is behind."
    );
    for note in notes {
        let _ = writeln!(out, "note: {note}");
    }
}

fn value(value: Option<f64>, unit: Unit) -> String {
    match value {
        None => "n/a".into(),
        Some(v) if unit == Unit::PerSec => format!("{v:.0}"),
        Some(v) if v >= 100.0 => format!("{v:.0}"),
        Some(v) if v >= 10.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.2}"),
    }
}

fn ratio(filch: Option<f64>, other: Option<f64>, unit: Unit) -> String {
    match (filch, other) {
        (Some(filch), Some(other)) if other > 0.0 => {
            let ratio = filch / other;
            let behind = if unit == Unit::PerSec {
                ratio < 1.0
            } else {
                ratio > 1.0
            };
            // Only a difference that shows in the printed digits gets the mark.
            let shown = format!("{ratio:.2}");
            let mark = if behind && shown != "1.00" { "*" } else { "" };
            format!("{shown}{mark}")
        }
        _ => "n/a".into(),
    }
}
