//! Scoped clients: `wmill::with_client` (async, per task) and `wmill::blocking::with_client`
//! (per thread) override the global client for their scope only, so tests running in parallel
//! each see their own client.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use wmill::{Client, InMemory};

const ROUNDS: usize = 1_000;

/// A client whose variable `u/test/who` is `name`, and whose script `f/test/who` returns it.
fn client_named(name: &str) -> Client {
    let memory = InMemory::new().with_variable("u/test/who", name).unwrap();
    let answer = name.to_owned();
    memory
        .register_script("f/test/who", move |_| {
            let answer = answer.clone();
            async move { Ok(Value::String(answer)) }
        })
        .unwrap();
    Client::new(memory)
}

/// The global client of this test binary: what code outside a scope sees. Installed by every
/// test (always the same one), never replaced by another.
fn install_global() {
    wmill::set_client(client_named("global"));
}

#[test]
fn blocking_scopes_in_parallel_threads_never_mix() {
    install_global();
    let threads: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|name| {
            std::thread::spawn(move || {
                for round in 0..ROUNDS {
                    let seen = wmill::blocking::with_client(client_named(name), || {
                        let first = wmill::blocking::get_variable("u/test/who").unwrap();
                        let second: String =
                            wmill::blocking::run_script_by_path("f/test/who", &json!({}))
                                .map(|v| v.as_str().unwrap().to_owned())
                                .unwrap();
                        (first, second)
                    });
                    assert_eq!(seen, (name.to_owned(), name.to_owned()), "round {round}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // Outside every scope: the global client again.
    assert_eq!(
        wmill::blocking::get_variable("u/test/who").unwrap(),
        "global"
    );
}

#[test]
fn async_scopes_in_parallel_threads_never_mix() {
    install_global();
    let threads: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|name| {
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                for round in 0..ROUNDS {
                    let seen = rt.block_on(wmill::with_client(client_named(name), async {
                        let first = wmill::get_variable("u/test/who").await.unwrap();
                        // Suspended and resumed: the scope comes back with the task.
                        tokio::task::yield_now().await;
                        let second = wmill::run_script_by_path("f/test/who", &json!({}))
                            .await
                            .unwrap();
                        (first, second)
                    }));
                    assert_eq!(seen, (name.to_owned(), json!(name)), "round {round}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn async_scopes_follow_their_task_across_worker_threads() {
    install_global();
    let tasks: Vec<_> = (0..ROUNDS)
        .map(|i| {
            let name = if i % 2 == 0 { "a" } else { "b" };
            tokio::spawn(wmill::with_client(client_named(name), async move {
                for _ in 0..3 {
                    assert_eq!(wmill::get_variable("u/test/who").await.unwrap(), name);
                    tokio::time::sleep(Duration::from_micros(50)).await;
                }
            }))
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    // Outside the scopes, the global client.
    assert_eq!(wmill::get_variable("u/test/who").await.unwrap(), "global");
}

#[tokio::test]
async fn scopes_nest_and_restore() {
    install_global();
    let outer = wmill::with_client(client_named("outer"), async {
        let before = wmill::get_variable("u/test/who").await.unwrap();
        let inner = wmill::with_client(client_named("inner"), async {
            wmill::get_variable("u/test/who").await.unwrap()
        })
        .await;
        let after = wmill::get_variable("u/test/who").await.unwrap();
        (before, inner, after)
    })
    .await;
    assert_eq!(outer, ("outer".into(), "inner".into(), "outer".into()));
    // The blocking twin nests the same way, and restores the outer scope even after a panic.
    wmill::blocking::with_client(client_named("outer"), || {
        let caught = std::panic::catch_unwind(|| {
            wmill::blocking::with_client(client_named("inner"), || panic!("inside the scope"))
        });
        assert!(caught.is_err());
        assert_eq!(
            wmill::blocking::get_variable("u/test/who").unwrap(),
            "outer"
        );
    });
}

#[tokio::test]
async fn a_blocking_call_inside_an_async_scope_sees_the_scope() {
    install_global();
    let seen = wmill::with_client(client_named("async-scope"), async {
        // The blocking API runs its call on its own runtime: the scope goes with it.
        wmill::blocking::get_variable("u/test/who").unwrap()
    })
    .await;
    assert_eq!(seen, "async-scope");
}

#[test]
fn scopes_take_a_shared_client_too() {
    install_global();
    let shared = Arc::new(client_named("shared"));
    let seen = wmill::blocking::with_client(shared.clone(), || {
        Arc::ptr_eq(&wmill::client().unwrap(), &shared)
    });
    assert!(seen, "the scope's client is the very one given");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let seen = rt.block_on(wmill::with_client(shared.clone(), async {
        Arc::ptr_eq(&wmill::client().unwrap(), &shared)
    }));
    assert!(seen);
}
