//! [`read_dir`], [`ReadDir`] and [`DirEntry`]: listing a directory on the blocking pool.
//!
//! Entries are read in batches of [`BATCH`] per trip to the blocking pool, not one trip per
//! entry; [`ReadDir::next_entry`] hands them out one at a time. The file type of each entry is
//! taken in the same trip (on Linux it comes with the directory entry and costs no system call),
//! so [`DirEntry::file_type`] usually needs no trip of its own.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fmt;
use std::fs::{FileType, Metadata};
use std::future::poll_fn;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use filch_executor::JoinHandle;

use super::{asyncify, current, join_error, path_error};

/// Entries read per trip to the blocking pool.
pub(crate) const BATCH: usize = 64;

/// Lists the directory `path`: a [`ReadDir`] yielding its entries (not `.` and `..`), in the
/// order the OS gives them. Like [`std::fs::read_dir`]; an error opening the directory names the
/// path.
///
/// ```
/// use futures_lite::StreamExt;
/// # let rt = filch::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let dir = std::env::temp_dir().join(format!("filch-doc-rd-{}", std::process::id()));
/// filch::fs::create_dir_all(&dir).await?;
/// filch::fs::write(dir.join("one"), "1").await?;
/// let mut entries = filch::fs::read_dir(&dir).await?;
/// while let Some(entry) = entries.next_entry().await? {
///     assert_eq!(entry.file_name(), "one");
/// }
/// // Or as a `Stream` of `io::Result<DirEntry>`:
/// let names: Vec<_> = filch::fs::read_dir(&dir).await?.map(|e| e.unwrap().file_name()).collect().await;
/// assert_eq!(names, ["one"]);
/// filch::fs::remove_dir_all(&dir).await?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let (std, path) = asyncify("filch::fs::read_dir", move || {
        match std::fs::read_dir(&path) {
            Ok(std) => Ok((std, path)),
            Err(e) => Err(path_error("read directory", &path, e)),
        }
    })
    .await?;
    Ok(ReadDir {
        path: Arc::new(path),
        state: State::Idle(Some(Batch {
            entries: VecDeque::new(),
            std,
            done: false,
        })),
    })
}

/// The entries of a directory, from [`read_dir`]: call [`next_entry`](ReadDir::next_entry), or
/// use it as a `Stream` of `io::Result<DirEntry>` (`futures_core::Stream`, which
/// `futures-lite`'s `StreamExt` extends).
pub struct ReadDir {
    path: Arc<PathBuf>,
    state: State,
}

struct Batch {
    entries: VecDeque<io::Result<DirEntry>>,
    std: std::fs::ReadDir,
    /// The std iterator has ended.
    done: bool,
}

enum State {
    Idle(Option<Batch>),
    Busy(JoinHandle<Batch>),
}

impl Batch {
    /// Reads up to [`BATCH`] entries (runs on the blocking pool).
    fn fill(mut self, dir: &Path) -> Batch {
        for _ in 0..BATCH {
            match self.std.next() {
                Some(Ok(entry)) => self.entries.push_back(Ok(DirEntry::new(entry))),
                Some(Err(e)) => {
                    self.entries
                        .push_back(Err(path_error("read an entry of directory", dir, e)))
                }
                None => {
                    self.done = true;
                    break;
                }
            }
        }
        self
    }
}

impl ReadDir {
    /// The next entry, `Ok(None)` at the end. Cancel safe: an entry read by a dropped call is
    /// returned by the next.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// Polls for the next entry: `Ready(Ok(None))` at the end. Wakes `cx` when a batch read on
    /// the blocking pool arrives.
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            match &mut self.state {
                State::Idle(batch) => {
                    let Some(mut b) = batch.take() else {
                        // A previous batch job failed; the listing is over.
                        return Poll::Ready(Ok(None));
                    };
                    if let Some(entry) = b.entries.pop_front() {
                        *batch = Some(b);
                        return Poll::Ready(entry.map(Some));
                    }
                    if b.done {
                        *batch = Some(b);
                        return Poll::Ready(Ok(None));
                    }
                    let handle = match current("filch::fs::ReadDir::next_entry") {
                        Ok(h) => h,
                        Err(e) => {
                            *batch = Some(b);
                            return Poll::Ready(Err(e));
                        }
                    };
                    let path = self.path.clone();
                    self.state = State::Busy(handle.spawn_blocking(move || b.fill(&path)));
                }
                State::Busy(job) => {
                    let result = ready!(Pin::new(job).poll(cx));
                    match result {
                        Ok(batch) => self.state = State::Idle(Some(batch)),
                        Err(e) => {
                            self.state = State::Idle(None);
                            return Poll::Ready(Err(join_error("filch::fs::ReadDir", e)));
                        }
                    }
                }
            }
        }
    }
}

use std::future::Future as _;

impl futures_core::Stream for ReadDir {
    type Item = io::Result<DirEntry>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_entry(cx).map(Result::transpose)
    }
}

impl fmt::Debug for ReadDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadDir")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// One entry of a directory listing, from [`ReadDir`].
#[derive(Clone)]
pub struct DirEntry {
    std: Arc<std::fs::DirEntry>,
    /// Taken on the blocking thread with the entry; `None` if that failed (then
    /// [`file_type`](DirEntry::file_type) asks again).
    file_type: Option<FileType>,
}

impl DirEntry {
    fn new(std: std::fs::DirEntry) -> DirEntry {
        let file_type = std.file_type().ok();
        DirEntry {
            std: Arc::new(std),
            file_type,
        }
    }

    /// The full path: the listed directory joined with [`file_name`](DirEntry::file_name).
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The entry's name within its directory.
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's inode number (no system call).
    #[cfg(unix)]
    pub fn ino(&self) -> u64 {
        std::os::unix::fs::DirEntryExt::ino(&*self.std)
    }

    /// The entry's metadata, not following a symbolic link (as
    /// [`std::fs::DirEntry::metadata`]), read on the blocking pool.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = self.std.clone();
        asyncify("filch::fs::DirEntry::metadata", move || {
            std.metadata()
                .map_err(|e| path_error("read metadata of", &std.path(), e))
        })
        .await
    }

    /// The entry's file type, not following a symbolic link. Usually known from the listing
    /// itself, without a trip to the blocking pool.
    pub async fn file_type(&self) -> io::Result<FileType> {
        if let Some(file_type) = self.file_type {
            return Ok(file_type);
        }
        let std = self.std.clone();
        asyncify("filch::fs::DirEntry::file_type", move || {
            std.file_type()
                .map_err(|e| path_error("read file type of", &std.path(), e))
        })
        .await
    }
}

impl fmt::Debug for DirEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DirEntry").field(&self.path()).finish()
    }
}
