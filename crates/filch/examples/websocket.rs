//! A websocket echo server and 100 clients on async-tungstenite, which works on the
//! `futures-io` traits filch's sockets implement: no feature, no glue.
//!
//! ```text
//! cargo run -p filch --example websocket
//! ```
//!
//! Each client connects, sends 10 text messages and one binary message, checks every echo and
//! closes; the program reports the messages echoed and the time taken, and fails if any echo is
//! wrong.

use std::time::Instant;

use async_tungstenite::tungstenite::Message;
use futures_util::StreamExt;

use filch::net::{TcpListener, TcpStream};

type Error = Box<dyn std::error::Error + Send + Sync>;

const CLIENTS: usize = 100;
const MESSAGES: usize = 10;

async fn echo(stream: TcpStream) -> Result<(), Error> {
    let mut ws = async_tungstenite::accept_async(stream).await?;
    while let Some(message) = ws.next().await {
        let message = message?;
        if message.is_text() || message.is_binary() {
            ws.send(message).await?;
        }
        // Pings are answered and closes acknowledged by tungstenite itself.
    }
    Ok(())
}

async fn client(id: usize, url: String, addr: std::net::SocketAddr) -> Result<usize, Error> {
    let stream = TcpStream::connect(addr).await?;
    let (mut ws, _response) = async_tungstenite::client_async(url, stream).await?;
    for i in 0..MESSAGES {
        let text = format!("client {id}, message {i}");
        ws.send(Message::text(text.clone())).await?;
        match ws.next().await {
            Some(Ok(Message::Text(echo))) if echo.as_str() == text => {}
            other => return Err(format!("client {id}: expected {text:?}, got {other:?}").into()),
        }
    }
    let payload = vec![id as u8; 4096];
    ws.send(Message::binary(payload.clone())).await?;
    match ws.next().await {
        Some(Ok(Message::Binary(echo))) if echo[..] == payload[..] => {}
        other => return Err(format!("client {id}: binary echo wrong: {other:?}").into()),
    }
    ws.close(None).await?;
    Ok(MESSAGES + 1)
}

#[filch::main]
async fn main() -> Result<(), Error> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    println!("websocket echo server on ws://{addr}/");
    filch::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    filch::spawn(async move {
                        if let Err(error) = echo(stream).await {
                            eprintln!("{peer}: {error}");
                        }
                    });
                }
                Err(error) => eprintln!("accept: {error}"),
            }
        }
    });

    let start = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| filch::spawn(client(id, format!("ws://{addr}/"), addr)))
        .collect();
    let mut echoed = 0;
    for c in clients {
        echoed += c.await??;
    }
    println!(
        "{CLIENTS} clients, {echoed} messages echoed in {:.2?}",
        start.elapsed()
    );
    Ok(())
}
