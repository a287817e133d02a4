//! [`CancellationToken`]: a cancellation signal shared by tasks, organised as a tree.
//!
//! The semantics are tokio-util's `CancellationToken`; the implementation is ours.
//!
//! # Design
//!
//! Clones of a token share one `Node`. A child token is a new node linked both ways with its
//! parent: the parent lists its children (to cancel them), the child keeps its parent alive (to
//! unlink itself). A node leaves its parent's list once it is *unused*: no token refers to it any
//! more and it has no children left; removing it may make the parent unused in turn. So a
//! long-lived parent does not accumulate the nodes of short-lived children. Locks are always
//! taken parent first, then child. Cancelling walks the subtree with an explicit stack (no
//! recursion), taking each node's waiters and children under its lock and waking them after.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll, Waker};

use parking_lot::Mutex;

/// A token that signals cancellation to every task watching it, and to its child tokens.
///
/// Clones share the state: cancelling any clone cancels them all. [`child_token`] makes a token
/// that is cancelled with its parent but can also be cancelled alone. Tasks wait for
/// cancellation with [`cancelled`] (typically in a `select!` against their work) or check
/// [`is_cancelled`].
///
/// This is tokio-util's `CancellationToken` (`tokio_util::sync::CancellationToken`), at
/// `filch::sync::CancellationToken`.
///
/// [`child_token`]: CancellationToken::child_token
/// [`cancelled`]: CancellationToken::cancelled
/// [`is_cancelled`]: CancellationToken::is_cancelled
///
/// ```
/// use filch::sync::CancellationToken;
/// # let rt = filch::runtime::Runtime::new().unwrap();
/// # rt.block_on(async {
/// let token = CancellationToken::new();
/// let worker_token = token.child_token();
/// let worker = filch::spawn(async move {
///     worker_token.cancelled().await;
///     "stopped"
/// });
/// token.cancel();
/// assert_eq!(worker.await.unwrap(), "stopped");
/// # });
/// ```
pub struct CancellationToken {
    node: Arc<Node>,
}

struct Node {
    /// Set once, under `state`'s lock; read without it for the fast path.
    cancelled: AtomicBool,
    state: Mutex<State>,
}

struct State {
    /// How many `CancellationToken`s refer to this node.
    tokens: usize,
    /// The parent and this node's index in its `children`, while linked.
    parent: Option<(Arc<Node>, usize)>,
    /// Child nodes by index; `None` entries are free (listed in `free_children`).
    children: Vec<Option<Arc<Node>>>,
    free_children: Vec<usize>,
    /// Waiting futures by index; `None` entries are free (listed in `free_waiters`).
    waiters: Vec<Option<Waker>>,
    free_waiters: Vec<usize>,
}

impl Node {
    fn new(parent: Option<(Arc<Node>, usize)>) -> Node {
        Node {
            cancelled: AtomicBool::new(false),
            state: Mutex::new(State {
                tokens: 1,
                parent,
                children: Vec::new(),
                free_children: Vec::new(),
                waiters: Vec::new(),
                free_waiters: Vec::new(),
            }),
        }
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }
}

impl State {
    fn is_unused(&self) -> bool {
        self.tokens == 0 && self.children.iter().all(Option::is_none)
    }
}

/// Puts `value` in the first free entry of `list` (or a new one); returns its index.
fn insert<T>(list: &mut Vec<Option<T>>, free: &mut Vec<usize>, value: T) -> usize {
    match free.pop() {
        Some(index) => {
            list[index] = Some(value);
            index
        }
        None => {
            list.push(Some(value));
            list.len() - 1
        }
    }
}

/// Cancels `node` and its whole subtree.
fn cancel(node: &Arc<Node>) {
    let mut stack = vec![node.clone()];
    while let Some(node) = stack.pop() {
        let (waiters, children) = {
            let mut state = node.state.lock();
            if node.is_cancelled() {
                continue;
            }
            node.cancelled.store(true, Ordering::Release);
            // A cancelled node needs no parent: the parent can no longer affect it.
            let parent = state.parent.take();
            state.free_children.clear();
            state.free_waiters.clear();
            let waiters = std::mem::take(&mut state.waiters);
            let children = std::mem::take(&mut state.children);
            drop(state);
            // The parent may be unlinked only after our lock is released (parent-first order).
            if let Some((parent, index)) = parent {
                unlink(&parent, index, &node);
            }
            (waiters, children)
        };
        for waker in waiters.into_iter().flatten() {
            waker.wake();
        }
        stack.extend(children.into_iter().flatten());
    }
}

