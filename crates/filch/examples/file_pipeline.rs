//! Hashes every file of a directory tree concurrently, with a bound on the files in flight and
//! a progress line: the "non-blocking I/O in a data pipeline" use case of `filch::fs`.
//!
//! ```text
//! cargo run --example file_pipeline -- [DIRECTORY] [MAX_FILES_IN_FLIGHT]
//! ```
//!
//! The directory defaults to the current one and the bound to 16. Each file is streamed through
//! a `filch::fs::File` in 64 KiB reads into a 64-bit FNV-1a hash (a checksum, not a
//! cryptographic hash). Standard output gets one line per file, `<hash>  <size>  <path>`, sorted
//! by path; standard error gets the progress line, rewritten in place. A file that cannot be read
//! is reported with the error (which names the path) and counted; the exit status is 1 if any
//! failed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use filch::io::prelude::*;
use filch::sync::Semaphore;
use filch::task::JoinSet;

/// What hashing one file gave.
#[derive(Debug)]
pub struct Hashed {
    /// The file.
    pub path: PathBuf,
    /// Its length in bytes.
    pub size: u64,
    /// The FNV-1a hash of its contents.
    pub hash: u64,
}

/// The 64-bit FNV-1a hash, continued from `hash` over `bytes`.
pub fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The FNV-1a offset basis: the hash of no bytes.
pub const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// Lists the regular files under `root` (not following symbolic links), in no set order.
pub async fn list_files(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let mut entries = filch::fs::read_dir(&dir).await?;
        while let Some(entry) = entries.next_entry().await? {
            let file_type = entry.file_type().await?;
            if file_type.is_dir() {
                dirs.push(entry.path());
            } else if file_type.is_file() {
                files.push(entry.path());
            }
        }
    }
    Ok(files)
}

/// Streams one file into the hash.
async fn hash_file(path: PathBuf) -> std::io::Result<Hashed> {
    let mut file = filch::fs::File::open(&path).await?;
    let mut buf = vec![0u8; 64 * 1024];
    let (mut hash, mut size) = (FNV_START, 0u64);
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hash = fnv1a(hash, &buf[..n]);
        size += n as u64;
    }
    Ok(Hashed { path, size, hash })
}

/// Hashes every regular file under `root`, at most `in_flight` at a time, calling `progress`
/// with (files done, files in all, bytes done) after each. Returns the results sorted by path
/// and the errors of the files that failed.
pub async fn hash_tree(
    root: &Path,
    in_flight: usize,
    mut progress: impl FnMut(usize, usize, u64),
) -> std::io::Result<(Vec<Hashed>, Vec<std::io::Error>)> {
    let files = list_files(root).await?;
    let total = files.len();
    let permits = Arc::new(Semaphore::new(in_flight.max(1)));
    let bytes = Arc::new(AtomicU64::new(0));
    let mut set = JoinSet::new();
    let (mut hashed, mut errors) = (Vec::new(), Vec::new());
    let mut record = |joined: Result<std::io::Result<Hashed>, filch::task::JoinError>| {
        match joined {
            Ok(Ok(h)) => hashed.push(h),
            Ok(Err(e)) => errors.push(e),
            Err(e) => errors.push(std::io::Error::other(e.to_string())),
        }
        progress(
            hashed.len() + errors.len(),
            total,
            bytes.load(Ordering::Relaxed),
        );
    };
    for path in files {
        // Waiting here keeps at most `in_flight` files open, and as many tasks alive.
        let permit = permits.clone().acquire_owned().await.expect("never closed");
        let task_bytes = bytes.clone();
        set.spawn(async move {
            let result = hash_file(path).await;
            if let Ok(h) = &result {
                task_bytes.fetch_add(h.size, Ordering::Relaxed);
            }
            drop(permit);
            result
        });
        // Collect what has finished so far, so the progress line moves while spawning.
        while let Some(joined) = set.try_join_next() {
            record(joined);
        }
    }
    while let Some(joined) = set.join_next().await {
        record(joined);
    }
    hashed.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((hashed, errors))
}

#[allow(dead_code)] // `main` is unused where tests include this file as a module.
#[filch::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let in_flight = match args.next().map(|s| s.parse::<usize>()) {
        None => 16,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("error: MAX_FILES_IN_FLIGHT must be a positive integer");
            std::process::exit(2);
        }
    };
    let started = std::time::Instant::now();
    let (hashed, errors) = hash_tree(&root, in_flight, |done, total, bytes| {
        eprint!(
            "\r{done}/{total} files, {:.1} MiB",
            bytes as f64 / 1048576.0
        );
    })
    .await
    .map_err(|e| {
        eprintln!("error: {e}");
        e
    })?;
    eprintln!(" in {:.2?}", started.elapsed());
    let mut out = filch::io::stdout();
    for h in &hashed {
        out.write_all(
            format!("{:016x}  {:>10}  {}\n", h.hash, h.size, h.path.display()).as_bytes(),
        )
        .await?;
    }
    out.flush().await?;
    for e in &errors {
        eprintln!("error: {e}");
    }
    if !errors.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}
