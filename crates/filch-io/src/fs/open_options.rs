//! [`OpenOptions`]: std's open options, opening on the blocking pool.

use std::io;
use std::path::Path;

use super::{asyncify, path_error, File};

/// Options for opening a file, the asynchronous twin of [`std::fs::OpenOptions`] (the same
/// builder methods; on unix also [`mode`](OpenOptions::mode) and
/// [`custom_flags`](OpenOptions::custom_flags)). [`open`](OpenOptions::open) runs on the
/// blocking pool.
///
/// ```
/// use filch::fs::OpenOptions;
/// # let rt = filch::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let path = std::env::temp_dir().join(format!("filch-doc-oo-{}", std::process::id()));
/// let file = OpenOptions::new().write(true).create_new(true).open(&path).await?;
/// drop(file);
/// let again = OpenOptions::new().write(true).create_new(true).open(&path).await;
/// assert_eq!(again.unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
/// filch::fs::remove_file(&path).await?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct OpenOptions(std::fs::OpenOptions);

impl OpenOptions {
    /// Options with every flag off (as [`std::fs::OpenOptions::new`]).
    pub fn new() -> OpenOptions {
        OpenOptions(std::fs::OpenOptions::new())
    }

    /// Open for reading.
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.0.read(read);
        self
    }

    /// Open for writing.
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.0.write(write);
        self
    }

    /// Open for appending: every write goes to the end of the file.
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.0.append(append);
        self
    }

    /// Truncate the file to length 0 when it is opened (needs `write`).
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.0.truncate(truncate);
        self
    }

    /// Create the file if it does not exist (needs `write` or `append`).
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.0.create(create);
        self
    }

    /// Create the file, failing with [`io::ErrorKind::AlreadyExists`] if it exists.
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.0.create_new(create_new);
        self
    }

    /// Opens `path` with these options. An error names the path (see the module doc of
    /// [`fs`](super)).
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        let options = self.0.clone();
        let (std, path) = asyncify("filch::fs::OpenOptions::open", move || {
            match options.open(&path) {
                Ok(file) => Ok((file, path)),
                Err(e) => Err(path_error("open", &path, e)),
            }
        })
        .await?;
        Ok(File::from_std_with_path(std, Some(path)))
    }

    /// The std options these wrap.
    pub fn as_inner_mut(&mut self) -> &mut std::fs::OpenOptions {
        &mut self.0
    }
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions::new()
    }
}

impl From<std::fs::OpenOptions> for OpenOptions {
    fn from(options: std::fs::OpenOptions) -> OpenOptions {
        OpenOptions(options)
    }
}

#[cfg(unix)]
impl OpenOptions {
    /// The permission bits of a file this creates (before the umask), as
    /// [`std::os::unix::fs::OpenOptionsExt::mode`]. Default `0o666`.
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::mode(&mut self.0, mode);
        self
    }

    /// Extra `open(2)` flags (e.g. `libc::O_NOFOLLOW`), as
    /// [`std::os::unix::fs::OpenOptionsExt::custom_flags`].
    pub fn custom_flags(&mut self, flags: i32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut self.0, flags);
        self
    }
}
