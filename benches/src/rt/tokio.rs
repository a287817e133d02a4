//! [`Rt`] for tokio's multi-thread runtime.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[cfg(unix)]
use super::UnixRt;
use super::{NetRt, Rt};

/// tokio's multi-thread runtime with `threads` workers, I/O and timers enabled.
#[derive(Debug, Clone)]
pub struct Tokio {
    runtime: Arc<tokio::runtime::Runtime>,
    threads: usize,
}

/// A tokio [`JoinHandle`](tokio::task::JoinHandle) that yields the task's output and treats a
/// failed task as a bug in the benchmark.
#[derive(Debug)]
pub struct TokioJoin<T>(tokio::task::JoinHandle<T>);

impl<T> Future for TokioJoin<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|result| result.expect("a benchmark task on tokio failed"))
    }
}

impl Rt for Tokio {
    const NAME: &'static str = "tokio";

    type Join<T: Send + 'static> = TokioJoin<T>;

    fn new(threads: usize) -> io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()?;
        Ok(Tokio {
            runtime: Arc::new(runtime),
            threads,
        })
    }

    fn new_current_thread() -> Option<io::Result<Self>> {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => return Some(Err(error)),
        };
        Some(Ok(Tokio {
            runtime: Arc::new(runtime),
            threads: 1,
        }))
    }

    fn worker_threads(&self) -> usize {
        self.threads
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    fn spawn<F>(&self, future: F) -> TokioJoin<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        TokioJoin(self.runtime.spawn(future))
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(duration)
    }
}

impl NetRt for Tokio {
    type Listener = tokio::net::TcpListener;
    type Stream = tokio::net::TcpStream;

    fn bind(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Listener>> + Send {
        tokio::net::TcpListener::bind(addr)
    }

    fn local_addr(listener: &Self::Listener) -> io::Result<SocketAddr> {
        listener.local_addr()
    }

    async fn accept(listener: &Self::Listener) -> io::Result<Self::Stream> {
        let (stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        Ok(stream)
    }

    async fn read(stream: &mut Self::Stream, buf: &mut [u8]) -> io::Result<usize> {
        stream.read(buf).await
    }

    async fn write_all(stream: &mut Self::Stream, buf: &[u8]) -> io::Result<()> {
        AsyncWriteExt::write_all(stream, buf).await
    }
}

#[cfg(unix)]
impl UnixRt for Tokio {
    type Unix = tokio::net::UnixStream;

    fn unix_from_std(stream: std::os::unix::net::UnixStream) -> io::Result<Self::Unix> {
        stream.set_nonblocking(true)?;
        tokio::net::UnixStream::from_std(stream)
    }

    async fn read_unix(stream: &mut Self::Unix, buf: &mut [u8]) -> io::Result<usize> {
        stream.read(buf).await
    }
}
