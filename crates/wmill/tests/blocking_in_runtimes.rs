//! `wmill::blocking` calls made from inside async runtimes run in place (no thread per call):
//! from a worker of a multi-thread runtime, from its `block_on` thread, and from a
//! current-thread runtime, whose thread the call parks between polls. The futures' wakes reach
//! the parked thread, including the ones tokio would defer to the blocked runtime.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use wmill::{Client, InMemory};

fn client() -> Client {
    Client::new(
        InMemory::new()
            .with_variable("u/alice/name", "Alice")
            .unwrap(),
    )
}

/// A future that keeps the blocking runtime's timers and channels busy: sleeps, then a
/// channel fed by a task of the blocking runtime.
async fn busy() -> wmill::Result<usize> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        for i in 0..100 {
            tx.send(i).await.unwrap();
        }
    });
    let mut n = 0;
    while rx.recv().await.is_some() {
        n += 1;
    }
    Ok(n)
}

#[test]
fn from_a_worker_of_a_multi_thread_runtime() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let on_worker = rt.block_on(rt.spawn(async {
        let name = wmill::blocking::with_client(client(), || {
            wmill::blocking::get_variable("u/alice/name")
        })
        .unwrap();
        let n = wmill::blocking::block_on(busy()).unwrap();
        (name, n, std::thread::current().name().map(str::to_owned))
    }));
    let (name, n, thread) = on_worker.unwrap();
    assert_eq!(name, "Alice");
    assert_eq!(n, 100);
    // The call ran on the caller's thread (a worker of that runtime), not on one of its own.
    assert_ne!(thread.as_deref(), Some("wmill-blocking-call"));
}

#[tokio::test(flavor = "current_thread")]
async fn from_a_current_thread_runtime_the_call_runs_on_the_callers_thread() {
    let caller = std::thread::current().id();
    let borrowed = String::from("u/alice/name");
    let (name, ran_on) = wmill::blocking::with_client(client(), || {
        wmill::blocking::block_on(async {
            let name = wmill::get_variable(&borrowed).await?;
            Ok((name, std::thread::current().id()))
        })
    })
    .unwrap();
    assert_eq!(name, "Alice");
    assert_eq!(ran_on, caller);
    assert_eq!(wmill::blocking::block_on(busy()).unwrap(), 100);
}

/// More than tokio's per-task budget (128) of channel receives in one blocking call made from
/// a current-thread runtime's task: that task's budget is not renewed while the call blocks
/// inside one poll of it, so a call held by it would never end. The runtime runs on a thread
/// of its own, so that such a stall fails the test instead of hanging it.
#[test]
fn a_long_call_is_not_held_by_the_callers_task_budget() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let n = rt.block_on(async {
            wmill::blocking::block_on(async {
                let (ctx, mut crx) = tokio::sync::mpsc::unbounded_channel();
                for i in 0..5_000 {
                    ctx.send(i).unwrap();
                }
                drop(ctx);
                let mut n = 0;
                while crx.recv().await.is_some() {
                    n += 1;
                }
                Ok(n)
            })
        });
        let _ = tx.send(n);
    });
    let n = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the call ended (not held by the caller's task budget)");
    assert_eq!(n.unwrap(), 5_000);
}

/// `yield_now` defers its wake to the runtime the thread is in, which the call blocks: the
/// call is polled again anyway (the safety net), instead of waiting for ever.
#[tokio::test(flavor = "current_thread")]
async fn a_call_that_yields_inside_a_current_thread_runtime_completes() {
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = done.clone();
    let out = wmill::blocking::block_on(async move {
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(7)
    })
    .unwrap();
    assert_eq!(out, 7);
    assert!(done.load(std::sync::atomic::Ordering::SeqCst));
}
