//! HTTP fault injection: every fault of the reliability issue against the `Windmill` client,
//! served by the scripted `FaultServer` (tests/src/faults.rs).
//!
//! Each test asserts the typed error (or the success after a bounded number of retries), the
//! number of requests the server saw (job starts are never repeated blindly) and that the call
//! ended within its configured timeout plus a margin (a bound, not a speed measurement).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wmill_core::{
    Error, ItemPath, JobId, JobRunner, PollSchedule, ResourceStore, RunOptions, VariableStore,
    WaitOptions, WaitStrategy,
};
use wmill_http::{RetryConfig, Windmill};
use wmill_tests::faults::{FaultServer, Reply, SseEnd};

const TOKEN: &str = "tok-faults-4f1c2d";
/// Margin added to every time bound (the test machine is shared).
const MARGIN: Duration = Duration::from_secs(2);
const TIMEOUT: Duration = Duration::from_millis(400);
const RETRIES: u32 = 2;
/// The largest backoff the test clients sleep.
const MAX_BACKOFF: Duration = Duration::from_millis(40);

fn retry() -> RetryConfig {
    RetryConfig::default()
        .max_retries(RETRIES)
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(MAX_BACKOFF)
        .max_retry_after(Duration::from_secs(2))
}

fn client(server: &FaultServer) -> Windmill {
    Windmill::builder()
        .with_base_url(server.base_url())
        .with_token(TOKEN)
        .with_workspace("ws")
        .with_request_timeout(TIMEOUT)
        .with_connect_timeout(Duration::from_millis(300))
        .with_retry(retry())
        .build()
        .unwrap()
}

/// [`client`] whose synchronous runs use `run_wait_result` from the first run.
fn always_client(server: &FaultServer) -> Windmill {
    Windmill::builder()
        .with_base_url(server.base_url())
        .with_token(TOKEN)
        .with_workspace("ws")
        .with_request_timeout(TIMEOUT)
        .with_connect_timeout(Duration::from_millis(300))
        .with_retry(retry())
        .with_wait_tuning(
            wmill_http::WaitTuning::default().server_wait(wmill_http::ServerWait::Always),
        )
        .build()
        .unwrap()
}

/// The bound of an idempotent call: every attempt may use the whole timeout, plus the backoffs.
fn bound(attempts: u32) -> Duration {
    (TIMEOUT + MAX_BACKOFF) * attempts + MARGIN
}

fn var() -> ItemPath {
    ItemPath::parse("u/alice/key").unwrap()
}

fn script() -> ItemPath {
    ItemPath::parse("u/alice/job").unwrap()
}

const GET_VAR: &str = "variables/get_value/u/alice/key";
const RUN: &str = "/jobs/run/p/u/alice/job";

fn completed(result: Value) -> Reply {
    Reply::json(
        200,
        &json!({"started": true, "completed": true, "success": true, "result": result}),
    )
}

fn running() -> Reply {
    Reply::json(
        200,
        &json!({"started": true, "completed": false, "success": null, "result": null}),
    )
}

fn assert_no_token(e: &Error) {
    let text = format!("{e} {e:?}");
    assert!(!text.contains(TOKEN), "token leaked: {text}");
}

/// The server answers 500 for transient database errors: an idempotent read is retried, a
/// job start without a caller-chosen id is not (it may have been created).
#[tokio::test]
async fn status_500_is_retried_on_reads_only() {
    let server = FaultServer::start().await;
    server.on(GET_VAR, Reply::status(500, "Internal: boom"));
    server.on(RUN, Reply::status(500, "Internal: boom"));
    let wm = client(&server);
    let t = Instant::now();
    let err = wm.get_variable(&var()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { status: 500, body, .. } if body.contains("boom")),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(server.count(GET_VAR), 1 + RETRIES as usize);
    assert!(t.elapsed() <= bound(1 + RETRIES));
    assert_no_token(&err);
    let err = wm
        .run_script_by_path_async(&script(), Default::default(), &RunOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500), "{err:?}");
    assert_eq!(server.count(RUN), 1);
}

