//! Python's `cleanup`: a synchronous run or a wait whose future is dropped cancels its job, on
//! every wait strategy (polling, server-sent events, `run_wait_result`), and not when the
//! option is off; job handles and their guards over the HTTP backend.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::*;
use wiremock::{MockServer, Request, ResponseTemplate};
use wmill_core::{
    CANCEL_ON_DROP_REASON, ItemPath, JobId, JobRunner, PollSchedule, RunOptions, StartJobs,
    WaitOptions, WaitStrategy,
};

const ID: &str = "11111111-2222-4333-8444-555555555555";
const PATH: &str = "f/jobs/long";

fn id() -> JobId {
    JobId::parse(ID).unwrap()
}

fn p(s: &str) -> ItemPath {
    ItemPath::parse(s).unwrap()
}

fn poll() -> WaitStrategy {
    WaitStrategy::Poll(PollSchedule::fixed(Duration::from_millis(10)))
}

fn cancel_path(id: &str) -> String {
    format!("/api/w/ws/jobs_u/queue/cancel/{id}")
}

/// `POST jobs/run/p/{PATH}` answering 201 with the job id, as the server does.
async fn mount_start(server: &MockServer) {
    call("POST", &format!("/api/w/ws/jobs/run/p/{PATH}"))
        .and(exact_query(&[]))
        .respond_with(text(201, ID))
        .mount(server)
        .await;
}

/// `get_result_maybe` of any job: never completed.
async fn mount_never_completed(server: &MockServer) {
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path_regex(
            "^/api/w/ws/jobs_u/completed/get_result_maybe/[0-9a-f-]+$",
        ))
        .and(wiremock::matchers::header(
            "authorization",
            format!("Bearer {TOKEN}").as_str(),
        ))
        .and(exact_query(&[("get_started", "true")]))
        .respond_with(not_completed())
        .mount(server)
        .await;
}

/// An event stream that stays open without news for 30 s (the wait is dropped before).
async fn mount_silent_events(server: &MockServer) {
    call("GET", &format!("/api/w/ws/jobs_u/getupdate_sse/{ID}"))
        .and(exact_query(&[("only_result", "true"), ("fast", "true")]))
        .and(wiremock::matchers::header("accept", "text/event-stream"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(
                    b"data: {\"type\":\"ping\"}\n\n".to_vec(),
                    "text/event-stream",
                )
                .set_delay(Duration::from_secs(30)),
        )
        .mount(server)
        .await;
}

/// The cancel endpoint: 200 with text, as the server answers.
async fn mount_cancel(server: &MockServer) {
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path_regex(
            "^/api/w/ws/jobs_u/queue/cancel/[0-9a-f-]+$",
        ))
        .respond_with(text(200, "job canceled"))
        .mount(server)
        .await;
}

/// Waits (at most 5 s) until the server received a request on a path starting with `prefix`.
async fn seen(server: &MockServer, prefix: &str) -> Vec<Request> {
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let got: Vec<Request> = server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path().starts_with(prefix))
            .collect();
        if !got.is_empty() || Instant::now() > until {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Asserts the one cancel the server received: method, path, auth, JSON body with the reason.
async fn assert_cancelled(server: &MockServer, id: &str, reason: &str) {
    let cancels = seen(server, "/api/w/ws/jobs_u/queue/cancel/").await;
    assert_eq!(cancels.len(), 1, "one cancel: {cancels:?}");
    let c = &cancels[0];
    assert_eq!(c.method.as_str(), "POST");
    assert_eq!(c.url.path(), cancel_path(id));
    assert_eq!(c.url.query(), None);
    assert_eq!(
        c.headers.get("authorization").unwrap().to_str().unwrap(),
        format!("Bearer {TOKEN}")
    );
    assert!(json_body(json!({ "reason": reason }))(c), "{c:?}");
}

/// Asserts no cancel arrives within 300 ms.
async fn assert_no_cancel(server: &MockServer) {
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cancels = received_prefix(server, "/api/w/ws/jobs_u/queue/cancel/").await;
    assert!(cancels.is_empty(), "no cancel expected: {cancels:?}");
}

async fn received_prefix(server: &MockServer, prefix: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path().starts_with(prefix))
        .collect()
}

fn opts(strategy: WaitStrategy) -> RunOptions {
    RunOptions::new().wait(WaitOptions::new().strategy(strategy))
}

// ------------------------------------------------------------------ polling: future dropped

