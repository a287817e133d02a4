//! The socket API of issue 11, through the facade: readiness (`ready`, `poll_*_ready`),
//! `try_io`, `peek`, socket options, `TcpSocket`, the UDP and Unix datagram families,
//! `AsyncFd` over a pipe, an eventfd and a Unix stream, abstract Unix names, the first read of a
//! fresh socket without a driver round, and unwind safety. Every test runs under the hang guard.

mod common;

use std::fs::File;
use std::future::{poll_fn, Future};
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{FromRawFd, OwnedFd};
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use filch::io::prelude::*;
use filch::io::unix::AsyncFd;
use filch::io::{Interest, Ready};
use filch::net::{
    TcpListener, TcpSocket, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream,
};
use filch::runtime::{Builder, Runtime};

fn rt() -> Runtime {
    Builder::new().worker_threads(2).build().unwrap()
}

/// Polls `f` once with a waker that does nothing.
fn poll_once<F: Future>(f: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    f.poll(&mut Context::from_waker(Waker::noop()))
}

async fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (b, _) = listener.accept().await.unwrap();
    (a, b)
}

/// Reads what `try_read` gives once the stream is readable, retrying on `WouldBlock`.
macro_rules! read_when_ready {
    ($s:expr, $buf:expr) => {
        loop {
            $s.ready(Interest::READABLE).await.unwrap();
            match $s.try_read($buf) {
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                other => break other.unwrap(),
            }
        }
    };
}

/// `ready`, `poll_read_ready`, `poll_write_ready`, `try_io` and `peek`, for one stream type.
macro_rules! stream_readiness_test {
    ($a:expr, $b:expr) => {{
        let (a, b) = ($a, $b);
        // Writable at once; `ready` says which of the interests it found.
        let ready = a.ready(Interest::WRITABLE).await.unwrap();
        assert_eq!(ready, Ready::WRITABLE);
        poll_fn(|cx| a.poll_write_ready(cx)).await.unwrap();

        // Nothing to read: `try_io` reports the caller's `WouldBlock` and clears readiness,
        // so a `poll_read_ready` afterwards waits. A clear is skipped when the reactor records
        // an event between `try_io`'s look at the readiness and its clear (here: the edge
        // epoll reports for a freshly registered socket), so try again a few times.
        let mut buf = [0u8; 16];
        let mut cleared = false;
        for _ in 0..10 {
            let err = a
                .try_io(Interest::READABLE, || {
                    socket2::SockRef::from(&a).recv(&mut [std::mem::MaybeUninit::new(0); 4])
                })
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::WouldBlock);
            if poll_fn(|cx| Poll::Ready(a.poll_read_ready(cx)))
                .await
                .is_pending()
            {
                cleared = true;
                break;
            }
        }
        assert!(cleared, "readiness was not cleared by try_io's WouldBlock");
        // `ready(READABLE | WRITABLE)` returns on the writable side while nothing is readable.
        let either = a
            .ready(Interest::READABLE | Interest::WRITABLE)
            .await
            .unwrap();
        assert!(either.is_writable() && !either.is_readable(), "{either:?}");

        // Data arrives: the poll form wakes, peek sees it, and it is still there afterwards.
        b.try_write(b"peekaboo").unwrap();
        poll_fn(|cx| a.poll_read_ready(cx)).await.unwrap();
        let ready = a.ready(Interest::READABLE).await.unwrap();
        assert!(ready.is_readable() && !ready.is_writable(), "{ready:?}");
        let n = a.peek(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"peekaboo");
        let n = poll_fn(|cx| a.poll_peek(cx, &mut buf[..4])).await.unwrap();
        assert_eq!(&buf[..n], b"peek");
        let n = read_when_ready!(a, &mut buf);
        assert_eq!(&buf[..n], b"peekaboo", "peek consumed data");

        // Linger reads back what was set.
        assert_eq!(a.linger().unwrap(), None);
        a.set_linger(Some(Duration::from_secs(3))).unwrap();
        assert_eq!(a.linger().unwrap(), Some(Duration::from_secs(3)));
        a.set_linger(None).unwrap();
        assert_eq!(a.linger().unwrap(), None);

        // Peer closes: readable, and peek says end-of-file.
        drop(b);
        assert_eq!(a.peek(&mut buf).await.unwrap(), 0);
    }};
}

