//! Construction from the environment: `from_vars` precedence and `WM_MOCKED_API_FILE`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::json;
use wmill_core::{Error, ItemPath, ResourceStore, StateStore, VariableStore};
use wmill_http::{Windmill, backend_from_vars};

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn mocked_api_file_with_persistence_saves_sets_to_the_file() {
    let dir = tempdir();
    let file = dir.join("mock.json");
    std::fs::write(
        &file,
        r#"{"variables": {"u/me/key": "v1"}, "resources": {"u/me/db": {"host": "h"}}}"#,
    )
    .unwrap();
    let backend = backend_from_vars(vars(&[
        ("WM_MOCKED_API_FILE", file.to_str().unwrap()),
        ("WMILL_MOCKED_API_PERSIST", "1"),
        ("WM_STATE_PATH_NEW", "u/me/state"),
    ]))
    .unwrap();
    let key = ItemPath::parse("u/me/key").unwrap();
    assert_eq!(backend.get_variable(&key).await.unwrap(), "v1");
    assert_eq!(
        backend
            .get_resource(&ItemPath::parse("u/me/db").unwrap())
            .await
            .unwrap(),
        json!({"host": "h"})
    );
    backend
        .set_variable(&key, "v2", &Default::default())
        .await
        .unwrap();
    backend.set_state(&json!({"n": 1})).await.unwrap();
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(
        written["variables"]["u/me/key"], "v2",
        "writes go to the file"
    );
    assert_eq!(written["resources"]["u/me/state"], json!({"n": 1}));
}

#[tokio::test]
async fn mocked_api_file_keeps_sets_in_memory_by_default() {
    let dir = tempdir();
    let file = dir.join("mock.json");
    let original = r#"{"variables": {"u/me/key": "v1"}, "resources": {}}"#;
    std::fs::write(&file, original).unwrap();
    let backend =
        backend_from_vars(vars(&[("WM_MOCKED_API_FILE", file.to_str().unwrap())])).unwrap();
    let key = ItemPath::parse("u/me/key").unwrap();
    backend
        .set_variable(&key, "v2", &Default::default())
        .await
        .unwrap();
    backend.set_state(&json!({"n": 1})).await.unwrap();
    assert_eq!(backend.get_variable(&key).await.unwrap(), "v2");
    assert_eq!(backend.get_state().await.unwrap(), Some(json!({"n": 1})));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);
    let err = backend_from_vars(vars(&[
        ("WM_MOCKED_API_FILE", file.to_str().unwrap()),
        ("WMILL_MOCKED_API_PERSIST", "perhaps"),
    ]))
    .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
}

#[test]
fn without_the_mock_file_it_is_http_and_needs_settings() {
    let e = backend_from_vars(vars(&[("WM_TOKEN", "t")])).unwrap_err();
    assert!(
        matches!(
            e,
            Error::NotConfigured {
                what: "base URL",
                ..
            }
        ),
        "{e}"
    );
    let b = backend_from_vars(vars(&[
        ("BASE_INTERNAL_URL", "http://localhost:8000"),
        ("WM_TOKEN", "t"),
        ("WM_WORKSPACE", "w"),
        ("WM_MOCKED_API_FILE", ""),
    ]))
    .unwrap();
    assert!(format!("{b:?}").starts_with("Windmill"));
}

#[test]
fn from_vars_is_always_http() {
    let wm = Windmill::from_vars(vars(&[
        ("WM_BASE_URL", "https://wm.example.com/"),
        ("WM_TOKEN", "t"),
        ("WM_WORKSPACE", "w"),
        ("WM_MOCKED_API_FILE", "/nonexistent.json"),
    ]))
    .unwrap();
    assert_eq!(wm.base_url().as_str(), "https://wm.example.com/api/");
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "wmill-http-env-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}
