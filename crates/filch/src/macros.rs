//! `pin!`, `join!`, `try_join!` and `select!`: combining futures on the current task.
//!
//! All four are `macro_rules!` macros whose expansions name only `$crate::__private`, so a crate
//! that depends on `filch` alone can use them, with `use filch::io::prelude::*` in scope or not.
//! No expansion contains `unsafe`: futures are pinned with `core::pin::pin!` and polled through
//! `core::future::poll_fn`. The grammar and semantics are tokio's; the implementation is ours
//! (the idea of normalizing branches in an accumulator before the final expansion is tokio's).
//!
//! How the expansions give each future a variable of its own: the normalizing rules write the
//! same identifiers (`fut`, `out`, `cond`) for every branch, but each recursive expansion gives
//! them a fresh hygiene context, so they are distinct variables once they reach the final rule.

/// Pins values on the stack, in place: after `filch::pin!(x)`, `x` is a `Pin<&mut T>` to the
/// value that was in `x`.
///
/// Awaiting a future by reference (`(&mut fut).await`, or polling it again in a loop or a
/// [`select!`](crate::select!)) needs it pinned when it is not `Unpin`, as most `async` blocks are not. Two forms:
/// `filch::pin!(a, b);` pins existing variables, and
/// `filch::pin! { let a = expr; let b = expr; }` declares and pins in one step. This is
/// `core::pin::pin!` applied to variables, with tokio's grammar.
///
/// ```
/// # filch::runtime::Runtime::new().unwrap().block_on(async {
/// let slow = filch::time::sleep(std::time::Duration::from_millis(5));
/// filch::pin!(slow);
/// // `slow` can now be polled again after a `select!` leaves it unfinished.
/// let mut rounds = 0;
/// loop {
///     filch::select! {
///         _ = &mut slow => break,
///         _ = filch::task::yield_now() => rounds += 1,
///     }
/// }
/// assert!(rounds > 0);
///
/// filch::pin! {
///     let answer = async { 42 };
/// }
/// assert_eq!((&mut answer).await, 42);
/// # });
/// ```
#[macro_export]
macro_rules! pin {
    ($(let $x:ident = $init:expr;)*) => {
        $(
            let $x = $init;
            $crate::pin!($x);
        )*
    };
    ($($x:ident),* $(,)?) => {
        $(
            #[allow(unused_mut)]
            let mut $x = $crate::__private::pin!($x);
        )*
    };
}

/// Waits on several futures at once, on the current task, and returns a tuple of their outputs
/// in the order the futures were written.
///
/// The futures run concurrently but not in parallel: they are polled one after another by the
/// task that awaits the `join!`. (To run them on other workers, [`spawn`](crate::spawn) them.)
/// Each future is dropped as soon as it completes; the `join!` completes when all have.
///
/// **Fairness.** Each time the `join!` is polled it starts with the next future in turn (the
/// first, then the second, ...), so a future that is always ready cannot keep the later ones
/// from being polled first. Write `biased;` before the futures to always poll them in the
/// order written, which is cheaper and predictable.
///
/// `join!()` with no future returns `()`. Any number of futures is accepted (the limit is the
/// compiler's macro recursion limit, 128 by default, which allows about 120).
///
/// ```
/// use std::time::Duration;
///
/// # filch::runtime::Runtime::new().unwrap().block_on(async {
/// let (a, b, c) = filch::join!(
///     async { 1 },
///     async {
///         filch::time::sleep(Duration::from_millis(5)).await;
///         "two"
///     },
///     filch::spawn(async { 3.0 }),
/// );
/// assert_eq!((a, b, c.unwrap()), (1, "two", 3.0));
///
/// let (x, y) = filch::join!(biased; async { 'x' }, async { 'y' });
/// assert_eq!((x, y), ('x', 'y'));
/// # });
/// ```
#[macro_export]
macro_rules! join {
    () => { async {}.await };
    (biased;) => { async {}.await };
    (biased; $($futures:tt)+) => {
        $crate::__join_impl!(@acc join biased; (); (); $($futures)+)
    };
    ($($futures:tt)+) => {
        $crate::__join_impl!(@acc join fair; (); (); $($futures)+)
    };
}

