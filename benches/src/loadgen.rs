//! The load generators: one fixed implementation (on tokio's multi-thread runtime, in the
//! `compare` process) that drives every server the same way, so that only the server's runtime
//! differs between the three figures of a row; and a wrapper that runs `wrk`.
//!
//! Each client records the latency of every request that starts after the warm-up and ends
//! inside the measured window; throughput is those requests divided by the window's length.

use std::io;
use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::stats;

/// What one load run measured.
#[derive(Debug, Clone, Copy)]
pub struct LoadReport {
    /// Requests (or echo round trips, or connections) completed per second.
    pub per_sec: f64,
    /// Median latency.
    pub p50: Duration,
    /// 99th-percentile latency.
    pub p99: Duration,
    /// Every request completed during the run, warm-up included: the denominator for the
    /// server's CPU time per request.
    pub completed: u64,
    /// Bytes the clients read back from the server over the whole run, counted by the Rust
    /// load generator after checking them: the echoed messages (each equal to the one sent),
    /// or the HTTP responses. `None` from [`wrk`], which reports only a rounded figure.
    pub received: Option<u64>,
}

/// How long a load run warms up and then measures.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Requests that start before this much time has passed are not counted.
    pub warmup: Duration,
    /// The length of the measured window that follows.
    pub measure: Duration,
}

/// The request the HTTP clients send on a kept-alive connection.
const HTTP_REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
/// The request the connection-churn clients send before the server closes.
const HTTP_REQUEST_CLOSE: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
/// How many connections are opened at once, so a listen backlog never overflows.
const CONNECT_BATCH: usize = 64;

/// The Rust load generator: a tokio runtime of its own.
#[derive(Debug)]
pub struct LoadGen {
    runtime: tokio::runtime::Runtime,
}

impl LoadGen {
    /// Builds the generator with `threads` client threads.
    pub fn new(threads: usize) -> io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()?;
        Ok(LoadGen { runtime })
    }

    /// Echo ping-pong: `connections` clients each write a `size`-byte message and wait for it to
    /// come back, over and over. Latency is one round trip.
    pub fn echo(
        &self,
        addr: SocketAddr,
        connections: usize,
        size: usize,
        window: Window,
    ) -> io::Result<LoadReport> {
        self.runtime.block_on(async {
            let streams = connect_all(addr, connections).await?;
            let clock = Clock::start(window);
            let clients = streams.into_iter().map(|mut stream| {
                tokio::spawn(async move {
                    let message = vec![0xA5; size];
                    let mut reply = vec![0; size];
                    let mut tally = Tally::default();
                    while let Some(started) = clock.next_request(&tally) {
                        stream.write_all(&message).await?;
                        stream.read_exact(&mut reply).await?;
                        if reply != message {
                            return Err(io::Error::new(
                                io::ErrorKind::InvalidData,
                                "echo: the server sent back other bytes than it was sent",
                            ));
                        }
                        tally.received += size as u64;
                        clock.record(started, &mut tally);
                    }
                    Ok(tally)
                })
            });
            let clients: Vec<_> = clients.collect();
            finish(clients, window).await
        })
    }

    /// HTTP/1.1 keep-alive: `connections` clients each send a `GET` and read the response, over
    /// and over on the same connection.
    pub fn http(
        &self,
        addr: SocketAddr,
        connections: usize,
        window: Window,
    ) -> io::Result<LoadReport> {
        self.runtime.block_on(async {
            let streams = connect_all(addr, connections).await?;
            let clock = Clock::start(window);
            let clients = streams.into_iter().map(|mut stream| {
                tokio::spawn(async move {
                    let mut buf = vec![0; 4096];
                    let mut tally = Tally::default();
                    while let Some(started) = clock.next_request(&tally) {
                        stream.write_all(HTTP_REQUEST).await?;
                        tally.received += read_response(&mut stream, &mut buf).await? as u64;
                        clock.record(started, &mut tally);
                    }
                    Ok(tally)
                })
            });
            let clients: Vec<_> = clients.collect();
            finish(clients, window).await
        })
    }

    /// Connection churn: `concurrency` clients each connect, send one request with
    /// `Connection: close`, read until the server closes, and start over. Latency covers the
    /// whole connection, from `connect` to end of stream.
    pub fn churn(
        &self,
        addr: SocketAddr,
        concurrency: usize,
        window: Window,
    ) -> io::Result<LoadReport> {
        self.runtime.block_on(async {
            let clock = Clock::start(window);
            let clients = (0..concurrency).map(|_| {
                tokio::spawn(async move {
                    let mut response = Vec::with_capacity(256);
                    let mut tally = Tally::default();
                    while let Some(started) = clock.next_request(&tally) {
                        let mut stream = TcpStream::connect(addr).await?;
                        stream.set_nodelay(true)?;
                        stream.write_all(HTTP_REQUEST_CLOSE).await?;
                        response.clear();
                        stream.read_to_end(&mut response).await?;
                        if !response.starts_with(b"HTTP/1.1 200 OK\r\n") {
                            return Err(io::Error::new(
                                io::ErrorKind::InvalidData,
                                "churn: the server's response is not `200 OK`",
                            ));
                        }
                        tally.received += response.len() as u64;
                        clock.record(started, &mut tally);
                    }
                    Ok(tally)
                })
            });
            let clients: Vec<_> = clients.collect();
            finish(clients, window).await
        })
    }
}

