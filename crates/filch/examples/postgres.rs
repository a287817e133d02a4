//! Many database queries at once: 1,000 queries with 50 in flight through tokio-postgres on a
//! filch `TcpStream`, with no glue (`Config::connect_raw` takes the stream because the `tokio-io`
//! feature gives it tokio's I/O traits; no tokio runtime runs).
//!
//! ```text
//! FILCH_PG_HOST=127.0.0.1 FILCH_PG_PORT=5432 FILCH_PG_USER=postgres \
//!     cargo run -p filch --example postgres --features tokio-io
//! ```
//!
//! Connection settings come from `FILCH_PG_HOST`, `FILCH_PG_PORT`, `FILCH_PG_USER`,
//! `FILCH_PG_PASSWORD` and `FILCH_PG_DBNAME`, else libpq's `PGHOST`, `PGPORT`, `PGUSER`,
//! `PGPASSWORD` and `PGDATABASE`, else `127.0.0.1`, `5432`, `postgres`, no password, `postgres`.
//! `connect_raw` speaks plain TCP: a server that requires TLS needs a TLS stream instead.
//!
//! The queries go down one connection, pipelined (tokio-postgres sends a query without waiting
//! for the answers to the ones before it).

use std::sync::Arc;
use std::time::{Duration, Instant};

use filch::net::TcpStream;

type Error = Box<dyn std::error::Error + Send + Sync>;

const QUERIES: usize = 1_000;
const IN_FLIGHT: usize = 50;

fn var(filch: &str, libpq: &str) -> Option<String> {
    std::env::var(filch).or_else(|_| std::env::var(libpq)).ok()
}

#[filch::main]
async fn main() -> Result<(), Error> {
    let host = var("FILCH_PG_HOST", "PGHOST").unwrap_or_else(|| "127.0.0.1".into());
    let port: u16 = match var("FILCH_PG_PORT", "PGPORT") {
        Some(p) => p
            .parse()
            .map_err(|e| format!("FILCH_PG_PORT/PGPORT `{p}` is not a port number: {e}"))?,
        None => 5432,
    };
    let mut config = tokio_postgres::Config::new();
    config
        .user(var("FILCH_PG_USER", "PGUSER").unwrap_or_else(|| "postgres".into()))
        .dbname(var("FILCH_PG_DBNAME", "PGDATABASE").unwrap_or_else(|| "postgres".into()));
    if let Some(password) = var("FILCH_PG_PASSWORD", "PGPASSWORD") {
        config.password(password);
    }

    let stream = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| {
            format!(
                "no PostgreSQL at {host}:{port} ({e}); set FILCH_PG_HOST and FILCH_PG_PORT \
             (or PGHOST and PGPORT) to a running server"
            )
        })?;
    stream.set_nodelay(true)?;
    let (client, connection) = config.connect_raw(stream, tokio_postgres::NoTls).await?;
    // The connection object does the I/O; it runs as its own task until the client is dropped.
    let connection = filch::spawn(connection);
    let client = Arc::new(client);

    client
        .batch_execute("CREATE TEMPORARY TABLE items (id INT8 PRIMARY KEY, name TEXT NOT NULL)")
        .await?;
    let insert = client
        .prepare("INSERT INTO items (id, name) VALUES ($1, $2) RETURNING id * 2")
        .await?;

    println!("{QUERIES} queries, {IN_FLIGHT} in flight, to {host}:{port}");
    let start = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..IN_FLIGHT {
        let (client, insert, next) = (client.clone(), insert.clone(), next.clone());
        workers.push(filch::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= QUERIES {
                    break;
                }
                let sent = Instant::now();
                let id = i as i64;
                let row = client
                    .query_one(&insert, &[&id, &format!("item {i}")])
                    .await?;
                let doubled: i64 = row.get(0);
                if doubled != id * 2 {
                    return Err(format!("query {i}: expected {}, got {doubled}", id * 2).into());
                }
                latencies.push(sent.elapsed());
            }
            Ok::<_, Error>(latencies)
        }));
    }
    let mut latencies: Vec<Duration> = Vec::with_capacity(QUERIES);
    for worker in workers {
        latencies.extend(worker.await??);
    }
    let elapsed = start.elapsed();

    let count: i64 = client
        .query_one("SELECT count(*) FROM items", &[])
        .await?
        .get(0);
    if count != QUERIES as i64 {
        return Err(format!("expected {QUERIES} rows, found {count}").into());
    }
    latencies.sort();
    println!(
        "{} queries in {elapsed:.2?} ({:.0}/s); latency p50 {:.2?}, p99 {:.2?}; {count} rows",
        latencies.len(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 99 / 100],
    );

    drop(insert);
    drop(client);
    connection.await??;
    Ok(())
}