/// Waits on several futures that return `Result`s, on the current task: returns `Ok` with a
/// tuple of the `Ok` values once every future has succeeded, or the first `Err` as soon as one
/// fails.
///
/// All the futures must have the same error type. When one fails, `try_join!` returns at once
/// and the futures that have not finished are dropped (cancelled) on the spot, as are the
/// values of those that had succeeded. Polling order and `biased;` are as for [`join!`].
///
/// ```
/// use std::time::Duration;
///
/// async fn fetch(id: u32) -> Result<u32, String> {
///     filch::time::sleep(Duration::from_millis(1)).await;
///     if id < 10 { Ok(id * 100) } else { Err(format!("no item {id}")) }
/// }
///
/// # filch::runtime::Runtime::new().unwrap().block_on(async {
/// assert_eq!(filch::try_join!(fetch(1), fetch(2)), Ok((100, 200)));
/// assert_eq!(
///     filch::try_join!(fetch(1), fetch(99), std::future::pending::<Result<u32, String>>()),
///     Err("no item 99".to_string()),
/// );
/// # });
/// ```
#[macro_export]
macro_rules! try_join {
    () => { async { $crate::__private::Ok::<(), _>(()) }.await };
    (biased;) => { async { $crate::__private::Ok::<(), _>(()) }.await };
    (biased; $($futures:tt)+) => {
        $crate::__join_impl!(@acc try biased; (); (); $($futures)+)
    };
    ($($futures:tt)+) => {
        $crate::__join_impl!(@acc try fair; (); (); $($futures)+)
    };
}

/// The expansion of [`join!`] and [`try_join!`]. Not part of the public API.
#[doc(hidden)]
#[macro_export]
macro_rules! __join_impl {
    // All futures normalized: give each one an index and variables of its own.
    (@acc $kind:ident $mode:ident; ($($count:tt)*); ($($acc:tt)*);) => {
        $crate::__join_impl!(@final $kind $mode; 0 $($count)*; $($acc)*)
    };
    (@acc $kind:ident $mode:ident; ($($count:tt)*); ($($acc:tt)*); $f:expr $(, $($rest:tt)*)?) => {
        $crate::__join_impl!(
            @acc $kind $mode; ($($count)* + 1); ($($acc)* (0 $($count)*) fut out ($f));
            $($($rest)*)?
        )
    };
    (@biased biased) => { true };
    (@biased fair) => { false };
    (@final $kind:ident $mode:ident; $n:expr; $( ($($idx:tt)*) $fut:ident $out:ident ($f:expr) )*) => {{
        $(
            let mut $fut = $crate::__private::pin!($crate::__private::Some(
                $crate::__private::IntoFuture::into_future($f),
            ));
            let mut $out = $crate::__private::None;
        )*
        let __count: usize = $n;
        let __biased: bool = $crate::__join_impl!(@biased $mode);
        let mut __next_start: usize = 0;
        let __output = $crate::__private::poll_fn(|__cx| {
            // Fairness: without `biased;`, each poll starts one future further along.
            let __start = if __biased {
                0
            } else {
                let __this = __next_start;
                __next_start = (__this + 1) % __count;
                __this
            };
            let mut __pending = false;
            for __i in 0..__count {
                let __idx = (__start + __i) % __count;
                $(
                    if __idx == $($idx)* {
                        if let $crate::__private::Some(__future) = $crate::__private::Option::as_pin_mut(
                            $crate::__private::Pin::as_mut(&mut $fut),
                        ) {
                            match $crate::__private::Future::poll(__future, __cx) {
                                $crate::__private::Poll::Ready(__value) => {
                                    $crate::__join_impl!(@store $kind __value $out);
                                    $crate::__private::Pin::set(&mut $fut, $crate::__private::None);
                                }
                                $crate::__private::Poll::Pending => __pending = true,
                            }
                        }
                    }
                )*
            }
            if __pending {
                $crate::__private::Poll::Pending
            } else {
                $crate::__private::Poll::Ready($crate::__join_impl!(@wrap $kind (
                    $(
                        $crate::__private::Option::expect(
                            $crate::__private::Option::take(&mut $out),
                            "join!: a finished future's output is taken only once",
                        ),
                    )*
                )))
            }
        })
        .await;
        __output
    }};
    (@store join $value:ident $out:ident) => {
        $out = $crate::__private::Some($value)
    };
    (@store try $value:ident $out:ident) => {
        match $value {
            $crate::__private::Ok(__ok) => $out = $crate::__private::Some(__ok),
            // The first error ends the `try_join!`; the other futures are dropped with it.
            $crate::__private::Err(__error) => {
                return $crate::__private::Poll::Ready($crate::__private::Err(__error))
            }
        }
    };
    (@wrap join $tuple:expr) => { $tuple };
    (@wrap try $tuple:expr) => { $crate::__private::Ok($tuple) };
}

