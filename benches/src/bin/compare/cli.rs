//! Command-line arguments: the usage text, [`Options`] and their parsing.

use std::time::Duration;

use filch_benches::loadgen::Window;
use filch_benches::rt::{Kind, Tokio};
use filch_benches::{sync_workloads, workloads};

use crate::loopback::net_configs;

pub(crate) const USAGE: &str = "\
usage: compare [--threads N] [--quick] [--only TEXT]... [--rounds N] [--runtime NAME]... [--iterations N]
               [--flavor current_thread|multi_thread] [--list]

  --threads N   worker threads for every runtime and for the load generator
                (default: the number of CPUs)
  --quick       fewer and shorter runs: a couple of minutes on two cores
  --only TEXT   run only the workloads whose name contains TEXT (repeatable); a
                trailing `$` anchors TEXT at the end of the name
  --rounds N    how many times each runtime runs each workload (the median is reported)
  --runtime NAME  run only this runtime (filch, tokio or smol; repeatable): for profiling
  --iterations N  run each executor workload exactly N times per sample instead of sizing
                  samples by time (with --rounds 1, for instruction counts under callgrind)
  --flavor F    multi_thread (the default) or current_thread: with current_thread, filch's
                and tokio's current-thread runtimes (every task on the thread inside
                block_on; smol and spawn_many_remote_busy are left out, and --threads only
                sizes the load generator)
  --list        print the workloads and what each stresses, then exit

environment:
  COMPARE_SERVER_PREFIX  a command put before each server process, e.g.
                         \"perf record -g -o perf.{runtime}.{service}.data --\"";

/// Settings from the command line.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) threads: usize,
    pub(crate) quick: bool,
    pub(crate) only: Vec<String>,
    pub(crate) rounds: Option<usize>,
    pub(crate) runtimes: Vec<Kind>,
    pub(crate) iterations: Option<usize>,
    /// `--flavor current_thread`: the runtimes' current-thread flavour.
    pub(crate) current_thread: bool,
}

impl Options {
    /// The runtimes to run, in table order.
    pub(crate) fn kinds(&self) -> Vec<Kind> {
        Kind::ALL
            .into_iter()
            .filter(|kind| self.runtimes.is_empty() || self.runtimes.contains(kind))
            // smol has no current-thread runtime here.
            .filter(|kind| !(self.current_thread && *kind == Kind::Smol))
            .collect()
    }

    /// Whether `workload` matches an `--only` filter: a substring, or with a trailing `$` a
    /// suffix (so `"echo 64B c=1$"` leaves out `echo 64B c=1024`). With `--flavor
    /// current_thread`, `spawn_many_remote_busy` is left out: it needs busy worker threads
    /// while another thread spawns, and a current-thread runtime runs nothing outside
    /// `block_on`.
    pub(crate) fn wants(&self, workload: &str) -> bool {
        if self.current_thread && workload == "spawn_many_remote_busy" {
            return false;
        }
        self.only.is_empty()
            || self.only.iter().any(|only| match only.strip_suffix('$') {
                Some(suffix) => workload.ends_with(suffix),
                None => workload.contains(only.as_str()),
            })
    }

    /// Rounds of the executor workloads.
    pub(crate) fn executor_rounds(&self) -> usize {
        self.rounds.unwrap_or(if self.quick { 5 } else { 11 })
    }

    /// Rounds of the timer workload and of every loopback workload.
    pub(crate) fn slow_rounds(&self) -> usize {
        self.rounds.unwrap_or(if self.quick { 3 } else { 5 })
    }

    /// Roughly how long one sample of an executor workload should take.
    pub(crate) fn executor_sample(&self) -> Duration {
        Duration::from_millis(if self.quick { 20 } else { 100 })
    }

    pub(crate) fn window(&self) -> Window {
        if self.quick {
            Window {
                warmup: Duration::from_millis(100),
                measure: Duration::from_millis(400),
            }
        } else {
            Window {
                warmup: Duration::from_millis(300),
                measure: Duration::from_secs(2),
            }
        }
    }

    pub(crate) fn wrk_seconds(&self) -> u64 {
        if self.quick {
            1
        } else {
            3
        }
    }
}

/// Parses the arguments; `Ok(None)` when the request (`--help`, `--list`) is already answered.
pub(crate) fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let default_threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut options = Options {
        threads: default_threads,
        quick: false,
        only: Vec::new(),
        rounds: None,
        runtimes: Vec::new(),
        iterations: None,
        current_thread: false,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => options.threads = positive(args.next(), "--threads")?,
            "--rounds" => options.rounds = Some(positive(args.next(), "--rounds")?),
            "--quick" => options.quick = true,
            "--iterations" => options.iterations = Some(positive(args.next(), "--iterations")?),
            "--runtime" => match args.next().and_then(|name| Kind::from_name(name)) {
                Some(kind) => options.runtimes.push(kind),
                None => return Err("--runtime needs one of: filch, tokio, smol".into()),
            },
            "--flavor" => match args.next().map(String::as_str) {
                Some("current_thread") => options.current_thread = true,
                Some("multi_thread") => options.current_thread = false,
                _ => return Err("--flavor needs current_thread or multi_thread".into()),
            },
            "--only" => match args.next() {
                Some(text) => options.only.push(text.clone()),
                None => return Err("--only needs some text to match workload names".into()),
            },
            "--list" => {
                list();
                return Ok(None);
            }
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(None);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some(options))
}

fn positive(value: Option<&String>, flag: &str) -> Result<usize, String> {
    let value = value.ok_or_else(|| format!("{flag} needs a number"))?;
    match value.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "{flag} must be a whole number of at least 1, not `{value}`"
        )),
    }
}

fn list() {
    for (name, _) in workloads::executor_workloads::<Tokio>() {
        println!("{name:<24} {}", workloads::describe(name));
    }
    println!("{:<24} {}", "timers", workloads::describe("timers"));
    for name in crate::sync::names() {
        println!("{name:<24} {}", sync_workloads::describe(name));
    }
    for name in crate::fs::NAMES {
        println!("{name:<24} {}", crate::fs::describe(name));
    }
    for config in net_configs() {
        println!("{:<24} {}", config.name(), config.describe());
    }
    println!(
        "{:<24} spawn 500 `true` children at once, then wait for each (filch::process, \
         tokio::process, async-process on smol)",
        crate::process::NAME
    );
}
