//! hyper 1.x on filch with no glue (feature `hyper`, off by default).
//!
//! ```toml
//! filch = { version = "0.1", features = ["hyper"] }
//! ```
//!
//! With the feature on:
//!
//! * [`TcpStream`](crate::net::TcpStream), [`UnixStream`](crate::net::UnixStream) and their
//!   split halves implement `hyper::rt::Read` and `hyper::rt::Write`: hand them to hyper's
//!   `serve_connection`, `handshake` or hyper-util's auto builder as they are (no `TokioIo`
//!   wrapper). Reads fill hyper's uninitialised buffer without zeroing it.
//! * [`Executor`] implements `hyper::rt::Executor` (spawning on the current runtime, like
//!   [`spawn`](crate::spawn)) and [`Timer`] implements `hyper::rt::Timer` on filch's timer
//!   wheel; HTTP/2 needs both.
//! * [`Connector`] is a `tower_service::Service<http::Uri>` returning a filch `TcpStream`, which
//!   implements hyper-util's `Connection`, so
//!   `hyper_util::client::legacy::Client::builder(filch::hyper::Executor).build(filch::hyper::Connector::new())`
//!   is a pooled HTTP client.
//!
//! [`Executor`] and [`Timer`] use the runtime current where hyper calls them (hyper calls them
//! from the tasks that drive connections and requests). [`Connector`] speaks plain `http`; an
//! `https` URI fails with an `InvalidInput` error that says so.
//!
//! A server and a pooled client, both on filch:
//!
//! ```
//! use std::convert::Infallible;
//! use bytes::Bytes;
//! use http_body_util::{BodyExt, Full};
//! use hyper::{Request, Response};
//! use hyper_util::client::legacy::Client;
//! use filch::net::TcpListener;
//!
//! #[filch::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     filch::spawn(async move {
//!         loop {
//!             let (stream, _) = listener.accept().await.unwrap();
//!             filch::spawn(async move {
//!                 let service = hyper::service::service_fn(|_req: Request<hyper::body::Incoming>| async {
//!                     Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("hello"))))
//!                 });
//!                 let _ = hyper::server::conn::http1::Builder::new()
//!                     .serve_connection(stream, service)
//!                     .await;
//!             });
//!         }
//!     });
//!
//!     let client = Client::builder(filch::hyper::Executor)
//!         .timer(filch::hyper::Timer)
//!         .build::<_, Full<Bytes>>(filch::hyper::Connector::new());
//!     let response = client.get(format!("http://{addr}/").parse()?).await?;
//!     let body = response.into_body().collect().await?.to_bytes();
//!     assert_eq!(body, "hello");
//!     Ok(())
//! }
//! ```
//!
//! The types are defined in the `filch-io` crate (Rust's orphan rule puts the trait impls next
//! to the socket types); this module re-exports them.

pub use filch_io::compat::hyper::{Connecting, Connector, Executor, Timer};