/// Waits on several futures at once and runs the handler of the first one to complete, dropping
/// the others.
///
/// Each branch is `<pattern> = <async expression> (, if <precondition>)? => <handler>,` and an
/// optional last branch `else => <expression>` runs when every branch is disabled. A `select!`:
///
/// 1. evaluates every branch's precondition; a branch whose precondition is `false` is
///    disabled;
/// 2. evaluates the async expression of every enabled branch, in the order written (a disabled
///    branch's expression is not evaluated: unlike tokio's, a precondition can guard an
///    expression that would panic);
/// 3. polls the futures of the enabled branches, starting from a random branch on each poll so
///    that no branch is favoured (write `biased;` first to poll in the order written);
/// 4. when a future completes, matches its output against the branch's pattern. If it matches,
///    the other futures are dropped and the handler runs with the pattern's bindings; its value
///    is the value of the `select!`. If it does not match, the branch is disabled and the others
///    are still awaited;
/// 5. when every branch is disabled, runs the `else` branch, or panics if there is none.
///
/// The futures may borrow local variables; they are all dropped before the handler runs, so the
/// handler may use those variables again. The handler runs in the enclosing function, not in a
/// closure: `return`, `?`, `break` and `continue` act on the enclosing function or loop.
/// Any number of branches is accepted (the limit is the compiler's macro recursion limit, 128 by
/// default, which allows about 120).
///
/// **Cancellation.** Whatever the losing futures had done is lost when they are dropped. In a
/// loop, either use futures that are cancel-safe (their documentation says so) or create the
/// future once outside the loop, [`pin!`] it and select on `&mut fut`.
///
/// ```
/// use std::time::Duration;
/// use filch::io::prelude::*;
///
/// #[filch::main]
/// async fn main() -> std::io::Result<()> {
///     let (mut reader, mut writer) = filch::net::UnixStream::pair()?;
///     writer.write_all(b"ping").await?;
///     let mut ticks = filch::time::interval(Duration::from_millis(10));
///     let mut buf = [0u8; 16];
///     let mut received = Vec::new();
///     loop {
///         filch::select! {
///             n = reader.read(&mut buf) => {
///                 let n = n?;
///                 received.extend_from_slice(&buf[..n]);
///             }
///             _ = ticks.tick() => {
///                 if !received.is_empty() {
///                     break;
///                 }
///             }
///         }
///     }
///     assert_eq!(received, b"ping");
///
///     // A branch whose pattern does not match is disabled; `else` runs when none is left.
///     let value = filch::select! {
///         Some(v) = async { None::<u8> } => v,
///         Some(v) = async { Some(7u8) }, if false => v,
///         else => 0,
///     };
///     assert_eq!(value, 0);
///     Ok(())
/// }
/// ```
#[cfg(feature = "macros")]
#[macro_export]
macro_rules! select {
    () => {
        ::core::compile_error!(
            "select! needs at least one branch, written `<pattern> = <future> => <handler>,`"
        )
    };
    (biased;) => {
        $crate::select!()
    };
    (biased; $($branches:tt)+) => {
        $crate::__select_impl!(@acc biased; (); (); $($branches)+)
    };
    ($($branches:tt)+) => {
        $crate::__select_impl!(@acc fair; (); (); $($branches)+)
    };
}