#[tokio::test]
async fn gateway_statuses_are_retried_a_bounded_number_of_times() {
    for status in [500u16, 502, 503, 504] {
        let server = FaultServer::start().await;
        server.on(GET_VAR, Reply::status(status, "gateway"));
        let wm = client(&server);
        let t = Instant::now();
        let err = wm.get_variable(&var()).await.unwrap_err();
        assert!(
            matches!(&err, Error::Api { status: s, .. } if *s == status),
            "{status}: {err:?}"
        );
        assert!(err.is_retryable());
        assert_eq!(server.count(GET_VAR), 1 + RETRIES as usize, "{status}");
        assert!(t.elapsed() <= bound(1 + RETRIES));
        assert_no_token(&err);
    }
}

#[tokio::test]
async fn gateway_statuses_then_success_succeeds() {
    for status in [500u16, 502, 503, 504] {
        let server = FaultServer::start().await;
        server.on_times(GET_VAR, RETRIES as usize, Reply::status(status, "gateway"));
        server.on(GET_VAR, Reply::json(200, &json!("the value")));
        let wm = client(&server);
        assert_eq!(wm.get_variable(&var()).await.unwrap(), "the value");
        assert_eq!(server.count(GET_VAR), 1 + RETRIES as usize);
    }
}

#[tokio::test]
async fn too_many_requests_honours_retry_after() {
    let server = FaultServer::start().await;
    server.on_times(
        GET_VAR,
        1,
        Reply::status(429, "slow down").header("retry-after", "1"),
    );
    server.on(GET_VAR, Reply::json(200, &json!("v")));
    let wm = client(&server);
    let t = Instant::now();
    assert_eq!(wm.get_variable(&var()).await.unwrap(), "v");
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(950),
        "Retry-After ignored: {took:?}"
    );
    assert!(took <= Duration::from_secs(1) + bound(2));
    assert_eq!(server.count(GET_VAR), 2);
}

#[tokio::test]
async fn too_many_requests_without_retry_after_backs_off_then_gives_up() {
    let server = FaultServer::start().await;
    server.on(GET_VAR, Reply::status(429, "slow down"));
    let wm = client(&server);
    let t = Instant::now();
    let err = wm.get_variable(&var()).await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 429, .. }), "{err:?}");
    assert_eq!(server.count(GET_VAR), 1 + RETRIES as usize);
    assert!(t.elapsed() <= bound(1 + RETRIES));
}

#[tokio::test]
async fn a_retry_after_beyond_the_limit_is_not_waited_for() {
    let server = FaultServer::start().await;
    server.on(
        GET_VAR,
        Reply::status(429, "slow down").header("retry-after", "3600"),
    );
    let wm = client(&server);
    let t = Instant::now();
    let err = wm.get_variable(&var()).await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 429, .. }), "{err:?}");
    assert_eq!(server.count(GET_VAR), 1);
    assert!(t.elapsed() <= bound(1));
}

/// `Retry-After` values that are not a usable delay (too large for a `Duration`, negative,
/// not a number, an HTTP date) never panic: the call backs off on its own or gives up.
#[tokio::test]
async fn absurd_retry_after_values_do_not_panic() {
    for value in [
        "99999999999999999999",
        "1e300",
        "18446744073709551616.5",
        "-1",
        "NaN",
        "inf",
        "soon",
        "Wed, 21 Oct 2015 07:28:00 GMT",
    ] {
        let server = FaultServer::start().await;
        server.on(
            GET_VAR,
            Reply::status(429, "slow down").header("retry-after", value),
        );
        let wm = client(&server);
        let t = Instant::now();
        let err = wm.get_variable(&var()).await.unwrap_err();
        assert!(
            matches!(err, Error::Api { status: 429, .. }),
            "{value}: {err:?}"
        );
        assert!(server.count(GET_VAR) <= 1 + RETRIES as usize, "{value}");
        assert!(t.elapsed() <= bound(1 + RETRIES), "{value}");
    }
}

