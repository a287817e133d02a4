//! An echo server: every byte a client sends comes straight back.
//!
//! ```text
//! cargo run -p filch --example echo_server              # listens on 127.0.0.1:7000
//! cargo run -p filch --example echo_server -- 0.0.0.0:9000
//! ```
//!
//! Then, in another terminal: `nc 127.0.0.1 7000` and type a few lines.

use std::io;
use std::time::Duration;

use filch::io::prelude::*;
use filch::net::{TcpListener, TcpStream};

#[filch::main]
async fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7000".to_string());
    let listener = TcpListener::bind(addr).await?;
    println!("echo server listening on {}", listener.local_addr()?);

    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                // One task per connection; the JoinHandle is dropped, so the task runs detached.
                filch::spawn(async move {
                    if let Err(error) = echo(stream).await {
                        eprintln!("{peer}: {error}");
                    }
                });
            }
            Err(error) => {
                // Typically "too many open files": wait for connections to close, then go on.
                eprintln!("accept failed: {error}");
                filch::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Copies everything the client sends back to it until the client closes its side.
async fn echo(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}