/// Removes `child` (at `index`) from `parent`'s children, if it is still there.
fn unlink(parent: &Arc<Node>, index: usize, child: &Arc<Node>) {
    let became_unused = {
        let mut state = parent.state.lock();
        match state.children.get(index) {
            Some(Some(c)) if Arc::ptr_eq(c, child) => {}
            _ => return,
        }
        state.children[index] = None;
        state.free_children.push(index);
        state.is_unused()
    };
    if became_unused {
        detach_if_unused(parent);
    }
}

/// If `node` is unused, removes it from its parent's children (and so on up the tree).
fn detach_if_unused(node: &Arc<Node>) {
    let mut node = node.clone();
    loop {
        let (parent, index) = {
            let state = node.state.lock();
            if !state.is_unused() {
                return;
            }
            match &state.parent {
                Some((parent, index)) => (parent.clone(), *index),
                None => return,
            }
        };
        // Parent first, then child.
        let mut parent_state = parent.state.lock();
        let mut state = node.state.lock();
        if !state.is_unused() {
            return;
        }
        match &state.parent {
            Some((p, i)) if Arc::ptr_eq(p, &parent) && *i == index => {}
            // Unlinked meanwhile (the node was cancelled); nothing left to do.
            _ => return,
        }
        state.parent = None;
        drop(state);
        match parent_state.children.get(index) {
            Some(Some(c)) if Arc::ptr_eq(c, &node) => {}
            // The parent was cancelled and already took its children.
            _ => return,
        }
        parent_state.children[index] = None;
        parent_state.free_children.push(index);
        let parent_unused = parent_state.is_unused();
        drop(parent_state);
        if !parent_unused {
            return;
        }
        node = parent;
    }
}

impl CancellationToken {
    /// A new token, not cancelled, with no parent.
    ///
    /// ```
    /// let token = filch::sync::CancellationToken::new();
    /// assert!(!token.is_cancelled());
    /// ```
    pub fn new() -> CancellationToken {
        CancellationToken {
            node: Arc::new(Node::new(None)),
        }
    }

    /// A child token: cancelled when this token is cancelled, but cancelling the child does not
    /// cancel this token. A child of a cancelled token starts cancelled.
    ///
    /// ```
    /// use filch::sync::CancellationToken;
    /// let parent = CancellationToken::new();
    /// let child = parent.child_token();
    /// child.cancel();
    /// assert!(!parent.is_cancelled());
    /// let other = parent.child_token();
    /// parent.cancel();
    /// assert!(other.is_cancelled());
    /// ```
    pub fn child_token(&self) -> CancellationToken {
        let mut state = self.node.state.lock();
        if self.node.is_cancelled() {
            drop(state);
            let node = Node::new(None);
            node.cancelled.store(true, Ordering::Release);
            return CancellationToken {
                node: Arc::new(node),
            };
        }
        let index = state.free_children.pop().unwrap_or(state.children.len());
        let child = Arc::new(Node::new(Some((self.node.clone(), index))));
        if index == state.children.len() {
            state.children.push(Some(child.clone()));
        } else {
            state.children[index] = Some(child.clone());
        }
        CancellationToken { node: child }
    }

    /// Cancels this token, its clones and all its descendants, and wakes every task waiting in
    /// [`cancelled`](Self::cancelled). Cancelling again does nothing.
    ///
    /// ```
    /// let token = filch::sync::CancellationToken::new();
    /// let clone = token.clone();
    /// token.cancel();
    /// assert!(clone.is_cancelled());
    /// ```
    pub fn cancel(&self) {
        cancel(&self.node);
    }

