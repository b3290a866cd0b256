//! The module-level helpers whose endpoints the fake server does not serve, against wiremock:
//! each sends the request the server expects (method, path, query, auth).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The lock serializes the tests that share the global client; holding it across awaits is the point.
#![allow(clippy::await_holding_lock)]

#[path = "../../wmill-http/tests/support/mod.rs"]
mod support;

use parking_lot::Mutex;
use serde_json::json;
use support::{JOB, builder, call, exact_query, server};
use wiremock::ResponseTemplate;
use wmill::{Client, InteractiveApproval};

static GLOBAL: Mutex<()> = Mutex::new(());

const OTHER: &str = "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e77";

#[tokio::test]
async fn approvals_cancel_running_and_username_to_email() {
    let _g = GLOBAL.lock();
    let server = server().await;
    call("GET", &format!("/api/w/ws/jobs/slack_approval/{JOB}"))
        .and(exact_query(&[
            ("slack_resource_path", "f/slack/bot"),
            ("channel_id", "C1"),
            ("flow_step_id", "step_a"),
            ("message", "Ship it?"),
        ]))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", &format!("/api/w/ws/jobs/teams_approval/{JOB}"))
        .and(exact_query(&[
            ("team_name", "Ops"),
            ("channel_name", "deploys"),
            ("flow_step_id", "step_a"),
        ]))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", "/api/w/ws/jobs/list")
        .and(exact_query(&[
            ("running", "true"),
            ("script_path_exact", "f/jobs/poller"),
        ]))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!([{"type": "QueuedJob", "id": JOB}, {"type": "QueuedJob", "id": OTHER}]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", &format!("/api/w/ws/jobs_u/queue/cancel/{OTHER}"))
        .respond_with(ResponseTemplate::new(200).set_body_string(OTHER))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", "/api/w/ws/users/username_to_email/ann")
        .respond_with(ResponseTemplate::new(200).set_body_string("ann@example.com"))
        .expect(1)
        .mount(&server)
        .await;

    let wm = builder(&server)
        .with_job_id(JOB)
        .with_flow_job_id(OTHER)
        .with_flow_step_id("step_a")
        .with_job_path("f/jobs/poller")
        .build()
        .unwrap();
    wmill::set_client(Client::windmill(wm));

    wmill::request_interactive_slack_approval(
        "$res:f/slack/bot",
        "C1",
        &InteractiveApproval::new().message("Ship it?"),
    )
    .await
    .unwrap();
    wmill::request_interactive_teams_approval("Ops", "deploys", &InteractiveApproval::new())
        .await
        .unwrap();
    assert_eq!(
        wmill::cancel_running().await.unwrap(),
        vec![wmill::JobId::parse(OTHER).unwrap()]
    );
    assert_eq!(
        wmill::username_to_email("ann").await.unwrap(),
        "ann@example.com"
    );
    server.verify().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_runs_teams_messages_state_path_and_internal_server() {
    let _g = GLOBAL.lock();
    let server = server().await;
    let policy = json!({"constant": {"attempts": 3, "seconds": 10}});
    call("POST", "/api/w/ws/jobs/run/p/f/jobs/flaky")
        .and(exact_query(&[("retry", &policy.to_string())]))
        .and(support::json_body(json!({"n": 1})))
        .respond_with(ResponseTemplate::new(201).set_body_string(OTHER))
        .expect(2)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/jobs/run/h/00000000000000ab")
        .and(exact_query(&[
            ("retry", &policy.to_string()),
            ("tag", "gpu"),
        ]))
        .and(support::json_body(json!({})))
        .respond_with(ResponseTemplate::new(201).set_body_string(OTHER))
        .expect(2)
        .mount(&server)
        .await;
    call("POST", "/api/teams/activities")
        .and(support::json_body(json!({
            "conversation_id": "conv-1",
            "text": "deployed",
            "success": true,
            "card_block": {"type": "AdaptiveCard"},
        })))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/teams/activities")
        .and(support::json_body(json!({
            "conversation_id": "conv-2",
            "text": "failed",
            "success": false,
        })))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;

    // Outside a job: no state path; the mock server listens on 127.0.0.1 (the internal server).
    wmill::set_client(Client::windmill(builder(&server).build().unwrap()));
    assert!(matches!(
        wmill::get_state_path(),
        Err(wmill::Error::NotConfigured {
            what: "state path",
            ..
        })
    ));
    assert!(wmill::worker_has_internal_server().unwrap());
    let wm = builder(&server)
        .with_state_path("u/alice/state_of_x")
        .build()
        .unwrap();
    wmill::set_client(Client::windmill(wm));
    assert_eq!(
        wmill::get_state_path().unwrap().as_str(),
        "u/alice/state_of_x"
    );
    assert_eq!(
        wmill::blocking::get_state_path().unwrap().as_str(),
        "u/alice/state_of_x"
    );

    let opts = wmill::RunOptions::new();
    let id = wmill::run_script_by_path_async_with_retry(
        "f/jobs/flaky",
        &json!({"n": 1}),
        &opts,
        &policy,
    )
    .await
    .unwrap();
    assert_eq!(id.to_string(), OTHER);
    let id = wmill::blocking::run_script_by_path_async_with_retry(
        "f/jobs/flaky",
        &json!({"n": 1}),
        &opts,
        &policy,
    )
    .unwrap();
    assert_eq!(id.to_string(), OTHER);
    let gpu = wmill::RunOptions::new().tag("gpu");
    wmill::run_script_by_hash_async_with_retry("00000000000000ab", &json!({}), &gpu, &policy)
        .await
        .unwrap();
    wmill::blocking::run_script_by_hash_async_with_retry(
        "00000000000000ab",
        &json!({}),
        &gpu,
        &policy,
    )
    .unwrap();
    // Bad input: nothing sent (the `.expect(2)`s above).
    assert!(
        wmill::run_script_by_path_async_with_retry("not a path", &json!({}), &opts, &policy)
            .await
            .is_err()
    );

    wmill::send_teams_message(
        "conv-1",
        "deployed",
        true,
        Some(&json!({"type": "AdaptiveCard"})),
    )
    .await
    .unwrap();
    wmill::blocking::send_teams_message("conv-2", "failed", false, None).unwrap();
    server.verify().await;

    // A client without a Windmill server: the state path is the backend's, the server-only
    // helpers are Unsupported.
    wmill::set_client(Client::new(wmill::InMemory::new()));
    assert_eq!(wmill::get_state_path().unwrap().as_str(), "u/local/state");
    assert!(matches!(
        wmill::worker_has_internal_server(),
        Err(wmill::Error::Unsupported { .. })
    ));
}

/// Python's raw `wmill.get` / `wmill.post`: the request the caller wrote, through the same
/// transport as every helper (auth header, typed errors, retries for reads only).
#[tokio::test]
async fn raw_get_and_post_go_through_the_transport() {
    let _g = GLOBAL.lock();
    let server = server().await;
    call("GET", "/api/w/ws/scripts/list")
        .and(exact_query(&[("per_page", "5"), ("order_desc", "true")]))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"path": "f/a/b"}])))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/variables/create")
        .and(support::json_body(json!({"path": "u/me/x", "value": "1"})))
        .respond_with(ResponseTemplate::new(201).set_body_string("u/me/x"))
        .expect(1)
        .mount(&server)
        .await;
    call("POST", "/api/w/ws/variables/fails")
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .expect(1)
        .mount(&server)
        .await;
    call("GET", "/api/w/ws/variables/fails")
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .expect(u64::from(wmill::http::RetryConfig::default().max_retries) + 1)
        .mount(&server)
        .await;
    wmill::set_client(Client::windmill(builder(&server).build().unwrap()));

    let listed = wmill::get("/w/ws/scripts/list?per_page=5&order_desc=true")
        .await
        .unwrap();
    assert_eq!(listed, json!([{"path": "f/a/b"}]));
    let created = wmill::post(
        "w/ws/variables/create",
        &json!({"path": "u/me/x", "value": "1"}),
    )
    .await
    .unwrap();
    assert_eq!(created, json!("u/me/x"));
    // A POST may have had an effect: not repeated. A GET is, within the retry budget.
    let e = wmill::post("w/ws/variables/fails", &json!({}))
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(503));
    let e = wmill::get("w/ws/variables/fails").await.unwrap_err();
    assert_eq!(e.status(), Some(503));
    // A segment that would change the path is refused before any request.
    let e = wmill::get("w/ws/variables/.\t./x").await.unwrap_err();
    assert!(matches!(e, wmill::Error::InvalidInput { .. }), "{e:?}");
    wmill::reset_client();
}

