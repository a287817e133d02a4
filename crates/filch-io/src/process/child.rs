//! [`Child`]: a spawned child process, its pipes, and waiting for its exit on the reactor.
//!
//! A `Child` is either *running* (it owns the `std::process::Child` and the [`ExitWatch`] that
//! tells when it exits) or *reaped* (it keeps the exit status). [`Child::wait`] and
//! [`Child::try_wait`] move it from the first state to the second; dropping a running `Child`
//! hands it to the reaper (`reaper.rs`), after killing it if `kill_on_drop` was set.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::process::{ExitStatus, Output};

use filch_executor::runtime::Handle as RuntimeHandle;
use futures_lite::future::try_zip;
use futures_lite::AsyncReadExt;

use super::reaper::{ExitWatch, Orphan};
use super::{ChildStderr, ChildStdin, ChildStdout};

/// A child process spawned by [`Command::spawn`](super::Command::spawn).
///
/// The pipes the child was given with `Stdio::piped()` are in the public fields; take them
/// (`child.stdout.take()`) to read and write while the child runs.
///
/// Dropping a `Child` does not kill the process (unless
/// [`kill_on_drop`](super::Command::kill_on_drop) was set) and does not wait for it, but the
/// process is still reaped when it exits: no zombie is left behind.
pub struct Child {
    /// The write end of the child's standard input, if it was piped.
    pub stdin: Option<ChildStdin>,
    /// The read end of the child's standard output, if it was piped.
    pub stdout: Option<ChildStdout>,
    /// The read end of the child's standard error, if it was piped.
    pub stderr: Option<ChildStderr>,
    state: State,
}

enum State {
    Running(Box<Running>),
    Reaped(ExitStatus),
}

struct Running {
    child: std::process::Child,
    watch: ExitWatch,
    runtime: RuntimeHandle,
    kill_on_drop: bool,
}

impl fmt::Debug for Child {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("Child");
        match &self.state {
            State::Running(running) => out.field("pid", &running.child.id()),
            State::Reaped(status) => out.field("status", status),
        };
        out.field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish()
    }
}

impl Child {
    pub(crate) fn new(
        child: std::process::Child,
        watch: ExitWatch,
        runtime: RuntimeHandle,
        kill_on_drop: bool,
        stdio: (Option<ChildStdin>, Option<ChildStdout>, Option<ChildStderr>),
    ) -> Child {
        Child {
            stdin: stdio.0,
            stdout: stdio.1,
            stderr: stdio.2,
            state: State::Running(Box::new(Running {
                child,
                watch,
                runtime,
                kill_on_drop,
            })),
        }
    }

    /// The exit watch, while the child runs (for tests).
    #[cfg(test)]
    pub(crate) fn watch(&self) -> Option<&ExitWatch> {
        match &self.state {
            State::Running(running) => Some(&running.watch),
            State::Reaped(_) => None,
        }
    }

    /// The operating system's process id, or `None` once the child has been reaped (after
    /// which the id may belong to another process).
    pub fn id(&self) -> Option<u32> {
        match &self.state {
            State::Running(running) => Some(running.child.id()),
            State::Reaped(_) => None,
        }
    }

    /// Waits for the child to exit and returns its status. Closes `stdin` first (so a child
    /// reading its input sees the end instead of waiting forever).
    ///
    /// Cancel safe: dropping the future leaves the child running; wait again later. Once the
    /// child is reaped, every later call returns the same status at once.
    ///
    /// # Errors
    ///
    /// The operating system's error from `waitpid`, or an error when the runtime that spawned
    /// the child has shut down (on systems without pidfds).
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        poll_fn(|cx| match &mut self.state {
            State::Reaped(status) => std::task::Poll::Ready(Ok(*status)),
            State::Running(running) => {
                let status = std::task::ready!(running.watch.poll_wait(cx, &mut running.child))?;
                self.state = State::Reaped(status);
                std::task::Poll::Ready(Ok(status))
            }
        })
        .await
    }

    /// Returns the exit status if the child has exited (reaping it), `None` if it still runs.
    /// Does not wait and does not close `stdin`.
    ///
    /// # Errors
    ///
    /// The operating system's error from `waitpid`.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        match &mut self.state {
            State::Reaped(status) => Ok(Some(*status)),
            State::Running(running) => match running.child.try_wait()? {
                Some(status) => {
                    self.state = State::Reaped(status);
                    super::reaper::reap_orphans();
                    Ok(Some(status))
                }
                None => Ok(None),
            },
        }
    }

    /// Sends `SIGKILL` to the child and returns without waiting (use [`wait`](Child::wait) to
    /// reap it).
    ///
    /// # Errors
    ///
    /// [`io::ErrorKind::InvalidInput`] when the child has already been reaped (there is no
    /// process left to kill), or the operating system's error from `kill`.
    pub fn start_kill(&mut self) -> io::Result<()> {
        match &mut self.state {
            State::Reaped(status) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot kill the child: it has already exited ({status}) and been reaped"),
            )),
            State::Running(running) => running.child.kill(),
        }
    }

    /// Kills the child (`SIGKILL`) and waits for it to be reaped.
    ///
    /// # Errors
    ///
    /// Those of [`start_kill`](Child::start_kill) and [`wait`](Child::wait).
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await?;
        Ok(())
    }

    /// Closes `stdin`, reads all of `stdout` and `stderr` (those that were piped) while waiting
    /// for the child to exit, and returns everything.
    ///
    /// The two pipes are read concurrently with the wait, so a child that fills one pipe while
    /// the other is read cannot deadlock.
    ///
    /// # Errors
    ///
    /// The first error of reading either pipe or of [`wait`](Child::wait).
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let mut stdout = self.stdout.take();
        let mut stderr = self.stderr.take();
        let read_out = async {
            let mut buf = Vec::new();
            if let Some(pipe) = stdout.as_mut() {
                pipe.read_to_end(&mut buf).await?;
            }
            io::Result::Ok(buf)
        };
        let read_err = async {
            let mut buf = Vec::new();
            if let Some(pipe) = stderr.as_mut() {
                pipe.read_to_end(&mut buf).await?;
            }
            io::Result::Ok(buf)
        };
        let ((stdout, stderr), status) = try_zip(try_zip(read_out, read_err), self.wait()).await?;
        Ok(Output {
            status,
            stdout,
            stderr,
        })
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let state = std::mem::replace(&mut self.state, State::Reaped(ExitStatus::default()));
        if let State::Running(running) = state {
            let Running {
                mut child,
                watch,
                runtime,
                kill_on_drop,
            } = *running;
            if kill_on_drop {
                let _ = child.kill();
            }
            Orphan::reap(&runtime, child, watch);
        }
    }
}
