//! `filch::select!`: races, preconditions, pattern-disabled branches and `else`, `biased;` and
//! random order, control flow in handlers, borrowed locals, a socket-and-timer loop.
//!
//! The prelude import checks that the expansion does not clash with the I/O extension traits.

use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use filch::io::prelude::*;
use filch::runtime::Runtime;

mod common;
use common::guard;

fn block_on<F: Future>(future: F) -> F::Output {
    Runtime::new().unwrap().block_on(future)
}

/// Counts its drops.
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn select_returns_the_first_to_complete() {
    guard("select_returns_the_first_to_complete", || {
        block_on(async {
            let start = Instant::now();
            let winner = filch::select! {
                _ = filch::time::sleep(Duration::from_millis(10)) => "short",
                _ = filch::time::sleep(Duration::from_secs(1)) => "long",
            };
            assert_eq!(winner, "short");
            assert!(
                start.elapsed() < Duration::from_millis(900),
                "took {:?}",
                start.elapsed()
            );

            // The same with the short one second, and handlers that are blocks.
            let winner = filch::select! {
                _ = filch::time::sleep(Duration::from_secs(1)) => { "long" }
                _ = filch::time::sleep(Duration::from_millis(10)) => { "short" }
            };
            assert_eq!(winner, "short");
        })
    });
}

#[test]
fn select_drops_the_losing_futures_before_the_handler() {
    guard("select_drops_the_losing_futures_before_the_handler", || {
        let drops = Arc::new(AtomicUsize::new(0));
        let (a, b) = (DropCount(drops.clone()), DropCount(drops.clone()));
        let seen_in_handler = block_on(async {
            filch::select! {
                _ = async move {
                    let _held = a;
                    std::future::pending::<()>().await
                } => unreachable!(),
                _ = async move {
                    let _held = b;
                    std::future::pending::<()>().await
                } => unreachable!(),
                v = async { 5 } => {
                    assert_eq!(v, 5);
                    drops.load(Ordering::SeqCst)
                }
            }
        });
        assert_eq!(seen_in_handler, 2);
    });
}

#[test]
fn false_precondition_disables_the_branch() {
    guard("false_precondition_disables_the_branch", || {
        block_on(async {
            let evaluated = Cell::new(0);
            let make = |v: u8| {
                evaluated.set(evaluated.get() + 1);
                async move { v }
            };
            for _ in 0..20 {
                let v = filch::select! {
                    v = make(1), if false => v,
                    v = async {
                        filch::time::sleep(Duration::from_millis(1)).await;
                        2
                    }, if true => v,
                };
                assert_eq!(v, 2);
            }
            // A disabled branch's future is not even created.
            assert_eq!(evaluated.get(), 0);

            let v = filch::select! {
                v = make(1), if 1 + 1 == 3 => v,
                else => 9,
            };
            assert_eq!(v, 9);
        })
    });
}

#[test]
fn pattern_mismatch_disables_the_branch() {
    guard("pattern_mismatch_disables_the_branch", || {
        block_on(async {
            // The None branch completes first (biased, polled first) but does not match.
            for _ in 0..20 {
                let v = filch::select! {
                    biased;
                    Some(v) = async { None::<u8> } => v,
                    v = async {
                        filch::task::yield_now().await;
                        7u8
                    } => v + 100,
                };
                assert_eq!(v, 107);
            }
            // Random order: the mismatching branch never wins.
            for _ in 0..50 {
                let v = filch::select! {
                    Some(v) = async { None::<u8> } => v,
                    Ok(v) = async { Ok::<u8, ()>(3) } => v,
                };
                assert_eq!(v, 3);
            }
            // All disabled: else runs.
            let v = filch::select! {
                Some(v) = async { None::<u8> } => v,
                Err(e) = async { Ok::<u8, u8>(1) } => e,
                else => 0,
            };
            assert_eq!(v, 0);
        })
    });
}

#[test]
#[should_panic(expected = "every branch is disabled")]
fn all_disabled_without_else_panics() {
    guard("all_disabled_without_else_panics", || {
        block_on(async {
            let v: u8 = filch::select! {
                Some(v) = async { None::<u8> } => v,
                v = async { 1 }, if false => v,
            };
            v
        })
    });
}

#[test]
fn patterns_with_bindings_modifiers_and_alternatives() {
    guard("patterns_with_bindings_modifiers_and_alternatives", || {
        block_on(async {
            let s = filch::select! {
                Some(mut s) = async { Some(String::from("a")) } => {
                    s.push('b');
                    s
                }
            };
            assert_eq!(s, "ab");
            let n = filch::select! {
                (1 | 2, ref x) = async { (2, String::from("x")) } => x.len(),
                else => 0,
            };
            assert_eq!(n, 1);
            let n = filch::select! {
                whole @ Some(_) = async { Some(4) } => whole.unwrap(),
                else => 0,
            };
            assert_eq!(n, 4);
            // Reference patterns, on references the output holds.
            let mut slot = 1u8;
            let shared = Some(5u8);
            let n = filch::select! {
                (&mut a, &Some(b)) = async { (&mut slot, &shared) } => a + b,
                else => 0,
            };
            assert_eq!(n, 6);
            let n = filch::select! {
                &Some(b) = async { &None::<u8> } => b,
                else => 0,
            };
            assert_eq!(n, 0);
        })
    });
}

