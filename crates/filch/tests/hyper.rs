//! The `hyper` feature: hyper 1.x servers and hyper-util's pooled client on filch sockets with no
//! glue (HTTP/1, HTTP/2, upgrades), and `filch::hyper::{Executor, Timer, Connector}`.

use std::convert::Infallible;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::rt::{Timer as _, Write as _};
use hyper::{Request, Response, StatusCode, Version};
use hyper_util::client::legacy::connect::Connection as _;
use hyper_util::client::legacy::Client;
use tower_service::Service as _;

use filch::io::prelude::*;
use filch::net::{TcpListener, TcpStream, UnixStream};

mod common;
use common::guard;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn rt() -> filch::runtime::Runtime {
    filch::runtime::Builder::new()
        .worker_threads(2)
        .build()
        .unwrap()
}

/// The service every test serves: echoes the request body, prefixed with the method and path,
/// and says which HTTP version it was spoken in.
async fn echo(req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let head = format!("{} {} {:?} ", req.method(), req.uri().path(), req.version());
    let body = req.into_body().collect().await?.to_bytes();
    let mut out = head.into_bytes();
    out.extend_from_slice(&body);
    Ok(Response::new(Full::new(Bytes::from(out))))
}

/// Serves `echo` with hyper-util's auto builder (HTTP/1 and HTTP/2 by preface) on each accepted
/// connection, counting connections.
async fn serve(listener: TcpListener, connections: Arc<AtomicUsize>) {
    loop {
        let (stream, _) = listener.accept().await.unwrap();
        connections.fetch_add(1, Ordering::SeqCst);
        filch::spawn(async move {
            let service = hyper::service::service_fn(echo);
            let _ = hyper_util::server::conn::auto::Builder::new(filch::hyper::Executor)
                .serve_connection(stream, service)
                .await;
        });
    }
}

async fn start_server() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    filch::spawn(serve(listener, connections.clone()));
    (addr, connections)
}

async fn body_string(response: Response<hyper::body::Incoming>) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn pooled_client_http1_reuses_one_connection() {
    guard("pooled_client_http1_reuses_one_connection", || {
        rt().block_on(async {
            let (addr, connections) = start_server().await;
            let client = Client::builder(filch::hyper::Executor)
                .timer(filch::hyper::Timer)
                .build::<_, Full<Bytes>>(filch::hyper::Connector::new());
            for i in 0..20 {
                let req = Request::post(format!("http://{addr}/n/{i}"))
                    .body(Full::new(Bytes::from(format!("body {i}"))))
                    .unwrap();
                let response = client.request(req).await.unwrap();
                assert_eq!(response.status(), StatusCode::OK);
                assert_eq!(response.version(), Version::HTTP_11);
                assert_eq!(
                    body_string(response).await,
                    format!("POST /n/{i} HTTP/1.1 body {i}")
                );
            }
            // One after the other: the pool hands an idle connection back. (The connection returns
            // to the pool from its own task once the response is read, so a request can race
            // ahead of it and open a second one; without a pool there would be 20.)
            let opened = connections.load(Ordering::SeqCst);
            assert!(
                (1..=4).contains(&opened),
                "{opened} connections for 20 requests"
            );
        });
    });
}

#[test]
fn pooled_client_http2_multiplexes_concurrent_requests() {
    guard(
        "pooled_client_http2_multiplexes_concurrent_requests",
        || {
            rt().block_on(async {
                let (addr, connections) = start_server().await;
                let client = Client::builder(filch::hyper::Executor)
                    .timer(filch::hyper::Timer)
                    .http2_only(true)
                    .http2_keep_alive_interval(Duration::from_millis(50))
                    .build::<_, Full<Bytes>>(filch::hyper::Connector::new());
                // Warm up: one connection, then many requests at once on it.
                let first = client
                    .get(format!("http://{addr}/first").parse().unwrap())
                    .await
                    .unwrap();
                assert_eq!(first.version(), Version::HTTP_2);
                assert_eq!(body_string(first).await, "GET /first HTTP/2.0 ");
                let mut tasks = Vec::new();
                for i in 0..50 {
                    let client = client.clone();
                    tasks.push(filch::spawn(async move {
                        let response = client
                            .get(format!("http://{addr}/c/{i}").parse().unwrap())
                            .await
                            .unwrap();
                        (i, body_string(response).await)
                    }));
                }
                for task in tasks {
                    let (i, body) = task.await.unwrap();
                    assert_eq!(body, format!("GET /c/{i} HTTP/2.0 "));
                }
                // Keep-alive pings run on the timer while the connection idles; it stays usable.
                filch::time::sleep(Duration::from_millis(200)).await;
                let last = client
                    .get(format!("http://{addr}/last").parse().unwrap())
                    .await
                    .unwrap();
                assert_eq!(body_string(last).await, "GET /last HTTP/2.0 ");
                assert_eq!(connections.load(Ordering::SeqCst), 1);
            });
        },
    );
}

