//! Libraries on the `futures-io` traits take filch sockets with no feature and no glue:
//! async-tungstenite (websockets) and futures-rustls (TLS).

use std::sync::Arc;

use futures_util::StreamExt;

use filch::io::prelude::*;
use filch::net::{TcpListener, TcpStream};

mod common;
use common::guard;

fn rt() -> filch::runtime::Runtime {
    filch::runtime::Builder::new()
        .worker_threads(2)
        .build()
        .unwrap()
}

#[test]
fn tungstenite_echo() {
    guard("tungstenite_echo", || {
        rt().block_on(async {
            use async_tungstenite::tungstenite::Message;
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            filch::spawn(async move {
                loop {
                    let (stream, _) = listener.accept().await.unwrap();
                    filch::spawn(async move {
                        let mut ws = async_tungstenite::accept_async(stream).await.unwrap();
                        while let Some(msg) = ws.next().await {
                            let msg = msg.unwrap();
                            if msg.is_close() {
                                break;
                            }
                            ws.send(msg).await.unwrap();
                        }
                    });
                }
            });
            let mut clients = Vec::new();
            for c in 0..10 {
                clients.push(filch::spawn(async move {
                    let stream = TcpStream::connect(addr).await.unwrap();
                    let (mut ws, _) =
                        async_tungstenite::client_async(format!("ws://{addr}/"), stream)
                            .await
                            .unwrap();
                    for i in 0..20 {
                        let text = format!("client {c} message {i}");
                        ws.send(Message::text(text.clone())).await.unwrap();
                        let echo = ws.next().await.unwrap().unwrap();
                        assert_eq!(echo.into_text().unwrap().as_str(), text);
                    }
                    ws.send(Message::binary(vec![c as u8; 70_000]))
                        .await
                        .unwrap();
                    let echo = ws.next().await.unwrap().unwrap().into_data();
                    assert_eq!(echo.len(), 70_000);
                    assert!(echo.iter().all(|&b| b == c as u8));
                    ws.close(None).await.unwrap();
                }));
            }
            for client in clients {
                client.await.unwrap();
            }
        });
    });
}

#[test]
fn futures_rustls_handshake_and_echo() {
    guard("futures_rustls_handshake_and_echo", || {
        rt().block_on(async {
            let rcgen::CertifiedKey { cert, key_pair } =
                rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
            let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key_pair.serialize_der().into());
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let server_config = rustls::ServerConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(vec![cert.der().clone()], key)
                .unwrap();
            let mut roots = rustls::RootCertStore::empty();
            roots.add(cert.der().clone()).unwrap();
            let client_config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();

            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            filch::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let acceptor = futures_rustls::TlsAcceptor::from(Arc::new(server_config));
                let mut tls = acceptor.accept(stream).await.unwrap();
                let mut buf = vec![0u8; 1024];
                loop {
                    let n = tls.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    tls.write_all(&buf[..n]).await.unwrap();
                }
                tls.close().await.unwrap();
            });
            let connector = futures_rustls::TlsConnector::from(Arc::new(client_config));
            let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
            let stream = TcpStream::connect(addr).await.unwrap();
            let mut tls = connector.connect(name, stream).await.unwrap();
            let message = vec![b'q'; 50_000];
            tls.write_all(&message).await.unwrap();
            let mut echo = vec![0u8; message.len()];
            tls.read_exact(&mut echo).await.unwrap();
            assert_eq!(echo, message);
            tls.close().await.unwrap();
        });
    });
}