#[tokio::test]
async fn connection_closed_before_the_response() {
    let server = FaultServer::start().await;
    server.on(GET_VAR, Reply::CloseBeforeResponse);
    let wm = client(&server);
    let t = Instant::now();
    let err = wm.get_variable(&var()).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(!err.is_timeout(), "a reset is not a timeout: {err:?}");
    assert_eq!(server.count(GET_VAR), 1 + RETRIES as usize);
    assert!(t.elapsed() <= bound(1 + RETRIES));
    assert_no_token(&err);

    // Once, then an answer: the read succeeds on the retry.
    let server = FaultServer::start().await;
    server.on_times(GET_VAR, 1, Reply::CloseBeforeResponse);
    server.on(GET_VAR, Reply::json(200, &json!("v")));
    assert_eq!(client(&server).get_variable(&var()).await.unwrap(), "v");
    assert_eq!(server.count(GET_VAR), 2);
}

#[tokio::test]
async fn connection_closed_in_the_middle_of_the_body() {
    let server = FaultServer::start().await;
    server.on(
        GET_VAR,
        Reply::CloseMidBody {
            status: 200,
            content_length: 100,
            sent: "\"partial".into(),
        },
    );
    let wm = client(&server);
    let t = Instant::now();
    let err = wm.get_variable(&var()).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(!err.is_timeout() && err.is_retryable(), "{err:?}");
    assert_eq!(server.count(GET_VAR), 1 + RETRIES as usize);
    assert!(t.elapsed() <= bound(1 + RETRIES));

    // A chunked body cut before its last chunk.
    let server = FaultServer::start().await;
    server.on(
        GET_VAR,
        Reply::TruncatedChunked {
            status: 200,
            chunk: "\"trunc".into(),
        },
    );
    let err = client(&server).get_variable(&var()).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(server.count(GET_VAR), 1 + RETRIES as usize);

    // Once, then an answer.
    let server = FaultServer::start().await;
    server.on_times(
        GET_VAR,
        1,
        Reply::CloseMidBody {
            status: 200,
            content_length: 100,
            sent: "\"partial".into(),
        },
    );
    server.on(GET_VAR, Reply::json(200, &json!("whole")));
    assert_eq!(client(&server).get_variable(&var()).await.unwrap(), "whole");
}

#[tokio::test]
async fn slow_headers_hit_the_request_timeout() {
    let server = FaultServer::start().await;
    server.on(GET_VAR, Reply::StallHeaders(Duration::from_secs(30)));
    let wm = client(&server);
    let t = Instant::now();
    let err = wm.get_variable(&var()).await.unwrap_err();
    let took = t.elapsed();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_timeout() && err.is_retryable(), "{err:?}");
    assert_eq!(err.status(), None);
    assert_eq!(server.count(GET_VAR), 1 + RETRIES as usize);
    assert!(took >= TIMEOUT, "{took:?}");
    assert!(took <= bound(1 + RETRIES), "{took:?}");
}

#[tokio::test]
async fn slow_body_hits_the_request_timeout() {
    let server = FaultServer::start().await;
    server.on(
        GET_VAR,
        Reply::StallBody {
            status: 200,
            content_length: 50,
            sent: "\"sl".into(),
            stall: Duration::from_secs(30),
        },
    );
    let wm = client(&server);
    let t = Instant::now();
    let err = wm.get_variable(&var()).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(server.count(GET_VAR), 1 + RETRIES as usize);
    assert!(t.elapsed() <= bound(1 + RETRIES));
}

