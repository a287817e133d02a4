//! [`File`]: an open file whose reads, writes and seeks run on the blocking pool.
//!
//! # Buffer and the operation in flight
//!
//! A `File` holds one buffer (at most [`File::set_max_buf_size`] bytes, 2 MiB by default, as
//! tokio) and at most one blocking-pool job at a time, which owns the buffer while it runs:
//!
//! * **Reads** read ahead: a read that finds the buffer empty starts a job that reads
//!   `max(len, 64 KiB)` bytes (capped at the maximum), and the following reads are served from
//!   the buffer without a trip to the pool. So the OS file position may be ahead of the
//!   position the user has read to; every operation that depends on the position corrects for
//!   that (below).
//! * **Whole-file reads** ([`File::read_to_end`], [`File::read_to_string`], inherent methods
//!   that shadow the `AsyncReadExt` ones): the unread buffered bytes go to the caller, then one
//!   job reads the rest of the file (`std`'s `read_to_end`: sized from the file's length, no
//!   zeroing) into the `File`'s buffer, whose vector is the caller's own when the caller's is
//!   empty (swapped in before the job and back after it: no copy). If the caller goes away,
//!   the job's bytes are simply unread bytes of the buffer, like a read-ahead's.
//! * **Writes** are deferred: `poll_write` copies up to the maximum into the buffer, starts a job
//!   that writes all of it, and returns `Ready(n)` at once. A write made while that job still
//!   runs is appended (up to the maximum) to a second buffer that the same job writes before it
//!   ends, and also returns at once; so a stream of small writes costs one trip to the pool per
//!   job, not per write (tokio makes each such write wait for the previous one). Only when the
//!   job has ended, or the second buffer is full, does a write wait. An error of a deferred write is kept and reported by the next
//!   `poll_write`, `poll_flush`, `poll_close`, `poll_seek`, [`sync_all`](File::sync_all) or
//!   [`sync_data`](File::sync_data) (reads do not report it; they leave it for the next flush).
//!   When the `File` was opened by path, that error names the path:
//!   `failed to write to "/dev/full": No space left on device (os error 28)`.
//! * **Flush** (`poll_flush`, `poll_close`) waits for the write in flight and reports its error.
//!   A `File` dropped with a write in flight lets it finish; its error is then lost, so flush
//!   before dropping when errors matter (as with tokio).
//! * **Seek** first waits for the operation in flight (so a pending write is written at the old
//!   position), and a `SeekFrom::Current` seek subtracts the bytes read ahead and not yet
//!   consumed, which are dropped. A write after a read likewise first moves the OS position back
//!   by the unread bytes, and so do [`set_len`](File::set_len) (which then keeps the position)
//!   and [`into_std`](File::into_std).
//!
//! # Used from several tasks
//!
//! Reads, writes and seeks take `&mut File`. The `&self` methods ([`sync_all`](File::sync_all),
//! [`sync_data`](File::sync_data), [`set_len`](File::set_len), [`metadata`](File::metadata),
//! [`set_permissions`](File::set_permissions), [`try_clone`](File::try_clone)) may be called
//! from many tasks at once through an `Arc<File>`: the first three wait for the operation in
//! flight and then run as the one operation in flight themselves; every task waiting on the
//! in-flight job is woken when it ends (the job is polled with a waker that wakes them all).
//!
//! # Unwind safety
//!
//! `File` is `UnwindSafe` and `RefUnwindSafe` (as tokio's): its mutable state sits behind a
//! `std::sync::Mutex`, which is never held across an `.await`, and is recovered if poisoned.

use std::fmt;
use std::fs::{Metadata, Permissions};
use std::future::{poll_fn, Future};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{ready, Context, Poll, Wake, Waker};

use filch_executor::{coop, JoinHandle};
use futures_io::{AsyncRead, AsyncSeek, AsyncWrite};

use super::{asyncify, current, join_error, path_error, OpenOptions};

/// The default maximum buffer size, as tokio's.
const DEFAULT_MAX_BUF_SIZE: usize = 2 * 1024 * 1024;

