//! filch's own wait on `polling`'s epoll instance (Linux): one system call per wait.
//!
//! `polling::Poller::wait` on epoll costs five system calls each time: `timerfd_settime` and an
//! `epoll_ctl` re-arming its timerfd, the `epoll_wait`, a `read` of its eventfd and an
//! `epoll_ctl` re-arming that eventfd (both are registered oneshot). This file waits on the same
//! epoll instance (`Poller::as_raw_fd`) with one call, as mio does:
//!
//! * **Registration**: `epoll_ctl(ADD, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, data = key)`
//!   ([`add`]). `polling`'s `add` cannot ask for `EPOLLRDHUP`, which is what lets the reactor
//!   report a peer's end of stream apart from plain readability (`READ_CLOSED`). Removal stays
//!   `Poller::delete` (an `EPOLL_CTL_DEL`, the same whoever added the descriptor). `EPOLLPRI`
//!   (out-of-band data), which `polling`'s `add` includes, is not asked for: no filch API reads
//!   out-of-band data and there is no `Interest::PRIORITY` yet (mio asks for it only for that
//!   interest); `EPOLLHUP` and `EPOLLERR` are always reported by the kernel.
//! * **The wait**: `epoll_pwait2` (a raw system call; Linux 5.11+) with the timeout in
//!   nanoseconds, so a timer 300 µs away is not rounded to a millisecond. Where the kernel lacks
//!   it (`ENOSYS`, or `EPERM` from a seccomp filter that refuses system calls it does not know),
//!   that is remembered once for the process ([`PWAIT2_MISSING`]) and every wait is an
//!   `epoll_wait` with the timeout rounded **up** to whole milliseconds ([`timeout_millis`]): a
//!   wait may end late, never early; zero stays zero (a non-blocking look); no timeout is `-1`.
//! * **Unparking**: an eventfd of our own (non-blocking, close-on-exec), registered
//!   `EPOLLIN | EPOLLET` under [`WAKE_KEY`]. [`Epoll::notify`] writes 1 to it.
//! * **Translation**: epoll's flags become the reactor's readiness bits in [`readiness`]; the
//!   reading of the flags follows mio's (`mio::sys::unix::selector::epoll::event`), credited
//!   here.
//!
//! # Invariants
//!
//! 1. **`polling`'s notifier and timerfd never fire on this path.** `Poller::new` registers its
//!    eventfd with `EPOLLIN | EPOLLONESHOT` and its timerfd with no interest and
//!    `EPOLLONESHOT`; only `Poller::notify` ever writes to that eventfd and only `Poller::wait`
//!    arms the timer (and re-enables its interest). The reactor calls neither when this backend
//!    is in use (`Reactor::wait` and `Reactor::notify` pick one backend's pair), so the eventfd
//!    stays at 0 (not readable) and the timer stays disarmed: neither can become ready.
//! 2. **An event under `polling`'s key (`usize::MAX`) is ignored** should one appear anyway (a
//!    future `polling` that changed the above); debug builds assert. Both of `polling`'s
//!    registrations are oneshot, so at most one such event each could come, never a busy loop.
//! 3. **Keys cannot collide.** A source's key is `index | generation << 24` with
//!    `index <= 2^24 - 2` (`reactor.rs`), so no source key has all 24 index bits set;
//!    [`WAKE_KEY`] is exactly `2^24 - 1` (index bits all set, generation 0), and `polling`'s
//!    key `usize::MAX` has the generation bits set too, so the three never meet.
//! 4. **No event is lost.**
//!    * A source's event stays on epoll's ready list until a wait fetches it; a wait fetches at
//!      most the buffer's capacity and leaves the rest for the next one (which then returns at
//!      once). Every fetched source event is handed to `Reactor::dispatch`.
//!    * An unpark is a `write` to the eventfd. In edge mode every write queues the eventfd's
//!      epoll item on the ready list (if it is not there already), atomically with the write: a
//!      wait in progress returns; a wait that starts later finds it and returns at once (the
//!      driver's "sticky" unpark); several unparks before a wait make one event, which is all a
//!      wake needs. Fetching the event takes the item off the list, so the *next* wait blocks
//!      again until the next write.
//!    * Because edge mode reports writes and not the counter's value, the counter is **never
//!      drained** on the hot path (mio does the same): no `read` per wake. It only grows by one
//!      per unpark; if it ever reaches its maximum (`u64::MAX - 1`, after about 1.8e19 unparks) a
//!      write would fail with `EAGAIN`, and `notify` then reads it back to 0 and writes again
//!      (mio's reset). The read raises no `EPOLLIN` event and the write right after it does, so
//!      even that wake is not lost.
//!    * `epoll_wait`'s millisecond timeout is at most `i32::MAX` ms (about 24.8 days); a longer
//!      timeout returns early, which the driver treats as any spurious return: it fires only
//!      the timers that are due and waits again.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use libc::c_int;

