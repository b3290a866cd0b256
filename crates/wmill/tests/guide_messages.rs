//! The messages that docs/guide.md shows under "When something goes wrong" are the real
//! ones: each mistake is made here, and its message must appear in the guide word for word
//! (the server's port, the job id and the length of the timeout replaced by the guide's).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};
use wmill::http::{RetryConfig, Windmill};
use wmill::{Client, InMemory};

const GUIDE: &str = include_str!("../../../docs/guide.md");
const GUIDE_SERVER: &str = "http://127.0.0.1:8000";

/// Fails unless the guide shows `message` as a line of its own.
#[track_caller]
fn assert_in_guide(message: &str) {
    assert!(
        GUIDE.lines().any(|line| line == message),
        "docs/guide.md does not show this message:\n{message}"
    );
}

fn windmill(base: &str, workspace: &str) -> Client {
    Client::windmill(
        Windmill::builder()
            .with_base_url(base)
            .with_token("tok-SECRET")
            .with_workspace(workspace)
            .with_retry(RetryConfig::disabled())
            .with_request_timeout(Duration::from_millis(200))
            .build()
            .unwrap(),
    )
}

#[tokio::test]
async fn no_server_at_the_configured_address() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = wmill::with_client(windmill(&base, "demo"), async {
        wmill::get_variable("u/alice/key").await.unwrap_err()
    })
    .await;
    assert_in_guide(&err.to_string().replace(&base, GUIDE_SERVER));
}

#[tokio::test]
async fn a_server_that_does_not_answer_in_time() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/w/demo/variables/get_value/u/alice/key"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let err = wmill::with_client(windmill(&server.uri(), "demo"), async {
        wmill::get_variable("u/alice/key").await.unwrap_err()
    })
    .await;
    let message = err
        .to_string()
        .replace(&server.uri(), GUIDE_SERVER)
        .replace("(after 200ms)", "(after 30s)");
    assert_in_guide(&message);
}

#[tokio::test]
async fn a_wrong_workspace() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/w/tset/variables/get_value/f/bench/var1"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_string("Not found: Variable not found at name f/bench/var1"),
        )
        .mount(&server)
        .await;
    let err = wmill::with_client(windmill(&server.uri(), "tset"), async {
        wmill::get_variable("f/bench/var1").await.unwrap_err()
    })
    .await;
    assert_in_guide(&err.to_string());
}

#[tokio::test]
async fn an_answer_that_is_not_what_was_expected() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(
            "/api/w/demo/resources/get_value_interpolated/f/db/main",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>gateway login page</html>"))
        .mount(&server)
        .await;
    let err = wmill::with_client(windmill(&server.uri(), "demo"), async {
        wmill::get_resource("f/db/main").await.unwrap_err()
    })
    .await;
    assert_in_guide(&err.to_string().replace(&server.uri(), GUIDE_SERVER));
}

#[tokio::test]
async fn a_resource_that_does_not_fit_the_type() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Db {
        host: String,
        port: u16,
    }
    let memory = InMemory::new()
        .with_resource(
            "f/db/main",
            json!({"host": "db", "port": "5432"}),
            "postgresql",
        )
        .unwrap();
    let err = wmill::with_client(Client::new(memory), async {
        wmill::get_resource_as::<Db>("f/db/main").await.unwrap_err()
    })
    .await;
    assert_in_guide(&err.to_string());
}

#[test]
fn a_path_without_its_owner() {
    let err = wmill::blocking::with_client(Client::new(InMemory::new()), || {
        wmill::blocking::get_variable("alice/key").unwrap_err()
    });
    assert_in_guide(&err.to_string());
}

#[test]
fn question_mark_on_json_and_file_errors() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Db {
        port: u16,
    }
    fn parse(text: &str) -> wmill::Result<Db> {
        Ok(serde_json::from_str(text)?)
    }
    fn read(path: &std::path::Path) -> wmill::Result<String> {
        Ok(std::fs::read_to_string(path)?)
    }
    let err = parse(r#"{"port": "5432"}"#).unwrap_err();
    assert_in_guide(&err.to_string());
    let dir = tempfile::tempdir().unwrap();
    let err = read(&dir.path().join("missing.json")).unwrap_err();
    assert_in_guide(&err.to_string());
}

#[test]
fn no_configuration_at_all() {
    let err = Client::from_vars(Vec::new()).unwrap_err();
    assert_in_guide(&err.to_string());
}

#[tokio::test]
async fn a_job_that_failed() {
    let memory = InMemory::new();
    memory
        .register_script("f/billing/invoice", |_| async {
            Err(json!({"name": "Error", "message": "the invoice has no customer"}))
        })
        .unwrap();
    let (id, err) = wmill::with_client(Client::new(memory), async {
        let id = wmill::run_script_by_path_async("f/billing/invoice", &json!({}))
            .await
            .unwrap();
        (id, wmill::wait_job(id, None).await.unwrap_err())
    })
    .await;
    let message = err
        .to_string()
        .replace(&id.to_string(), "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12");
    assert_in_guide(&message);
}
