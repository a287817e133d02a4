//! Stack use: a 256 KiB future spawned from a worker does not overflow the worker's stack (debug
//! builds too), and `thread_stack_size` really sets the stack of worker and blocking threads.
//!
//! A failure here is a stack overflow, which aborts this whole test binary.

mod common;

use std::hint::black_box;

use common::{guard, rt};
use filch_executor::runtime::Builder;
use filch_executor::task::{spawn_blocking, yield_now};
use filch_executor::{spawn, JoinHandle};
use futures_lite::future::block_on;

const BIG: usize = 256 * 1024;

/// Built in a plain function so the caller's own future does not hold a copy.
fn spawn_big() -> JoinHandle<u8> {
    let big = async move {
        let buf = [7u8; BIG];
        yield_now().await;
        black_box(&buf);
        buf[BIG - 1]
    };
    assert!(std::mem::size_of_val(&big) >= BIG);
    spawn(big)
}

#[test]
fn a_256_kib_future_spawned_on_a_worker_does_not_overflow_its_stack() {
    guard(|| {
        // Default worker stack size.
        let rt = rt(2);
        let out = block_on(rt.spawn(async {
            let mut sum = 0u32;
            for _ in 0..4 {
                sum += u32::from(spawn_big().await.unwrap());
            }
            sum
        }))
        .unwrap();
        assert_eq!(out, 28);
    });
}

/// Uses about `depth * 64 KiB` of stack, in a way the optimiser cannot remove.
#[inline(never)]
fn use_stack(depth: usize) -> u8 {
    let buf = black_box([depth as u8; 64 * 1024]);
    if depth == 0 {
        return buf[0];
    }
    let below = use_stack(depth - 1);
    black_box(&buf);
    below.wrapping_add(buf[100])
}

#[test]
fn thread_stack_size_applies_to_worker_and_blocking_threads() {
    guard(|| {
        // 6 MiB of stack use: far beyond the 2 MiB default, well within the 16 MiB asked for.
        let depth = 96;
        let rt = Builder::new()
            .worker_threads(1)
            .thread_stack_size(16 * 1024 * 1024)
            .build()
            .unwrap();
        let on_worker = block_on(rt.spawn(async move { use_stack(depth) })).unwrap();
        let on_blocking = rt
            .block_on(async move { spawn_blocking(move || use_stack(depth)).await })
            .unwrap();
        assert_eq!(on_worker, on_blocking);
    });
}
