//! Variables: every request asserted (method, path, query, auth header, body).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::json;
use support::*;
use wmill_core::{Error, ItemKind, ItemPath, ListVariables, SetVariableOptions, VariableStore};

fn p(s: &str) -> ItemPath {
    ItemPath::parse(s).unwrap()
}

#[tokio::test]
async fn get_variable_decodes_the_json_string() {
    let server = server().await;
    call("GET", "/api/w/ws/variables/get_value/u/alice/my%20key")
        .and(exact_query(&[]))
        .respond_with(json(200, json!("line \"1\"\nline \\2")))
        .expect(1)
        .mount(&server)
        .await;
    let v = client(&server)
        .get_variable(&p("u/alice/my key"))
        .await
        .unwrap();
    assert_eq!(v, "line \"1\"\nline \\2");
}

#[tokio::test]
async fn get_variable_by_reference() {
    let server = server().await;
    call("GET", "/api/w/ws/variables/get_value/f/team/key")
        .respond_with(json(200, json!("v")))
        .expect(2)
        .mount(&server)
        .await;
    let wm = client(&server);
    assert_eq!(wm.get_variable_ref("var://f/team/key").await.unwrap(), "v");
    assert_eq!(wm.get_variable_ref("$var:f/team/key").await.unwrap(), "v");
}

#[tokio::test]
async fn missing_variable_is_not_found() {
    let server = server().await;
    call("GET", "/api/w/ws/variables/get_value/u/alice/nope")
        .respond_with(text(
            404,
            "Not found: Variable not found at name u/alice/nope",
        ))
        .mount(&server)
        .await;
    let err = client(&server)
        .get_variable(&p("u/alice/nope"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { kind: ItemKind::Variable, path } if path == "u/alice/nope"),
        "{err:?}"
    );
}

#[tokio::test]
async fn set_variable_creates_when_missing() {
    let server = server().await;
    call("GET", "/api/w/ws/variables/exists/u/alice/k")
        .respond_with(json(200, json!(false)))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/variables/create")
        .and(exact_query(&[]))
        .and(json_body(json!({
            "path": "u/alice/k", "value": "s3cr3t", "is_secret": true, "description": "the key"
        })))
        .respond_with(text(201, "u/alice/k"))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .set_variable(
            &p("u/alice/k"),
            "s3cr3t",
            &SetVariableOptions::new()
                .secret(true)
                .description("the key"),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn set_variable_updates_when_present() {
    let server = server().await;
    call("GET", "/api/w/ws/variables/exists/u/alice/k")
        .respond_with(json(200, json!(true)))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/variables/update/u/alice/k")
        .and(exact_query(&[]))
        .and(json_body(json!({"value": "new"})))
        .respond_with(text(200, "updated"))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .set_variable(
            &p("u/alice/k"),
            "new",
            &SetVariableOptions::new().secret(true),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn set_variable_falls_back_to_update_when_a_create_races() {
    let server = server().await;
    call("GET", "/api/w/ws/variables/exists/u/alice/k")
        .respond_with(json(200, json!(false)))
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/variables/create")
        .respond_with(text(400, "Bad request: Variable u/alice/k already exists"))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/variables/update/u/alice/k")
        .and(json_body(json!({"value": "v"})))
        .respond_with(text(200, "updated"))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .set_variable(&p("u/alice/k"), "v", &SetVariableOptions::new())
        .await
        .unwrap();
}

#[tokio::test]
async fn delete_variable() {
    let server = server().await;
    call("DELETE", "/api/w/ws/variables/delete/u/alice/k")
        .and(exact_query(&[]))
        .respond_with(text(200, "deleted"))
        .expect(1)
        .mount(&server)
        .await;
    call("DELETE", "/api/w/ws/variables/delete/u/alice/gone")
        .respond_with(text(
            404,
            "Not found: Variable not found at name u/alice/gone",
        ))
        .mount(&server)
        .await;
    let wm = client(&server);
    wm.delete_variable(&p("u/alice/k")).await.unwrap();
    assert!(matches!(
        wm.delete_variable(&p("u/alice/gone")).await,
        Err(Error::NotFound {
            kind: ItemKind::Variable,
            ..
        })
    ));
}

#[tokio::test]
async fn list_variables_sends_filters_and_hides_secret_values() {
    let server = server().await;
    call("GET", "/api/w/ws/variables/list")
        .and(exact_query(&[("path_start", "u/alice/"), ("page", "2"), ("per_page", "10")]))
        .respond_with(json(
            200,
            json!([
                {"workspace_id": "ws", "path": "u/alice/a", "value": "plain", "is_secret": false, "description": "", "extra_perms": {}, "is_oauth": false},
                {"workspace_id": "ws", "path": "u/alice/b", "value": "leaked?", "is_secret": true, "description": "secret one"}
            ]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let list = client(&server)
        .list_variables(&ListVariables::new().path_start("u/alice/").page(2, 10))
        .await
        .unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].value.as_deref(), Some("plain"));
    assert!(list[1].is_secret);
    assert_eq!(list[1].value, None);
    assert_eq!(list[1].description.as_deref(), Some("secret one"));
}

#[tokio::test]
async fn list_variables_without_filters_sends_no_query() {
    let server = server().await;
    call("GET", "/api/w/ws/variables/list")
        .and(exact_query(&[]))
        .respond_with(json(200, json!([])))
        .expect(1)
        .mount(&server)
        .await;
    assert!(
        client(&server)
            .list_variables(&ListVariables::new())
            .await
            .unwrap()
            .is_empty()
    );
}
