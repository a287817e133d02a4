//! TCP over loopback.

mod common;

use std::io;
use std::net::Shutdown;
use std::time::Duration;

use common::{bytes, guard, runtime};
use filch_executor::spawn;
use filch_io::net::{TcpListener, TcpStream};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

const CLIENTS: usize = 1000;
const PAYLOAD: usize = 64 * 1024;

/// A thousand concurrent clients each send 64 KiB of random bytes to an echo server and check
/// every byte that comes back.
#[test]
fn thousand_clients_echo_64k() {
    guard(move || {
        let rt = runtime(2);
        let started = std::time::Instant::now();
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let server = spawn(async move {
                let mut handlers = Vec::with_capacity(CLIENTS);
                for _ in 0..CLIENTS {
                    let (mut stream, _) = listener.accept().await?;
                    handlers.push(spawn(async move {
                        let (mut reader, mut writer) = stream.split();
                        futures_lite::io::copy(&mut reader, &mut writer).await?;
                        writer.close().await
                    }));
                }
                for handler in handlers {
                    handler.await.expect("echo handler panicked")?;
                }
                io::Result::Ok(())
            });

            let mut clients = Vec::with_capacity(CLIENTS);
            for i in 0..CLIENTS {
                clients.push(spawn(async move {
                    let payload = bytes(&mut fastrand::Rng::with_seed(i as u64 + 1), PAYLOAD);
                    let stream = TcpStream::connect(addr).await?;
                    let (mut reader, mut writer) = stream.into_split();
                    let sent = payload.clone();
                    let send = spawn(async move {
                        writer.write_all(&sent).await?;
                        writer.close().await
                    });
                    let mut echoed = Vec::with_capacity(PAYLOAD);
                    reader.read_to_end(&mut echoed).await?;
                    send.await.expect("sender panicked")?;
                    assert_eq!(echoed.len(), PAYLOAD, "client {i}: short echo");
                    if echoed != payload {
                        let at = echoed.iter().zip(&payload).position(|(a, b)| a != b);
                        panic!("client {i}: echo differs at byte {at:?}");
                    }
                    io::Result::Ok(())
                }));
            }
            for client in clients {
                client.await.expect("client panicked")?;
            }
            server.await.expect("server panicked")
        })
        .unwrap();
        let elapsed = started.elapsed();
        // Informational only (not asserted): total bytes moved both ways.
        eprintln!(
            "echoed {} MiB in {:?} ({:.1} MiB/s each way)",
            (CLIENTS * PAYLOAD) >> 20,
            elapsed,
            (CLIENTS * PAYLOAD) as f64 / (1 << 20) as f64 / elapsed.as_secs_f64()
        );
    })
}

#[test]
fn half_close_lets_the_peer_finish() {
    guard(move || {
        let rt = runtime(2);
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let mut client = TcpStream::connect(listener.local_addr()?).await?;
            let (mut server, _) = listener.accept().await?;

            client.write_all(b"request").await?;
            client.shutdown(Shutdown::Write)?;

            // The server sees end-of-file after the request...
            let mut request = Vec::new();
            server.read_to_end(&mut request).await?;
            assert_eq!(request, b"request");
            // ...and can still answer on its own write side.
            server.write_all(b"response").await?;
            server.close().await?;

            let mut response = Vec::new();
            client.read_to_end(&mut response).await?;
            assert_eq!(response, b"response");
            io::Result::Ok(())
        })
        .unwrap();
    })
}

#[test]
fn connect_to_closed_port_is_refused() {
    guard(move || {
        let rt = runtime(1);
        rt.block_on(async {
            // Bind then drop to find a port that nobody listens on.
            let port = {
                let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                l.local_addr().unwrap().port()
            };
            let err = TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused, "{err}");
        });
    })
}

#[test]
fn read_after_peer_closes_returns_zero() {
    guard(move || {
        let rt = runtime(1);
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let mut client = TcpStream::connect(listener.local_addr()?).await?;
            let (server, _) = listener.accept().await?;
            let reader = spawn(async move {
                let mut buf = [0; 16];
                let n = client.read(&mut buf).await?;
                io::Result::Ok((n, client.read(&mut buf).await?))
            });
            // Let the reader block first, then close.
            filch_io::time::sleep(Duration::from_millis(10)).await;
            drop(server);
            assert_eq!(reader.await.unwrap()?, (0, 0));
            io::Result::Ok(())
        })
        .unwrap();
    })
}