    /// Whether this token has been cancelled (directly, or through an ancestor).
    ///
    /// ```
    /// let token = filch::sync::CancellationToken::new();
    /// assert!(!token.is_cancelled());
    /// token.cancel();
    /// assert!(token.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.node.is_cancelled()
    }

    /// A future that completes once the token is cancelled (at once if it already is).
    ///
    /// Cancel-safe: dropping the future before it completes unregisters it and loses nothing.
    ///
    /// ```
    /// use filch::sync::CancellationToken;
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let token = CancellationToken::new();
    /// let remote = token.clone();
    /// std::thread::spawn(move || remote.cancel());
    /// token.cancelled().await;
    /// assert!(token.is_cancelled());
    /// # });
    /// ```
    pub fn cancelled(&self) -> WaitForCancellationFuture<'_> {
        WaitForCancellationFuture {
            token: self,
            waiter: None,
        }
    }

    /// [`cancelled`](Self::cancelled), owning the token: the future is `'static` and can move
    /// into a spawned task.
    ///
    /// ```
    /// use filch::sync::CancellationToken;
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let token = CancellationToken::new();
    /// let waiter = filch::spawn(token.clone().cancelled_owned());
    /// token.cancel();
    /// waiter.await.unwrap();
    /// # });
    /// ```
    pub fn cancelled_owned(self) -> WaitForCancellationFutureOwned {
        WaitForCancellationFutureOwned {
            token: self,
            waiter: None,
        }
    }

    /// A guard that cancels the token when dropped, unless [`DropGuard::disarm`]ed.
    ///
    /// ```
    /// use filch::sync::CancellationToken;
    /// let token = CancellationToken::new();
    /// {
    ///     let _guard = token.clone().drop_guard();
    /// }
    /// assert!(token.is_cancelled());
    /// ```
    pub fn drop_guard(self) -> DropGuard {
        DropGuard { token: Some(self) }
    }

    /// Runs `future` until it completes (`Some(output)`) or the token is cancelled (`None`,
    /// and `future` is dropped). If the token is already cancelled, `future` is not polled.
    ///
    /// ```
    /// use filch::sync::CancellationToken;
    /// # let rt = filch::runtime::Runtime::new().unwrap();
    /// # rt.block_on(async {
    /// let token = CancellationToken::new();
    /// assert_eq!(token.run_until_cancelled(async { 5 }).await, Some(5));
    /// token.cancel();
    /// assert_eq!(token.run_until_cancelled(std::future::pending::<u8>()).await, None);
    /// # });
    /// ```
    pub async fn run_until_cancelled<F: Future>(&self, future: F) -> Option<F::Output> {
        let mut future = std::pin::pin!(future);
        let mut cancelled = self.cancelled();
        std::future::poll_fn(|cx| {
            if Pin::new(&mut cancelled).poll(cx).is_ready() {
                return Poll::Ready(None);
            }
            future.as_mut().poll(cx).map(Some)
        })
        .await
    }

    /// The number of child entries this node keeps (used or free); for leak tests.
    #[cfg(all(test, not(loom)))]
    fn child_slots(&self) -> usize {
        self.node.state.lock().children.len()
    }
}

// A panic cannot leave a token's shared state half-updated: every change made under the lock is
// complete before user code (a waker's `wake` or `clone`) runs, and the lock does not poison. So
// observing the token after a caught panic is sound, as with tokio-util's token.
impl std::panic::UnwindSafe for CancellationToken {}
impl std::panic::RefUnwindSafe for CancellationToken {}

impl Default for CancellationToken {
    fn default() -> CancellationToken {
        CancellationToken::new()
    }
}

impl Clone for CancellationToken {
    /// Another token for the same cancellation state.
    fn clone(&self) -> CancellationToken {
        self.node.state.lock().tokens += 1;
        CancellationToken {
            node: self.node.clone(),
        }
    }
}

impl Drop for CancellationToken {
    fn drop(&mut self) {
        let unused = {
            let mut state = self.node.state.lock();
            state.tokens -= 1;
            state.is_unused() && state.parent.is_some()
        };
        if unused {
            detach_if_unused(&self.node);
        }
    }
}

impl fmt::Debug for CancellationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancellationToken")
            .field("is_cancelled", &self.is_cancelled())
            .finish()
    }
}

/// Polls for cancellation of `node`, keeping the waiter's index in `waiter`.
fn poll_cancelled(node: &Node, waiter: &mut Option<usize>, cx: &mut Context<'_>) -> Poll<()> {
    let coop = ready!(crate::coop::poll_proceed(cx));
    if node.is_cancelled() {
        *waiter = None;
        coop.made_progress();
        return Poll::Ready(());
    }
    let mut state = node.state.lock();
    if node.is_cancelled() {
        *waiter = None;
        coop.made_progress();
        return Poll::Ready(());
    }
    let state = &mut *state;
    match *waiter {
        Some(index) => match &mut state.waiters[index] {
            Some(existing) if existing.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        },
        None => {
            *waiter = Some(insert(
                &mut state.waiters,
                &mut state.free_waiters,
                cx.waker().clone(),
            ))
        }
    }
    Poll::Pending
}

/// Removes a pending waiter (the future was dropped before the token was cancelled).
fn remove_waiter(node: &Node, waiter: Option<usize>) {
    if let Some(index) = waiter {
        let mut state = node.state.lock();
        // After a cancel the waiter list was taken and `index` means nothing.
        if !node.is_cancelled() {
            state.waiters[index] = None;
            state.free_waiters.push(index);
        }
    }
}

