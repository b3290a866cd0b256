use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;
use serde_json::json;

use crate::{
    Backend, Error, InMemory, ItemKind, ItemPath, ListResources, ListVariables, ResourceStore,
    RunOptions, SetVariableOptions, StateStore, VariableStore,
};
use crate::{JobRunnerExt, ResourceStoreExt};

use super::mock_overlay::*;
use super::settings::*;

fn p(s: &str) -> ItemPath {
    ItemPath::parse(s).unwrap()
}

fn overlay(mock: InMemory, base: &InMemory) -> MockOverlay {
    MockOverlay::new(mock, Arc::new(base.clone()))
}

#[tokio::test]
async fn hits_come_from_the_mock_and_misses_from_the_backend() {
    let base = InMemory::new()
        .with_variable("u/me/shared", "from base")
        .unwrap()
        .with_variable("u/me/only_base", "base value")
        .unwrap()
        .with_resource("u/me/db", json!({"host": "prod"}), "postgresql")
        .unwrap();
    let mock = InMemory::new()
        .with_variable("u/me/shared", "from mock")
        .unwrap()
        .with_resource("u/me/db", json!({"host": "localhost"}), "postgresql")
        .unwrap();
    let wm = overlay(mock, &base);
    assert_eq!(
        wm.get_variable(&p("u/me/shared")).await.unwrap(),
        "from mock"
    );
    assert_eq!(
        wm.get_variable(&p("u/me/only_base")).await.unwrap(),
        "base value"
    );
    assert_eq!(
        wm.get_resource(&p("u/me/db")).await.unwrap(),
        json!({"host": "localhost"})
    );
    let missing = wm.get_variable(&p("u/me/nowhere")).await.unwrap_err();
    assert!(
        matches!(&missing, Error::NotFound { kind: ItemKind::Variable, path } if path == "u/me/nowhere"),
        "{missing:?}"
    );
    assert_eq!(wm.get_resource_opt(&p("u/me/nope")).await.unwrap(), None);
}

#[tokio::test]
async fn sets_go_to_the_mock_and_never_to_the_backend() {
    let base = InMemory::new().with_variable("u/me/k", "base").unwrap();
    let wm = overlay(InMemory::new(), &base);
    wm.set_variable(&p("u/me/k"), "mocked", &SetVariableOptions::new())
        .await
        .unwrap();
    wm.set_resource(&p("u/me/r"), &json!({"a": 1}), "any")
        .await
        .unwrap();
    wm.set_state(&json!({"n": 1})).await.unwrap();
    assert_eq!(wm.get_variable(&p("u/me/k")).await.unwrap(), "mocked");
    assert_eq!(base.get_variable(&p("u/me/k")).await.unwrap(), "base");
    assert!(base.get_resource(&p("u/me/r")).await.is_err());
    assert_eq!(base.to_mock_json()["resources"], json!({}));
    assert_eq!(wm.get_state().await.unwrap(), Some(json!({"n": 1})));
    assert_eq!(
        wm.mock().to_mock_json()["resources"]["u/local/state"],
        json!({"n": 1})
    );
}

#[tokio::test]
async fn references_in_mocked_values_resolve_through_the_overlay() {
    let base = InMemory::new()
        .with_variable("u/me/pw", "server-secret")
        .unwrap()
        .with_resource("u/me/tls", json!({"ca": "$var:u/me/pw"}), "any")
        .unwrap();
    let mock = InMemory::new()
        .with_variable("u/me/user", "ada")
        .unwrap()
        .with_resource(
            "u/me/db",
            json!({"user": "$var:u/me/user", "password": "$var:u/me/pw", "tls": "$res:u/me/tls", "inner": "$res:u/me/inner"}),
            "postgresql",
        )
        .unwrap()
        .with_resource("u/me/inner", json!(["$var:u/me/user", 1]), "any")
        .unwrap();
    let wm = overlay(mock, &base);
    assert_eq!(
        wm.get_resource(&p("u/me/db")).await.unwrap(),
        json!({"user": "ada", "password": "server-secret", "tls": {"ca": "server-secret"}, "inner": ["ada", 1]})
    );
    // A cycle is bounded, not a stack overflow.
    let cyclic = InMemory::new()
        .with_resource("u/me/a", json!({"b": "$res:u/me/b"}), "any")
        .unwrap()
        .with_resource("u/me/b", json!({"a": "$res:u/me/a"}), "any")
        .unwrap();
    let wm = overlay(cyclic, &base);
    let err = wm.get_resource(&p("u/me/a")).await.unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
}

