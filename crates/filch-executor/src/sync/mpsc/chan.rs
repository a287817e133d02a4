//! The queue and bookkeeping shared by the bounded and unbounded channels.
//!
//! Everything lives behind one lock: the queue, the slots held by permits, the FIFO of senders
//! waiting for a slot, the receiver's waker and the sender counts. A bounded channel's slot is
//! "used" from the moment a sender reserves it until the receiver takes the message out, so
//! `capacity = bound - queued - reserved`. When slots free up they are handed straight to the
//! oldest waiting sender (marked "granted"), so a newcomer can never overtake a waiter. A waiter
//! may need several slots (`Sender::reserve_many`): it gets them all at once, and the waiters
//! behind it wait until it has been served, so a large request is not starved by small ones.

use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use super::error::{TryRecvError, TrySendError};
use crate::loom::sync::Mutex;

pub(super) struct Chan<T> {
    state: Mutex<State<T>>,
    /// `None` for an unbounded channel.
    bound: Option<usize>,
}

// No user code runs while the lock is held (values are dropped and wakers woken after it is
// released), so a panic cannot leave the state half-updated.
impl<T> std::panic::UnwindSafe for Chan<T> {}
impl<T> std::panic::RefUnwindSafe for Chan<T> {}

struct State<T> {
    queue: VecDeque<T>,
    /// Slots held by permits (including slots granted to waiters that have not yet seen them).
    reserved: usize,
    /// Senders waiting for slots, oldest first: ticket, slots needed, waker.
    waiters: VecDeque<(u64, usize, Waker)>,
    /// Waiters that were given their slots but have not polled since: ticket, slots.
    granted: Vec<(u64, usize)>,
    /// Futures waiting in `Sender::closed`.
    closed_waiters: Vec<(u64, Waker)>,
    next_id: u64,
    rx_waker: Option<Waker>,
    /// The receiver called `close` or was dropped.
    rx_closed: bool,
    /// The receiver was dropped: messages of outstanding permits are dropped, not queued.
    rx_dropped: bool,
    tx_count: usize,
    weak_count: usize,
}

impl<T> State<T> {
    fn free(&self, bound: usize) -> usize {
        bound.saturating_sub(self.queue.len() + self.reserved)
    }

    /// Hands free slots to the oldest waiters, each getting all the slots it asked for; stops
    /// at the first waiter that needs more than is free (FIFO). The wakers go to `wake`.
    fn grant(&mut self, bound: Option<usize>, wake: &mut Vec<Waker>) {
        let Some(bound) = bound else { return };
        if self.rx_closed {
            return;
        }
        while let Some(&(_, need, _)) = self.waiters.front() {
            if self.free(bound) < need {
                break;
            }
            let Some((id, need, waker)) = self.waiters.pop_front() else {
                break;
            };
            self.reserved += need;
            self.granted.push((id, need));
            wake.push(waker);
        }
    }

    /// No message can arrive any more: the queue is empty, no permit is out, and either every
    /// sender is gone or the receiver closed the channel.
    fn finished(&self) -> bool {
        self.queue.is_empty() && self.reserved == 0 && (self.tx_count == 0 || self.rx_closed)
    }