#[test]
fn tcp_stream_readiness_peek_try_io_linger() {
    common::guard("tcp_stream_readiness_peek_try_io_linger", || {
        rt().block_on(async {
            let (a, b) = tcp_pair().await;
            stream_readiness_test!(a, b);
        })
    });
}

#[test]
fn unix_stream_readiness_peek_try_io_linger() {
    common::guard("unix_stream_readiness_peek_try_io_linger", || {
        rt().block_on(async {
            let (a, b) = UnixStream::pair().unwrap();
            stream_readiness_test!(a, b);
        })
    });
}

#[test]
fn tcp_stream_ttl_and_keepalive_through_sockref() {
    common::guard("tcp_stream_ttl_and_keepalive_through_sockref", || {
        rt().block_on(async {
            let (a, _b) = tcp_pair().await;
            a.set_ttl(17).unwrap();
            assert_eq!(a.ttl().unwrap(), 17);
            let sock = socket2::SockRef::from(&a);
            assert!(!sock.keepalive().unwrap());
            sock.set_tcp_keepalive(
                &socket2::TcpKeepalive::new().with_time(Duration::from_secs(30)),
            )
            .unwrap();
            assert!(sock.keepalive().unwrap());
            assert_eq!(sock.keepalive_time().unwrap(), Duration::from_secs(30));
            // Bad input: a TTL of 0 is refused by the kernel with an error, not a panic.
            assert!(a.set_ttl(0).is_err());
        })
    });
}

#[test]
fn tcp_socket_options_bind_listen_connect() {
    common::guard("tcp_socket_options_bind_listen_connect", || {
        rt().block_on(async {
            let server = TcpSocket::new_v4().unwrap();
            server.set_reuseaddr(true).unwrap();
            server.set_reuseport(true).unwrap();
            server.set_recv_buffer_size(128 * 1024).unwrap();
            assert!(server.reuseaddr().unwrap());
            assert!(server.reuseport().unwrap());
            assert!(server.recv_buffer_size().unwrap() >= 128 * 1024);
            server.bind("127.0.0.1:0".parse().unwrap()).unwrap();
            let addr = server.local_addr().unwrap();
            assert_ne!(addr.port(), 0);
            let listener = server.listen(16).unwrap();
            assert_eq!(listener.local_addr().unwrap(), addr);

            let client = TcpSocket::new_v4().unwrap();
            assert!(!client.nodelay().unwrap());
            assert!(!client.keepalive().unwrap());
            client.set_nodelay(true).unwrap();
            client.set_keepalive(true).unwrap();
            client.set_send_buffer_size(64 * 1024).unwrap();
            client.set_linger(Some(Duration::from_secs(1))).unwrap();
            assert!(client.nodelay().unwrap());
            assert!(client.keepalive().unwrap());
            assert!(client.send_buffer_size().unwrap() >= 64 * 1024);
            assert_eq!(client.linger().unwrap(), Some(Duration::from_secs(1)));
            let mut stream = client.connect(addr).await.unwrap();
            // The options carry over to the stream.
            assert!(stream.nodelay().unwrap());
            assert_eq!(stream.linger().unwrap(), Some(Duration::from_secs(1)));
            assert!(socket2::SockRef::from(&stream).keepalive().unwrap());

            let (mut accepted, peer) = listener.accept().await.unwrap();
            assert_eq!(peer, stream.local_addr().unwrap());
            stream.write_all(b"over").await.unwrap();
            let mut buf = [0; 4];
            accepted.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"over");

            // from_std_stream hands back the descriptor with its options.
            let std_stream = std::net::TcpStream::connect(addr).unwrap();
            std_stream.set_nodelay(true).unwrap();
            let socket = TcpSocket::from_std_stream(std_stream);
            assert!(socket.nodelay().unwrap());

            // Bad input: an IPv6 address on an IPv4 socket, and a connect with nobody
            // listening, are errors.
            let v4 = TcpSocket::new_v4().unwrap();
            assert!(v4.bind("[::1]:0".parse().unwrap()).is_err());
            let closed = {
                let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                l.local_addr().unwrap()
            };
            let err = TcpSocket::new_v4()
                .unwrap()
                .connect(closed)
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
            if let Ok(v6) = TcpSocket::new_v6() {
                if v6.bind("[::1]:0".parse().unwrap()).is_ok() {
                    assert!(v6.local_addr().unwrap().is_ipv6());
                } else {
                    println!("note: no IPv6 loopback here; the IPv6 bind is not tested");
                }
            }
        })
    });
}