#[test]
fn biased_polls_in_the_order_written() {
    guard("biased_polls_in_the_order_written", || {
        block_on(async {
            for _ in 0..200 {
                let v = filch::select! {
                    biased;
                    v = async { 1 } => v,
                    v = async { 2 } => v,
                };
                assert_eq!(v, 1);
            }
        })
    });
}

#[test]
fn default_order_is_random() {
    guard("default_order_is_random", || {
        block_on(async {
            let mut counts = [0u32; 2];
            for _ in 0..1000 {
                let i = filch::select! {
                    v = async { 0 } => v,
                    v = async { 1 } => v,
                };
                counts[i] += 1;
            }
            assert!(counts[0] >= 100 && counts[1] >= 100, "counts: {counts:?}");
        })
    });
}

#[test]
fn many_branches() {
    guard("many_branches", || {
        block_on(async {
            let pending = || std::future::pending::<u32>();
            let v = filch::select! {
                v = pending() => v,
                v = pending() => v,
                v = pending() => v,
                v = pending() => v,
                v = pending() => v,
                v = pending() => v,
                v = pending() => v,
                v = pending() => v,
                v = pending() => v,
                v = pending() => v,
                v = pending() => v,
                v = pending() => v,
                v = async { 13 } => v,
                v = pending() => v,
            };
            assert_eq!(v, 13);
        })
    });
}

#[test]
fn handlers_can_break_and_continue_the_enclosing_loop() {
    guard("handlers_can_break_and_continue_the_enclosing_loop", || {
        block_on(async {
            let mut seen = Vec::new();
            let mut i = 0;
            let end = loop {
                i += 1;
                filch::select! {
                    v = async { i } => {
                        if v % 2 == 0 {
                            continue;
                        }
                        if v > 7 {
                            break v;
                        }
                    }
                }
                seen.push(i);
            };
            assert_eq!(seen, [1, 3, 5, 7]);
            assert_eq!(end, 9);
        })
    });
}

async fn first_even(values: &[u32]) -> Result<u32, String> {
    for &v in values {
        filch::select! {
            r = async { if v > 100 { Err(format!("{v} is too big")) } else { Ok(v) } } => {
                let v = r?;
                if v % 2 == 0 {
                    return Ok(v);
                }
            }
        }
    }
    Err("none is even".into())
}

#[test]
fn handlers_can_return_and_use_the_question_mark() {
    guard("handlers_can_return_and_use_the_question_mark", || {
        block_on(async {
            assert_eq!(first_even(&[1, 3, 4, 5]).await, Ok(4));
            assert_eq!(first_even(&[1, 300, 4]).await, Err("300 is too big".into()));
            assert_eq!(first_even(&[1]).await, Err("none is even".into()));
        })
    });
}

#[test]
fn branch_futures_borrow_locals() {
    guard("branch_futures_borrow_locals", || {
        block_on(async {
            let mut data = vec![1, 2, 3];
            let label = String::from("sum");
            filch::select! {
                s = async { data.iter().sum::<i32>() } => {
                    // The future that borrowed `data` is gone: it can be changed.
                    data.push(s);
                }
                _ = async { label.len() }, if label.is_empty() => unreachable!(),
            }
            assert_eq!(data, [1, 2, 3, 6]);
        })
    });
}

#[test]
fn pinned_future_survives_several_selects() {
    guard("pinned_future_survives_several_selects", || {
        block_on(async {
            let slow = filch::time::sleep(Duration::from_millis(200));
            filch::pin!(slow);
            let mut rounds = 0;
            loop {
                filch::select! {
                    _ = &mut slow => break,
                    _ = filch::time::sleep(Duration::from_millis(2)) => rounds += 1,
                }
            }
            assert!(rounds >= 2, "rounds: {rounds}");
        })
    });
}

#[test]
fn loop_over_a_socket_and_a_timer() {
    guard("loop_over_a_socket_and_a_timer", || {
        block_on(async {
            let listener = filch::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let writer = filch::spawn(async move {
                let (mut stream, _) = listener.accept().await.unwrap();
                for chunk in [&b"one "[..], b"two ", b"three"] {
                    filch::time::sleep(Duration::from_millis(15)).await;
                    stream.write_all(chunk).await.unwrap();
                }
                // Dropping the stream ends the reader's loop.
            });
            let mut stream = filch::net::TcpStream::connect(addr).await.unwrap();
            let mut ticks = filch::time::interval(Duration::from_millis(5));
            let mut buf = [0u8; 64];
            let mut received = Vec::new();
            let mut tick_count = 0u32;
            loop {
                filch::select! {
                    n = stream.read(&mut buf) => {
                        let n = n.unwrap();
                        if n == 0 {
                            break;
                        }
                        received.extend_from_slice(&buf[..n]);
                    }
                    _ = ticks.tick() => tick_count += 1,
                }
            }
            writer.await.unwrap();
            assert_eq!(received, b"one two three");
            assert!(tick_count >= 3, "the timer ticked {tick_count} times");
        })
    });
}

#[test]
fn user_names_do_not_clash_with_the_expansion() {
    guard("user_names_do_not_clash_with_the_expansion", || {
        block_on(async {
            // The names the expansion uses internally, as the user's own variables.
            let (fut, out, cond, __count, __cx, __start, __value) = (1, 2, true, 3, 4, 5, 6);
            let v = filch::select! {
                biased;
                x = async { fut + out }, if cond => x + __count + __cx + __start + __value,
                x = async { 0 } => x,
            };
            assert_eq!(v, 21);
            let (a, b) = filch::join!(async { fut }, async { __count });
            assert_eq!((a, b), (1, 3));
        })
    });
}
