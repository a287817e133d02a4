//! [`Rt`] for filch.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use filch::io::prelude::*;

#[cfg(unix)]
use super::UnixRt;
use super::{NetRt, Rt};

/// filch's runtime with `threads` workers and its I/O driver (sockets and timers).
#[derive(Debug, Clone)]
pub struct Filch {
    runtime: Arc<filch::runtime::Runtime>,
    threads: usize,
}

/// A filch [`JoinHandle`](filch::JoinHandle) that yields the task's output and treats a failed
/// task as a bug in the benchmark.
#[derive(Debug)]
pub struct FilchJoin<T>(filch::JoinHandle<T>);

impl<T> Future for FilchJoin<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|result| result.expect("a benchmark task on filch failed"))
    }
}

impl Rt for Filch {
    const NAME: &'static str = "filch";

    type Join<T: Send + 'static> = FilchJoin<T>;

    fn new(threads: usize) -> io::Result<Self> {
        let runtime = filch::runtime::Builder::new()
            .worker_threads(threads)
            .build()?;
        Ok(Filch {
            runtime: Arc::new(runtime),
            threads,
        })
    }

    fn new_current_thread() -> Option<io::Result<Self>> {
        let runtime = match filch::runtime::Builder::new_current_thread().build() {
            Ok(runtime) => runtime,
            Err(error) => return Some(Err(error)),
        };
        Some(Ok(Filch {
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

    fn spawn<F>(&self, future: F) -> FilchJoin<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        FilchJoin(self.runtime.spawn(future))
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        filch::task::yield_now()
    }

    fn sleep(duration: Duration) -> impl Future<Output = ()> + Send {
        filch::time::sleep(duration)
    }
}

impl NetRt for Filch {
    type Listener = filch::net::TcpListener;
    type Stream = filch::net::TcpStream;

    fn bind(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Listener>> + Send {
        filch::net::TcpListener::bind(addr)
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
        AsyncReadExt::read(stream, buf).await
    }

    async fn write_all(stream: &mut Self::Stream, buf: &[u8]) -> io::Result<()> {
        AsyncWriteExt::write_all(stream, buf).await
    }
}

#[cfg(unix)]
impl UnixRt for Filch {
    type Unix = filch::net::UnixStream;

    fn unix_from_std(stream: std::os::unix::net::UnixStream) -> io::Result<Self::Unix> {
        filch::net::UnixStream::from_std(stream)
    }

    async fn read_unix(stream: &mut Self::Unix, buf: &mut [u8]) -> io::Result<usize> {
        AsyncReadExt::read(stream, buf).await
    }
}