#[tokio::test]
async fn malformed_truncated_and_empty_json_are_decode_errors() {
    let route = "/u/alice/res";
    let path = ItemPath::parse("u/alice/res").unwrap();
    for body in [&b"{\"a\": [1, 2"[..], b"{not json}", b"\xff\xfe"] {
        let server = FaultServer::start().await;
        server.on(route, Reply::raw(200, "application/json", body.to_vec()));
        let err = client(&server).get_resource(&path).await.unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{body:?}: {err:?}");
        // A decode error is not retried: the same answer would come back.
        assert_eq!(server.count(route), 1);
    }
    // An empty body where JSON is expected.
    let server = FaultServer::start().await;
    server.on(route, Reply::raw(200, "application/json", ""));
    let err = client(&server).get_resource(&path).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");

    // get_result_maybe with a truncated object.
    let server = FaultServer::start().await;
    server.on(
        "get_result_maybe",
        Reply::raw(200, "application/json", "{\"started\": true, \"comp"),
    );
    let id = JobId::new_random();
    let err = client(&server).get_result_maybe(&id).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn a_job_start_answered_with_an_empty_or_bad_body_is_a_decode_error() {
    for body in ["", "not-a-uuid"] {
        let server = FaultServer::start().await;
        server.on(RUN, Reply::raw(201, "text/plain", body));
        let err = client(&server)
            .run_script_by_path_async(
                &script(),
                json!({}).as_object().unwrap().clone(),
                &RunOptions::new(),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{body:?}: {err:?}");
        assert_eq!(server.count(RUN), 1);
    }
}

#[tokio::test]
async fn huge_bodies_are_read_and_errors_stay_short() {
    const HUGE: usize = 20 << 20;
    // A 20 MB error body: Api, body excerpt truncated.
    let server = FaultServer::start().await;
    server.on(GET_VAR, Reply::raw(500, "text/plain", vec![b'x'; HUGE]));
    let wm = client(&server);
    let t = Instant::now();
    let err = wm.get_variable(&var()).await.unwrap_err();
    match &err {
        Error::Api {
            status: 500, body, ..
        } => assert!(body.len() <= 510, "{}", body.len()),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().len() < 1000);
    assert!(t.elapsed() <= bound(1));

    // A 20 MB body that is not JSON: Decode with a short excerpt.
    let server = FaultServer::start().await;
    let route = "/u/alice/res";
    server.on(route, Reply::raw(200, "application/json", vec![b'{'; HUGE]));
    let err = client(&server)
        .get_resource(&ItemPath::parse("u/alice/res").unwrap())
        .await
        .unwrap_err();
    match &err {
        Error::Decode { body_excerpt, .. } => assert!(body_excerpt.len() <= 210),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().len() < 1000);

    // A 20 MB valid JSON value is returned whole.
    let server = FaultServer::start().await;
    let big = "y".repeat(HUGE);
    server.on(GET_VAR, Reply::json(200, &json!(big)));
    let got = client(&server).get_variable(&var()).await.unwrap();
    assert_eq!(got.len(), HUGE);
}

/// The error and its sources, as one string.
fn chain(err: &Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(e) = source {
        text = format!("{text}: {e}");
        source = e.source();
    }
    text
}

#[tokio::test]
async fn bodies_over_the_limit_fail_at_once_and_are_not_retried() {
    const LIMIT: u64 = 1 << 20;
    let limited = |server: &FaultServer| {
        Windmill::builder()
            .with_base_url(server.base_url())
            .with_token(TOKEN)
            .with_workspace("ws")
            .with_request_timeout(TIMEOUT)
            .with_retry(retry())
            .with_max_response_bytes(LIMIT)
            .build()
            .unwrap()
    };
    // Announced by Content-Length: refused before the body is read, even on an idempotent call.
    let server = FaultServer::start().await;
    let big = "z".repeat(2 << 20);
    server.on(GET_VAR, Reply::json(200, &json!(big)));
    let err = limited(&server).get_variable(&var()).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    let text = chain(&err);
    assert!(text.contains("limit of 1048576 bytes"), "{text}");
    assert!(!text.contains(TOKEN));
    assert_eq!(server.count(GET_VAR), 1, "not retried");
    assert!(!err.is_retryable() && !err.is_timeout(), "{err:?}");

    // Chunked, no Content-Length: stopped once the limit is passed.
    let server = FaultServer::start().await;
    server.on(
        GET_VAR,
        Reply::TruncatedChunked {
            status: 200,
            chunk: vec![b'"'; 2 << 20].into(),
        },
    );
    let err = limited(&server).get_variable(&var()).await.unwrap_err();
    assert!(chain(&err).contains("limit of 1048576 bytes"), "{err:?}");
    assert_eq!(server.count(GET_VAR), 1, "not retried");
    assert!(!err.is_retryable(), "{err:?}");

    // Chunked under the limit: the chunks are put back together.
    let server = FaultServer::start().await;
    server.on(
        GET_VAR,
        Reply::Chunked {
            status: 200,
            chunks: vec!["\"ab".into(), "cd".into(), "".into(), "e\"".into()],
        },
    );
    assert_eq!(
        limited(&server).get_variable(&var()).await.unwrap(),
        "abcde"
    );
    let server = FaultServer::start().await;
    server.on(
        GET_VAR,
        Reply::Chunked {
            status: 200,
            chunks: vec!["\"one-chunk\"".into()],
        },
    );
    assert_eq!(
        limited(&server).get_variable(&var()).await.unwrap(),
        "one-chunk"
    );

    // At the limit exactly: read.
    let server = FaultServer::start().await;
    let fits = "w".repeat(LIMIT as usize - 2);
    server.on(GET_VAR, Reply::json(200, &json!(fits)));
    assert_eq!(
        limited(&server).get_variable(&var()).await.unwrap().len(),
        fits.len()
    );
}

#[tokio::test]
async fn connection_refused_is_a_bounded_transport_error() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let wm = Windmill::builder()
        .with_base_url(format!("http://{addr}"))
        .with_token(TOKEN)
        .with_workspace("ws")
        .with_request_timeout(TIMEOUT)
        .with_retry(retry())
        .build()
        .unwrap();
    let t = Instant::now();
    let err = wm.get_variable(&var()).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    let err = wm
        .run_script_by_path_async(&script(), Default::default(), &RunOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(t.elapsed() <= bound(2 * (1 + RETRIES)));
    assert_no_token(&err);
}

/// A start is sent once whatever fails after the request left: it may have created the job.
#[tokio::test]
async fn job_starts_are_never_repeated_without_a_job_id() {
    let faults = [
        Reply::status(500, "Internal"),
        Reply::status(502, "bad gateway"),
        Reply::status(503, "unavailable"),
        Reply::status(504, "timeout"),
        Reply::status(429, "slow down").header("retry-after", "0"),
        Reply::status(429, "slow down"),
        Reply::CloseBeforeResponse,
        Reply::CloseMidBody {
            status: 201,
            content_length: 36,
            sent: "0192".into(),
        },
        Reply::TruncatedChunked {
            status: 201,
            chunk: "0192".into(),
        },
        Reply::StallHeaders(Duration::from_secs(30)),
        Reply::StallBody {
            status: 201,
            content_length: 36,
            sent: "0192".into(),
            stall: Duration::from_secs(30),
        },
    ];
    for fault in faults {
        let server = FaultServer::start().await;
        server.on(RUN, fault.clone());
        server.on(
            "/jobs/run/",
            Reply::raw(201, "text/plain", JobId::new_random().to_string()),
        );
        let wm = client(&server);
        let t = Instant::now();
        let err = wm
            .run_script_by_path_async(&script(), Default::default(), &RunOptions::new())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Api { .. } | Error::Transport { .. }),
            "{fault:?}: {err:?}"
        );
        assert_eq!(server.count("/jobs/run"), 1, "{fault:?} was repeated");
        assert!(t.elapsed() <= bound(1), "{fault:?}");
        assert_no_token(&err);
    }
}

