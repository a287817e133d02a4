//! Asynchronous reading and writing.
//!
//! filch's sockets implement the [`AsyncRead`] and [`AsyncWrite`] traits of the `futures-io`
//! crate, the traits shared by most of the async ecosystem outside tokio. The methods you call
//! (`read`, `read_exact`, `read_to_end`, `write_all`, `flush`, `close`, `read_line`...) come from
//! the extension traits of the `futures-lite` crate, re-exported here rather than written again.
//! Bring them all into scope with one import:
//!
//! ```
//! use filch::io::prelude::*;
//!
//! #[filch::main]
//! async fn main() -> std::io::Result<()> {
//!     // Any `AsyncRead`, here an in-memory one.
//!     let mut reader = filch::io::Cursor::new(b"hello world".to_vec());
//!     let mut first = [0u8; 5];
//!     reader.read_exact(&mut first).await?;
//!     assert_eq!(&first, b"hello");
//!
//!     let mut out = Vec::new();
//!     out.write_all(b"written").await?;
//!     assert_eq!(out, b"written");
//!     Ok(())
//! }
//! ```
//!
//! [`BufReader`] adds buffering and the line-oriented methods of [`AsyncBufReadExt`]
//! (`read_line`, `lines`); [`copy`] moves every byte from a reader to a writer, and [`sink`]
//! is a writer that discards what it is given.

pub use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};
pub use futures_lite::io::{
    copy, sink, AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, BufReader, BufWriter,
    Cursor,
};

/// The traits needed to call `read`, `write_all` and the other I/O methods, in one import.
///
/// ```
/// use filch::io::prelude::*;
///
/// # filch::runtime::Runtime::new().unwrap().block_on(async {
/// let mut lines = filch::io::BufReader::new(&b"one\ntwo\n"[..]);
/// let mut line = String::new();
/// lines.read_line(&mut line).await.unwrap();
/// assert_eq!(line, "one\n");
/// # });
/// ```
pub mod prelude {
    pub use super::{
        AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncSeek, AsyncSeekExt,
        AsyncWrite, AsyncWriteExt,
    };
}
