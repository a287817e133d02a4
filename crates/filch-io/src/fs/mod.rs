//! Asynchronous file system operations, with tokio's names (`tokio::fs`).
//!
//! Operating systems offer no readiness notification for regular files, so every operation here
//! runs a blocking `std::fs` call on the runtime's own blocking pool (the one behind
//! [`spawn_blocking`](filch::task::spawn_blocking)) and awaits it. There is no second
//! thread pool and no reactor involvement: a runtime built without the I/O driver can use
//! `filch::fs` too.
//!
//! * Free functions: [`read`], [`read_to_string`], [`write`], [`copy`], [`rename`],
//!   [`remove_file`], [`remove_dir`], [`remove_dir_all`], [`create_dir`], [`create_dir_all`],
//!   [`hard_link`], [`symlink`], [`read_link`], [`canonicalize`], [`metadata`],
//!   [`symlink_metadata`], [`set_permissions`], [`try_exists`] and [`read_dir`].
//! * [`File`] and [`OpenOptions`]: a file implementing `futures-io`'s `AsyncRead`, `AsyncWrite`
//!   and `AsyncSeek`, with a buffer so that small reads and writes do not each cost a trip to the
//!   blocking pool (the buffer semantics are specified in `file.rs`).
//! * [`ReadDir`] and [`DirEntry`]: directory listing, read in batches of entries.
//! * [`DirBuilder`]: `create_dir` with options (recursive, mode).
//!
//! # Errors name the operation and the path
//!
//! Beyond tokio and std: an error from an operation on a path keeps its [`io::ErrorKind`], but
//! its message names the operation and the path(s), so that the caller does not have to add that
//! context by hand:
//!
//! ```text
//! failed to open "/etc/nope.conf": No such file or directory (os error 2)
//! failed to rename "a.txt" to "b/a.txt": No such file or directory (os error 2)
//! ```
//!
//! The wrapped error is a new [`io::Error`] with the same kind; the original error (with its
//! [`raw_os_error`](io::Error::raw_os_error)) is its [`source`](std::error::Error::source):
//! `err.raw_os_error()` on the wrapped error returns `None`, and
//! `err.source().and_then(|e| e.downcast_ref::<io::Error>()).and_then(|e| e.raw_os_error())`
//! returns the OS error number. We chose the message over `raw_os_error` on the outer error
//! because `std::io::Error` cannot carry both: a custom message makes it a "custom" error. The
//! free [`os_error`] helper does the digging for you.
//!
//! Operations on an open [`File`] (read, write, seek, `sync_all`, ...) report errors as std
//! does, with their OS error number, except a deferred write error, which names the file's path
//! when the `File` was opened by path (see `file.rs`).
//!
//! # Outside a runtime
//!
//! The free functions and `File` need the current runtime's blocking pool. Called outside a
//! runtime, they do not panic (tokio's do): the returned future resolves to an
//! [`io::ErrorKind::Other`] error whose message names the function and the fix (run it from a
//! task, inside `Runtime::block_on`, or after `Runtime::enter()`).
//!
//! # Cancellation
//!
//! Dropping the future of a free function does not stop the blocking call once it has started
//! (a started `std::fs` call cannot be interrupted); it runs to completion on the pool and its
//! result is discarded. The same holds for a `File`'s operation in flight.
//!
//! Credit: the shape of `File` (one operation in flight, a buffer moved to the blocking thread
//! and back) follows tokio's `fs::File`; the code and wording are filch's own.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use filch_executor::runtime::Handle;

mod dir_builder;
mod file;
mod open_options;
mod read_dir;

pub use dir_builder::DirBuilder;
pub use file::File;
pub use open_options::OpenOptions;
pub use read_dir::{read_dir, DirEntry, ReadDir};

/// Runs `f` on the current runtime's blocking pool. `what` names the public function, for the
/// error returned outside a runtime.
pub(crate) async fn asyncify<F, T>(what: &'static str, f: F) -> io::Result<T>
where
    F: FnOnce() -> io::Result<T> + Send + 'static,
    T: Send + 'static,
{
    let handle = current(what)?;
    match handle.spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) => Err(join_error(what, e)),
    }
}

