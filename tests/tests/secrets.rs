//! The token never appears in `Debug` / `Display` of the client types, in any error of the
//! failing paths of the reliability suite, or in the logs (every target, `TRACE` level); secret
//! variable values are not logged either.
//!
//! One test drives every failing path (HTTP faults, bad input, waits, S3) with a token that is
//! easy to search for, keeps every error, and then searches the errors (`Display`, `Debug`, the
//! whole `source()` chain) and the captured logs. The requests did carry the token (checked),
//! so the test is not vacuous.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use wmill_core::{
    Error, ItemPath, JobId, JobRunner, ResourceStore, RunOptions, SetVariableOptions,
    VariableStore, WaitOptions, WaitStrategy,
};
use wmill_http::{RetryConfig, Windmill, WindmillBuilder};
use wmill_s3::{S3Client, S3Object, WriteOptions};
use wmill_tests::faults::{CutProxy, FaultServer, LogCapture, ProxyMode, Reply, SseEnd};
use wmill_tests::s3_server::S3TestServer;

/// A server-signed-looking job token (`jwt_` prefix, a signature after the last `.`).
const TOKEN: &str = "jwt_SECRETHEADER.SECRETPAYLOAD-7c1f.SECRETSIG-d41d8c";
/// Parts of it that must not show up either.
const TOKEN_PARTS: &[&str] = &["SECRETSIG-d41d8c", "SECRETPAYLOAD-7c1f"];
const SECRET_VALUE: &str = "secret-variable-value-0f9e8d";

fn client(server: &FaultServer) -> Windmill {
    Windmill::builder()
        .with_base_url(server.base_url())
        .with_token(TOKEN)
        .with_workspace("ws")
        .with_request_timeout(Duration::from_millis(150))
        .with_connect_timeout(Duration::from_millis(300))
        .with_retry(
            RetryConfig::default()
                .max_retries(1)
                .initial_backoff(Duration::from_millis(5))
                .max_backoff(Duration::from_millis(10)),
        )
        .build()
        .unwrap()
}

/// `Display`, `Debug` and every source of an error, as text.
fn describe(e: &Error) -> String {
    let mut text = format!("{e}\n{e:?}\n{e:#?}");
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!("\n{s}\n{s:?}"));
        source = s.source();
    }
    text
}

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(TOKEN), "{what} leaks the token:\n{text}");
    for part in TOKEN_PARTS {
        assert!(
            !text.contains(part),
            "{what} leaks part of the token:\n{text}"
        );
    }
    assert!(
        !text.contains(SECRET_VALUE),
        "{what} leaks a secret value:\n{text}"
    );
}

