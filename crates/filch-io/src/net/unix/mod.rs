//! Unix domain sockets: [`UnixListener`], [`UnixStream`], [`UnixDatagram`] and the halves of a
//! split stream.

mod datagram;
mod listener;
mod stream;

pub use datagram::UnixDatagram;
pub use listener::UnixListener;
pub use std::os::unix::net::SocketAddr;
pub use stream::UnixStream;

/// Whether `path` names an abstract socket (Linux, Android): its first byte is NUL. std's
/// `bind` refuses such a path (it holds a NUL byte), so filch binds those through `socket2`,
/// whose `SockAddr::unix` sizes the address without a trailing NUL, as the kernel expects of
/// an abstract name. On other systems the kernel rejects the address with an OS error.
pub(crate) fn is_abstract(path: &std::path::Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().first() == Some(&0)
}

crate::net::split::split_halves!(UnixStream, "UnixStream");
