//! `filch::io::copy` and `filch::io::sink` spend the cooperative budget, so a copy between
//! streams that are always ready cannot hold a worker; and they still move the right bytes.

mod common;

use common::HangGuard;

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use filch::io::{AsyncRead, AsyncWriteExt};

/// An endless reader that is always ready and spends no budget, counting the bytes it gives.
struct Endless {
    read: Arc<AtomicU64>,
}

impl AsyncRead for Endless {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        buf.fill(7);
        self.read.fetch_add(buf.len() as u64, Ordering::SeqCst);
        Poll::Ready(Ok(buf.len()))
    }
}

fn one_worker() -> filch::runtime::Runtime {
    filch::runtime::Builder::new()
        .worker_threads(1)
        .build()
        .unwrap()
}

/// Waits (on this thread, outside the runtime) until `count` moves, so the busy task is known
/// to be running on the only worker before the second task is spawned.
fn wait_until_moving(count: &AtomicU64) {
    while count.load(Ordering::SeqCst) == 0 {
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn copy_between_always_ready_streams_yields() {
    let _guard = HangGuard::new("copy_between_always_ready_streams_yields", 60);
    let runtime = one_worker();
    let read = Arc::new(AtomicU64::new(0));
    // futures-lite's sink spends no budget: only `copy` itself can make this task yield.
    let copier = runtime.spawn({
        let read = read.clone();
        async move {
            let mut writer = futures_lite::io::sink();
            filch::io::copy(Endless { read }, &mut writer).await
        }
    });
    wait_until_moving(&read);

    // The only worker is busy copying; this task runs only if the copy yields.
    let other = runtime.spawn(async { 42 });
    let answer = runtime.block_on(other).unwrap();
    assert_eq!(answer, 42);

    // The copy was still going when the other task finished, and goes on afterwards.
    assert!(!copier.is_finished(), "the endless copy cannot have ended");
    let before = read.load(Ordering::SeqCst);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while read.load(Ordering::SeqCst) == before {
        assert!(
            std::time::Instant::now() < deadline,
            "the copy stopped moving"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    copier.abort();
    let stopped = runtime.block_on(copier);
    assert!(stopped.unwrap_err().is_cancelled());
}

#[test]
fn writing_to_a_sink_in_a_loop_yields() {
    let _guard = HangGuard::new("writing_to_a_sink_in_a_loop_yields", 60);
    let runtime = one_worker();
    let written = Arc::new(AtomicU64::new(0));
    let writer = runtime.spawn({
        let written = written.clone();
        async move {
            let mut sink = filch::io::sink();
            // Endless; it ends only with an error (there is none to get from a sink).
            loop {
                if let Err(error) = sink.write_all(&[1; 64]).await {
                    return error;
                }
                written.fetch_add(64, Ordering::SeqCst);
            }
        }
    });
    wait_until_moving(&written);

    let other = runtime.spawn(async { 42 });
    assert_eq!(runtime.block_on(other).unwrap(), 42);

    assert!(
        !writer.is_finished(),
        "the endless writer cannot have ended"
    );
    writer.abort();
    assert!(runtime.block_on(writer).unwrap_err().is_cancelled());
}

#[test]
fn copy_moves_every_byte() {
    let _guard = HangGuard::new("copy_moves_every_byte", 60);
    let runtime = one_worker();
    // Larger than the copy's buffer and than its budget per poll (128 steps of 8 KiB), so the
    // copy spans buffers and yields along the way.
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let expected = data.clone();
    let (copied, out) = runtime
        .block_on(runtime.spawn(async move {
            let mut reader = filch::io::Cursor::new(data);
            let mut out = Vec::new();
            let copied = filch::io::copy(&mut reader, &mut out).await.unwrap();
            (copied, out)
        }))
        .unwrap();
    assert_eq!(copied, expected.len() as u64);
    assert!(out == expected, "the copied bytes differ");

    // An empty reader copies nothing.
    let empty = runtime.block_on(async {
        let mut out = Vec::new();
        let copied = filch::io::copy(&b""[..], &mut out).await.unwrap();
        (copied, out.len())
    });
    assert_eq!(empty, (0, 0));
}

#[test]
fn copy_into_a_sink_counts_the_bytes() {
    let _guard = HangGuard::new("copy_into_a_sink_counts_the_bytes", 60);
    let runtime = one_worker();
    let copied = runtime
        .block_on(runtime.spawn(async {
            let reader = filch::io::Cursor::new(vec![9u8; 100_000]);
            filch::io::copy(reader, &mut filch::io::sink()).await
        }))
        .unwrap()
        .unwrap();
    assert_eq!(copied, 100_000);
}

#[test]
fn sink_reports_the_length_of_every_write() {
    let _guard = HangGuard::new("sink_reports_the_length_of_every_write", 60);
    filch::runtime::Runtime::new().unwrap().block_on(async {
        let mut sink = filch::io::sink();
        assert_eq!(sink.write(b"hello").await.unwrap(), 5);
        assert_eq!(sink.write(b"").await.unwrap(), 0);
        let bufs = [io::IoSlice::new(b"ab"), io::IoSlice::new(b"cde")];
        assert_eq!(sink.write_vectored(&bufs).await.unwrap(), 5);
        sink.flush().await.unwrap();
        sink.close().await.unwrap();
    });
}

/// A writer that accepts nothing ends a copy with `WriteZero` rather than spinning.
#[test]
fn copy_into_a_writer_that_takes_nothing_fails() {
    struct Full;
    impl filch::io::AsyncWrite for Full {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &[u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Ready(Ok(0))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }
    let _guard = HangGuard::new("copy_into_a_writer_that_takes_nothing_fails", 60);
    let error = filch::runtime::Runtime::new()
        .unwrap()
        .block_on(filch::io::copy(&b"data"[..], Full))
        .unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::WriteZero);
}
