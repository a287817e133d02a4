//! The process workload: spawn 500 `true` processes at once and wait for all of them, with each
//! runtime's own process API (filch::process, tokio::process, async-process through
//! `smol::process`).
//!
//! All 500 children are spawned before the first wait, then awaited in spawn order, so the
//! runtime has many children in flight: it measures spawning (`fork`/`exec`, pipe-less) and how
//! exits are noticed (filch: a pidfd per child on the reactor; tokio: `SIGCHLD` and an orphan
//! queue on Linux; async-process: its own reaper).

use std::io;
use std::process::Stdio;
use std::time::Instant;

use filch_benches::rt::{Filch, Kind, Rt, Smol, Tokio};

use crate::cli::Options;
use crate::report::{Row, Unit};

/// The row's name.
pub(crate) const NAME: &str = "spawn and wait 500 true processes";
const CHILDREN: usize = 500;

/// One sample on filch, in ms.
fn filch(rt: &Filch) -> io::Result<f64> {
    rt.block_on(async {
        let start = Instant::now();
        let mut children = Vec::with_capacity(CHILDREN);
        for _ in 0..CHILDREN {
            children.push(
                filch::process::Command::new("true")
                    .stdin(Stdio::null())
                    .spawn()?,
            );
        }
        for child in &mut children {
            assert!(child.wait().await?.success());
        }
        Ok(start.elapsed().as_secs_f64() * 1e3)
    })
}

/// One sample on tokio, in ms.
fn tokio(rt: &Tokio) -> io::Result<f64> {
    rt.block_on(async {
        let start = Instant::now();
        let mut children = Vec::with_capacity(CHILDREN);
        for _ in 0..CHILDREN {
            children.push(
                tokio::process::Command::new("true")
                    .stdin(Stdio::null())
                    .spawn()?,
            );
        }
        for child in &mut children {
            assert!(child.wait().await?.success());
        }
        Ok(start.elapsed().as_secs_f64() * 1e3)
    })
}

/// One sample with async-process on smol's executor, in ms.
fn smol(rt: &Smol) -> io::Result<f64> {
    rt.block_on(async {
        let start = Instant::now();
        let mut children = Vec::with_capacity(CHILDREN);
        for _ in 0..CHILDREN {
            children.push(
                smol::process::Command::new("true")
                    .stdin(Stdio::null())
                    .spawn()?,
            );
        }
        for child in &mut children {
            assert!(child.status().await?.success());
        }
        Ok(start.elapsed().as_secs_f64() * 1e3)
    })
}

/// Runs the workload if `--only` selects it: one warm-up per runtime, then interleaved rounds.
pub(crate) fn run_process(options: &Options, rows: &mut Vec<Row>) -> io::Result<()> {
    if !options.wants(NAME) {
        return Ok(());
    }
    let kinds = options.kinds();
    let threads = options.threads;
    let filch_rt = kinds
        .contains(&Kind::Filch)
        .then(|| Filch::new(threads))
        .transpose()?;
    let tokio_rt = kinds
        .contains(&Kind::Tokio)
        .then(|| Tokio::new(threads))
        .transpose()?;
    let smol_rt = kinds
        .contains(&Kind::Smol)
        .then(|| Smol::new(threads))
        .transpose()?;
    let sample = |kind: Kind| -> io::Result<Option<f64>> {
        Ok(match kind {
            Kind::Filch => filch_rt.as_ref().map(filch).transpose()?,
            Kind::Tokio => tokio_rt.as_ref().map(tokio).transpose()?,
            Kind::Smol => smol_rt.as_ref().map(smol).transpose()?,
        })
    };
    eprint!("compare: {NAME} ");
    for &kind in &kinds {
        sample(kind)?;
    }
    let mut row = Row::new(format!("{NAME} (ms)"), Unit::Millis);
    for _ in 0..options.slow_rounds() {
        for &kind in &kinds {
            if let Some(ms) = sample(kind)? {
                row.push(kind, ms);
            }
        }
        eprint!(".");
    }
    eprintln!();
    rows.push(row);
    Ok(())
}
