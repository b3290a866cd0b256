//! `tracing` spans: every call runs in a span named after it (workspace, path, job id), each
//! HTTP attempt in an `http` child span (method, path, attempt, status), and no secret is ever a
//! field or part of an event: not the token, a variable or resource value, job arguments or
//! results, a query string, nor an approval link's signature.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

// The capturing subscriber, shared with the other crates' span tests (wmill-tests).
#[path = "../../../tests/src/trace_capture.rs"]
mod trace_capture;

use std::time::Duration;

use serde_json::json;
use support::*;
use trace_capture::{Capture, EventRec, field};
use wiremock::{Mock, ResponseTemplate};
use wmill_core::{
    FlowVersion, ItemPath, JobId, JobRunner, PollSchedule, ResourceStore, RunOptions, Runnable,
    ScriptHash, SetVariableOptions, StateStore, VariableStore, WaitOptions, WaitStrategy, to_args,
};

fn p(s: &str) -> ItemPath {
    ItemPath::parse(s).unwrap()
}

fn job() -> JobId {
    JobId::parse(JOB).unwrap()
}

fn fast_poll() -> WaitStrategy {
    WaitStrategy::Poll(PollSchedule::new(
        Duration::from_millis(2),
        Duration::from_millis(10),
        0.1,
    ))
}

// ------------------------------------------------------------------------------- the tests

const VARIABLE_VALUE: &str = "VARIABLE-VALUE-s3cr3t";
const NEW_VALUE: &str = "NEW-VALUE-s3cr3t";
const RESOURCE_PASSWORD: &str = "RESOURCE-PASSWORD-s3cr3t";