/// A blocking call from inside a current-thread runtime that already talked to the server: the
/// pooled connection is driven by that runtime, which the call blocks. The blocking runtime
/// uses connections of its own, so the call answers at once instead of waiting out the request
/// timeout (30 s by default) on a connection nobody drives.
#[tokio::test(flavor = "current_thread")]
async fn a_blocking_call_never_waits_on_a_connection_of_the_blocked_runtime() {
    let _g = GLOBAL.lock();
    let server = server().await;
    call("GET", "/api/w/ws/variables/get_value/u/alice/x")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!("v")))
        .expect(3)
        .mount(&server)
        .await;
    wmill::set_client(Client::windmill(builder(&server).build().unwrap()));
    // Opens a pooled connection, driven by this (current-thread) runtime.
    assert_eq!(wmill::get_variable("u/alice/x").await.unwrap(), "v");
    let started = std::time::Instant::now();
    assert_eq!(wmill::blocking::get_variable("u/alice/x").unwrap(), "v");
    assert_eq!(wmill::blocking::get_variable("u/alice/x").unwrap(), "v");
    let took = started.elapsed();
    // A bound, not a measurement: without the second pool this took the request timeout.
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    wmill::reset_client();
}

/// The same from a plain thread, after a current-thread runtime (idle now, not dropped) opened
/// a pooled connection: the blocking call runs on the calling thread, and still only on
/// connections that the blocking runtime opened.
#[test]
fn a_blocking_call_outside_any_runtime_never_waits_on_an_idle_runtimes_connection() {
    let _g = GLOBAL.lock();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(server());
    rt.block_on(
        call("GET", "/api/w/ws/variables/get_value/u/alice/y")
            .respond_with(ResponseTemplate::new(200).set_body_json(json!("w")))
            .expect(3)
            .mount(&server),
    );
    wmill::set_client(Client::windmill(builder(&server).build().unwrap()));
    // Opens a pooled connection, driven by `rt`, which nobody runs afterwards.
    assert_eq!(rt.block_on(wmill::get_variable("u/alice/y")).unwrap(), "w");
    let started = std::time::Instant::now();
    assert_eq!(wmill::blocking::get_variable("u/alice/y").unwrap(), "w");
    assert_eq!(wmill::blocking::get_variable("u/alice/y").unwrap(), "w");
    let took = started.elapsed();
    // A bound, not a measurement: on the idle runtime's connection this took the timeout.
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    wmill::reset_client();
    rt.block_on(async move { drop(server) });
}

