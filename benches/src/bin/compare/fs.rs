//! The file workloads: filch's `fs` against `tokio::fs` and `async-fs` (in the smol column:
//! async-fs on the smol runtime, as a smol user would write it), runs interleaved.
//!
//! * `fs: read 200 x 1 MiB`: 200 tasks each open one 1 MiB file and read it to the end through
//!   the runtime's `File`, all at once;
//! * `fs: copy 256 MiB in 64 KiB`: one task streams a 256 MiB file into a new one, reading and
//!   writing 64 KiB at a time through `File`, then flushes;
//! * `fs: read_dir 10,000`: lists a directory of 10,000 entries with `read_dir`.
//!
//! The files live under the system's temp dir and are created once, before the first run (and
//! read once, so every run finds them in the page cache). `fs: threads` counts the threads of a
//! child process (this binary re-executed with `--fs-threads RUNTIME`) that built one runtime
//! with the same worker count and ran the 200-file read: async-fs brings the `blocking`
//! crate's own pool beside smol's executor threads, while filch and tokio use their runtime's
//! blocking pool.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use filch_benches::rt::{Filch, Kind, Rt, Smol, Tokio};

use crate::cli::Options;
use crate::report::{Row, Unit};

const FILES: usize = 200;
const FILE_LEN: usize = 1 << 20;
const BIG_LEN: usize = 256 << 20;
const CHUNK: usize = 64 << 10;
const ENTRIES: usize = 10_000;

/// The workload names, for `--only` and `--list`.
pub(crate) const NAMES: [&str; 4] = [
    "fs: read 200 x 1 MiB",
    "fs: copy 256 MiB in 64 KiB",
    "fs: read_dir 10,000",
    "fs: threads",
];

pub(crate) fn describe(name: &str) -> &'static str {
    match name {
        "fs: read 200 x 1 MiB" => "200 tasks read a 1 MiB file each through File, at once",
        "fs: copy 256 MiB in 64 KiB" => {
            "one task streams a 256 MiB file to a new one, 64 KiB a step"
        }
        "fs: read_dir 10,000" => "read_dir of a directory of 10,000 entries",
        "fs: threads" => "threads of a process with one runtime after the 200-file read",
        _ => "",
    }
}

/// Where the files are.
struct Data {
    root: PathBuf,
}

impl Data {
    fn small(&self, i: usize) -> PathBuf {
        self.root.join(format!("small/{i:03}"))
    }
    fn big(&self) -> PathBuf {
        self.root.join("big")
    }
    fn copy_to(&self) -> PathBuf {
        self.root.join("big.copy")
    }
    fn dir(&self) -> PathBuf {
        self.root.join("dir")
    }

    /// Creates the files if they are not there yet.
    fn prepare() -> io::Result<Data> {
        let data = Data {
            root: std::env::temp_dir().join("filch-compare-fs"),
        };
        std::fs::create_dir_all(data.root.join("small"))?;
        let chunk: Vec<u8> = (0..FILE_LEN).map(|i| (i * 31 % 251) as u8).collect();
        for i in 0..FILES {
            let path = data.small(i);
            if std::fs::metadata(&path).map(|m| m.len() as usize).ok() != Some(FILE_LEN) {
                std::fs::write(&path, &chunk)?;
            }
        }
        if std::fs::metadata(data.big()).map(|m| m.len() as usize).ok() != Some(BIG_LEN) {
            let mut file = std::fs::File::create(data.big())?;
            for _ in 0..BIG_LEN / FILE_LEN {
                std::io::Write::write_all(&mut file, &chunk)?;
            }
        }
        std::fs::create_dir_all(data.dir())?;
        if std::fs::read_dir(data.dir())?.count() != ENTRIES {
            for i in 0..ENTRIES {
                std::fs::write(data.dir().join(format!("entry-{i:05}")), "")?;
            }
        }
        Ok(data)
    }
}

