//! The `tokio-io` feature: tokio's `AsyncRead`/`AsyncWrite` on filch's streams, and the
//! libraries written against them taking filch sockets as they are: tokio-util's `Framed`,
//! tokio-rustls and tokio-postgres (`connect_raw`). No tokio runtime runs in any of these tests.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio_util::codec::{Framed, LinesCodec};

use filch::net::{TcpListener, TcpStream, UnixStream};

mod common;
use common::guard;

fn rt() -> filch::runtime::Runtime {
    filch::runtime::Builder::new()
        .worker_threads(2)
        .build()
        .unwrap()
}

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

#[test]
fn tokio_traits_read_into_uninit_and_shut_down() {
    guard("tokio_traits_read_into_uninit_and_shut_down", || {
        rt().block_on(async {
            let (mut client, server) = tcp_pair().await;
            let (mut read, mut write) = server.into_split();
            let big = vec![7u8; 300_000];
            let writer = filch::spawn(async move {
                client.write_all(&big).await.unwrap();
                // `TcpStream::shutdown(how)` (std's, inherent) comes first in method lookup.
                tokio::io::AsyncWriteExt::shutdown(&mut client)
                    .await
                    .unwrap();
                let mut back = Vec::new();
                client.read_to_end(&mut back).await.unwrap();
                back
            });
            // `read_buf` into a `BytesMut` hands `poll_read` uninitialised capacity.
            let mut got = BytesMut::with_capacity(4096);
            while read.read_buf(&mut got).await.unwrap() != 0 {
                got.reserve(4096);
            }
            assert_eq!(got.len(), 300_000);
            assert!(got.iter().all(|&b| b == 7));
            write.write_all(b"done").await.unwrap();
            write.shutdown().await.unwrap();
            assert_eq!(writer.await.unwrap(), b"done");

            let (mut a, mut b) = UnixStream::pair().unwrap();
            {
                let (mut ar, mut aw) = a.split();
                aw.write_all(b"unix").await.unwrap();
                let mut four = [0u8; 4];
                b.read_exact(&mut four).await.unwrap();
                assert_eq!(&four, b"unix");
                b.write_all(b"back").await.unwrap();
                ar.read_exact(&mut four).await.unwrap();
                assert_eq!(&four, b"back");
            }
            tokio::io::AsyncWriteExt::shutdown(&mut b).await.unwrap();
            let mut rest = Vec::new();
            a.read_to_end(&mut rest).await.unwrap();
            assert!(rest.is_empty());
        });
    });
}

#[test]
fn both_read_families_by_fully_qualified_call() {
    guard("both_read_families_by_fully_qualified_call", || {
        rt().block_on(async {
            // The documented trap: with both extension traits in scope, `stream.read(..)` is
            // ambiguous; a fully-qualified call picks one.
            #[allow(unused_imports)]
            use filch::io::prelude::*;
            #[allow(unused_imports)]
            use tokio::io::AsyncReadExt;
            let (mut client, mut server) = tcp_pair().await;
            filch::io::prelude::AsyncWriteExt::write_all(&mut client, b"abcdef")
                .await
                .unwrap();
            let mut buf = [0u8; 3];
            filch::io::prelude::AsyncReadExt::read_exact(&mut server, &mut buf)
                .await
                .unwrap();
            assert_eq!(&buf, b"abc");
            tokio::io::AsyncReadExt::read_exact(&mut server, &mut buf)
                .await
                .unwrap();
            assert_eq!(&buf, b"def");
        });
    });
}

#[test]
fn tokio_util_framed_lines_over_a_filch_stream() {
    guard("tokio_util_framed_lines_over_a_filch_stream", || {
        rt().block_on(async {
            let (client, server) = tcp_pair().await;
            filch::spawn(async move {
                let mut lines = Framed::new(server, LinesCodec::new());
                while let Some(line) = lines.next().await {
                    let line = line.unwrap();
                    lines.send(line.to_uppercase()).await.unwrap();
                }
            });
            let mut lines = Framed::new(client, LinesCodec::new());
            for i in 0..100 {
                lines.send(format!("line {i}")).await.unwrap();
                assert_eq!(lines.next().await.unwrap().unwrap(), format!("LINE {i}"));
            }
        });
    });
}

/// A self-signed certificate for `localhost`, made now, and the rustls configs trusting it.
fn tls_configs() -> (Arc<rustls::ServerConfig>, Arc<rustls::ClientConfig>) {
    let rcgen::CertifiedKey { cert, key_pair } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key_pair.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der().clone()).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (Arc::new(server), Arc::new(client))
}

