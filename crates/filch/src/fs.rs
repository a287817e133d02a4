//! Asynchronous file system operations with tokio's names (feature `fs`).
//!
//! Every operation runs the matching `std::fs` call on the runtime's own blocking pool (the one
//! behind [`spawn_blocking`](crate::task::spawn_blocking)): no second thread pool. [`File`]
//! keeps a buffer and one operation in flight, so small reads and writes do not each wait for
//! a trip to the pool; it implements [`AsyncRead`](crate::io::AsyncRead),
//! [`AsyncWrite`](crate::io::AsyncWrite) and [`AsyncSeek`](crate::io::AsyncSeek).
//!
//! Beyond tokio: an error from an operation on a path keeps its [`std::io::ErrorKind`] and names
//! the operation and the path (`failed to open "/etc/nope.conf": No such file or directory (os
//! error 2)`); [`os_error`] recovers the OS error number. Outside a runtime the operations fail
//! with an error naming the fix instead of panicking.
//!
//! ```
//! use filch::io::prelude::*;
//!
//! #[filch::main]
//! async fn main() -> std::io::Result<()> {
//!     let dir = std::env::temp_dir().join(format!("filch-fs-doc-{}", std::process::id()));
//!     filch::fs::create_dir_all(&dir).await?;
//!
//!     let mut file = filch::fs::File::create(dir.join("notes.txt")).await?;
//!     file.write_all(b"first line\n").await?;
//!     file.flush().await?; // reports a failed deferred write
//!
//!     let text = filch::fs::read_to_string(dir.join("notes.txt")).await?;
//!     assert_eq!(text, "first line\n");
//!
//!     let err = filch::fs::read(dir.join("missing")).await.unwrap_err();
//!     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
//!     assert!(err.to_string().starts_with("failed to read \""));
//!
//!     let mut entries = filch::fs::read_dir(&dir).await?;
//!     while let Some(entry) = entries.next_entry().await? {
//!         assert_eq!(entry.file_name(), "notes.txt");
//!     }
//!     filch::fs::remove_dir_all(&dir).await?;
//!     Ok(())
//! }
//! ```
//!
//! The specification (buffer semantics, errors, cancellation) is in the module docs of
//! `filch-io`'s `fs/mod.rs` and `fs/file.rs`.

pub use filch_io::fs::*;
