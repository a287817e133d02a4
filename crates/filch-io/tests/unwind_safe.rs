//! The socket types are `UnwindSafe` and `RefUnwindSafe`, like tokio's: a socket can be held
//! across `catch_unwind`, and `&socket` captured in its closure, without `AssertUnwindSafe`.

use std::panic::{RefUnwindSafe, UnwindSafe};

use filch_io::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};

fn assert_unwind_safe<T: UnwindSafe + RefUnwindSafe>() {}

#[test]
fn sockets_are_unwind_safe() {
    assert_unwind_safe::<TcpListener>();
    assert_unwind_safe::<TcpStream>();
    assert_unwind_safe::<UdpSocket>();
    assert_unwind_safe::<UnixListener>();
    assert_unwind_safe::<UnixStream>();
    assert_unwind_safe::<UnixDatagram>();
}

#[test]
fn split_halves_are_unwind_safe() {
    assert_unwind_safe::<filch_io::net::tcp::ReadHalf<'static>>();
    assert_unwind_safe::<filch_io::net::tcp::WriteHalf<'static>>();
    assert_unwind_safe::<filch_io::net::tcp::OwnedReadHalf>();
    assert_unwind_safe::<filch_io::net::tcp::OwnedWriteHalf>();
    assert_unwind_safe::<filch_io::net::unix::ReadHalf<'static>>();
    assert_unwind_safe::<filch_io::net::unix::WriteHalf<'static>>();
    assert_unwind_safe::<filch_io::net::unix::OwnedReadHalf>();
    assert_unwind_safe::<filch_io::net::unix::OwnedWriteHalf>();
}
