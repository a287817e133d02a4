//! What the six socket types get from the code they share (`net/socket.rs`): `Debug`, `accept`
//! and `poll_accept` handing back a working stream, datagram `send`/`recv`/`recv_from`, and the
//! error each constructor gives outside a runtime.

use std::future::poll_fn;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use filch_executor::runtime::{Builder, Runtime};
use filch_io::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

/// Aborts the process, naming the test, if the returned guard is not dropped within 60 s.
fn hang_guard(test: &'static str) -> impl Drop {
    struct Guard(Arc<AtomicBool>);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let done = Arc::new(AtomicBool::new(false));
    let seen = done.clone();
    std::thread::spawn(move || {
        for _ in 0..600 {
            std::thread::sleep(Duration::from_millis(100));
            if seen.load(Ordering::SeqCst) {
                return;
            }
        }
        // Straight to stderr: `eprintln!` in a test's thread is captured, and lost on abort.
        let _ = writeln!(io::stderr(), "{test}: still running after 60 s; aborting");
        std::process::abort();
    });
    Guard(done)
}

fn runtime() -> Runtime {
    Builder::new()
        .worker_threads(2)
        .driver(filch_io::new_driver)
        .build()
        .expect("building a runtime with the I/O driver")
}

fn socket_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("filch-io-shared-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

/// Asserts that `result` (a `try_read` with nothing sent) says `WouldBlock`: the accepted socket
/// is non-blocking (a blocking one would hang here, and the hang guard names the test).
fn would_block(result: io::Result<usize>) {
    assert_eq!(result.unwrap_err().kind(), io::ErrorKind::WouldBlock);
}

/// Writes `msg` on `from` and reads it back on `to`.
async fn carries<A, B>(from: &mut A, to: &mut B, msg: &[u8]) -> io::Result<()>
where
    A: futures_lite::AsyncWrite + Unpin,
    B: futures_lite::AsyncRead + Unpin,
{
    from.write_all(msg).await?;
    let mut buf = vec![0; msg.len()];
    to.read_exact(&mut buf).await?;
    assert_eq!(buf, msg);
    Ok(())
}

#[test]
fn debug_names_the_type_descriptor_and_addresses() {
    let _guard = hang_guard("debug_names_the_type_descriptor_and_addresses");
    runtime()
        .block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let client = TcpStream::connect(addr).await?;
            let udp = UdpSocket::bind("127.0.0.1:0").await?;
            let path = socket_path("debug.sock");
            let unix_listener = UnixListener::bind(&path)?;
            let (unix_stream, _) = UnixStream::pair()?;
            let datagram = UnixDatagram::unbound()?;

            let listener_debug = format!("{listener:?}");
            assert!(
                listener_debug.starts_with("TcpListener { fd: "),
                "{listener_debug}"
            );
            assert!(listener_debug.contains(&format!("local_addr: Some({addr:?})")));
            assert!(!listener_debug.contains("peer_addr"), "{listener_debug}");

            let client_debug = format!("{client:?}");
            assert!(
                client_debug.starts_with("TcpStream { fd: "),
                "{client_debug}"
            );
            assert!(client_debug.contains(&format!("peer_addr: Some({addr:?})")));

            for (debug, name, has_peer) in [
                (format!("{udp:?}"), "UdpSocket", false),
                (format!("{unix_listener:?}"), "UnixListener", false),
                (format!("{unix_stream:?}"), "UnixStream", true),
                (format!("{datagram:?}"), "UnixDatagram", false),
            ] {
                assert!(debug.starts_with(&format!("{name} {{ fd: ")), "{debug}");
                assert!(debug.contains("local_addr: "), "{debug}");
                assert_eq!(debug.contains("peer_addr: "), has_peer, "{debug}");
            }
            std::fs::remove_file(&path)?;
            io::Result::Ok(())
        })
        .unwrap();
}