/// Approving and rejecting suspended steps through the module-level functions and their
/// blocking twins: by URL and by job id, resume id and approver.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspended_steps_by_url_and_by_id() {
    let _g = GLOBAL.lock();
    let server = server().await;
    let sig = "ab".repeat(32);
    let path = |op: &str, rid: u32| format!("/api/w/ws/jobs_u/{op}/{JOB}/{rid}/{sig}");
    let url = |op: &str, rid: u32| format!("{}{}?approver=ada", server.uri(), path(op, rid));
    for (op, rid, body) in [
        ("resume", 1, json!({"ok": true})),
        ("cancel", 2, json!("no")),
        ("resume", 3, json!([1])),
        ("cancel", 4, json!(null)),
        ("resume", 5, json!(5)),
        ("cancel", 6, json!({})),
        ("resume", 7, json!(7)),
        ("cancel", 8, json!(8)),
    ] {
        call("POST", &path(op, rid))
            .and(exact_query(&[("approver", "ada")]))
            .and(support::json_body(body))
            .respond_with(ResponseTemplate::new(201))
            .expect(1)
            .mount(&server)
            .await;
    }
    for rid in [5, 6, 7, 8] {
        call("GET", &format!("/api/w/ws/jobs/resume_urls/{JOB}/{rid}"))
            .and(exact_query(&[("approver", "ada")]))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "approvalPage": "https://public.example/approve",
                "resume": format!("https://public.example{}?approver=ada", path("resume", rid)),
                "cancel": format!("https://public.example{}?approver=ada", path("cancel", rid)),
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    wmill::set_client(Client::windmill(builder(&server).build().unwrap()));
    wmill::resume_suspended_job(&url("resume", 1), &json!({"ok": true}))
        .await
        .unwrap();
    wmill::cancel_suspended_job(&url("cancel", 2), "no")
        .await
        .unwrap();
    wmill::resume_suspended_job_by_id(JOB, 5, Some("ada"), &5)
        .await
        .unwrap();
    wmill::cancel_suspended_job_by_id(JOB, 6, Some("ada"), &json!({}))
        .await
        .unwrap();
    // A cancel URL cannot resume: refused before any request.
    assert!(
        wmill::resume_suspended_job(&url("cancel", 9), &1)
            .await
            .is_err()
    );
    let (u3, u4) = (url("resume", 3), url("cancel", 4));
    tokio::task::spawn_blocking(move || {
        wmill::blocking::resume_suspended_job(&u3, &[1]).unwrap();
        wmill::blocking::cancel_suspended_job(&u4, &()).unwrap();
        wmill::blocking::resume_suspended_job_by_id(JOB, 7, Some("ada"), &7).unwrap();
        wmill::blocking::cancel_suspended_job_by_id(JOB, 8, Some("ada"), &8).unwrap();
    })
    .await
    .unwrap();
}
