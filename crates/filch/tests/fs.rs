//! `filch::fs`: every free function, `File`'s buffer semantics, `ReadDir`, errors naming paths,
//! use from many tasks, and the error outside a runtime.

mod common;

use std::future::Future;
use std::io::{ErrorKind, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use filch::fs::{self, DirBuilder, File, OpenOptions};
use filch::io::prelude::*;
use futures_lite::future::poll_once;
use futures_lite::StreamExt;

/// A fresh directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("filch-fs-test-{}-{name}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the future `make(dir)` builds on a fresh runtime, under the hang guard.
#[track_caller]
fn run<F, Fut>(name: &'static str, make: F)
where
    F: FnOnce(TempDir) -> Fut + Send + 'static,
    Fut: Future<Output = std::io::Result<()>> + Send + 'static,
{
    common::guard(name, move || {
        let dir = TempDir::new(name);
        let rt = filch::runtime::Runtime::new().unwrap();
        // In a task, as most file work runs.
        let task = rt.spawn(make(dir));
        rt.block_on(task).unwrap().unwrap();
    });
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[test]
fn read_write_and_strings() {
    run("read_write_and_strings", |dir| async move {
        let path = dir.join("a.txt");
        fs::write(&path, "hello").await?;
        assert_eq!(fs::read(&path).await?, b"hello");
        assert_eq!(fs::read_to_string(&path).await?, "hello");
        fs::write(&path, [0xff, 0xfe]).await?;
        let err = fs::read_to_string(&path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        Ok(())
    });
}

#[test]
fn copy_rename_remove_exists() {
    run("copy_rename_remove_exists", |dir| async move {
        let (a, b, c) = (dir.join("a"), dir.join("b"), dir.join("c"));
        fs::write(&a, pattern(10_000)).await?;
        assert_eq!(fs::copy(&a, &b).await?, 10_000);
        assert_eq!(fs::read(&b).await?, pattern(10_000));
        fs::rename(&b, &c).await?;
        assert!(!fs::try_exists(&b).await?);
        assert!(fs::try_exists(&c).await?);
        fs::remove_file(&c).await?;
        assert!(!fs::try_exists(&c).await?);
        assert_eq!(
            fs::remove_file(&c).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
        Ok(())
    });
}

#[test]
fn directories() {
    run("directories", |dir| async move {
        let d = dir.join("d");
        fs::create_dir(&d).await?;
        assert_eq!(
            fs::create_dir(&d).await.unwrap_err().kind(),
            ErrorKind::AlreadyExists
        );
        fs::create_dir_all(d.join("x/y/z")).await?;
        fs::create_dir_all(d.join("x/y/z")).await?;
        assert!(fs::metadata(d.join("x/y/z")).await?.is_dir());
        assert!(fs::remove_dir(d.join("x")).await.is_err(), "not empty");
        fs::remove_dir(d.join("x/y/z")).await?;
        assert!(!fs::try_exists(d.join("x/y/z")).await?);
        fs::remove_dir_all(&d).await?;
        assert!(!fs::try_exists(&d).await?);

        let e = dir.join("e/f");
        assert!(
            DirBuilder::new().create(&e).await.is_err(),
            "parent missing"
        );
        use std::os::unix::fs::PermissionsExt;
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&e)
            .await?;
        assert_eq!(fs::metadata(&e).await?.permissions().mode() & 0o777, 0o700);
        Ok(())
    });
}

#[test]
fn links_and_canonicalize() {
    run("links_and_canonicalize", |dir| async move {
        use std::os::unix::fs::MetadataExt;
        let target = dir.join("target");
        fs::write(&target, "t").await?;
        fs::hard_link(&target, dir.join("hard")).await?;
        assert_eq!(fs::metadata(&target).await?.nlink(), 2);
        fs::symlink(&target, dir.join("soft")).await?;
        assert_eq!(fs::read_link(dir.join("soft")).await?, target);
        assert!(fs::symlink_metadata(dir.join("soft")).await?.is_symlink());
        assert!(fs::metadata(dir.join("soft")).await?.is_file());
        assert_eq!(
            fs::canonicalize(dir.join("soft")).await?,
            std::fs::canonicalize(&target)?
        );
        // A broken link: try_exists says false, symlink_metadata still works.
        fs::symlink(dir.join("nowhere"), dir.join("broken")).await?;
        assert!(!fs::try_exists(dir.join("broken")).await?);
        Ok(())
    });
}

#[test]
fn permissions() {
    run("permissions", |dir| async move {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("p");
        fs::write(&path, "x").await?;
        fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).await?;
        assert_eq!(
            fs::metadata(&path).await?.permissions().mode() & 0o777,
            0o640
        );
        let file = File::open(&path).await?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .await?;
        assert_eq!(file.metadata().await?.permissions().mode() & 0o777, 0o600);
        Ok(())
    });
}

#[test]
fn errors_name_the_operation_and_path() {
    run("errors_name_the_operation_and_path", |dir| async move {
        use std::error::Error;
        let missing = dir.join("nope.conf");
        let err = File::open(&missing).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let expected = format!(
            "failed to open {missing:?}: {}",
            std::io::Error::from_raw_os_error(libc::ENOENT)
        );
        assert_eq!(err.to_string(), expected);
        assert_eq!(fs::os_error(&err), Some(libc::ENOENT));
        let source = err
            .source()
            .unwrap()
            .downcast_ref::<std::io::Error>()
            .unwrap();
        assert_eq!(source.raw_os_error(), Some(libc::ENOENT));

        let err = fs::rename(&missing, dir.join("b")).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "failed to rename {missing:?} to {:?}: {}",
                dir.join("b"),
                std::io::Error::from_raw_os_error(libc::ENOENT)
            )
        );
        let err = fs::read_dir(&missing).await.unwrap_err();
        assert!(
            err.to_string().starts_with("failed to read directory \""),
            "{err}"
        );
        let err = fs::metadata(&missing).await.unwrap_err();
        assert!(err.to_string().contains("nope.conf"), "{err}");
        Ok(())
    });
}

#[test]
fn open_options() {
    run("open_options", |dir| async move {
        use std::os::unix::fs::PermissionsExt;
        let path = dir.join("o");
        let mut f = File::create_new(&path).await?;
        f.write_all(b"abc").await?;
        f.flush().await?;
        assert_eq!(
            File::create_new(&path).await.unwrap_err().kind(),
            ErrorKind::AlreadyExists
        );
        let mut f = OpenOptions::new().append(true).open(&path).await?;
        f.write_all(b"def").await?;
        f.flush().await?;
        assert_eq!(fs::read(&path).await?, b"abcdef");

        let moded = dir.join("moded");
        drop(
            File::options()
                .write(true)
                .create(true)
                .mode(0o600)
                .open(&moded)
                .await?,
        );
        assert_eq!(
            fs::metadata(&moded).await?.permissions().mode() & 0o777,
            0o600
        );

        fs::symlink(&path, dir.join("link")).await?;
        let err = File::options()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(dir.join("link"))
            .await
            .unwrap_err();
        assert_eq!(fs::os_error(&err), Some(libc::ELOOP));
        Ok(())
    });
}

#[test]
fn seek_after_write_and_position() {
    run("seek_after_write_and_position", |dir| async move {
        let mut f = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(dir.join("s"))
            .await?;
        f.write_all(b"hello world").await?;
        // No flush: the seek must wait for the pending write.
        assert_eq!(f.seek(SeekFrom::Current(0)).await?, 11);
        assert_eq!(f.seek(SeekFrom::Start(6)).await?, 6);
        let mut rest = String::new();
        f.read_to_string(&mut rest).await?;
        assert_eq!(rest, "world");
        // Write, seek back relative, overwrite.
        f.seek(SeekFrom::Start(0)).await?;
        f.write_all(b"HELLO").await?;
        f.seek(SeekFrom::Current(1)).await?;
        f.write_all(b"W").await?;
        f.flush().await?;
        assert_eq!(fs::read(dir.join("s")).await?, b"HELLO World");
        Ok(())
    });
}

#[test]
fn read_ahead_position_is_corrected() {
    run("read_ahead_position_is_corrected", |dir| async move {
        let data = pattern(200_000);
        fs::write(dir.join("r"), &data).await?;
        let mut f = File::options()
            .read(true)
            .write(true)
            .open(dir.join("r"))
            .await?;
        let mut ten = [0u8; 10];
        f.read_exact(&mut ten).await?;
        assert_eq!(ten, data[..10]);
        // The read went ahead; the position is the user's.
        assert_eq!(f.seek(SeekFrom::Current(0)).await?, 10);
        assert_eq!(f.seek(SeekFrom::Current(5)).await?, 15);
        let mut one = [0u8; 1];
        f.read_exact(&mut one).await?;
        assert_eq!(one[0], data[15]);
        // A write after a read goes where the reader is.
        f.write_all(b"XY").await?;
        f.flush().await?;
        let now = fs::read(dir.join("r")).await?;
        assert_eq!(&now[16..18], b"XY");
        assert_eq!(now[18], data[18]);
        // into_std keeps the position too.
        let mut f = File::open(dir.join("r")).await?;
        f.read_exact(&mut ten).await?;
        let mut std = f.into_std().await;
        assert_eq!(std::io::Seek::stream_position(&mut std)?, 10);
        Ok(())
    });
}

#[test]
fn small_reads_and_writes_do_not_wait_for_the_pool() {
    run(
        "small_reads_and_writes_do_not_wait_for_the_pool",
        |dir| async move {
            fs::write(dir.join("small"), pattern(1000)).await?;
            let mut f = File::open(dir.join("small")).await?;
            let mut byte = [0u8; 1];
            f.read_exact(&mut byte).await?;
            // The first read filled the buffer. The next ones are served from it: they even work on
            // a thread outside any runtime, where a trip to the blocking pool would be an error.
            let f = std::thread::spawn(move || {
                for i in 1..1000 {
                    let got = futures_lite::future::block_on(f.read(&mut byte));
                    assert_eq!(got.unwrap(), 1, "read {i}");
                    assert_eq!(byte[0], (i % 251) as u8);
                }
                f
            })
            .join()
            .unwrap();
            drop(f);
            // A write with nothing in flight is ready at once (deferred to the pool).
            let mut w = File::create(dir.join("w")).await?;
            assert!(matches!(poll_once(w.write(b"abc")).await, Some(Ok(3))));
            w.flush().await?;
            assert_eq!(fs::read(dir.join("w")).await?, b"abc");
            Ok(())
        },
    );
}

#[test]
fn small_writes_while_a_write_runs_do_not_wait() {
    run(
        "small_writes_while_a_write_runs_do_not_wait",
        |dir| async move {
            let mut f = File::create(dir.join("many")).await?;
            let mut expected = Vec::new();
            let mut waited = 0;
            // Fewer polls than the coop budget, so a wait can only come from the pool.
            for i in 0..100 {
                let line = format!("line {i:03}\n");
                match poll_once(f.write(line.as_bytes())).await {
                    Some(n) => assert_eq!(n?, line.len()),
                    None => {
                        waited += 1;
                        f.write_all(line.as_bytes()).await?;
                    }
                }
                expected.extend_from_slice(line.as_bytes());
            }
            f.flush().await?;
            assert_eq!(fs::read(dir.join("many")).await?, expected);
            // Only the rare poll that catches a job between draining and reporting may wait.
            assert!(
                waited <= 10,
                "{waited} of 100 small writes waited for the pool"
            );
            // Dropping a file with appended bytes in flight still writes them.
            let mut f = File::create(dir.join("dropped")).await?;
            for _ in 0..50 {
                f.write_all(b"0123456789").await?;
            }
            drop(f);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            while fs::metadata(dir.join("dropped")).await?.len() < 500 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "bytes of a dropped File were lost"
                );
                filch::task::yield_now().await;
            }
            Ok(())
        },
    );
}

