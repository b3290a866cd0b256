//! The mock-API file over the HTTP backend (`MockOverlay`): hits never reach the server, misses
//! send exactly the request the backend sends, sets stay local, jobs go to the server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use serde_json::json;
use support::*;
use wmill_core::{
    Error, ItemPath, JobRunner, MockOverlay, ResourceStore, RunOptions, SetVariableOptions,
    StateStore, VariableStore,
};
use wmill_http::backend_from_vars;

fn p(s: &str) -> ItemPath {
    ItemPath::parse(s).unwrap()
}

fn mock_file(dir: &tempfile_dir::Dir, body: &str) -> std::path::PathBuf {
    let file = dir.path().join("mock.json");
    std::fs::write(&file, body).unwrap();
    file
}

const MOCK: &str = r#"{
  "variables": {"u/alice/api_key": "mocked-key"},
  "resources": {"u/alice/db": {"host": "localhost", "password": "$var:u/alice/db_password"}}
}"#;

#[tokio::test]
async fn a_hit_sends_nothing_and_a_miss_sends_the_backend_request() {
    let server = server().await;
    call("GET", "/api/w/ws/variables/get_value/u/alice/region")
        .and(exact_query(&[]))
        .respond_with(json(200, json!("eu-west-1")))
        .expect(1)
        .mount(&server)
        .await;
    // The mocked resource refers to a variable only the server holds.
    call("GET", "/api/w/ws/variables/get_value/u/alice/db_password")
        .and(exact_query(&[]))
        .respond_with(json(200, json!("from-server")))
        .expect(1)
        .mount(&server)
        .await;
    call(
        "GET",
        "/api/w/ws/resources/get_value_interpolated/u/alice/missing",
    )
    .and(exact_query(&[]))
    .respond_with(text(
        404,
        "Not found: Resource not found at name u/alice/missing",
    ))
    .expect(1)
    .mount(&server)
    .await;
    let dir = tempfile_dir::Dir::new();
    let wm = MockOverlay::from_file(mock_file(&dir, MOCK), Arc::new(client(&server))).unwrap();

    assert_eq!(
        wm.get_variable(&p("u/alice/api_key")).await.unwrap(),
        "mocked-key"
    );
    assert_eq!(
        wm.get_variable(&p("u/alice/region")).await.unwrap(),
        "eu-west-1"
    );
    assert_eq!(
        wm.get_resource(&p("u/alice/db")).await.unwrap(),
        json!({"host": "localhost", "password": "from-server"})
    );
    let err = wm.get_resource(&p("u/alice/missing")).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    // State miss: the server's answer (404 is "no state yet").
    call(
        "GET",
        "/api/w/ws/resources/get_value_interpolated/u/alice/state",
    )
    .respond_with(text(
        404,
        "Not found: Resource not found at name u/alice/state",
    ))
    .expect(1)
    .mount(&server)
    .await;
    assert_eq!(wm.get_state_at(&p("u/alice/state")).await.unwrap(), None);
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert!(
        !paths
            .iter()
            .any(|p| p.ends_with("u/alice/api_key") || p.ends_with("u/alice/db")),
        "hits must not reach the server: {paths:?}"
    );
}

#[tokio::test]
async fn sets_go_to_the_mock_and_not_to_the_server() {
    // The catch-all answers 599 to anything: a write would fail the set.
    let server = server().await;
    let dir = tempfile_dir::Dir::new();
    let file = mock_file(&dir, MOCK);
    let wm = MockOverlay::from_file(&file, Arc::new(job_client(&server))).unwrap();
    wm.set_variable(&p("u/alice/region"), "local", &SetVariableOptions::new())
        .await
        .unwrap();
    wm.set_resource(&p("u/alice/cache"), &json!({"ttl": 5}), "any")
        .await
        .unwrap();
    wm.set_state(&json!({"cursor": 9})).await.unwrap();
    assert_eq!(
        wm.get_variable(&p("u/alice/region")).await.unwrap(),
        "local"
    );
    assert_eq!(wm.get_state().await.unwrap(), Some(json!({"cursor": 9})));
    assert_eq!(
        wm.default_state_path().unwrap().as_str(),
        "u/alice/state",
        "the backend's state path (WM_STATE_PATH_NEW in a job)"
    );
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing may reach the server"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        MOCK,
        "file untouched"
    );
}

#[tokio::test]
async fn persisted_sets_are_saved_to_the_file_not_sent() {
    let server = server().await;
    let dir = tempfile_dir::Dir::new();
    let file = mock_file(&dir, MOCK);
    let wm = MockOverlay::from_file_persisted(&file, Arc::new(client(&server))).unwrap();
    wm.set_variable(&p("u/alice/api_key"), "rotated", &SetVariableOptions::new())
        .await
        .unwrap();
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(on_disk["variables"]["u/alice/api_key"], "rotated");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn jobs_go_to_the_server() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/hello")
        .and(exact_query(&[]))
        .and(json_body(json!({"name": "ada"})))
        .respond_with(text(201, JOB))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile_dir::Dir::new();
    let wm = MockOverlay::from_file(mock_file(&dir, MOCK), Arc::new(client(&server))).unwrap();
    let id = wm
        .run_script_by_path_async(
            &p("f/jobs/hello"),
            wmill_core::to_args(&json!({"name": "ada"})).unwrap(),
            &RunOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(id.to_string(), JOB);
}

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn from_the_environment_the_mock_lies_over_the_named_server() {
    let server = server().await;
    call("GET", "/api/w/ws/variables/get_value/u/alice/region")
        .and(exact_query(&[]))
        .respond_with(json(200, json!("eu-west-1")))
        .expect(1)
        .mount(&server)
        .await;
    let dir = tempfile_dir::Dir::new();
    let file = mock_file(&dir, MOCK);
    let backend = backend_from_vars(vars(&[
        ("WM_MOCKED_API_FILE", file.to_str().unwrap()),
        ("BASE_INTERNAL_URL", &server.uri()),
        ("WM_TOKEN", TOKEN),
        ("WM_WORKSPACE", WS),
    ]))
    .unwrap();
    assert!(format!("{backend:?}").starts_with("MockOverlay"));
    assert_eq!(
        backend.get_variable(&p("u/alice/api_key")).await.unwrap(),
        "mocked-key"
    );
    assert_eq!(
        backend.get_variable(&p("u/alice/region")).await.unwrap(),
        "eu-west-1"
    );
    // Without a server in the environment, misses go to an empty in-memory backend.
    let local = backend_from_vars(vars(&[("WM_MOCKED_API_FILE", file.to_str().unwrap())])).unwrap();
    let err = local.get_variable(&p("u/alice/region")).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    // A server named without a token is an error, not a silent local run.
    let err = backend_from_vars(vars(&[
        ("WM_MOCKED_API_FILE", file.to_str().unwrap()),
        ("WM_BASE_URL", &server.uri()),
        ("WM_WORKSPACE", WS),
    ]))
    .unwrap_err();
    assert!(
        matches!(err, Error::NotConfigured { what: "token", .. }),
        "{err:?}"
    );
}

/// A temporary directory removed on drop (no extra dev-dependency).
mod tempfile_dir {
    pub(crate) struct Dir(std::path::PathBuf);

    impl Dir {
        pub(crate) fn new() -> Self {
            let d = std::env::temp_dir().join(format!(
                "wmill-http-overlay-{}-{}",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            ));
            std::fs::create_dir_all(&d).unwrap();
            Dir(d)
        }

        pub(crate) fn path(&self) -> &std::path::Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
