//! Resources and state: every request asserted (method, path, query, auth header, body).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde::Deserialize;
use serde_json::json;
use support::*;
use wmill_core::{
    Error, ItemKind, ItemPath, ListResources, ResourceStore, ResourceStoreExt, StateStore,
};

fn p(s: &str) -> ItemPath {
    ItemPath::parse(s).unwrap()
}

#[tokio::test]
async fn get_resource_is_interpolated() {
    let server = server().await;
    call(
        "GET",
        "/api/w/ws/resources/get_value_interpolated/f/db/main",
    )
    .and(exact_query(&[]))
    .respond_with(json(200, json!({"host": "db", "port": 5432})))
    .expect(1)
    .mount(&server)
    .await;
    let v = client(&server).get_resource(&p("f/db/main")).await.unwrap();
    assert_eq!(v, json!({"host": "db", "port": 5432}));
}

#[tokio::test]
async fn typed_get_and_references() {
    #[derive(Deserialize, Debug, PartialEq)]
    struct Db {
        host: String,
    }
    let server = server().await;
    call(
        "GET",
        "/api/w/ws/resources/get_value_interpolated/f/db/main",
    )
    .respond_with(json(200, json!({"host": "db"})))
    .expect(3)
    .mount(&server)
    .await;
    let wm = client(&server);
    let db: Db = wm.get_resource_as(&p("f/db/main")).await.unwrap();
    assert_eq!(db.host, "db");
    assert_eq!(
        wm.get_resource_ref("$res:f/db/main").await.unwrap()["host"],
        "db"
    );
    assert_eq!(
        wm.get_resource_ref("res://f/db/main").await.unwrap()["host"],
        "db"
    );
}

#[tokio::test]
async fn raw_get_is_not_interpolated() {
    let server = server().await;
    call("GET", "/api/w/ws/resources/get_value/f/db/main")
        .and(exact_query(&[]))
        .respond_with(json(200, json!({"password": "$var:f/db/pw"})))
        .expect(1)
        .mount(&server)
        .await;
    let v = client(&server)
        .get_resource_raw(&p("f/db/main"))
        .await
        .unwrap();
    assert_eq!(v["password"], "$var:f/db/pw");
}

#[tokio::test]
async fn missing_resource_is_not_found() {
    let server = server().await;
    call(
        "GET",
        "/api/w/ws/resources/get_value_interpolated/f/db/none",
    )
    .respond_with(text(404, "Not found: Resource not found at name f/db/none"))
    .mount(&server)
    .await;
    let wm = client(&server);
    let err = wm.get_resource(&p("f/db/none")).await.unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { kind: ItemKind::Resource, path } if path == "f/db/none")
    );
    assert_eq!(wm.get_resource_opt(&p("f/db/none")).await.unwrap(), None);
}

#[tokio::test]
async fn set_resource_creates_with_type() {
    let server = server().await;
    call("GET", "/api/w/ws/resources/exists/f/db/new")
        .respond_with(json(200, json!(false)))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/resources/create")
        .and(exact_query(&[]))
        .and(json_body(
            json!({"path": "f/db/new", "value": {"host": "h"}, "resource_type": "postgresql"}),
        ))
        .respond_with(text(201, "f/db/new"))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .set_resource(&p("f/db/new"), &json!({"host": "h"}), "postgresql")
        .await
        .unwrap();
}

#[tokio::test]
async fn set_resource_updates_the_value_only() {
    let server = server().await;
    call("GET", "/api/w/ws/resources/exists/f/db/main")
        .respond_with(json(200, json!(true)))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/resources/update_value/f/db/main")
        .and(exact_query(&[]))
        .and(json_body(json!({"value": [1, 2]})))
        .respond_with(text(200, "updated"))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .set_resource(&p("f/db/main"), &json!([1, 2]), "postgresql")
        .await
        .unwrap();
}

#[tokio::test]
async fn delete_resource() {
    let server = server().await;
    call("DELETE", "/api/w/ws/resources/delete/f/db/main")
        .and(exact_query(&[]))
        .respond_with(text(200, "deleted"))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .delete_resource(&p("f/db/main"))
        .await
        .unwrap();
}

#[tokio::test]
async fn list_resources_with_type_filter_and_paging() {
    let server = server().await;
    call("GET", "/api/w/ws/resources/list")
        .and(exact_query(&[
            ("resource_type", "postgresql,mysql"),
            ("path_start", "f/db/"),
            ("page", "3"),
            ("per_page", "50"),
        ]))
        .respond_with(json(
            200,
            json!([{"workspace_id": "ws", "path": "f/db/main", "resource_type": "postgresql", "value": {"host": "h"}, "description": "main db", "is_oauth": false}]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let list = client(&server)
        .list_resources(
            &ListResources::new()
                .resource_type("postgresql,mysql")
                .path_start("f/db/")
                .page(3, 50),
        )
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].path.as_str(), "f/db/main");
    assert_eq!(list[0].resource_type, "postgresql");
    assert_eq!(list[0].value, Some(json!({"host": "h"})));
}

#[tokio::test]
async fn state_at_default_path_from_env() {
    let server = server().await;
    call(
        "GET",
        "/api/w/ws/resources/get_value_interpolated/u/alice/state",
    )
    .respond_with(text(
        404,
        "Not found: Resource not found at name u/alice/state",
    ))
    .up_to_n_times(1)
    .expect(1)
    .mount(&server)
    .await;
    call("GET", "/api/w/ws/resources/exists/u/alice/state")
        .respond_with(json(200, json!(false)))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/resources/create")
        .and(json_body(
            json!({"path": "u/alice/state", "value": {"cursor": 3}, "resource_type": "state"}),
        ))
        .respond_with(text(201, "u/alice/state"))
        .expect(1)
        .mount(&server)
        .await;
    let wm = builder(&server)
        .with_config(wmill_http::WmillConfigKey::StatePath, "u/alice/old")
        .with_config(wmill_http::WmillConfigKey::StatePathNew, "u/alice/state")
        .build()
        .unwrap();
    assert_eq!(wm.get_state().await.unwrap(), None, "missing state is None");
    wm.set_state(&json!({"cursor": 3})).await.unwrap();
}

#[tokio::test]
async fn state_at_explicit_path() {
    let server = server().await;
    call("GET", "/api/w/ws/resources/get_value_interpolated/f/x/st")
        .respond_with(json(200, json!([1, 2])))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", "/api/w/ws/resources/exists/f/x/st")
        .respond_with(json(200, json!(true)))
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/resources/update_value/f/x/st")
        .and(json_body(json!({"value": null})))
        .respond_with(text(200, "ok"))
        .expect(1)
        .mount(&server)
        .await;
    let wm = client(&server);
    assert_eq!(
        wm.get_state_at(&p("f/x/st")).await.unwrap(),
        Some(json!([1, 2]))
    );
    wm.set_state_at(&p("f/x/st"), &serde_json::Value::Null)
        .await
        .unwrap();
}

#[tokio::test]
async fn state_without_a_path_is_not_configured() {
    let server = server().await;
    let err = client(&server).get_state().await.unwrap_err();
    assert!(
        matches!(&err, Error::NotConfigured { what: "state path", hint } if hint.contains("WM_STATE_PATH_NEW")),
        "{err}"
    );
}
