//! The executor workloads and the timer workload, run in this process on every runtime.

use std::io;
use std::time::Duration;

use filch_benches::rt::{Filch, Kind, Rt, Smol, Tokio};
use filch_benches::workloads::{self, TimerReport};

use crate::cli::Options;
use crate::report::{Row, Unit};

/// The runtimes, kept for the whole executor part; only those selected are built.
struct Runtimes {
    filch: Option<Filch>,
    tokio: Option<Tokio>,
    smol: Option<Smol>,
}

impl Runtimes {
    fn build(options: &Options) -> io::Result<Runtimes> {
        let kinds = options.kinds();
        Ok(Runtimes {
            filch: kinds
                .contains(&Kind::Filch)
                .then(|| build_one::<Filch>(options))
                .transpose()?,
            tokio: kinds
                .contains(&Kind::Tokio)
                .then(|| build_one::<Tokio>(options))
                .transpose()?,
            smol: kinds
                .contains(&Kind::Smol)
                .then(|| build_one::<Smol>(options))
                .transpose()?,
        })
    }
}

/// Builds one runtime of the flavour `options` asks for.
pub(crate) fn build_one<R: Rt>(options: &Options) -> io::Result<R> {
    if options.current_thread {
        R::new_current_thread().unwrap_or_else(|| {
            Err(io::Error::other(format!(
                "{} has no current-thread runtime here",
                R::NAME
            )))
        })
    } else {
        R::new(options.threads)
    }
}

/// Runs `$body` with `$rt` bound to the runtime of `$kind` (each arm monomorphises `$body`).
macro_rules! on {
    ($runtimes:expr, $kind:expr, |$rt:ident| $body:expr) => {
        match $kind {
            Kind::Filch => {
                let $rt = $runtimes
                    .filch
                    .as_ref()
                    .expect("only selected runtimes run");
                $body
            }
            Kind::Tokio => {
                let $rt = $runtimes
                    .tokio
                    .as_ref()
                    .expect("only selected runtimes run");
                $body
            }
            Kind::Smol => {
                let $rt = $runtimes.smol.as_ref().expect("only selected runtimes run");
                $body
            }
        }
    };
}

/// Runs the executor workload `name` `iterations` times; returns the mean time in ms.
fn sample<R: Rt>(rt: &R, name: &str, iterations: usize) -> f64 {
    let (_, workload) = workloads::executor_workloads::<R>()
        .into_iter()
        .find(|(candidate, _)| *candidate == name)
        .expect("the workload list is the same for every runtime");
    let total: Duration = (0..iterations).map(|_| workload(rt)).sum();
    total.as_secs_f64() * 1e3 / iterations as f64
}

pub(crate) fn run_executor(options: &Options, rows: &mut Vec<Row>) -> io::Result<()> {
    let names: Vec<&str> = workloads::executor_workloads::<Tokio>()
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| options.wants(name))
        .collect();
    let timers = options.wants("timers");
    if names.is_empty() && !timers {
        return Ok(());
    }
    let runtimes = Runtimes::build(options)?;

    for name in names {
        eprint!("compare: {name} ");
        // Warm every runtime up once, and size a sample from the slowest warm-up.
        let mut slowest: f64 = 0.0;
        for kind in options.kinds() {
            slowest = slowest.max(on!(runtimes, kind, |rt| sample(rt, name, 1)));
        }
        let budget = options.executor_sample().as_secs_f64() * 1e3;
        let iterations = options
            .iterations
            .unwrap_or_else(|| ((budget / slowest.max(1e-3)).ceil() as usize).clamp(1, 1_000));
        let mut row = Row::new(format!("{name} (ms)"), Unit::Millis);
        for _ in 0..options.executor_rounds() {
            for kind in options.kinds() {
                row.push(kind, on!(runtimes, kind, |rt| sample(rt, name, iterations)));
            }
            eprint!(".");
        }
        eprintln!();
        rows.push(row);
    }

    if timers {
        eprint!("compare: timers ");
        let mut wall = Row::new("timers: wall (ms)", Unit::Millis);
        let mut p50 = Row::new("timers: lateness p50 (us)", Unit::Micros);
        let mut p99 = Row::new("timers: lateness p99 (us)", Unit::Micros);
        for _ in 0..options.slow_rounds() {
            for kind in options.kinds() {
                let report: TimerReport = on!(runtimes, kind, |rt| workloads::timers(rt));
                if report.early > 0 {
                    eprintln!(
                        "\ncompare: {} woke {} sleeps before their deadline",
                        kind.name(),
                        report.early
                    );
                }
                wall.push(kind, report.elapsed.as_secs_f64() * 1e3);
                p50.push(kind, report.lateness_p50.as_secs_f64() * 1e6);
                p99.push(kind, report.lateness_p99.as_secs_f64() * 1e6);
            }
            eprint!(".");
        }
        eprintln!();
        rows.extend([wall, p50, p99]);
    }
    Ok(())
}
