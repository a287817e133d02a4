//! Many HTTP requests at once through hyper-util's pooled client on filch: by default 10,000
//! `GET`s with 64 in flight against a server this example starts itself, with a progress line
//! and the latency percentiles at the end.
//!
//! Needs the `hyper` feature; the client is
//! `Client::builder(filch::hyper::Executor).build(filch::hyper::Connector::new())`, no glue.
//!
//! ```text
//! cargo run --release -p filch --example http_client --features hyper
//! cargo run --release -p filch --example http_client --features hyper -- http://127.0.0.1:3000/ 50000 128
//! ```
//!
//! Arguments (all optional): the URL (default, or `-`: a server started here on a free port),
//! the number of requests (10000) and how many are in flight at once (64).

use std::convert::Infallible;
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::Uri;
use hyper_util::client::legacy::Client;

use filch::net::TcpListener;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Starts a hello-world hyper server on a free loopback port and returns its URL.
async fn start_server() -> Result<Uri, Error> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/", listener.local_addr()?).parse()?;
    filch::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            filch::spawn(async move {
                let service = hyper::service::service_fn(|_req| async {
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                        b"Hello, world!\n",
                    ))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(stream, service)
                    .await;
            });
        }
    });
    Ok(url)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[filch::main]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let url: Uri = match args.next() {
        Some(url) if url != "-" => url.parse()?,
        _ => start_server().await?,
    };
    let total: usize = args
        .next()
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(10_000);
    let in_flight: usize = args.next().map(|n| n.parse()).transpose()?.unwrap_or(64);
    if total == 0 || in_flight == 0 {
        return Err("the number of requests and of requests in flight must be at least 1".into());
    }

    let client = Client::builder(filch::hyper::Executor)
        .timer(filch::hyper::Timer)
        .pool_max_idle_per_host(in_flight)
        .build::<_, Empty<Bytes>>(filch::hyper::Connector::new());

    println!("{total} requests to {url}, {in_flight} in flight");
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();

    // `in_flight` workers, each taking the next request number until all are taken.
    let mut workers = Vec::new();
    for _ in 0..in_flight {
        let (client, url, next, done) = (client.clone(), url.clone(), next.clone(), done.clone());
        workers.push(filch::spawn(async move {
            let mut latencies = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let sent = Instant::now();
                let response = client.get(url.clone()).await?;
                let status = response.status();
                response.into_body().collect().await?;
                if !status.is_success() {
                    return Err(format!("{url} answered {status}").into());
                }
                latencies.push(sent.elapsed());
                done.fetch_add(1, Ordering::Relaxed);
            }
            Ok::<_, Error>(latencies)
        }));
    }

    // The progress line, redrawn ten times a second until the workers finish.
    let progress = {
        let done = done.clone();
        filch::spawn(async move {
            loop {
                let n = done.load(Ordering::Relaxed);
                print!("\r{n:>8}/{total} done");
                let _ = std::io::stdout().flush();
                if n >= total {
                    break;
                }
                filch::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };

    let mut latencies = Vec::with_capacity(total);
    let mut failure = None;
    for worker in workers {
        match worker.await? {
            Ok(mut l) => latencies.append(&mut l),
            Err(e) => failure = Some(e),
        }
    }
    let elapsed = start.elapsed();
    if let Some(error) = failure {
        progress.abort();
        println!();
        return Err(error);
    }
    progress.await?;
    println!();

    latencies.sort();
    println!(
        "{} requests in {:.2?}: {:.0} requests/s",
        latencies.len(),
        elapsed,
        latencies.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency p50 {:.2?}  p90 {:.2?}  p99 {:.2?}  max {:.2?}",
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1]
    );
    Ok(())
}