/// A read that finds the buffer empty reads at least this much (capped by the maximum).
const READ_AHEAD: usize = 64 * 1024;

/// An open file with asynchronous reads, writes and seeks (`futures-io`'s [`AsyncRead`],
/// [`AsyncWrite`], [`AsyncSeek`]; wrap it in `BufReader` for [`futures_io::AsyncBufRead`]).
/// The twin of `tokio::fs::File`; the buffer semantics are in the module doc of `file.rs`.
///
/// ```
/// use futures_lite::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
/// use std::io::SeekFrom;
/// # let rt = filch::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let path = std::env::temp_dir().join(format!("filch-doc-file-{}", std::process::id()));
/// let mut file = filch::fs::File::options()
///     .read(true).write(true).create(true).truncate(true)
///     .open(&path).await?;
/// file.write_all(b"hello world").await?;
/// file.seek(SeekFrom::Start(6)).await?;
/// let mut word = String::new();
/// file.read_to_string(&mut word).await?;
/// assert_eq!(word, "world");
/// file.flush().await?;
/// filch::fs::remove_file(&path).await?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
pub struct File {
    std: Arc<std::fs::File>,
    /// The path the file was opened by, for the message of a deferred write error.
    path: Option<Arc<Path>>,
    inner: Mutex<Inner>,
    /// Wakes every task waiting on the job in flight.
    wakers: Arc<WakerSet>,
    /// A waker for `wakers`, with which the job's `JoinHandle` is polled.
    job_waker: Waker,
    /// Bytes written while a write job runs, which that job writes before it ends.
    queue: Arc<Mutex<WriteQueue>>,
    max_buf_size: usize,
}

struct Inner {
    state: State,
    /// The job in flight is a write (which drains `File::queue` before it ends).
    write_in_flight: bool,
    /// The error of a deferred write, not yet reported.
    write_err: Option<io::Error>,
    /// The result of a seek job completed while its `poll_seek` was not the one polling.
    seek_done: Option<io::Result<u64>>,
    /// Results of `&self` jobs (`sync_all`, ...) completed by another poller, by job id.
    done: Vec<(u64, io::Result<()>)>,
    next_id: u64,
}

enum State {
    /// No job; the buffer may hold bytes read ahead. `None` only transiently.
    Idle(Option<Buf>),
    Busy(JoinHandle<(Op, Buf)>),
}

/// What a finished job did.
enum Op {
    Read(io::Result<usize>),
    /// A [`File::read_to_end`] job: every byte up to the end of the file is in the returned
    /// buffer, unread (so a caller that went away leaves them for the next read).
    ReadAll(io::Result<usize>),
    Write(io::Result<()>),
    Seek(io::Result<u64>),
    /// `sync_all`, `sync_data` or `set_len`, with the id of the call that started it.
    Other(u64, io::Result<()>),
}

/// Bytes read ahead (`data[pos..]` unread) or bytes to write (`data`).
#[derive(Default)]
struct Buf {
    data: Vec<u8>,
    pos: usize,
}

impl Buf {
    fn unread(&self) -> usize {
        self.data.len() - self.pos
    }

    fn clear(&mut self) {
        self.data.clear();
        self.pos = 0;
    }