/// One runtime's way of doing the three workloads.
trait FsRt: Rt {
    fn read_many(&self, paths: Vec<PathBuf>) -> io::Result<usize>;
    fn copy(&self, from: &Path, to: &Path) -> io::Result<u64>;
    fn list(&self, dir: &Path) -> io::Result<usize>;
}

/// `read_many` and `copy`, written once: the same source on every runtime, with that runtime's
/// `File` type and extension traits (`$file`, `$uses`).
macro_rules! read_and_copy {
    ($file:ty, $($uses:tt)*) => {
        fn read_many(&self, paths: Vec<PathBuf>) -> io::Result<usize> {
            #[allow(unused_imports)]
            use $($uses)*;
            self.block_on(async {
                let tasks: Vec<_> = paths
                    .into_iter()
                    .map(|path| {
                        self.spawn(async move {
                            let mut file = <$file>::open(path).await?;
                            let mut buf = Vec::with_capacity(FILE_LEN);
                            file.read_to_end(&mut buf).await
                        })
                    })
                    .collect();
                let mut total = 0;
                for task in tasks {
                    total += task.await?;
                }
                Ok(total)
            })
        }

        fn copy(&self, from: &Path, to: &Path) -> io::Result<u64> {
            use $($uses)*;
            let (from, to) = (from.to_owned(), to.to_owned());
            self.block_on(self.spawn(async move {
                let mut src = <$file>::open(from).await?;
                let mut dst = <$file>::create(to).await?;
                let mut buf = vec![0u8; CHUNK];
                let mut copied = 0u64;
                loop {
                    let n = src.read(&mut buf).await?;
                    if n == 0 {
                        break;
                    }
                    dst.write_all(&buf[..n]).await?;
                    copied += n as u64;
                }
                dst.flush().await?;
                Ok(copied)
            }))
        }
    };
}

impl FsRt for Filch {
    read_and_copy!(filch::fs::File, filch::io::{AsyncReadExt, AsyncWriteExt});

    fn list(&self, dir: &Path) -> io::Result<usize> {
        let dir = dir.to_owned();
        self.block_on(self.spawn(async move {
            let mut entries = filch::fs::read_dir(dir).await?;
            let mut n = 0;
            while entries.next_entry().await?.is_some() {
                n += 1;
            }
            Ok(n)
        }))
    }
}

impl FsRt for Tokio {
    read_and_copy!(tokio::fs::File, tokio::io::{AsyncReadExt, AsyncWriteExt});

    fn list(&self, dir: &Path) -> io::Result<usize> {
        let dir = dir.to_owned();
        self.block_on(self.spawn(async move {
            let mut entries = tokio::fs::read_dir(dir).await?;
            let mut n = 0;
            while entries.next_entry().await?.is_some() {
                n += 1;
            }
            Ok(n)
        }))
    }
}

impl FsRt for Smol {
    read_and_copy!(async_fs::File, futures_lite::{AsyncReadExt, AsyncWriteExt});

    fn list(&self, dir: &Path) -> io::Result<usize> {
        use futures_lite::StreamExt;
        let dir = dir.to_owned();
        self.block_on(self.spawn(async move {
            let mut entries = async_fs::read_dir(dir).await?;
            let mut n = 0;
            while let Some(entry) = entries.next().await {
                entry?;
                n += 1;
            }
            Ok(n)
        }))
    }
}

/// Runs workload `index` once on `rt`; returns its time in ms, after checking what it did.
fn sample<R: FsRt>(rt: &R, data: &Data, index: usize) -> io::Result<f64> {
    let start = Instant::now();
    match index {
        0 => {
            let read = rt.read_many((0..FILES).map(|i| data.small(i)).collect())?;
            check(read == FILES * FILE_LEN, "read the wrong number of bytes")?;
        }
        1 => {
            let copied = rt.copy(&data.big(), &data.copy_to())?;
            check(copied == BIG_LEN as u64, "copied the wrong number of bytes")?;
        }
        _ => {
            let listed = rt.list(&data.dir())?;
            check(listed == ENTRIES, "listed the wrong number of entries")?;
        }
    }
    Ok(start.elapsed().as_secs_f64() * 1e3)
}

