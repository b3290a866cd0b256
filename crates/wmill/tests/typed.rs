//! Typed results everywhere the umbrella's functions are: `run_script_by_path_as`,
//! `run_flow_as`, `wait_job_as`, `get_result_as`, async and blocking.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wmill::{Client, Error, InMemory};

#[derive(Serialize)]
struct Order {
    items: u32,
    unit_price: f64,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Invoice {
    total: f64,
}

fn client() -> Client {
    let memory = InMemory::new();
    memory
        .register_script("f/billing/invoice", |args| async move {
            let field = |k: &str| args.get(k).and_then(Value::as_f64).unwrap_or(0.0);
            let total = field("items") * field("unit_price");
            Ok(json!({ "total": total }))
        })
        .unwrap();
    memory
        .register_flow("f/billing/monthly", |args| async move {
            let items = args.get("items").and_then(Value::as_f64).unwrap_or(0.0);
            Ok(json!({ "total": items * 10.0 }))
        })
        .unwrap();
    memory
        .register_script("f/billing/text", |_| async { Ok(json!("not an invoice")) })
        .unwrap();
    Client::new(memory)
}

const ORDER: Order = Order {
    items: 3,
    unit_price: 2.5,
};

#[tokio::test]
async fn async_functions_return_typed_results() {
    wmill::with_client(client(), async {
        let invoice: Invoice = wmill::run_script_by_path_as("f/billing/invoice", &ORDER)
            .await
            .unwrap();
        assert_eq!(invoice, Invoice { total: 7.5 });
        let invoice = wmill::run_flow_as::<Invoice>("f/billing/monthly", &json!({"items": 2}))
            .await
            .unwrap();
        assert_eq!(invoice.total, 20.0);

        let id = wmill::run_script_by_path_async("f/billing/invoice", &ORDER)
            .await
            .unwrap();
        let waited: Invoice = wmill::wait_job_as(id, Some(Duration::from_secs(5)))
            .await
            .unwrap();
        assert_eq!(waited.total, 7.5);
        let again = wmill::get_result_as::<Invoice>(id.to_string()).await.unwrap();
        assert_eq!(again, waited);
        // Any other type: the value as it is.
        let raw: Value = wmill::get_result_as(id).await.unwrap();
        assert_eq!(raw, json!({"total": 7.5}));

        // A result that is not an invoice: a decode error naming the script.
        let err = wmill::run_script_by_path_as::<Invoice>("f/billing/text", &json!({}))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            "could not decode the result of f/billing/text: invalid type: string \"not an invoice\", \
             expected struct Invoice (body starts with \"\\\"not an invoice\\\"\")"
        );
        let id = wmill::run_script_by_path_async("f/billing/text", &json!({}))
            .await
            .unwrap();
        let err = wmill::wait_job_as::<Invoice>(id, None).await.unwrap_err();
        assert!(
            err.to_string()
                .starts_with(&format!("could not decode the result of job {id}: ")),
            "{err}"
        );
        // Bad input before any job runs.
        let err = wmill::run_script_by_path_as::<Invoice>("billing/invoice", &ORDER)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
        let err = wmill::get_result_as::<Invoice>("not-a-job-id").await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    })
    .await;
}

#[test]
fn blocking_twins_return_typed_results() {
    wmill::blocking::with_client(client(), || {
        let invoice: Invoice =
            wmill::blocking::run_script_by_path_as("f/billing/invoice", &ORDER).unwrap();
        assert_eq!(invoice.total, 7.5);
        let invoice: Invoice =
            wmill::blocking::run_flow_as("f/billing/monthly", &json!({"items": 1})).unwrap();
        assert_eq!(invoice.total, 10.0);
        let id =
            wmill::blocking::run_flow_async("f/billing/monthly", &json!({"items": 4})).unwrap();
        let waited: Invoice = wmill::blocking::wait_job_as(id, None).unwrap();
        assert_eq!(waited.total, 40.0);
        let again: Invoice = wmill::blocking::get_result_as(id.to_string()).unwrap();
        assert_eq!(again, waited);
        let err = wmill::blocking::run_flow_as::<u32>("f/billing/monthly", &json!({})).unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    });
}