#[test]
fn tokio_rustls_handshake_and_echo() {
    guard("tokio_rustls_handshake_and_echo", || {
        rt().block_on(async {
            let (server_config, client_config) = tls_configs();
            let (client, server) = tcp_pair().await;
            filch::spawn(async move {
                let acceptor = tokio_rustls::TlsAcceptor::from(server_config);
                let mut tls = acceptor.accept(server).await.unwrap();
                let mut buf = vec![0u8; 1024];
                loop {
                    let n = tls.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    tls.write_all(&buf[..n]).await.unwrap();
                }
                tls.shutdown().await.unwrap();
            });
            let connector = tokio_rustls::TlsConnector::from(client_config);
            let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
            let mut tls = connector.connect(name, client).await.unwrap();
            let message = vec![b'z'; 50_000];
            tls.write_all(&message).await.unwrap();
            let mut echo = vec![0u8; message.len()];
            tls.read_exact(&mut echo).await.unwrap();
            assert_eq!(echo, message);
            tls.shutdown().await.unwrap();
        });
    });
}

/// Where the PostgreSQL server for [`postgres_queries_through_connect_raw`] is: `FILCH_PG_*`,
/// else libpq's `PG*` variables, else 127.0.0.1:5432 as user `postgres`.
fn pg_config() -> (String, u16, tokio_postgres::Config) {
    let var =
        |filch: &str, libpq: &str| std::env::var(filch).or_else(|_| std::env::var(libpq)).ok();
    let host = var("FILCH_PG_HOST", "PGHOST").unwrap_or_else(|| "127.0.0.1".into());
    let port = var("FILCH_PG_PORT", "PGPORT")
        .and_then(|p| p.parse().ok())
        .unwrap_or(5432);
    let mut config = tokio_postgres::Config::new();
    config
        .user(var("FILCH_PG_USER", "PGUSER").unwrap_or_else(|| "postgres".into()))
        .dbname(var("FILCH_PG_DBNAME", "PGDATABASE").unwrap_or_else(|| "postgres".into()));
    if let Some(password) = var("FILCH_PG_PASSWORD", "PGPASSWORD") {
        config.password(password);
    }
    (host, port, config)
}

#[test]
fn postgres_queries_through_connect_raw() {
    guard("postgres_queries_through_connect_raw", || {
        rt().block_on(async {
            let (host, port, config) = pg_config();
            let connect = filch::time::timeout(
                Duration::from_secs(3),
                TcpStream::connect((host.as_str(), port)),
            )
            .await;
            let stream = match connect {
                Ok(Ok(stream)) => stream,
                other => {
                    let why = match other {
                        Ok(Err(e)) => e.to_string(),
                        _ => "connect timed out".to_string(),
                    };
                    // CI starts a server and sets FILCH_PG_REQUIRED=1: there, no server is a
                    // failure, not a skip.
                    if std::env::var_os("FILCH_PG_REQUIRED").is_some() {
                        panic!("no PostgreSQL at {host}:{port} ({why}) but FILCH_PG_REQUIRED is set");
                    }
                    println!(
                        "skipped: no PostgreSQL at {host}:{port} ({why}); set FILCH_PG_HOST, \
                         FILCH_PG_PORT, FILCH_PG_USER (or PGHOST, PGPORT, PGUSER) to run it"
                    );
                    eprintln!("postgres_queries_through_connect_raw skipped: no PostgreSQL at {host}:{port}");
                    return;
                }
            };
            let (client, connection) = config
                .connect_raw(stream, tokio_postgres::NoTls)
                .await
                .unwrap();
            filch::spawn(connection);
            let client = Arc::new(client);
            let mut tasks = Vec::new();
            for i in 0..50i32 {
                let client = client.clone();
                tasks.push(filch::spawn(async move {
                    let row = client
                        .query_one("SELECT $1::INT4 * 2, pg_backend_pid()", &[&i])
                        .await
                        .unwrap();
                    let doubled: i32 = row.get(0);
                    assert_eq!(doubled, i * 2);
                    row.get::<_, i32>(1)
                }));
            }
            let mut pids = Vec::new();
            for task in tasks {
                pids.push(task.await.unwrap());
            }
            // All 50 went down the one connection, pipelined.
            pids.dedup();
            assert_eq!(pids.len(), 1);
        });
    });
}