/// The current runtime, or the error naming `what` and the fix.
pub(crate) fn current(what: &str) -> io::Result<Handle> {
    Handle::try_current().map_err(|_| crate::driver::NoDriver::NoRuntime.into_io_error(what))
}

/// The error for a blocking job that panicked or was cancelled at shutdown.
pub(crate) fn join_error(what: &str, e: filch_executor::task::JoinError) -> io::Error {
    io::Error::other(format!("{what}: the blocking-pool job failed: {e}"))
}

/// An error from an operation on a path: the original error plus what was being done.
#[derive(Debug)]
struct PathError {
    /// The verb phrase, e.g. "open" or "read directory".
    op: &'static str,
    path: PathBuf,
    /// The second path of a two-path operation (`copy`, `rename`, links), with its preposition.
    to: Option<PathBuf>,
    source: io::Error,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "failed to {} {:?}", self.op, self.path)?;
        if let Some(to) = &self.to {
            write!(f, " to {to:?}")?;
        }
        write!(f, ": {}", self.source)
    }
}

impl StdError for PathError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.source)
    }
}

/// Wraps `e` so its message names `op` and `path`; the kind is kept.
pub(crate) fn path_error(op: &'static str, path: &Path, e: io::Error) -> io::Error {
    let kind = e.kind();
    io::Error::new(
        kind,
        PathError {
            op,
            path: path.to_path_buf(),
            to: None,
            source: e,
        },
    )
}

/// Wraps `e` so its message names `op` and both paths; the kind is kept.
fn two_path_error(op: &'static str, from: &Path, to: &Path, e: io::Error) -> io::Error {
    let kind = e.kind();
    io::Error::new(
        kind,
        PathError {
            op,
            path: from.to_path_buf(),
            to: Some(to.to_path_buf()),
            source: e,
        },
    )
}

/// The OS error number of an error from this module: its own
/// [`raw_os_error`](io::Error::raw_os_error), or that of the error it wraps (path errors wrap
/// the OS error to name the path, see the module doc).
///
/// ```
/// # let rt = filch::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let err = filch::fs::read("/definitely/not/here").await.unwrap_err();
/// assert_eq!(err.raw_os_error(), None);
/// assert_eq!(filch::fs::os_error(&err), Some(2)); // ENOENT
/// # });
/// ```
pub fn os_error(err: &io::Error) -> Option<i32> {
    err.raw_os_error().or_else(|| {
        err.get_ref()
            .and_then(|inner| inner.downcast_ref::<PathError>())
            .and_then(|p| p.source.raw_os_error())
    })
}