#[test]
fn buffered_reads_spend_the_coop_budget() {
    run("buffered_reads_spend_the_coop_budget", |dir| async move {
        fs::write(dir.join("b"), pattern(5000)).await?;
        let mut f = File::open(dir.join("b")).await?;
        let mut byte = [0u8; 1];
        f.read_exact(&mut byte).await?;
        filch::task::yield_now().await;
        // Reads served from the buffer never wait, yet the task is made to yield eventually.
        let mut ready = 0;
        while poll_once(f.read(&mut byte)).await.is_some() {
            ready += 1;
            assert!(ready < 4000, "buffered reads never ran out of budget");
        }
        assert!(ready > 0);
        // After yielding, reading carries on where it was.
        filch::task::yield_now().await;
        f.read_exact(&mut byte).await?;
        assert_eq!(byte[0], ((ready + 1) % 251) as u8);
        Ok(())
    });
}

#[test]
fn deferred_write_error_is_reported_at_flush() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full on this system");
        return;
    }
    run(
        "deferred_write_error_is_reported_at_flush",
        |_dir| async move {
            let mut f = File::create("/dev/full").await?;
            // The write is deferred: it succeeds here...
            assert_eq!(f.write(b"no room").await?, 7);
            // ...and its error comes at flush, naming the path.
            let err = f.flush().await.unwrap_err();
            assert_eq!(fs::os_error(&err), Some(libc::ENOSPC));
            assert!(
                err.to_string()
                    .starts_with("failed to write to \"/dev/full\": "),
                "{err}"
            );
            // Reported once.
            f.flush().await?;

            // close reports it too.
            let mut f = File::create("/dev/full").await?;
            f.write_all(b"x").await?;
            assert_eq!(
                fs::os_error(&f.close().await.unwrap_err()),
                Some(libc::ENOSPC)
            );

            // So does sync_all, and a later write.
            let mut f = File::create("/dev/full").await?;
            f.write_all(b"x").await?;
            let _ = poll_once(f.read(&mut [0u8; 1])).await;
            let err = f.sync_all().await.unwrap_err();
            assert_eq!(fs::os_error(&err), Some(libc::ENOSPC));
            Ok(())
        },
    );
}

