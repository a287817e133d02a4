//! An HTTP server on hyper 1.x, speaking HTTP/1.1 and HTTP/2 (cleartext, "prior knowledge") on
//! one port: hyper-util's auto builder tells them apart by the first bytes of a connection.
//!
//! Needs the `hyper` feature: filch's `TcpStream` goes to hyper as it is, and
//! `filch::hyper::{Executor, Timer}` run HTTP/2's background work.
//!
//! ```text
//! cargo run -p filch --example http_server --features hyper          # 127.0.0.1:3000
//! curl http://127.0.0.1:3000/                                         # HTTP/1.1
//! curl --http2-prior-knowledge http://127.0.0.1:3000/                 # HTTP/2
//! curl --data-binary 'some text' http://127.0.0.1:3000/echo           # the body comes back
//! ```

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::server::conn::auto;

use filch::net::TcpListener;

type Body = BoxBody<Bytes, hyper::Error>;

fn full(text: impl Into<Bytes>) -> Body {
    Full::new(text.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}

/// `GET /` says hello and which protocol it was asked in; `POST /echo` streams the request body
/// back; anything else is 404.
async fn handle(req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let response = match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => {
            Response::new(full(format!("Hello from filch over {:?}\n", req.version())))
        }
        (&Method::POST, "/echo") => Response::new(req.into_body().boxed()),
        _ => {
            let mut not_found = Response::new(full("not found\n"));
            *not_found.status_mut() = StatusCode::NOT_FOUND;
            not_found
        }
    };
    Ok(response)
}

#[filch::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_string());
    let listener = TcpListener::bind(addr).await?;
    println!(
        "http_server listening on http://{}/ (HTTP/1.1 and HTTP/2)",
        listener.local_addr()?
    );

    let mut builder = auto::Builder::new(filch::hyper::Executor);
    builder.http1().timer(filch::hyper::Timer);
    builder.http2().timer(filch::hyper::Timer);

    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of descriptors and the like: report, and keep serving.
                eprintln!("accept: {error}");
                filch::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let builder = builder.clone();
        filch::spawn(async move {
            let service = hyper::service::service_fn(handle);
            if let Err(error) = builder.serve_connection(stream, service).await {
                eprintln!("{peer}: {error}");
            }
        });
    }
}