/// With a caller-chosen id the server refuses a duplicate, so a start is retried: the first
/// attempt created the job, the retry's 400 is read as that success.
#[tokio::test]
async fn job_starts_with_an_id_are_retried_and_never_duplicated() {
    let id = JobId::new_random();
    let server = FaultServer::start().await;
    server.on_times(RUN, 1, Reply::CloseBeforeResponse);
    server.on(
        RUN,
        Reply::status(400, "Bad request: job id already exists"),
    );
    server.on(
        "jobs_u/get/",
        Reply::json(200, &json!({"id": id.to_string(), "type": "QueuedJob"})),
    );
    let wm = client(&server);
    let got = wm
        .run_script_by_path_async(&script(), Default::default(), &RunOptions::new().job_id(id))
        .await
        .unwrap();
    assert_eq!(got, id);
    assert_eq!(server.count(RUN), 2);
    assert!(
        server
            .requests()
            .iter()
            .filter(|r| r.target.contains(RUN))
            .all(|r| r.target.contains(&format!("job_id={id}")))
    );

    // 503 then created.
    let server = FaultServer::start().await;
    server.on_times(RUN, 1, Reply::status(503, "unavailable"));
    server.on(RUN, Reply::raw(201, "text/plain", id.to_string()));
    let got = client(&server)
        .run_script_by_path_async(&script(), Default::default(), &RunOptions::new().job_id(id))
        .await
        .unwrap();
    assert_eq!(got, id);
    assert_eq!(server.count(RUN), 2);
}

