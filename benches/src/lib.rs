//! Side-by-side benchmarks of filch, tokio and smol.
//!
//! * [`rt`]: the [`Rt`](rt::Rt) and [`NetRt`](rt::NetRt) traits and one implementation per
//!   runtime, so each workload is written once;
//! * [`workloads`]: the executor workloads (after tokio's `rt_multi_threaded` benches and
//!   async-executor's benches) and the timer workload;
//! * [`server`]: the echo and HTTP servers, generic over the runtime;
//! * [`sync_workloads`]: `filch::sync` next to `tokio::sync` and smol's crates;
//! * [`stall`]: what a task that blocks its worker costs the others (the `stall` binary);
//! * [`loadgen`]: the fixed load generator (and the `wrk` wrapper) that drives them.
//!
//! The `compare` binary runs everything and prints one table; `cargo bench -p filch-benches`
//! runs the executor workloads under criterion. See `docs/benchmarks.md`.

pub mod hyper_server;
pub mod loadgen;
pub mod rt;
pub mod server;
#[cfg(unix)]
pub mod stall;
pub mod stats;
pub mod sync_workloads;
pub mod workloads;
