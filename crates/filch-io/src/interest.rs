//! [`Interest`] and [`Ready`]: what a task waits for on a socket or descriptor, and what it
//! found. Re-exported as `filch::io::{Interest, Ready}`, tokio's paths and names.
//!
//! # What the reactor reports
//!
//! The reactor keeps four readiness bits per source (see `scheduled_io.rs`): readable and
//! writable, which a task clears when the OS says `WouldBlock`, and the two final states "read
//! closed" and "write closed", which are never cleared. A [`Ready`] returned by a
//! `ready(Interest)` call (or an `AsyncFd` guard) holds those of them that were set, restricted
//! to the interest asked for: [`Ready::READABLE`] and [`Ready::READ_CLOSED`] for a readable
//! interest, [`Ready::WRITABLE`] and [`Ready::WRITE_CLOSED`] for a writable one, as in tokio
//! (the idea of keeping the closed states apart is tokio's).
//!
//! What sets the closed bits depends on the reactor's wait:
//!
//! * A hang-up of both directions (`EPOLLHUP`: the peer reset the connection, or both halves
//!   are shut) sets both, with every wait.
//! * A half-close by the peer (it shut its write half: a TCP `FIN`) sets
//!   [`Ready::READ_CLOSED`] only where the wait asks the OS for it (epoll's `EPOLLRDHUP`, filch's
//!   own Linux wait). `polling`'s portable wait does not ask, and reports a half-close as plain
//!   readable.
//!
//! So [`Ready::is_read_closed`] true means the peer will send nothing more; false does not
//! promise more data. A hang-up or error is also reported as readable and writable: the next
//! read returns `Ok(0)` or the error. Read until `Ok(0)` to detect end-of-stream portably.

use std::fmt;
use std::ops;

use crate::scheduled_io::{Direction, READABLE, READ_CLOSED, WRITABLE, WRITE_CLOSED};

/// The readiness a task waits for: [`READABLE`](Interest::READABLE),
/// [`WRITABLE`](Interest::WRITABLE), or both (`Interest::READABLE | Interest::WRITABLE`).
///
/// ```
/// use filch::io::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert_eq!(both.remove(Interest::WRITABLE), Some(Interest::READABLE));
/// assert_eq!(Interest::READABLE.remove(Interest::READABLE), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interest(u8);

const I_READ: u8 = 0b01;
const I_WRITE: u8 = 0b10;

impl Interest {
    /// Interest in reading (or accepting, or receiving).
    pub const READABLE: Interest = Interest(I_READ);
    /// Interest in writing (or sending, or a connect finishing).
    pub const WRITABLE: Interest = Interest(I_WRITE);

    /// Whether this includes [`Interest::READABLE`].
    ///
    /// ```
    /// assert!(filch::io::Interest::READABLE.is_readable());
    /// assert!(!filch::io::Interest::WRITABLE.is_readable());
    /// ```
    pub const fn is_readable(self) -> bool {
        self.0 & I_READ != 0
    }

    /// Whether this includes [`Interest::WRITABLE`].
    ///
    /// ```
    /// assert!(filch::io::Interest::WRITABLE.is_writable());
    /// ```
    pub const fn is_writable(self) -> bool {
        self.0 & I_WRITE != 0
    }

    /// Both interests together (the same as `self | other`, usable in a `const`).
    ///
    /// ```
    /// use filch::io::Interest;
    /// const BOTH: Interest = Interest::READABLE.add(Interest::WRITABLE);
    /// assert!(BOTH.is_readable() && BOTH.is_writable());
    /// ```
    #[must_use]
    pub const fn add(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }

    /// This interest without `other`, or `None` when nothing is left.
    ///
    /// ```
    /// use filch::io::Interest;
    /// assert_eq!(Interest::WRITABLE.remove(Interest::READABLE), Some(Interest::WRITABLE));
    /// ```
    #[must_use]
    pub fn remove(self, other: Interest) -> Option<Interest> {
        let left = self.0 & !other.0;
        (left != 0).then_some(Interest(left))
    }

    /// The direction the reactor waits for.
    pub(crate) fn direction(self) -> Direction {
        match (self.is_readable(), self.is_writable()) {
            (true, false) => Direction::Read,
            (false, true) => Direction::Write,
            _ => Direction::Either,
        }
    }
}

impl ops::BitOr for Interest {
    type Output = Interest;

    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl ops::BitOrAssign for Interest {
    fn bitor_assign(&mut self, other: Interest) {
        *self = self.add(other);
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.is_readable(), self.is_writable()) {
            (true, true) => f.write_str("READABLE | WRITABLE"),
            (true, false) => f.write_str("READABLE"),
            (false, true) => f.write_str("WRITABLE"),
            (false, false) => f.write_str("(none)"),
        }
    }
}

/// The readiness a `ready(Interest)` call found: a set of [`READABLE`](Ready::READABLE),
/// [`WRITABLE`](Ready::WRITABLE), [`READ_CLOSED`](Ready::READ_CLOSED) and
/// [`WRITE_CLOSED`](Ready::WRITE_CLOSED). See the module notes for when the reactor sets the
/// closed bits.
///
/// ```
/// use filch::io::Ready;
///
/// let ready = Ready::READABLE | Ready::WRITABLE;
/// assert!(ready.is_readable() && ready.is_writable());
/// assert_eq!(ready - Ready::WRITABLE, Ready::READABLE);
/// assert!((ready & Ready::WRITABLE).is_writable());
/// assert!(Ready::EMPTY.is_empty());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ready(u8);