    fn copy_to(&mut self, dst: &mut [u8]) -> usize {
        let n = self.unread().min(dst.len());
        dst[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        if self.pos == self.data.len() {
            self.clear();
        }
        n
    }

    /// Reads up to `len` bytes from `file` (on the blocking pool), straight into the vector's
    /// spare capacity: `read(2)` writes the bytes, so the buffer is never zeroed first (a memset
    /// of up to 2 MiB per read otherwise).
    fn read_from(&mut self, file: &std::fs::File, len: usize) -> io::Result<usize> {
        use std::os::fd::AsRawFd;
        self.clear();
        self.data.reserve(len);
        let spare = self.data.spare_capacity_mut();
        let len = len.min(spare.len());
        loop {
            // SAFETY: `spare` is writable memory of at least `len` bytes owned by `self.data`,
            // and no reference to it is alive while the kernel writes to it. `read` writes at
            // most `len` bytes and returns how many, which are then initialized.
            let n = unsafe { libc::read(file.as_raw_fd(), spare.as_mut_ptr().cast(), len) };
            if n >= 0 {
                let n = n as usize;
                // SAFETY: the kernel initialized the first `n <= len <= capacity` bytes.
                unsafe { self.data.set_len(n) };
                return Ok(n);
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    /// Writes all of the buffer to `file` and empties it (on the blocking pool).
    fn write_to(&mut self, mut file: &std::fs::File) -> io::Result<()> {
        let result = file.write_all(&self.data);
        self.clear();
        result
    }
}

/// Bytes appended by `poll_write` while a write job runs.
#[derive(Default)]
struct WriteQueue {
    pending: Vec<u8>,
    /// A write job is running and will look at `pending` again before it ends.
    running: bool,
}

fn queue_lock(queue: &Mutex<WriteQueue>) -> MutexGuard<'_, WriteQueue> {
    queue.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The wakers of the tasks waiting on the job in flight.
#[derive(Default)]
struct WakerSet(Mutex<Vec<Waker>>);

impl WakerSet {
    fn register(&self, waker: &Waker) {
        let mut wakers = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !wakers.iter().any(|w| w.will_wake(waker)) {
            wakers.push(waker.clone());
        }
    }
}

impl Wake for WakerSet {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let wakers = std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner));
        for waker in wakers {
            waker.wake();
        }
    }
}

impl File {
    /// Opens `path` read-only, like [`std::fs::File::open`]; an error names the path.
    pub async fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path).await
    }

    /// Opens `path` write-only, creating or truncating it, like [`std::fs::File::create`].
    pub async fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .await
    }

    /// Creates `path` read-write, failing with [`io::ErrorKind::AlreadyExists`] if it exists,
    /// like [`std::fs::File::create_new`].
    pub async fn create_new(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .await
    }

    /// Empty [`OpenOptions`], as [`std::fs::File::options`].
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }

    /// Wraps an open std file. No path is known, so deferred write errors do not name one.
    pub fn from_std(std: std::fs::File) -> File {
        File::from_std_with_path(std, None)
    }

    pub(crate) fn from_std_with_path(std: std::fs::File, path: Option<std::path::PathBuf>) -> File {
        File::from_arc(Arc::new(std), path.map(Arc::from))
    }

    fn from_arc(std: Arc<std::fs::File>, path: Option<Arc<Path>>) -> File {
        let wakers = Arc::new(WakerSet::default());
        File {
            std,
            path,
            inner: Mutex::new(Inner {
                state: State::Idle(Some(Buf::default())),
                write_in_flight: false,
                write_err: None,
                seek_done: None,
                done: Vec::new(),
                next_id: 0,
            }),
            job_waker: Waker::from(wakers.clone()),
            queue: Arc::new(Mutex::new(WriteQueue::default())),
            wakers,
            max_buf_size: DEFAULT_MAX_BUF_SIZE,
        }
    }

    /// Sets the largest buffer a single read or write uses (default 2 MiB). A write of more
    /// bytes writes only this many and returns that count. `0` is taken as 1.
    pub fn set_max_buf_size(&mut self, max_buf_size: usize) {
        self.max_buf_size = max_buf_size.max(1);
    }

    /// Waits for the operation in flight, then writes all data and metadata to disk
    /// ([`std::fs::File::sync_all`]). Reports a deferred write error first.
    pub async fn sync_all(&self) -> io::Result<()> {
        self.exclusive("filch::fs::File::sync_all", false, |f| f.sync_all())
            .await
    }

    /// Like [`sync_all`](File::sync_all) but may skip metadata
    /// ([`std::fs::File::sync_data`]).
    pub async fn sync_data(&self) -> io::Result<()> {
        self.exclusive("filch::fs::File::sync_data", false, |f| f.sync_data())
            .await
    }

    /// Waits for the operation in flight, then truncates or extends the file to `size` bytes
    /// ([`std::fs::File::set_len`]). The position is kept (bytes read ahead are dropped and the
    /// OS position moved back to the user's).
    pub async fn set_len(&self, size: u64) -> io::Result<()> {
        self.exclusive("filch::fs::File::set_len", true, move |f| f.set_len(size))
            .await
    }

    /// The file's metadata ([`std::fs::File::metadata`]), on the blocking pool.
    pub async fn metadata(&self) -> io::Result<Metadata> {
        let std = self.std.clone();
        asyncify("filch::fs::File::metadata", move || std.metadata()).await
    }

    /// Sets the file's permissions ([`std::fs::File::set_permissions`]), on the blocking pool.
    pub async fn set_permissions(&self, perm: Permissions) -> io::Result<()> {
        let std = self.std.clone();
        asyncify("filch::fs::File::set_permissions", move || {
            std.set_permissions(perm)
        })
        .await
    }

    /// A new `File` for the same open file description (shared position), as
    /// [`std::fs::File::try_clone`]. The clone has its own (empty) buffer.
    pub async fn try_clone(&self) -> io::Result<File> {
        let std = self.std.clone();
        let clone = asyncify("filch::fs::File::try_clone", move || std.try_clone()).await?;
        let mut file = File::from_arc(Arc::new(clone), self.path.clone());
        file.max_buf_size = self.max_buf_size;
        Ok(file)
    }

    /// Waits for the operation in flight and returns the std file, its OS position moved back
    /// over bytes read ahead. A deferred write error is dropped (flush first to see it).
    pub async fn into_std(self) -> std::fs::File {
        let _ = poll_fn(|cx| self.poll_idle(cx)).await;
        let mut file = self;
        loop {
            match file.try_into_std() {
                Ok(std) => return std,
                // A `metadata`, `set_permissions` or `try_clone` job whose future was dropped
                // still holds the file; it ends soon.
                Err(again) => {
                    file = again;
                    filch_executor::task::yield_now().await;
                }
            }
        }
    }

    /// The std file, if no operation is in flight; otherwise gives the `File` back. Bytes read
    /// ahead are dropped and the OS position moved back over them (one `lseek`, which does not
    /// block).
    #[allow(clippy::result_large_err)] // tokio's signature: the `File` itself comes back.
    pub fn try_into_std(mut self) -> Result<std::fs::File, File> {
        {
            let inner = self.inner.get_mut().unwrap_or_else(PoisonError::into_inner);
            let State::Idle(Some(buf)) = &mut inner.state else {
                return Err(self);
            };
            let unread = buf.unread();
            if unread > 0
                && (&*self.std)
                    .seek(SeekFrom::Current(-(unread as i64)))
                    .is_err()
            {
                return Err(self);
            }
            buf.clear();
        }
        let File {
            std,
            path,
            max_buf_size,
            ..
        } = self;
        Arc::try_unwrap(std).map_err(|std| {
            let mut file = File::from_arc(std, path);
            file.max_buf_size = max_buf_size;
            file
        })
    }

    /// Reads every byte up to the end of the file and appends them to `buf`; returns how many
    /// were appended. Use it as `AsyncReadExt::read_to_end` (being an inherent method, it is
    /// the one `file.read_to_end(&mut buf)` calls even with that trait in scope).
    ///
    /// Unlike the trait's version, which must hand out zeroed slices and grows `buf` in steps,
    /// the whole read is one blocking-pool job that reads straight into spare capacity sized
    /// from the file's length (`std::fs::File::read_to_end`), and when `buf` is empty the bytes
    /// arrive in `buf`'s own allocation without a copy. The maximum buffer size
    /// ([`set_max_buf_size`](File::set_max_buf_size)) does not limit it.
    ///
    /// If the returned future is dropped before it finishes, no byte is lost: what the job
    /// read stays in the `File`'s buffer and the next read returns it. On an error, the bytes
    /// read before it are appended to `buf` all the same.
    ///
    /// ```
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let path = std::env::temp_dir().join(format!("filch-doc-rte-{}", std::process::id()));
    /// filch::fs::write(&path, b"all of it").await?;
    /// let mut file = filch::fs::File::open(&path).await?;
    /// let mut bytes = Vec::new();
    /// assert_eq!(file.read_to_end(&mut bytes).await?, 9);
    /// assert_eq!(bytes, b"all of it");
    /// filch::fs::remove_file(&path).await?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn read_to_end(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let start = buf.len();
        let result = poll_fn(|cx| budgeted(cx, |cx| self.poll_read_all(cx, buf))).await;
        let appended = buf.len() - start;
        result.map(|()| appended)
    }

    /// Reads every byte up to the end of the file, which must be UTF-8, and appends them to
    /// `buf`; returns how many bytes were appended. Works as [`read_to_end`](File::read_to_end)
    /// does. If the bytes are not UTF-8, the error is `InvalidData`, `buf` is left as it was,
    /// and the bytes stay in the `File`'s buffer (a following `read` returns them).
    ///
    /// ```
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let path = std::env::temp_dir().join(format!("filch-doc-rts-{}", std::process::id()));
    /// filch::fs::write(&path, "héllo").await?;
    /// let mut text = String::from(">");
    /// filch::fs::File::open(&path).await?.read_to_string(&mut text).await?;
    /// assert_eq!(text, ">héllo");
    /// filch::fs::remove_file(&path).await?;
    /// # std::io::Result::Ok(()) }).unwrap();
    /// ```
    pub async fn read_to_string(&mut self, buf: &mut String) -> io::Result<usize> {
        let mut bytes = Vec::new();
        let result = poll_fn(|cx| budgeted(cx, |cx| self.poll_read_all(cx, &mut bytes))).await;
        match String::from_utf8(bytes) {
            Ok(text) => {
                let appended = text.len();
                if buf.is_empty() {
                    *buf = text;
                } else {
                    buf.push_str(&text);
                }
                result.map(|()| appended)
            }
            Err(not_utf8) => {
                // Give the bytes back to the buffer, in front of anything read after them.
                let mut inner = self.lock();
                if let State::Idle(Some(fbuf)) = &mut inner.state {
                    let rest = fbuf.data.split_off(fbuf.pos);
                    fbuf.data = not_utf8.into_bytes();
                    fbuf.data.extend_from_slice(&rest);
                    fbuf.pos = 0;
                }
                result?;
                Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "filch::fs::File::read_to_string: the file is not valid UTF-8 \
                     (its bytes stay in the File: read them with read_to_end)",
                ))
            }
        }
    }

    /// Drives one `read_to_end`: moves what the buffer holds into `dst`, then runs one job that
    /// reads the rest of the file into the buffer, then moves that into `dst`.
    fn poll_read_all(&self, cx: &mut Context<'_>, dst: &mut Vec<u8>) -> Poll<io::Result<()>> {
        let mut inner = self.lock();
        loop {
            match &mut inner.state {
                State::Idle(fbuf) => {
                    let fbuf_ref = fbuf.as_mut().expect("File buffer missing while idle");
                    if fbuf_ref.unread() > 0 {
                        dst.extend_from_slice(&fbuf_ref.data[fbuf_ref.pos..]);
                        fbuf_ref.clear();
                    }
                    let handle = current("filch::fs::File (read_to_end)")?;
                    let mut fbuf = fbuf.take().unwrap_or_default();
                    if dst.is_empty() {
                        // Read into the caller's allocation; it comes back without a copy.
                        std::mem::swap(&mut fbuf.data, dst);
                    }
                    let std = self.std.clone();
                    inner.seek_done = None;
                    inner.state = State::Busy(handle.spawn_blocking(move || {
                        let result = (&*std).read_to_end(&mut fbuf.data);
                        (Op::ReadAll(result), fbuf)
                    }));
                }
                State::Busy(_) => match ready!(self.poll_job(&mut inner, cx))? {
                    Op::ReadAll(result) => {
                        let State::Idle(Some(fbuf)) = &mut inner.state else {
                            unreachable!("poll_job leaves the state idle");
                        };
                        if dst.is_empty() && fbuf.pos == 0 {
                            std::mem::swap(&mut fbuf.data, dst);
                        } else {
                            dst.extend_from_slice(&fbuf.data[fbuf.pos..]);
                        }
                        fbuf.clear();
                        return Poll::Ready(result.map(drop));
                    }
                    other => File::stash(&mut inner, other),
                },
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Polls the job in flight to its end (waking every waiter) and leaves the state `Idle`.
    fn poll_job(&self, inner: &mut Inner, cx: &mut Context<'_>) -> Poll<io::Result<Op>> {
        let State::Busy(job) = &mut inner.state else {
            unreachable!("poll_job called while idle");
        };
        self.wakers.register(cx.waker());
        let mut job_cx = Context::from_waker(&self.job_waker);
        let result = ready!(Pin::new(job).poll(&mut job_cx));
        inner.write_in_flight = false;
        match result {
            Ok((op, buf)) => {
                inner.state = State::Idle(Some(buf));
                Poll::Ready(Ok(op))
            }
            Err(e) => {
                inner.state = State::Idle(Some(Buf::default()));
                // A write job that did not finish drains nothing more.
                let mut queue = queue_lock(&self.queue);
                queue.pending.clear();
                queue.running = false;
                Poll::Ready(Err(join_error("filch::fs::File", e)))
            }
        }
    }

    /// Keeps the result of a job that the current poller did not start.
    fn stash(inner: &mut Inner, op: Op) {
        match op {
            // The bytes stay in the buffer; a read error is for the read that was abandoned.
            Op::Read(_) | Op::ReadAll(_) | Op::Write(Ok(())) => {}
            Op::Write(Err(e)) => inner.write_err = Some(e),
            Op::Seek(result) => inner.seek_done = Some(result),
            Op::Other(id, result) => inner.done.push((id, result)),
        }
    }

    /// Waits until no job is in flight, stashing the results of finished jobs.
    fn poll_idle(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut inner = self.lock();
        while let State::Busy(_) = inner.state {
            let op = ready!(self.poll_job(&mut inner, cx))?;
            File::stash(&mut inner, op);
        }
        Poll::Ready(Ok(()))
    }

    /// Starts `f` on the pool as the one job in flight, once the current one ends, and waits
    /// for its result. With `keep_position`, bytes read ahead are dropped and the OS position
    /// moved back first.
    async fn exclusive<F>(&self, what: &'static str, keep_position: bool, f: F) -> io::Result<()>
    where
        F: FnOnce(&std::fs::File) -> io::Result<()> + Send + 'static,
    {
        let mut f = Some(f);
        let mut id = None;
        poll_fn(|cx| {
            let mut inner = self.lock();
            loop {
                if let Some(id) = id {
                    if let Some(i) = inner.done.iter().position(|(done, _)| *done == id) {
                        return Poll::Ready(inner.done.swap_remove(i).1);
                    }
                }
                match &mut inner.state {
                    State::Busy(_) => {
                        let op = ready!(self.poll_job(&mut inner, cx))?;
                        File::stash(&mut inner, op);
                    }
                    State::Idle(_) => {
                        let Some(f) = f.take() else {
                            // Our job ended and its result was taken above; cannot happen twice.
                            return Poll::Ready(Err(io::Error::other(format!(
                                "{what}: the result of the operation was lost"
                            ))));
                        };
                        if let Some(e) = inner.write_err.take() {
                            return Poll::Ready(Err(e));
                        }
                        let handle = current(what)?;
                        let State::Idle(buf) = &mut inner.state else {
                            unreachable!()
                        };
                        let mut buf = buf.take().unwrap_or_default();
                        let back = if keep_position { buf.unread() } else { 0 };
                        if keep_position {
                            buf.clear();
                        }
                        let my_id = inner.next_id;
                        inner.next_id += 1;
                        id = Some(my_id);
                        let std = self.std.clone();
                        inner.state = State::Busy(handle.spawn_blocking(move || {
                            let result = (|| {
                                if back > 0 {
                                    (&*std).seek(SeekFrom::Current(-(back as i64)))?;
                                }
                                f(&std)
                            })();
                            (Op::Other(my_id, result), buf)
                        }));
                    }
                }
            }
        })
        .await
    }

    /// The error of a failed write, naming the path when known.
    fn write_error(path: &Option<Arc<Path>>, e: io::Error) -> io::Error {
        match path {
            Some(path) => path_error("write to", path, e),
            None => e,
        }
    }
}

/// Spends one unit of the task's cooperative budget on `op` if it completes, so that a task
/// whose file operations are always ready (served from the buffer, or jobs that finish at once)
/// still yields to the other tasks of its worker now and then.
fn budgeted<T>(cx: &mut Context<'_>, op: impl FnOnce(&mut Context<'_>) -> Poll<T>) -> Poll<T> {
    let budget = ready!(coop::poll_proceed(cx));
    let result = op(cx);
    if result.is_ready() {
        budget.made_progress();
    }
    result
}

impl AsyncRead for File {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        budgeted(cx, |cx| self.poll_read_inner(cx, dst))
    }
}

impl AsyncWrite for File {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        src: &[u8],
    ) -> Poll<io::Result<usize>> {
        budgeted(cx, |cx| self.poll_write_inner(cx, src))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        budgeted(cx, |cx| self.poll_flush_inner(cx))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        budgeted(cx, |cx| self.poll_flush_inner(cx))
    }
}