#[test]
fn file_methods() {
    run("file_methods", |dir| async move {
        let path = dir.join("m");
        let mut f = File::create(&path).await?;
        f.write_all(&pattern(5000)).await?;
        f.sync_all().await?;
        f.sync_data().await?;
        assert_eq!(f.metadata().await?.len(), 5000);
        f.set_len(100).await?;
        assert_eq!(fs::metadata(&path).await?.len(), 100);

        // try_clone shares the position.
        let mut g = f.try_clone().await?;
        g.seek(SeekFrom::Start(50)).await?;
        assert_eq!(f.seek(SeekFrom::Current(0)).await?, 50);

        // set_max_buf_size bounds one write.
        f.set_max_buf_size(4);
        assert_eq!(f.write(b"0123456789").await?, 4);

        // try_into_std refuses while a write is in flight, then works once it is done.
        let f = match f.try_into_std() {
            Ok(_) => panic!("a write was in flight"),
            Err(f) => f,
        };
        let mut f = f;
        f.flush().await?;
        let std = f.try_into_std().expect("idle");
        let f = File::from_std(std);
        assert_eq!(f.metadata().await?.len(), 100);
        Ok(())
    });
}

#[test]
fn read_dir_many_entries() {
    run("read_dir_many_entries", |dir| async move {
        use std::os::unix::fs::MetadataExt;
        let n = 1000;
        for i in 0..n {
            std::fs::write(dir.join(&format!("f{i:04}")), i.to_string())?;
        }
        fs::create_dir(dir.join("sub")).await?;
        let mut names = Vec::new();
        let mut entries = fs::read_dir(&dir.0).await?;
        while let Some(entry) = entries.next_entry().await? {
            let ty = entry.file_type().await?;
            if entry.file_name() == "sub" {
                assert!(ty.is_dir());
            } else {
                assert!(ty.is_file());
                let meta = entry.metadata().await?;
                assert_eq!(entry.ino(), meta.ino());
                assert_eq!(entry.path(), dir.0.join(entry.file_name()));
            }
            names.push(entry.file_name().into_string().unwrap());
        }
        assert!(entries.next_entry().await?.is_none());
        names.sort();
        let mut want: Vec<String> = (0..n).map(|i| format!("f{i:04}")).collect();
        want.push("sub".into());
        assert_eq!(names, want);

        let streamed: Vec<_> = fs::read_dir(&dir.0).await?.collect().await;
        assert_eq!(streamed.len(), n + 1);
        assert!(streamed.iter().all(Result::is_ok));
        Ok(())
    });
}

