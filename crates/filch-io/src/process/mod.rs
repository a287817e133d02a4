//! Child processes: [`Command`], [`Child`], [`ChildStdin`], [`ChildStdout`], [`ChildStderr`]
//! (tokio's `process` names).
//!
//! A [`Command`] is built like `std::process::Command` and spawned inside a filch runtime. The
//! child's pipes are non-blocking and registered with that runtime's reactor; its exit is noticed
//! through the reactor too (a pidfd on Linux, `SIGCHLD` elsewhere; see `reaper.rs`). No thread
//! is started per child and nothing polls on a timer.
//!
//! Guarantees and choices (where tokio's documentation is silent or filch differs):
//!
//! * **No zombies.** A child whose [`Child`] is dropped before it exits is still reaped when it
//!   exits (by a small task of the runtime, or at the next spawn or wait if that runtime is
//!   gone). [`Command::kill_on_drop`] kills it first.
//! * **Outside a runtime** [`Command::spawn`] returns an error whose message names the fix
//!   (tokio panics); nothing is started.
//! * [`Child::wait`] closes the child's `stdin` first, as tokio's does. [`Child::id`] is `None`
//!   once the child has been reaped. [`Child::start_kill`] on a reaped child is an
//!   [`InvalidInput`](io::ErrorKind::InvalidInput) error.
//! * [`Command::output`] pipes `stdout` and `stderr` (whatever was set before) and leaves
//!   `stdin` as set (inherited by default), as tokio's does; [`Command::status`] closes any piped
//!   handle at once.
//! * Pipes are `futures-io` [`AsyncRead`](futures_io::AsyncRead)/
//!   [`AsyncWrite`](futures_io::AsyncWrite), like filch's sockets.
//! * Spawning (`fork`/`exec` through std) happens on the calling thread, as in tokio and std.

mod child;
mod pipes;
mod reaper;

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};

use filch_executor::runtime::Handle as RuntimeHandle;

pub use child::Child;
pub use pipes::{ChildStderr, ChildStdin, ChildStdout};

use crate::driver::{self, NoDriver};
use reaper::ExitWatch;

/// A process to spawn: its program, arguments, environment, directory and standard streams.
///
/// The builder methods mirror `std::process::Command`'s and return `&mut Command`, so they
/// chain:
///
/// ```
/// use filch::process::Command;
///
/// # let rt = filch::runtime::Builder::new().build().unwrap();
/// # rt.block_on(async {
/// let output = Command::new("sh").arg("-c").arg("echo $GREETING").env("GREETING", "hi").output().await?;
/// assert!(output.status.success());
/// assert_eq!(output.stdout, b"hi\n");
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("std", &self.std)
            .field("kill_on_drop", &self.kill_on_drop)
            .finish()
    }
}

impl From<std::process::Command> for Command {
    fn from(std: std::process::Command) -> Command {
        Command {
            std,
            kill_on_drop: false,
        }
    }
}

impl Command {
    /// A command that runs `program` (looked up in `PATH` if it has no `/`), with no arguments,
    /// the parent's environment and directory, and inherited standard streams.
    pub fn new<S: AsRef<OsStr>>(program: S) -> Command {
        Command::from(std::process::Command::new(program))
    }

    /// The wrapped `std::process::Command`.
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// The wrapped `std::process::Command`, to set what this type has no method for.
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Unwraps the `std::process::Command` (dropping the `kill_on_drop` setting).
    pub fn into_std(self) -> std::process::Command {
        self.std
    }