    fn take_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

fn wake_all(wakers: Vec<Waker>) {
    for w in wakers {
        w.wake();
    }
}

impl<T> Chan<T> {
    /// A channel with one sender and its receiver.
    pub(super) fn new(bound: Option<usize>) -> Chan<T> {
        Chan {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                reserved: 0,
                waiters: VecDeque::new(),
                granted: Vec::new(),
                closed_waiters: Vec::new(),
                next_id: 0,
                rx_waker: None,
                rx_closed: false,
                rx_dropped: false,
                tx_count: 1,
                weak_count: 0,
            }),
            bound,
        }
    }

    pub(super) fn bound(&self) -> Option<usize> {
        self.bound
    }

    // ----- sender counts -----

    pub(super) fn inc_tx(&self) {
        self.state.lock().tx_count += 1;
    }

    pub(super) fn dec_tx(&self) {
        let waker = {
            let mut s = self.state.lock();
            s.tx_count -= 1;
            if s.tx_count == 0 {
                s.rx_waker.take()
            } else {
                None
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Adds a sender if at least one is still alive (`WeakSender::upgrade`).
    pub(super) fn try_inc_tx(&self) -> bool {
        let mut s = self.state.lock();
        if s.tx_count == 0 {
            false
        } else {
            s.tx_count += 1;
            true
        }
    }

    pub(super) fn inc_weak(&self) {
        self.state.lock().weak_count += 1;
    }

    pub(super) fn dec_weak(&self) {
        self.state.lock().weak_count -= 1;
    }

    pub(super) fn tx_count(&self) -> usize {
        self.state.lock().tx_count
    }

    pub(super) fn weak_count(&self) -> usize {
        self.state.lock().weak_count
    }

    // ----- sending -----

    /// Takes `n` slots at once if they are free and nobody is queued for slots. `n == 0`
    /// succeeds on an open channel.
    pub(super) fn try_reserve(&self, n: usize) -> Result<(), TrySendError<()>> {
        let mut s = self.state.lock();
        if s.rx_closed {
            return Err(TrySendError::Closed(()));
        }
        if let Some(bound) = self.bound {
            if n == 0 {
                return Ok(());
            }
            if !s.waiters.is_empty() || s.free(bound) < n {
                return Err(TrySendError::Full(()));
            }
            s.reserved += n;
        }
        Ok(())
    }

    /// One poll of a wait for `n` slots. `id` is the waiter's ticket: `None` until it has
    /// queued. `Ready(Err(()))`: the receiver is closed. The caller makes sure `n <= bound`.
    pub(super) fn poll_reserve(
        &self,
        id: &mut Option<u64>,
        n: usize,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), ()>> {
        let mut wake = Vec::new();
        let out = {
            let mut s = self.state.lock();
            match *id {
                Some(me) => {
                    if let Some(pos) = s.granted.iter().position(|&(g, _)| g == me) {
                        let (_, got) = s.granted.swap_remove(pos);
                        *id = None;
                        if s.rx_closed {
                            // The slots came before the close; give them back. The receiver
                            // may be waiting for the last permit to go.
                            s.reserved -= got;
                            if s.finished() {
                                wake.extend(s.rx_waker.take());
                            }
                            Poll::Ready(Err(()))
                        } else {
                            Poll::Ready(Ok(()))
                        }
                    } else if s.rx_closed {
                        if let Some(pos) = s.waiters.iter().position(|(w, _, _)| *w == me) {
                            s.waiters.remove(pos);
                        }
                        *id = None;
                        Poll::Ready(Err(()))
                    } else {
                        if let Some(entry) = s.waiters.iter_mut().find(|(w, _, _)| *w == me) {
                            if !entry.2.will_wake(cx.waker()) {
                                entry.2 = cx.waker().clone();
                            }
                        }
                        Poll::Pending
                    }
                }
                None => {
                    if s.rx_closed {
                        Poll::Ready(Err(()))
                    } else {
                        match self.bound {
                            None => Poll::Ready(Ok(())),
                            Some(_) if n == 0 => Poll::Ready(Ok(())),
                            Some(bound) if s.waiters.is_empty() && s.free(bound) >= n => {
                                s.reserved += n;
                                Poll::Ready(Ok(()))
                            }
                            Some(_) => {
                                let me = s.take_id();
                                s.waiters.push_back((me, n, cx.waker().clone()));
                                *id = Some(me);
                                Poll::Pending
                            }
                        }
                    }
                }
            }
        };
        wake_all(wake);
        out
    }

    /// A waiter gave up (its future was dropped). Slots already granted to it go to the next
    /// waiters; if it was still queued, the waiters behind it may now fit.
    pub(super) fn cancel_reserve(&self, id: u64) {
        let mut wake = Vec::new();
        {
            let mut s = self.state.lock();
            if let Some(pos) = s.granted.iter().position(|&(g, _)| g == id) {
                let (_, got) = s.granted.swap_remove(pos);
                s.reserved -= got;
                s.grant(self.bound, &mut wake);
                if s.finished() {
                    wake.extend(s.rx_waker.take());
                }
            } else if let Some(pos) = s.waiters.iter().position(|(w, _, _)| *w == id) {
                s.waiters.remove(pos);
                s.grant(self.bound, &mut wake);
            }
        }
        wake_all(wake);
    }

    /// `n` permits were dropped unused.
    pub(super) fn release_slots(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut wake = Vec::new();
        {
            let mut s = self.state.lock();
            s.reserved -= n;
            s.grant(self.bound, &mut wake);
            if s.finished() {
                wake.extend(s.rx_waker.take());
            }
        }
        wake_all(wake);
    }

    /// Sends through a reserved slot. A closed receiver still gets the message (the slot was
    /// taken before the close); if the receiver is dropped the value is dropped (after the lock
    /// is released, since its `Drop` may touch the channel).
    pub(super) fn send_reserved(&self, value: T) {
        let mut wake = Vec::new();
        let rejected = {
            let mut s = self.state.lock();
            s.reserved -= 1;
            if s.rx_dropped {
                if s.finished() {
                    wake.extend(s.rx_waker.take());
                }
                Some(value)
            } else {
                s.queue.push_back(value);
                wake.extend(s.rx_waker.take());
                None
            }
        };
        wake_all(wake);
        drop(rejected);
    }

    /// Sends on an unbounded channel.
    pub(super) fn send_unbounded(&self, value: T) -> Result<(), T> {
        let waker = {
            let mut s = self.state.lock();
            if s.rx_closed {
                return Err(value);
            }
            s.queue.push_back(value);
            s.rx_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    pub(super) fn is_rx_closed(&self) -> bool {
        self.state.lock().rx_closed
    }

    pub(super) fn capacity(&self) -> usize {
        let s = self.state.lock();
        match self.bound {
            Some(bound) => s.free(bound),
            None => usize::MAX,
        }
    }

    /// One poll of `Sender::closed`.
    pub(super) fn poll_closed(&self, id: &mut Option<u64>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = self.state.lock();
        if s.rx_closed {
            *id = None;
            return Poll::Ready(());
        }
        match *id {
            Some(me) => {
                if let Some(entry) = s.closed_waiters.iter_mut().find(|(w, _)| *w == me) {
                    if !entry.1.will_wake(cx.waker()) {
                        entry.1 = cx.waker().clone();
                    }
                }
            }
            None => {
                let me = s.take_id();
                s.closed_waiters.push((me, cx.waker().clone()));
                *id = Some(me);
            }
        }
        Poll::Pending
    }

    pub(super) fn cancel_closed(&self, id: u64) {
        let mut s = self.state.lock();
        if let Some(pos) = s.closed_waiters.iter().position(|(w, _)| *w == id) {
            s.closed_waiters.swap_remove(pos);
        }
    }

    // ----- receiving -----

    /// Marks the receiver closed: sends fail from now on, waiting senders and `closed()` futures
    /// wake. Queued messages stay receivable.
    pub(super) fn close(&self) {
        let mut wake = Vec::new();
        {
            let mut s = self.state.lock();
            if s.rx_closed {
                return;
            }
            s.rx_closed = true;
            wake.extend(s.waiters.drain(..).map(|(_, _, w)| w));
            wake.extend(s.closed_waiters.drain(..).map(|(_, w)| w));
        }
        wake_all(wake);
    }

    /// The receiver was dropped: close, and drop every queued message (outside the lock).
    pub(super) fn drop_rx(&self) {
        self.close();
        let (queue, waker) = {
            let mut s = self.state.lock();
            s.rx_dropped = true;
            (std::mem::take(&mut s.queue), s.rx_waker.take())
        };
        drop(waker);
        drop(queue);
    }

    fn take_some(
        &self,
        s: &mut State<T>,
        buffer: &mut Vec<T>,
        limit: usize,
        wake: &mut Vec<Waker>,
    ) -> usize {
        let n = limit.min(s.queue.len());
        buffer.extend(s.queue.drain(..n));
        s.grant(self.bound, wake);
        n
    }

    pub(super) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let guard = match crate::coop::poll_proceed(cx) {
            Poll::Ready(g) => g,
            Poll::Pending => return Poll::Pending,
        };
        let mut wake = Vec::new();
        let out = {
            let mut s = self.state.lock();
            if let Some(value) = s.queue.pop_front() {
                s.grant(self.bound, &mut wake);
                Poll::Ready(Some(value))
            } else if s.finished() {
                Poll::Ready(None)
            } else {
                if !s.rx_waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    s.rx_waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        };
        wake_all(wake);
        if out.is_ready() {
            guard.made_progress();
        }
        out
    }

    pub(super) fn poll_recv_many(
        &self,
        cx: &mut Context<'_>,
        buffer: &mut Vec<T>,
        limit: usize,
    ) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let guard = match crate::coop::poll_proceed(cx) {
            Poll::Ready(g) => g,
            Poll::Pending => return Poll::Pending,
        };
        let mut wake = Vec::new();
        let out = {
            let mut s = self.state.lock();
            if !s.queue.is_empty() {
                Poll::Ready(self.take_some(&mut s, buffer, limit, &mut wake))
            } else if s.finished() {
                Poll::Ready(0)
            } else {
                if !s.rx_waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    s.rx_waker = Some(cx.waker().clone());
                }
                Poll::Pending
            }
        };
        wake_all(wake);
        if out.is_ready() {
            guard.made_progress();
        }
        out
    }

    pub(super) fn try_recv(&self) -> Result<T, TryRecvError> {
        let mut wake = Vec::new();
        let out = {
            let mut s = self.state.lock();
            if let Some(value) = s.queue.pop_front() {
                s.grant(self.bound, &mut wake);
                Ok(value)
            } else if s.finished() {
                Err(TryRecvError::Disconnected)
            } else {
                Err(TryRecvError::Empty)
            }
        };
        wake_all(wake);
        out
    }

    pub(super) fn len(&self) -> usize {
        self.state.lock().queue.len()
    }

    /// `Receiver::is_closed`: closed by the receiver, or every sender is gone.
    pub(super) fn rx_is_closed(&self) -> bool {
        let s = self.state.lock();
        s.rx_closed || s.tx_count == 0
    }
}