#[test]
fn file_from_many_tasks() {
    run("file_from_many_tasks", |dir| async move {
        // Writers share one File through an async mutex, each writing its own record.
        let file = Arc::new(filch::sync::Mutex::new(
            File::create(dir.join("shared")).await?,
        ));
        let mut tasks = Vec::new();
        for i in 0..64u64 {
            let file = file.clone();
            tasks.push(filch::spawn(async move {
                let mut f = file.lock().await;
                f.seek(SeekFrom::Start(i * 8)).await?;
                f.write_all(format!("{i:07}\n").as_bytes()).await?;
                std::io::Result::Ok(())
            }));
        }
        for t in tasks {
            t.await.unwrap()?;
        }
        file.lock().await.flush().await?;
        let text = fs::read_to_string(dir.join("shared")).await?;
        for (i, line) in text.lines().enumerate() {
            assert_eq!(line, format!("{i:07}"));
        }

        // The &self methods from many tasks at once: each waits its turn and is woken.
        let shared = Arc::new(File::options().write(true).open(dir.join("shared")).await?);
        let mut tasks = Vec::new();
        for i in 0..64u64 {
            let f = shared.clone();
            tasks.push(filch::spawn(async move {
                f.set_len(1000 + i).await?;
                f.sync_data().await?;
                f.metadata().await.map(|m| m.len())
            }));
        }
        for t in tasks {
            let len = t.await.unwrap()?;
            assert!((1000..1064).contains(&len), "{len}");
        }
        Ok(())
    });
}

