//! UDP and Unix domain sockets.

mod common;

use std::io;
use std::sync::Arc;

use common::{bytes, guard, runtime, socket_path};
use filch_executor::spawn;
use filch_io::net::{UdpSocket, UnixDatagram, UnixListener, UnixStream};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

#[test]
fn udp_echo() {
    guard(move || {
        let rt = runtime(2);
        rt.block_on(async {
            let server = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
            let server_addr = server.local_addr()?;
            let echo = {
                let server = server.clone();
                spawn(async move {
                    let mut buf = [0; 2048];
                    for _ in 0..100 {
                        let (n, from) = server.recv_from(&mut buf).await?;
                        server.send_to(&buf[..n], from).await?;
                    }
                    io::Result::Ok(())
                })
            };
            let client = UdpSocket::bind("127.0.0.1:0").await?;
            client.connect(server_addr).await?;
            assert_eq!(client.peer_addr()?, server_addr);
            let mut rng = fastrand::Rng::with_seed(5);
            let mut buf = [0; 2048];
            for i in 0..100 {
                let datagram = bytes(&mut rng, 1 + i * 13);
                assert_eq!(client.send(&datagram).await?, datagram.len());
                let n = client.recv(&mut buf).await?;
                assert_eq!(&buf[..n], &datagram[..]);
            }
            echo.await.unwrap()
        })
        .unwrap();
    })
}

#[test]
fn udp_peek_from_keeps_the_datagram() {
    guard(move || {
        let rt = runtime(1);
        rt.block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").await?;
            let b = UdpSocket::bind("127.0.0.1:0").await?;
            a.send_to(b"peekaboo", b.local_addr()?).await?;
            let mut buf = [0; 16];
            let (n, from) = b.peek_from(&mut buf).await?;
            assert_eq!((&buf[..n], from), (&b"peekaboo"[..], a.local_addr()?));
            let (n, _) = b.recv_from(&mut buf).await?;
            assert_eq!(&buf[..n], b"peekaboo");
            assert_eq!(
                b.try_recv_from(&mut buf).unwrap_err().kind(),
                io::ErrorKind::WouldBlock
            );
            io::Result::Ok(())
        })
        .unwrap();
    })
}

#[test]
fn unix_stream_echo_through_listener() {
    guard(move || {
        let rt = runtime(2);
        let path = socket_path("echo.sock");
        rt.block_on(async {
            let listener = UnixListener::bind(&path)?;
            let server = spawn(async move {
                let mut handlers = Vec::new();
                for _ in 0..20 {
                    let (mut stream, _) = listener.accept().await?;
                    handlers.push(spawn(async move {
                        let (mut r, mut w) = stream.split();
                        futures_lite::io::copy(&mut r, &mut w).await?;
                        w.close().await
                    }));
                }
                for h in handlers {
                    h.await.unwrap()?;
                }
                io::Result::Ok(())
            });
            let mut clients = Vec::new();
            for i in 0..20u64 {
                let path = path.clone();
                clients.push(spawn(async move {
                    let payload = bytes(&mut fastrand::Rng::with_seed(i), 100_000);
                    let stream = UnixStream::connect(&path).await?;
                    let (mut r, mut w) = stream.into_split();
                    let sent = payload.clone();
                    let writer = spawn(async move {
                        w.write_all(&sent).await?;
                        w.close().await
                    });
                    let mut echoed = Vec::new();
                    r.read_to_end(&mut echoed).await?;
                    writer.await.unwrap()?;
                    assert!(echoed == payload, "unix echo {i} differs");
                    io::Result::Ok(())
                }));
            }
            for c in clients {
                c.await.unwrap()?;
            }
            server.await.unwrap()
        })
        .unwrap();
        std::fs::remove_file(&path).unwrap();
    })
}

#[test]
fn unix_pair_half_close_and_eof() {
    guard(move || {
        let rt = runtime(1);
        rt.block_on(async {
            let (mut a, mut b) = UnixStream::pair()?;
            a.write_all(b"one way").await?;
            a.shutdown(std::net::Shutdown::Write)?;
            let mut got = Vec::new();
            b.read_to_end(&mut got).await?;
            assert_eq!(got, b"one way");
            b.write_all(b"other way").await?;
            drop(b);
            let mut back = Vec::new();
            a.read_to_end(&mut back).await?;
            assert_eq!(back, b"other way");
            assert_eq!(a.read(&mut [0; 4]).await?, 0);
            io::Result::Ok(())
        })
        .unwrap();
    })
}

#[test]
fn unix_connect_to_missing_path_fails() {
    guard(move || {
        let rt = runtime(1);
        let path = socket_path("nobody-here.sock");
        let err = rt.block_on(UnixStream::connect(&path)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
    })
}

#[test]
fn unix_datagram_echo() {
    guard(move || {
        let rt = runtime(2);
        let server_path = socket_path("dgram-server.sock");
        let client_path = socket_path("dgram-client.sock");
        rt.block_on(async {
            let server = UnixDatagram::bind(&server_path)?;
            let echo = spawn(async move {
                let mut buf = [0; 512];
                for _ in 0..50 {
                    let (n, from) = server.recv_from(&mut buf).await?;
                    let to = from.as_pathname().expect("client is bound").to_owned();
                    server.send_to(&buf[..n], to).await?;
                }
                io::Result::Ok(())
            });
            let client = UnixDatagram::bind(&client_path)?;
            client.connect(&server_path)?;
            let mut rng = fastrand::Rng::with_seed(77);
            let mut buf = [0; 512];
            for i in 0..50 {
                let datagram = bytes(&mut rng, 1 + i * 7);
                client.send(&datagram).await?;
                let n = client.recv(&mut buf).await?;
                assert_eq!(&buf[..n], &datagram[..]);
            }
            echo.await.unwrap()
        })
        .unwrap();
        std::fs::remove_file(&server_path).unwrap();
        std::fs::remove_file(&client_path).unwrap();
    })
}
