//! filch in one command: an echo server and its clients in one process, measured.
//!
//! ```text
//! cargo run --release -p filch --example demo
//! cargo run --release -p filch --example demo -- --seconds 10 --clients 100 --size 1024
//! ```
//!
//! The program starts a TCP echo server on a loopback port, then opens `--clients` connections
//! to it. Each client sends a `--size`-byte message, waits for the echo, checks it, and repeats,
//! for `--seconds` seconds. A progress line counts the round trips as they happen; at the end the
//! program prints the throughput and the round-trip latency percentiles.
//!
//! Server and clients share one runtime, so the figures are for a machine doing both halves of
//! the work; they show the runtime's overhead, not a network's. Set `FILCH_WORKER_THREADS` to
//! try other worker counts.

use filch::time::{Duration, Instant};
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use filch::io::prelude::*;
use filch::net::{TcpListener, TcpStream};
use filch::runtime::Handle;

const USAGE: &str = "\
usage: demo [--seconds N] [--clients N] [--size BYTES]

  --seconds N     how long the clients run (default 3)
  --clients N     concurrent client connections (default 32)
  --size BYTES    bytes per message (default 64, at most 65536)";

/// The largest message: comfortably less than loopback socket buffers hold.
const MAX_SIZE: usize = 64 * 1024;

/// The demo's settings, from the command line.
struct Settings {
    duration: Duration,
    clients: usize,
    size: usize,
}