#[test]
fn outside_a_runtime_is_an_error_naming_the_fix() {
    let err = futures_lite::future::block_on(fs::read("/etc/hostname")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Other);
    let msg = err.to_string();
    assert!(msg.contains("filch::fs::read"), "{msg}");
    assert!(msg.contains("inside a filch runtime"), "{msg}");
    assert!(msg.contains("Runtime::block_on"), "{msg}");

    // A File made inside a runtime and used outside it fails the same way.
    let dir = TempDir::new("outside");
    let rt = filch::runtime::Runtime::new().unwrap();
    let mut f = rt.block_on(File::create(dir.join("x"))).unwrap();
    let err = futures_lite::future::block_on(f.write(b"x")).unwrap_err();
    assert!(err.to_string().contains("inside a filch runtime"), "{err}");
}

#[test]
fn file_is_unwind_safe_send_sync_unpin() {
    fn check<T: std::panic::UnwindSafe + std::panic::RefUnwindSafe + Send + Sync + Unpin>() {}
    check::<File>();
    check::<OpenOptions>();
    check::<DirBuilder>();
    fn send<T: Send + Unpin>() {}
    send::<fs::ReadDir>();
    send::<fs::DirEntry>();
}

#[test]
fn read_to_end_reads_into_the_callers_allocation_after_buffered_bytes() {
    run("read_to_end_alloc", |dir| async move {
        let path = dir.join("f");
        let data = pattern(300_000);
        fs::write(&path, &data).await?;

        // An empty vector with room: the bytes arrive in its own allocation.
        let mut file = File::open(&path).await?;
        let mut all = Vec::with_capacity(1 << 20);
        let before = all.as_ptr() as usize;
        assert_eq!(file.read_to_end(&mut all).await?, data.len());
        assert_eq!(all, data);
        assert_eq!(
            all.as_ptr() as usize,
            before,
            "read into the caller's allocation, not copied"
        );
        assert_eq!(file.read_to_end(&mut all).await?, 0, "at the end already");

        // After a small read (the rest of the read-ahead is buffered) and into a vector that
        // already holds bytes: appended, counted, in order.
        let mut file = File::open(&path).await?;
        let mut head = [0u8; 10];
        file.read_exact(&mut head).await?;
        let mut rest = b"prefix".to_vec();
        assert_eq!(file.read_to_end(&mut rest).await?, data.len() - 10);
        assert_eq!(&rest[..6], b"prefix");
        assert_eq!(&rest[6..], &data[10..]);

        // After a seek.
        file.seek(SeekFrom::Start(299_990)).await?;
        let mut tail = Vec::new();
        assert_eq!(file.read_to_end(&mut tail).await?, 10);
        assert_eq!(tail, &data[299_990..]);
        Ok(())
    });
}