/// The expansion of [`select!`]. Not part of the public API.
#[cfg(feature = "macros")]
#[doc(hidden)]
#[macro_export]
macro_rules! __select_impl {
    // The end: `else` alone, no branch.
    (@acc $mode:ident; (); (); else => $else:expr $(,)?) => {
        $crate::select!()
    };
    (@acc $mode:ident; ($($count:tt)*); ($($acc:tt)*); else => $else:expr $(,)?) => {
        $crate::__select_impl!(@final $mode; 0 $($count)*; ($($acc)*); $else)
    };
    (@acc $mode:ident; (); ();) => {
        $crate::select!()
    };
    (@acc $mode:ident; ($($count:tt)*); ($($acc:tt)*);) => {
        $crate::__select_impl!(
            @final $mode; 0 $($count)*; ($($acc)*);
            ::core::panic!(
                "select!: every branch is disabled (its precondition was false or its pattern did \
                 not match) and there is no `else` branch"
            )
        )
    };
    // One branch: normalize it to `(index) fut out cond (pattern) (future) (precondition)
    // (handler)` and go on with the rest.
    (@acc $mode:ident; ($($count:tt)*); ($($acc:tt)*);
        $p:pat = $f:expr, if $c:expr => $h:block, $($rest:tt)*) => {
        $crate::__select_impl!(@acc $mode; ($($count)* + 1);
            ($($acc)* (0 $($count)*) fut out cond ($p) ($f) ($c) ($h)); $($rest)*)
    };
    (@acc $mode:ident; ($($count:tt)*); ($($acc:tt)*);
        $p:pat = $f:expr, if $c:expr => $h:block $($rest:tt)*) => {
        $crate::__select_impl!(@acc $mode; ($($count)* + 1);
            ($($acc)* (0 $($count)*) fut out cond ($p) ($f) ($c) ($h)); $($rest)*)
    };
    (@acc $mode:ident; ($($count:tt)*); ($($acc:tt)*);
        $p:pat = $f:expr, if $c:expr => $h:expr, $($rest:tt)*) => {
        $crate::__select_impl!(@acc $mode; ($($count)* + 1);
            ($($acc)* (0 $($count)*) fut out cond ($p) ($f) ($c) ($h)); $($rest)*)
    };
    (@acc $mode:ident; ($($count:tt)*); ($($acc:tt)*);
        $p:pat = $f:expr, if $c:expr => $h:expr) => {
        $crate::__select_impl!(@acc $mode; ($($count)* + 1);
            ($($acc)* (0 $($count)*) fut out cond ($p) ($f) ($c) ($h));)
    };
    (@acc $mode:ident; ($($count:tt)*); ($($acc:tt)*);
        $p:pat = $f:expr => $h:block, $($rest:tt)*) => {
        $crate::__select_impl!(@acc $mode; ($($count)* + 1);
            ($($acc)* (0 $($count)*) fut out cond ($p) ($f) (true) ($h)); $($rest)*)
    };
    (@acc $mode:ident; ($($count:tt)*); ($($acc:tt)*);
        $p:pat = $f:expr => $h:block $($rest:tt)*) => {
        $crate::__select_impl!(@acc $mode; ($($count)* + 1);
            ($($acc)* (0 $($count)*) fut out cond ($p) ($f) (true) ($h)); $($rest)*)
    };
    (@acc $mode:ident; ($($count:tt)*); ($($acc:tt)*);
        $p:pat = $f:expr => $h:expr, $($rest:tt)*) => {
        $crate::__select_impl!(@acc $mode; ($($count)* + 1);
            ($($acc)* (0 $($count)*) fut out cond ($p) ($f) (true) ($h)); $($rest)*)
    };
    (@acc $mode:ident; ($($count:tt)*); ($($acc:tt)*);
        $p:pat = $f:expr => $h:expr) => {
        $crate::__select_impl!(@acc $mode; ($($count)* + 1);
            ($($acc)* (0 $($count)*) fut out cond ($p) ($f) (true) ($h));)
    };
    (@biased biased) => { true };
    (@biased fair) => { false };
    (@final $mode:ident; $n:expr;
        ($( ($($idx:tt)*) $fut:ident $out:ident $cond:ident ($p:pat) ($f:expr) ($c:expr) ($h:expr) )*);
        $else:expr) => {{
        $(
            let mut $out = $crate::__private::None;
        )*
        {
            // Preconditions first, then the futures of the enabled branches, in order.
            $(
                let $cond: bool = $c;
            )*
            $(
                let mut $fut = $crate::__private::pin!(if $cond {
                    $crate::__private::Some($crate::__private::IntoFuture::into_future($f))
                } else {
                    $crate::__private::None
                });
            )*
            let __count: usize = $n;
            let __biased: bool = $crate::__select_impl!(@biased $mode);
            $crate::__private::poll_fn(|__cx| {
                let __start = if __biased { 0 } else { $crate::__private::random_start(__count) };
                let mut __pending = false;
                for __i in 0..__count {
                    let __idx = (__start + __i) % __count;
                    $(
                        if __idx == $($idx)* {
                            if let $crate::__private::Some(__future) =
                                $crate::__private::Option::as_pin_mut(
                                    $crate::__private::Pin::as_mut(&mut $fut),
                                )
                            {
                                match $crate::__private::Future::poll(__future, __cx) {
                                    $crate::__private::Poll::Ready(__value) => {
                                        // The branch is done either way: its future goes now.
                                        $crate::__private::Pin::set(
                                            &mut $fut,
                                            $crate::__private::None,
                                        );
                                        #[allow(unused_variables, unreachable_patterns)]
                                        let __matches = match &__value {
                                            $crate::__private::select_clean_pattern!($p) => true,
                                            _ => false,
                                        };
                                        if __matches {
                                            $out = $crate::__private::Some(__value);
                                            return $crate::__private::Poll::Ready(());
                                        }
                                        // No match: the branch stays disabled; poll the others.
                                    }
                                    $crate::__private::Poll::Pending => __pending = true,
                                }
                            }
                        }
                    )*
                }
                if __pending {
                    $crate::__private::Poll::Pending
                } else {
                    // Every branch is disabled.
                    $crate::__private::Poll::Ready(())
                }
            })
            .await;
        }
        // The futures are dropped; run the handler of the branch that won, outside any closure
        // or loop of ours.
        $(
            if let $crate::__private::Some($p) = $crate::__private::Option::take(&mut $out) {
                $h
            } else
        )*
        {
            $else
        }
    }};
}