use crate::reactor::RESERVED_KEY;
use crate::scheduled_io::{READABLE, READ_CLOSED, WRITABLE, WRITE_CLOSED};

/// The key of filch's own eventfd: a key the reactor never hands out (invariant 3).
pub(crate) const WAKE_KEY: usize = RESERVED_KEY;

/// The key `polling` registers its own notifier and timerfd under (`polling::NOTIFY_KEY`, which
/// that crate does not export).
const POLLING_NOTIFY_KEY: usize = usize::MAX;

const _: () = assert!(WAKE_KEY != POLLING_NOTIFY_KEY);

/// The interest every source is added with.
const SOURCE_FLAGS: u32 =
    (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET) as u32;

/// Set, once for the process, when the kernel turned `epoll_pwait2` down.
static PWAIT2_MISSING: AtomicBool = AtomicBool::new(false);

/// The buffer one wait fills.
pub(crate) struct Events {
    list: Vec<libc::epoll_event>,
}

impl Events {
    /// An empty buffer with room for `capacity` events (at least one).
    pub(crate) fn with_capacity(capacity: usize) -> Events {
        Events {
            list: Vec::with_capacity(capacity.max(1)),
        }
    }

    /// The fetched source events as `(key, readiness bits)` pairs; filch's own wake-ups (and
    /// `polling`'s, see invariant 2) are left out.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.list
            .iter()
            .filter_map(|event| source_event(event.u64, event.events))
    }

    #[cfg(all(test, not(loom)))]
    pub(crate) fn raw(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.list.iter().map(|event| (event.u64, event.events))
    }
}

/// One fetched event as a `(key, readiness bits)` pair for `Reactor::dispatch`, or `None` for
/// a wake-up.
fn source_event(data: u64, flags: u32) -> Option<(usize, usize)> {
    // The reactor's keys are `usize`s stored whole in the 64-bit data field.
    let key = data as usize;
    if key == WAKE_KEY {
        return None;
    }
    if key == POLLING_NOTIFY_KEY {
        debug_assert!(
            false,
            "an event under polling's NOTIFY_KEY reached filch's epoll wait (flags {flags:#x}): \
             polling's notifier or timerfd was armed although filch never calls Poller::wait \
             or Poller::notify on this path"
        );
        return None;
    }
    Some((key, readiness(flags)))
}

/// epoll's flags as the reactor's readiness bits (the reading of mio's `event` module):
///
/// | flag                  | bits                                                   |
/// |-----------------------|--------------------------------------------------------|
/// | `EPOLLIN`, `EPOLLPRI` | `READABLE`                                             |
/// | `EPOLLOUT`            | `WRITABLE`                                             |
/// | `EPOLLRDHUP`          | `READABLE \| READ_CLOSED` (the peer shut down writing)  |
/// | `EPOLLHUP`            | both directions ready and closed                       |
/// | `EPOLLERR`            | both directions ready (the call reports the error), `WRITE_CLOSED` |
pub(crate) fn readiness(flags: u32) -> usize {
    let has = |flag: c_int| flags & flag as u32 != 0;
    let mut ready = 0;
    if has(libc::EPOLLIN) || has(libc::EPOLLPRI) {
        ready |= READABLE;
    }
    if has(libc::EPOLLOUT) {
        ready |= WRITABLE;
    }
    if has(libc::EPOLLRDHUP) {
        ready |= READABLE | READ_CLOSED;
    }
    if has(libc::EPOLLHUP) {
        ready |= READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED;
    }
    if has(libc::EPOLLERR) {
        ready |= READABLE | WRITABLE | WRITE_CLOSED;
    }
    ready
}