/// When the warm-up ends and the measured window closes, shared by every client of a run.
#[derive(Debug, Clone, Copy)]
struct Clock {
    record_from: Instant,
    end: Instant,
}

impl Clock {
    fn start(window: Window) -> Clock {
        let record_from = Instant::now() + window.warmup;
        Clock {
            record_from,
            end: record_from + window.measure,
        }
    }

    /// The start time of the next request, or `None` once the window has closed. Every client
    /// makes at least one request, however late it starts, so a run always exercises the server.
    fn next_request(&self, tally: &Tally) -> Option<Instant> {
        let now = Instant::now();
        (now < self.end || tally.completed == 0).then_some(now)
    }

    /// Counts a completed request and records its latency if it lies in the window.
    fn record(&self, started: Instant, tally: &mut Tally) {
        let now = Instant::now();
        tally.completed += 1;
        if started >= self.record_from && now <= self.end {
            tally.latencies.push((now - started).as_nanos() as u64);
        }
    }
}

/// One client's results.
#[derive(Debug, Default)]
struct Tally {
    /// Latencies (ns) of the requests inside the measured window.
    latencies: Vec<u64>,
    /// Every request completed, warm-up included.
    completed: u64,
    /// Bytes read back from the server, warm-up included.
    received: u64,
}

/// Opens `count` connections with `TCP_NODELAY`, [`CONNECT_BATCH`] at a time.
async fn connect_all(addr: SocketAddr, count: usize) -> io::Result<Vec<TcpStream>> {
    let mut streams = Vec::with_capacity(count);
    while streams.len() < count {
        let batch = CONNECT_BATCH.min(count - streams.len());
        let connecting: Vec<_> = (0..batch)
            .map(|_| {
                tokio::spawn(async move {
                    let stream = TcpStream::connect(addr).await?;
                    stream.set_nodelay(true)?;
                    Ok::<_, io::Error>(stream)
                })
            })
            .collect();
        for connection in connecting {
            streams.push(connection.await.map_err(io::Error::other)??);
        }
    }
    Ok(streams)
}

/// Reads one response to [`HTTP_REQUEST`]: a head, then `Content-Length` bytes of body.
/// Returns its length.
async fn read_response(stream: &mut TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    loop {
        let read = stream.read(&mut buf[filled..]).await?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "http: the server closed a kept-alive connection",
            ));
        }
        filled += read;
        if let Some(head) = crate::server::head_len(&buf[..filled]) {
            let body = content_length(&buf[..head]).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    "http: a response without Content-Length",
                )
            })?;
            if filled > head + body {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "http: the server sent more than one response to one request",
                ));
            }
            if filled == head + body {
                return Ok(filled);
            }
            if head + body > buf.len() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "http: response larger than the 4 KiB the client expects",
                ));
            }
        }
        if filled == buf.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "http: response head larger than 4 KiB",
            ));
        }
    }
}