#[tokio::test]
async fn a_retried_read_shows_both_attempts_in_the_calls_span() {
    let server = server().await;
    let path = "/api/w/ws/variables/get_value/u/alice/db_password";
    call("GET", path)
        .respond_with(text(503, "Service Unavailable"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    call("GET", path)
        .respond_with(json(200, json!(VARIABLE_VALUE)))
        .expect(1)
        .mount(&server)
        .await;
    let wm = client(&server);

    let (capture, _guard) = Capture::install();
    let value = wm.get_variable(&p("u/alice/db_password")).await.unwrap();
    assert_eq!(value, VARIABLE_VALUE);

    let span = capture.one("get_variable");
    assert_eq!(field(&span, "workspace"), Some("ws"));
    assert_eq!(field(&span, "path"), Some("u/alice/db_password"));
    assert_eq!(span.parent, None);
    let http = capture.children(&span, "http");
    assert_eq!(
        capture.attempts(&span),
        [("1".into(), "503".into()), ("2".into(), "200".into())]
    );
    for h in &http {
        assert_eq!(field(h, "method"), Some("GET"));
        assert_eq!(field(h, "path"), Some(path));
        assert_eq!(field(h, "error"), None);
    }
    // The crate's debug events (each request, the retry) happen inside the call's span.
    let ours: Vec<EventRec> = capture
        .events()
        .into_iter()
        .filter(|e| e.target.starts_with("wmill_http"))
        .collect();
    assert!(ours.len() >= 3, "{ours:#?}");
    for e in &ours {
        assert_eq!(e.span, Some(span.seq), "{e:?}");
    }
    capture.assert_no_secret(&[TOKEN, VARIABLE_VALUE]);
}

#[tokio::test]
async fn writes_and_reads_of_secrets_never_show_the_values() {
    let server = server().await;
    call("GET", "/api/w/ws/variables/exists/u/alice/api_key")
        .respond_with(json(200, json!(false)))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/variables/create")
        .and(json_body(json!({
            "path": "u/alice/api_key",
            "value": NEW_VALUE,
            "is_secret": true,
            "description": "",
        })))
        .respond_with(text(201, "u/alice/api_key"))
        .expect(1)
        .mount(&server)
        .await;
    call(
        "GET",
        "/api/w/ws/resources/get_value_interpolated/u/alice/db",
    )
    .respond_with(json(
        200,
        json!({"host": "db.internal", "password": RESOURCE_PASSWORD}),
    ))
    .expect(1)
    .mount(&server)
    .await;
    call("GET", "/api/w/ws/variables/get_value/u/alice/missing")
        .respond_with(text(404, "Not found: variable u/alice/missing not found"))
        .expect(1)
        .mount(&server)
        .await;
    let wm = job_client(&server);

    let (capture, _guard) = Capture::install();
    wm.set_variable(
        &p("u/alice/api_key"),
        NEW_VALUE,
        &SetVariableOptions::new().secret(true),
    )
    .await
    .unwrap();
    let res = wm.get_resource(&p("u/alice/db")).await.unwrap();
    assert_eq!(res["password"], RESOURCE_PASSWORD);
    let missing = wm.get_variable(&p("u/alice/missing")).await.unwrap_err();
    assert!(missing.is_not_found(), "{missing:?}");

    // set_variable: the existence check is a call of its own, inside it.
    let set = capture.one("set_variable");
    assert_eq!(field(&set, "workspace"), Some("ws"));
    assert_eq!(field(&set, "path"), Some("u/alice/api_key"));
    let exists = capture.one("variable_exists");
    assert_eq!(exists.parent, Some(set.seq));
    assert_eq!(capture.attempts(&exists), [("1".into(), "200".into())]);
    let create = capture.children(&set, "http");
    assert_eq!(create.len(), 1, "{create:#?}");
    assert_eq!(field(&create[0], "method"), Some("POST"));
    assert_eq!(
        field(&create[0], "path"),
        Some("/api/w/ws/variables/create")
    );
    assert_eq!(field(&create[0], "status"), Some("201"));

    let get = capture.one("get_resource");
    assert_eq!(field(&get, "path"), Some("u/alice/db"));
    assert_eq!(capture.attempts(&get), [("1".into(), "200".into())]);

    let missing = capture.one("get_variable");
    assert_eq!(field(&missing, "path"), Some("u/alice/missing"));
    assert_eq!(capture.attempts(&missing), [("1".into(), "404".into())]);

    capture.assert_no_secret(&[TOKEN, NEW_VALUE, RESOURCE_PASSWORD]);
}

#[tokio::test]
async fn state_calls_name_the_state_path() {
    let server = server().await;
    call(
        "GET",
        "/api/w/ws/resources/get_value_interpolated/u/alice/state",
    )
    .respond_with(json(200, json!({"cursor": "STATE-s3cr3t"})))
    .expect(1)
    .mount(&server)
    .await;
    let wm = job_client(&server);

    let (capture, _guard) = Capture::install();
    wm.get_state().await.unwrap();
    let state = capture.one("get_state");
    assert_eq!(field(&state, "path"), Some("u/alice/state"));
    let at = capture.one("get_state_at");
    assert_eq!(at.parent, Some(state.seq));
    capture.assert_no_secret(&[TOKEN, "STATE-s3cr3t"]);
}

const ARG: &str = "ARG-s3cr3t";
const RESULT: &str = "RESULT-s3cr3t";

#[tokio::test]
async fn job_calls_carry_the_job_id_once_known() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/p/f/etl/load")
        .and(json_body(json!({"api_key": ARG})))
        .respond_with(text(201, JOB))
        .expect(2)
        .mount(&server)
        .await;
    let maybe = format!("/api/w/ws/jobs_u/completed/get_result_maybe/{JOB}");
    call("GET", &maybe)
        .respond_with(not_completed())
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    call("GET", &maybe)
        .respond_with(completed(true, json!({"token": RESULT})))
        .expect(1)
        .mount(&server)
        .await;
    call(
        "GET",
        &format!("/api/w/ws/jobs_u/completed/get_result/{JOB}"),
    )
    .respond_with(json(200, json!({"token": RESULT})))
    .expect(1)
    .mount(&server)
    .await;
    call("POST", &format!("/api/w/ws/jobs_u/queue/cancel/{JOB}"))
        .respond_with(text(200, "canceled"))
        .expect(1)
        .mount(&server)
        .await;
    let wm = client(&server);
    let args = || to_args(&json!({"api_key": ARG})).unwrap();

    let (capture, _guard) = Capture::install();
    let id = wm
        .run_script_by_path_async(&p("f/etl/load"), args(), &RunOptions::new())
        .await
        .unwrap();
    assert_eq!(id, job());
    let v = wm
        .run_script_by_path(
            &p("f/etl/load"),
            args(),
            &RunOptions::new().wait(WaitOptions::new().strategy(fast_poll())),
        )
        .await
        .unwrap();
    assert_eq!(v["token"], RESULT);
    wm.get_result(&job()).await.unwrap();
    wm.cancel_job(&job(), Some("no longer needed".into()))
        .await
        .unwrap();

    let start = capture.one("run_script_by_path_async");
    assert_eq!(field(&start, "workspace"), Some("ws"));
    assert_eq!(field(&start, "path"), Some("f/etl/load"));
    assert_eq!(field(&start, "job_id"), Some(JOB), "recorded once started");
    assert_eq!(capture.attempts(&start), [("1".into(), "201".into())]);

    let run = capture.one("run_script_by_path");
    assert_eq!(field(&run, "path"), Some("f/etl/load"));
    assert_eq!(field(&run, "job_id"), Some(JOB));
    // The start, then two polls, each an attempt of its own request.
    let http = capture.children(&run, "http");
    let shown: Vec<_> = http
        .iter()
        .map(|h| {
            (
                field(h, "method").unwrap(),
                field(h, "path").unwrap(),
                field(h, "status").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("POST", "/api/w/ws/jobs/run/p/f/etl/load", "201"),
            ("GET", maybe.as_str(), "200"),
            ("GET", maybe.as_str(), "200"),
        ]
    );

    for name in ["get_result", "cancel_job"] {
        let span = capture.one(name);
        assert_eq!(field(&span, "job_id"), Some(JOB), "{name}");
        assert_eq!(field(&span, "workspace"), Some("ws"), "{name}");
        assert_eq!(capture.attempts(&span), [("1".into(), "200".into())]);
    }
    capture.assert_no_secret(&[TOKEN, ARG, RESULT, "no longer needed"]);
}

#[tokio::test]
async fn start_names_its_span_after_the_per_kind_call() {
    let server = server().await;
    let hash = "0123456789abcdef";
    call("POST", &format!("/api/w/ws/jobs/run/h/{hash}"))
        .respond_with(text(201, JOB))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/jobs/run/fv/7")
        .respond_with(text(201, JOB))
        .expect(1)
        .mount(&server)
        .await;
    let wm = client(&server);
    let (capture, _guard) = Capture::install();
    // `start` itself, and a per-kind start that calls it.
    let by_hash = Runnable::ScriptHash(ScriptHash::parse(hash).unwrap());
    assert_eq!(
        wm.start(by_hash, Default::default(), &RunOptions::new())
            .await
            .unwrap(),
        job()
    );
    wm.run_flow_by_version_async(FlowVersion::new(7), Default::default(), &RunOptions::new())
        .await
        .unwrap();

    let start = capture.one("run_script_by_hash_async");
    assert_eq!(field(&start, "workspace"), Some("ws"));
    assert_eq!(field(&start, "hash"), Some(hash));
    assert_eq!(field(&start, "job_id"), Some(JOB));
    assert_eq!(capture.attempts(&start), [("1".into(), "201".into())]);
    let version = capture.one("run_flow_by_version_async");
    assert_eq!(field(&version, "version"), Some("7"));
    assert_eq!(field(&version, "job_id"), Some(JOB));
    assert_eq!(capture.attempts(&version), [("1".into(), "201".into())]);
}

#[tokio::test]
async fn a_synchronous_run_on_the_long_request_names_the_chosen_job_id() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run_wait_result/p/f/etl/load")
        .respond_with(json(200, json!({"token": RESULT})))
        .expect(1)
        .mount(&server)
        .await;
    // The race polls meanwhile: the job may not exist yet.
    Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path_regex(
            "^/api/w/ws/jobs_u/completed/get_result_maybe/.*$",
        ))
        .respond_with(text(404, "Not found: job not found"))
        .mount(&server)
        .await;
    let wm = builder(&server)
        .with_wait_tuning(
            wmill_http::WaitTuning::default().server_wait(wmill_http::ServerWait::Always),
        )
        .build()
        .unwrap();
    let (capture, _guard) = Capture::install();
    let v = wm
        .run_script_by_path(
            &p("f/etl/load"),
            to_args(&json!({"api_key": ARG})).unwrap(),
            &RunOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(v["token"], RESULT);
    // The id the client chose for the job, as the long request sent it.
    let sent = received(&server, "/api/w/ws/jobs/run_wait_result/p/f/etl/load").await;
    let chosen = sent[0]
        .url
        .query_pairs()
        .find(|(k, _)| k == "job_id")
        .map(|(_, v)| v.into_owned())
        .expect("a job id in the query");
    let run = capture.one("run_script_by_path");
    assert_eq!(field(&run, "job_id"), Some(chosen.as_str()));
    let long = capture
        .children(&run, "http")
        .into_iter()
        .find(|h| field(h, "path") == Some("/api/w/ws/jobs/run_wait_result/p/f/etl/load"))
        .expect("the long request's span");
    assert_eq!(field(&long, "status"), Some("200"));
    capture.assert_no_secret(&[TOKEN, ARG, RESULT]);
}

#[tokio::test]
async fn approval_signatures_and_queries_stay_out_of_spans() {
    const SIGNATURE: &str = "5ec2e7deadbeef0123456789abcdef";
    let server = server().await;
    let link = format!("/api/w/ws/jobs_u/resume/{JOB}/7/{SIGNATURE}");
    Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path(link.as_str()))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&server)
        .await;
    let wm = client(&server);

    let (capture, _guard) = Capture::install();
    wm.request(
        wmill_http::reqwest::Method::POST,
        &format!("w/ws/jobs_u/resume/{JOB}/7/{SIGNATURE}"),
    )
    .query("approver", "APPROVER-s3cr3t")
    .json(&json!({"ok": true}))
    .unwrap()
    .send_empty()
    .await
    .unwrap();
    let http = capture.one("http");
    assert_eq!(
        field(&http, "path"),
        Some(format!("/api/w/ws/jobs_u/resume/{JOB}/7/***").as_str())
    );
    assert_eq!(field(&http, "status"), Some("201"));
    capture.assert_no_secret(&[TOKEN, SIGNATURE, "APPROVER-s3cr3t"]);
}