/// `epoll_wait`'s timeout for `timeout`: rounded up to whole milliseconds (never early), zero
/// stays zero, `None` is `-1` (no timeout), capped at `i32::MAX` ms (see invariant 4).
pub(crate) fn timeout_millis(timeout: Option<Duration>) -> c_int {
    match timeout {
        None => -1,
        Some(t) => {
            let millis = t.as_nanos().div_ceil(1_000_000);
            c_int::try_from(millis).unwrap_or(c_int::MAX)
        }
    }
}

/// `struct __kernel_timespec`: 64-bit fields on every architecture (libc's `timespec` has a
/// 32-bit `tv_sec` on some 32-bit targets, which `epoll_pwait2` does not take).
#[repr(C)]
struct KernelTimespec {
    tv_sec: i64,
    tv_nsec: i64,
}

fn cvt(result: c_int) -> io::Result<c_int> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}

fn ctl_add(epfd: BorrowedFd<'_>, fd: RawFd, flags: u32, key: usize) -> io::Result<()> {
    let mut event = libc::epoll_event {
        events: flags,
        u64: key as u64,
    };
    // SAFETY: `event` is a valid, initialised `epoll_event` that lives for the whole call (the
    // kernel copies it); the descriptors are plain integers the kernel checks.
    cvt(unsafe { libc::epoll_ctl(epfd.as_raw_fd(), libc::EPOLL_CTL_ADD, fd, &mut event) })?;
    Ok(())
}

/// Adds a source to the epoll instance `epfd` under `key` (see the module docs for the flags).
///
/// Like `polling`'s `add`, the caller must delete `fd` (with `Poller::delete`) before closing
/// it; the reactor does (`Reactor::deregister`).
pub(crate) fn add(epfd: BorrowedFd<'_>, fd: BorrowedFd<'_>, key: usize) -> io::Result<()> {
    debug_assert!(key != WAKE_KEY && key != POLLING_NOTIFY_KEY);
    ctl_add(epfd, fd.as_raw_fd(), SOURCE_FLAGS, key)
}

/// filch's wait and unpark on an epoll instance (the reactor keeps the instance: `Poller`).
#[derive(Debug)]
pub(crate) struct Epoll {
    /// The eventfd `notify` writes to, registered under [`WAKE_KEY`].
    wake: OwnedFd,
    /// Test hook: use `epoll_wait` as if the kernel lacked `epoll_pwait2`.
    #[cfg(test)]
    pub(crate) force_epoll_wait: AtomicBool,
    /// Test counters: waits made with `epoll_pwait2` and with `epoll_wait`.
    #[cfg(test)]
    pub(crate) calls: [std::sync::atomic::AtomicUsize; 2],
}

