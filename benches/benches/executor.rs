//! Criterion's detailed view of the executor workloads: one group per workload, one benchmark
//! per runtime, all with the same number of worker threads.
//!
//! ```text
//! cargo bench -p filch-benches --bench executor [-- <filter>]
//! ```
//!
//! `FILCH_BENCH_THREADS` sets the worker count (default: the number of CPUs). The `compare`
//! binary is the quick side-by-side table; this is the place for confidence intervals and for
//! comparing a change against a saved baseline (`-- --save-baseline before`, then
//! `-- --baseline before`).

#![allow(missing_docs)] // criterion_group! generates an undocumented function.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use filch_benches::rt::{Filch, Rt, Smol, Tokio};
use filch_benches::workloads::{self, Workload};

fn threads() -> usize {
    match std::env::var("FILCH_BENCH_THREADS") {
        Ok(value) => match value.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!(
                    "FILCH_BENCH_THREADS must be a whole number of at least 1, not `{value}`; \
                     using the number of CPUs"
                );
                cpus()
            }
        },
        Err(_) => cpus(),
    }
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Adds `rt`'s run of `workload` to `group`. Each iteration's time is the workload's own
/// measurement, so set-up outside the measured part (the busy tasks of
/// spawn_many_remote_busy) stays out of the figure.
fn bench_on<R: Rt>(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    rt: &R,
    workload: Workload<R>,
) {
    group.bench_function(R::NAME, |b| {
        b.iter_custom(|iterations| (0..iterations).map(|_| workload(rt)).sum::<Duration>())
    });
}

fn executor(c: &mut Criterion) {
    let threads = threads();
    let filch = Filch::new(threads).expect("could not build the filch runtime");
    let tokio = Tokio::new(threads).expect("could not build the tokio runtime");
    let smol = Smol::new(threads).expect("could not build the smol runtime");

    let on_filch = workloads::executor_workloads::<Filch>();
    let on_tokio = workloads::executor_workloads::<Tokio>();
    let on_smol = workloads::executor_workloads::<Smol>();
    for ((name, filch_workload), ((_, tokio_workload), (_, smol_workload))) in
        on_filch.into_iter().zip(on_tokio.into_iter().zip(on_smol))
    {
        let mut group = c.benchmark_group(name);
        bench_on(&mut group, &filch, filch_workload);
        bench_on(&mut group, &tokio, tokio_workload);
        bench_on(&mut group, &smol, smol_workload);
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = executor
}
criterion_main!(benches);