#[test]
fn owned_halves_in_different_tasks_and_reunite() {
    guard(move || {
        let rt = runtime(2);
        rt.block_on(async {
            let listener = TcpListener::bind("localhost:0").await?;
            let client = TcpStream::connect(listener.local_addr()?).await?;
            let (server, _) = listener.accept().await?;
            let (mut server_read, mut server_write) = server.into_split();
            // Echo within the server using two tasks.
            let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
            let pump = spawn(async move {
                let mut buf = vec![0; 1024];
                loop {
                    let n = server_read.read(&mut buf).await?;
                    if n == 0 {
                        return io::Result::Ok(server_read);
                    }
                    tx.send(buf[..n].to_vec()).unwrap();
                }
            });
            let (mut client_read, mut client_write) = client.into_split();
            client_write.write_all(b"0123456789").await?;
            client_write.close().await?;
            let server_read = pump.await.unwrap()?;
            let got: Vec<u8> = rx.try_iter().flatten().collect();
            assert_eq!(got, b"0123456789");
            server_write.write_all(b"ok").await?;
            let server = server_read.reunite(server_write).expect("same stream");
            drop(server);
            let mut reply = Vec::new();
            client_read.read_to_end(&mut reply).await?;
            assert_eq!(reply, b"ok");
            // Halves of different streams do not reunite.
            let other = TcpStream::connect(listener.local_addr()?).await?;
            let (_, other_write) = other.into_split();
            assert!(client_read.reunite(other_write).is_err());
            io::Result::Ok(())
        })
        .unwrap();
    })
}

#[test]
fn readiness_and_try_io_peek_nodelay() {
    guard(move || {
        let rt = runtime(1);
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let client = TcpStream::connect(listener.local_addr()?).await?;
            let (server, peer) = listener.accept().await?;
            assert_eq!(peer, client.local_addr()?);
            assert_eq!(client.peer_addr()?, listener.local_addr()?);

            client.set_nodelay(true)?;
            assert!(client.nodelay()?);

            let mut buf = [0; 8];
            assert_eq!(
                client.try_read(&mut buf).unwrap_err().kind(),
                io::ErrorKind::WouldBlock
            );
            server.writable().await?;
            assert_eq!(server.try_write(b"peek")?, 4);
            assert_eq!(client.peek(&mut buf).await?, 4);
            assert_eq!(&buf[..4], b"peek");
            // Peeking left the data in place.
            client.readable().await?;
            assert_eq!(client.try_read(&mut buf)?, 4);
            assert_eq!(&buf[..4], b"peek");
            io::Result::Ok(())
        })
        .unwrap();
    })
}

#[test]
fn std_conversions_round_trip() {
    guard(move || {
        let rt = runtime(1);
        rt.block_on(async {
            let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            let listener = TcpListener::from_std(std_listener)?;
            let addr = listener.local_addr()?;
            let std_client = std::net::TcpStream::connect(addr)?;
            let (accepted, _) = listener.accept().await?;
            let mut client = TcpStream::from_std(std_client)?;
            client.write_all(b"through std").await?;
            let std_accepted = accepted.into_std()?;
            std_accepted.set_nonblocking(false)?;
            let mut buf = [0; 11];
            std::io::Read::read_exact(&mut &std_accepted, &mut buf)?;
            assert_eq!(&buf, b"through std");
            let back = listener.into_std()?;
            assert_eq!(back.local_addr()?, addr);
            io::Result::Ok(())
        })
        .unwrap();
    })
}

#[test]
fn several_tasks_accept_on_one_listener() {
    guard(move || {
        let rt = runtime(2);
        rt.block_on(async {
            let listener = std::sync::Arc::new(TcpListener::bind("127.0.0.1:0").await?);
            let addr = listener.local_addr()?;
            let acceptors: Vec<_> = (0..4)
                .map(|_| {
                    let listener = listener.clone();
                    spawn(async move { listener.accept().await.map(drop) })
                })
                .collect();
            // Give all four time to wait, then connect four times: every acceptor must be woken.
            filch_io::time::sleep(Duration::from_millis(10)).await;
            let mut clients = Vec::new();
            for _ in 0..4 {
                clients.push(TcpStream::connect(addr).await?);
            }
            for acceptor in acceptors {
                acceptor.await.unwrap()?;
            }
            io::Result::Ok(())
        })
        .unwrap();
    })
}

#[test]
fn socket_outside_runtime_says_what_to_do() {
    guard(move || {
        let err = futures_lite::future::block_on(TcpListener::bind("127.0.0.1:0")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("filch runtime"), "{msg}");

        let rt = filch_executor::runtime::Runtime::new().unwrap();
        let err = rt
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("filch_io::new_driver"), "{err}");
    })
}

