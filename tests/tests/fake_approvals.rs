//! The fake server's suspended flows and run options, driven by `Windmill`: a flow that waits
//! for an approval, answered through its resume URLs, by job id, or by its owner, refusals as
//! the server words them; start options parsed, honoured or recorded as the server does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};
use wmill_core::{
    Error, ItemPath, JobId, JobRunner, JobState, ResumeRefusal, RunOptions, WaitOptions, to_args,
};
use wmill_http::{ResumeLink, ResumeUrls, Windmill};
use wmill_tests::fake_windmill::{APPROVAL_FLOW, FakeWindmill, SLEEP};

fn client(server: &FakeWindmill) -> Windmill {
    Windmill::builder()
        .with_base_url(server.base_url())
        .with_token(server.token().unwrap())
        .with_workspace(server.workspace())
        .build()
        .unwrap()
}

fn p(s: &str) -> ItemPath {
    ItemPath::parse(s).unwrap()
}

/// Starts the approval flow and returns it with the URLs its first step produced, once the
/// flow is suspended.
async fn suspended(wm: &Windmill, approver: Option<&str>) -> (JobId, JobId, ResumeUrls) {
    let args = match approver {
        Some(a) => json!({"approver": a, "amount": 120}),
        None => json!({"amount": 120}),
    };
    let flow = wm
        .run_flow_async(
            &p(APPROVAL_FLOW),
            to_args(&args).unwrap(),
            &RunOptions::new(),
        )
        .await
        .unwrap();
    let job = wm.get_job(&flow).await.unwrap();
    assert_eq!(
        job.state,
        JobState::Suspended {
            step: Some(1),
            resumes_needed: Some(1)
        }
    );
    let fs = job.flow_status.unwrap();
    let step = fs.steps[0].job.unwrap();
    assert_eq!(fs.current().unwrap().job, Some(step));
    let urls: ResumeUrls = serde_json::from_value(wm.get_result(&step).await.unwrap()).unwrap();
    (flow, step, urls)
}

