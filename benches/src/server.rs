//! The loopback servers: a TCP echo server and a minimal HTTP/1.1 hello-world server, written
//! once over [`NetRt`] so that the same code runs on every runtime.
//!
//! `compare` starts each server in a child process of its own (`compare --serve <runtime>
//! <service>`), so that the load generator never shares a process, an allocator or a runtime
//! with the server it measures.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::rt::NetRt;

/// The response to every HTTP request on a kept-alive connection.
pub const HTTP_RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, world!";

/// The response to a request that asked for `Connection: close`; the server closes after it.
pub const HTTP_RESPONSE_CLOSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: \
    text/plain\r\nConnection: close\r\n\r\nHello, world!";

/// The largest request head the HTTP server accepts.
const MAX_HEAD: usize = 8 * 1024;

/// Which protocol a server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Writes back whatever it reads.
    Echo,
    /// Answers every `GET` with [`HTTP_RESPONSE`], keeping the connection open unless the
    /// request says `Connection: close`.
    Http,
}

impl Service {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Service::Echo => "echo",
            Service::Http => "http",
        }
    }

    /// Parses a name written by [`Service::name`].
    pub fn from_name(name: &str) -> Option<Service> {
        [Service::Echo, Service::Http]
            .into_iter()
            .find(|service| service.name() == name)
    }
}

/// Runs `service` on a fresh `R` runtime with `threads` workers, listening on an ephemeral
/// loopback port. Prints the bound address as the first line on stdout, then serves until stdin
/// reaches end of file (the parent closed it), and returns.
pub fn serve<R: NetRt>(threads: usize, service: Service) -> io::Result<()> {
    serve_on(R::new(threads)?, service)
}

/// [`serve`] on a runtime already built (of either flavour). The calling thread stays inside
/// `block_on` until standard input closes, so a current-thread runtime's tasks run on it.
pub fn serve_on<R: NetRt>(rt: R, service: Service) -> io::Result<()> {
    let listener = rt.block_on(R::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))))?;
    let addr = R::local_addr(&listener)?;
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{addr}")?;
    stdout.flush()?;
    drop(stdout);

    let spawner = rt.clone();
    drop(rt.spawn(accept_loop::<R>(spawner, listener, service)));

    let (closed_tx, closed_rx) = futures_channel::oneshot::channel::<io::Result<()>>();
    std::thread::spawn(move || {
        let read = io::stdin().lock().read_to_end(&mut Vec::new()).map(drop);
        let _ = closed_tx.send(read);
    });
    rt.block_on(closed_rx)
        .unwrap_or_else(|_| Err(io::Error::other("the stdin reader thread died")))
}

async fn accept_loop<R: NetRt>(rt: R, listener: R::Listener, service: Service) {
    loop {
        match R::accept(&listener).await {
            Ok(stream) => drop(rt.spawn(async move {
                let served = match service {
                    Service::Echo => echo::<R>(stream).await,
                    Service::Http => http::<R>(stream).await,
                };
                // A peer that resets its connection is normal under load; anything else is
                // worth a line on stderr, which the parent passes through.
                if let Err(error) = served {
                    if !matches!(
                        error.kind(),
                        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
                    ) {
                        eprintln!(
                            "{} {} server: connection failed: {error}",
                            R::NAME,
                            service.name()
                        );
                    }
                }
            })),
            Err(error) => {
                // Most likely out of file descriptors; back off instead of spinning.
                eprintln!(
                    "{} {} server: accept failed: {error}",
                    R::NAME,
                    service.name()
                );
                R::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// Echoes until the peer closes.
async fn echo<R: NetRt>(mut stream: R::Stream) -> io::Result<()> {
    let mut buf = vec![0; 16 * 1024];
    loop {
        let read = R::read(&mut stream, &mut buf).await?;
        if read == 0 {
            return Ok(());
        }
        R::write_all(&mut stream, &buf[..read]).await?;
    }
}

/// Serves HTTP/1.1 requests without bodies, pipelined or not, until the peer closes or asks to.
async fn http<R: NetRt>(mut stream: R::Stream) -> io::Result<()> {
    let mut buf = vec![0; MAX_HEAD];
    let mut filled = 0;
    let mut out = Vec::with_capacity(1024);
    loop {
        if filled == buf.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request head longer than 8 KiB",
            ));
        }
        let read = R::read(&mut stream, &mut buf[filled..]).await?;
        if read == 0 {
            return Ok(());
        }
        filled += read;

        let mut consumed = 0;
        let mut close = false;
        while let Some(len) = head_len(&buf[consumed..filled]) {
            close = asks_to_close(&buf[consumed..consumed + len]);
            out.extend_from_slice(if close {
                HTTP_RESPONSE_CLOSE
            } else {
                HTTP_RESPONSE
            });
            consumed += len;
            if close {
                break;
            }
        }
        buf.copy_within(consumed..filled, 0);
        filled -= consumed;

        if !out.is_empty() {
            R::write_all(&mut stream, &out).await?;
            out.clear();
        }
        if close {
            return Ok(());
        }
    }
}

/// The length of the first complete request head in `buf`, through its blank line.
///
/// ```
/// use filch_benches::server::head_len;
/// assert_eq!(head_len(b"GET / HTTP/1.1\r\n\r\nGET"), Some(18));
/// assert_eq!(head_len(b"GET / HTTP/1.1\r\n"), None);
/// ```
pub fn head_len(buf: &[u8]) -> Option<usize> {
    buf.windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map(|at| at + 4)
}

/// Whether a request head carries `Connection: close` (names and values compared ignoring case).
///
/// ```
/// use filch_benches::server::asks_to_close;
/// assert!(asks_to_close(b"GET / HTTP/1.1\r\nconnection: Close\r\n\r\n"));
/// assert!(!asks_to_close(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
/// ```
pub fn asks_to_close(head: &[u8]) -> bool {
    head.split(|&byte| byte == b'\n').any(|line| {
        let Some(colon) = line.iter().position(|&byte| byte == b':') else {
            return false;
        };
        let (name, value) = line.split_at(colon);
        name.eq_ignore_ascii_case(b"connection")
            && value[1..]
                .split(|&byte| byte == b',')
                .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"close"))
    })
}
