//! The messages of the errors a newcomer meets first: each says what to fix (the server that
//! cannot be reached and why, the workspace an item was looked for in, the server that sent a
//! body that is not what was expected), never the token or a query string.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use serde_json::json;
use support::*;
use wmill_core::{Error, ItemKind, ItemPath, RemoteCause, ResourceStore, VariableStore};
use wmill_http::{RetryConfig, Windmill};

fn p(s: &str) -> ItemPath {
    ItemPath::parse(s).unwrap()
}

/// A base URL nobody listens on.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}")
}

#[tokio::test]
async fn no_server_running_names_the_host_and_connection_refused() {
    let base = closed_port();
    let wm = Windmill::builder()
        .with_base_url(&base)
        .with_token(TOKEN)
        .with_workspace("demo")
        .with_retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let e = wm.get_variable(&p("u/alice/key")).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "cannot connect to {base} (connection refused) on GET /api/w/demo/variables/get_value/u/alice/key"
        )
    );
    assert!(e.is_retryable());
    // The cause keeps the server and the underlying error for code that needs them.
    let Error::Transport { source, .. } = &e else {
        panic!("{e:?}")
    };
    let cause = source.downcast_ref::<RemoteCause>().unwrap();
    assert_eq!(cause.origin(), base);
    assert!(std::error::Error::source(cause).is_some());

    // A request with a query: neither the query nor the token appear, in Display or Debug.
    let e = wm
        .workspace_request(reqwest::Method::GET, "job_helpers/download_s3_file")
        .query("file_key", "private/report-2026.csv")
        .send_bytes()
        .await
        .unwrap_err();
    let shown = format!("{e}\n{e:?}\n{e:#?}");
    assert!(
        shown.starts_with(&format!(
            "cannot connect to {base} (connection refused) on GET /api/w/demo/job_helpers/download_s3_file\n"
        )),
        "{shown}"
    );
    for secret in [TOKEN, "file_key", "report-2026", "?"] {
        assert!(!shown.contains(secret), "{secret:?} in {shown}");
    }
}

#[tokio::test]
async fn an_unknown_host_names_the_host_and_the_dns_failure() {
    let wm = Windmill::builder()
        .with_base_url("http://windmill.invalid:8000")
        .with_token(TOKEN)
        .with_workspace("demo")
        .with_retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let e = wm.get_variable(&p("u/alice/key")).await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with("cannot connect to http://windmill.invalid:8000 (")
            && text.ends_with(") on GET /api/w/demo/variables/get_value/u/alice/key"),
        "{text}"
    );
    // The root cause, not reqwest's outer "error sending request".
    assert!(!text.contains("error sending request"), "{text}");
}

#[tokio::test]
async fn a_wrong_workspace_reads_as_such() {
    let server = server().await;
    call("GET", "/api/w/tset/variables/get_value/f/bench/var1")
        .respond_with(text(
            404,
            "Not found: Variable not found at name f/bench/var1",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let wm = builder(&server).with_workspace("tset").build().unwrap();
    let e = wm.get_variable(&p("f/bench/var1")).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        "variable not found: f/bench/var1 (in workspace \"tset\")"
    );
    // Matches as before.
    assert!(
        matches!(&e, Error::NotFound { kind: ItemKind::Variable, path } if path == "f/bench/var1"),
        "{e:?}"
    );
    // A request outside any workspace names none.
    call("GET", "/api/nothing/here")
        .respond_with(text(404, "Not found: nothing"))
        .mount(&server)
        .await;
    let e = wm
        .request(reqwest::Method::GET, "/nothing/here")
        .send_bytes()
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
    assert!(!e.to_string().contains("workspace"), "{e}");
}

#[tokio::test]
async fn an_html_page_names_the_server_and_the_decoder_reason() {
    let server = server().await;
    call(
        "GET",
        "/api/w/ws/resources/get_value_interpolated/f/db/main",
    )
    .respond_with(text(200, "<html>gateway login page</html>"))
    .mount(&server)
    .await;
    let e = client(&server)
        .get_resource(&p("f/db/main"))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "could not decode the answer of {} to GET /api/w/ws/resources/get_value_interpolated/f/db/main: \
             expected value at line 1 column 1 (body starts with \"<html>gateway login page</html>\")",
            server.uri()
        )
    );
}

#[tokio::test]
async fn a_silent_server_names_the_host_and_the_timeout() {
    let server = server().await;
    call("GET", "/api/w/ws/variables/get_value/u/alice/k")
        .respond_with(json(200, json!("late")).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let wm = builder(&server)
        .with_request_timeout(Duration::from_millis(100))
        .with_retry(RetryConfig::disabled())
        .build()
        .unwrap();
    let e = wm.get_variable(&p("u/alice/k")).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "timed out waiting for {}: no complete answer within the request timeout (after 100ms) \
             on GET /api/w/ws/variables/get_value/u/alice/k",
            server.uri()
        )
    );
    assert!(e.is_timeout());
}

#[tokio::test]
async fn an_answer_over_the_limit_names_the_host_and_the_setting() {
    let server = server().await;
    call("GET", "/api/w/ws/variables/get_value/u/alice/k")
        .respond_with(json(200, json!("x".repeat(2_000))))
        .mount(&server)
        .await;
    let wm = builder(&server)
        .with_max_response_bytes(1_000)
        .build()
        .unwrap();
    let e = wm.get_variable(&p("u/alice/k")).await.unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "the answer of {} is larger than the limit of 1000 bytes \
             (WindmillBuilder::with_max_response_bytes raises it) on GET /api/w/ws/variables/get_value/u/alice/k",
            server.uri()
        )
    );
    assert!(!e.is_retryable());
}