#[test]
fn operations_fail_after_runtime_shutdown() {
    guard(move || {
        let rt = runtime(1);
        let (listener, client) = rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            (listener, client)
        });
        drop(rt);
        let err = futures_lite::future::block_on(listener.accept()).unwrap_err();
        assert!(err.to_string().contains("shut down"), "{err}");
        let mut client = client;
        let err = futures_lite::future::block_on(client.read(&mut [0; 4])).unwrap_err();
        assert!(err.to_string().contains("shut down"), "{err}");
    })
}

/// Data and the end of stream arrive together, before the reader looks: the first read is short
/// (3 bytes into a 64-byte buffer) and the next one must still see the end of stream. A driver
/// that cleared readiness after the short read would wait for an edge that never comes.
#[test]
fn end_of_stream_arriving_with_the_last_data_is_seen_after_a_short_read() {
    guard(move || {
        let rt = runtime(2);
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let watchdog = {
            let done = done.clone();
            std::thread::spawn(move || {
                for _ in 0..300 {
                    if done.load(std::sync::atomic::Ordering::SeqCst) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                eprintln!("the read after a short read never saw the end of stream (30 s)");
                std::process::exit(1);
            })
        };
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut client = TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            server.write_all(b"abc").await.unwrap();
            server.shutdown(Shutdown::Write).unwrap();
            // Let the data and the FIN both arrive before the first read.
            std::thread::sleep(Duration::from_millis(50));
            let mut buf = [0u8; 64];
            assert_eq!(client.read(&mut buf).await.unwrap(), 3);
            assert_eq!(client.read(&mut buf).await.unwrap(), 0);
        });
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        watchdog.join().unwrap();
    })
}

/// The flags of `fd`: (`F_GETFL`, `F_GETFD`).
fn fd_flags(fd: &impl std::os::fd::AsRawFd) -> (i32, i32) {
    // SAFETY: F_GETFL/F_GETFD on a descriptor the caller holds open; no memory is passed.
    let flags = unsafe {
        (
            libc::fcntl(fd.as_raw_fd(), libc::F_GETFL),
            libc::fcntl(fd.as_raw_fd(), libc::F_GETFD),
        )
    };
    assert!(
        flags.0 >= 0 && flags.1 >= 0,
        "fcntl: {}",
        io::Error::last_os_error()
    );
    flags
}

/// A stream from `TcpListener::accept` / `UnixListener::accept` (and their `poll_accept`) is
/// non-blocking and close-on-exec, made so by the accept itself (`accept4` on Linux), and it
/// reads and writes through the runtime.
#[test]
fn accepted_streams_are_nonblocking_and_close_on_exec() {
    guard(move || {
        let rt = runtime(1);
        rt.block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let mut client = TcpStream::connect(listener.local_addr()?).await?;
            let (mut stream, peer) = listener.accept().await?;
            assert_eq!(peer, client.local_addr()?);
            let (fl, fd) = fd_flags(&stream);
            assert_ne!(fl & libc::O_NONBLOCK, 0, "accepted TCP stream is blocking");
            assert_ne!(
                fd & libc::FD_CLOEXEC,
                0,
                "accepted TCP stream lacks FD_CLOEXEC"
            );
            client.write_all(b"ping").await?;
            let mut buf = [0; 4];
            stream.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"ping");

            let _second = TcpStream::connect(listener.local_addr()?).await?;
            let (stream, _) = std::future::poll_fn(|cx| listener.poll_accept(cx)).await?;
            let (fl, fd) = fd_flags(&stream);
            assert_ne!(fl & libc::O_NONBLOCK, 0, "poll_accept: blocking stream");
            assert_ne!(fd & libc::FD_CLOEXEC, 0, "poll_accept: no FD_CLOEXEC");

            let path =
                std::env::temp_dir().join(format!("filch-accepted-flags-{}", std::process::id()));
            let _ = std::fs::remove_file(&path);
            let listener = filch_io::net::UnixListener::bind(&path)?;
            let _client = filch_io::net::UnixStream::connect(&path).await?;
            let (stream, peer) = listener.accept().await?;
            assert!(peer.is_unnamed(), "{peer:?}");
            let (fl, fd) = fd_flags(&stream);
            assert_ne!(fl & libc::O_NONBLOCK, 0, "accepted Unix stream is blocking");
            assert_ne!(
                fd & libc::FD_CLOEXEC,
                0,
                "accepted Unix stream lacks FD_CLOEXEC"
            );
            let _ = std::fs::remove_file(&path);
            io::Result::Ok(())
        })
        .unwrap();
    });
}
