//! How a user unit-tests code written against the traits: with the mockall mocks (feature
//! `mock`) and with `InMemory`.

use std::sync::Arc;

use mockall::Sequence;
use serde_json::{Value, json};
use wmill_core::{
    Error, InMemory, ItemKind, ItemPath, JobId, JobRunner, MockJobRunner, MockResourceStore,
    MockStateStore, MockVariableStore, ResourceStoreExt, RunOptions, SetVariableOptions,
    StateStoreExt, VariableStore, WaitOptions,
};

/// The code under test: reads a variable, falls back to a default when it is missing.
async fn api_base(vars: &dyn VariableStore) -> wmill_core::Result<String> {
    let path = ItemPath::parse("f/api/base_url")?;
    match vars.get_variable(&path).await {
        Ok(url) => Ok(url.trim_end_matches('/').to_owned()),
        Err(Error::NotFound { .. }) => Ok("https://api.example.com".to_owned()),
        Err(e) => Err(e),
    }
}

#[tokio::test]
async fn a_function_taking_dyn_variable_store_tested_with_a_mock() {
    let mut mock = MockVariableStore::new();
    mock.expect_get_variable()
        .withf(|p| p.as_str() == "f/api/base_url")
        .times(1)
        .returning(|_| Ok("https://staging.example.com/".to_owned()));
    assert_eq!(
        api_base(&mock).await.unwrap(),
        "https://staging.example.com"
    );

    let mut missing = MockVariableStore::new();
    missing
        .expect_get_variable()
        .returning(|p| Err(Error::not_found(ItemKind::Variable, p.as_str())));
    assert_eq!(api_base(&missing).await.unwrap(), "https://api.example.com");

    let mut failing = MockVariableStore::new();
    failing.expect_get_variable().returning(|_| {
        Err(Error::Api {
            status: 503,
            request: "GET /x".into(),
            body: "down".into(),
        })
    });
    assert_eq!(api_base(&failing).await.unwrap_err().status(), Some(503));
}

#[tokio::test]
async fn the_same_function_tested_with_in_memory() {
    let wm = InMemory::new();
    assert_eq!(api_base(&wm).await.unwrap(), "https://api.example.com");
    wm.set_variable(
        &ItemPath::parse("f/api/base_url").unwrap(),
        "http://localhost:8080/",
        &SetVariableOptions::new(),
    )
    .await
    .unwrap();
    assert_eq!(api_base(&wm).await.unwrap(), "http://localhost:8080");
}

#[tokio::test]
async fn mocks_work_as_arc_dyn_and_keep_the_typed_helpers() {
    let mut res = MockResourceStore::new();
    res.expect_get_resource()
        .returning(|_| Ok(json!({"host": "db", "port": 5432})));
    let res: Arc<dyn wmill_core::ResourceStore> = Arc::new(res);
    #[derive(serde::Deserialize)]
    struct Pg {
        port: u16,
    }
    let pg: Pg = res
        .get_resource_as(&ItemPath::parse("f/db/pg").unwrap())
        .await
        .unwrap();
    assert_eq!(pg.port, 5432);

    let mut state = MockStateStore::new();
    state.expect_get_state().times(1).returning(|| Ok(None));
    state
        .expect_set_state()
        .withf(|v| *v == json!({"cursor": 10}))
        .times(1)
        .returning(|_| Ok(()));
    let cursor: Option<u64> = state.get_state_as().await.unwrap();
    assert_eq!(cursor, None);
    state.set_state_from(&json!({"cursor": 10})).await.unwrap();
}

/// Code that retries a job start on a retryable error, then waits for it.
async fn start_with_retry(jobs: &dyn JobRunner, attempts: u32) -> wmill_core::Result<Value> {
    let path = ItemPath::parse("f/etl/load")?;
    let mut last = None;
    for _ in 0..attempts {
        match jobs
            .run_script_by_path_async(&path, Default::default(), &RunOptions::new())
            .await
        {
            Ok(id) => return jobs.wait_job(&id, &WaitOptions::new()).await,
            Err(e) if e.is_retryable() => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| Error::invalid("attempts", "zero attempts")))
}

#[tokio::test]
async fn call_order_and_counts_with_mock_job_runner() {
    let mut jobs = MockJobRunner::new();
    let mut seq = Sequence::new();
    let unavailable = || Error::Api {
        status: 503,
        request: "POST /api/w/ws/jobs/run/p/f/etl/load".into(),
        body: String::new(),
    };
    jobs.expect_run_script_by_path_async()
        .times(2)
        .in_sequence(&mut seq)
        .returning(move |_, _, _| Err(unavailable()));
    jobs.expect_run_script_by_path_async()
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _, _| Ok(JobId::from_u128(9)));
    jobs.expect_wait_job()
        .withf(|id, _| *id == JobId::from_u128(9))
        .times(1)
        .in_sequence(&mut seq)
        .returning(|_, _| Ok(json!("loaded")));
    assert_eq!(start_with_retry(&jobs, 3).await.unwrap(), json!("loaded"));

    let mut gives_up = MockJobRunner::new();
    gives_up
        .expect_run_script_by_path_async()
        .times(2)
        .returning(|_, _, _| {
            Err(Error::Api {
                status: 502,
                request: String::new(),
                body: String::new(),
            })
        });
    assert_eq!(
        start_with_retry(&gives_up, 2).await.unwrap_err().status(),
        Some(502)
    );
}
