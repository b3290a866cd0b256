//! Checks of variables, resources (with interpolation) and state.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    Backend, Error, ItemKind, ItemPath, ListResources, ListVariables, ResourceStore,
    ResourceStoreExt, SetVariableOptions, StateStore, StateStoreExt, VariableStore,
};

use super::fixtures::{expect_not_found, unique};

/// Variables: missing is `NotFound`, set creates then updates, secrets round-trip, delete, list.
pub async fn variables(store: &dyn VariableStore) {
    let p = unique("var");
    expect_not_found(
        store.get_variable(&p).await,
        ItemKind::Variable,
        "get of a missing variable",
    );

    store
        .set_variable(
            &p,
            "first",
            &SetVariableOptions::new().description("conformance"),
        )
        .await
        .expect("set_variable on a missing variable must create it");
    assert_eq!(
        store.get_variable(&p).await.unwrap(),
        "first",
        "set-then-get"
    );

    store
        .set_variable(
            &p,
            "second \"quoted\"\nline \\ done",
            &SetVariableOptions::new(),
        )
        .await
        .expect("set_variable on an existing variable must update it");
    assert_eq!(
        store.get_variable(&p).await.unwrap(),
        "second \"quoted\"\nline \\ done",
        "values with quotes, newlines and backslashes must round-trip unescaped"
    );

    let secret = unique("secret");
    store
        .set_variable(&secret, "s3cr3t", &SetVariableOptions::new().secret(true))
        .await
        .unwrap();
    assert_eq!(
        store.get_variable(&secret).await.unwrap(),
        "s3cr3t",
        "secret round trip"
    );

    let outside = ItemPath::parse(format!(
        "u/conformance_outside/{}",
        secret.name().trim_start_matches("secret_")
    ))
    .unwrap();
    store
        .set_variable(&outside, "elsewhere", &SetVariableOptions::new())
        .await
        .unwrap();
    let listed = store
        .list_variables(
            &ListVariables::new()
                .path_start("u/conformance/")
                .page(1, 1000),
        )
        .await
        .unwrap();
    let entry = listed
        .iter()
        .find(|v| v.path == secret)
        .unwrap_or_else(|| panic!("list_variables must list {secret}: {listed:?}"));
    assert!(
        entry.is_secret,
        "a secret variable must be listed as secret"
    );
    assert_ne!(
        entry.value.as_deref(),
        Some("s3cr3t"),
        "a listing must not reveal a secret value"
    );
    assert!(listed.iter().any(|v| v.path == p && !v.is_secret));
    assert!(
        listed
            .iter()
            .all(|v| v.path.as_str().starts_with("u/conformance/")),
        "path_start must filter"
    );

    let one = store
        .list_variables(&ListVariables::new().path_start("u/conformance/").page(1, 1))
        .await
        .unwrap();
    assert_eq!(one.len(), 1, "per_page must limit the page size");

    store.delete_variable(&p).await.unwrap();
    store.delete_variable(&secret).await.unwrap();
    store.delete_variable(&outside).await.unwrap();
    expect_not_found(
        store.get_variable(&p).await,
        ItemKind::Variable,
        "get after delete",
    );
    expect_not_found(
        store.delete_variable(&p).await,
        ItemKind::Variable,
        "delete of a missing variable",
    );
}