#[tokio::test]
async fn a_polled_sync_run_dropped_by_a_timeout_cancels_its_job() {
    let server = server().await;
    mount_start(&server).await;
    mount_never_completed(&server).await;
    mount_cancel(&server).await;
    let wm = client(&server);
    assert!(
        tokio::time::timeout(
            Duration::from_millis(150),
            wm.run_script_by_path(&p(PATH), Default::default(), &opts(poll()))
        )
        .await
        .is_err()
    );
    assert!(
        !seen(&server, "/api/w/ws/jobs_u/completed/get_result_maybe/")
            .await
            .is_empty()
    );
    assert_cancelled(&server, ID, CANCEL_ON_DROP_REASON).await;
}

#[tokio::test]
async fn a_polled_sync_run_without_cancel_on_drop_leaves_the_job() {
    let server = server().await;
    mount_start(&server).await;
    mount_never_completed(&server).await;
    mount_cancel(&server).await;
    let wm = client(&server);
    for options in [
        opts(poll()).cancel_on_drop(false),
        opts(poll()).cleanup(false),
    ] {
        assert!(
            tokio::time::timeout(
                Duration::from_millis(100),
                wm.run_script_by_path(&p(PATH), Default::default(), &options)
            )
            .await
            .is_err()
        );
    }
    assert_no_cancel(&server).await;
}

// ------------------------------------------------------------- server-sent events: aborted

#[tokio::test]
async fn an_aborted_task_waiting_on_events_cancels_its_job() {
    let server = server().await;
    mount_start(&server).await;
    mount_silent_events(&server).await;
    mount_cancel(&server).await;
    let wm = client(&server);
    let task = tokio::spawn(async move {
        wm.run_script_by_path(
            &p(PATH),
            Default::default(),
            &opts(WaitStrategy::ServerEvents),
        )
        .await
    });
    // Abort once the event stream is open.
    assert!(
        !seen(&server, "/api/w/ws/jobs_u/getupdate_sse/")
            .await
            .is_empty()
    );
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    assert_cancelled(&server, ID, CANCEL_ON_DROP_REASON).await;
}

#[tokio::test]
async fn an_aborted_event_wait_without_cancel_on_drop_leaves_the_job() {
    let server = server().await;
    mount_start(&server).await;
    mount_silent_events(&server).await;
    mount_cancel(&server).await;
    let wm = client(&server);
    let task = tokio::spawn(async move {
        wm.run_script_by_path(
            &p(PATH),
            Default::default(),
            &opts(WaitStrategy::ServerEvents).cancel_on_drop(false),
        )
        .await
    });
    assert!(
        !seen(&server, "/api/w/ws/jobs_u/getupdate_sse/")
            .await
            .is_empty()
    );
    task.abort();
    let _ = task.await;
    assert_no_cancel(&server).await;
}

// ------------------------------------------------------------ run_wait_result: select! lost

/// `run_wait_result` that answers after 30 s (the wait is dropped before).
async fn mount_long_run_wait_result(server: &MockServer) {
    call("POST", &format!("/api/w/ws/jobs/run_wait_result/p/{PATH}"))
        .and(|r: &Request| r.url.query_pairs().count() == 1 && job_id_of(r).is_some())
        .and(json_body(json!({"x": 1})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!(1))
                .set_delay(Duration::from_secs(30)),
        )
        .mount(server)
        .await;
}

fn job_id_of(r: &Request) -> Option<String> {
    r.url
        .query_pairs()
        .find(|(k, _)| k == "job_id")
        .map(|(_, v)| v.into_owned())
        .filter(|v| JobId::parse(v).is_ok())
}

#[tokio::test]
async fn a_run_wait_result_run_that_loses_a_select_cancels_its_job() {
    let server = server().await;
    mount_long_run_wait_result(&server).await;
    mount_never_completed(&server).await;
    mount_cancel(&server).await;
    // Default options: on a loopback URL the run holds run_wait_result.
    let wm = always_client(&server);
    let args = wmill_core::to_args(&json!({"x": 1})).unwrap();
    let options = RunOptions::new();
    let mut stop = std::pin::pin!(async {
        seen(&server, "/api/w/ws/jobs/run_wait_result/").await;
    });
    let path = p(PATH);
    tokio::select! {
        r = wm.run_script_by_path(&path, args, &options) => panic!("cannot complete: {r:?}"),
        _ = &mut stop => {}
    }
    let run = seen(&server, "/api/w/ws/jobs/run_wait_result/").await;
    let chosen = job_id_of(&run[0]).unwrap();
    assert_cancelled(&server, &chosen, CANCEL_ON_DROP_REASON).await;
}