const R_READ: u8 = 0b0001;
const R_WRITE: u8 = 0b0010;
const R_READ_CLOSED: u8 = 0b0100;
const R_WRITE_CLOSED: u8 = 0b1000;

impl Ready {
    /// No readiness.
    pub const EMPTY: Ready = Ready(0);
    /// Readable.
    pub const READABLE: Ready = Ready(R_READ);
    /// Writable.
    pub const WRITABLE: Ready = Ready(R_WRITE);
    /// The read side is closed: the peer will send nothing more (see the module notes for
    /// which waits report a half-close).
    pub const READ_CLOSED: Ready = Ready(R_READ_CLOSED);
    /// The write side is closed: writing can no longer succeed (a reset or hang-up).
    pub const WRITE_CLOSED: Ready = Ready(R_WRITE_CLOSED);
    /// Every readiness bit.
    pub const ALL: Ready = Ready(R_READ | R_WRITE | R_READ_CLOSED | R_WRITE_CLOSED);

    /// Whether no bit is set.
    ///
    /// ```
    /// assert!(!filch::io::Ready::READABLE.is_empty());
    /// ```
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether [`Ready::READABLE`] (or [`Ready::READ_CLOSED`], as in tokio) is set.
    ///
    /// ```
    /// assert!(filch::io::Ready::READABLE.is_readable());
    /// ```
    pub const fn is_readable(self) -> bool {
        self.0 & (R_READ | R_READ_CLOSED) != 0
    }

    /// Whether [`Ready::WRITABLE`] (or [`Ready::WRITE_CLOSED`], as in tokio) is set.
    ///
    /// ```
    /// assert!(filch::io::Ready::WRITABLE.is_writable());
    /// ```
    pub const fn is_writable(self) -> bool {
        self.0 & (R_WRITE | R_WRITE_CLOSED) != 0
    }

    /// Whether [`Ready::READ_CLOSED`] is set.
    ///
    /// ```
    /// assert!(filch::io::Ready::READ_CLOSED.is_read_closed());
    /// ```
    pub const fn is_read_closed(self) -> bool {
        self.0 & R_READ_CLOSED != 0
    }

    /// Whether [`Ready::WRITE_CLOSED`] is set.
    ///
    /// ```
    /// assert!(!filch::io::Ready::WRITABLE.is_write_closed());
    /// ```
    pub const fn is_write_closed(self) -> bool {
        self.0 & R_WRITE_CLOSED != 0
    }

    /// The readiness of a reactor event's bits, restricted to `interest`: a readable interest
    /// keeps readable and read-closed, a writable one writable and write-closed.
    pub(crate) fn from_bits(bits: usize, interest: Interest) -> Ready {
        let mut ready = 0;
        if interest.is_readable() {
            if bits & READABLE != 0 {
                ready |= R_READ;
            }
            if bits & READ_CLOSED != 0 {
                ready |= R_READ_CLOSED;
            }
        }
        if interest.is_writable() {
            if bits & WRITABLE != 0 {
                ready |= R_WRITE;
            }
            if bits & WRITE_CLOSED != 0 {
                ready |= R_WRITE_CLOSED;
            }
        }
        Ready(ready)
    }
}

impl ops::BitOr for Ready {
    type Output = Ready;

    fn bitor(self, other: Ready) -> Ready {
        Ready(self.0 | other.0)
    }
}

impl ops::BitOrAssign for Ready {
    fn bitor_assign(&mut self, other: Ready) {
        self.0 |= other.0;
    }
}

impl ops::BitAnd for Ready {
    type Output = Ready;

    fn bitand(self, other: Ready) -> Ready {
        Ready(self.0 & other.0)
    }
}

impl ops::Sub for Ready {
    type Output = Ready;

    fn sub(self, other: Ready) -> Ready {
        Ready(self.0 & !other.0)
    }
}

impl fmt::Debug for Ready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ready")
            .field("is_readable", &self.is_readable())
            .field("is_writable", &self.is_writable())
            .field("is_read_closed", &self.is_read_closed())
            .field("is_write_closed", &self.is_write_closed())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_bits_keeps_only_the_interest() {
        let both = READABLE | WRITABLE;
        assert_eq!(Ready::from_bits(both, Interest::READABLE), Ready::READABLE);
        assert_eq!(Ready::from_bits(both, Interest::WRITABLE), Ready::WRITABLE);
        assert_eq!(
            Ready::from_bits(WRITABLE, Interest::READABLE | Interest::WRITABLE),
            Ready::WRITABLE
        );
        assert_eq!(
            (Interest::READABLE | Interest::WRITABLE).direction(),
            Direction::Either
        );
        assert_eq!(Interest::WRITABLE.direction(), Direction::Write);
    }

    #[test]
    fn from_bits_reports_the_closed_bits_of_the_interest() {
        let all = READABLE | WRITABLE | READ_CLOSED | WRITE_CLOSED;
        let read = Ready::from_bits(all, Interest::READABLE);
        assert_eq!(read, Ready::READABLE | Ready::READ_CLOSED);
        assert!(read.is_read_closed() && !read.is_write_closed());
        let write = Ready::from_bits(all, Interest::WRITABLE);
        assert_eq!(write, Ready::WRITABLE | Ready::WRITE_CLOSED);
        assert!(write.is_write_closed() && !write.is_read_closed());
        assert_eq!(
            Ready::from_bits(READ_CLOSED, Interest::READABLE | Interest::WRITABLE),
            Ready::READ_CLOSED
        );
        assert_eq!(
            Ready::from_bits(READABLE, Interest::READABLE),
            Ready::READABLE
        );
    }
}
