//! One way to pass the configured client: `wmill::Client` is a `Backend`, so code written
//! against the traits takes `&*wmill::client()?` (mock-file overlay and S3 included), and the
//! extension traits take string paths and default options.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};
use wmill::bytes::Bytes;
use wmill::prelude::*;
use wmill::{Client, InMemory, MockJobRunner, MockVariableStore, S3Client, S3Object};

#[derive(Debug, Deserialize, PartialEq)]
struct Rate {
    percent: f64,
}

/// Code written against the traits, with the string-path conveniences of the extension traits
/// (no `ItemPath::parse`, `to_args` or `RunOptions::new()`).
async fn make_invoice(backend: &dyn Backend, customer: &str) -> wmill::Result<Value> {
    let prefix: String = backend.get_variable_as("f/billing/prefix").await?;
    let rate: Rate = backend.get_resource_as("f/billing/tax").await?;
    let net: f64 = backend
        .run_script_by_path_as("f/billing/net", &json!({ "customer": customer }), None)
        .await?;
    let count: u64 = backend.get_state_as().await?.unwrap_or(0);
    backend.set_state_from(&(count + 1)).await?;
    Ok(json!({
        "number": format!("{prefix}-{}", count + 1),
        "total": net * (1.0 + rate.percent / 100.0),
    }))
}

fn seeded() -> InMemory {
    let memory = InMemory::new()
        .with_variable("f/billing/prefix", "INV")
        .unwrap()
        .with_resource("f/billing/tax", json!({"percent": 20.0}), "tax")
        .unwrap();
    memory
        .register_script("f/billing/net", |_| async { Ok(json!(100.0)) })
        .unwrap();
    memory
}

#[tokio::test]
async fn the_configured_client_is_a_backend() {
    let invoice = wmill::with_client(Client::new(seeded()), async {
        make_invoice(&*wmill::client()?, "ada").await
    })
    .await
    .unwrap();
    assert_eq!(invoice, json!({"number": "INV-1", "total": 120.0}));
    // A client is also a Backend by value, and behind an Arc.
    let client = Arc::new(Client::new(seeded()));
    let as_dyn: Arc<dyn Backend> = client.clone();
    make_invoice(&*as_dyn, "bob").await.unwrap();
    let invoice = make_invoice(client.as_ref(), "bob").await.unwrap();
    assert_eq!(invoice["number"], "INV-2");
}

#[tokio::test]
async fn the_mock_file_overlay_comes_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mocked-api.json");
    std::fs::write(
        &file,
        json!({
            "variables": {"f/billing/prefix": "FILE"},
            "resources": {"f/billing/tax": {"percent": 10.0}}
        })
        .to_string(),
    )
    .unwrap();
    let client =
        Client::from_vars([("WM_MOCKED_API_FILE".to_owned(), file.display().to_string())]).unwrap();
    // What the file holds, through the traits.
    assert_eq!(
        client
            .get_variable_as::<String>("f/billing/prefix")
            .await
            .unwrap(),
        "FILE"
    );
    let rate: Rate = client.get_resource_as("f/billing/tax").await.unwrap();
    assert_eq!(rate, Rate { percent: 10.0 });
    // Writes go to the mock, as with the module-level functions: kept in memory (as Python
    // keeps them) unless WMILL_MOCKED_API_PERSIST asks for the file.
    client
        .set_variable_from("u/ci/last_invoice", "FILE-7")
        .await
        .unwrap();
    assert_eq!(
        client
            .get_variable_as::<String>("u/ci/last_invoice")
            .await
            .unwrap(),
        "FILE-7"
    );
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["variables"]["u/ci/last_invoice"], Value::Null);
}

#[tokio::test]
async fn s3_comes_with_it() {
    let store = Arc::new(wmill::s3::object_store::memory::InMemory::new());
    let client = Client::new(seeded()).with_s3(S3Client::from_store(store));
    /// Code that needs files as well takes the client itself.
    async fn archive(client: &Client) -> wmill::Result<S3Object> {
        let invoice = make_invoice(client, "ada").await?;
        client
            .s3()?
            .write_s3_file(None, invoice.to_string(), &Default::default())
            .await
    }
    let written = archive(&client).await.unwrap();
    let bytes: Bytes = client.s3().unwrap().load_s3_file(&written).await.unwrap();
    let stored: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(stored["number"], "INV-1");
}

#[tokio::test]
async fn a_missing_capability_is_not_configured() {
    let client = Client::builder()
        .variables(Arc::new(InMemory::new()))
        .build();
    let err = client
        .run_script_by_path_as::<_, Value>("f/billing/net", &json!({}), None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, wmill::Error::NotConfigured { what: "jobs", .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn string_paths_are_checked_before_the_backend_is_asked() {
    // Mocks without expectations: any call would panic.
    let vars = MockVariableStore::new();
    let err = vars
        .get_variable_as::<String>("billing/prefix")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            wmill::Error::InvalidInput {
                what: "item path",
                ..
            }
        ),
        "{err:?}"
    );
    let err = vars
        .set_variable_from("billing/prefix", "x")
        .await
        .unwrap_err();
    assert!(matches!(err, wmill::Error::InvalidInput { .. }), "{err:?}");
    let jobs = MockJobRunner::new();
    let err = jobs
        .run_script_by_path_as::<_, Value>("billing/net", &json!({}), None)
        .await
        .unwrap_err();
    assert!(matches!(err, wmill::Error::InvalidInput { .. }), "{err:?}");
    let err = jobs
        .run_flow_as::<_, Value>("f/billing/flow", &json!([1, 2]), None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            wmill::Error::InvalidInput {
                what: "job arguments",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn default_options_are_the_defaults_and_given_ones_are_passed_on() {
    let mut jobs = MockJobRunner::new();
    jobs.expect_run_script_by_path()
        .withf(|p, _, o| p.as_str() == "f/billing/net" && *o == RunOptions::new())
        .times(1)
        .returning(|_, _, _| Ok(json!(1)));
    jobs.expect_run_script_by_path()
        .withf(|_, _, o| o.tag.as_deref() == Some("gpu"))
        .times(1)
        .returning(|_, _, _| Ok(json!(2)));
    let n: u32 = jobs
        .run_script_by_path_as("f/billing/net", &json!({}), None)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let n: u32 = jobs
        .run_script_by_path_as("f/billing/net", &json!({}), &RunOptions::new().tag("gpu"))
        .await
        .unwrap();
    assert_eq!(n, 2);
}

#[tokio::test]
async fn variable_values_parse_into_types_without_showing_them() {
    let vars = InMemory::new()
        .with_variable("f/app/port", "hunter2")
        .unwrap();
    let err = vars.get_variable_as::<u16>("f/app/port").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not decode the variable f/app/port: the value is not a valid u16 (not shown: it may be a secret)"
    );
    assert!(!format!("{err:?}").contains("hunter2"));
    vars.set_variable_from("f/app/port", &8080).await.unwrap();
    assert_eq!(
        vars.get_variable_as::<u16>("f/app/port").await.unwrap(),
        8080
    );
}