#[test]
fn a_dropped_read_to_end_loses_no_bytes() {
    run("read_to_end_dropped", |dir| {
        let data = pattern(1 << 20);
        async move {
            // A FIFO whose writer holds back until the call is dropped, so the job is surely
            // still in flight when it is.
            let fifo = dir.join("fifo");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status()?;
            assert!(made.success(), "mkfifo failed");
            let (go, wait) = std::sync::mpsc::channel::<()>();
            let writer = {
                let (fifo, data) = (fifo.clone(), data.clone());
                std::thread::spawn(move || -> std::io::Result<()> {
                    let mut w = std::fs::OpenOptions::new().write(true).open(&fifo)?;
                    std::io::Write::write_all(&mut w, b"abc")?;
                    let _ = wait.recv();
                    std::io::Write::write_all(&mut w, &data)
                })
            };
            let mut file = File::open(&fifo).await?;
            let mut got = vec![0u8; 3];
            file.read_exact(&mut got).await?;
            assert_eq!(got, b"abc");
            {
                let mut partial = Vec::new();
                let first = poll_once(file.read_to_end(&mut partial)).await;
                assert!(first.is_none(), "the writer has not finished");
                got.extend_from_slice(&partial);
            }
            go.send(()).unwrap();
            writer.join().unwrap()?;
            // Plain reads after the dropped call get every byte its job read.
            let mut rest = vec![0u8; data.len() + 3 - got.len()];
            file.read_exact(&mut rest).await?;
            got.extend_from_slice(&rest);
            assert_eq!(file.read(&mut [0u8; 8]).await?, 0);
            assert!(
                got[3..] == data[..],
                "the bytes the dropped call read come back"
            );

            // A seek after a dropped call reports the caller's position (regular file; the
            // job may finish before the first poll ends on a loaded machine, so try a few).
            let path = dir.join("f");
            fs::write(&path, &data).await?;
            let mut checked = false;
            for _ in 0..20 {
                let mut file = File::open(&path).await?;
                let mut partial = Vec::new();
                if poll_once(file.read_to_end(&mut partial)).await.is_some() {
                    continue;
                }
                assert!(partial.is_empty(), "nothing was buffered before the call");
                assert_eq!(file.seek(SeekFrom::Current(0)).await?, 0);
                let mut again = vec![0u8; data.len()];
                file.read_exact(&mut again).await?;
                assert!(again == data, "read back after the seek");
                checked = true;
                break;
            }
            assert!(
                checked,
                "20 reads of 1 MiB each finished within their first poll"
            );
            Ok(())
        }
    });
}

#[test]
fn read_to_string_appends_and_keeps_bytes_that_are_not_utf8() {
    run("read_to_string", |dir| async move {
        let path = dir.join("text");
        fs::write(&path, "héllo wörld").await?;
        let mut text = String::from("> ");
        let n = File::open(&path).await?.read_to_string(&mut text).await?;
        assert_eq!((n, text.as_str()), ("héllo wörld".len(), "> héllo wörld"));

        let path = dir.join("bytes");
        fs::write(&path, b"ok \xff\xfe not text").await?;
        let mut file = File::open(&path).await?;
        let mut text = String::from("kept");
        let err = file.read_to_string(&mut text).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert!(err.to_string().contains("not valid UTF-8"), "{err}");
        assert_eq!(text, "kept", "left as it was");
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).await?;
        assert_eq!(bytes, b"ok \xff\xfe not text", "the bytes stay in the File");
        Ok(())
    });
}
