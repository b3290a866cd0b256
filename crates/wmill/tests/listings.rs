//! Listings through the module-level functions and their blocking twins, on the global client:
//! the embedded backend, and a mock server for the helpers only a server has.
//!
//! The global client is process-wide, so these tests take a lock and install their own client.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::await_holding_lock)]

use futures::TryStreamExt;
use parking_lot::Mutex;
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};
use wmill::{
    Client, Error, InMemory, ItemPath, JobListStatus, JobQuery, ListResources, ListRunnables,
    ListVariables, Windmill,
};

static GLOBAL: Mutex<()> = Mutex::new(());

fn seeded() -> InMemory {
    let wm = InMemory::new()
        .with_variable("u/alice/a", "1")
        .unwrap()
        .with_variable("u/alice/b", "2")
        .unwrap()
        .with_variable("u/alice/c", "3")
        .unwrap()
        .with_resource("f/db/pg", json!({}), "postgresql")
        .unwrap()
        .with_resource("f/db/my", json!({}), "mysql")
        .unwrap();
    wm.register_script("f/jobs/ok", |_| async { Ok(json!(1)) })
        .unwrap();
    wm.register_script("f/jobs/fail", |_| async { Err(json!({"message": "no"})) })
        .unwrap();
    wm
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn module_functions_stream_every_page() {
    let _g = GLOBAL.lock();
    wmill::set_client(Client::new(seeded()));
    for _ in 0..5 {
        wmill::run_script_by_path("f/jobs/ok", &json!({}))
            .await
            .unwrap();
    }
    assert!(
        wmill::run_script_by_path("f/jobs/fail", &json!({}))
            .await
            .is_err()
    );

    let all: Vec<_> = wmill::stream_jobs(&JobQuery::new().page_size(2))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 6);
    let ok = ItemPath::parse("f/jobs/ok").unwrap();
    let failed: Vec<_> = wmill::stream_jobs(
        &JobQuery::new()
            .script_path(ok)
            .status(JobListStatus::Failure),
    )
    .try_collect()
    .await
    .unwrap();
    assert!(failed.is_empty());
    let failed: Vec<_> = wmill::stream_jobs(&JobQuery::new().status(JobListStatus::Failure))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].script_path.as_deref(), Some("f/jobs/fail"));

    let vars: Vec<_> = wmill::stream_variables(&ListVariables::new().page(1, 1))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(vars.len(), 3);
    let pg: Vec<_> = wmill::stream_resources(&ListResources::new().resource_type("postgresql"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pg.len(), 1);

    // Scripts and flows need a server.
    let err = wmill::stream_scripts(&ListRunnables::new())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err}");
    let err = wmill::stream_jobs(&JobQuery::new().page_size(0))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
}

#[test]
fn blocking_listings_are_iterators() {
    let _g = GLOBAL.lock();
    wmill::set_client(Client::new(seeded()));
    for _ in 0..3 {
        wmill::blocking::run_script_by_path("f/jobs/ok", &json!({})).unwrap();
    }
    let jobs: Vec<_> = wmill::blocking::stream_jobs(&JobQuery::new().page_size(1))
        .collect::<wmill::Result<_>>()
        .unwrap();
    assert_eq!(jobs.len(), 3);
    let vars = wmill::blocking::stream_variables(&ListVariables::new().page(1, 2)).count();
    assert_eq!(vars, 3);
    let res = wmill::blocking::stream_resources(&ListResources::new()).count();
    assert_eq!(res, 2);
    let mut bad = wmill::blocking::stream_variables(&ListVariables::new().page(1, 0));
    assert!(matches!(bad.next(), Some(Err(Error::InvalidInput { .. }))));
    assert!(bad.next().is_none(), "an error ends the iterator");
    let mut no_server = wmill::blocking::stream_flows(&ListRunnables::new());
    assert!(matches!(
        no_server.next(),
        Some(Err(Error::Unsupported { .. }))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_and_flows_stream_from_the_server() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/w/ws/flows/list"))
        .and(query_param("page", "1"))
        .and(query_param("per_page", "1000"))
        .and(header("authorization", "Bearer tok"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"workspace_id": "ws", "path": "f/a/flow", "summary": "", "edited_by": "ada",
             "edited_at": "2024-01-01T00:00:00Z", "archived": false, "extra_perms": {},
             "starred": false, "has_draft": false}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let wm = Windmill::builder()
        .with_base_url(server.uri())
        .with_token("tok")
        .with_workspace("ws")
        .build()
        .unwrap();
    let _g = GLOBAL.lock();
    wmill::set_client(Client::windmill(wm));
    let flows: Vec<_> = wmill::stream_flows(&ListRunnables::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(flows.len(), 1);
    assert_eq!(flows[0].path, "f/a/flow");
}
