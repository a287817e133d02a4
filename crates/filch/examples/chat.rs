//! A chat server: every line a client sends is shown to every other client.
//!
//! ```text
//! cargo run -p filch --example chat               # listens on 127.0.0.1:7001
//! nc 127.0.0.1 7001                               # in two or more other terminals
//! ```
//!
//! Every line goes through one `filch::sync::broadcast` channel, which each client subscribes
//! to. A client's task waits with `select!` for whichever comes first: a line from its
//! connection (sent to the channel) or a line from the channel (written to the connection,
//! unless the client wrote it). Sending on a broadcast channel never waits, so a client that
//! reads too slowly cannot hold up the others: once it is more than `QUEUE` lines behind, the
//! oldest lines are dropped for it, its receiver reports `RecvError::Lagged(n)`, and the client
//! is told how many lines it missed.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use filch::io::prelude::*;
use filch::io::BufReader;
use filch::net::{TcpListener, TcpStream};
use filch::sync::broadcast::{self, error::RecvError};

/// Lines kept for a client that has not written them yet; a client further behind misses lines.
const QUEUE: usize = 256;
/// The longest line relayed; longer lines are split.
const MAX_LINE: u64 = 4 * 1024;

/// A line on the channel, with the id of the client that sent it.
type Message = (u64, Arc<str>);

#[filch::main]
async fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7001".to_string());
    let listener = TcpListener::bind(addr).await?;
    println!("chat server listening on {}", listener.local_addr()?);

    // The server keeps one sender so the channel stays open while nobody is connected; the
    // receiver made with it is not needed: each client subscribes.
    let (lines, _) = broadcast::channel::<Message>(QUEUE);
    let next_id = AtomicU64::new(0);
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let id = next_id.fetch_add(1, Ordering::Relaxed);
                let lines = lines.clone();
                filch::spawn(async move {
                    if let Err(error) = client(stream, peer, id, lines).await {
                        eprintln!("{peer}: {error}");
                    }
                });
            }
            Err(error) => {
                eprintln!("accept failed: {error}");
                filch::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Serves one client: relays its lines to the others and theirs to it, until it disconnects.
async fn client(
    stream: TcpStream,
    peer: SocketAddr,
    id: u64,
    lines: broadcast::Sender<Message>,
) -> io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    // Subscribe before announcing the client, so that it misses nothing sent after this point.
    let mut incoming = lines.subscribe();
    let others = lines.receiver_count() - 1;
    let welcome = format!("* welcome {peer}; {others} other(s) here\n");
    writer.write_all(welcome.as_bytes()).await?;
    let _ = lines.send((id, format!("* {peer} joined\n").into()));

    // Reading a line is not cancel-safe (a partly read line would be lost if the future were
    // dropped), so the read future is made once, pinned, and only replaced when it finishes;
    // `select!` polls it by reference.
    let read = next_line(BufReader::new(reader));
    filch::pin!(read);
    let result = loop {
        filch::select! {
            (reader, line) = &mut read => match line {
                Ok(Some(line)) => {
                    read.set(next_line(reader));
                    let _ = lines.send((id, format!("{peer}: {}\n", line.trim_end()).into()));
                }
                Ok(None) => break Ok(()),
                Err(error) => break Err(error),
            },
            message = incoming.recv() => {
                let text: Arc<str> = match message {
                    Ok((from, _)) if from == id => continue,
                    Ok((_, line)) => line,
                    Err(RecvError::Lagged(missed)) => {
                        format!("* you were too slow: {missed} line(s) skipped\n").into()
                    }
                    // The server holds a sender for as long as it runs.
                    Err(RecvError::Closed) => break Ok(()),
                };
                if let Err(error) = writer.write_all(text.as_bytes()).await {
                    break Err(error);
                }
            }
        }
    };

    let _ = lines.send((id, format!("* {peer} left\n").into()));
    result
}

/// Reads one line of at most `MAX_LINE` bytes; `None` at the end of the stream. Takes the reader
/// and gives it back, so that the future owns everything it needs and can be kept across loop
/// iterations.
async fn next_line<R: AsyncBufRead + Unpin>(mut reader: R) -> (R, io::Result<Option<String>>) {
    let mut line = String::new();
    let result = match (&mut reader).take(MAX_LINE).read_line(&mut line).await {
        Ok(0) => Ok(None),
        Ok(_) => Ok(Some(line)),
        Err(error) => Err(error),
    };
    (reader, result)
}
