//! A chat server: every line a client sends is shown to every other client.
//!
//! ```text
//! cargo run -p filch --example chat               # listens on 127.0.0.1:7001
//! nc 127.0.0.1 7001                               # in two or more other terminals
//! ```
//!
//! Each client has a reader (the connection's task) and a writer task fed by a bounded
//! `async-channel` queue. The list of clients is a `std::sync::Mutex<HashMap<..>>` held only for
//! the moment it takes to queue a line, never across an `.await`. The `async-channel` crate (from
//! the smol project) is a dev-dependency of the examples only; filch itself has no channel type.
//! A client that reads too slowly to keep up has lines dropped rather than holding up everybody
//! else: `try_send` on a full queue skips that client.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_channel::Sender;
use filch::io::prelude::*;
use filch::io::BufReader;
use filch::net::{TcpListener, TcpStream};

/// Lines queued for one client before further lines to it are dropped.
const QUEUE: usize = 256;
/// The longest line relayed; longer lines are split.
const MAX_LINE: u64 = 4 * 1024;

/// Every connected client's queue, by client id.
type Clients = Arc<Mutex<HashMap<u64, Sender<Arc<str>>>>>;

#[filch::main]
async fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7001".to_string());
    let listener = TcpListener::bind(addr).await?;
    println!("chat server listening on {}", listener.local_addr()?);

    let clients: Clients = Arc::default();
    let next_id = AtomicU64::new(0);
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let id = next_id.fetch_add(1, Ordering::Relaxed);
                let clients = clients.clone();
                filch::spawn(async move {
                    if let Err(error) = client(stream, peer, id, clients).await {
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

/// Serves one client: relays its lines to the others until it disconnects.
async fn client(stream: TcpStream, peer: SocketAddr, id: u64, clients: Clients) -> io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let (sender, receiver) = async_channel::bounded::<Arc<str>>(QUEUE);

    // The writer task ends when the client's sender is removed from the map (the channel closes)
    // or when writing fails because the client went away.
    let writer_task = filch::spawn(async move {
        while let Ok(line) = receiver.recv().await {
            if writer.write_all(line.as_bytes()).await.is_err() {
                break;
            }
        }
    });

    let others = {
        let mut clients = clients.lock().unwrap();
        let others = clients.len();
        clients.insert(id, sender.clone());
        others
    };
    let _ = sender.try_send(format!("* welcome {peer}; {others} other(s) here\n").into());
    drop(sender);
    broadcast(&clients, id, format!("* {peer} joined\n"));

    let mut reader = BufReader::new(reader);
    let mut line = String::new();
    let result = loop {
        line.clear();
        match (&mut reader).take(MAX_LINE).read_line(&mut line).await {
            Ok(0) => break Ok(()),
            Ok(_) => broadcast(&clients, id, format!("{peer}: {}\n", line.trim_end())),
            Err(error) => break Err(error),
        }
    };

    clients.lock().unwrap().remove(&id);
    broadcast(&clients, id, format!("* {peer} left\n"));
    let _ = writer_task.await;
    result
}

/// Queues `line` for every client except `from`. Never waits: a full queue drops the line.
fn broadcast(clients: &Clients, from: u64, line: String) {
    let line: Arc<str> = line.into();
    for (id, sender) in clients.lock().unwrap().iter() {
        if *id != from {
            let _ = sender.try_send(line.clone());
        }
    }
}
