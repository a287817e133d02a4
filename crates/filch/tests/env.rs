//! `FILCH_WORKER_THREADS` and `FILCH_MAX_BLOCKING_THREADS`, seen from the outside.
//!
//! Each case runs this test binary again as a child process with the variables set, because the
//! environment is read when a runtime is built and a failing `#[filch::main]` ends its process.
//! The child side is the `#[ignore]`d `child_*` tests: they do nothing useful on their own and
//! run only when a parent test starts them with `--include-ignored`.

use std::process::{Command, Output};

/// Set in a child's environment, so a `child_*` test knows it was started by a parent test.
const CHILD_MARKER: &str = "FILCH_ENV_TEST_CHILD";

/// Runs the `child_*` test `name` in a new process with `vars` set and every other `FILCH_*`
/// variable removed.
fn run_child(name: &str, vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new(std::env::current_exe().expect("the test binary's path"));
    command
        .args([
            name,
            "--exact",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_MARKER, "1")
        .env_remove("FILCH_WORKER_THREADS")
        .env_remove("FILCH_MAX_BLOCKING_THREADS")
        .env("RUST_BACKTRACE", "1");
    for (key, value) in vars {
        command.env(key, value);
    }
    command.output().expect("could not start the child process")
}

/// What a child reports about its runtime.
#[derive(Debug, PartialEq)]
struct Report {
    worker_threads: usize,
    max_blocking_threads: usize,
    /// Names of this process's threads that start with `filch-worker-`, sorted.
    worker_names: Vec<String>,
}

/// Finds the child's `REPORT` line; fails with the child's output if there is none.
fn report(output: &Output) -> Report {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|line| line.split_once("REPORT ").map(|(_, report)| report))
        .unwrap_or_else(|| {
            panic!(
                "the child printed no report; status {:?}\nstdout:\n{stdout}\nstderr:\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let mut fields = line.split(' ');
    let mut next = |key: &str| {
        let field = fields.next().expect("a field of the report");
        field
            .strip_prefix(key)
            .and_then(|rest| rest.strip_prefix('='))
            .unwrap_or_else(|| panic!("expected `{key}=` in report `{line}`"))
            .to_string()
    };
    let worker_threads = next("workers").parse().unwrap();
    let max_blocking_threads = next("max_blocking").parse().unwrap();
    let names = next("names");
    let worker_names = if names.is_empty() {
        Vec::new()
    } else {
        names.split(',').map(String::from).collect()
    };
    Report {
        worker_threads,
        max_blocking_threads,
        worker_names,
    }
}

/// The `filch-worker-*` thread names of this process, sorted (Linux: from `/proc`).
fn worker_thread_names() -> Vec<String> {
    if !cfg!(target_os = "linux") {
        return Vec::new();
    }
    let mut names: Vec<String> = std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path().join("comm")).ok())
        .map(|name| name.trim_end().to_string())
        .filter(|name| name.starts_with("filch-worker-"))
        .collect();
    names.sort();
    names
}

/// Prints the `REPORT` line for the runtime this is called in.
///
/// A worker thread names itself when it starts running, which may be a moment after the runtime
/// is built, so the names are read again until as many as the runtime reports have appeared (or
/// ten seconds have passed, after which the report shows what there is and the parent fails).
async fn print_report() {
    let handle = filch::runtime::Handle::current();
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut names = worker_thread_names();
    while cfg!(target_os = "linux")
        && names.len() < handle.worker_threads()
        && std::time::Instant::now() < give_up
    {
        filch::time::sleep(std::time::Duration::from_millis(1)).await;
        names = worker_thread_names();
    }
    println!(
        "\nREPORT workers={} max_blocking={} names={}",
        handle.worker_threads(),
        handle.max_blocking_threads(),
        names.join(",")
    );
}

fn expected_names(count: usize) -> Vec<String> {
    if !cfg!(target_os = "linux") {
        return Vec::new();
    }
    let mut names: Vec<String> = (0..count).map(|i| format!("filch-worker-{i}")).collect();
    names.sort();
    names
}

fn is_child() -> bool {
    std::env::var_os(CHILD_MARKER).is_some()
}

mod from_environment {
    #[filch::main]
    pub(crate) async fn run() {
        super::print_report().await;
    }
}

mod with_attribute {
    #[filch::main(worker_threads = 2)]
    pub(crate) async fn run() {
        super::print_report().await;
    }
}

#[test]
#[ignore = "the child side of the environment tests; started by them"]
fn child_from_environment() {
    if is_child() {
        from_environment::run();
    }
}

#[test]
#[ignore = "the child side of the environment tests; started by them"]
fn child_with_attribute() {
    if is_child() {
        with_attribute::run();
    }
}

#[test]
fn worker_threads_variable_sets_the_worker_count() {
    let output = run_child("child_from_environment", &[("FILCH_WORKER_THREADS", "3")]);
    assert!(output.status.success(), "{output:?}");
    let report = report(&output);
    assert_eq!(report.worker_threads, 3);
    assert_eq!(report.worker_names, expected_names(3));
}

#[test]
fn max_blocking_threads_variable_sets_the_limit() {
    let output = run_child(
        "child_from_environment",
        &[
            ("FILCH_MAX_BLOCKING_THREADS", "7"),
            ("FILCH_WORKER_THREADS", "1"),
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let report = report(&output);
    assert_eq!(report.max_blocking_threads, 7);
    assert_eq!(report.worker_threads, 1);
    assert_eq!(report.worker_names, expected_names(1));
}

#[test]
fn surrounding_whitespace_is_accepted() {
    let output = run_child("child_from_environment", &[("FILCH_WORKER_THREADS", " 2 ")]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(report(&output).worker_threads, 2);
}

#[test]
fn the_attribute_takes_precedence_over_the_environment() {
    let output = run_child("child_with_attribute", &[("FILCH_WORKER_THREADS", "5")]);
    assert!(output.status.success(), "{output:?}");
    let report = report(&output);
    assert_eq!(report.worker_threads, 2);
    assert_eq!(report.worker_names, expected_names(2));
}

/// Checks the clean failure of `#[filch::main]`: status 1, one `error: ` line naming the
/// variable and the value, no panic.
fn assert_clean_error(output: &Output, variable: &str, value: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(stderr.starts_with("error: "), "stderr:\n{stderr}");
    assert!(stderr.contains(variable), "stderr:\n{stderr}");
    assert!(stderr.contains(value), "stderr:\n{stderr}");
    assert!(!stderr.contains("panicked"), "stderr:\n{stderr}");
    assert!(!stderr.contains("backtrace"), "stderr:\n{stderr}");
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("REPORT"),
        "the body ran"
    );
}

#[test]
fn a_non_numeric_worker_count_is_a_clean_error() {
    let output = run_child("child_from_environment", &[("FILCH_WORKER_THREADS", "abc")]);
    assert_clean_error(&output, "FILCH_WORKER_THREADS", "abc");
}

#[test]
fn a_zero_worker_count_is_a_clean_error() {
    let output = run_child("child_from_environment", &[("FILCH_WORKER_THREADS", "0")]);
    assert_clean_error(&output, "FILCH_WORKER_THREADS", "0");
}

#[test]
fn a_negative_blocking_limit_is_a_clean_error() {
    let output = run_child(
        "child_from_environment",
        &[("FILCH_MAX_BLOCKING_THREADS", "-4")],
    );
    assert_clean_error(&output, "FILCH_MAX_BLOCKING_THREADS", "-4");
}

#[test]
fn a_bad_variable_does_not_matter_when_the_attribute_sets_the_count() {
    let output = run_child("child_with_attribute", &[("FILCH_WORKER_THREADS", "abc")]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(report(&output).worker_threads, 2);
}

#[filch::test(flavor = "multi_thread")]
#[ignore = "the child side of the environment tests; started by them"]
async fn child_filch_test() {
    if is_child() {
        print_report().await;
    }
}

/// A plain `#[filch::test]` is a current-thread runtime: no workers, and the variable is not
/// read at all.
#[filch::test]
#[ignore = "the child side of the environment tests; started by them"]
async fn child_filch_test_current_thread() {
    if is_child() {
        let flavor = filch::runtime::Handle::current().runtime_flavor();
        let names = worker_thread_names().join(",");
        println!("\nCT_REPORT flavor={flavor:?} names={names};");
    }
}

#[test]
fn filch_worker_threads_does_not_apply_to_a_current_thread_test() {
    for value in ["abc", "3"] {
        let output = run_child(
            "child_filch_test_current_thread",
            &[("FILCH_WORKER_THREADS", value)],
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{output:?}");
        assert!(
            stdout.contains("CT_REPORT flavor=CurrentThread names=;"),
            "{stdout}"
        );
    }
}

/// `#[filch::test]` cannot exit the process (that would end every other test in the binary):
/// a runtime that cannot be built fails the one test, with the builder's message.
#[test]
fn a_bad_variable_fails_a_filch_test_with_the_message() {
    let output = run_child("child_filch_test", &[("FILCH_WORKER_THREADS", "abc")]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(101), "{stdout}\n{stderr}");
    assert!(stdout.contains("child_filch_test ... FAILED"), "{stdout}");
    assert!(
        stderr.contains("error: FILCH_WORKER_THREADS=\"abc\" is not a number"),
        "{stderr}"
    );
    assert!(!stdout.contains("REPORT"), "the body ran: {stdout}");
}