/// An event stream that sends one endless line: abandoned as soon as it passes the client's
/// body limit (memory stays bounded), then polling gives the result; it is not read for the
/// seconds the server keeps it open.
#[tokio::test]
async fn an_endless_event_line_is_cut_at_the_limit_and_polling_takes_over() {
    let server = FaultServer::start().await;
    let mut line = b"data: ".to_vec();
    line.extend(std::iter::repeat_n(b'x', 64 << 10));
    server.on(
        "getupdate_sse",
        Reply::StallBody {
            status: 200,
            content_length: 1 << 30,
            sent: line.into(),
            stall: Duration::from_secs(8),
        },
    );
    server.on(
        "get_result_maybe",
        Reply::json(
            200,
            &json!({"completed": true, "success": true, "result": 13, "started": true}),
        ),
    );
    let wm = Windmill::builder()
        .with_base_url(server.base_url())
        .with_token(TOKEN)
        .with_workspace("ws")
        .with_retry(retry())
        .with_max_response_bytes(16 << 10)
        .build()
        .unwrap();
    let t = Instant::now();
    let got = wm
        .wait_job(
            &JobId::new_random(),
            &WaitOptions::new().strategy(WaitStrategy::ServerEvents),
        )
        .await
        .unwrap();
    assert_eq!(got, json!(13));
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    assert_eq!(server.count("getupdate_sse"), 3);
}

/// An event stream refused with an error status whose body never ends (or is larger than the
/// limit) is read within the request timeout and the body limit, then polling takes over:
/// the error body is not waited for until the server gives up.
#[tokio::test]
async fn an_event_stream_error_body_is_bounded_by_the_timeout_and_the_limit() {
    for announced in [1usize << 30, 4 << 10] {
        let server = FaultServer::start().await;
        server.on(
            "getupdate_sse",
            Reply::StallBody {
                status: 500,
                content_length: announced,
                sent: vec![b'e'; 1024].into(),
                stall: Duration::from_secs(20),
            },
        );
        server.on(
            "get_result_maybe",
            Reply::json(
                200,
                &json!({"completed": true, "success": true, "result": 7, "started": true}),
            ),
        );
        let wm = Windmill::builder()
            .with_base_url(server.base_url())
            .with_token(TOKEN)
            .with_workspace("ws")
            .with_request_timeout(TIMEOUT)
            .with_retry(retry().max_retries(0))
            .with_max_response_bytes(64 << 10)
            .build()
            .unwrap();
        let t = Instant::now();
        let got = wm
            .wait_job(
                &JobId::new_random(),
                &WaitOptions::new().strategy(WaitStrategy::ServerEvents),
            )
            .await
            .unwrap();
        assert_eq!(got, json!(7));
        // 3 failed streams, each cut at the limit (from the headers) or the request timeout.
        assert!(t.elapsed() < bound(3), "{announced}: {:?}", t.elapsed());
        assert_eq!(server.count("getupdate_sse"), 3, "{announced}");
    }
}

