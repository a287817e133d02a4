//! [`Rt`] for smol: an `async-executor` run by `N` threads, with `async-io` for sockets and
//! timers, the way smol's own documentation builds a multi-threaded executor.

use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::{Async, Executor};

use super::{NetRt, Rt};

/// An [`Executor`] run by `threads` threads, each in `async_io::block_on(executor.run(..))`, so
/// an idle worker drives the `async-io` reactor as smol intends.
#[derive(Debug, Clone)]
pub struct Smol {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    executor: Arc<Executor<'static>>,
    threads: usize,
    /// Closed on drop; every worker's `run` future completes when it sees the channel closed.
    stop: async_channel::Sender<()>,
    workers: Mutex<Vec<thread::JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop.close();
        let workers = match self.workers.get_mut() {
            Ok(workers) => std::mem::take(workers),
            Err(poisoned) => std::mem::take(poisoned.into_inner()),
        };
        for worker in workers {
            // A worker that panicked has already printed its message; nothing more to do here.
            let _ = worker.join();
        }
    }
}

/// A smol task handle that detaches the task when dropped (smol's own `Task` cancels it).
#[derive(Debug)]
pub struct SmolJoin<T>(Option<smol::Task<T>>);

impl<T> Future for SmolJoin<T> {
    type Output = T;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<T> {
        let task = self
            .0
            .as_mut()
            .expect("a smol join handle was polled after it completed");
        let output = std::task::ready!(std::pin::Pin::new(task).poll(cx));
        self.0 = None;
        std::task::Poll::Ready(output)
    }
}

impl<T> Drop for SmolJoin<T> {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.detach();
        }
    }
}

impl Rt for Smol {
    const NAME: &'static str = "smol";

    type Join<T: Send + 'static> = SmolJoin<T>;

    fn new(threads: usize) -> io::Result<Self> {
        let executor = Arc::new(Executor::new());
        let (stop, stopped) = async_channel::bounded::<()>(1);
        let mut workers = Vec::with_capacity(threads);
        for index in 0..threads {
            let executor = executor.clone();
            let stopped = stopped.clone();
            let worker = thread::Builder::new()
                .name(format!("smol-worker-{index}"))
                .spawn(move || {
                    let _ = smol::block_on(executor.run(stopped.recv()));
                })?;
            workers.push(worker);
        }
        Ok(Smol {
            inner: Arc::new(Inner {
                executor,
                threads,
                stop,
                workers: Mutex::new(workers),
            }),
        })
    }

    fn worker_threads(&self) -> usize {
        self.inner.threads
    }

    fn block_on<F: Future>(&self, future: F) -> F::Output {
        smol::block_on(future)
    }

    fn spawn<F>(&self, future: F) -> SmolJoin<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        SmolJoin(Some(self.inner.executor.spawn(future)))
    }

    fn yield_now() -> impl Future<Output = ()> + Send {
        smol::future::yield_now()
    }

    async fn sleep(duration: Duration) {
        smol::Timer::after(duration).await;
    }
}

impl NetRt for Smol {
    type Listener = Async<TcpListener>;
    type Stream = Async<TcpStream>;

    async fn bind(addr: SocketAddr) -> io::Result<Self::Listener> {
        Async::<TcpListener>::bind(addr)
    }

    fn local_addr(listener: &Self::Listener) -> io::Result<SocketAddr> {
        listener.get_ref().local_addr()
    }

    async fn accept(listener: &Self::Listener) -> io::Result<Self::Stream> {
        let (stream, _) = listener.accept().await?;
        stream.get_ref().set_nodelay(true)?;
        Ok(stream)
    }

    async fn read(stream: &mut Self::Stream, buf: &mut [u8]) -> io::Result<usize> {
        AsyncReadExt::read(stream, buf).await
    }

    async fn write_all(stream: &mut Self::Stream, buf: &[u8]) -> io::Result<()> {
        AsyncWriteExt::write_all(stream, buf).await
    }
}
