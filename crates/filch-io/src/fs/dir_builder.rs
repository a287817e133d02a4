//! [`DirBuilder`]: `create_dir` with options.

use std::io;
use std::path::Path;

use super::{asyncify, path_error};

/// Creates directories with options, the asynchronous twin of [`std::fs::DirBuilder`].
///
/// ```
/// # let rt = filch::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let root = std::env::temp_dir().join(format!("filch-doc-db-{}", std::process::id()));
/// filch::fs::DirBuilder::new().recursive(true).create(root.join("a/b")).await?;
/// assert!(filch::fs::metadata(root.join("a/b")).await?.is_dir());
/// filch::fs::remove_dir_all(&root).await?;
/// # std::io::Result::Ok(()) }).unwrap();
/// ```
#[derive(Debug, Default)]
pub struct DirBuilder {
    recursive: bool,
    #[cfg(unix)]
    mode: Option<u32>,
}

impl DirBuilder {
    /// A builder that creates one directory (not its parents) with the default mode.
    pub fn new() -> DirBuilder {
        DirBuilder::default()
    }

    /// Whether to create missing parents too (and succeed if the directory exists).
    pub fn recursive(&mut self, recursive: bool) -> &mut DirBuilder {
        self.recursive = recursive;
        self
    }

    /// The permission bits of the created directories (before the umask). Default `0o777`.
    #[cfg(unix)]
    pub fn mode(&mut self, mode: u32) -> &mut DirBuilder {
        self.mode = Some(mode);
        self
    }

    /// Creates the directory `path` with these options, on the blocking pool.
    pub async fn create(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref().to_owned();
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(self.recursive);
        #[cfg(unix)]
        if let Some(mode) = self.mode {
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, mode);
        }
        asyncify("filch::fs::DirBuilder::create", move || {
            builder
                .create(&path)
                .map_err(|e| path_error("create directory", &path, e))
        })
        .await
    }
}