#[test]
fn debug_of_client_and_builder_hides_the_token() {
    let b = WindmillBuilder::new()
        .with_base_url("http://127.0.0.1:1")
        .with_token(TOKEN)
        .with_workspace("ws");
    assert_clean("WindmillBuilder Debug", &format!("{b:?} {b:#?}"));
    let wm = b.build().unwrap();
    assert_clean("Windmill Debug", &format!("{wm:?} {wm:#?}"));
    let conn = wmill_s3::WindmillConnection::from_http_client(&wm).unwrap();
    assert_clean("WindmillConnection Debug", &format!("{conn:?} {conn:#?}"));
    let s3 = S3Client::from_windmill(conn, Default::default());
    assert_clean("S3Client Debug", &format!("{s3:?} {s3:#?}"));
    assert_eq!(wm.expose_token(), TOKEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_failing_path_leaks_the_token_or_secret_values() {
    let logs = LogCapture::global();
    let mut errors: Vec<(String, Error)> = Vec::new();

    // --- HTTP faults on reads, writes and starts.
    let faults: Vec<(&str, Reply)> = vec![
        ("500", Reply::status(500, "Internal: boom")),
        ("502", Reply::status(502, "bad gateway")),
        ("503", Reply::status(503, "unavailable")),
        ("504", Reply::status(504, "gateway timeout")),
        ("429", Reply::status(429, "slow").header("retry-after", "0")),
        ("429 no Retry-After", Reply::status(429, "slow")),
        ("401", Reply::status(401, "Not authorized: bad token")),
        ("403", Reply::status(403, "Forbidden")),
        ("404", Reply::status(404, "Not found: Variable not found")),
        ("close", Reply::CloseBeforeResponse),
        (
            "close mid body",
            Reply::CloseMidBody {
                status: 200,
                content_length: 99,
                sent: "\"x".into(),
            },
        ),
        (
            "truncated chunked",
            Reply::TruncatedChunked {
                status: 200,
                chunk: "{\"a\":".into(),
            },
        ),
        (
            "stall headers",
            Reply::StallHeaders(Duration::from_secs(10)),
        ),
        (
            "stall body",
            Reply::StallBody {
                status: 200,
                content_length: 99,
                sent: "\"x".into(),
                stall: Duration::from_secs(10),
            },
        ),
        (
            "malformed",
            Reply::raw(200, "application/json", "{\"a\": ["),
        ),
        ("empty", Reply::raw(200, "application/json", "")),
        (
            "huge",
            Reply::raw(200, "application/json", vec![b'['; 5 << 20]),
        ),
    ];
    let var = ItemPath::parse("u/alice/key").unwrap();
    let script = ItemPath::parse("u/alice/job").unwrap();
    // The scenarios run concurrently (each on its own server) to keep the test short.
    let runs = faults.into_iter().map(|(name, reply)| {
        let (var, script) = (var.clone(), script.clone());
        async move {
            let mut errors: Vec<(String, Error)> = Vec::new();
            let server = FaultServer::start().await;
            server.set_fallback(reply);
            let wm = client(&server);
            if let Err(e) = wm.get_variable(&var).await {
                errors.push((format!("get_variable {name}"), e));
            }
            if let Err(e) = wm.get_resource(&var).await {
                errors.push((format!("get_resource {name}"), e));
            }
            if let Err(e) = wm
                .set_variable(&var, SECRET_VALUE, &SetVariableOptions::new().secret(true))
                .await
            {
                errors.push((format!("set_variable {name}"), e));
            }
            if let Err(e) = wm
                .run_script_by_path_async(&script, Default::default(), &RunOptions::new())
                .await
            {
                errors.push((format!("run {name}"), e));
            }
            if let Err(e) = wm.get_result(&JobId::new_random()).await {
                errors.push((format!("get_result {name}"), e));
            }
            // The requests carried the token: the search below is meaningful.
            let reqs = server.requests();
            assert!(!reqs.is_empty(), "{name}");
            assert!(reqs.iter().all(|r| {
                r.headers
                    .iter()
                    .any(|(k, v)| k == "authorization" && v == &format!("Bearer {TOKEN}"))
            }));
            errors
        }
    });
    for errs in futures::future::join_all(runs).await {
        errors.extend(errs);
    }

    // --- Waits: a stream that stops, a stalled stream hitting the timeout.
    let server = FaultServer::start().await;
    server.on(
        "getupdate_sse",
        Reply::Sse {
            events: vec![r#"{"type":"ping"}"#.into()],
            end: SseEnd::Stall(Duration::from_secs(10)),
        },
    );
    server.on(
        "get_result_maybe",
        Reply::json(
            200,
            &json!({"started": true, "completed": false, "success": null, "result": null}),
        ),
    );
    server.on(
        "queue/cancel",
        Reply::status(500, "Internal: cannot cancel"),
    );
    let wm = client(&server);
    let wait = WaitOptions::new()
        .timeout(Duration::from_millis(600))
        .strategy(WaitStrategy::ServerEvents);
    errors.push((
        "wait timeout".into(),
        wm.wait_job(&JobId::new_random(), &wait).await.unwrap_err(),
    ));
    server.clear_rules();
    server.on(
        "get_result_maybe",
        Reply::json(200, &json!({"started": true, "completed": true, "success": false, "result": {"error": {"name": "E", "message": "job failed"}}})),
    );
    errors.push((
        "job failed".into(),
        wm.wait_job(&JobId::new_random(), &WaitOptions::new())
            .await
            .unwrap_err(),
    ));

    // --- Connection refused.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let refused = Windmill::builder()
        .with_base_url(format!("http://{addr}"))
        .with_token(TOKEN)
        .with_workspace("ws")
        .with_retry(RetryConfig::disabled())
        .build()
        .unwrap();
    errors.push((
        "refused".into(),
        refused.get_variable(&var).await.unwrap_err(),
    ));

    // --- Bad input and configuration.
    for p in ["", "u/../x", "u/a/b\n"] {
        errors.push((format!("path {p:?}"), ItemPath::parse(p).unwrap_err()));
    }
    errors.push(("job id".into(), JobId::parse("not-a-uuid").unwrap_err()));
    for url in ["ftp://h", "not a url"] {
        errors.push((
            format!("url {url}"),
            Windmill::builder()
                .with_base_url(url)
                .with_token(TOKEN)
                .with_workspace("ws")
                .build()
                .unwrap_err(),
        ));
    }
    errors.push((
        "workspace".into(),
        Windmill::builder()
            .with_base_url("http://h")
            .with_token(TOKEN)
            .with_workspace("bad ws")
            .build()
            .unwrap_err(),
    ));
    errors.push((
        "token with a newline".into(),
        Windmill::builder()
            .with_base_url("http://h")
            .with_token(format!("{TOKEN}\n"))
            .with_workspace("ws")
            .build()
            .unwrap_err(),
    ));

    // --- S3 through Windmill (the S3 proxy credentials derive from the token) and S3 faults.
    let server = FaultServer::start().await;
    server.set_fallback(Reply::status(500, "Internal: no storage"));
    let wm = client(&server);
    let conn = wmill_s3::WindmillConnection::from_http_client(&wm).unwrap();
    let s3w = S3Client::from_windmill(conn, Default::default());
    let obj = S3Object::new("a/b.txt").unwrap();
    if let Err(e) = s3w.load_s3_file(&obj).await {
        errors.push(("s3 via windmill load".into(), e));
    }
    if let Err(e) = s3w
        .write_s3_file(Some(&obj), "x", &WriteOptions::new())
        .await
    {
        errors.push(("s3 via windmill write".into(), e));
    }
    assert_clean("S3Client (windmill) Debug", &format!("{s3w:?}"));

    let s3 = S3TestServer::start().await.unwrap();
    let proxy = CutProxy::start(s3.addr).await;
    proxy.set_mode(ProxyMode::CutDownload(100));
    let store = s3
        .builder()
        .with_endpoint(proxy.endpoint())
        .with_retry(object_store::RetryConfig {
            max_retries: 0,
            ..Default::default()
        })
        .build()
        .unwrap();
    let client_s3 = S3Client::from_store(Arc::new(store));
    if let Err(e) = client_s3
        .write_s3_file(Some(&obj), SECRET_VALUE, &WriteOptions::new())
        .await
    {
        errors.push(("s3 cut".into(), e));
    }
    if let Err(e) = client_s3.load_s3_file(&obj).await {
        errors.push(("s3 cut load".into(), e));
    }

    // --- A secret variable read and written successfully: its value is not logged.
    let server = FaultServer::start().await;
    server.on(
        "variables/get_value",
        Reply::json(200, &json!(SECRET_VALUE)),
    );
    server.on("variables/exists", Reply::json(200, &json!(false)));
    server.on("variables/create", Reply::status(201, "created"));
    let wm = client(&server);
    assert_eq!(wm.get_variable(&var).await.unwrap(), SECRET_VALUE);
    wm.set_variable(&var, SECRET_VALUE, &SetVariableOptions::new().secret(true))
        .await
        .unwrap();

    assert!(errors.len() > 60, "only {} failing calls", errors.len());
    for (what, e) in &errors {
        assert_clean(what, &describe(e));
    }
    let text = logs.text();
    assert!(
        !text.is_empty(),
        "nothing was logged: the capture is not working"
    );
    assert!(
        text.contains("windmill request"),
        "the client's logs were not captured"
    );
    assert_clean("the logs", &text);
}

/// A resource (or state) whose value does not fit the asked type: the decode error shows the
/// value's shape, never its values (a resource holds passwords once interpolated), through
/// the HTTP backend, `InMemory`, and a malformed mock file.
#[tokio::test]
async fn decode_errors_of_resources_and_state_show_no_values() {
    use wmill_core::{InMemory, ResourceStoreExt, StateStore, StateStoreExt};

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Pg {
        host: String,
        port: u16,
    }
    let value = json!({"host": "db", "port": "5432", "password": SECRET_VALUE});
    let path = ItemPath::parse("f/db/main").unwrap();

    let server = FaultServer::start().await;
    server.on("resources/get_value_interpolated", Reply::json(200, &value));
    let e = client(&server)
        .get_resource_as::<Pg>(&path)
        .await
        .unwrap_err();
    let text = describe(&e);
    assert_clean("a resource decode error (HTTP)", &text);
    assert!(
        text.contains("port"),
        "the error still names the shape: {text}"
    );

    let wm = InMemory::new()
        .with_variable("u/a/pw", SECRET_VALUE)
        .unwrap()
        .with_resource(
            "f/db/main",
            json!({"host": "db", "port": "x", "password": "$var:u/a/pw"}),
            "postgresql",
        )
        .unwrap();
    let e = wm.get_resource_as::<Pg>(&path).await.unwrap_err();
    assert_clean("a resource decode error (InMemory)", &describe(&e));
    wm.set_state(&json!({"token": SECRET_VALUE})).await.unwrap();
    let e = wm.get_state_as::<u32>().await.unwrap_err();
    assert_clean("a state decode error", &describe(&e));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mock.json");
    std::fs::write(
        &file,
        format!(r#"{{"variables": {{"u/a/pw": "{SECRET_VALUE}"}}, "resources": 12"#),
    )
    .unwrap();
    let e = InMemory::from_mock_file(&file).unwrap_err();
    assert_clean("a malformed mock file", &describe(&e));
}

/// Query strings carry object keys, presign signatures and other user data: no URL query
/// reaches a log line or an error, whatever fails (reqwest's own errors name the full URL; the
/// transport strips it). The marker sits in the query of every request sent here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_query_string_reaches_logs_or_errors() {
    const MARKER: &str = "QUERYSECRET-a91f";
    let logs = LogCapture::global();
    let mut errors: Vec<Error> = Vec::new();
    for reply in [
        Reply::CloseBeforeResponse,
        Reply::CloseMidBody {
            status: 200,
            content_length: 99,
            sent: "x".into(),
        },
        Reply::StallHeaders(Duration::from_secs(10)),
        Reply::status(503, "unavailable"),
    ] {
        let server = FaultServer::start().await;
        server.set_fallback(reply);
        let wm = client(&server);
        let conn = wmill_s3::WindmillConnection::from_http_client(&wm).unwrap();
        let s3 = S3Client::from_windmill(conn, wmill_s3::StorageAccess::Helpers);
        let obj = S3Object::new(format!("reports/{MARKER}.csv")).unwrap();
        errors.push(s3.load_s3_file(&obj).await.unwrap_err());
        errors.push(
            wm.workspace_request(wmill_http::reqwest::Method::GET, "variables/list")
                .query("path_start", MARKER)
                .idempotent()
                .send_empty()
                .await
                .unwrap_err(),
        );
        assert!(
            server.requests().iter().any(|r| r.target.contains(MARKER)),
            "the marker was sent"
        );
    }
    // The S3 call's span names its object as a field (`key="reports/<marker>.csv"`): the item
    // of the call, not a query string. Any other occurrence of the marker is a leak.
    let logged = logs
        .text()
        .replace(&format!("key=\"reports/{MARKER}.csv\""), "key=<the object>");
    assert!(
        logged.contains("windmill request"),
        "debug logs were captured"
    );
    assert!(!logged.contains(MARKER), "a query string reached the logs");
    for e in &errors {
        let text = describe(e);
        // The object's key may name the object in its own errors (it is the item), never as
        // part of a URL.
        assert!(
            !text.contains(&format!("file_key=reports%2F{MARKER}")),
            "{text}"
        );
        assert!(!text.contains(&format!("path_start={MARKER}")), "{text}");
    }
}