macro_rules! path_fn {
    ($(#[$meta:meta])* $name:ident, $op:literal, |$p:ident| $body:expr, $ret:ty) => {
        $(#[$meta])*
        pub async fn $name(path: impl AsRef<Path>) -> io::Result<$ret> {
            let $p = path.as_ref().to_owned();
            asyncify(concat!("filch::fs::", stringify!($name)), move || {
                $body.map_err(|e| path_error($op, &$p, e))
            })
            .await
        }
    };
}

path_fn!(
    /// Reads the whole file at `path` into a vector of bytes, like [`std::fs::read`].
    ///
    /// ```
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let dir = std::env::temp_dir().join(format!("filch-doc-read-{}", std::process::id()));
    /// filch::fs::create_dir_all(&dir).await?;
    /// filch::fs::write(dir.join("a"), b"bytes").await?;
    /// assert_eq!(filch::fs::read(dir.join("a")).await?, b"bytes");
    /// filch::fs::remove_dir_all(&dir).await?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    read, "read", |p| std::fs::read(&p), Vec<u8>
);

path_fn!(
    /// Reads the whole file at `path` into a string, like [`std::fs::read_to_string`]; a file
    /// that is not UTF-8 is an [`io::ErrorKind::InvalidData`] error.
    read_to_string, "read", |p| std::fs::read_to_string(&p), String
);

path_fn!(
    /// Removes the file (or symbolic link) at `path`, like [`std::fs::remove_file`].
    remove_file, "remove file", |p| std::fs::remove_file(&p), ()
);

path_fn!(
    /// Removes the empty directory at `path`, like [`std::fs::remove_dir`].
    remove_dir, "remove directory", |p| std::fs::remove_dir(&p), ()
);

path_fn!(
    /// Removes the directory at `path` and everything in it, like [`std::fs::remove_dir_all`].
    remove_dir_all, "remove directory tree", |p| std::fs::remove_dir_all(&p), ()
);

path_fn!(
    /// Creates the directory `path`; its parent must exist. Like [`std::fs::create_dir`].
    create_dir, "create directory", |p| std::fs::create_dir(&p), ()
);

path_fn!(
    /// Creates the directory `path` and any missing parents, like [`std::fs::create_dir_all`];
    /// succeeds if it already exists.
    create_dir_all, "create directory", |p| std::fs::create_dir_all(&p), ()
);

path_fn!(
    /// Reads the target of the symbolic link `path`, like [`std::fs::read_link`].
    read_link, "read link", |p| std::fs::read_link(&p), PathBuf
);

path_fn!(
    /// The absolute, normalized form of `path` with every symbolic link resolved, like
    /// [`std::fs::canonicalize`].
    canonicalize, "canonicalize", |p| std::fs::canonicalize(&p), PathBuf
);

path_fn!(
    /// The metadata of `path`, following symbolic links, like [`std::fs::metadata`].
    metadata, "read metadata of", |p| std::fs::metadata(&p), std::fs::Metadata
);

path_fn!(
    /// The metadata of `path` itself, not following a symbolic link, like
    /// [`std::fs::symlink_metadata`].
    symlink_metadata, "read metadata of", |p| std::fs::symlink_metadata(&p), std::fs::Metadata
);

path_fn!(
    /// Whether `path` exists: `Ok(false)` for a missing path or a broken symbolic link, an error
    /// when existence cannot be determined (e.g. permission denied on a parent). Like
    /// [`std::fs::exists`] / [`Path::try_exists`].
    try_exists, "check existence of", |p| p.try_exists(), bool
);

/// Writes `contents` to the file at `path`, creating it or truncating it, like
/// [`std::fs::write`].
pub async fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    let contents = contents.as_ref().to_vec();
    asyncify("filch::fs::write", move || {
        std::fs::write(&path, contents).map_err(|e| path_error("write", &path, e))
    })
    .await
}

/// Copies the contents and permissions of the file `from` to `to` (created or truncated);
/// returns the number of bytes copied. Like [`std::fs::copy`].
pub async fn copy(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<u64> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    asyncify("filch::fs::copy", move || {
        std::fs::copy(&from, &to).map_err(|e| two_path_error("copy", &from, &to, e))
    })
    .await
}

/// Renames `from` to `to`, replacing `to` if it is a file, like [`std::fs::rename`].
pub async fn rename(from: impl AsRef<Path>, to: impl AsRef<Path>) -> io::Result<()> {
    let (from, to) = (from.as_ref().to_owned(), to.as_ref().to_owned());
    asyncify("filch::fs::rename", move || {
        std::fs::rename(&from, &to).map_err(|e| two_path_error("rename", &from, &to, e))
    })
    .await
}

/// Creates a hard link `link` to the file `original`, like [`std::fs::hard_link`].
pub async fn hard_link(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let (original, link) = (original.as_ref().to_owned(), link.as_ref().to_owned());
    asyncify("filch::fs::hard_link", move || {
        std::fs::hard_link(&original, &link)
            .map_err(|e| two_path_error("hard-link", &original, &link, e))
    })
    .await
}

/// Creates a symbolic link `link` pointing to `original`, like
/// [`std::os::unix::fs::symlink`].
#[cfg(unix)]
pub async fn symlink(original: impl AsRef<Path>, link: impl AsRef<Path>) -> io::Result<()> {
    let (original, link) = (original.as_ref().to_owned(), link.as_ref().to_owned());
    asyncify("filch::fs::symlink", move || {
        std::os::unix::fs::symlink(&original, &link)
            .map_err(|e| two_path_error("symlink", &original, &link, e))
    })
    .await
}

/// Sets the permissions of `path`, like [`std::fs::set_permissions`].
pub async fn set_permissions(path: impl AsRef<Path>, perm: std::fs::Permissions) -> io::Result<()> {
    let path = path.as_ref().to_owned();
    asyncify("filch::fs::set_permissions", move || {
        std::fs::set_permissions(&path, perm)
            .map_err(|e| path_error("set permissions of", &path, e))
    })
    .await
}
