//! Waiting for jobs: each strategy, run_wait_result races and fallbacks, timeout-then-cancel,
//! job failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::*;
use wiremock::ResponseTemplate;
use wmill_core::{
    Error, ItemPath, JobId, JobRunner, PollSchedule, RunOptions, ScriptHash, WaitOptions,
    WaitStrategy, to_args,
};

const ID: &str = "11111111-2222-4333-8444-555555555555";

fn id() -> JobId {
    JobId::parse(ID).unwrap()
}

fn p(s: &str) -> ItemPath {
    ItemPath::parse(s).unwrap()
}

fn maybe_path() -> String {
    format!("/api/w/ws/jobs_u/completed/get_result_maybe/{ID}")
}

fn fast_poll() -> WaitStrategy {
    WaitStrategy::Poll(PollSchedule::new(
        Duration::from_millis(2),
        Duration::from_millis(10),
        0.1,
    ))
}

#[tokio::test]
async fn poll_strategy_polls_until_completed() {
    let server = server().await;
    call("GET", &maybe_path())
        .and(exact_query(&[("get_started", "true")]))
        .respond_with(not_completed())
        .up_to_n_times(3)
        .with_priority(1)
        .expect(3)
        .mount(&server)
        .await;
    call("GET", &maybe_path())
        .respond_with(completed(true, json!({"sum": 5})))
        .expect(1)
        .mount(&server)
        .await;
    let v = client(&server)
        .wait_job(&id(), &WaitOptions::new().strategy(fast_poll()))
        .await
        .unwrap();
    assert_eq!(v, json!({"sum": 5}));
}

#[tokio::test]
async fn a_failed_job_is_job_failed_with_the_error_value() {
    let server = server().await;
    call("GET", &maybe_path())
        .respond_with(completed(
            false,
            json!({"error": {"name": "ValueError", "message": "boom", "stack": "..."}}),
        ))
        .mount(&server)
        .await;
    let e = client(&server)
        .wait_job(&id(), &WaitOptions::new().strategy(fast_poll()))
        .await
        .unwrap_err();
    match e {
        Error::JobFailed { job_id, error } => {
            assert_eq!(job_id, id());
            assert_eq!(
                *error,
                json!({"name": "ValueError", "message": "boom", "stack": "..."})
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_failure_without_an_error_field_keeps_the_whole_result() {
    let server = server().await;
    call("GET", &maybe_path())
        .respond_with(completed(false, json!("exit code 1")))
        .mount(&server)
        .await;
    let e = client(&server)
        .wait_job(&id(), &WaitOptions::new().strategy(fast_poll()))
        .await
        .unwrap_err();
    assert_eq!(e.job_error(), Some(&json!("exit code 1")));
}

#[tokio::test]
async fn timeout_cancels_once_and_returns_at_once() {
    let server = server().await;
    call("GET", &maybe_path())
        .respond_with(not_completed())
        .mount(&server)
        .await;
    call(
        "POST",
        format!("/api/w/ws/jobs_u/queue/cancel/{ID}").as_str(),
    )
    .and(json_body(json!({"reason": "reached timeout"})))
    .respond_with(text(200, ID))
    .expect(1)
    .mount(&server)
    .await;
    let started = Instant::now();
    let e = client(&server)
        .wait_job(
            &id(),
            &WaitOptions::new()
                .timeout(Duration::from_millis(150))
                .strategy(fast_poll()),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Timeout { job_id: Some(j), after } if j == id() && after == Duration::from_millis(150)),
        "{e:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn timeout_without_cancel_leaves_the_job_alone() {
    let server = server().await;
    call("GET", &maybe_path())
        .respond_with(not_completed())
        .mount(&server)
        .await;
    call(
        "POST",
        format!("/api/w/ws/jobs_u/queue/cancel/{ID}").as_str(),
    )
    .respond_with(text(200, ID))
    .expect(0)
    .mount(&server)
    .await;
    let e = client(&server)
        .wait_job(
            &id(),
            &WaitOptions::new()
                .timeout(Duration::from_millis(100))
                .cancel_on_timeout(false),
        )
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }));
}

fn sse_body(events: &[serde_json::Value]) -> ResponseTemplate {
    let body: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
    ResponseTemplate::new(200)
        .insert_header("content-type", "text/event-stream")
        .insert_header("cache-control", "no-cache")
        .set_body_raw(body.into_bytes(), "text/event-stream")
}

#[tokio::test]
async fn server_events_strategy_reads_the_stream() {
    let server = server().await;
    call(
        "GET",
        format!("/api/w/ws/jobs_u/getupdate_sse/{ID}").as_str(),
    )
    .and(exact_query(&[("only_result", "true"), ("fast", "true")]))
    .respond_with(sse_body(&[
        json!({"type": "update", "completed": false}),
        json!({"type": "ping"}),
        json!({"type": "update", "completed": true, "only_result": {"x": 1}}),
    ]))
    .expect(1)
    .mount(&server)
    .await;
    // only_result carries no success flag: one probe reads the authoritative outcome.
    call("GET", &maybe_path())
        .respond_with(completed(true, json!({"x": 1})))
        .expect(1)
        .mount(&server)
        .await;
    let v = client(&server)
        .wait_job(
            &id(),
            &WaitOptions::new().strategy(WaitStrategy::ServerEvents),
        )
        .await
        .unwrap();
    assert_eq!(v, json!({"x": 1}));
}

#[tokio::test]
async fn server_events_use_the_job_when_the_update_carries_it() {
    let server = server().await;
    call(
        "GET",
        format!("/api/w/ws/jobs_u/getupdate_sse/{ID}").as_str(),
    )
    .respond_with(sse_body(&[json!({
        "type": "update", "completed": true,
        "job": {"type": "CompletedJob", "success": false, "result": {"error": {"message": "no"}}}
    })]))
    .expect(1)
    .mount(&server)
    .await;
    let e = client(&server)
        .wait_job(
            &id(),
            &WaitOptions::new().strategy(WaitStrategy::ServerEvents),
        )
        .await
        .unwrap_err();
    assert_eq!(e.job_error().unwrap()["message"], "no");
}

#[tokio::test]
async fn server_events_reconnect_on_timeout_and_report_not_found() {
    let server = server().await;
    call(
        "GET",
        format!("/api/w/ws/jobs_u/getupdate_sse/{ID}").as_str(),
    )
    .respond_with(sse_body(&[json!({"type": "notfound"})]))
    .mount(&server)
    .await;
    let e = client(&server)
        .wait_job(
            &id(),
            &WaitOptions::new().strategy(WaitStrategy::ServerEvents),
        )
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e:?}");
}