impl AsyncSeek for File {
    fn poll_seek(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        pos: SeekFrom,
    ) -> Poll<io::Result<u64>> {
        budgeted(cx, |cx| self.poll_seek_inner(cx, pos))
    }
}

impl File {
    fn poll_read_inner(&self, cx: &mut Context<'_>, dst: &mut [u8]) -> Poll<io::Result<usize>> {
        let this = self;
        let mut inner = this.lock();
        loop {
            match &mut inner.state {
                State::Idle(buf) => {
                    let buf_ref = buf.as_mut().expect("File buffer missing while idle");
                    if buf_ref.unread() > 0 {
                        return Poll::Ready(Ok(buf_ref.copy_to(dst)));
                    }
                    if dst.is_empty() {
                        return Poll::Ready(Ok(0));
                    }
                    let handle = current("filch::fs::File (read)")?;
                    let mut buf = buf.take().unwrap_or_default();
                    let len = dst.len().max(READ_AHEAD).min(this.max_buf_size);
                    let std = this.std.clone();
                    inner.seek_done = None;
                    inner.state = State::Busy(handle.spawn_blocking(move || {
                        let result = buf.read_from(&std, len);
                        (Op::Read(result), buf)
                    }));
                }
                State::Busy(_) => match ready!(this.poll_job(&mut inner, cx))? {
                    Op::Read(Ok(0)) => return Poll::Ready(Ok(0)),
                    Op::Read(Ok(_)) | Op::ReadAll(Ok(_)) => {}
                    Op::Read(Err(e)) => return Poll::Ready(Err(e)),
                    other => File::stash(&mut inner, other),
                },
            }
        }
    }

