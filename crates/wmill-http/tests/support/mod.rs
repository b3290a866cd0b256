//! Shared helpers of the wiremock tests: a client pointed at a mock server, matchers for the
//! auth header and the exact query string, and server-like responses.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::time::Duration;

use serde_json::Value;
use wiremock::matchers::{any, header};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};
use wmill_http::{RetryConfig, Windmill, WindmillBuilder};

pub const TOKEN: &str = "tok-SECRET-0123456789";
pub const WS: &str = "ws";
pub const JOB: &str = "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12";
pub const ROOT: &str = "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e99";
pub const FLOW_JOB: &str = "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e55";

/// A mock server with a catch-all that names the request nobody expected.
pub async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(|req: &Request| {
            ResponseTemplate::new(599).set_body_string(format!(
                "unexpected request: {} {}?{}",
                req.method,
                req.url.path(),
                req.url.query().unwrap_or("")
            ))
        })
        .with_priority(u8::MAX)
        .mount(&server)
        .await;
    server
}

/// A builder pointed at `server` (fast retries).
pub fn builder(server: &MockServer) -> WindmillBuilder {
    Windmill::builder()
        .with_base_url(server.uri())
        .with_token(TOKEN)
        .with_workspace(WS)
        .with_retry(
            RetryConfig::default()
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(20)),
        )
}

/// A client pointed at `server`, outside a job.
pub fn client(server: &MockServer) -> Windmill {
    builder(server).build().unwrap()
}

/// A client pointed at `server`, inside a job (`WM_JOB_ID`, `WM_ROOT_FLOW_JOB_ID`,
/// `WM_FLOW_JOB_ID`, `WM_STATE_PATH_NEW`).
pub fn job_client(server: &MockServer) -> Windmill {
    builder(server)
        .with_job_id(JOB)
        .with_root_flow_job_id(ROOT)
        .with_flow_job_id(FLOW_JOB)
        .with_state_path("u/alice/state")
        .build()
        .unwrap()
}

/// `method` + `path` + the auth header.
pub fn call(method: &str, path: &str) -> MockBuilder {
    Mock::given(wiremock::matchers::method(method))
        .and(wiremock::matchers::path(path))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
}

/// Matches when the query string holds exactly these pairs (any order).
pub fn exact_query(pairs: &[(&str, &str)]) -> impl Fn(&Request) -> bool + Send + Sync + 'static {
    let mut expected: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    expected.sort();
    move |req: &Request| {
        let mut got: Vec<(String, String)> = req
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        got.sort();
        got == expected
    }
}

/// Matches a JSON request body exactly, with a JSON content type.
pub fn json_body(expected: Value) -> impl Fn(&Request) -> bool + Send + Sync + 'static {
    move |req: &Request| {
        let ct_ok = req
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/json"));
        ct_ok && serde_json::from_slice::<Value>(&req.body).ok().as_ref() == Some(&expected)
    }
}

/// A JSON answer.
pub fn json(status: u16, v: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(v)
}

/// A text answer, as the server's errors and text endpoints send it.
pub fn text(status: u16, t: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_string(t)
        .insert_header("content-type", "text/plain; charset=utf-8")
}

/// The server's `get_result_maybe` answer for a job that has not completed.
pub fn not_completed() -> ResponseTemplate {
    json(
        200,
        serde_json::json!({"started": true, "success": null, "completed": false, "result": null}),
    )
}

/// The server's `get_result_maybe` answer for a completed job.
pub fn completed(success: bool, result: Value) -> ResponseTemplate {
    json(
        200,
        serde_json::json!({"started": true, "success": success, "completed": true, "result": result}),
    )
}

/// The requests the server received on `path`.
pub async fn received(server: &MockServer, path: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == path)
        .collect()
}

/// A client pointed at `server`, outside a job, whose synchronous runs always hold
/// `run_wait_result` (`ServerWait::Always`: first runs included).
pub fn always_client(server: &MockServer) -> Windmill {
    builder(server)
        .with_wait_tuning(
            wmill_http::WaitTuning::default().server_wait(wmill_http::ServerWait::Always),
        )
        .build()
        .unwrap()
}

/// [`job_client`] with `ServerWait::Always`.
pub fn always_job_client(server: &MockServer) -> Windmill {
    builder(server)
        .with_job_id(JOB)
        .with_root_flow_job_id(ROOT)
        .with_flow_job_id(FLOW_JOB)
        .with_state_path("u/alice/state")
        .with_wait_tuning(
            wmill_http::WaitTuning::default().server_wait(wmill_http::ServerWait::Always),
        )
        .build()
        .unwrap()
}