    /// Adds one argument.
    pub fn arg<S: AsRef<OsStr>>(&mut self, arg: S) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds several arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable for the child.
    pub fn env<K, V>(&mut self, key: K, val: V) -> &mut Command
    where
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.env(key, val);
        self
    }

    /// Sets several environment variables for the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove<K: AsRef<OsStr>>(&mut self, key: K) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (plus what `env` adds afterwards).
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    pub fn current_dir<P: AsRef<Path>>(&mut self, dir: P) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// Sets the child's standard input (`Stdio::piped()` gives [`Child::stdin`]).
    pub fn stdin<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stdin(cfg);
        self
    }

    /// Sets the child's standard output (`Stdio::piped()` gives [`Child::stdout`]).
    pub fn stdout<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stdout(cfg);
        self
    }

    /// Sets the child's standard error (`Stdio::piped()` gives [`Child::stderr`]).
    pub fn stderr<T: Into<Stdio>>(&mut self, cfg: T) -> &mut Command {
        self.std.stderr(cfg);
        self
    }

    /// Whether a [`Child`] spawned from this command is killed (`SIGKILL`) when it is dropped
    /// before it was reaped. Off by default. Either way the child is reaped once it exits.
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// The [`kill_on_drop`](Command::kill_on_drop) setting.
    pub fn get_kill_on_drop(&self) -> bool {
        self.kill_on_drop
    }

    /// Puts the child in process group `pgroup` (0: a new group whose id is the child's pid).
    pub fn process_group(&mut self, pgroup: i32) -> &mut Command {
        self.std.process_group(pgroup);
        self
    }

    /// Runs the child as user `id` (the parent needs the privilege to switch).
    pub fn uid(&mut self, id: u32) -> &mut Command {
        self.std.uid(id);
        self
    }

    /// Runs the child with group `id` (the parent needs the privilege to switch).
    pub fn gid(&mut self, id: u32) -> &mut Command {
        self.std.gid(id);
        self
    }

    /// Sets the child's `argv[0]` (the program is still found by the name given to `new`).
    pub fn arg0<S: AsRef<OsStr>>(&mut self, arg: S) -> &mut Command {
        self.std.arg0(arg);
        self
    }

    /// Spawns the child and returns at once, with its piped streams registered with the current
    /// runtime's reactor.
    ///
    /// # Errors
    ///
    /// Outside a filch runtime (the message names the fix; nothing is started); the operating
    /// system's error when the program cannot be started (for example
    /// [`NotFound`](io::ErrorKind::NotFound)); or when a pipe or the exit watch cannot be set up
    /// (the child is then killed and reaped).
    pub fn spawn(&mut self) -> io::Result<Child> {
        let what = "filch::process::Command::spawn";
        let runtime =
            RuntimeHandle::try_current().map_err(|_| NoDriver::NoRuntime.into_io_error(what))?;
        let driver = driver::current().map_err(|e| e.into_io_error(what))?;
        reaper::reap_orphans();
        let mut child = self.std.spawn()?;
        let setup = (|| {
            let watch = ExitWatch::new(child.id(), &driver, &runtime)?;
            let stdin = child
                .stdin
                .take()
                .map(|p| ChildStdin::new(p, &driver))
                .transpose()?;
            let stdout = child
                .stdout
                .take()
                .map(|p| ChildStdout::new(p, &driver))
                .transpose()?;
            let stderr = child
                .stderr
                .take()
                .map(|p| ChildStderr::new(p, &driver))
                .transpose()?;
            io::Result::Ok((watch, (stdin, stdout, stderr)))
        })();
        match setup {
            Ok((watch, stdio)) => Ok(Child::new(child, watch, runtime, self.kill_on_drop, stdio)),
            Err(e) => {
                // Do not leave a child nobody can reach: kill it and reap it here (it dies at
                // once, so the blocking wait is short).
                let _ = child.kill();
                let _ = child.wait();
                Err(e)
            }
        }
    }

    /// Spawns the child, closes any piped stream at once, and waits for it to exit.
    ///
    /// # Errors
    ///
    /// Those of [`spawn`](Command::spawn) and [`Child::wait`].
    pub async fn status(&mut self) -> io::Result<ExitStatus> {
        let mut child = self.spawn()?;
        drop(child.stdin.take());
        drop(child.stdout.take());
        drop(child.stderr.take());
        child.wait().await
    }

    /// Spawns the child with `stdout` and `stderr` piped, collects both while waiting for it
    /// to exit (see [`Child::wait_with_output`]), and returns them with the status.
    ///
    /// # Errors
    ///
    /// Those of [`spawn`](Command::spawn) and [`Child::wait_with_output`].
    pub async fn output(&mut self) -> io::Result<Output> {
        self.std.stdout(Stdio::piped());
        self.std.stderr(Stdio::piped());
        let child = self.spawn()?;
        child.wait_with_output().await
    }
}

#[cfg(test)]
mod tests;