fn check(ok: bool, what: &str) -> io::Result<()> {
    if ok {
        Ok(())
    } else {
        Err(io::Error::other(format!("fs workload {what}")))
    }
}

pub(crate) fn run_fs(options: &Options, rows: &mut Vec<Row>) -> io::Result<()> {
    let wanted: Vec<usize> = (0..3).filter(|&i| options.wants(NAMES[i])).collect();
    let threads = options.wants(NAMES[3]);
    if wanted.is_empty() && !threads {
        return Ok(());
    }
    eprint!("compare: fs: preparing files ");
    let data = Data::prepare()?;
    // Read everything once so every run finds it in the page cache.
    for i in 0..FILES {
        std::fs::read(data.small(i))?;
    }
    std::fs::read(data.big())?;
    eprintln!("done");
    let filch = Filch::new(options.threads)?;
    let tokio = Tokio::new(options.threads)?;
    let smol = Smol::new(options.threads)?;
    for index in wanted {
        eprint!("compare: {} ", NAMES[index]);
        let mut row = Row::new(format!("{} (ms)", NAMES[index]), Unit::Millis);
        for round in 0..=options.slow_rounds() {
            for kind in options.kinds() {
                let ms = match kind {
                    Kind::Filch => sample(&filch, &data, index)?,
                    Kind::Tokio => sample(&tokio, &data, index)?,
                    Kind::Smol => sample(&smol, &data, index)?,
                };
                // Round 0 warms up.
                if round > 0 {
                    row.push(kind, ms);
                }
            }
            eprint!(".");
        }
        eprintln!();
        rows.push(row);
    }
    let _ = std::fs::remove_file(data.copy_to());
    if threads {
        eprint!("compare: fs: threads ");
        let mut row = Row::new("fs: threads after the 200-file read", Unit::Count);
        let exe = std::env::current_exe()?;
        for kind in options.kinds() {
            let out = Command::new(&exe)
                .args(["--fs-threads", kind.name(), &options.threads.to_string()])
                .output()?;
            let text = String::from_utf8_lossy(&out.stdout);
            let count: f64 = text.trim().parse().map_err(|_| {
                io::Error::other(format!(
                    "--fs-threads {} printed {text:?}: {}",
                    kind.name(),
                    String::from_utf8_lossy(&out.stderr)
                ))
            })?;
            row.push(kind, count);
            eprint!(".");
        }
        eprintln!();
        rows.push(row);
    }
    Ok(())
}

/// The child of `fs: threads`: builds one runtime, runs the 200-file read, prints the number
/// of threads of this process.
pub(crate) fn count_threads(args: &[String]) -> ExitCode {
    let (Some(kind), Some(threads)) = (
        args.first().and_then(|name| Kind::from_name(name)),
        args.get(1).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("compare: --fs-threads needs a runtime name and a thread count");
        return ExitCode::from(2);
    };
    let result = (|| -> io::Result<usize> {
        let data = Data::prepare()?;
        // Pools keep idle threads for seconds; count right after the work, with the runtime
        // still alive.
        fn run<R: FsRt>(rt: R, data: &Data) -> io::Result<usize> {
            sample(&rt, data, 0)?;
            std::thread::sleep(Duration::from_millis(10));
            let n = process_threads();
            drop(rt);
            n
        }
        match kind {
            Kind::Filch => run(Filch::new(threads)?, &data),
            Kind::Tokio => run(Tokio::new(threads)?, &data),
            Kind::Smol => run(Smol::new(threads)?, &data),
        }
    })();
    match result {
        Ok(n) => {
            println!("{n}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("compare: --fs-threads: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The `Threads:` line of `/proc/self/status`.
fn process_threads() -> io::Result<usize> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| io::Error::other("no Threads line in /proc/self/status"))
}