#[tokio::test]
async fn an_event_stream_route_answering_404_falls_back_to_polling_at_once() {
    // A missing job is a `notfound` event; an HTTP 404 is a missing route (an older server,
    // a proxy rule): one try, then polling, which finds the job.
    let server = server().await;
    call(
        "GET",
        format!("/api/w/ws/jobs_u/getupdate_sse/{ID}").as_str(),
    )
    .respond_with(text(404, "Not Found"))
    .expect(1)
    .mount(&server)
    .await;
    call("GET", &maybe_path())
        .respond_with(completed(true, json!(11)))
        .expect(1)
        .mount(&server)
        .await;
    let v = client(&server)
        .wait_job(
            &id(),
            &WaitOptions::new().strategy(WaitStrategy::ServerEvents),
        )
        .await
        .unwrap();
    assert_eq!(v, json!(11));
}

#[tokio::test]
async fn endless_windows_and_intervals_do_not_overflow() {
    let server = server().await;
    call("GET", &maybe_path())
        .respond_with(not_completed())
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    call("GET", &maybe_path())
        .respond_with(completed(true, json!(5)))
        .mount(&server)
        .await;
    let tuning = wmill_http::WaitTuning::default()
        .poll_window(Duration::MAX)
        .poll(PollSchedule::new(
            Duration::from_millis(1),
            Duration::MAX,
            0.0,
        ));
    let wm = builder(&server).with_wait_tuning(tuning).build().unwrap();
    let v = wm.wait_job(&id(), &WaitOptions::new()).await.unwrap();
    assert_eq!(v, json!(5));
    let e = wm.create_token(Duration::MAX).await.unwrap_err();
    assert!(matches!(e, Error::InvalidInput { .. }), "{e:?}");
}

#[tokio::test]
async fn broken_event_streams_fall_back_to_polling() {
    let server = server().await;
    call(
        "GET",
        format!("/api/w/ws/jobs_u/getupdate_sse/{ID}").as_str(),
    )
    .respond_with(text(500, "Internal: stream failed"))
    .expect(3)
    .mount(&server)
    .await;
    call("GET", &maybe_path())
        .respond_with(completed(true, json!(7)))
        .expect(1)
        .mount(&server)
        .await;
    let v = client(&server)
        .wait_job(
            &id(),
            &WaitOptions::new().strategy(WaitStrategy::ServerEvents),
        )
        .await
        .unwrap();
    assert_eq!(v, json!(7));
}