    fn poll_write_inner(&self, cx: &mut Context<'_>, src: &[u8]) -> Poll<io::Result<usize>> {
        let this = self;
        let mut inner = this.lock();
        loop {
            if let Some(e) = inner.write_err.take() {
                return Poll::Ready(Err(e));
            }
            match &mut inner.state {
                State::Idle(buf) => {
                    if src.is_empty() {
                        return Poll::Ready(Ok(0));
                    }
                    let handle = current("filch::fs::File (write)")?;
                    let mut buf = buf.take().unwrap_or_default();
                    let back = buf.unread();
                    buf.clear();
                    let n = src.len().min(this.max_buf_size);
                    buf.data.extend_from_slice(&src[..n]);
                    let std = this.std.clone();
                    let path = this.path.clone();
                    let queue = this.queue.clone();
                    queue_lock(&queue).running = true;
                    inner.seek_done = None;
                    inner.write_in_flight = true;
                    inner.state = State::Busy(handle.spawn_blocking(move || {
                        let mut result = if back > 0 {
                            (&*std).seek(SeekFrom::Current(-(back as i64))).map(drop)
                        } else {
                            Ok(())
                        };
                        loop {
                            if result.is_ok() {
                                result = buf.write_to(&std);
                            }
                            let mut queue = queue_lock(&queue);
                            if result.is_err() || queue.pending.is_empty() {
                                // After an error the appended bytes are dropped with it.
                                queue.pending.clear();
                                queue.running = false;
                                break;
                            }
                            // `buf` was emptied by `write_to`: swap, keeping both capacities.
                            std::mem::swap(&mut buf.data, &mut queue.pending);
                        }
                        let result = result.map_err(|e| File::write_error(&path, e));
                        (Op::Write(result), buf)
                    }));
                    return Poll::Ready(Ok(n));
                }
                State::Busy(_) => {
                    if inner.write_in_flight && !src.is_empty() {
                        // Append to the bytes the running write job takes next, if it has
                        // not finished yet: a stream of small writes costs one trip per job,
                        // not one per write.
                        let mut queue = queue_lock(&this.queue);
                        let room = this.max_buf_size.saturating_sub(queue.pending.len());
                        if queue.running && room > 0 {
                            let n = src.len().min(room);
                            queue.pending.extend_from_slice(&src[..n]);
                            return Poll::Ready(Ok(n));
                        }
                    }
                    match ready!(this.poll_job(&mut inner, cx))? {
                        Op::Write(Err(e)) => return Poll::Ready(Err(e)),
                        other => File::stash(&mut inner, other),
                    }
                }
            }
        }
    }