/// Resources: missing is `NotFound`, create with a type, update, typed get, list by type, delete.
pub async fn resources(store: &dyn ResourceStore) {
    let p = unique("res");
    expect_not_found(
        store.get_resource(&p).await,
        ItemKind::Resource,
        "get of a missing resource",
    );
    assert_eq!(store.get_resource_opt(&p).await.unwrap(), None);

    let rt = "conformance_type";
    let v1 =
        json!({"host": "db.internal", "port": 5432, "tags": ["a", "b"], "nested": {"x": null}});
    store
        .set_resource(&p, &v1, rt)
        .await
        .expect("create resource");
    assert_eq!(store.get_resource(&p).await.unwrap(), v1, "set-then-get");

    let v2 = json!({"host": "db2", "port": 6543});
    store
        .set_resource(&p, &v2, rt)
        .await
        .expect("update resource");
    assert_eq!(
        store.get_resource(&p).await.unwrap(),
        v2,
        "update replaces the value"
    );

    #[derive(Deserialize, Debug, PartialEq)]
    struct Db {
        host: String,
        port: u16,
    }
    let typed: Db = store.get_resource_as(&p).await.unwrap();
    assert_eq!(
        typed,
        Db {
            host: "db2".into(),
            port: 6543
        }
    );
    let wrong = store.get_resource_as::<Vec<u8>>(&p).await;
    assert!(
        matches!(wrong, Err(Error::Decode { .. })),
        "a value that does not fit the type is Decode, got {wrong:?}"
    );

    let other = unique("res_other");
    store
        .set_resource(&other, &json!(1), "other_type")
        .await
        .unwrap();
    let listed = store
        .list_resources(&ListResources::new().resource_type(rt).page(1, 100))
        .await
        .unwrap();
    assert!(
        listed.iter().any(|r| r.path == p && r.resource_type == rt),
        "list by type must include {p}: {listed:?}"
    );
    assert!(
        listed.iter().all(|r| r.resource_type == rt),
        "list by type must filter: {listed:?}"
    );

    store.delete_resource(&p).await.unwrap();
    store.delete_resource(&other).await.unwrap();
    expect_not_found(
        store.get_resource(&p).await,
        ItemKind::Resource,
        "get after delete",
    );
}

/// Resources are interpolated: `$var:` and `$res:` strings are replaced by their values.
pub async fn interpolation(backend: &dyn Backend) {
    let var = unique("ivar");
    let inner = unique("ires");
    let outer = unique("ires_outer");
    backend
        .set_variable(&var, "pa55", &SetVariableOptions::new().secret(true))
        .await
        .unwrap();
    backend
        .set_resource(&inner, &json!({"token": format!("$var:{var}")}), "c_inner")
        .await
        .unwrap();
    backend
        .set_resource(
            &outer,
            &json!({"password": format!("$var:{var}"), "inner": format!("$res:{inner}"), "n": 1}),
            "c_outer",
        )
        .await
        .unwrap();
    assert_eq!(
        backend.get_resource(&outer).await.unwrap(),
        json!({"password": "pa55", "inner": {"token": "pa55"}, "n": 1}),
        "get_resource must interpolate $var: and $res: references"
    );
    backend.delete_resource(&outer).await.unwrap();
    backend.delete_resource(&inner).await.unwrap();
    backend.delete_variable(&var).await.unwrap();
}

/// State: `None` before the first set, set-then-get, overwrite, default path.
pub async fn state(store: &dyn StateStore) {
    let p = unique("state");
    assert_eq!(
        store.get_state_at(&p).await.unwrap(),
        None,
        "state must be None before the first set"
    );
    store.set_state_at(&p, &json!({"cursor": 1})).await.unwrap();
    assert_eq!(
        store.get_state_at(&p).await.unwrap(),
        Some(json!({"cursor": 1}))
    );
    store.set_state_at(&p, &json!([1, 2, 3])).await.unwrap();
    assert_eq!(
        store.get_state_at(&p).await.unwrap(),
        Some(json!([1, 2, 3])),
        "set_state overwrites"
    );
    store.set_state_at(&p, &Value::Null).await.unwrap();
    assert_eq!(
        store.get_state_at_as::<Option<u32>>(&p).await.unwrap(),
        Some(None),
        "a null state is stored as null"
    );

    let marker = crate::ids::random_uuid().to_string();
    store.set_state(&json!({"marker": marker})).await.unwrap();
    assert_eq!(
        store.get_state().await.unwrap(),
        Some(json!({"marker": marker})),
        "default-path state round trip"
    );
}