#[tokio::test]
async fn auto_wait_polls_first_then_uses_events() {
    let server = server().await;
    call("GET", &maybe_path())
        .respond_with(not_completed())
        .mount(&server)
        .await;
    call(
        "GET",
        format!("/api/w/ws/jobs_u/getupdate_sse/{ID}").as_str(),
    )
    .respond_with(sse_body(&[json!({
        "type": "update", "completed": true,
        "job": {"type": "CompletedJob", "success": true, "result": "done"}
    })]))
    .expect(1)
    .mount(&server)
    .await;
    let wm = builder(&server)
        .with_wait_tuning(wmill_http::WaitTuning::default().poll_window(Duration::from_millis(60)))
        .build()
        .unwrap();
    let v = wm.wait_job(&id(), &WaitOptions::new()).await.unwrap();
    assert_eq!(v, json!("done"));
    let polls = received(&server, &maybe_path()).await.len();
    assert!((1..=30).contains(&polls), "{polls} polls in a 60 ms window");
}

// ---------------------------------------------------------------- synchronous runs

fn job_id_of(req: &wiremock::Request) -> String {
    req.url
        .query_pairs()
        .find(|(k, _)| k == "job_id")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn sync_run_by_path_uses_run_wait_result_with_a_chosen_id() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run_wait_result/p/f/jobs/add")
        .and(|r: &wiremock::Request| {
            let q: Vec<(String, String)> = r
                .url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            q.len() == 4
                && q.iter().any(|(k, v)| k == "tag" && v == "gpu")
                && q.iter().any(|(k, v)| k == "parent_job" && v == JOB)
                && q.iter().any(|(k, v)| k == "root_job" && v == ROOT)
                && q.iter()
                    .any(|(k, v)| k == "job_id" && JobId::parse(v).is_ok())
        })
        .and(json_body(json!({"a": 2, "b": 3})))
        .respond_with(json(200, json!({"sum": 5})))
        .expect(1)
        .mount(&server)
        .await;
    // The race polls while the long request is open (the job may not exist yet: 404).
    Mock404::mount(&server).await;
    let v = always_job_client(&server)
        .run_script_by_path(
            &p("f/jobs/add"),
            to_args(&json!({"a": 2, "b": 3})).unwrap(),
            &RunOptions::new().tag("gpu"),
        )
        .await
        .unwrap();
    assert_eq!(v, json!({"sum": 5}));
    let run = received(&server, "/api/w/ws/jobs/run_wait_result/p/f/jobs/add").await;
    let polled: Vec<_> = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path().contains("get_result_maybe"))
        .collect();
    for poll in &polled {
        assert!(
            poll.url.path().ends_with(&job_id_of(&run[0])),
            "polls the same job id"
        );
    }
}

struct Mock404;
impl Mock404 {
    async fn mount(server: &wiremock::MockServer) {
        wiremock::Mock::given(wiremock::matchers::path_regex(
            "^/api/w/ws/jobs_u/completed/get_result_maybe/.*$",
        ))
        .respond_with(text(404, "Not found: Job not found"))
        .mount(server)
        .await;
    }
}