#[tokio::test]
async fn without_cancel_on_drop_a_run_never_holds_run_wait_result() {
    let server = server().await;
    mount_long_run_wait_result(&server).await;
    mount_start(&server).await;
    mount_never_completed(&server).await;
    mount_cancel(&server).await;
    let wm = client(&server);
    assert!(
        tokio::time::timeout(
            Duration::from_millis(150),
            wm.run_script_by_path(
                &p(PATH),
                Default::default(),
                &RunOptions::new().cancel_on_drop(false),
            )
        )
        .await
        .is_err()
    );
    assert!(
        received_prefix(&server, "/api/w/ws/jobs/run_wait_result/")
            .await
            .is_empty()
    );
    assert_eq!(
        received_prefix(&server, &format!("/api/w/ws/jobs/run/p/{PATH}"))
            .await
            .len(),
        1
    );
    assert_no_cancel(&server).await;
}

// ------------------------------------------------------------------------------- wait_job

#[tokio::test]
async fn a_dropped_wait_job_cancels_and_a_completed_one_does_not() {
    let server = server().await;
    call(
        "GET",
        &format!("/api/w/ws/jobs_u/completed/get_result_maybe/{ID}"),
    )
    .and(exact_query(&[("get_started", "true")]))
    .respond_with(not_completed())
    .mount(&server)
    .await;
    mount_cancel(&server).await;
    let wm = client(&server);
    assert!(
        tokio::time::timeout(
            Duration::from_millis(100),
            wm.wait_job(&id(), &WaitOptions::new().strategy(poll()))
        )
        .await
        .is_err()
    );
    assert_cancelled(&server, ID, CANCEL_ON_DROP_REASON).await;

    // A job that completes: nothing is canceled after the wait returned.
    const DONE: &str = "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12";
    call(
        "GET",
        &format!("/api/w/ws/jobs_u/completed/get_result_maybe/{DONE}"),
    )
    .respond_with(completed(true, json!(7)))
    .mount(&server)
    .await;
    let done = JobId::parse(DONE).unwrap();
    assert_eq!(
        wm.wait_job(&done, &WaitOptions::new()).await.unwrap(),
        json!(7)
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        received_prefix(&server, &cancel_path(DONE))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_completed_sync_run_cancels_nothing() {
    let server = server().await;
    mount_start(&server).await;
    call(
        "GET",
        &format!("/api/w/ws/jobs_u/completed/get_result_maybe/{ID}"),
    )
    .respond_with(completed(true, json!({"ok": true})))
    .mount(&server)
    .await;
    mount_cancel(&server).await;
    let out = client(&server)
        .run_script_by_path(&p(PATH), Default::default(), &opts(poll()))
        .await
        .unwrap();
    assert_eq!(out, json!({"ok": true}));
    assert_no_cancel(&server).await;
}

// --------------------------------------------------------------------- handles over HTTP

#[tokio::test]
async fn handles_over_http_and_their_guards() {
    let server = server().await;
    mount_start(&server).await;
    mount_cancel(&server).await;
    call("GET", &format!("/api/w/ws/jobs_u/get/{ID}"))
        .and(exact_query(&[("no_logs", "true"), ("no_code", "true")]))
        .respond_with(json(
            200,
            json!({"type": "QueuedJob", "id": ID, "running": true}),
        ))
        .mount(&server)
        .await;
    let wm = client(&server);
    let job = wm
        .start_script_by_path(&p(PATH), &json!({}), &RunOptions::new())
        .await
        .unwrap();
    assert_eq!(job.id(), id());
    assert_eq!(job.status().await.unwrap(), wmill_core::JobStatus::Running);
    // A disarmed guard sends nothing.
    let job = job.cancel_on_drop("unused").disarm();
    assert_no_cancel(&server).await;
    // A dropped guard cancels with its reason, in the background.
    drop(job.cancel_on_drop("the request was aborted"));
    assert_cancelled(&server, ID, "the request was aborted").await;
}

#[tokio::test]
async fn a_failing_background_cancel_is_only_logged() {
    let server = server().await;
    call("POST", &cancel_path(ID))
        .respond_with(text(500, "Internal: database is down"))
        .mount(&server)
        .await;
    let wm = client(&server);
    assert!(wm.cancel_job_in_background(&id(), "why").is_ok());
    let cancels = seen(&server, &cancel_path(ID)).await;
    assert!(!cancels.is_empty());
    assert!(json_body(json!({"reason": "why"}))(&cancels[0]));
}