fn content_length(head: &[u8]) -> Option<usize> {
    head.split(|&byte| byte == b'\n').find_map(|line| {
        let colon = line.iter().position(|&byte| byte == b':')?;
        let (name, value) = line.split_at(colon);
        if !name.eq_ignore_ascii_case(b"content-length") {
            return None;
        }
        std::str::from_utf8(&value[1..]).ok()?.trim().parse().ok()
    })
}

/// Joins the clients and turns their latencies into a report.
async fn finish(
    clients: Vec<tokio::task::JoinHandle<io::Result<Tally>>>,
    window: Window,
) -> io::Result<LoadReport> {
    let mut all = Vec::new();
    let mut completed = 0;
    let mut received = 0;
    for client in clients {
        let tally = client.await.map_err(io::Error::other)??;
        all.extend(tally.latencies);
        completed += tally.completed;
        received += tally.received;
    }
    all.sort_unstable();
    Ok(LoadReport {
        per_sec: all.len() as f64 / window.measure.as_secs_f64(),
        p50: Duration::from_nanos(stats::quantile_sorted(&all, 0.50)),
        p99: Duration::from_nanos(stats::quantile_sorted(&all, 0.99)),
        completed,
        received: Some(received),
    })
}

/// Runs `wrk -t<threads> -c<connections> -d<seconds>s --latency` against `addr` and reads its
/// requests per second and its 50th and 99th latency percentiles.
pub fn wrk(
    addr: SocketAddr,
    threads: usize,
    connections: usize,
    seconds: u64,
) -> io::Result<LoadReport> {
    let output = Command::new("wrk")
        .arg(format!("-t{threads}"))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .arg("--latency")
        .arg(format!("http://{addr}/"))
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "wrk failed ({}): {}{}",
            output.status,
            text,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    parse_wrk(&text).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("could not read wrk's output:\n{text}"),
        )
    })
}

/// Reads `Requests/sec`, the request total, and the `50%` and `99%` lines of `--latency`, from
/// wrk's output.
/// Returns `None` if wrk reported socket errors or non-2xx responses, or if a line is missing.
///
/// ```
/// use std::time::Duration;
/// let out = "  Latency Distribution\n     50%  110.00us\n     75%  1.20ms\n     99%    2.50ms\n\
///            12346 requests in 1.00s, 1.2MB read\nRequests/sec:  12345.67\n";
/// let report = filch_benches::loadgen::parse_wrk(out).unwrap();
/// assert_eq!(report.per_sec, 12345.67);
/// assert_eq!(report.p50, Duration::from_micros(110));
/// assert_eq!(report.p99, Duration::from_micros(2500));
/// assert_eq!(report.completed, 12346);
/// ```
pub fn parse_wrk(text: &str) -> Option<LoadReport> {
    if text.contains("Non-2xx") || text.contains("Socket errors") {
        return None;
    }
    let mut per_sec = None;
    let mut p50 = None;
    let mut p99 = None;
    let mut completed = None;
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("Requests/sec:"), Some(value)) => per_sec = value.parse().ok(),
            (Some(count), Some("requests")) => completed = count.parse().ok(),
            (Some("50%"), Some(value)) => p50 = parse_wrk_duration(value),
            (Some("99%"), Some(value)) => p99 = parse_wrk_duration(value),
            _ => {}
        }
    }
    Some(LoadReport {
        per_sec: per_sec?,
        p50: p50?,
        p99: p99?,
        completed: completed?,
        received: None,
    })
}

fn parse_wrk_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(seconds).ok()
}

/// Whether a `wrk` binary can be run.
pub fn wrk_available() -> bool {
    Command::new("wrk")
        .arg("--version")
        .output()
        .map(|output| !output.stdout.is_empty() || !output.stderr.is_empty())
        .unwrap_or(false)
}