/// The check a synchronous run with a chosen id makes first: the id is not taken yet.
async fn chosen_id_is_free(server: &wiremock::MockServer) {
    call("GET", &format!("/api/w/ws/jobs_u/get/{ID}"))
        .and(exact_query(&[("no_logs", "true"), ("no_code", "true")]))
        .respond_with(text(404, "Not found: Job not found"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn sync_run_with_a_taken_id_is_already_exists_not_the_old_result() {
    let server = server().await;
    call("GET", &format!("/api/w/ws/jobs_u/get/{ID}"))
        .respond_with(json(
            200,
            json!({"type": "CompletedJob", "id": ID, "success": true}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", &maybe_path())
        .respond_with(completed(true, json!("the old job's result")))
        .expect(0)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/jobs/run_wait_result/p/f/jobs/x")
        .respond_with(json(200, json!(0)))
        .expect(0)
        .mount(&server)
        .await;
    let e = always_client(&server)
        .run_script_by_path(
            &p("f/jobs/x"),
            Default::default(),
            &RunOptions::new().job_id(id()),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::AlreadyExists { kind: wmill_core::ItemKind::Job, path } if path == ID),
        "{e:?}"
    );
}

#[tokio::test]
async fn sync_run_returns_from_polling_before_the_long_request_answers() {
    let server = server().await;
    chosen_id_is_free(&server).await;
    let chosen = id();
    call("POST", "/api/w/ws/jobs/run_wait_result/p/f/jobs/quick")
        .and(exact_query(&[("job_id", ID)]))
        .respond_with(json(200, json!("late")).set_delay(Duration::from_secs(3)))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", &maybe_path())
        .respond_with(text(404, "Not found: Job not found"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    call("GET", &maybe_path())
        .respond_with(completed(true, json!("early")))
        .mount(&server)
        .await;
    let started = Instant::now();
    let v = always_client(&server)
        .run_script_by_path(
            &p("f/jobs/quick"),
            Default::default(),
            &RunOptions::new().job_id(chosen),
        )
        .await
        .unwrap();
    assert_eq!(v, json!("early"));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn sync_run_failure_from_run_wait_result_is_job_failed() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run_wait_result/p/f/jobs/fail")
        .respond_with(json(
            422,
            json!({"error": {"name": "Error", "message": "bad input"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock404::mount(&server).await;
    let e = always_client(&server)
        .run_script_by_path(&p("f/jobs/fail"), Default::default(), &RunOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(&e, Error::JobFailed { .. }), "{e:?}");
    assert_eq!(e.job_error().unwrap()["message"], "bad input");
}

#[tokio::test]
async fn sync_run_of_a_missing_script_is_not_found() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run_wait_result/p/f/jobs/none")
        .respond_with(text(404, "Not found: script not found at name f/jobs/none"))
        .mount(&server)
        .await;
    Mock404::mount(&server).await;
    let e = always_client(&server)
        .run_script_by_path(&p("f/jobs/none"), Default::default(), &RunOptions::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::NotFound {
                kind: wmill_core::ItemKind::Script,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn run_wait_result_server_timeout_falls_back_to_waiting_on_the_same_job() {
    let server = server().await;
    chosen_id_is_free(&server).await;
    call("POST", "/api/w/ws/jobs/run_wait_result/p/f/jobs/long")
        .and(exact_query(&[("job_id", ID)]))
        .respond_with(text(500, "timeout after 600s").set_delay(Duration::from_millis(80)))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", &maybe_path())
        .respond_with(not_completed())
        .mount(&server)
        .await;
    call("GET", format!("/api/w/ws/jobs_u/get/{ID}").as_str())
        .respond_with(json(
            200,
            json!({"type": "QueuedJob", "id": ID, "running": true}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    call(
        "GET",
        format!("/api/w/ws/jobs_u/getupdate_sse/{ID}").as_str(),
    )
    .respond_with(sse_body(&[json!({
        "type": "update", "completed": true,
        "job": {"type": "CompletedJob", "success": true, "result": 42}
    })]))
    .expect(1)
    .mount(&server)
    .await;
    // Nothing is started a second time.
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/long")
        .respond_with(text(201, ID))
        .expect(0)
        .mount(&server)
        .await;
    let wm = builder(&server)
        .with_wait_tuning(
            wmill_http::WaitTuning::default()
                .server_wait(wmill_http::ServerWait::Always)
                .poll_window(Duration::from_millis(30)),
        )
        .build()
        .unwrap();
    let v = wm
        .run_script_by_path(
            &p("f/jobs/long"),
            Default::default(),
            &RunOptions::new().job_id(id()),
        )
        .await
        .unwrap();
    assert_eq!(v, json!(42));
}

#[tokio::test]
async fn sync_run_timeout_cancels_the_job() {
    let server = server().await;
    chosen_id_is_free(&server).await;
    call("POST", "/api/w/ws/jobs/run_wait_result/p/f/jobs/slow")
        .respond_with(json(200, json!("never")).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    call("GET", &maybe_path())
        .respond_with(not_completed())
        .mount(&server)
        .await;
    call(
        "POST",
        format!("/api/w/ws/jobs_u/queue/cancel/{ID}").as_str(),
    )
    .and(json_body(json!({"reason": "reached timeout"})))
    .respond_with(text(200, ID))
    .expect(1)
    .mount(&server)
    .await;
    let started = Instant::now();
    let e = always_client(&server)
        .run_script_by_path(
            &p("f/jobs/slow"),
            Default::default(),
            &RunOptions::new()
                .job_id(id())
                .timeout(Duration::from_millis(200)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::Timeout { job_id: Some(j), .. } if j == id()),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn sync_run_without_cleanup_starts_with_run_and_waits() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/x")
        .and(exact_query(&[]))
        .respond_with(text(201, ID))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", &maybe_path())
        .respond_with(completed(true, json!(1)))
        .mount(&server)
        .await;
    let v = client(&server)
        .run_script_by_path(
            &p("f/jobs/x"),
            Default::default(),
            &RunOptions::new().cleanup(false),
        )
        .await
        .unwrap();
    assert_eq!(v, json!(1));
}

/// A client reaching the mock server under a name that is not loopback (as through a proxy).
fn remote_client(
    server: &wiremock::MockServer,
    tuning: wmill_http::WaitTuning,
) -> wmill_http::Windmill {
    let addr = *server.address();
    let http = reqwest::Client::builder()
        .resolve("windmill.example.com", addr)
        .build()
        .unwrap();
    wmill_http::Windmill::builder()
        .with_base_url(format!("http://windmill.example.com:{}", addr.port()))
        .with_token(TOKEN)
        .with_workspace("ws")
        .with_client(http)
        .with_wait_tuning(tuning)
        .build()
        .unwrap()
}

#[tokio::test]
async fn sync_runs_off_a_direct_connection_never_hold_run_wait_result() {
    // The server cancels a job whose run_wait_result connection breaks: through a URL that
    // may be a proxy, a synchronous run starts the job and waits on it instead.
    for tuning in [
        wmill_http::WaitTuning::default(),
        wmill_http::WaitTuning::default().server_wait(wmill_http::ServerWait::Never),
    ] {
        let server = server().await;
        call("POST", "/api/w/ws/jobs/run/p/f/jobs/x")
            .and(exact_query(&[]))
            .respond_with(text(201, ID))
            .expect(1)
            .mount(&server)
            .await;
        call("POST", "/api/w/ws/jobs/run_wait_result/p/f/jobs/x")
            .respond_with(json(200, json!(0)))
            .expect(0)
            .mount(&server)
            .await;
        call("GET", &maybe_path())
            .respond_with(completed(true, json!(7)))
            .mount(&server)
            .await;
        let v = remote_client(&server, tuning)
            .run_script_by_path(&p("f/jobs/x"), Default::default(), &RunOptions::new())
            .await
            .unwrap();
        assert_eq!(v, json!(7));
        server.verify().await;
    }
    // On loopback, `Never` holds too.
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/x")
        .respond_with(text(201, ID))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/jobs/run_wait_result/p/f/jobs/x")
        .respond_with(json(200, json!(0)))
        .expect(0)
        .mount(&server)
        .await;
    call("GET", &maybe_path())
        .respond_with(completed(true, json!(8)))
        .mount(&server)
        .await;
    let wm = builder(&server)
        .with_wait_tuning(
            wmill_http::WaitTuning::default().server_wait(wmill_http::ServerWait::Never),
        )
        .build()
        .unwrap();
    let v = wm
        .run_script_by_path(&p("f/jobs/x"), Default::default(), &RunOptions::new())
        .await
        .unwrap();
    assert_eq!(v, json!(8));
}

#[tokio::test]
async fn always_holds_run_wait_result_even_off_a_direct_connection() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run_wait_result/p/f/jobs/x")
        .respond_with(json(200, json!(9)))
        .expect(1)
        .mount(&server)
        .await;
    // (The race's polls of the chosen id get wiremock's 404: "not started yet".)
    let v = remote_client(
        &server,
        wmill_http::WaitTuning::default().server_wait(wmill_http::ServerWait::Always),
    )
    .run_script_by_path(&p("f/jobs/x"), Default::default(), &RunOptions::new())
    .await
    .unwrap();
    assert_eq!(v, json!(9));
}

#[tokio::test]
async fn sync_run_scheduled_later_starts_with_run() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/x")
        .and(exact_query(&[("scheduled_in_secs", "2")]))
        .respond_with(text(201, ID))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", &maybe_path())
        .respond_with(completed(true, json!(1)))
        .mount(&server)
        .await;
    client(&server)
        .run_script_by_path(
            &p("f/jobs/x"),
            Default::default(),
            &RunOptions::new().scheduled_in(Duration::from_secs(2)),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn sync_run_by_hash_starts_with_run_h_and_polls() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/h/0000000000abc123")
        .and(exact_query(&[]))
        .and(json_body(json!({"k": "v"})))
        .respond_with(text(201, ID))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", &maybe_path())
        .respond_with(completed(true, json!("hashed")))
        .mount(&server)
        .await;
    let v = client(&server)
        .run_script_by_hash(
            &ScriptHash::parse("0000000000abc123").unwrap(),
            to_args(&json!({"k": "v"})).unwrap(),
            &RunOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(v, json!("hashed"));
}

#[tokio::test]
async fn sync_flow_uses_run_wait_result_f_unless_tagged() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run_wait_result/f/f/flows/etl")
        .and(|r: &wiremock::Request| r.url.query_pairs().count() == 1 && !job_id_of(r).is_empty())
        .respond_with(json(200, json!("flowed")))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/jobs/run/f/f/flows/etl")
        .and(exact_query(&[("tag", "t")]))
        .respond_with(text(201, ID))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", &maybe_path())
        .respond_with(completed(true, json!("tagged")))
        .mount(&server)
        .await;
    Mock404::mount(&server).await;
    let wm = always_job_client(&server);
    let v = wm
        .run_flow(&p("f/flows/etl"), Default::default(), &RunOptions::new())
        .await
        .unwrap();
    assert_eq!(v, json!("flowed"));
    let v = wm
        .run_flow(
            &p("f/flows/etl"),
            Default::default(),
            &RunOptions::new().tag("t"),
        )
        .await
        .unwrap();
    assert_eq!(v, json!("tagged"));
}

#[tokio::test]
async fn a_text_422_from_run_wait_result_is_a_rejection_not_a_job_failure() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run_wait_result/p/f/jobs/x")
        .respond_with(text(
            422,
            "Failed to deserialize the JSON body into the target type: missing field `x`",
        ))
        .mount(&server)
        .await;
    Mock404::mount(&server).await;
    let e = always_client(&server)
        .run_script_by_path(&p("f/jobs/x"), Default::default(), &RunOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Api { status: 422, .. }), "{e:?}");
}

/// `POST run_wait_result` whose answer never comes, and a job the server never created: the
/// run does not sit in the long request (680 s). Once the request timeout has passed without
/// the job existing, it starts the job with the same id (so it runs once) and waits on it.
#[tokio::test]
async fn a_stalled_run_wait_result_start_ends_after_the_request_timeout_with_one_start() {
    let server = server().await;
    chosen_id_is_free(&server).await;
    call("POST", "/api/w/ws/jobs/run_wait_result/p/f/jobs/long")
        .and(exact_query(&[("job_id", ID)]))
        .respond_with(json(200, json!("never")).set_delay(Duration::from_secs(60)))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", &maybe_path())
        .respond_with(text(404, &format!("Not found: Job not found at name {ID}")))
        .mount(&server)
        .await;
    call("GET", format!("/api/w/ws/jobs_u/get/{ID}").as_str())
        .respond_with(text(404, &format!("Not found: Job not found at name {ID}")))
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/long")
        .and(exact_query(&[("job_id", ID)]))
        .respond_with(text(201, ID))
        .expect(1)
        .mount(&server)
        .await;
    call(
        "GET",
        format!("/api/w/ws/jobs_u/getupdate_sse/{ID}").as_str(),
    )
    .respond_with(sse_body(&[json!({
        "type": "update", "completed": true,
        "job": {"type": "CompletedJob", "success": true, "result": 42}
    })]))
    .expect(1)
    .mount(&server)
    .await;
    let timeout = Duration::from_millis(400);
    let wm = builder(&server)
        .with_request_timeout(timeout)
        .with_wait_tuning(
            wmill_http::WaitTuning::default()
                .server_wait(wmill_http::ServerWait::Always)
                .poll_window(Duration::from_millis(30)),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let v = wm
        .run_script_by_path(
            &p("f/jobs/long"),
            Default::default(),
            &RunOptions::new().job_id(id()),
        )
        .await
        .unwrap();
    assert_eq!(v, json!(42));
    // A bound, not a measurement: the long request would have held the run for 60 s.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// A synchronous run whose `run_wait_result` answers 200 with an empty body (a proxy, a cut
/// body) does not return `Ok("")`: the job ran, so its result is read from the job.
#[tokio::test]
async fn an_empty_run_wait_result_answer_falls_back_to_the_job() {
    let server = server().await;
    chosen_id_is_free(&server).await;
    call("POST", "/api/w/ws/jobs/run_wait_result/p/f/jobs/quick")
        .and(exact_query(&[("job_id", ID)]))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(50)))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", &maybe_path())
        .respond_with(not_completed())
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    call(
        "GET",
        format!("/api/w/ws/jobs_u/getupdate_sse/{ID}").as_str(),
    )
    .respond_with(sse_body(&[json!({
        "type": "update", "completed": true,
        "job": {"type": "CompletedJob", "success": true, "result": {"rows": 3}}
    })]))
    .expect(1)
    .mount(&server)
    .await;
    // Nothing is started a second time.
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/quick")
        .respond_with(text(201, ID))
        .expect(0)
        .mount(&server)
        .await;
    let wm = builder(&server)
        .with_wait_tuning(
            wmill_http::WaitTuning::default()
                .server_wait(wmill_http::ServerWait::Always)
                .poll_window(Duration::from_millis(10)),
        )
        .build()
        .unwrap();
    let v = wm
        .run_script_by_path(
            &p("f/jobs/quick"),
            Default::default(),
            &RunOptions::new().job_id(id()),
        )
        .await
        .unwrap();
    assert_eq!(v, json!({"rows": 3}));
}

/// A `run_wait_result` request held silent (a proxy holding the answer) after the job
/// completed: the run checks the job every `long_request_check` and returns its result, instead
/// of waiting out the long request (680 s).
#[tokio::test]
async fn a_silent_run_wait_result_ends_soon_after_its_job() {
    let server = server().await;
    chosen_id_is_free(&server).await;
    call("POST", "/api/w/ws/jobs/run_wait_result/p/f/jobs/held")
        .and(exact_query(&[("job_id", ID)]))
        .respond_with(json(200, json!("never")).set_delay(Duration::from_secs(60)))
        .expect(1)
        .mount(&server)
        .await;
    // Running during the polling window, completed afterwards.
    call("GET", &maybe_path())
        .respond_with(not_completed())
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    call("GET", &maybe_path())
        .respond_with(completed(true, json!({"done": true})))
        .mount(&server)
        .await;
    let wm = builder(&server)
        .with_wait_tuning(
            wmill_http::WaitTuning::default()
                .server_wait(wmill_http::ServerWait::Always)
                .poll_window(Duration::from_millis(20))
                .long_request_check(Duration::from_millis(200)),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let v = wm
        .run_script_by_path(
            &p("f/jobs/held"),
            Default::default(),
            &RunOptions::new().job_id(id()),
        )
        .await
        .unwrap();
    assert_eq!(v, json!({"done": true}));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------- waits without history

/// `(method, path, query)` of every request the server received, in order.
async fn sequence(server: &wiremock::MockServer) -> Vec<(String, String, String)> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.url.path().to_owned(),
                r.url.query().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

fn sse_path() -> String {
    format!("/api/w/ws/jobs_u/getupdate_sse/{ID}")
}

/// An event stream that stays silent for `delay`, then says the job completed with `result`.
async fn mount_slow_stream(
    server: &wiremock::MockServer,
    delay: Duration,
    result: serde_json::Value,
) {
    call("GET", &sse_path())
        .and(exact_query(&[("only_result", "true"), ("fast", "true")]))
        .respond_with(
            sse_body(&[json!({
                "type": "update", "completed": true,
                "job": {"type": "CompletedJob", "success": true, "result": result}
            })])
            .set_delay(delay),
        )
        .expect(1)
        .mount(server)
        .await;
}

/// `get_result_maybe?get_started=true`: not completed `running` times, then completed.
async fn mount_polls(server: &wiremock::MockServer, running: u64, result: serde_json::Value) {
    if running > 0 {
        call("GET", &maybe_path())
            .and(exact_query(&[("get_started", "true")]))
            .respond_with(not_completed())
            .up_to_n_times(running)
            .with_priority(1)
            .mount(server)
            .await;
    }
    call("GET", &maybe_path())
        .and(exact_query(&[("get_started", "true")]))
        .respond_with(completed(true, result))
        .with_priority(2)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_first_run_opens_the_event_stream_at_once_then_polls_between_its_checks() {
    // No history: the job is started with jobs/run, the event stream opened right after (its
    // first check is the server's, at once), and get_result_maybe polled between the stream's
    // checks; the poll that finds the job completed ends the wait (and drops the stream). The
    // same for a client that learns (a first run) and one that does not.
    for tuning in [
        wmill_http::WaitTuning::default(),
        wmill_http::WaitTuning::default().history(wmill_http::WaitHistory::disabled()),
    ] {
        let server = server().await;
        call("POST", "/api/w/ws/jobs/run/p/f/jobs/x")
            .and(exact_query(&[]))
            .and(json_body(json!({"a": 1})))
            .respond_with(text(201, ID))
            .expect(1)
            .mount(&server)
            .await;
        mount_slow_stream(&server, Duration::from_secs(30), json!("from the stream")).await;
        mount_polls(&server, 2, json!(3)).await;
        let args = to_args(&json!({"a": 1})).unwrap();
        let v = builder(&server)
            .with_wait_tuning(tuning)
            .build()
            .unwrap()
            .run_script_by_path(&p("f/jobs/x"), args, &RunOptions::new())
            .await
            .unwrap();
        assert_eq!(v, json!(3));
        let maybe = (
            "GET".to_owned(),
            maybe_path(),
            "get_started=true".to_owned(),
        );
        assert_eq!(
            sequence(&server).await,
            vec![
                (
                    "POST".to_owned(),
                    "/api/w/ws/jobs/run/p/f/jobs/x".to_owned(),
                    String::new()
                ),
                (
                    "GET".to_owned(),
                    sse_path(),
                    "only_result=true&fast=true".to_owned()
                ),
                maybe.clone(),
                maybe.clone(),
                maybe,
            ],
            "{tuning:?}"
        );
    }
}

#[tokio::test]
async fn a_wait_on_an_unknown_job_polls_once_then_opens_the_stream() {
    // A job this client did not start may have completed long ago: one poll first.
    let server = server().await;
    mount_slow_stream(&server, Duration::from_secs(30), json!("from the stream")).await;
    mount_polls(&server, 2, json!(4)).await;
    let v = client(&server)
        .wait_job(&id(), &WaitOptions::new())
        .await
        .unwrap();
    assert_eq!(v, json!(4));
    let maybe = (
        "GET".to_owned(),
        maybe_path(),
        "get_started=true".to_owned(),
    );
    let stream = (
        "GET".to_owned(),
        sse_path(),
        "only_result=true&fast=true".to_owned(),
    );
    assert_eq!(
        sequence(&server).await,
        vec![maybe.clone(), stream, maybe.clone(), maybe]
    );
}

#[tokio::test]
async fn a_completed_unknown_job_costs_one_poll() {
    let server = server().await;
    call("GET", &sse_path())
        .respond_with(sse_body(&[]))
        .expect(0)
        .mount(&server)
        .await;
    mount_polls(&server, 0, json!(5)).await;
    let v = client(&server)
        .wait_job(&id(), &WaitOptions::new())
        .await
        .unwrap();
    assert_eq!(v, json!(5));
    assert_eq!(sequence(&server).await.len(), 1);
}

#[tokio::test]
async fn polls_stop_where_the_streams_own_checks_are_close_enough() {
    // A job seen by the stream after 900 ms: polls fill the stream's 100 ms gaps only while
    // they exceed a fifth of the time waited (none from 500 ms on): 15 planned polls, fewer
    // if a slow machine makes some late (late ones collapse into one).
    let server = server_starting_x().await;
    mount_slow_stream(&server, Duration::from_millis(900), json!("streamed")).await;
    mount_polls(&server, u64::MAX, json!("never")).await;
    let wm = builder(&server)
        .with_wait_tuning(
            wmill_http::WaitTuning::default().server_wait(wmill_http::ServerWait::Never),
        )
        .build()
        .unwrap();
    let v = wm
        .run_script_by_path(&p("f/jobs/x"), Default::default(), &RunOptions::new())
        .await
        .unwrap();
    assert_eq!(v, json!("streamed"));
    let polls = received(&server, &maybe_path()).await.len();
    assert!((5..=15).contains(&polls), "{polls} polls");
    // Sparser settings poll less.
    let server2 = server_starting_x().await;
    mount_slow_stream(&server2, Duration::from_millis(900), json!("streamed")).await;
    mount_polls(&server2, u64::MAX, json!("never")).await;
    let sparse = wmill_http::FirstWait::default()
        .min_gap(Duration::from_millis(50))
        .fraction(0.5);
    let wm = builder(&server2)
        .with_wait_tuning(
            wmill_http::WaitTuning::default()
                .server_wait(wmill_http::ServerWait::Never)
                .first(sparse),
        )
        .build()
        .unwrap();
    let v = wm
        .run_script_by_path(&p("f/jobs/x"), Default::default(), &RunOptions::new())
        .await
        .unwrap();
    assert_eq!(v, json!("streamed"));
    // 50 and 150 ms (the stream checks at 100 ms steps; half the time waited covers the rest).
    let sparse_polls = received(&server2, &maybe_path()).await.len();
    assert!((1..=2).contains(&sparse_polls), "{sparse_polls} polls");
}

/// A mock server that starts `f/jobs/x` once.
async fn server_starting_x() -> wiremock::MockServer {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/x")
        .respond_with(text(201, ID))
        .expect(1)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_run_that_may_end_at_once_polls_before_it_opens_the_stream() {
    // A cached result completes the run at once (cache_ttl), or the client was told its jobs
    // often do (poll_at_start): the start, then one poll, and no stream.
    let cases = [
        (
            wmill_http::WaitTuning::default(),
            RunOptions::new().cache_ttl(Duration::from_secs(60)),
            "cache_ttl=60",
        ),
        (
            wmill_http::WaitTuning::default()
                .first(wmill_http::FirstWait::default().poll_at_start(true)),
            RunOptions::new(),
            "",
        ),
    ];
    for (tuning, options, query) in cases {
        let server = server().await;
        call("POST", "/api/w/ws/jobs/run/p/f/jobs/x")
            .respond_with(text(201, ID))
            .expect(1)
            .mount(&server)
            .await;
        call("GET", &sse_path())
            .respond_with(sse_body(&[]))
            .expect(0)
            .mount(&server)
            .await;
        mount_polls(&server, 0, json!("cached")).await;
        let v = builder(&server)
            .with_wait_tuning(tuning)
            .build()
            .unwrap()
            .run_script_by_path(&p("f/jobs/x"), Default::default(), &options)
            .await
            .unwrap();
        assert_eq!(v, json!("cached"));
        assert_eq!(
            sequence(&server).await,
            vec![
                (
                    "POST".to_owned(),
                    "/api/w/ws/jobs/run/p/f/jobs/x".to_owned(),
                    query.to_owned()
                ),
                (
                    "GET".to_owned(),
                    maybe_path(),
                    "get_started=true".to_owned()
                ),
            ]
        );
    }
}