#[test]
fn upgrade_hands_back_the_filch_stream() {
    guard("upgrade_hands_back_the_filch_stream", || {
        rt().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            filch::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let service = hyper::service::service_fn(
                    |mut req: Request<hyper::body::Incoming>| async move {
                        filch::spawn(async move {
                            let upgraded = hyper::upgrade::on(&mut req).await.unwrap();
                            let parts = upgraded.downcast::<TcpStream>().unwrap();
                            let mut stream = parts.io;
                            // Echo what follows the upgrade, starting with what hyper read ahead.
                            stream.write_all(&parts.read_buf).await.unwrap();
                            let mut buf = [0u8; 64];
                            loop {
                                let n = stream.read(&mut buf).await.unwrap();
                                if n == 0 {
                                    break;
                                }
                                stream.write_all(&buf[..n]).await.unwrap();
                            }
                        });
                        let mut response = Response::new(Full::new(Bytes::new()));
                        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
                        response
                            .headers_mut()
                            .insert("upgrade", "echo".parse().unwrap());
                        response
                            .headers_mut()
                            .insert("connection", "upgrade".parse().unwrap());
                        Ok::<_, Infallible>(response)
                    },
                );
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(stream, service)
                    .with_upgrades()
                    .await
                    .unwrap();
            });

            let stream = TcpStream::connect(addr).await.unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake(stream).await.unwrap();
            filch::spawn(async move { conn.with_upgrades().await });
            let req = Request::get("/")
                .header("host", "localhost")
                .header("upgrade", "echo")
                .header("connection", "upgrade")
                .body(Full::new(Bytes::new()))
                .unwrap();
            let response = sender.send_request(req).await.unwrap();
            assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
            let upgraded = hyper::upgrade::on(response).await.unwrap();
            let parts = upgraded.downcast::<TcpStream>().unwrap();
            assert!(parts.read_buf.is_empty());
            let mut stream = parts.io;
            stream.write_all(b"after the upgrade").await.unwrap();
            let mut echo = [0u8; 17];
            stream.read_exact(&mut echo).await.unwrap();
            assert_eq!(&echo, b"after the upgrade");
        });
    });
}

#[test]
fn http1_over_a_unix_stream() {
    guard("http1_over_a_unix_stream", || {
        rt().block_on(async {
            let (a, b) = UnixStream::pair().unwrap();
            filch::spawn(async move {
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(a, hyper::service::service_fn(echo))
                    .await
                    .unwrap();
            });
            let (mut sender, conn) = hyper::client::conn::http1::handshake(b).await.unwrap();
            filch::spawn(conn);
            for i in 0..3 {
                sender.ready().await.unwrap();
                let req = Request::put(format!("/u/{i}"))
                    .header("host", "localhost")
                    .body(Full::new(Bytes::from(vec![b'x'; 100_000])))
                    .unwrap();
                let body = body_string(sender.send_request(req).await.unwrap()).await;
                assert_eq!(body.len(), "PUT /u/0 HTTP/1.1 ".len() + 100_000);
                assert!(body.starts_with(&format!("PUT /u/{i} HTTP/1.1 xxx")));
            }
        });
    });
}

/// Reads once through `hyper::rt::Read`, into a buffer hyper considers uninitialised.
async fn hyper_read<R: hyper::rt::Read + Unpin>(r: &mut R, len: usize) -> Vec<u8> {
    let mut storage = vec![std::mem::MaybeUninit::<u8>::uninit(); len];
    let mut buf = hyper::rt::ReadBuf::uninit(&mut storage);
    poll_fn(|cx| Pin::new(&mut *r).poll_read(cx, buf.unfilled()))
        .await
        .unwrap();
    buf.filled().to_vec()
}

async fn hyper_write_all<W: hyper::rt::Write + Unpin>(w: &mut W, mut data: &[u8]) {
    while !data.is_empty() {
        let n = poll_fn(|cx| Pin::new(&mut *w).poll_write(cx, data))
            .await
            .unwrap();
        data = &data[n..];
    }
    poll_fn(|cx| Pin::new(&mut *w).poll_flush(cx))
        .await
        .unwrap();
}

#[test]
fn split_halves_implement_hyper_io() {
    guard("split_halves_implement_hyper_io", || {
        rt().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (server, _) = listener.accept().await.unwrap();
            let (mut read, mut write) = server.into_split();
            client.write_all(b"to the read half").await.unwrap();
            assert_eq!(hyper_read(&mut read, 64).await, b"to the read half");
            hyper_write_all(&mut write, b"from the write half").await;
            poll_fn(|cx| Pin::new(&mut write).poll_shutdown(cx))
                .await
                .unwrap();
            let mut got = Vec::new();
            client.read_to_end(&mut got).await.unwrap();
            assert_eq!(got, b"from the write half");

            let (mut a, mut b) = UnixStream::pair().unwrap();
            {
                let (mut ar, mut aw) = a.split();
                hyper_write_all(&mut aw, b"unix").await;
                b.write_all(b"back").await.unwrap();
                assert_eq!(hyper_read(&mut ar, 64).await, b"back");
            }
            let mut four = [0u8; 4];
            b.read_exact(&mut four).await.unwrap();
            assert_eq!(&four, b"unix");
            // End of stream reads as an empty fill, not an error.
            drop(b);
            assert_eq!(hyper_read(&mut a, 64).await, b"");
        });
    });
}

