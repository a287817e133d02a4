//! The facade's `Runtime` and `Builder`: they install the I/O driver, forward every setting to
//! the executor, and report the configuration back through `Handle`.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use filch::runtime::{Builder, Handle, Runtime};

#[test]
fn a_facade_runtime_has_the_io_driver_when_net_or_time_is_on() {
    let runtime = Builder::new().worker_threads(1).build().unwrap();
    let driver = runtime.handle().driver().as_any();
    if cfg!(any(feature = "net", feature = "time")) {
        #[cfg(any(feature = "net", feature = "time"))]
        assert!(
            driver.is::<filch_io::IoDriver>(),
            "expected filch-io's driver"
        );
    } else {
        assert!(driver.is::<filch_executor::driver::CondvarDriver>());
    }
}

#[test]
fn a_current_thread_runtime_has_the_io_driver_too() {
    let runtime = Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .unwrap();
    let driver = runtime.handle().driver().as_any();
    #[cfg(any(feature = "net", feature = "time"))]
    assert!(
        driver.is::<filch_io::IoDriver>(),
        "expected filch-io's driver"
    );
    #[cfg(not(any(feature = "net", feature = "time")))]
    assert!(driver.is::<filch_executor::driver::CondvarDriver>());
}

#[test]
fn runtime_new_has_the_io_driver_too() {
    let runtime = Runtime::new().unwrap();
    #[cfg(any(feature = "net", feature = "time"))]
    assert!(runtime
        .handle()
        .driver()
        .as_any()
        .is::<filch_io::IoDriver>());
    assert!(runtime.handle().worker_threads() >= 1);
}

#[test]
fn settings_are_forwarded_and_read_back() {
    let started = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicUsize::new(0));
    let (on_start, on_stop) = (started.clone(), stopped.clone());
    let runtime = Builder::new()
        .worker_threads(3)
        .max_blocking_threads(5)
        .thread_stack_size(1024 * 1024)
        .thread_keep_alive(std::time::Duration::from_secs(1))
        .on_thread_start(move || {
            on_start.fetch_add(1, Ordering::SeqCst);
        })
        .on_thread_stop(move || {
            on_stop.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .unwrap();
    assert_eq!(runtime.handle().worker_threads(), 3);
    assert_eq!(runtime.handle().max_blocking_threads(), 5);
    let inside = runtime.block_on(async { Handle::current().worker_threads() });
    assert_eq!(inside, 3);
    drop(runtime);
    assert_eq!(started.load(Ordering::SeqCst), 3);
    assert_eq!(stopped.load(Ordering::SeqCst), 3);
}

#[test]
fn a_zero_count_is_an_invalid_input_error() {
    let error = Builder::new().worker_threads(0).build().unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    let error = Builder::new().max_blocking_threads(0).build().unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn a_cloned_builder_builds_an_equal_runtime() {
    let mut builder = Builder::new();
    builder.worker_threads(2).max_blocking_threads(9);
    let copy = builder.clone();
    let a = builder.build().unwrap();
    let b = copy.clone().build().unwrap();
    assert_eq!(a.handle().worker_threads(), b.handle().worker_threads());
    assert_eq!(a.handle().max_blocking_threads(), 9);
    assert_eq!(b.handle().max_blocking_threads(), 9);
}

#[cfg(all(feature = "net", feature = "time"))]
#[test]
fn sockets_and_timers_work_in_a_hand_built_runtime() {
    use filch::io::prelude::*;
    use filch::net::{TcpListener, TcpStream};

    let runtime = Builder::new().worker_threads(2).build().unwrap();
    let reply = runtime.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = filch::spawn(async move {
            let (mut stream, _) = listener.accept().await?;
            let mut buf = [0u8; 4];
            stream.read_exact(&mut buf).await?;
            filch::time::sleep(std::time::Duration::from_millis(1)).await;
            stream.write_all(&buf).await?;
            io::Result::Ok(())
        });
        let mut client = TcpStream::connect(addr).await?;
        client.write_all(b"ping").await?;
        let mut reply = [0u8; 4];
        client.read_exact(&mut reply).await?;
        server.await.expect("the server task panicked")?;
        io::Result::Ok(reply)
    });
    assert_eq!(&reply.unwrap(), b"ping");
}

#[test]
fn shutdown_cancels_pending_tasks() {
    struct CountDrop(Arc<AtomicUsize>);
    impl Drop for CountDrop {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    let drops = Arc::new(AtomicUsize::new(0));
    let runtime = Builder::new().worker_threads(1).build().unwrap();
    for _ in 0..10 {
        let guard = CountDrop(drops.clone());
        runtime.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
    }
    runtime.shutdown_timeout(std::time::Duration::from_secs(10));
    assert_eq!(drops.load(Ordering::SeqCst), 10);
}

/// `is_rt_shutdown_err` recognises the error of a socket whose runtime has gone, on both
/// flavours, and nothing else.
#[cfg(feature = "net")]
#[test]
fn is_rt_shutdown_err_recognises_sockets_of_a_dropped_runtime() {
    use filch::io::prelude::*;
    use filch::runtime::is_rt_shutdown_err;

    for current_thread in [false, true] {
        let build = || {
            if current_thread {
                Builder::new_current_thread().build().unwrap()
            } else {
                Builder::new_multi_thread()
                    .worker_threads(1)
                    .build()
                    .unwrap()
            }
        };
        let rt = build();
        let (listener, mut stream) = rt.block_on(async {
            let listener = filch::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let stream = filch::net::TcpStream::connect(listener.local_addr().unwrap())
                .await
                .unwrap();
            (listener, stream)
        });
        drop(rt);
        let other = build();
        let (accept, write) = other.block_on(async {
            (
                listener.accept().await.map(|_| ()).unwrap_err(),
                stream.write_all(b"x").await.unwrap_err(),
            )
        });
        assert!(is_rt_shutdown_err(&accept), "{accept}");
        assert!(is_rt_shutdown_err(&write), "{write}");
        assert!(accept.to_string().contains("shut down"), "{accept}");
        // Errors of another origin, even one with the same words, are not it.
        let refused = other.block_on(async {
            let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = unused.local_addr().unwrap();
            drop(unused);
            filch::net::TcpStream::connect(addr).await.unwrap_err()
        });
        assert!(!is_rt_shutdown_err(&refused), "{refused}");
        assert!(!is_rt_shutdown_err(&std::io::Error::other(
            accept.to_string()
        )));
    }
}