    fn poll_flush_inner(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self;
        let mut inner = this.lock();
        loop {
            if let Some(e) = inner.write_err.take() {
                return Poll::Ready(Err(e));
            }
            match &inner.state {
                State::Idle(_) => return Poll::Ready(Ok(())),
                State::Busy(_) => match ready!(this.poll_job(&mut inner, cx))? {
                    Op::Write(Err(e)) => return Poll::Ready(Err(e)),
                    other => File::stash(&mut inner, other),
                },
            }
        }
    }

    fn poll_seek_inner(&self, cx: &mut Context<'_>, pos: SeekFrom) -> Poll<io::Result<u64>> {
        let this = self;
        let mut inner = this.lock();
        loop {
            match &mut inner.state {
                State::Idle(_) => {
                    if let Some(result) = inner.seek_done.take() {
                        return Poll::Ready(result);
                    }
                    if let Some(e) = inner.write_err.take() {
                        return Poll::Ready(Err(e));
                    }
                    let handle = current("filch::fs::File (seek)")?;
                    let State::Idle(buf) = &mut inner.state else {
                        unreachable!()
                    };
                    let mut buf = buf.take().unwrap_or_default();
                    let pos = match pos {
                        SeekFrom::Current(offset) => {
                            SeekFrom::Current(offset - buf.unread() as i64)
                        }
                        other => other,
                    };
                    buf.clear();
                    let std = this.std.clone();
                    inner.state = State::Busy(handle.spawn_blocking(move || {
                        let result = (&*std).seek(pos);
                        (Op::Seek(result), buf)
                    }));
                }
                State::Busy(_) => match ready!(this.poll_job(&mut inner, cx))? {
                    Op::Seek(result) => return Poll::Ready(result),
                    Op::Write(Err(e)) => return Poll::Ready(Err(e)),
                    other => File::stash(&mut inner, other),
                },
            }
        }
    }
}

impl fmt::Debug for File {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("File")
            .field("std", &self.std)
            .field("path", &self.path)
            .field("max_buf_size", &self.max_buf_size)
            .finish_non_exhaustive()
    }
}

impl From<std::fs::File> for File {
    fn from(std: std::fs::File) -> File {
        File::from_std(std)
    }
}

#[cfg(unix)]
impl std::os::fd::AsRawFd for File {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.std.as_raw_fd()
    }
}

#[cfg(unix)]
impl std::os::fd::AsFd for File {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.std.as_fd()
    }
}
