//! The job helpers beyond the traits: every request asserted.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use serde_json::json;
use support::*;
use wmill_core::{Error, ItemPath, JobId};

const OTHER: &str = "22222222-2222-4333-8444-555555555555";

fn jid(s: &str) -> JobId {
    JobId::parse(s).unwrap()
}

#[tokio::test]
async fn get_job_raw_full_and_light() {
    let server = server().await;
    call("GET", format!("/api/w/ws/jobs_u/get/{OTHER}").as_str())
        .and(exact_query(&[]))
        .respond_with(json(
            200,
            json!({"type": "CompletedJob", "id": OTHER, "success": true, "logs": "..."}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", format!("/api/w/ws/jobs_u/get/{OTHER}").as_str())
        .and(exact_query(&[("no_logs", "true"), ("no_code", "true")]))
        .respond_with(json(
            200,
            json!({"type": "CompletedJob", "id": OTHER, "success": true}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let wm = client(&server);
    let job = wm.get_job_raw(&jid(OTHER), false).await.unwrap();
    assert_eq!(job["type"], "CompletedJob");
    assert_eq!(job["logs"], "...");
    let light = wm.get_job_raw(&jid(OTHER), true).await.unwrap();
    assert!(light.get("logs").is_none());
}

#[tokio::test]
async fn get_result_maybe_is_public_and_accepts_nulls() {
    let server = server().await;
    call(
        "GET",
        format!("/api/w/ws/jobs_u/completed/get_result_maybe/{OTHER}").as_str(),
    )
    .and(exact_query(&[("get_started", "true")]))
    .respond_with(not_completed())
    .expect(1)
    .mount(&server)
    .await;
    let rm = client(&server).get_result_maybe(&jid(OTHER)).await.unwrap();
    assert!(!rm.completed);
    assert_eq!(rm.success, None);
    assert_eq!(rm.started, Some(true));
}

#[tokio::test]
async fn force_cancel() {
    let server = server().await;
    call(
        "POST",
        format!("/api/w/ws/jobs_u/queue/force_cancel/{OTHER}").as_str(),
    )
    .and(exact_query(&[]))
    .and(json_body(json!({"reason": "stuck"})))
    .respond_with(text(200, OTHER))
    .expect(1)
    .mount(&server)
    .await;
    client(&server)
        .force_cancel_job(&jid(OTHER), Some("stuck"))
        .await
        .unwrap();
}

#[tokio::test]
async fn root_job_id_defaults_to_the_current_job() {
    let server = server().await;
    call(
        "GET",
        format!("/api/w/ws/jobs_u/get_root_job_id/{JOB}").as_str(),
    )
    .and(exact_query(&[]))
    .respond_with(json(200, json!(ROOT)))
    .expect(1)
    .mount(&server)
    .await;
    call(
        "GET",
        format!("/api/w/ws/jobs_u/get_root_job_id/{OTHER}").as_str(),
    )
    .respond_with(json(200, json!(OTHER)))
    .expect(1)
    .mount(&server)
    .await;
    let wm = job_client(&server);
    assert_eq!(wm.get_root_job_id(None).await.unwrap(), jid(ROOT));
    assert_eq!(
        wm.get_root_job_id(Some(jid(OTHER))).await.unwrap(),
        jid(OTHER)
    );
    let e = client(&server).get_root_job_id(None).await.unwrap_err();
    assert!(
        matches!(&e, Error::NotConfigured { what: "job id", hint } if hint.contains("WM_JOB_ID")),
        "{e}"
    );
}

#[tokio::test]
async fn worker_is_draining() {
    let server = server().await;
    call(
        "GET",
        format!("/api/w/ws/jobs/worker_is_draining/{JOB}").as_str(),
    )
    .and(exact_query(&[]))
    .respond_with(json(200, json!(true)))
    .expect(1)
    .mount(&server)
    .await;
    assert!(job_client(&server).worker_is_draining(None).await.unwrap());
}

#[tokio::test]
async fn set_progress_sends_the_parent_as_flow_job_id() {
    let server = server().await;
    call("GET", format!("/api/w/ws/jobs_u/get/{JOB}").as_str())
        .and(exact_query(&[("no_logs", "true"), ("no_code", "true")]))
        .respond_with(json(
            200,
            json!({"type": "QueuedJob", "id": JOB, "running": true, "parent_job": OTHER}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    call(
        "POST",
        format!("/api/w/ws/job_metrics/set_progress/{JOB}").as_str(),
    )
    .and(exact_query(&[]))
    .and(json_body(json!({"percent": 42, "flow_job_id": OTHER})))
    .respond_with(json(200, json!(null)))
    .expect(1)
    .mount(&server)
    .await;
    job_client(&server).set_progress(42, None).await.unwrap();
}

/// A server where the current job has no parent and `set_progress` expects `percent`
/// `times` times, with `WM_FLOW_JOB_ID` as the flow job.
async fn progress_server(percent: u32, times: u64) -> wiremock::MockServer {
    let server = server().await;
    call("GET", format!("/api/w/ws/jobs_u/get/{JOB}").as_str())
        .respond_with(json(
            200,
            json!({"type": "QueuedJob", "id": JOB, "running": true}),
        ))
        .mount(&server)
        .await;
    call(
        "POST",
        format!("/api/w/ws/job_metrics/set_progress/{JOB}").as_str(),
    )
    .and(json_body(
        json!({"percent": percent, "flow_job_id": FLOW_JOB}),
    ))
    .respond_with(json(200, json!(null)))
    .expect(times)
    .mount(&server)
    .await;
    server
}

#[tokio::test]
async fn set_progress_falls_back_to_wm_flow_job_id() {
    let server = progress_server(10, 1).await;
    job_client(&server).set_progress(10, None).await.unwrap();
}

#[tokio::test]
async fn set_progress_above_99_is_sent_as_99() {
    let server = progress_server(99, 2).await;
    let wm = job_client(&server);
    wm.set_progress(100, None).await.unwrap();
    wm.set_progress(u32::MAX, None).await.unwrap();
}

#[tokio::test]
async fn get_progress() {
    let server = server().await;
    call(
        "GET",
        format!("/api/w/ws/job_metrics/get_progress/{OTHER}").as_str(),
    )
    .and(exact_query(&[]))
    .respond_with(json(200, json!(37)))
    .expect(1)
    .mount(&server)
    .await;
    call(
        "GET",
        format!("/api/w/ws/job_metrics/get_progress/{JOB}").as_str(),
    )
    .respond_with(json(200, json!(null)))
    .expect(1)
    .mount(&server)
    .await;
    let wm = job_client(&server);
    assert_eq!(wm.get_progress(Some(jid(OTHER))).await.unwrap(), Some(37));
    assert_eq!(wm.get_progress(None).await.unwrap(), None);
}

#[tokio::test]
async fn flow_user_state_goes_to_the_root_job() {
    let server = server().await;
    call(
        "GET",
        format!("/api/w/ws/jobs_u/get_root_job_id/{JOB}").as_str(),
    )
    .respond_with(json(200, json!(ROOT)))
    .expect(3)
    .mount(&server)
    .await;
    call(
        "POST",
        format!("/api/w/ws/jobs/flow/user_states/{ROOT}/my%20key").as_str(),
    )
    .and(exact_query(&[]))
    .and(json_body(json!({"n": 1})))
    .respond_with(text(200, "ok"))
    .expect(1)
    .mount(&server)
    .await;
    call(
        "GET",
        format!("/api/w/ws/jobs/flow/user_states/{ROOT}/my%20key").as_str(),
    )
    .respond_with(json(200, json!({"n": 1})))
    .expect(1)
    .mount(&server)
    .await;
    call(
        "GET",
        format!("/api/w/ws/jobs/flow/user_states/{ROOT}/unset").as_str(),
    )
    .respond_with(json(200, json!(null)))
    .expect(1)
    .mount(&server)
    .await;
    let wm = job_client(&server);
    wm.set_flow_user_state("my key", &json!({"n": 1}))
        .await
        .unwrap();
    assert_eq!(
        wm.get_flow_user_state("my key").await.unwrap(),
        Some(json!({"n": 1}))
    );
    assert_eq!(wm.get_flow_user_state("unset").await.unwrap(), None);
}

#[tokio::test]
async fn resume_urls_use_a_random_nonce_and_omit_a_missing_approver() {
    let server = server().await;
    let urls = json!({"approvalPage": "http://a", "resume": "http://r", "cancel": "http://c"});
    Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path_regex(format!(
            "^/api/w/ws/jobs/resume_urls/{JOB}/[0-9]+$"
        )))
        .and(wiremock::matchers::header(
            "authorization",
            format!("Bearer {TOKEN}").as_str(),
        ))
        .and(exact_query(&[]))
        .respond_with(json(200, urls.clone()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path_regex(format!(
            "^/api/w/ws/jobs/resume_urls/{JOB}/[0-9]+$"
        )))
        .and(exact_query(&[("approver", "bob"), ("flow_level", "true")]))
        .respond_with(json(200, urls))
        .expect(1)
        .mount(&server)
        .await;
    let wm = job_client(&server);
    let u = wm.get_resume_urls(None, false).await.unwrap();
    assert_eq!(u.approval_page, "http://a");
    assert_eq!(u.resume, "http://r");
    assert_eq!(u.cancel, "http://c");
    wm.get_resume_urls(Some("bob"), true).await.unwrap();
}

use wiremock::Mock;

#[tokio::test]
async fn approval_urls_validate_and_encode_the_step_key() {
    let server = server().await;
    call(
        "GET",
        format!("/api/w/ws/jobs/wac_approval_urls/{JOB}/approval%20step").as_str(),
    )
    .and(exact_query(&[("approver", "ann")]))
    .respond_with(json(
        200,
        json!({"approvalPage": "a", "resume": "r", "cancel": "c"}),
    ))
    .expect(1)
    .mount(&server)
    .await;
    let wm = job_client(&server);
    wm.get_approval_urls("approval step", Some("ann"))
        .await
        .unwrap();
    for bad in ["", "a/b", "a\\b", ".", ".."] {
        assert!(matches!(
            wm.get_approval_urls(bad, None).await,
            Err(Error::InvalidInput {
                what: "step key",
                ..
            })
        ));
    }
}

#[tokio::test]
async fn identity_version_oidc_and_tokens() {
    let server = server().await;
    call("GET", "/api/users/whoami")
        .and(exact_query(&[]))
        .respond_with(json(200, json!({"email": "a@b.c", "username": "alice"})))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", "/api/w/ws/users/whoami")
        .respond_with(json(200, json!({"username": "alice", "is_admin": true})))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", "/api/version")
        .respond_with(text(200, "CE v1.856.0\n"))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/oidc/token/sts.amazonaws.com")
        .and(exact_query(&[("expires_in", "900")]))
        .respond_with(text(200, "eyJ.a.b"))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/users/tokens/create")
        .and(exact_query(&[]))
        .and(|r: &wiremock::Request| {
            let b: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
            let label_ok = b["label"]
                .as_str()
                .is_some_and(|l| l.starts_with("refresh "));
            let exp = b["expiration"].as_str().unwrap_or("");
            label_ok
                && exp.len() == 20
                && exp.ends_with('Z')
                && exp.as_bytes()[10] == b'T'
                && b.as_object().is_some_and(|o| o.len() == 2)
        })
        .respond_with(text(201, "new-token-value"))
        .expect(1)
        .mount(&server)
        .await;
    let wm = client(&server);
    assert_eq!(wm.whoami().await.unwrap()["username"], "alice");
    assert_eq!(wm.workspace_whoami().await.unwrap()["is_admin"], true);
    assert_eq!(wm.version().await.unwrap(), "CE v1.856.0");
    assert_eq!(
        wm.get_id_token("sts.amazonaws.com", Some(Duration::from_secs(900)))
            .await
            .unwrap(),
        "eyJ.a.b"
    );
    assert_eq!(
        wm.create_token(Duration::from_secs(86_400)).await.unwrap(),
        "new-token-value"
    );
}

#[tokio::test]
async fn inline_preview_picks_the_endpoint_by_host() {
    let server = server().await;
    let body = json!({"content": "select 1", "language": "postgresql", "args": {"database": "datatable://main"}});
    // The mock server listens on 127.0.0.1: the worker's internal server.
    call("POST", "/api/w/ws/jobs/run_inline/preview")
        .and(exact_query(&[]))
        .and(json_body(body))
        .respond_with(json(200, json!([[1]])))
        .expect(1)
        .mount(&server)
        .await;
    let wm = client(&server);
    assert!(wm.worker_has_internal_server());
    let out = wm
        .run_inline_script_preview(
            "select 1",
            "postgresql",
            wmill_core::to_args(&json!({"database": "datatable://main"})).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(out, json!([[1]]));
}

#[tokio::test]
async fn inline_preview_elsewhere_uses_run_wait_result() {
    let server = server().await;
    call("POST", "/api/w/ws/jobs/run_wait_result/preview")
        .and(json_body(
            json!({"content": "print(1)", "language": "python3", "args": {}}),
        ))
        .respond_with(json(200, json!(1)))
        .expect(1)
        .mount(&server)
        .await;
    // Same server, reached through a name that is not localhost.
    let http = reqwest::Client::builder()
        .resolve("windmill.internal", *server.address())
        .build()
        .unwrap();
    let wm = wmill_http::Windmill::builder()
        .with_base_url(format!(
            "http://windmill.internal:{}",
            server.address().port()
        ))
        .with_token(TOKEN)
        .with_workspace(WS)
        .with_client(http)
        .build()
        .unwrap();
    assert!(!wm.worker_has_internal_server());
    let out = wm
        .run_inline_script_preview("print(1)", "python3", Default::default())
        .await
        .unwrap();
    assert_eq!(out, json!(1));
}

#[tokio::test]
async fn kafka_offsets() {
    let server = server().await;
    call(
        "POST",
        "/api/w/ws/kafka_triggers/commit_offsets/f/kafka/orders",
    )
    .and(exact_query(&[]))
    .and(json_body(
        json!({"topic": "orders", "partition": 3, "offset": 12_345_678_901_i64}),
    ))
    .respond_with(text(200, "ok"))
    .expect(1)
    .mount(&server)
    .await;
    client(&server)
        .commit_kafka_offsets(
            &ItemPath::parse("f/kafka/orders").unwrap(),
            "orders",
            3,
            12_345_678_901,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn job_exists() {
    let server = server().await;
    call("GET", format!("/api/w/ws/jobs_u/get/{OTHER}").as_str())
        .and(exact_query(&[("no_logs", "true"), ("no_code", "true")]))
        .respond_with(text(404, "Not found: Job not found"))
        .expect(1)
        .mount(&server)
        .await;
    assert!(!client(&server).job_exists(&jid(OTHER)).await.unwrap());
}

fn step_client(server: &wiremock::MockServer) -> wmill_http::Windmill {
    builder(server)
        .with_job_id(JOB)
        .with_flow_job_id(FLOW_JOB)
        .with_flow_step_id("b")
        .build()
        .unwrap()
}

#[tokio::test]
async fn slack_approval_sends_every_field_in_the_query() {
    let server = server().await;
    call(
        "GET",
        format!("/api/w/ws/jobs/slack_approval/{JOB}").as_str(),
    )
    .and(exact_query(&[
        ("slack_resource_path", "f/slack/bot"),
        ("channel_id", "C123"),
        ("flow_step_id", "b"),
        ("message", "Ship?"),
        ("approver", "ann"),
        ("default_args_json", r#"{"x":1}"#),
        ("dynamic_enums_json", r#"{"e":["a"]}"#),
        ("resume_button_text", "Yes"),
        ("cancel_button_text", "No"),
    ]))
    .respond_with(ResponseTemplate::new(200))
    .expect(1)
    .mount(&server)
    .await;
    let ask = wmill_http::InteractiveApproval::new()
        .message("Ship?")
        .approver("ann")
        .default_args(json!({"x": 1}))
        .dynamic_enums(json!({"e": ["a"]}))
        .buttons("Yes", "No");
    step_client(&server)
        .request_interactive_slack_approval("$res:f/slack/bot", "C123", &ask)
        .await
        .unwrap();
}

use wiremock::ResponseTemplate;

#[tokio::test]
async fn teams_approval_and_message() {
    let server = server().await;
    call(
        "GET",
        format!("/api/w/ws/jobs/teams_approval/{JOB}").as_str(),
    )
    .and(exact_query(&[
        ("team_name", "Ops"),
        ("channel_name", "deploys"),
        ("flow_step_id", "explicit"),
    ]))
    .respond_with(ResponseTemplate::new(200))
    .expect(1)
    .mount(&server)
    .await;
    call("POST", "/api/teams/activities")
        .and(json_body(
            json!({"conversation_id": "conv", "text": "done", "success": false}),
        ))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let wm = step_client(&server);
    wm.request_interactive_teams_approval(
        "Ops",
        "deploys",
        &wmill_http::InteractiveApproval::new().flow_step_id("explicit"),
    )
    .await
    .unwrap();
    wm.send_teams_message("conv", "done", false, None)
        .await
        .unwrap();
}

#[tokio::test]
async fn approvals_outside_a_flow_are_not_configured() {
    let server = server().await;
    let e = job_client(&server)
        .request_interactive_slack_approval("f/slack/bot", "C1", &Default::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::NotConfigured {
                what: "flow step id",
                ..
            }
        ),
        "{e}"
    );
    let e = client(&server)
        .request_interactive_slack_approval("f/slack/bot", "C1", &Default::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::NotConfigured {
                what: "flow job id",
                ..
            }
        ),
        "{e}"
    );
}

#[tokio::test]
async fn cancel_running_cancels_the_others() {
    let server = server().await;
    call("GET", "/api/w/ws/jobs/list")
        .and(exact_query(&[
            ("running", "true"),
            ("script_path_exact", "f/jobs/poller"),
        ]))
        .respond_with(json(
            200,
            json!([{"type": "QueuedJob", "id": JOB}, {"type": "QueuedJob", "id": OTHER}]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    call(
        "POST",
        format!("/api/w/ws/jobs_u/queue/cancel/{OTHER}").as_str(),
    )
    .and(json_body(
        json!({"reason": "killed by `cancel_running` method"}),
    ))
    .respond_with(text(200, OTHER))
    .expect(1)
    .mount(&server)
    .await;
    let wm = builder(&server)
        .with_job_id(JOB)
        .with_job_path("f/jobs/poller")
        .build()
        .unwrap();
    assert_eq!(wm.cancel_running(None).await.unwrap(), vec![jid(OTHER)]);
}

#[tokio::test]
async fn username_to_email_and_raw_requests() {
    let server = server().await;
    call("GET", "/api/w/ws/users/username_to_email/ann")
        .respond_with(text(200, "ann@example.com"))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", "/api/w/ws/jobs/completed/count")
        .and(exact_query(&[("success", "true"), ("tag", "a b")]))
        .respond_with(json(200, json!({"count": 3})))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/raw/thing")
        .and(json_body(json!({"a": 1})))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let wm = client(&server);
    assert_eq!(
        wm.username_to_email("ann").await.unwrap(),
        "ann@example.com"
    );
    let v = wm
        .request_json(
            reqwest::Method::GET,
            "/w/ws/jobs/completed/count?success=true&tag=a%20b",
            None,
        )
        .await
        .unwrap();
    assert_eq!(v["count"], 3);
    let v = wm
        .request_json(
            reqwest::Method::POST,
            "w/ws/raw/thing",
            Some(&json!({"a": 1})),
        )
        .await
        .unwrap();
    assert_eq!(v, serde_json::Value::Null);
}

/// An approval request posts a message: a 503 after it may have reached the server is not
/// repeated (a retry would post the message twice). The error carries the status.
#[tokio::test]
async fn approval_requests_are_never_repeated() {
    let server = server().await;
    for endpoint in ["slack_approval", "teams_approval"] {
        call("GET", format!("/api/w/ws/jobs/{endpoint}/{JOB}").as_str())
            .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
            .expect(1)
            .mount(&server)
            .await;
    }
    call("POST", "/api/teams/activities")
        .respond_with(ResponseTemplate::new(502))
        .expect(1)
        .mount(&server)
        .await;
    let wm = step_client(&server);
    let e = wm
        .request_interactive_slack_approval("f/slack/bot", "C1", &Default::default())
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(503), "{e}");
    let e = wm
        .request_interactive_teams_approval("Ops", "deploys", &Default::default())
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(503), "{e}");
    let e = wm
        .send_teams_message("conv", "done", false, None)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(502), "{e}");
}