/// A synchronous run whose `run_wait_result` connection breaks waits on the same job id: when
/// the job exists it is not started again; when it does not, it is started once with the same
/// id (which the server refuses to run twice).
#[tokio::test]
async fn a_broken_run_wait_result_never_starts_a_second_job() {
    for job_was_created in [true, false] {
        let server = FaultServer::start().await;
        server.on("run_wait_result", Reply::CloseBeforeResponse);
        server.on("get_result_maybe", running());
        server.on(
            "jobs_u/get/",
            if job_was_created {
                Reply::json(200, &json!({"type": "QueuedJob"}))
            } else {
                Reply::status(404, "Not found: Job not found")
            },
        );
        server.on(
            RUN,
            Reply::raw(201, "text/plain", JobId::new_random().to_string()),
        );
        server.on(
            "getupdate_sse",
            Reply::Sse {
                events: vec![
                    r#"{"type":"update","completed":true,"job":{"success":true,"result":42}}"#
                        .into(),
                ],
                end: SseEnd::Close,
            },
        );
        let wm = always_client(&server);
        let t = Instant::now();
        let got = wm
            .run_script_by_path(
                &script(),
                Default::default(),
                &RunOptions::new().wait(WaitOptions::new().timeout(Duration::from_secs(10))),
            )
            .await
            .unwrap();
        assert_eq!(got, json!(42));
        let reqs = server.requests();
        let long: Vec<_> = reqs
            .iter()
            .filter(|r| r.target.contains("run_wait_result"))
            .collect();
        assert_eq!(long.len(), 1);
        let id = long[0].target.split("job_id=").nth(1).unwrap().to_owned();
        let starts: Vec<_> = reqs.iter().filter(|r| r.target.contains(RUN)).collect();
        if job_was_created {
            assert!(starts.is_empty(), "a second start was sent");
        } else {
            assert_eq!(starts.len(), 1);
            assert!(
                starts[0].target.contains(&format!("job_id={id}")),
                "{}",
                starts[0].target
            );
        }
        assert!(t.elapsed() <= Duration::from_secs(10) + MARGIN);
    }
}

fn events_wait(timeout: Duration) -> WaitOptions {
    WaitOptions::new()
        .timeout(timeout)
        .cancel_on_timeout(false)
        .strategy(WaitStrategy::ServerEvents)
}

/// An event stream that ends (cleanly, broken, or after a stall) without the completion: the
/// wait reconnects, then falls back to polling, and gets the result.
#[tokio::test]
async fn event_streams_that_stop_without_completing() {
    for end in [SseEnd::Close, SseEnd::Break] {
        let server = FaultServer::start().await;
        server.on(
            "getupdate_sse",
            Reply::Sse {
                events: vec![
                    r#"{"type":"update","running":true}"#.into(),
                    r#"{"type":"ping"}"#.into(),
                ],
                end,
            },
        );
        server.on("get_result_maybe", completed(json!({"ok": true})));
        let wm = client(&server);
        let id = JobId::new_random();
        let t = Instant::now();
        let got = wm
            .wait_job(&id, &events_wait(Duration::from_secs(10)))
            .await
            .unwrap();
        assert_eq!(got, json!({"ok": true}), "{end:?}");
        assert!(server.count("getupdate_sse") >= 1);
        assert!(t.elapsed() <= Duration::from_secs(10) + MARGIN, "{end:?}");
    }
}