impl Epoll {
    /// Creates the eventfd for unparking and adds it to `epfd`.
    pub(crate) fn new(epfd: BorrowedFd<'_>) -> io::Result<Epoll> {
        // SAFETY: `eventfd` takes no pointers; a negative result is an error, checked by `cvt`.
        let fd = cvt(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
        // SAFETY: `fd` was just created by `eventfd` and nothing else owns it.
        let wake = unsafe { OwnedFd::from_raw_fd(fd) };
        ctl_add(
            epfd,
            wake.as_raw_fd(),
            (libc::EPOLLIN | libc::EPOLLET) as u32,
            WAKE_KEY,
        )?;
        Ok(Epoll {
            wake,
            #[cfg(test)]
            force_epoll_wait: AtomicBool::new(false),
            #[cfg(test)]
            calls: Default::default(),
        })
    }

    /// Makes the current or the next [`wait`](Epoll::wait) return (see invariant 4).
    pub(crate) fn notify(&self) -> io::Result<()> {
        let one = 1u64.to_ne_bytes();
        loop {
            // SAFETY: writes the 8 bytes of `one`, which lives for the whole call.
            let n = unsafe { libc::write(self.wake.as_raw_fd(), one.as_ptr().cast(), one.len()) };
            if n >= 0 {
                return Ok(());
            }
            let err = io::Error::last_os_error();
            match err.kind() {
                io::ErrorKind::Interrupted => {}
                // The counter is full: reset it and write again.
                io::ErrorKind::WouldBlock => self.reset_counter()?,
                _ => return Err(err),
            }
        }
    }

    /// Reads the eventfd's counter back to 0 (only when it is full; see invariant 4).
    fn reset_counter(&self) -> io::Result<()> {
        let mut buf = [0u8; 8];
        // SAFETY: reads at most 8 bytes into `buf`, which lives for the whole call.
        let n = unsafe { libc::read(self.wake.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            let err = io::Error::last_os_error();
            // Another thread reset it first: it is empty now, which is all we need.
            if !matches!(
                err.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
            ) {
                return Err(err);
            }
        }
        Ok(())
    }

    fn use_pwait2(&self) -> bool {
        #[cfg(test)]
        if self.force_epoll_wait.load(Ordering::Relaxed) {
            return false;
        }
        !PWAIT2_MISSING.load(Ordering::Relaxed)
    }

    /// Waits on `epfd` for at most `timeout` (`None`: until an event) and fills `events`.
    ///
    /// Errors are the OS's: `Interrupted` when a signal arrived, which the driver treats as an
    /// empty wait.
    pub(crate) fn wait(
        &self,
        epfd: BorrowedFd<'_>,
        events: &mut Events,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        events.list.clear();
        let capacity = c_int::try_from(events.list.capacity()).unwrap_or(c_int::MAX);
        let buf = events.list.as_mut_ptr();
        let epfd = epfd.as_raw_fd();
        let n = if self.use_pwait2() {
            match self.pwait2(epfd, buf, capacity, timeout) {
                Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) => {
                    PWAIT2_MISSING.store(true, Ordering::Relaxed);
                    self.epoll_wait(epfd, buf, capacity, timeout)
                }
                other => other,
            }
        } else {
            self.epoll_wait(epfd, buf, capacity, timeout)
        }?;
        let n = usize::try_from(n).expect("a successful wait returns a count");
        debug_assert!(n <= events.list.capacity());
        // SAFETY: the kernel initialised the first `n` entries of the buffer (`n` is at most
        // the `capacity` we passed, which is at most the vector's capacity).
        unsafe { events.list.set_len(n) };
        Ok(())
    }

    fn pwait2(
        &self,
        epfd: RawFd,
        buf: *mut libc::epoll_event,
        capacity: c_int,
        timeout: Option<Duration>,
    ) -> io::Result<c_int> {
        #[cfg(test)]
        self.calls[0].fetch_add(1, Ordering::Relaxed);
        let timespec = timeout.map(|t| KernelTimespec {
            tv_sec: i64::try_from(t.as_secs()).unwrap_or(i64::MAX),
            tv_nsec: i64::from(t.subsec_nanos()),
        });
        let timespec_ptr = timespec
            .as_ref()
            .map_or(std::ptr::null(), |t| t as *const KernelTimespec);
        // SAFETY: `buf` has room for `capacity` events (a vector's spare capacity);
        // `timespec_ptr` is null (no timeout) or points at a live `__kernel_timespec`; the
        // signal mask is null, so the kernel ignores its size argument.
        let n = unsafe {
            libc::syscall(
                libc::SYS_epoll_pwait2,
                epfd,
                buf,
                capacity,
                timespec_ptr,
                std::ptr::null::<libc::sigset_t>(),
                0usize,
            )
        };
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(c_int::try_from(n).unwrap_or(capacity))
        }
    }