#[test]
fn accepted_streams_work_for_accept_and_poll_accept() {
    let _guard = hang_guard("accepted_streams_work_for_accept_and_poll_accept");
    runtime()
        .block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let mut first = TcpStream::connect(addr).await?;
            let (mut accepted, peer) = listener.accept().await?;
            assert_eq!(peer, first.local_addr()?);
            would_block(accepted.try_read(&mut [0; 8]));
            carries(&mut first, &mut accepted, b"accept").await?;
            let mut second = TcpStream::connect(addr).await?;
            let (mut polled, peer) = poll_fn(|cx| listener.poll_accept(cx)).await?;
            assert_eq!(peer, second.local_addr()?);
            would_block(polled.try_read(&mut [0; 8]));
            carries(&mut polled, &mut second, b"poll_accept").await?;

            let path = socket_path("accept.sock");
            let listener = UnixListener::bind(&path)?;
            let mut first = UnixStream::connect(&path).await?;
            let (mut accepted, _) = listener.accept().await?;
            would_block(accepted.try_read(&mut [0; 8]));
            carries(&mut accepted, &mut first, b"unix accept").await?;
            let mut second = UnixStream::connect(&path).await?;
            let (mut polled, _) = poll_fn(|cx| listener.poll_accept(cx)).await?;
            would_block(polled.try_read(&mut [0; 8]));
            carries(&mut second, &mut polled, b"unix poll_accept").await?;
            std::fs::remove_file(&path)?;
            io::Result::Ok(())
        })
        .unwrap();
}

#[test]
fn datagrams_send_recv_and_recv_from() {
    let _guard = hang_guard("datagrams_send_recv_and_recv_from");
    runtime()
        .block_on(async {
            let a_path = socket_path("datagram-a.sock");
            let a = UnixDatagram::bind(&a_path)?;
            let b = UnixDatagram::unbound()?;
            b.connect(&a_path)?;
            // `recv` waits: the datagram is sent only after it has started waiting.
            let sender = filch_executor::spawn(async move {
                filch_io::time::sleep(Duration::from_millis(20)).await;
                b.send(b"late").await
            });
            let mut buf = [0; 16];
            assert_eq!(a.recv(&mut buf).await?, 4);
            assert_eq!(&buf[..4], b"late");
            assert_eq!(sender.await.unwrap()?, 4);

            let (c, d) = UnixDatagram::pair()?;
            c.send(b"from c").await?;
            let (n, _from) = d.recv_from(&mut buf).await?;
            assert_eq!(&buf[..n], b"from c");
            std::fs::remove_file(&a_path)?;

            let x = UdpSocket::bind("127.0.0.1:0").await?;
            let y = UdpSocket::bind("127.0.0.1:0").await?;
            x.connect(y.local_addr()?).await?;
            x.send(b"udp").await?;
            let (n, from) = y.recv_from(&mut buf).await?;
            assert_eq!((&buf[..n], from), (&b"udp"[..], x.local_addr()?));
            io::Result::Ok(())
        })
        .unwrap();
}

#[test]
fn constructors_outside_a_runtime_name_the_type() {
    let message = |result: io::Result<()>| result.unwrap_err().to_string();
    let inside = "must be used inside a filch runtime";

    let std_stream = std::os::unix::net::UnixStream::pair().unwrap().0;
    let error = message(UnixStream::from_std(std_stream).map(drop));
    assert!(error.starts_with("`UnixStream` "), "{error}");
    assert!(error.contains(inside), "{error}");

    let error = message(UnixStream::pair().map(drop));
    assert!(error.starts_with("`UnixStream` "), "{error}");
    let error = message(UnixDatagram::pair().map(drop));
    assert!(error.starts_with("`UnixDatagram` "), "{error}");
    let error = message(UnixDatagram::unbound().map(drop));
    assert!(error.starts_with("`UnixDatagram` "), "{error}");

    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let std_stream = std::net::TcpStream::connect(std_listener.local_addr().unwrap()).unwrap();
    let error = message(TcpListener::from_std(std_listener).map(drop));
    assert!(error.starts_with("`TcpListener` "), "{error}");
    let error = message(TcpStream::from_std(std_stream).map(drop));
    assert!(error.starts_with("`TcpStream::from_std` "), "{error}");
    let std_udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let error = message(UdpSocket::from_std(std_udp).map(drop));
    assert!(error.starts_with("`UdpSocket` "), "{error}");
    let path = socket_path("outside.sock");
    let std_unix_listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let error = message(UnixListener::from_std(std_unix_listener).map(drop));
    assert!(error.starts_with("`UnixListener` "), "{error}");
    std::fs::remove_file(&path).unwrap();
}