#[filch::main]
async fn main() -> ExitCode {
    let settings = match parse_args(std::env::args().skip(1)) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("\nerror: {error}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Settings, String> {
    let mut settings = Settings {
        duration: Duration::from_secs(3),
        clients: 32,
        size: 64,
    };
    while let Some(arg) = args.next() {
        if arg == "--help" || arg == "-h" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let mut value = |name: &str| -> Result<u64, String> {
            let text = args.next().ok_or_else(|| format!("{name} needs a value"))?;
            match text.parse::<u64>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(format!(
                    "{name} takes a positive whole number, got `{text}`"
                )),
            }
        };
        match arg.as_str() {
            "--seconds" => settings.duration = Duration::from_secs(value("--seconds")?),
            "--clients" => settings.clients = value("--clients")? as usize,
            "--size" => {
                // A client writes its whole message before reading the echo; beyond what the
                // socket buffers hold, both sides would wait for each other.
                settings.size = value("--size")? as usize;
                if settings.size > MAX_SIZE {
                    return Err(format!("--size may be at most {MAX_SIZE} bytes"));
                }
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(settings)
}

async fn run(settings: Settings) -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    filch::spawn(serve(listener));

    let handle = Handle::current();
    println!(
        "filch demo: echo server on {addr}; {} clients x {}-byte messages for {} s; {} worker thread{}",
        settings.clients,
        settings.size,
        settings.duration.as_secs(),
        handle.worker_threads(),
        if handle.worker_threads() == 1 { "" } else { "s" },
    );

    // Connect every client before the clock starts.
    let mut streams = Vec::with_capacity(settings.clients);
    for n in 0..settings.clients {
        let stream = TcpStream::connect(addr).await.map_err(|error| {
            // EMFILE: each client costs two descriptors, its own and the server's.
            let hint = if error.raw_os_error() == Some(24) {
                " (each client uses two file descriptors: raise `ulimit -n` or pass fewer --clients)"
            } else {
                ""
            };
            io::Error::new(
                error.kind(),
                format!("could not connect client {n}: {error}{hint}"),
            )
        })?;
        stream.set_nodelay(true)?;
        streams.push(stream);
    }

    let stop = Arc::new(AtomicBool::new(false));
    let round_trips = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let clients: Vec<_> = streams
        .into_iter()
        .enumerate()
        .map(|(n, stream)| {
            filch::spawn(client(
                n,
                stream,
                settings.size,
                stop.clone(),
                round_trips.clone(),
            ))
        })
        .collect();

    // The progress line: redrawn in place four times a second on a terminal; a plain line each
    // second when the output goes to a file or a pipe.
    let mut out = io::stdout();
    let terminal = out.is_terminal();
    let period = Duration::from_millis(if terminal { 250 } else { 1000 });
    while started.elapsed() < settings.duration {
        let left = settings.duration.saturating_sub(started.elapsed());
        filch::time::sleep(left.min(period)).await;
        let done = round_trips.load(Ordering::Relaxed);
        let secs = started.elapsed().as_secs_f64();
        let line = format!(
            "  {secs:5.1} s  {done:>10} round trips  {:>9.0} per second",
            done as f64 / secs
        );
        let _ = if terminal {
            write!(out, "\r{line} ")
        } else {
            writeln!(out, "{line}")
        };
        let _ = out.flush();
    }
    stop.store(true, Ordering::Relaxed);

    // Each client finishes the round trip it is in. One that cannot (its server connection was
    // never accepted, say) would wait forever, so the wait is bounded.
    let mut latencies = Histogram::new();
    let grace = Instant::now() + Duration::from_secs(10);
    for client in clients {
        let histogram = filch::time::timeout_at(grace, client)
            .await
            .map_err(|_| io::Error::other("a client got no reply for 10 seconds after the run"))?
            .map_err(|error| io::Error::other(format!("a client task failed: {error}")))??;
        latencies.merge(&histogram);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let total = latencies.count();
    if terminal {
        println!();
    }
    println!(
        "throughput: {total} round trips in {elapsed:.2} s = {:.0} per second ({:.1} MiB/s each way)",
        total as f64 / elapsed,
        (total as f64 * settings.size as f64) / elapsed / (1024.0 * 1024.0),
    );
    println!(
        "latency:    p50 {}   p90 {}   p99 {}   max {}",
        format_nanos(latencies.percentile(50.0)),
        format_nanos(latencies.percentile(90.0)),
        format_nanos(latencies.percentile(99.0)),
        format_nanos(latencies.max()),
    );
    Ok(())
}

/// The server: one echo task per connection.
async fn serve(listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((mut stream, _)) => {
                filch::spawn(async move {
                    let _ = stream.set_nodelay(true);
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => {
                                if stream.write_all(&buf[..n]).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
            }
            Err(error) => {
                eprintln!("\naccept failed: {error}");
                filch::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// One client: send, wait for the echo, check it, record the round trip; until `stop`.
async fn client(
    n: usize,
    mut stream: TcpStream,
    size: usize,
    stop: Arc<AtomicBool>,
    round_trips: Arc<AtomicU64>,
) -> io::Result<Histogram> {
    let mut histogram = Histogram::new();
    let mut message = vec![0u8; size];
    let mut reply = vec![0u8; size];
    let mut sequence = 0u64;
    while !stop.load(Ordering::Relaxed) {
        // A message that differs per client and per round trip, so a mixed-up echo is caught.
        for (i, byte) in message.iter_mut().enumerate() {
            *byte = (n as u64 ^ sequence ^ i as u64) as u8;
        }
        let sent = Instant::now();
        stream.write_all(&message).await?;
        stream.read_exact(&mut reply).await?;
        histogram.record(sent.elapsed());
        if reply != message {
            return Err(io::Error::other(format!(
                "client {n} got back different bytes than it sent"
            )));
        }
        sequence += 1;
        round_trips.fetch_add(1, Ordering::Relaxed);
    }
    Ok(histogram)
}

/// A log-linear latency histogram: 64 buckets per power of two, so a reported percentile is
/// within about 1.6% of the true value, in constant memory however long the demo runs. (The idea
/// is HdrHistogram's, much simplified.)
struct Histogram {
    counts: Vec<u64>,
    max: u64,
}

impl Histogram {
    /// log2 of the buckets per power of two.
    const SUB_BITS: u32 = 6;
    /// Values below this are counted exactly, one bucket each.
    const LINEAR: u64 = 1 << (Self::SUB_BITS + 1);

    fn new() -> Self {
        // The highest index is for the largest u64: shift 57, mantissa 127.
        let buckets = ((64 - Self::SUB_BITS as usize) << Self::SUB_BITS) + 128;
        Histogram {
            counts: vec![0; buckets],
            max: 0,
        }
    }

    fn index(nanos: u64) -> usize {
        if nanos < Self::LINEAR {
            return nanos as usize;
        }
        let shift = 63 - nanos.leading_zeros() - Self::SUB_BITS;
        ((shift as usize) << Self::SUB_BITS) + (nanos >> shift) as usize
    }

    /// The largest value that falls in bucket `index`.
    fn highest_in(index: usize) -> u64 {
        if (index as u64) < Self::LINEAR {
            return index as u64;
        }
        let shift = (index >> Self::SUB_BITS) as u32 - 1;
        let mantissa = (index as u64) - ((shift as u64) << Self::SUB_BITS);
        ((mantissa + 1) << shift).wrapping_sub(1)
    }

    fn record(&mut self, latency: Duration) {
        let nanos = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX);
        self.counts[Self::index(nanos)] += 1;
        self.max = self.max.max(nanos);
    }

    fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.max = self.max.max(other.max);
    }

    fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    fn max(&self) -> u64 {
        self.max
    }

    /// The value below which `percent` % of the recorded values lie (bucket upper bound, capped
    /// at the true maximum).
    fn percentile(&self, percent: f64) -> u64 {
        let total = self.count();
        if total == 0 {
            return 0;
        }
        let rank = ((percent / 100.0) * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Self::highest_in(index).min(self.max);
            }
        }
        self.max
    }
}

fn format_nanos(nanos: u64) -> String {
    match nanos {
        0..=999 => format!("{nanos} ns"),
        1_000..=999_999 => format!("{:.1} µs", nanos as f64 / 1e3),
        _ => format!("{:.2} ms", nanos as f64 / 1e6),
    }
}
