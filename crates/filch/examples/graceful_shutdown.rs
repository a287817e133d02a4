//! A TCP server that shuts down cleanly on Ctrl-C (`SIGINT`) or `SIGTERM`: it stops accepting,
//! lets the connections already open finish within a deadline, then exits with status 0.
//!
//! ```text
//! cargo run -p filch --example graceful_shutdown              # listens on 127.0.0.1:7001
//! cargo run -p filch --example graceful_shutdown -- 127.0.0.1:0
//! ```
//!
//! Each connection is greeted with `hello`, then the server waits for one line, works on it for
//! a moment (a 200 ms sleep stands for real work) and answers `done: <line>` before closing.
//! Connect with `nc 127.0.0.1 7001`, press Ctrl-C in the server's terminal, then type a line in
//! `nc`: the answer still comes, and the server exits once it is sent.
//!
//! The first line on standard output is `listening on <address>` (the test in
//! `tests/graceful_shutdown.rs` reads it to find the port).

use std::io::{self, Write};
use std::time::Duration;

use filch::io::prelude::*;
use filch::io::BufReader;
use filch::net::{TcpListener, TcpStream};
use filch::signal::unix::{signal, SignalKind};
use filch::task::JoinSet;

/// How long open connections get to finish once shutdown starts.
const DEADLINE: Duration = Duration::from_secs(10);

#[filch::main]
async fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7001".to_string());
    run(&addr).await
}

/// The server: runs until SIGINT or SIGTERM, then shuts down as described above.
pub(crate) async fn run(addr: &str) -> io::Result<()> {
    // Listen for the signals before announcing the address, so a signal sent as soon as the
    // address is known is handled, not fatal.
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let listener = TcpListener::bind(addr).await?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;

    let mut connections = JoinSet::new();
    let why = loop {
        filch::select! {
            _ = interrupt.recv() => break "SIGINT",
            _ = terminate.recv() => break "SIGTERM",
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(async move {
                        if let Err(error) = serve(stream).await {
                            eprintln!("{peer}: {error}");
                        }
                    });
                }
                Err(error) => {
                    eprintln!("accept failed: {error}");
                    filch::time::sleep(Duration::from_millis(100)).await;
                }
            },
            // Reap finished connections as we go, so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    };

    // Stop accepting: new connections are refused from here on.
    drop(listener);
    println!(
        "{why}: shutting down, waiting up to {DEADLINE:?} for {} open connection(s)",
        connections.len()
    );
    io::stdout().flush()?;

    let finished = filch::time::timeout(DEADLINE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    match finished {
        Ok(()) => println!("all connections finished; bye"),
        Err(_) => {
            println!(
                "deadline passed: closing {} connection(s) that did not finish",
                connections.len()
            );
            connections.shutdown().await;
        }
    }
    Ok(())
}

/// Greets, reads one line, works on it, answers.
async fn serve(stream: TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(stream);
    reader.get_mut().write_all(b"hello\n").await?;
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    filch::time::sleep(Duration::from_millis(200)).await;
    let answer = format!("done: {}\n", line.trim_end());
    reader.get_mut().write_all(answer.as_bytes()).await?;
    Ok(())
}