#[test]
fn tcp_socket_listen_outside_a_runtime_says_so() {
    common::guard("tcp_socket_listen_outside_a_runtime_says_so", || {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let err = socket.listen(8).unwrap_err();
        assert!(err.to_string().contains("runtime"), "{err}");
    });
}

#[test]
fn udp_connected_try_poll_peek() {
    common::guard("udp_connected_try_poll_peek", || {
        rt().block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
            assert!(a.peer_addr().is_err());
            a.connect(b_addr).await.unwrap();
            b.connect(a_addr).await.unwrap();
            assert_eq!(a.peer_addr().unwrap(), b_addr);

            let mut buf = [0u8; 32];
            // Nothing queued: try_recv says WouldBlock, and the poll form then waits.
            assert_eq!(
                b.try_recv(&mut buf).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            {
                let mut recv = pin!(poll_fn(|cx| b.poll_recv(cx, &mut buf)));
                assert!(poll_once(recv.as_mut()).is_pending());
            }
            assert_eq!(a.send(b"one").await.unwrap(), 3);
            let n = poll_fn(|cx| b.poll_recv(cx, &mut buf)).await.unwrap();
            assert_eq!(&buf[..n], b"one");

            assert_eq!(a.try_send(b"two").unwrap(), 3);
            let (n, from) = b.peek_from(&mut buf).await.unwrap();
            assert_eq!((&buf[..n], from), (&b"two"[..], a_addr));
            assert_eq!(b.recv(&mut buf).await.unwrap(), 3, "peek_from consumed");

            poll_fn(|cx| a.poll_send_ready(cx)).await.unwrap();
            assert_eq!(poll_fn(|cx| a.poll_send(cx, b"three")).await.unwrap(), 5);
            poll_fn(|cx| b.poll_recv_ready(cx)).await.unwrap();
            let n = loop {
                match b.try_recv(&mut buf) {
                    Err(e) if e.kind() == ErrorKind::WouldBlock => b.readable().await.unwrap(),
                    other => break other.unwrap(),
                }
            };
            assert_eq!(&buf[..n], b"three");

            // ready() and try_io on a datagram socket.
            assert!(a.ready(Interest::WRITABLE).await.unwrap().is_writable());
            a.writable().await.unwrap();
            let sent = a
                .try_io(Interest::WRITABLE, || {
                    socket2::SockRef::from(&a).send(b"four")
                })
                .unwrap();
            assert_eq!(sent, 4);
            let ready = b.ready(Interest::READABLE).await.unwrap();
            assert!(ready.is_readable());
            assert_eq!(b.recv(&mut buf).await.unwrap(), 4);
        })
    });
}

#[test]
fn udp_unconnected_send_to_recv_from_families() {
    common::guard("udp_unconnected_send_to_recv_from_families", || {
        rt().block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
            let mut buf = [0u8; 32];
            assert_eq!(
                b.try_recv_from(&mut buf).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            assert_eq!(a.try_send_to(b"x", b_addr).unwrap(), 1);
            assert_eq!(
                poll_fn(|cx| a.poll_send_to(cx, b"yy", b_addr))
                    .await
                    .unwrap(),
                2
            );
            let (n, from) = poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await.unwrap();
            assert_eq!((&buf[..n], from), (&b"x"[..], a_addr));
            let (n, from) = loop {
                match b.try_recv_from(&mut buf) {
                    Err(e) if e.kind() == ErrorKind::WouldBlock => b.readable().await.unwrap(),
                    other => break other.unwrap(),
                }
            };
            assert_eq!((&buf[..n], from), (&b"yy"[..], a_addr));
        })
    });
}

