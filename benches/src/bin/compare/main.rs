//! Runs every workload on filch, tokio and smol and prints one table.
//!
//! ```text
//! cargo run --release -p filch-benches --bin compare -- [--threads N] [--quick] [--only TEXT]...
//! ```
//!
//! Runs interleave the runtimes (filch, tokio, smol, filch, tokio, smol, ...) and the table
//! reports the median of each, so drift in the machine's speed hits all three alike. The
//! loopback servers run in child processes (this binary re-executed with `--serve`); the load
//! generator is one tokio-based implementation in this process, the same for every server.
//!
//! The modules: [`cli`] parses the arguments, [`executor`] runs the executor and timer
//! workloads, [`sync`] the `filch::sync` ones, [`fs`] the file workloads, [`loopback`] the
//! servers and their load, [`hyper`] the hyper server's child entry point, [`process`] the
//! child-process one, and [`report`] prints the table.

mod cli;
mod executor;
mod fs;
mod hyper;
mod loopback;
mod process;
mod report;
mod sync;

use std::io;
use std::process::ExitCode;
use std::time::Instant;

use cli::{parse, Options, USAGE};

fn main() -> ExitCode {
    raise_fd_limit();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--serve") {
        return loopback::serve(&args[1..]);
    }
    if args.first().map(String::as_str) == Some("--fs-threads") {
        return fs::count_threads(&args[1..]);
    }
    match parse(&args) {
        Ok(Some(options)) => match run(&options) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("compare: {error}");
                ExitCode::FAILURE
            }
        },
        Ok(None) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("compare: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// Lifts the soft limit on open files to the hard limit: 1,024 connections need more than the
/// 1,024 descriptors many systems allow by default. Says so, and carries on, if that fails.
fn raise_fd_limit() {
    #[cfg(unix)]
    {
        use rustix::process::{getrlimit, setrlimit, Resource};
        let limit = getrlimit(Resource::Nofile);
        if limit.current.is_some() && limit.current != limit.maximum {
            let raised = rustix::process::Rlimit {
                current: limit.maximum,
                maximum: limit.maximum,
            };
            if let Err(error) = setrlimit(Resource::Nofile, raised) {
                eprintln!(
                    "compare: could not raise the open-file limit ({error}); the 1,024-connection \
                     runs may fail with `Too many open files` (try `ulimit -n 4096`)"
                );
            }
        }
    }
}

fn run(options: &Options) -> io::Result<()> {
    let started = Instant::now();
    eprintln!(
        "compare: {} worker threads, {} mode",
        options.threads,
        if options.quick { "quick" } else { "full" }
    );
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    executor::run_executor(options, &mut rows)?;
    sync::run_sync(options, &mut rows)?;
    fs::run_fs(options, &mut rows)?;
    loopback::run_net(options, &mut rows, &mut notes)?;
    process::run_process(options, &mut rows)?;
    if rows.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "no workload matches {:?}; `--list` shows the names",
                options.only
            ),
        ));
    }
    report::print_table(options, &rows, &notes, started.elapsed());
    Ok(())
}
