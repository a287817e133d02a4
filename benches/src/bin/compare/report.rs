//! The table: rows of samples, and how they are printed.

use std::io::{self, Write};
use std::time::Duration;

use filch_benches::rt::Kind;
use filch_benches::stats::median;

use crate::cli::Options;

/// How a row's figures read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Unit {
    /// Milliseconds; lower is better.
    Millis,
    /// Microseconds; lower is better.
    Micros,
    /// Operations per second; higher is better.
    PerSec,
    /// A count (threads); lower is better.
    Count,
}

/// One line of the table: every sample of every runtime.
#[derive(Debug)]
pub(crate) struct Row {
    name: String,
    unit: Unit,
    samples: [Vec<f64>; 3],
}

impl Row {
    pub(crate) fn new(name: impl Into<String>, unit: Unit) -> Row {
        Row {
            name: name.into(),
            unit,
            samples: [Vec::new(), Vec::new(), Vec::new()],
        }
    }

    pub(crate) fn push(&mut self, kind: Kind, value: f64) {
        self.samples[kind as usize].push(value);
    }

    fn median(&self, kind: Kind) -> Option<f64> {
        median(&self.samples[kind as usize])
    }
}

pub(crate) fn print_table(options: &Options, rows: &[Row], notes: &[String], took: Duration) {
    let mut out = io::stdout().lock();
    let _ = writeln!(
        out,
        "\n{} worker threads per runtime, {} CPUs, {} mode: median of {} rounds (executor) / \
         {} rounds (timers, loopback), runtimes interleaved; took {:.0} s\n",
        options.threads,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        if options.quick { "quick" } else { "full" },
        options.executor_rounds(),
        options.slow_rounds(),
        took.as_secs_f64(),
    );
    if options.current_thread {
        let _ = writeln!(
            out,
            "current-thread flavour: every runtime runs its tasks on the thread inside block_on \
             (the worker count above sizes the load generator only)\n"
        );
        let _ = writeln!(
            out,
            "| workload | filch-ct | tokio-ct | smol | filch-ct/tokio-ct | filch/smol |"
        );
    } else {
        let _ = writeln!(
            out,
            "| workload | filch | tokio | smol | filch/tokio | filch/smol |"
        );
    }
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|");
    for row in rows {
        let [filch, tokio, smol] = Kind::ALL.map(|kind| row.median(kind));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            row.name,
            value(filch, row.unit),
            value(tokio, row.unit),
            value(smol, row.unit),
            ratio(filch, tokio, row.unit),
            ratio(filch, smol, row.unit),
        );
    }
    let _ = writeln!(
        out,
        "\nRows in ms or us are times: lower is better, and a ratio below 1.00 means filch is \
         faster. Rows in msg/s, req/s or conn/s are throughputs: higher is better, and a ratio \
         above 1.00 means filch is ahead. A ratio marked * is one where filch is behind."
    );
    for note in notes {
        let _ = writeln!(out, "note: {note}");
    }
}

fn value(value: Option<f64>, unit: Unit) -> String {
    match value {
        None => "n/a".into(),
        Some(v) if unit == Unit::PerSec || unit == Unit::Count => format!("{v:.0}"),
        Some(v) if v >= 100.0 => format!("{v:.0}"),
        Some(v) if v >= 10.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.2}"),
    }
}

fn ratio(filch: Option<f64>, other: Option<f64>, unit: Unit) -> String {
    match (filch, other) {
        (Some(filch), Some(other)) if other > 0.0 => {
            let ratio = filch / other;
            let behind = if unit == Unit::PerSec {
                ratio < 1.0
            } else {
                ratio > 1.0
            };
            // Only a difference that shows in the printed digits gets the mark.
            let shown = format!("{ratio:.2}");
            let mark = if behind && shown != "1.00" { "*" } else { "" };
            format!("{shown}{mark}")
        }
        _ => "n/a".into(),
    }
}