    fn epoll_wait(
        &self,
        epfd: RawFd,
        buf: *mut libc::epoll_event,
        capacity: c_int,
        timeout: Option<Duration>,
    ) -> io::Result<c_int> {
        #[cfg(test)]
        self.calls[1].fetch_add(1, Ordering::Relaxed);
        // SAFETY: `buf` has room for `capacity` events (a vector's spare capacity).
        cvt(unsafe { libc::epoll_wait(epfd, buf, capacity, timeout_millis(timeout)) })
    }

    #[cfg(all(test, not(loom)))]
    fn wake_fd(&self) -> BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.wake.as_fd()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::os::fd::AsFd;
    use std::sync::Arc;
    use std::time::Instant;

    use libc::{EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLPRI, EPOLLRDHUP};

    /// Aborts with `name` if the test is still running after 60 s.
    fn hang_guard(name: &'static str) -> Arc<AtomicBool> {
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(60));
            if !flag.load(Ordering::SeqCst) {
                // Straight to the descriptor: `eprintln!` is captured by the test harness and
                // lost when the process aborts.
                let _ = std::io::Write::write_all(
                    &mut std::io::stderr(),
                    format!("{name} hung\n").as_bytes(),
                );
                std::process::abort();
            }
        });
        done
    }

    struct Instance {
        poller: polling::Poller,
        epoll: Epoll,
    }

    fn instance() -> Instance {
        let poller = polling::Poller::new().unwrap();
        let epoll = Epoll::new(poller.as_fd()).unwrap();
        Instance { poller, epoll }
    }

    impl Instance {
        fn wait(&self, events: &mut Events, timeout: Option<Duration>) {
            self.epoll
                .wait(self.poller.as_fd(), events, timeout)
                .unwrap();
        }
    }

    #[test]
    fn every_combination_of_flags_translates_as_the_table_says() {
        // Each flag's bits on its own (the table in `readiness`'s docs); a combination must be
        // their union.
        let table: [(c_int, usize); 6] = [
            (EPOLLIN, READABLE),
            (EPOLLPRI, READABLE),
            (EPOLLOUT, WRITABLE),
            (EPOLLRDHUP, READABLE | READ_CLOSED),
            (EPOLLHUP, READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED),
            (EPOLLERR, READABLE | WRITABLE | WRITE_CLOSED),
        ];
        for combination in 0u32..(1 << table.len()) {
            let mut flags = 0u32;
            let mut expected = 0usize;
            for (i, (flag, bits)) in table.iter().enumerate() {
                if combination & (1 << i) != 0 {
                    flags |= *flag as u32;
                    expected |= bits;
                }
            }
            assert_eq!(readiness(flags), expected, "flags {flags:#x}");
        }
        // A few spelled out, as a check on the table itself.
        assert_eq!(readiness(0), 0);
        assert_eq!(
            readiness((EPOLLIN | EPOLLRDHUP) as u32),
            READABLE | READ_CLOSED
        );
        assert_eq!(
            readiness((EPOLLOUT | EPOLLERR) as u32),
            READABLE | WRITABLE | WRITE_CLOSED
        );
        // Flags we do not read (EPOLLET echoed back, EPOLLMSG) add nothing.
        assert_eq!(readiness((libc::EPOLLET | libc::EPOLLMSG) as u32), 0);
    }

    #[test]
    fn wake_ups_are_not_source_events() {
        assert_eq!(source_event(WAKE_KEY as u64, EPOLLIN as u32), None);
        assert_eq!(
            source_event(7, (EPOLLIN | EPOLLRDHUP) as u32),
            Some((7, READABLE | READ_CLOSED))
        );
        // A source key with a generation: the 64-bit data field holds the whole key.
        let key = 5 | (3 << 24);
        assert_eq!(
            source_event(key as u64, EPOLLOUT as u32),
            Some((key, WRITABLE))
        );
    }

    #[test]
    #[cfg_attr(debug_assertions, should_panic(expected = "NOTIFY_KEY"))]
    fn an_event_under_pollings_key_is_ignored() {
        // Release builds: ignored. Debug builds: the assertion names the broken invariant.
        assert_eq!(
            source_event(POLLING_NOTIFY_KEY as u64, EPOLLIN as u32),
            None
        );
    }

    #[test]
    fn millisecond_timeouts_round_up_and_zero_stays_zero() {
        assert_eq!(timeout_millis(None), -1);
        assert_eq!(timeout_millis(Some(Duration::ZERO)), 0);
        assert_eq!(timeout_millis(Some(Duration::from_nanos(1))), 1);
        assert_eq!(timeout_millis(Some(Duration::from_micros(300))), 1);
        assert_eq!(timeout_millis(Some(Duration::from_millis(1))), 1);
        assert_eq!(
            timeout_millis(Some(Duration::from_millis(1) + Duration::from_nanos(1))),
            2
        );
        assert_eq!(
            timeout_millis(Some(Duration::from_secs(1 << 40))),
            c_int::MAX
        );
    }

    /// Waits `timeout` with nothing registered and returns how long it took.
    fn timed_wait(instance: &Instance, timeout: Duration) -> Duration {
        let mut events = Events::with_capacity(8);
        let start = Instant::now();
        instance.wait(&mut events, Some(timeout));
        let elapsed = start.elapsed();
        assert_eq!(events.raw().count(), 0, "nothing can be ready");
        elapsed
    }

    /// Whether the running kernel is 5.11 or later (from `/proc/sys/kernel/osrelease`).
    fn kernel_has_pwait2() -> bool {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let mut parts = release
            .split(|c: char| !c.is_ascii_digit())
            .map(|n| n.parse::<u32>().unwrap_or(0));
        let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        (major, minor) >= (5, 11)
    }

    #[test]
    fn a_sub_millisecond_timeout_is_honoured_with_epoll_pwait2() {
        let guard = hang_guard("a_sub_millisecond_timeout_is_honoured_with_epoll_pwait2");
        let instance = instance();
        let timeout = Duration::from_micros(300);
        let elapsed = timed_wait(&instance, timeout);
        assert!(elapsed >= timeout, "returned early: {elapsed:?}");
        if kernel_has_pwait2() && !PWAIT2_MISSING.load(Ordering::Relaxed) {
            assert_eq!(
                instance.epoll.calls[0].load(Ordering::Relaxed),
                1,
                "Linux 5.11+ waits with epoll_pwait2"
            );
            // epoll_pwait2 did the wait; a rounded-up millisecond would be >= 1 ms every time,
            // so look for one wait of the several below that ends sooner (the machine is loaded,
            // so one is enough).
            let fastest = (0..20)
                .map(|_| timed_wait(&instance, timeout))
                .min()
                .unwrap();
            assert!(fastest >= timeout, "returned early: {fastest:?}");
            assert!(
                fastest < Duration::from_millis(1),
                "no wait of 300 µs ended within a millisecond: {fastest:?}"
            );
            assert_eq!(instance.epoll.calls[1].load(Ordering::Relaxed), 0);
        } else {
            eprintln!(
                "this kernel (or its seccomp filter) has no epoll_pwait2: only the fallback \
                 was checked"
            );
        }
        guard.store(true, Ordering::SeqCst);
    }

    #[test]
    fn the_epoll_wait_fallback_rounds_the_timeout_up() {
        let guard = hang_guard("the_epoll_wait_fallback_rounds_the_timeout_up");
        let instance = instance();
        instance
            .epoll
            .force_epoll_wait
            .store(true, Ordering::Relaxed);
        for _ in 0..5 {
            let elapsed = timed_wait(&instance, Duration::from_micros(300));
            // Rounded up to 1 ms, never down to 0 (which would return at once).
            assert!(elapsed >= Duration::from_millis(1), "{elapsed:?}");
        }
        assert_eq!(instance.epoll.calls[0].load(Ordering::Relaxed), 0);
        assert_eq!(instance.epoll.calls[1].load(Ordering::Relaxed), 5);
        guard.store(true, Ordering::SeqCst);
    }

    #[test]
    fn a_zero_timeout_is_one_wait_that_does_not_block() {
        let guard = hang_guard("a_zero_timeout_is_one_wait_that_does_not_block");
        for force in [false, true] {
            let instance = instance();
            instance
                .epoll
                .force_epoll_wait
                .store(force, Ordering::Relaxed);
            let elapsed = timed_wait(&instance, Duration::ZERO);
            assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
            let calls = instance.epoll.calls[0].load(Ordering::Relaxed)
                + instance.epoll.calls[1].load(Ordering::Relaxed);
            assert_eq!(calls, 1, "one wait (force_epoll_wait {force})");
        }
        guard.store(true, Ordering::SeqCst);
    }

    #[test]
    fn unpark_from_another_thread_ends_a_blocking_wait_and_is_sticky() {
        let guard = hang_guard("unpark_from_another_thread_ends_a_blocking_wait_and_is_sticky");
        for force in [false, true] {
            let instance = Arc::new(instance());
            instance
                .epoll
                .force_epoll_wait
                .store(force, Ordering::Relaxed);
            let notifier = {
                let instance = instance.clone();
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(50));
                    instance.epoll.notify().unwrap();
                })
            };
            let mut events = Events::with_capacity(8);
            // No timeout: only the notify can end this wait.
            instance.wait(&mut events, None);
            assert_eq!(events.iter().count(), 0, "a wake-up is not a source event");
            assert_eq!(events.raw().next().map(|(k, _)| k), Some(WAKE_KEY as u64));
            notifier.join().unwrap();

            // Sticky: a notify before the wait makes it return at once; two make one event.
            instance.epoll.notify().unwrap();
            instance.epoll.notify().unwrap();
            instance.wait(&mut events, None);
            assert_eq!(events.raw().count(), 1);
            // Fetched: the next wait blocks again (here until its timeout).
            instance.wait(&mut events, Some(Duration::from_millis(20)));
            assert_eq!(events.raw().count(), 0);
        }
        guard.store(true, Ordering::SeqCst);
    }

    #[test]
    fn a_full_counter_is_reset_and_the_wake_still_arrives() {
        let guard = hang_guard("a_full_counter_is_reset_and_the_wake_still_arrives");
        let instance = instance();
        let max = (u64::MAX - 1).to_ne_bytes();
        // SAFETY: writes the 8 bytes of `max`, which lives for the whole call.
        let n = unsafe {
            libc::write(
                instance.epoll.wake_fd().as_raw_fd(),
                max.as_ptr().cast(),
                max.len(),
            )
        };
        assert_eq!(n, 8, "{}", io::Error::last_os_error());
        let mut events = Events::with_capacity(8);
        instance.wait(&mut events, Some(Duration::ZERO));
        instance.epoll.notify().unwrap();
        instance.wait(&mut events, None);
        assert_eq!(events.raw().next().map(|(k, _)| k), Some(WAKE_KEY as u64));
        guard.store(true, Ordering::SeqCst);
    }

    #[test]
    fn sources_report_read_closed_on_a_half_close() {
        let guard = hang_guard("sources_report_read_closed_on_a_half_close");
        let instance = instance();
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        add(instance.poller.as_fd(), a.as_fd(), 42).unwrap();
        let mut events = Events::with_capacity(8);
        // The first edge: writable.
        instance.wait(&mut events, Some(Duration::from_secs(5)));
        assert_eq!(events.iter().collect::<Vec<_>>(), [(42, WRITABLE)]);
        b.shutdown(std::net::Shutdown::Write).unwrap();
        instance.wait(&mut events, Some(Duration::from_secs(5)));
        let got: Vec<_> = events.iter().collect();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, 42);
        assert_eq!(
            got[0].1 & (READABLE | READ_CLOSED),
            READABLE | READ_CLOSED,
            "{got:?}"
        );
        instance.poller.delete(a.as_fd()).unwrap();
        guard.store(true, Ordering::SeqCst);
    }
}