#[tokio::test]
async fn a_transport_error_is_recorded_on_the_attempt() {
    // Nothing listens on this port once the listener is gone: every attempt fails to connect.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let wm = wmill_http::Windmill::builder()
        .with_base_url(format!("http://127.0.0.1:{port}"))
        .with_token(TOKEN)
        .with_workspace(WS)
        .with_retry(
            wmill_http::RetryConfig::default()
                .max_retries(1)
                .initial_backoff(Duration::from_millis(1)),
        )
        .build()
        .unwrap();

    let (capture, _guard) = Capture::install();
    let err = wm
        .get_variable(&p("u/alice/db_password"))
        .await
        .unwrap_err();
    assert!(
        err.is_retryable() || matches!(err, wmill_core::Error::Transport { .. }),
        "{err:?}"
    );
    let span = capture.one("get_variable");
    let http = capture.children(&span, "http");
    assert_eq!(http.len(), 2, "{http:#?}");
    for (i, h) in http.iter().enumerate() {
        assert_eq!(field(h, "attempt"), Some((i + 1).to_string().as_str()));
        assert_eq!(field(h, "status"), None);
        assert!(field(h, "error").is_some(), "{h:?}");
    }
    capture.assert_no_secret(&[TOKEN]);
}

#[tokio::test]
async fn without_a_subscriber_calls_work_as_before() {
    let server = server().await;
    call("GET", "/api/w/ws/resources/exists/u/alice/db")
        .respond_with(json(200, json!(true)))
        .expect(1)
        .mount(&server)
        .await;
    assert!(
        client(&server)
            .resource_exists(&p("u/alice/db"))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn answering_a_suspended_step_names_the_job_never_the_signature() {
    let signature = "5ec2e7de".repeat(8);
    let server = server().await;
    Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path(format!(
            "/api/w/ws/jobs_u/resume/{JOB}/3/{signature}"
        )))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", &format!("/api/w/ws/jobs_u/get_logs/{JOB}"))
        .respond_with(text(200, "LOG-LINE-s3cr3t\n"))
        .expect(1)
        .mount(&server)
        .await;
    let wm = client(&server);
    let link = wmill_http::ResumeLink::from_parts(job(), 3, &signature, Some("ada")).unwrap();

    let (capture, _guard) = Capture::install();
    wm.resume_suspended_job(&link, &json!({"amount": ARG}))
        .await
        .unwrap();
    let logs = wm.get_job_logs(&job()).await.unwrap();
    assert!(logs.contains("LOG-LINE-s3cr3t"), "{logs:?}");

    let resume = capture.one("resume_suspended_job");
    assert_eq!(field(&resume, "job_id"), Some(JOB));
    assert_eq!(field(&resume, "resume_id"), Some("3"));
    let http = capture.children(&resume, "http");
    assert_eq!(http.len(), 1, "{http:#?}");
    assert_eq!(
        field(&http[0], "path"),
        Some(format!("/api/w/ws/jobs_u/resume/{JOB}/3/***").as_str())
    );
    assert_eq!(field(&http[0], "status"), Some("201"));
    let logs = capture.one("get_job_logs");
    assert_eq!(field(&logs, "job_id"), Some(JOB));
    assert_eq!(capture.attempts(&logs), [("1".into(), "200".into())]);
    capture.assert_no_secret(&[TOKEN, &signature, ARG, "LOG-LINE-s3cr3t"]);
}

#[tokio::test]
async fn a_wait_that_times_out_shows_its_cleanup_cancel() {
    let server = server().await;
    call(
        "GET",
        &format!("/api/w/ws/jobs_u/completed/get_result_maybe/{JOB}"),
    )
    .respond_with(not_completed())
    .mount(&server)
    .await;
    call("POST", &format!("/api/w/ws/jobs_u/queue/cancel/{JOB}"))
        .respond_with(text(200, "canceled"))
        .expect(1)
        .mount(&server)
        .await;
    let wm = client(&server);

    let (capture, _guard) = Capture::install();
    let err = wm
        .wait_job(
            &job(),
            &WaitOptions::new()
                .strategy(fast_poll())
                .timeout(Duration::from_millis(50))
                .cancel_on_timeout(true),
        )
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    let wait = capture.one("wait_job");
    let cancel = capture.one("cleanup_cancel");
    assert_eq!(cancel.parent, Some(wait.seq));
    assert_eq!(field(&cancel, "job_id"), Some(JOB));
    let http = capture.children(&cancel, "http");
    assert_eq!(http.len(), 1, "{http:#?}");
    assert_eq!(field(&http[0], "method"), Some("POST"));
    assert_eq!(field(&http[0], "status"), Some("200"));
    capture.assert_no_secret(&[TOKEN]);
}

#[tokio::test]
async fn sql_queries_run_in_spans_named_after_the_call() {
    const BOUND: &str = "BOUND-s3cr3t";
    const ROW: &str = "ROW-s3cr3t";
    let server = server().await;
    let preview = "/api/w/ws/jobs/run_inline/preview";
    call("POST", preview)
        .respond_with(json(200, json!([{"name": ROW}])))
        .expect(4)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/assets/record_materialization")
        .respond_with(json(200, json!(null)))
        .mount(&server)
        .await;
    let wm = client(&server);

    let (capture, _guard) = Capture::install();
    let rows: Vec<serde_json::Value> = wm
        .datatable("main")
        .query("SELECT name FROM friend WHERE secret = $1")
        .bind(BOUND)
        .fetch()
        .await
        .unwrap();
    assert_eq!(rows[0]["name"], ROW);
    wm.datatable("main")
        .query("DELETE FROM friend WHERE secret = $1")
        .bind(BOUND)
        .execute()
        .await
        .unwrap();
    wm.ducklake("lake")
        .query("SELECT * FROM events")
        .fetch_collection(Some(wmill_http::ResultCollection::AllStatementsAllRows))
        .await
        .unwrap();
    wm.ducklake("lake")
        .pipeline(false)
        .append_partition("events", "SELECT 1")
        .execute()
        .await
        .unwrap();

    for (name, database) in [
        ("fetch", "datatable://main"),
        ("fetch_collection", "ducklake://lake"),
        ("materialize", "ducklake://lake"),
    ] {
        let span = capture.one(name);
        assert_eq!(field(&span, "workspace"), Some("ws"), "{name}");
        assert_eq!(field(&span, "database"), Some(database), "{name}");
        assert_eq!(span.parent, None, "{name}");
    }
    let fetch = capture.one("fetch");
    let run = capture.children(&fetch, "run_inline_script_preview");
    assert_eq!(run.len(), 1, "{:#?}", capture.spans());
    assert_eq!(capture.attempts(&run[0]), [("1".into(), "200".into())]);
    assert_eq!(
        field(&capture.one("fetch_collection"), "collection"),
        Some("all_statements_all_rows")
    );
    let executes = capture.named("execute");
    assert_eq!(executes.len(), 2, "{executes:#?}");
    let materialize = capture.one("materialize");
    assert_eq!(field(&materialize, "table"), Some("events"));
    assert!(
        executes.iter().any(|e| e.parent == Some(materialize.seq)),
        "the statements run inside the materialization"
    );
    assert!(executes.iter().any(|e| e.parent.is_none()));
    capture.assert_no_secret(&[TOKEN, BOUND, ROW]);
}
