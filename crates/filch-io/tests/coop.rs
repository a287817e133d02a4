//! Cooperative budget: a task reading an always-ready socket does not starve others.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::{guard, runtime};
use filch_executor::spawn;
use filch_io::net::UnixStream;
use futures_lite::{AsyncReadExt, AsyncWriteExt};

#[test]
fn always_ready_reader_lets_other_tasks_run() {
    guard(move || {
        const DATA: usize = 64 * 1024;
        let rt = runtime(1);
        rt.block_on(async {
            let (mut reader, mut writer) = UnixStream::pair()?;
            writer.write_all(&vec![7u8; DATA]).await?;
            let other_ran = Arc::new(AtomicBool::new(false));
            let read_task = {
                let other_ran = other_ran.clone();
                spawn(async move {
                    let mut byte = [0u8; 1];
                    reader.read_exact(&mut byte).await?;
                    // The socket now has ~64 KiB queued: every read below is ready at once.
                    // Only now start the other task, on the same (single) worker.
                    let flag = other_ran.clone();
                    spawn(async move { flag.store(true, Ordering::SeqCst) });
                    let mut read = 1;
                    while read < DATA {
                        reader.read_exact(&mut byte).await?;
                        read += 1;
                        if other_ran.load(Ordering::SeqCst) {
                            return std::io::Result::Ok(read);
                        }
                    }
                    std::io::Result::Ok(read)
                })
            };
            let read = read_task.await.unwrap()?;
            assert!(
                read < DATA,
                "the reader drained all {DATA} bytes without letting the other task run"
            );
            assert!(
                read <= 2 * filch_executor::coop::BUDGET as usize,
                "yielded after {read} reads"
            );
            drop(writer);
            std::io::Result::Ok(())
        })
        .unwrap();
    })
}
