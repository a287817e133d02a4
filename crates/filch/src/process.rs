//! Child processes (feature `process`) with tokio's names: [`Command`], [`Child`],
//! [`ChildStdin`], [`ChildStdout`], [`ChildStderr`].
//!
//! The child's pipes are registered with the runtime's reactor and implement
//! [`AsyncRead`](crate::io::AsyncRead)/[`AsyncWrite`](crate::io::AsyncWrite); its exit is
//! noticed through the reactor as well (a pidfd on Linux, `SIGCHLD` elsewhere), without a thread
//! per child. A child whose [`Child`] was dropped is still reaped when it exits, so no zombie is
//! left; [`Command::kill_on_drop`] kills it first.
//!
//! ```
//! use std::process::Stdio;
//! use filch::io::prelude::*;
//! use filch::process::Command;
//!
//! #[filch::main]
//! async fn main() -> std::io::Result<()> {
//!     let mut child = Command::new("tr")
//!         .arg("a-z")
//!         .arg("A-Z")
//!         .stdin(Stdio::piped())
//!         .stdout(Stdio::piped())
//!         .spawn()?;
//!     let mut stdin = child.stdin.take().unwrap();
//!     stdin.write_all(b"hello").await?;
//!     drop(stdin); // the end of input
//!     let output = child.wait_with_output().await?;
//!     assert!(output.status.success());
//!     assert_eq!(output.stdout, b"HELLO");
//!     Ok(())
//! }
//! ```

pub use filch_io::process::*;