/// The future of [`CancellationToken::cancelled`]: completes once the token is cancelled.
///
/// ```
/// use filch::sync::{CancellationToken, WaitForCancellationFuture};
/// let token = CancellationToken::new();
/// token.cancel();
/// let future: WaitForCancellationFuture<'_> = token.cancelled();
/// # let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(future);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WaitForCancellationFuture<'a> {
    token: &'a CancellationToken,
    waiter: Option<usize>,
}

impl Future for WaitForCancellationFuture<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        poll_cancelled(&this.token.node, &mut this.waiter, cx)
    }
}

impl Drop for WaitForCancellationFuture<'_> {
    fn drop(&mut self) {
        remove_waiter(&self.token.node, self.waiter.take());
    }
}

impl fmt::Debug for WaitForCancellationFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellationFuture").finish()
    }
}

/// The future of [`CancellationToken::cancelled_owned`]: completes once the token is cancelled;
/// owns a clone of the token, so it is `'static`.
///
/// ```
/// use filch::sync::{CancellationToken, WaitForCancellationFutureOwned};
/// let token = CancellationToken::new();
/// let future: WaitForCancellationFutureOwned = token.clone().cancelled_owned();
/// token.cancel();
/// # let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(future);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct WaitForCancellationFutureOwned {
    token: CancellationToken,
    waiter: Option<usize>,
}

impl Future for WaitForCancellationFutureOwned {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        poll_cancelled(&this.token.node, &mut this.waiter, cx)
    }
}

impl Drop for WaitForCancellationFutureOwned {
    fn drop(&mut self) {
        remove_waiter(&self.token.node, self.waiter.take());
    }
}

impl fmt::Debug for WaitForCancellationFutureOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitForCancellationFutureOwned").finish()
    }
}

/// Cancels its token when dropped; made by [`CancellationToken::drop_guard`].
///
/// ```
/// use filch::sync::CancellationToken;
/// let token = CancellationToken::new();
/// let guard = token.clone().drop_guard();
/// let kept = guard.disarm();
/// assert!(!kept.is_cancelled() && !token.is_cancelled());
/// ```
#[must_use = "dropping the guard at once cancels the token"]
pub struct DropGuard {
    token: Option<CancellationToken>,
}

impl DropGuard {
    /// Gives the token back without cancelling it.
    pub fn disarm(mut self) -> CancellationToken {
        self.token
            .take()
            .expect("a DropGuard holds its token until disarmed or dropped")
    }
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if let Some(token) = &self.token {
            token.cancel();
        }
    }
}

impl fmt::Debug for DropGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DropGuard")
            .field("token", &self.token)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn short_lived_children_do_not_accumulate() {
        let parent = CancellationToken::new();
        for _ in 0..10_000 {
            let child = parent.child_token();
            let grandchild = child.child_token();
            let clone = grandchild.clone();
            drop(child);
            drop(grandchild);
            drop(clone);
        }
        assert!(parent.child_slots() <= 1, "{} slots", parent.child_slots());
        // Children that outlive a dropped intermediate token are still cancelled with the root.
        let middle = parent.child_token();
        let leaf = middle.child_token();
        drop(middle);
        assert_eq!(parent.child_slots(), 1);
        parent.cancel();
        assert!(leaf.is_cancelled());
    }

    #[test]
    fn cancelled_child_unlinks_from_parent() {
        let parent = CancellationToken::new();
        let children: Vec<_> = (0..100).map(|_| parent.child_token()).collect();
        for child in &children {
            child.cancel();
        }
        assert!(parent
            .node
            .state
            .lock()
            .children
            .iter()
            .all(Option::is_none));
        drop(children);
        assert!(!parent.is_cancelled());
    }

    #[test]
    fn dropped_waiters_free_their_entries() {
        let token = CancellationToken::new();
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        for _ in 0..1000 {
            let mut future = token.cancelled();
            assert!(Pin::new(&mut future).poll(&mut cx).is_pending());
        }
        assert_eq!(token.node.state.lock().waiters.len(), 1);
    }

    /// An already cancelled token's `cancelled()` spends the coop budget, so a loop over it
    /// yields.
    #[test]
    // Drives a runtime, whose crossbeam-epoch is not compatible with miri's Stacked Borrows
    // model (crossbeam-rs/crossbeam#996).
    #[cfg_attr(miri, ignore)]
    fn cancelled_spends_the_coop_budget() {
        let rt = crate::runtime::Runtime::new().unwrap();
        let spent = rt.block_on(async {
            crate::spawn(async {
                let token = CancellationToken::new();
                token.cancel();
                for _ in 0..crate::coop::BUDGET {
                    token.cancelled().await;
                }
                !crate::coop::has_budget_remaining()
            })
            .await
            .unwrap()
        });
        assert!(spent, "cancelled() did not spend the budget");
    }
}
