//! A TLS echo server and client on rustls (through futures-rustls, which works on the
//! `futures-io` traits filch's sockets implement), with a self-signed certificate for
//! `localhost` made at start-up by `rcgen`.
//!
//! ```text
//! cargo run -p filch --example tls_echo
//! ```
//!
//! rustls runs on the `ring` crypto provider. With the `tokio-io` feature, tokio-rustls takes
//! filch sockets the same way (`tokio_rustls::TlsAcceptor::accept(filch_stream)`).

use std::sync::Arc;

use futures_rustls::{TlsAcceptor, TlsConnector};
use rustls::pki_types::{PrivateKeyDer, ServerName};

use filch::io::prelude::*;
use filch::net::{TcpListener, TcpStream};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// A fresh self-signed certificate for `localhost`: the server's config, and a client config
/// that trusts exactly that certificate.
fn configs() -> Result<(rustls::ServerConfig, rustls::ClientConfig), Error> {
    let rcgen::CertifiedKey { cert, key_pair } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
    let key = PrivateKeyDer::Pkcs8(key_pair.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)?;
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der().clone())?;
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok((server, client))
}

#[filch::main]
async fn main() -> Result<(), Error> {
    let (server_config, client_config) = configs()?;
    let acceptor = TlsAcceptor::from(Arc::new(server_config));
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    println!("TLS echo server on {addr}");

    filch::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            filch::spawn(async move {
                let result = async {
                    let mut tls = acceptor.accept(stream).await?;
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        let n = tls.read(&mut buf).await?;
                        if n == 0 {
                            break;
                        }
                        tls.write_all(&buf[..n]).await?;
                    }
                    tls.close().await
                }
                .await;
                if let Err(error) = result {
                    eprintln!("{peer}: {error}");
                }
            });
        }
    });

    let connector = TlsConnector::from(Arc::new(client_config));
    let stream = TcpStream::connect(addr).await?;
    let mut tls = connector
        .connect(ServerName::try_from("localhost")?, stream)
        .await?;
    let (_, session) = tls.get_ref();
    println!(
        "handshake done: {:?}, {:?}",
        session.protocol_version(),
        session.negotiated_cipher_suite().map(|s| s.suite())
    );
    for message in ["hello over TLS", "a second line", "and a third"] {
        tls.write_all(message.as_bytes()).await?;
        let mut echo = vec![0u8; message.len()];
        tls.read_exact(&mut echo).await?;
        if echo != message.as_bytes() {
            return Err(format!("echo of {message:?} came back as {echo:?}").into());
        }
        println!("echoed: {message}");
    }
    tls.close().await?;
    Ok(())
}
