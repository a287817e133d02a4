//! The `filch::sync` workloads, each runtime with its own primitives; see
//! [`filch_benches::sync_workloads`].

use std::io;

use filch_benches::rt::{Filch, Kind, Rt, Smol, Tokio};
use filch_benches::sync_workloads::{self, SyncWorkload};

use crate::cli::Options;
use crate::report::{Row, Unit};

/// The sync workloads a runtime has: all of them for filch and tokio; for smol, all but the
/// broadcast one (no broadcast crate for smol is available to this build).
pub(crate) trait SyncList: Rt + Sized {
    fn list() -> Vec<(&'static str, SyncWorkload<Self>, usize)>;
}

impl SyncList for Filch {
    fn list() -> Vec<(&'static str, SyncWorkload<Self>, usize)> {
        let mut list = sync_workloads::sync_workloads();
        list.extend(sync_workloads::broadcast_workloads());
        list
    }
}

impl SyncList for Tokio {
    fn list() -> Vec<(&'static str, SyncWorkload<Self>, usize)> {
        let mut list = sync_workloads::sync_workloads();
        list.extend(sync_workloads::broadcast_workloads());
        list
    }
}

impl SyncList for Smol {
    fn list() -> Vec<(&'static str, SyncWorkload<Self>, usize)> {
        sync_workloads::sync_workloads()
    }
}

/// Every sync workload's name, in table order (filch has them all).
pub(crate) fn names() -> Vec<&'static str> {
    Filch::list().into_iter().map(|(name, _, _)| name).collect()
}

/// Runs the sync workload `name` `iterations` times on `rt`; the mean time in ms, or `None`
/// where the runtime lacks the primitive.
fn sample<R: SyncList>(rt: &R, name: &str, iterations: usize) -> Option<f64> {
    let (_, workload, n) = R::list()
        .into_iter()
        .find(|(candidate, _, _)| *candidate == name)?;
    let mut total = 0.0;
    for _ in 0..iterations {
        total += workload(rt, n).elapsed.as_secs_f64();
    }
    Some(total * 1e3 / iterations as f64)
}

/// [`sample`] on the runtime of `kind`; `None` where it was not built or lacks the workload.
fn on_kind(
    runtimes: &(Option<Filch>, Option<Tokio>, Option<Smol>),
    kind: Kind,
    name: &str,
    iterations: usize,
) -> Option<f64> {
    match kind {
        Kind::Filch => sample(runtimes.0.as_ref()?, name, iterations),
        Kind::Tokio => sample(runtimes.1.as_ref()?, name, iterations),
        Kind::Smol => sample(runtimes.2.as_ref()?, name, iterations),
    }
}

pub(crate) fn run_sync(options: &Options, rows: &mut Vec<Row>) -> io::Result<()> {
    if options.current_thread {
        // Measured on the multi-thread runtimes only: the channels and locks are the same code
        // whatever the flavour.
        return Ok(());
    }
    let names: Vec<&str> = names()
        .into_iter()
        .filter(|name| options.wants(name))
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    let kinds = options.kinds();
    let threads = options.threads;
    let runtimes = (
        kinds
            .contains(&Kind::Filch)
            .then(|| Filch::new(threads))
            .transpose()?,
        kinds
            .contains(&Kind::Tokio)
            .then(|| Tokio::new(threads))
            .transpose()?,
        kinds
            .contains(&Kind::Smol)
            .then(|| Smol::new(threads))
            .transpose()?,
    );
    for name in names {
        eprint!("compare: {name} ");
        // Warm every runtime up once, and size a sample from the slowest warm-up.
        let mut slowest: f64 = 0.0;
        for &kind in &kinds {
            if let Some(ms) = on_kind(&runtimes, kind, name, 1) {
                slowest = slowest.max(ms);
            }
        }
        let budget = options.executor_sample().as_secs_f64() * 1e3;
        let iterations = options
            .iterations
            .unwrap_or_else(|| ((budget / slowest.max(1e-3)).ceil() as usize).clamp(1, 1_000));
        let mut row = Row::new(format!("{name} (ms)"), Unit::Millis);
        for _ in 0..options.executor_rounds() {
            for &kind in &kinds {
                if let Some(ms) = on_kind(&runtimes, kind, name, iterations) {
                    row.push(kind, ms);
                }
            }
            eprint!(".");
        }
        eprintln!();
        rows.push(row);
    }
    Ok(())
}