#[tokio::test]
async fn state_path_comes_from_the_overlay_then_the_backend_then_the_mock() {
    let base = InMemory::new();
    let wm = overlay(InMemory::new(), &base);
    // InMemory bases have a default path: the backend's.
    assert_eq!(wm.default_state_path().unwrap().as_str(), "u/local/state");
    let wm = wm.with_state_path("u/me/trigger_state").unwrap();
    assert_eq!(
        wm.default_state_path().unwrap().as_str(),
        "u/me/trigger_state"
    );
    assert_eq!(wm.get_state().await.unwrap(), None);
    wm.set_state(&json!(3)).await.unwrap();
    assert_eq!(
        wm.get_state_at(&p("u/me/trigger_state")).await.unwrap(),
        Some(json!(3))
    );
    // A miss reads the backend's state.
    base.set_state_at(&p("u/me/base_state"), &json!("b"))
        .await
        .unwrap();
    assert_eq!(
        wm.get_state_at(&p("u/me/base_state")).await.unwrap(),
        Some(json!("b"))
    );
    assert!(wm.with_state_path("not a path").is_err());
}

#[tokio::test]
async fn deletes_touch_the_mock_only() {
    let base = InMemory::new()
        .with_variable("u/me/server_only", "x")
        .unwrap()
        .with_resource("u/me/server_res", json!(1), "any")
        .unwrap();
    let mock = InMemory::new()
        .with_variable("u/me/mocked", "y")
        .unwrap()
        .with_resource("u/me/mocked_res", json!(2), "any")
        .unwrap();
    let wm = overlay(mock, &base);
    wm.delete_variable(&p("u/me/mocked")).await.unwrap();
    wm.delete_resource(&p("u/me/mocked_res")).await.unwrap();
    assert!(
        wm.mock().to_mock_json()["variables"]
            .as_object()
            .unwrap()
            .is_empty()
    );
    let err = wm
        .delete_variable(&p("u/me/server_only"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    let err = wm.delete_resource(&p("u/me/server_res")).await.unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    assert_eq!(
        base.get_variable(&p("u/me/server_only")).await.unwrap(),
        "x"
    );
    let err = wm.delete_variable(&p("u/me/nowhere")).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    let err = wm.delete_resource(&p("u/me/nowhere")).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn listings_merge_the_backend_and_the_mock() {
    let mut base = InMemory::new();
    for i in 0..250 {
        base = base.with_variable(format!("u/me/v{i:03}"), "base").unwrap();
    }
    let base = base
        .with_resource("u/me/pg", json!(1), "postgresql")
        .unwrap()
        .with_resource("u/me/s3", json!(1), "s3")
        .unwrap();
    let mock = InMemory::new()
        .with_variable("u/me/v000", "mock")
        .unwrap()
        .with_variable("u/me/zzz", "mock only")
        .unwrap()
        .with_variable("u/other/x", "elsewhere")
        .unwrap()
        .with_resource("u/me/pg2", json!(2), "postgresql")
        .unwrap();
    let wm = overlay(mock, &base);
    let all = wm
        .list_variables(&ListVariables::new().path_start("u/me/").page(1, 1000))
        .await
        .unwrap();
    assert_eq!(all.len(), 251, "250 from the backend (3 pages) + 1 mocked");
    assert_eq!(all[0].value.as_deref(), Some("mock"), "the mock wins");
    assert_eq!(all[250].path.as_str(), "u/me/zzz");
    let second = wm
        .list_variables(&ListVariables::new().path_start("u/me/").page(2, 100))
        .await
        .unwrap();
    assert_eq!(second.len(), 100);
    assert_eq!(second[0].path.as_str(), "u/me/v100");
    let pg = wm
        .list_resources(&ListResources::new().resource_type("postgresql"))
        .await
        .unwrap();
    let paths: Vec<&str> = pg.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["u/me/pg", "u/me/pg2"]);
}

#[tokio::test]
async fn jobs_run_on_the_backend() {
    let base = InMemory::new();
    base.register_script("f/jobs/double", |a| async move {
        Ok(json!(a["x"].as_i64().unwrap_or(0) * 2))
    })
    .unwrap();
    let wm = overlay(InMemory::new(), &base);
    let out: i64 = wm
        .run_script_by_path_as(&p("f/jobs/double"), &json!({"x": 21}), &RunOptions::new())
        .await
        .unwrap();
    assert_eq!(out, 42);
    assert_eq!(base.started_jobs().len(), 1);
}

#[tokio::test]
async fn from_file_keeps_sets_in_memory_and_persisted_saves_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mock.json");
    let original = r#"{"variables": {"u/me/k": "v1"}, "resources": {}}"#;
    std::fs::write(&file, original).unwrap();
    let base: Arc<dyn Backend> = Arc::new(InMemory::new());

    let wm = MockOverlay::from_file(&file, base.clone()).unwrap();
    assert_eq!(wm.persisted_to(), None);
    wm.set_variable(&p("u/me/k"), "v2", &SetVariableOptions::new())
        .await
        .unwrap();
    assert_eq!(wm.get_variable(&p("u/me/k")).await.unwrap(), "v2");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), original);

    let wm = MockOverlay::from_file_persisted(&file, base.clone()).unwrap();
    assert_eq!(wm.persisted_to(), Some(file.as_path()));
    wm.set_variable(&p("u/me/k"), "v3", &SetVariableOptions::new().secret(true))
        .await
        .unwrap();
    wm.set_resource(&p("u/me/db"), &json!({"host": "h"}), "postgresql")
        .await
        .unwrap();
    let on_disk: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(on_disk["variables"]["u/me/k"], "v3");
    assert_eq!(on_disk["resources"]["u/me/db"], json!({"host": "h"}));
    let reloaded = MockOverlay::from_file(&file, base).unwrap();
    assert_eq!(reloaded.get_variable(&p("u/me/k")).await.unwrap(), "v3");
}

