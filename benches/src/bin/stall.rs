//! The stall scenarios of [`filch_benches::stall`] on filch and on tokio, side by side.
//!
//! ```text
//! cargo run --release -p filch-benches --bin stall -- [--workers N]
//! ```
//!
//! Each scenario runs on filch, then on tokio (a fresh runtime of `N` workers each time, default
//! 2), then the next scenario, so drift in the machine's load hits both alike. The table gives the longest gap of each periodic task; filch's
//! stall warnings, if any, go to standard error.

use std::process::ExitCode;
use std::time::Duration;

use filch_benches::rt::{Filch, Rt, Tokio, UnixRt};
use filch_benches::stall::{all_workers_blocked, lifo_child, one_worker_blocked, Gaps};

const USAGE: &str = "usage: stall [--workers N]";

/// One row of the table: what was measured, and the value on each runtime.
struct Row {
    scenario: &'static str,
    measure: &'static str,
    filch: String,
    tokio: String,
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn gaps(g: Gaps) -> String {
    format!("{} (p50 {}, p99 {})", ms(g.max), ms(g.p50), ms(g.p99))
}

/// Scenario a on runtime `R`, as table cells.
fn scenario_a<R: UnixRt>(workers: usize) -> std::io::Result<Vec<String>> {
    let a = one_worker_blocked(&R::new(workers)?)?;
    eprintln!("[{}] a. one worker blocked: done", R::NAME);
    Ok(vec![gaps(a.ticker), gaps(a.reader)])
}

/// Scenario b on runtime `R`, as table cells.
fn scenario_b<R: Rt>(workers: usize) -> std::io::Result<Vec<String>> {
    let b = lifo_child(&R::new(workers)?);
    eprintln!("[{}] b. tokio-rs/tokio#4730: done", R::NAME);
    Ok(vec![ms(b.child_wait), gaps(b.ticker)])
}

/// Scenario c on runtime `R`, as table cells.
fn scenario_c<R: Rt>(workers: usize) -> std::io::Result<Vec<String>> {
    let c = all_workers_blocked(&R::new(workers)?);
    eprintln!("[{}] c. all workers blocked: done", R::NAME);
    Ok(vec![
        gaps(c.ticker),
        format!("{} of {} ({} threads)", c.at_once, workers, c.threads),
    ])
}

/// Every scenario on filch and then on tokio before the next scenario starts.
fn run(workers: usize) -> std::io::Result<(Vec<String>, Vec<String>)> {
    let (mut filch, mut tokio) = (Vec::new(), Vec::new());
    filch.extend(scenario_a::<Filch>(workers)?);
    tokio.extend(scenario_a::<Tokio>(workers)?);
    filch.extend(scenario_b::<Filch>(workers)?);
    tokio.extend(scenario_b::<Tokio>(workers)?);
    filch.extend(scenario_c::<Filch>(workers)?);
    tokio.extend(scenario_c::<Tokio>(workers)?);
    Ok((filch, tokio))
}

fn rows(filch: Vec<String>, tokio: Vec<String>) -> Vec<Row> {
    let labels = [
        ("a. one worker blocked", "ticker max gap"),
        ("a. one worker blocked", "reader max gap"),
        ("b. tokio-rs/tokio#4730", "child's wait to start"),
        ("b. tokio-rs/tokio#4730", "ticker max gap"),
        ("c. all workers blocked", "ticker (20 ms) max gap"),
        ("c. all workers blocked", "blocked at once"),
    ];
    labels
        .into_iter()
        .zip(filch.into_iter().zip(tokio))
        .map(|((scenario, measure), (filch, tokio))| Row {
            scenario,
            measure,
            filch,
            tokio,
        })
        .collect()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let workers = match args.as_slice() {
        [] => 2,
        [flag, n] if flag == "--workers" => match n.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("stall: --workers takes a positive number\n{USAGE}");
                return ExitCode::FAILURE;
            }
        },
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::FAILURE;
        }
    };
    let (filch, tokio) = match run(workers) {
        Ok(both) => both,
        Err(error) => {
            eprintln!("stall: {error}");
            return ExitCode::FAILURE;
        }
    };
    print_table(workers, &rows(filch, tokio));
    ExitCode::SUCCESS
}

fn print_table(workers: usize, rows: &[Row]) {
    let width = |f: fn(&Row) -> &str, title: &str| {
        rows.iter()
            .map(|r| f(r).len())
            .max()
            .unwrap_or(0)
            .max(title.len())
    };
    let w = [
        width(|r| r.scenario, "scenario"),
        width(|r| r.measure, "measure"),
        width(|r| &r.filch, "filch"),
        width(|r| &r.tokio, "tokio"),
    ];
    println!("{workers} workers, gaps as max (p50, p99)");
    println!(
        "| {:<a$} | {:<b$} | {:<c$} | {:<d$} |",
        "scenario",
        "measure",
        "filch",
        "tokio",
        a = w[0],
        b = w[1],
        c = w[2],
        d = w[3]
    );
    println!(
        "|{}|{}|{}|{}|",
        "-".repeat(w[0] + 2),
        "-".repeat(w[1] + 2),
        "-".repeat(w[2] + 2),
        "-".repeat(w[3] + 2)
    );
    for r in rows {
        println!(
            "| {:<a$} | {:<b$} | {:<c$} | {:<d$} |",
            r.scenario,
            r.measure,
            r.filch,
            r.tokio,
            a = w[0],
            b = w[1],
            c = w[2],
            d = w[3]
        );
    }
}