#[test]
fn udp_options_broadcast_multicast_ttl() {
    common::guard("udp_options_broadcast_multicast_ttl", || {
        rt().block_on(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            assert!(!a.broadcast().unwrap());
            a.set_broadcast(true).unwrap();
            assert!(a.broadcast().unwrap());
            a.set_ttl(9).unwrap();
            assert_eq!(a.ttl().unwrap(), 9);
            assert!(a.multicast_loop_v4().unwrap());
            a.set_multicast_loop_v4(false).unwrap();
            assert!(!a.multicast_loop_v4().unwrap());
            a.set_multicast_ttl_v4(5).unwrap();
            assert_eq!(a.multicast_ttl_v4().unwrap(), 5);

            // Join and leave a group on loopback; a kernel without a multicast-capable
            // interface refuses, which is reported and skipped.
            let group = Ipv4Addr::new(239, 255, 11, 11);
            match a.join_multicast_v4(group, Ipv4Addr::LOCALHOST) {
                Ok(()) => {
                    a.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).unwrap();
                    // Leaving twice: not a member any more, an error.
                    assert!(a.leave_multicast_v4(group, Ipv4Addr::LOCALHOST).is_err());
                }
                Err(e) => println!("note: IPv4 multicast join refused here ({e}); skipped"),
            }
            // Bad input: a unicast address is not a group.
            assert!(a
                .join_multicast_v4(Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::LOCALHOST)
                .is_err());

            match UdpSocket::bind("[::1]:0").await {
                Ok(v6) => {
                    v6.set_multicast_loop_v6(false).unwrap();
                    assert!(!v6.multicast_loop_v6().unwrap());
                    let group = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x1234);
                    match v6.join_multicast_v6(&group, 0) {
                        Ok(()) => v6.leave_multicast_v6(&group, 0).unwrap(),
                        Err(e) => println!("note: IPv6 multicast join refused here ({e}); skipped"),
                    }
                }
                Err(e) => println!("note: no IPv6 loopback here ({e}); IPv6 options skipped"),
            }
        })
    });
}

