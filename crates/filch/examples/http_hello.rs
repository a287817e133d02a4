//! A minimal HTTP/1.1 server with keep-alive, written directly over `TcpStream`.
//!
//! Every request gets `Hello, world!`. Connections stay open for further requests (pipelined
//! ones too) unless the client asks to close or speaks HTTP/1.0 without `keep-alive`. It is a
//! demonstration of the runtime, not a web server: it understands only what it needs to answer.
//!
//! ```text
//! cargo run --release -p filch --example http_hello            # 127.0.0.1:8080
//! curl -v http://127.0.0.1:8080/ http://127.0.0.1:8080/again    # two requests, one connection
//! ```

use std::io;
use std::time::Duration;

use filch::io::prelude::*;
use filch::io::BufReader;
use filch::net::{TcpListener, TcpStream};

/// The longest request line or header line accepted, in bytes.
const MAX_LINE: u64 = 8 * 1024;
/// The most header lines accepted in one request.
const MAX_HEADERS: usize = 100;

const BODY: &str = "Hello, world!\n";

#[filch::main]
async fn main() -> io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let listener = TcpListener::bind(addr).await?;
    println!("http_hello listening on http://{}/", listener.local_addr()?);

    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                filch::spawn(async move {
                    if let Err(error) = serve(stream).await {
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

/// What the server needs to know about one request.
struct Request {
    keep_alive: bool,
    content_length: u64,
}

/// Why a request could not be read.
enum ReadError {
    /// The client closed the connection between requests: the normal end of a connection.
    Closed,
    /// The request is not something this server understands; answer 400 and close.
    Bad(&'static str),
    Io(io::Error),
}

impl From<io::Error> for ReadError {
    fn from(error: io::Error) -> Self {
        ReadError::Io(error)
    }
}

/// Answers requests on one connection until either side wants to stop.
async fn serve(stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);

    loop {
        let request = match read_request(&mut reader).await {
            Ok(request) => request,
            Err(ReadError::Closed) => return Ok(()),
            Err(ReadError::Io(error)) => return Err(error),
            Err(ReadError::Bad(reason)) => {
                let response = format!(
                    "HTTP/1.1 400 Bad Request\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reason}\n",
                    reason.len() + 1
                );
                writer.write_all(response.as_bytes()).await?;
                return Ok(());
            }
        };

        // This server ignores request bodies, but must consume them to find the next request.
        let mut body = (&mut reader).take(request.content_length);
        filch::io::copy(&mut body, &mut filch::io::sink()).await?;

        let connection = if request.keep_alive {
            "keep-alive"
        } else {
            "close"
        };
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n{BODY}",
            BODY.len()
        );
        writer.write_all(response.as_bytes()).await?;
        if !request.keep_alive {
            return Ok(());
        }
    }
}

/// Reads a request line and its headers.
async fn read_request<R>(reader: &mut BufReader<R>) -> Result<Request, ReadError>
where
    R: AsyncRead + Unpin,
{
    let mut line = String::new();
    if read_line(reader, &mut line).await? == 0 {
        return Err(ReadError::Closed);
    }
    let mut parts = line.split_whitespace();
    let (Some(_method), Some(_target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Bad("malformed request line"));
    };
    // HTTP/1.1 keeps the connection open by default; HTTP/1.0 closes it by default.
    let mut keep_alive = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => return Err(ReadError::Bad("unsupported HTTP version")),
    };
    let mut content_length = 0;

    for _ in 0..=MAX_HEADERS {
        line.clear();
        if read_line(reader, &mut line).await? == 0 {
            return Err(ReadError::Bad("connection closed inside the headers"));
        }
        let header = line.trim_end();
        if header.is_empty() {
            return Ok(Request {
                keep_alive,
                content_length,
            });
        }
        let Some((name, value)) = header.split_once(':') else {
            return Err(ReadError::Bad("malformed header"));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("connection") {
            if value.eq_ignore_ascii_case("close") {
                keep_alive = false;
            } else if value.eq_ignore_ascii_case("keep-alive") {
                keep_alive = true;
            }
        } else if name.eq_ignore_ascii_case("content-length") {
            content_length = value
                .parse()
                .map_err(|_| ReadError::Bad("malformed Content-Length"))?;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(ReadError::Bad("chunked request bodies are not supported"));
        }
    }
    Err(ReadError::Bad("too many headers"))
}

/// Reads one line of at most [`MAX_LINE`] bytes, so a client cannot make the server buffer an
/// endless line. Returns the number of bytes read (0 at end of stream).
async fn read_line<R>(reader: &mut BufReader<R>, line: &mut String) -> Result<usize, ReadError>
where
    R: AsyncRead + Unpin,
{
    let n = (&mut *reader)
        .take(MAX_LINE)
        .read_line(line)
        .await
        .map_err(|error| {
            if error.kind() == io::ErrorKind::InvalidData {
                ReadError::Bad("request is not valid UTF-8")
            } else {
                ReadError::Io(error)
            }
        })?;
    if n as u64 == MAX_LINE && !line.ends_with('\n') {
        return Err(ReadError::Bad("line too long"));
    }
    Ok(n)
}
