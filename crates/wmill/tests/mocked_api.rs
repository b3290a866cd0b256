//! `WM_MOCKED_API_FILE` as the Python and TypeScript clients have it: the file lies over the
//! configured backend (the fake Windmill server here) for variables, resources and state; jobs,
//! the server helpers and S3 keep working.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The lock serializes the tests that share the global client; holding it across awaits is the point.
#![allow(clippy::await_holding_lock)]

use parking_lot::Mutex;
use serde_json::json;
use wmill::{Client, Error};
use wmill_tests::fake_windmill::{ECHO, FakeWindmill};

static GLOBAL: Mutex<()> = Mutex::new(());

const MOCK: &str = r#"{
  "variables": {"u/test/key": "mocked"},
  "resources": {"f/test/db": {"host": "localhost", "pw": "$var:u/test/server_only"}}
}"#;

fn env(
    server: &FakeWindmill,
    file: &std::path::Path,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut vars = vec![
        ("WM_MOCKED_API_FILE".to_owned(), file.display().to_string()),
        ("BASE_INTERNAL_URL".to_owned(), server.base_url()),
        ("WM_TOKEN".to_owned(), server.token().unwrap().to_owned()),
        ("WM_WORKSPACE".to_owned(), server.workspace().to_owned()),
    ];
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    vars
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mock_lies_over_the_server() {
    let _g = GLOBAL.lock();
    let server = FakeWindmill::start().await;
    server.put_variable("u/test/key", "server value", false);
    server.put_variable("u/test/server_only", "from the server", true);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mock.json");
    std::fs::write(&file, MOCK).unwrap();
    wmill::set_client(Client::from_vars(env(&server, &file, &[])).unwrap());

    // A hit: the mocked value, and no request.
    assert_eq!(wmill::get_variable("u/test/key").await.unwrap(), "mocked");
    assert_eq!(server.count("variables/get_value"), 0);
    // A miss: the server.
    assert_eq!(
        wmill::get_variable("u/test/server_only").await.unwrap(),
        "from the server"
    );
    assert_eq!(server.count("variables/get_value"), 1);
    // A mocked resource, its reference resolved through the server.
    assert_eq!(
        wmill::get_resource("f/test/db").await.unwrap(),
        json!({"host": "localhost", "pw": "from the server"})
    );
    assert!(matches!(
        wmill::get_resource("f/test/none").await,
        Err(Error::NotFound { .. })
    ));
    // A set: the mock, not the server, not the file.
    wmill::set_variable("u/test/key", "set locally", false)
        .await
        .unwrap();
    assert_eq!(
        wmill::get_variable("u/test/key").await.unwrap(),
        "set locally"
    );
    let before = server.total_requests();
    wmill::set_resource("f/test/new", &json!({"a": 1}), "any")
        .await
        .unwrap();
    assert_eq!(
        server.total_requests(),
        before,
        "a set must not reach the server"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), MOCK);

    // State: no state path outside a job, so the mock's own.
    assert_eq!(wmill::get_state_path().unwrap().as_str(), "u/local/state");
    assert_eq!(wmill::get_state().await.unwrap(), None);
    wmill::set_state(&json!({"n": 1})).await.unwrap();
    assert_eq!(wmill::get_state().await.unwrap(), Some(json!({"n": 1})));

    // Jobs, server helpers and S3 are the server's.
    let out = wmill::run_script_by_path(ECHO, &json!({"x": 1}))
        .await
        .unwrap();
    assert_eq!(out, json!({"x": 1}));
    assert_eq!(wmill::get_version().await.unwrap(), "v1.fake-windmill");
    assert!(wmill::client().unwrap().s3().is_ok());
    assert!(wmill::client().unwrap().http().is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_state_path_of_the_environment_and_persisted_sets() {
    let _g = GLOBAL.lock();
    let server = FakeWindmill::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mock.json");
    std::fs::write(&file, MOCK).unwrap();
    wmill::set_client(
        Client::from_vars(env(
            &server,
            &file,
            &[
                ("WM_STATE_PATH_NEW", "u/test/trigger_state"),
                ("WMILL_MOCKED_API_PERSIST", "1"),
            ],
        ))
        .unwrap(),
    );
    assert_eq!(
        wmill::get_state_path().unwrap().as_str(),
        "u/test/trigger_state"
    );
    wmill::blocking::set_state(&json!({"cursor": 3})).unwrap();
    wmill::blocking::set_variable("u/test/written", "saved", false).unwrap();
    let on_disk: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(
        on_disk["resources"]["u/test/trigger_state"],
        json!({"cursor": 3})
    );
    assert_eq!(on_disk["variables"]["u/test/written"], "saved");
    assert_eq!(server.count("resources/create"), 0);
}

#[test]
fn without_a_server_misses_go_to_memory_and_a_half_named_server_is_an_error() {
    let _g = GLOBAL.lock();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mock.json");
    std::fs::write(&file, MOCK).unwrap();
    let client =
        Client::from_vars([("WM_MOCKED_API_FILE".to_owned(), file.display().to_string())]).unwrap();
    wmill::set_client(client);
    assert_eq!(
        wmill::blocking::get_variable("u/test/key").unwrap(),
        "mocked"
    );
    assert!(matches!(
        wmill::blocking::get_variable("u/test/other"),
        Err(Error::NotFound { .. })
    ));
    assert!(
        wmill::client().unwrap().jobs().is_ok(),
        "jobs: the in-memory backend"
    );
    let err = Client::from_vars([
        ("WM_MOCKED_API_FILE".to_owned(), file.display().to_string()),
        ("WM_BASE_URL".to_owned(), "http://127.0.0.1:9".to_owned()),
    ])
    .unwrap_err();
    assert!(matches!(err, Error::NotConfigured { .. }), "{err:?}");
}