#[test]
fn timer_sleeps_and_resets_on_filch_wheel() {
    guard("timer_sleeps_and_resets_on_filch_wheel", || {
        rt().block_on(async {
            let timer = filch::hyper::Timer;
            let start = Instant::now();
            timer.sleep(Duration::from_millis(30)).await;
            assert!(start.elapsed() >= Duration::from_millis(30));

            let deadline = Instant::now() + Duration::from_millis(20);
            timer.sleep_until(deadline).await;
            assert!(Instant::now() >= deadline);

            // Reset moves a long sleep forward, in place.
            let mut sleep = timer.sleep(Duration::from_secs(3600));
            let soon = Instant::now() + Duration::from_millis(20);
            timer.reset(&mut sleep, soon);
            sleep.as_mut().await;
            assert!(Instant::now() >= soon);
            assert!(start.elapsed() < Duration::from_secs(30));

            // Reset of a sleep that has completed makes it wait again.
            let later = Instant::now() + Duration::from_millis(20);
            timer.reset(&mut sleep, later);
            sleep.as_mut().await;
            assert!(Instant::now() >= later);
        });
    });
}

/// A sleep from some other timer, which `Timer::reset` must replace rather than ignore.
struct ForeignSleep;

impl Future for ForeignSleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, _cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        std::task::Poll::Pending
    }
}

impl hyper::rt::Sleep for ForeignSleep {}

#[test]
fn timer_reset_replaces_a_foreign_sleep() {
    guard("timer_reset_replaces_a_foreign_sleep", || {
        rt().block_on(async {
            let mut sleep: Pin<Box<dyn hyper::rt::Sleep>> = Box::pin(ForeignSleep);
            let soon = Instant::now() + Duration::from_millis(10);
            filch::hyper::Timer.reset(&mut sleep, soon);
            sleep.as_mut().await;
            assert!(Instant::now() >= soon);
        });
    });
}

#[test]
fn executor_spawns_on_the_current_runtime() {
    guard("executor_spawns_on_the_current_runtime", || {
        rt().block_on(async {
            let (tx, rx) = filch::sync::oneshot::channel();
            hyper::rt::Executor::execute(&filch::hyper::Executor, async move {
                tx.send(filch::runtime::Handle::current().worker_threads())
                    .unwrap();
            });
            assert_eq!(rx.await.unwrap(), 2);
        });
    });
}

#[test]
fn connector_opens_tcp_with_nodelay_and_refuses_https() {
    guard("connector_opens_tcp_with_nodelay_and_refuses_https", || {
        rt().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let mut connector = filch::hyper::Connector::new();
            let uri: hyper::Uri = format!("http://{addr}/").parse().unwrap();
            let stream = connector.call(uri.clone()).await.unwrap();
            assert_eq!(stream.peer_addr().unwrap(), addr);
            assert!(stream.nodelay().unwrap());
            assert!(!stream.connected().is_proxied());

            connector.set_nodelay(false);
            let stream = connector.call(uri).await.unwrap();
            assert!(!stream.nodelay().unwrap());

            let err = connector
                .call(format!("https://{addr}/").parse().unwrap())
                .await
                .unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
            assert!(err.to_string().contains("plain TCP"), "{err}");

            // Through the pooled client, the error reaches the caller instead of a panic.
            let client = Client::builder(filch::hyper::Executor)
                .build::<_, Full<Bytes>>(filch::hyper::Connector::new());
            let err: BoxError = client
                .get(format!("https://{addr}/").parse().unwrap())
                .await
                .unwrap_err()
                .into();
            assert!(format!("{err:?}").contains("plain TCP"), "{err:?}");
        });
    });
}

#[test]
fn timer_and_executor_outside_a_runtime_name_the_fix() {
    guard("timer_and_executor_outside_a_runtime_name_the_fix", || {
        let message = |payload: Box<dyn std::any::Any + Send>| {
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        };
        let sleep = std::panic::catch_unwind(|| {
            drop(filch::hyper::Timer.sleep(Duration::from_millis(1)));
        })
        .unwrap_err();
        assert!(message(sleep).contains("runtime"));
        let spawn = std::panic::catch_unwind(|| {
            hyper::rt::Executor::execute(&filch::hyper::Executor, async {});
        })
        .unwrap_err();
        assert!(message(spawn).contains("runtime"));
    });
}
