//! The hyper server of `compare`'s `http hyper` row: one hello-world hyper 1.x HTTP/1.1 service,
//! the same code on every runtime; only the adapter between the runtime's socket and hyper's
//! `rt::Read`/`rt::Write` differs:
//!
//! * filch: none; `filch::net::TcpStream` implements hyper's traits (feature `hyper`).
//! * tokio: hyper-util's `TokioIo`.
//! * smol: smol-hyper's `FuturesIo` over `async_io::Async<TcpStream>`.
//!
//! Like [`crate::server::serve`], it prints its address on stdout and serves until stdin closes.

use std::convert::Infallible;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};

use crate::rt::{Filch, NetRt, Smol, Tokio};

/// A runtime whose sockets hyper can serve, through whatever adapter it needs.
pub trait HyperRt: NetRt {
    /// What hyper reads and writes.
    type Io: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static;

    /// Wraps an accepted socket for hyper (and sets `TCP_NODELAY`, as every runtime's server does
    /// here).
    fn wrap(stream: Self::Stream) -> io::Result<Self::Io>;
}

impl HyperRt for Filch {
    type Io = filch::net::TcpStream;

    fn wrap(stream: filch::net::TcpStream) -> io::Result<Self::Io> {
        stream.set_nodelay(true)?;
        Ok(stream)
    }
}

impl HyperRt for Tokio {
    type Io = hyper_util::rt::TokioIo<tokio::net::TcpStream>;

    fn wrap(stream: tokio::net::TcpStream) -> io::Result<Self::Io> {
        stream.set_nodelay(true)?;
        Ok(hyper_util::rt::TokioIo::new(stream))
    }
}

impl HyperRt for Smol {
    type Io = smol_hyper::rt::FuturesIo<smol::Async<std::net::TcpStream>>;

    fn wrap(stream: smol::Async<std::net::TcpStream>) -> io::Result<Self::Io> {
        stream.get_ref().set_nodelay(true)?;
        Ok(smol_hyper::rt::FuturesIo::new(stream))
    }
}

/// The body every request gets: the same bytes as the suite's own HTTP server.
const HELLO: &[u8] = b"Hello, world!";

async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let mut response = Response::new(Full::new(Bytes::from_static(HELLO)));
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("text/plain"),
    );
    Ok(response)
}

/// Serves the hyper hello-world on a fresh `R` runtime with `threads` workers, on an ephemeral
/// loopback port; prints the address, then serves until stdin reaches end of file.
pub fn serve<R: HyperRt>(threads: usize) -> io::Result<()> {
    let rt = R::new(threads)?;
    let listener = rt.block_on(R::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))))?;
    let addr = R::local_addr(&listener)?;
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{addr}")?;
    stdout.flush()?;
    drop(stdout);

    let spawner = rt.clone();
    drop(rt.spawn(async move {
        loop {
            match R::accept(&listener).await {
                Ok(stream) => drop(spawner.spawn(async move {
                    let io = match R::wrap(stream) {
                        Ok(io) => io,
                        Err(error) => return eprintln!("{} hyper server: {error}", R::NAME),
                    };
                    let served = hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, hyper::service::service_fn(hello))
                        .await;
                    if let Err(error) = served {
                        if !error.is_incomplete_message() {
                            eprintln!("{} hyper server: connection failed: {error}", R::NAME);
                        }
                    }
                })),
                Err(error) => {
                    eprintln!("{} hyper server: accept failed: {error}", R::NAME);
                    R::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }));

    io::stdin().lock().read_to_end(&mut Vec::new())?;
    Ok(())
}