/// Declares task-local keys: `static` items of type [`task::LocalKey`](crate::task::LocalKey),
/// whose value is set for the duration of a future with
/// [`LocalKey::scope`](crate::task::LocalKey::scope) (or of a closure with
/// [`sync_scope`](crate::task::LocalKey::sync_scope)) and follows that future from worker to
/// worker.
///
/// Several keys may be declared at once; each may carry attributes (doc comments) and a
/// visibility. The value is not inherited by tasks spawned from inside the scope, nor visible
/// in `spawn_blocking`: pass it explicitly there.
///
/// ```
/// use filch::task;
///
/// filch::task_local! {
///     /// The request being served.
///     pub static REQUEST_ID: u64;
///     static TRACE: Vec<&'static str>;
/// }
///
/// #[filch::main]
/// async fn main() {
///     REQUEST_ID
///         .scope(42, async {
///             for _ in 0..10 {
///                 task::yield_now().await; // may move to another worker
///                 assert_eq!(REQUEST_ID.get(), 42);
///             }
///             // A spawned task does not inherit it.
///             let inner = filch::spawn(async { REQUEST_ID.try_get().is_err() });
///             assert!(inner.await.unwrap());
///         })
///         .await;
///     assert!(TRACE.try_with(|trace| trace.len()).is_err());
/// }
/// ```
#[macro_export]
macro_rules! task_local {
    ($($(#[$attr:meta])* $vis:vis static $name:ident : $ty:ty);+ $(;)?) => {
        $(
            $(#[$attr])*
            $vis static $name: $crate::task::LocalKey<$ty> = {
                $crate::__private::thread_local! {
                    static SLOT: $crate::__private::RefCell<$crate::__private::Option<$ty>> =
                        const { $crate::__private::RefCell::new($crate::__private::None) };
                }
                $crate::__private::task_local_key(SLOT, $crate::__private::stringify!($name))
            };
        )+
    };
}
