//! A barrier: tasks wait until a set number of them arrived, then all proceed.

use std::collections::BTreeMap;
use std::fmt;
use std::future::poll_fn;
use std::task::{Poll, Waker};

use crate::loom::sync::Mutex;

/// Makes `n` tasks wait for each other: each call to [`wait`](Barrier::wait) waits until `n`
/// calls were made, then all `n` complete and the barrier starts over. Exactly one of the `n`
/// results is the leader's.
///
/// ```
/// use std::sync::Arc;
/// use filch::sync::Barrier;
///
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let barrier = Arc::new(Barrier::new(3));
///     let mut handles = Vec::new();
///     for _ in 0..3 {
///         let b = barrier.clone();
///         handles.push(filch::spawn(async move { b.wait().await.is_leader() }));
///     }
///     let mut leaders = 0;
///     for h in handles {
///         leaders += h.await.unwrap() as usize;
///     }
///     assert_eq!(leaders, 1);
/// });
/// ```
pub struct Barrier {
    n: usize,
    state: Mutex<State>,
}

struct State {
    arrived: usize,
    generation: u64,
    next_id: u64,
    wakers: BTreeMap<u64, Waker>,
}

/// Says whether this task was the barrier's leader for its round.
///
/// ```
/// use filch::sync::Barrier;
/// let rt = filch::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     // With n = 1 every wait completes at once and leads.
///     assert!(Barrier::new(1).wait().await.is_leader());
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// Whether this task was the leader: one of each round's waiters (the last to arrive).
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    /// Creates a barrier for `n` tasks (`0` behaves like `1`).
    ///
    /// ```
    /// use filch::sync::Barrier;
    /// let barrier = Barrier::new(4);
    /// # drop(barrier);
    /// ```
    pub fn new(n: usize) -> Barrier {
        Barrier {
            n: n.max(1),
            state: Mutex::new(State {
                arrived: 0,
                generation: 0,
                next_id: 0,
                wakers: BTreeMap::new(),
            }),
        }
    }

    /// Waits until `n` tasks called `wait`.
    ///
    /// Cancel safety: not cancel safe. Arriving counts at the first poll; a task whose `wait` is
    /// dropped afterwards still counts as arrived for that round.
    ///
    /// ```
    /// use filch::sync::Barrier;
    /// let rt = filch::runtime::Runtime::new().unwrap();
    /// rt.block_on(async {
    ///     let barrier = Barrier::new(2);
    ///     let (a, b) = futures_lite::future::zip(barrier.wait(), barrier.wait()).await;
    ///     assert!(a.is_leader() != b.is_leader());
    /// });
    /// ```
    pub async fn wait(&self) -> BarrierWaitResult {
        let generation = {
            let mut st = self.state.lock();
            st.arrived += 1;
            if st.arrived == self.n {
                st.arrived = 0;
                st.generation += 1;
                let wakers = std::mem::take(&mut st.wakers);
                drop(st);
                for w in wakers.into_values() {
                    w.wake();
                }
                return BarrierWaitResult(true);
            }
            st.generation
        };

        /// Takes this waiter's waker off the list if the wait is dropped.
        struct Unregister<'a>(&'a Barrier, Option<u64>);
        impl Drop for Unregister<'_> {
            fn drop(&mut self) {
                if let Some(id) = self.1 {
                    self.0.state.lock().wakers.remove(&id);
                }
            }
        }
        let mut reg = Unregister(self, None);
        poll_fn(|cx| {
            let mut st = self.state.lock();
            if st.generation != generation {
                return Poll::Ready(());
            }
            let id = match reg.1 {
                Some(id) => id,
                None => {
                    let id = st.next_id;
                    st.next_id += 1;
                    reg.1 = Some(id);
                    id
                }
            };
            st.wakers.insert(id, cx.waker().clone());
            Poll::Pending
        })
        .await;
        BarrierWaitResult(false)
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.lock();
        f.debug_struct("Barrier")
            .field("n", &self.n)
            .field("arrived", &st.arrived)
            .finish()
    }
}

// The critical sections run no user code, so a panic cannot leave a half-updated barrier.
impl std::panic::UnwindSafe for Barrier {}
impl std::panic::RefUnwindSafe for Barrier {}