#[tokio::test]
async fn an_approved_flow_returns_the_payload_and_a_second_answer_is_refused() {
    let server = FakeWindmill::start().await;
    let wm = client(&server);
    let (flow, step, urls) = suspended(&wm, Some("ada lovelace")).await;
    assert!(
        urls.resume.starts_with(&format!(
            "{}/api/w/test/jobs_u/resume/{step}/",
            server.base_url()
        )),
        "{urls:?}"
    );
    assert!(
        urls.resume.ends_with("?approver=ada%20lovelace"),
        "{urls:?}"
    );
    assert!(urls.approval_page.contains("/approve/test/"), "{urls:?}");

    let link = urls.resume_link().unwrap();
    wm.resume_suspended_job(&link, &json!({"comment": "fine"}))
        .await
        .unwrap();
    let out = wm.wait_job(&flow, &WaitOptions::new()).await.unwrap();
    assert_eq!(out["resume"], json!({"comment": "fine"}));
    assert_eq!(out["approver"], "ada lovelace");
    assert_eq!(out["args"]["amount"], 120);
    let job = wm.get_job(&flow).await.unwrap();
    assert_eq!(job.state, JobState::Success);
    let approvers = &job.flow_status.unwrap().steps[0].approvers;
    assert_eq!(approvers.len(), 1);
    assert_eq!(approvers[0].approver, "ada lovelace");

    // The flow is done: the same link again, or another resume id, is refused (the server
    // looks for the flow in the queue before it looks for an earlier resume).
    let other = wm
        .resume_link(&step, 9, Some("ada lovelace"))
        .await
        .unwrap();
    for l in [&link, &other] {
        match wm.resume_suspended_job(l, &json!(null)).await {
            Err(Error::ResumeRefused { reason, status, .. }) => {
                assert_eq!((reason, status), (ResumeRefusal::NotSuspended, 500));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn a_rejected_flow_ends_canceled_by_the_approver() {
    let server = FakeWindmill::start().await;
    let wm = client(&server);
    let (flow, _, urls) = suspended(&wm, Some("bob")).await;
    wm.cancel_suspended_job(&urls.cancel_link().unwrap(), &json!({"why": "too much"}))
        .await
        .unwrap();
    let err = wm.wait_job(&flow, &WaitOptions::new()).await.unwrap_err();
    assert!(matches!(err, Error::JobFailed { .. }), "{err:?}");
    match wm.get_job(&flow).await.unwrap().state {
        JobState::Canceled { reason, .. } => {
            assert_eq!(
                reason.as_deref(),
                Some("approval request disapproved by bob")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn answers_by_job_id_and_resume_id_and_the_signature_is_checked() {
    let server = FakeWindmill::start().await;
    let wm = client(&server);
    let (flow, step, _) = suspended(&wm, None).await;

    // A signature made for another approver, or none at all: refused, the flow still waits.
    let for_eve = wm.resume_link(&step, 4, Some("eve")).await.unwrap();
    let not_eve = ResumeLink::parse(&format!(
        "{}/api/w/test/jobs_u/resume/{step}/4/{}",
        server.base_url(),
        "ab".repeat(32)
    ))
    .unwrap();
    for wrong in [&not_eve] {
        match wm.resume_suspended_job(wrong, &json!(1)).await {
            Err(Error::ResumeRefused { reason, .. }) => {
                assert_eq!(reason, ResumeRefusal::InvalidSignature);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(for_eve.approver(), Some("eve"));
    assert!(matches!(
        wm.get_job(&flow).await.unwrap().state,
        JobState::Suspended { .. }
    ));

    // By id: the server signs, then the resume; without an approver the token's user answers.
    let link = wm.resume_link(&step, 4, None).await.unwrap();
    wm.resume_suspended_job(&link, &json!([1, 2]))
        .await
        .unwrap();
    let out = wm.wait_job(&flow, &WaitOptions::new()).await.unwrap();
    assert_eq!(out["resume"], json!([1, 2]));
    assert_eq!(out["approver"], "fake");
    assert_eq!(server.count("resume"), 2, "{:?}", server.counts());
}

#[tokio::test]
async fn the_owner_resumes_and_approvals_need_no_token() {
    let server = FakeWindmill::start().await;
    let wm = client(&server);
    let (flow, _, urls) = suspended(&wm, None).await;
    let body = wm
        .request(
            wmill_http::reqwest::Method::POST,
            &format!("w/test/jobs/flow/resume/{flow}"),
        )
        .json(&json!({"ok": true}))
        .unwrap()
        .send_bytes()
        .await
        .unwrap();
    assert!(body.is_empty());
    let out = wm.wait_job(&flow, &WaitOptions::new()).await.unwrap();
    assert_eq!(out["resume"], json!({"ok": true}));
    // Too late now: the flow is done.
    let again = wm
        .request(
            wmill_http::reqwest::Method::POST,
            &format!("w/test/jobs/flow/resume/{flow}"),
        )
        .json(&json!({}))
        .unwrap()
        .send_bytes()
        .await
        .unwrap_err();
    match again {
        Error::Api { status, body, .. } => {
            assert_eq!((status, body.as_str()), (500, "parent flow job not found"));
        }
        other => panic!("{other:?}"),
    }

    // The cancel URL works without a token (a plain HTTP client), answering 201 and nothing.
    let (_, _, urls2) = suspended(&wm, None).await;
    drop(urls);
    let plain = wmill_http::reqwest::Client::new()
        .post(&urls2.cancel)
        .header("content-type", "application/json")
        .body("null")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status().as_u16(), 201);
    assert!(plain.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_suspended_flow_is_listed_as_such_and_does_not_count_against_queue_limit() {
    let server = FakeWindmill::start().await;
    let wm = client(&server);
    let (flow, _, _) = suspended(&wm, None).await;
    let rows: Vec<Value> = wm
        .request(wmill_http::reqwest::Method::GET, "w/test/jobs/list")
        .query("running", "true")
        .query("suspended", "true")
        .send_json()
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["id"], flow.to_string());
    assert_eq!(rows[0]["suspend"], 1);

    // One sleeping job could run now; the suspended flow does not count.
    wm.run_script_by_path_async(
        &p(SLEEP),
        to_args(&json!({"ms": 60_000})).unwrap(),
        &RunOptions::new(),
    )
    .await
    .unwrap();
    let limited = |n| RunOptions::new().queue_limit(n);
    let err = wm
        .run_script_by_path(&p(SLEEP), to_args(&json!({"ms": 1})).unwrap(), &limited(0))
        .await
        .unwrap_err();
    match err {
        Error::Api { status, body, .. } => {
            assert_eq!(status, 500);
            assert_eq!(body, "Internal: Number of queued job is too high: 1 > 0");
        }
        other => panic!("{other:?}"),
    }
    let v = wm
        .run_script_by_path(&p(SLEEP), to_args(&json!({"ms": 1})).unwrap(), &limited(1))
        .await
        .unwrap();
    assert_eq!(v, json!(1));
}

#[tokio::test]
async fn run_options_are_honoured_or_recorded_and_bad_values_rejected() {
    let server = FakeWindmill::start().await;
    let wm = client(&server);
    let at = SystemTime::now() + Duration::from_secs(2);
    let id = wm
        .run_script_by_path_async(
            &p(SLEEP),
            to_args(&json!({"ms": 1})).unwrap(),
            &RunOptions::new()
                .scheduled_for(at)
                .tag("reports")
                .cache_ttl(Duration::from_secs(3600))
                .skip_preprocessor(true)
                .invisible_to_owner(true),
        )
        .await
        .unwrap();
    let job = wm.get_job(&id).await.unwrap();
    assert!(matches!(job.state, JobState::Scheduled { .. }), "{job:?}");
    assert_eq!(job.tag.as_deref(), Some("reports"));
    assert_eq!(job.raw()["visible_to_owner"], false);
    let o = server.job_options(id.into()).unwrap();
    assert_eq!(o["cache_ttl"], 3600);
    assert_eq!(o["skip_preprocessor"], true);
    assert_eq!(o["invisible_to_owner"], true);
    assert!(o["scheduled_for"].as_str().unwrap().ends_with('Z'), "{o}");
    let (start, _) = server.job_times(id.into()).unwrap();
    let ahead = start.saturating_duration_since(Instant::now());
    assert!(ahead > Duration::from_millis(500), "{ahead:?}");

    // What the client never sends, sent by hand: the server's query rejection.
    for (k, v) in [
        ("cache_ttl", "soon"),
        ("scheduled_for", "tomorrow"),
        ("invisible_to_owner", "maybe"),
        ("queue_limit", "-x"),
    ] {
        let err = wm
            .request(
                wmill_http::reqwest::Method::POST,
                &format!("w/test/jobs/run/p/{SLEEP}"),
            )
            .query(k, v)
            .json(&json!({}))
            .unwrap()
            .send_bytes()
            .await
            .unwrap_err();
        match err {
            Error::Api { status, body, .. } => {
                assert_eq!(status, 400, "{k}");
                assert!(
                    body.starts_with(&format!("Failed to deserialize query string: {k}")),
                    "{body}"
                );
            }
            other => panic!("{k}: {other:?}"),
        }
    }
}