#[test]
fn settings_from_the_environment() {
    let vars = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    assert_eq!(MockApiSettings::from_vars(&vars(&[])).unwrap(), None);
    assert_eq!(
        MockApiSettings::from_vars(&vars(&[("WM_MOCKED_API_FILE", "  ")])).unwrap(),
        None
    );
    let s = MockApiSettings::from_vars(&vars(&[
        ("WM_MOCKED_API_FILE", "m.json"),
        ("WM_STATE_PATH", "u/a/old"),
        ("WM_STATE_PATH_NEW", "u/a/new"),
    ]))
    .unwrap()
    .unwrap();
    assert_eq!(
        s,
        MockApiSettings {
            file: PathBuf::from("m.json"),
            persist: false,
            state_path: Some("u/a/new".into())
        }
    );
    for (word, want) in [
        ("1", true),
        ("TRUE", true),
        ("on", true),
        ("no", false),
        ("0", false),
    ] {
        let s = MockApiSettings::from_vars(&vars(&[
            ("WM_MOCKED_API_FILE", "m.json"),
            (MOCKED_API_PERSIST_VAR, word),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(s.persist, want, "{word}");
    }
    let err = MockApiSettings::from_vars(&vars(&[
        ("WM_MOCKED_API_FILE", "m.json"),
        (MOCKED_API_PERSIST_VAR, "maybe"),
    ]))
    .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
}

#[tokio::test]
async fn settings_open_the_overlay_with_the_state_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mock.json");
    let settings = MockApiSettings {
        file: file.clone(),
        persist: true,
        state_path: Some("u/me/st".into()),
    };
    let wm = settings.open(Arc::new(InMemory::new())).unwrap();
    wm.set_state(&json!({"x": 1})).await.unwrap();
    let on_disk: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(on_disk["resources"]["u/me/st"], json!({"x": 1}));
    let bad = MockApiSettings {
        state_path: Some("nope".into()),
        ..settings
    };
    assert!(bad.open(Arc::new(InMemory::new())).is_err());
}