/// A stream that stalls (no ping, no end) and a job that never completes: the wait's timeout
/// ends it with `Timeout`, and the job is canceled once when asked.
#[tokio::test]
async fn a_stalled_event_stream_ends_at_the_wait_timeout() {
    let server = FaultServer::start().await;
    server.on(
        "getupdate_sse",
        Reply::Sse {
            events: vec![r#"{"type":"update","running":true}"#.into()],
            end: SseEnd::Stall(Duration::from_secs(60)),
        },
    );
    server.on("get_result_maybe", running());
    server.on("queue/cancel", Reply::status(200, "canceled"));
    let wm = client(&server);
    let id = JobId::new_random();
    let wait = Duration::from_millis(1500);
    let t = Instant::now();
    let err = wm
        .wait_job(
            &id,
            &WaitOptions::new()
                .timeout(wait)
                .strategy(WaitStrategy::ServerEvents),
        )
        .await
        .unwrap_err();
    let took = t.elapsed();
    assert!(
        matches!(err, Error::Timeout { job_id: Some(j), .. } if j == id),
        "{err:?}"
    );
    assert!(took >= wait && took <= wait + bound(1), "{took:?}");
    assert_eq!(server.count("queue/cancel"), 1);
}

/// The cancel sent when a wait times out is bounded by the client's request timeout: a cancel
/// endpoint that stalls does not stretch the wait past its timeout plus one request.
#[tokio::test]
async fn a_stalled_cancel_after_a_wait_timeout_is_bounded() {
    let server = FaultServer::start().await;
    server.on("get_result_maybe", running());
    server.on("queue/cancel", Reply::StallHeaders(Duration::from_secs(30)));
    let wm = client(&server);
    let id = JobId::new_random();
    let wait = Duration::from_millis(500);
    let poll = WaitOptions::new()
        .timeout(wait)
        .strategy(WaitStrategy::Poll(PollSchedule::fixed(
            Duration::from_millis(20),
        )));
    let t = Instant::now();
    let err = wm.wait_job(&id, &poll).await.unwrap_err();
    let took = t.elapsed();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(server.count("queue/cancel"), 1);
    assert!(took <= wait + bound(1), "{took:?}");
}

/// Polling through faults: retryable errors are absorbed, the others end the wait.
#[tokio::test]
async fn polling_waits_through_transient_faults() {
    let server = FaultServer::start().await;
    server.on_times("get_result_maybe", 1, Reply::status(503, "unavailable"));
    server.on_times("get_result_maybe", 1, Reply::CloseBeforeResponse);
    server.on_times("get_result_maybe", 2, running());
    server.on("get_result_maybe", completed(json!("done")));
    let wm = client(&server);
    let poll = WaitOptions::new()
        .timeout(Duration::from_secs(10))
        .strategy(WaitStrategy::Poll(PollSchedule::fixed(
            Duration::from_millis(10),
        )));
    let got = wm.wait_job(&JobId::new_random(), &poll).await.unwrap();
    assert_eq!(got, json!("done"));

    let server = FaultServer::start().await;
    server.on("get_result_maybe", Reply::status(500, "Internal: db down"));
    let t = Instant::now();
    let err = client(&server)
        .wait_job(&JobId::new_random(), &poll)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api { status: 500, .. }), "{err:?}");
    assert!(t.elapsed() <= bound(1));
}

/// Writes that are safe to repeat (upserts) are retried; the final state is the one value.
#[tokio::test]
async fn idempotent_writes_are_retried() {
    let server = FaultServer::start().await;
    let update = "variables/update/u/alice/key";
    server.on_times(update, 1, Reply::CloseBeforeResponse);
    server.on_times(update, 1, Reply::status(503, "unavailable"));
    server.on(update, Reply::status(200, "updated"));
    server.on("variables/exists", Reply::json(200, &json!(true)));
    let wm = client(&server);
    wm.set_variable(&var(), "new", &Default::default())
        .await
        .unwrap();
    assert_eq!(server.count(update), 3);
    assert!(
        server
            .requests()
            .iter()
            .filter(|r| r.target.contains(update))
            .all(|r| String::from_utf8_lossy(&r.body).contains("new"))
    );
}
