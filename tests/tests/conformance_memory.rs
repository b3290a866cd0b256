//! The wmill-core conformance suite against `InMemory`, directly and through `Arc`/`Box`.

use std::sync::Arc;

use serde_json::json;
use wmill_core::{
    Backend, InMemory, ItemPath, JobRunner, RunOptions, SetVariableOptions, VariableStore,
    conformance, to_args,
};

fn backend() -> InMemory {
    let b = InMemory::new();
    conformance::install_fixtures(&b).unwrap();
    b
}

#[tokio::test]
async fn in_memory_passes_the_conformance_suite() {
    conformance::run_all(&backend()).await;
}

#[tokio::test]
async fn arc_dyn_backend_passes_the_conformance_suite() {
    let b: Arc<dyn Backend> = Arc::new(backend());
    conformance::run_all(&b).await;
}

#[tokio::test]
async fn boxed_backend_passes_the_conformance_suite() {
    let b: Box<InMemory> = Box::new(backend());
    conformance::run_all(&b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_with_a_spawner_passes_the_conformance_suite() {
    let b = InMemory::new().with_spawner(|fut| {
        tokio::spawn(fut);
    });
    conformance::install_fixtures(&b).unwrap();
    conformance::run_all(&b).await;
}

/// 64 tokio tasks on several threads share one backend; every result is its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_threads_share_one_backend() {
    let b = Arc::new(backend());
    let echo = ItemPath::parse(conformance::ECHO).unwrap();
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let b = b.clone();
            let echo = echo.clone();
            tokio::spawn(async move {
                let p = ItemPath::parse(format!("u/threads/v{i}")).unwrap();
                for round in 0..20 {
                    b.set_variable(&p, &format!("{i}-{round}"), &SetVariableOptions::new())
                        .await
                        .unwrap();
                    assert_eq!(b.get_variable(&p).await.unwrap(), format!("{i}-{round}"));
                    let out = b
                        .run_script_by_path(
                            &echo,
                            to_args(&json!({"i": i, "round": round})).unwrap(),
                            &RunOptions::new(),
                        )
                        .await
                        .unwrap();
                    assert_eq!(out, json!({"i": i, "round": round}));
                }
                i
            })
        })
        .collect();
    let mut done: Vec<i32> = Vec::new();
    for t in tasks {
        done.push(t.await.unwrap());
    }
    done.sort();
    assert_eq!(done, (0..64).collect::<Vec<_>>());
    assert_eq!(b.started_jobs().len(), 64 * 20);
}

/// The mock-API file over `InMemory` (`MockOverlay`): the suite holds as for any backend.
#[tokio::test]
async fn the_mock_overlay_passes_the_conformance_suite() {
    let overlay = wmill_core::MockOverlay::new(InMemory::new(), Arc::new(backend()));
    conformance::run_all(&overlay).await;
}