fn temp_path(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("filch-net-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn unix_datagram_try_poll_family() {
    common::guard("unix_datagram_try_poll_family", || {
        rt().block_on(async {
            let (a, b) = UnixDatagram::pair().unwrap();
            let mut buf = [0u8; 32];
            assert_eq!(
                b.try_recv(&mut buf).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            {
                let mut recv = pin!(poll_fn(|cx| b.poll_recv(cx, &mut buf)));
                assert!(poll_once(recv.as_mut()).is_pending());
            }
            assert_eq!(a.try_send(b"one").unwrap(), 3);
            assert_eq!(poll_fn(|cx| b.poll_recv(cx, &mut buf)).await.unwrap(), 3);
            assert_eq!(poll_fn(|cx| a.poll_send(cx, b"two")).await.unwrap(), 3);
            let (n, _) = poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await.unwrap();
            assert_eq!(&buf[..n], b"two");
            a.send(b"three").await.unwrap();
            let (n, from) = b.try_recv_from(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"three");
            assert!(from.is_unnamed());
            poll_fn(|cx| a.poll_send_ready(cx)).await.unwrap();
            assert!(a.ready(Interest::WRITABLE).await.unwrap().is_writable());
            a.try_send(b"4").unwrap();
            poll_fn(|cx| b.poll_recv_ready(cx)).await.unwrap();
            let got = b
                .try_io(Interest::READABLE, || {
                    socket2::SockRef::from(&b).recv(&mut [std::mem::MaybeUninit::new(0); 4])
                })
                .unwrap();
            assert_eq!(got, 1);

            // Bound sockets: send_to, try_send_to and poll_send_to by path.
            let path = temp_path("dgram.sock");
            let server = UnixDatagram::bind(&path).unwrap();
            let client = UnixDatagram::unbound().unwrap();
            client.send_to(b"p1", &path).await.unwrap();
            client.try_send_to(b"p2", &path).unwrap();
            poll_fn(|cx| client.poll_send_to(cx, b"p3", &path))
                .await
                .unwrap();
            for want in [&b"p1"[..], b"p2", b"p3"] {
                let (n, _) = server.recv_from(&mut buf).await.unwrap();
                assert_eq!(&buf[..n], want);
            }
            client.connect(&path).unwrap();
            client.send(b"c").await.unwrap();
            assert_eq!(server.recv(&mut buf).await.unwrap(), 1);
            std::fs::remove_file(&path).unwrap();
            // Bad input: sending to a path where nothing is bound.
            let err = client.try_send_to(b"x", &path).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);
        })
    });
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn abstract_unix_names() {
    use std::os::linux::net::SocketAddrExt;
    common::guard("abstract_unix_names", || {
        rt().block_on(async {
            let name = format!("\0filch-net-api-{}", std::process::id());
            let listener = UnixListener::bind(&name).unwrap();
            assert_eq!(
                listener.local_addr().unwrap().as_abstract_name(),
                Some(&name.as_bytes()[1..])
            );
            // The same name again is taken.
            assert_eq!(
                UnixListener::bind(&name).unwrap_err().kind(),
                ErrorKind::AddrInUse
            );
            let mut client = UnixStream::connect(&name).await.unwrap();
            let (mut server, _) = listener.accept().await.unwrap();
            client.write_all(b"abstract").await.unwrap();
            let mut buf = [0; 8];
            server.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"abstract");
            // No file was created for it.
            assert!(!std::path::Path::new(&name[1..]).exists());

            let dname = format!("\0filch-net-api-dgram-{}", std::process::id());
            let server = UnixDatagram::bind(&dname).unwrap();
            assert_eq!(
                server.local_addr().unwrap().as_abstract_name(),
                Some(&dname.as_bytes()[1..])
            );
            let client = UnixDatagram::unbound().unwrap();
            client.send_to(b"hi", &dname).await.unwrap();
            assert_eq!(server.recv(&mut buf).await.unwrap(), 2);
            client.connect(&dname).unwrap();
            client.send(b"yo").await.unwrap();
            assert_eq!(server.recv(&mut buf).await.unwrap(), 2);

            // Bad input: a name longer than `sun_path` is an error.
            let long = format!("\0{}", "x".repeat(200));
            assert_eq!(
                UnixListener::bind(&long).unwrap_err().kind(),
                ErrorKind::InvalidInput
            );
        })
    });
}

/// A non-blocking pipe, as two files.
fn pipe() -> (File, File) {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid array of two descriptors for `pipe2` to fill.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2: {}", std::io::Error::last_os_error());
    // SAFETY: `pipe2` succeeded, so both descriptors are open and owned by nobody else.
    unsafe {
        (
            File::from(OwnedFd::from_raw_fd(fds[0])),
            File::from(OwnedFd::from_raw_fd(fds[1])),
        )
    }
}

async fn read_fd(fd: &AsyncFd<File>, buf: &mut [u8]) -> usize {
    loop {
        let mut guard = fd.readable().await.unwrap();
        if let Ok(result) = guard.try_io(|inner| inner.get_ref().read(buf)) {
            return result.unwrap();
        }
    }
}

#[test]
fn async_fd_over_a_pipe() {
    common::guard("async_fd_over_a_pipe", || {
        rt().block_on(async {
            let (r, w) = pipe();
            let r = AsyncFd::new(r).unwrap();
            let mut w = AsyncFd::with_interest(w, Interest::WRITABLE).unwrap();
            assert_eq!(w.interest(), Interest::WRITABLE);

            // A fresh descriptor is assumed ready; the failed read clears that, and then a
            // wait waits.
            {
                let mut guard = r.readable().await.unwrap();
                assert_eq!(guard.ready(), Ready::READABLE);
                assert!(guard
                    .try_io(|inner| inner.get_ref().read(&mut [0; 4]))
                    .is_err());
            }
            {
                let mut wait = pin!(r.readable());
                assert!(poll_once(wait.as_mut()).is_pending(), "cleared readiness");
            }
            // A reader task waits; the writer writes through the mutable guard.
            let reader = async {
                let mut buf = [0u8; 16];
                let n = read_fd(&r, &mut buf).await;
                buf[..n].to_vec()
            };
            let writer = async {
                let mut guard = w.writable_mut().await.unwrap();
                assert!(guard.ready().is_writable());
                let n = guard
                    .try_io(|inner| inner.get_mut().write(b"through a pipe"))
                    .unwrap()
                    .unwrap();
                assert_eq!(n, 14);
            };
            let (got, ()) = filch::join!(reader, writer);
            assert_eq!(got, b"through a pipe");

            // retain_ready keeps the readiness; clear_ready drops it. (A pause first, so that
            // any edge still on its way has been recorded.)
            filch::time::sleep(Duration::from_millis(50)).await;
            let w_ref = &w;
            poll_fn(|cx| w_ref.poll_write_ready(cx))
                .await
                .unwrap()
                .retain_ready();
            {
                let mut wait = pin!(w.writable());
                assert!(poll_once(wait.as_mut()).is_ready(), "retain_ready lost it");
            }
            w.writable().await.unwrap().clear_ready();
            // A pipe's writable edge comes again only after it was full, so after a clear the
            // wait is pending.
            {
                let mut wait = pin!(w.writable());
                assert!(poll_once(wait.as_mut()).is_pending(), "clear_ready kept it");
            }

            // into_inner hands the file back, still open.
            let mut w: File = w.into_inner();
            w.write_all(b"!").unwrap();
            let mut buf = [0; 1];
            assert_eq!(read_fd(&r, &mut buf).await, 1);
            drop(w);
            assert_eq!(read_fd(&r, &mut buf).await, 0, "end of the pipe");
        })
    });
}

#[test]
fn async_fd_over_an_eventfd_and_a_std_unix_stream() {
    common::guard("async_fd_over_an_eventfd_and_a_std_unix_stream", || {
        rt().block_on(async {
            // SAFETY: `eventfd` takes no pointers; a negative result is checked below.
            let raw = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
            assert!(raw >= 0, "eventfd: {}", std::io::Error::last_os_error());
            // SAFETY: `eventfd` returned a fresh descriptor that nothing else owns.
            let efd = AsyncFd::new(File::from(unsafe { OwnedFd::from_raw_fd(raw) })).unwrap();
            let waiter = async {
                let mut buf = [0u8; 8];
                assert_eq!(read_fd(&efd, &mut buf).await, 8);
                u64::from_ne_bytes(buf)
            };
            let poster = async {
                filch::time::sleep(Duration::from_millis(20)).await;
                assert_eq!(efd.get_ref().write(&5u64.to_ne_bytes()).unwrap(), 8);
            };
            let (count, ()) = filch::join!(waiter, poster);
            assert_eq!(count, 5);

            let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
            a.set_nonblocking(true).unwrap();
            let mut a = AsyncFd::new(a).unwrap();
            let ready = a
                .ready(Interest::READABLE | Interest::WRITABLE)
                .await
                .unwrap();
            assert!(ready.ready().is_writable());
            b.write_all(b"std").unwrap();
            let mut buf = [0; 8];
            let n = loop {
                let mut guard = a.readable_mut().await.unwrap();
                if let Ok(r) = guard.try_io(|fd| fd.get_mut().read(&mut buf)) {
                    break r.unwrap();
                }
            };
            assert_eq!(&buf[..n], b"std");
            let n = a
                .try_io(Interest::WRITABLE, |s| (&*s).write(b"back"))
                .unwrap();
            assert_eq!(n, 4);
            let mut back = [0; 4];
            b.read_exact(&mut back).unwrap();
            assert_eq!(&back, b"back");
            let a = a.into_inner();
            assert!(a.peer_addr().is_ok());
        })
    });
}

#[test]
fn async_fd_refuses_a_regular_file_with_an_error() {
    common::guard("async_fd_refuses_a_regular_file_with_an_error", || {
        rt().block_on(async {
            let path = temp_path("regular.file");
            let file = File::create(&path).unwrap();
            // epoll does not take regular files (EPERM): an error, not a panic.
            assert!(AsyncFd::new(file).is_err());
            std::fs::remove_file(&path).unwrap();
        });
        // Outside a runtime, the error names the fix.
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let err = AsyncFd::new(a).unwrap_err();
        assert!(err.to_string().contains("runtime"), "{err}");
    });
}

/// A fresh socket is assumed ready: the first read tries the system call instead of waiting
/// for the registration's edge. The only worker is kept busy (so no thread is in the driver
/// to record that edge), and the read is polled once right after registration: it must find
/// the data that was queued before.
#[test]
fn first_read_of_a_fresh_socket_needs_no_driver_round() {
    common::guard("first_read_of_a_fresh_socket_needs_no_driver_round", || {
        let rt = Builder::new()
            .worker_threads(1)
            .stall_threshold(Duration::from_secs(30))
            .build()
            .unwrap();
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        rt.spawn(async move {
            started_tx.send(()).unwrap();
            // Holds the only worker until the test is done.
            let _ = release_rx.recv_timeout(Duration::from_secs(20));
        });
        started_rx.recv().unwrap();
        rt.block_on(async {
            let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
            b.write_all(b"queued").unwrap();
            let mut a = UnixStream::from_std(a).unwrap();
            let mut buf = [0u8; 8];
            let mut read = pin!(a.read(&mut buf));
            match poll_once(read.as_mut()) {
                Poll::Ready(Ok(n)) => assert_eq!(n, 6),
                other => panic!("the first read of a fresh socket waited: {other:?}"),
            }
            // Likewise a write on a fresh TCP stream from std.
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let std_stream = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let mut stream = TcpStream::from_std(std_stream).unwrap();
            let mut write = pin!(stream.write(b"x"));
            assert!(matches!(poll_once(write.as_mut()), Poll::Ready(Ok(1))));
        });
        release_tx.send(()).unwrap();
    });
}

#[test]
fn interest_and_ready_ops() {
    let both = Interest::READABLE | Interest::WRITABLE;
    assert!(both.is_readable() && both.is_writable());
    assert_eq!(both.remove(Interest::READABLE), Some(Interest::WRITABLE));
    assert_eq!(Interest::READABLE.remove(Interest::READABLE), None);
    let mut i = Interest::READABLE;
    i |= Interest::WRITABLE;
    assert_eq!(i, both);
    let r = Ready::READABLE | Ready::WRITE_CLOSED;
    assert!(r.is_readable() && r.is_writable() && r.is_write_closed() && !r.is_read_closed());
    assert_eq!(r - Ready::READABLE, Ready::WRITE_CLOSED);
    assert_eq!(r & Ready::READABLE, Ready::READABLE);
    assert!(Ready::EMPTY.is_empty() && !Ready::ALL.is_empty());
}

fn assert_unwind_safe<T: UnwindSafe + RefUnwindSafe>() {}

#[test]
fn socket_types_are_unwind_safe() {
    assert_unwind_safe::<TcpListener>();
    assert_unwind_safe::<TcpStream>();
    assert_unwind_safe::<TcpSocket>();
    assert_unwind_safe::<UdpSocket>();
    assert_unwind_safe::<UnixListener>();
    assert_unwind_safe::<UnixStream>();
    assert_unwind_safe::<UnixDatagram>();
    assert_unwind_safe::<AsyncFd<File>>();
    assert_unwind_safe::<AsyncFd<std::os::unix::net::UnixStream>>();
    assert_unwind_safe::<filch::net::tcp::OwnedReadHalf>();
    assert_unwind_safe::<filch::net::tcp::OwnedWriteHalf>();
    assert_unwind_safe::<filch::net::unix::OwnedReadHalf>();
    assert_unwind_safe::<filch::net::unix::OwnedWriteHalf>();
    let _: Option<SocketAddr> = None;
}
