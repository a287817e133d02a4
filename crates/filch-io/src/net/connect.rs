//! Non-blocking `connect`, shared by [`TcpStream::connect`](crate::net::TcpStream::connect) and
//! [`UnixStream::connect`](crate::net::UnixStream::connect): the task waits for the handshake,
//! the worker thread does not.

use std::io;
use std::os::fd::AsFd;

use socket2::{SockAddr, SockRef, Socket};

use crate::io_source::PollEvented;
use crate::scheduled_io::Direction;

/// Switches `socket` to non-blocking mode and starts connecting it to `address`. `Ok` means
/// the connect has begun (`EINPROGRESS`) or already finished; [`finish`] waits for the outcome
/// once the socket is registered.
pub(crate) fn start(socket: &Socket, address: &SockAddr) -> io::Result<()> {
    socket.set_nonblocking(true)?;
    match socket.connect(address) {
        Ok(()) => Ok(()),
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Waits until the connect begun by [`start`] on `io` has finished, and returns its error if it
/// failed.
pub(crate) async fn finish<S: AsFd>(io: &PollEvented<S>) -> io::Result<()> {
    // The connect has finished (either way) when the socket becomes writable.
    loop {
        let event = io.readiness(Direction::Write).await?;
        let socket = SockRef::from(io.get_ref());
        if let Some(e) = socket.take_error()? {
            return Err(e);
        }
        match socket.peer_addr() {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotConnected => io.clear_readiness(event),
            Err(e) => return Err(e),
        }
    }
}
