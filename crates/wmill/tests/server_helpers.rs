//! The module-level functions (async and blocking) over a Windmill client, against the fake
//! Windmill server: each reaches its endpoint and returns what the server answered.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The lock serializes the tests that share the global client; holding it across awaits is the point.
#![allow(clippy::await_holding_lock)]

use std::time::Duration;

use parking_lot::Mutex;
use serde_json::json;
use wmill::{Client, Error, JobStatus, Windmill};
use wmill_tests::fake_windmill::{ECHO, ECHO_FLOW, FakeWindmill, SLEEP};

static GLOBAL: Mutex<()> = Mutex::new(());

fn install(server: &FakeWindmill, job: Option<&str>) {
    let mut b = Windmill::builder()
        .with_base_url(server.base_url())
        .with_token(server.token().unwrap())
        .with_workspace(server.workspace())
        .with_state_path("u/test/state");
    if let Some(job) = job {
        b = b.with_job_id(job);
    }
    wmill::set_client(Client::windmill(b.build().unwrap()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn core_functions_go_through_the_server() {
    let _g = GLOBAL.lock();
    let server = FakeWindmill::start().await;
    server.put_variable("u/test/key", "value", false);
    server.put_resource("f/test/db", json!({"pw": "$var:u/test/key"}), "postgresql");
    install(&server, None);

    assert_eq!(wmill::get_variable("u/test/key").await.unwrap(), "value");
    assert_eq!(server.count("variables/get_value"), 1);
    wmill::set_variable("u/test/new", "v2", true).await.unwrap();
    assert_eq!(wmill::get_variable("u/test/new").await.unwrap(), "v2");
    assert_eq!(
        wmill::get_resource("f/test/db").await.unwrap(),
        json!({"pw": "value"})
    );
    assert_eq!(
        wmill::get_resource_raw("f/test/db").await.unwrap(),
        json!({"pw": "$var:u/test/key"})
    );
    assert!(matches!(
        wmill::get_resource("f/test/none").await,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(wmill::get_state().await.unwrap(), None);
    wmill::set_state(&json!({"n": 1})).await.unwrap();
    assert_eq!(wmill::get_state().await.unwrap(), Some(json!({"n": 1})));

    let out = wmill::run_script_by_path(ECHO, &json!({"x": 1}))
        .await
        .unwrap();
    assert_eq!(out, json!({"x": 1}));
    let id = wmill::run_script_by_path_async(SLEEP, &json!({"ms": 30}))
        .await
        .unwrap();
    assert_eq!(
        wmill::wait_job(id, Some(Duration::from_secs(10)))
            .await
            .unwrap(),
        json!(30)
    );
    assert_eq!(
        wmill::get_job_status(id).await.unwrap(),
        JobStatus::Completed { success: true }
    );
    let job = wmill::get_job_raw(id, true).await.unwrap();
    assert_eq!(job["type"], "CompletedJob", "{job}");
    let typed = wmill::get_job(id).await.unwrap();
    assert_eq!(typed.state, wmill::JobState::Success);
    assert_eq!(typed.script_path.as_deref(), Some(SLEEP));
    assert_eq!(typed.result(), Some(&json!(30)));
    assert_eq!(wmill::get_version().await.unwrap(), "v1.fake-windmill");
    assert_eq!(wmill::whoami().await.unwrap()["username"], "fake");
    assert!(
        wmill::create_token(Duration::from_secs(3600))
            .await
            .unwrap()
            .starts_with("tok_")
    );
    assert_eq!(
        wmill::get_id_token("vault", Some(Duration::from_secs(60)))
            .await
            .unwrap(),
        "eyJ.fake.vault"
    );
    let preview = wmill::run_inline_script_preview("select 1", "postgresql", &json!({"a": 1}))
        .await
        .unwrap();
    assert_eq!(preview, json!({"language": "postgresql", "args": {"a": 1}}));
    wmill::commit_kafka_offsets("f/kafka/trigger", "orders", 0, 42)
        .await
        .unwrap();
    assert_eq!(server.count("kafka_triggers/commit_offsets"), 1);

    let stuck = wmill::run_script_by_path_async(SLEEP, &json!({"ms": 10_000}))
        .await
        .unwrap();
    wmill::force_cancel_job(stuck, Some("stuck")).await.unwrap();
    assert_eq!(server.count("queue/force_cancel"), 1);
    assert_eq!(
        wmill::get_job_status(stuck).await.unwrap(),
        JobStatus::Completed { success: false }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_helpers_use_the_current_job() {
    let _g = GLOBAL.lock();
    let server = FakeWindmill::start().await;
    install(&server, None);
    // A running job plays the current job (WM_JOB_ID).
    let current = wmill::run_script_by_path_async(SLEEP, &json!({"ms": 5_000}))
        .await
        .unwrap();
    install(&server, Some(&current.to_string()));

    assert_eq!(wmill::get_root_job_id(None).await.unwrap(), current);
    wmill::set_progress(42, None).await.unwrap();
    assert_eq!(wmill::get_progress(None).await.unwrap(), Some(42));
    assert!(!wmill::worker_is_draining(None).await.unwrap());
    let urls = wmill::get_resume_urls(Some("ada"), false).await.unwrap();
    assert!(urls.resume.contains(&current.to_string()), "{urls:?}");
    let wac = wmill::get_approval_urls("approval", None).await.unwrap();
    assert!(wac.resume.contains(&current.to_string()), "{wac:?}");
    assert!(
        wmill::get_approval_urls("a/b", None).await.is_err(),
        "a step key with / is refused"
    );
    // A script is not a flow: the server says so, and the error is typed.
    let err = wmill::set_flow_user_state("cursor", &1).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    wmill::cancel_job(current, Some("done")).await.unwrap();

    // Inside a flow, user state round-trips.
    let flow = wmill::run_flow_async(ECHO_FLOW, &json!({})).await.unwrap();
    install(&server, Some(&flow.to_string()));
    wmill::set_flow_user_state("cursor", &json!({"page": 3}))
        .await
        .unwrap();
    assert_eq!(
        wmill::get_flow_user_state("cursor").await.unwrap(),
        Some(json!({"page": 3}))
    );
    assert_eq!(wmill::get_flow_user_state("unset").await.unwrap(), None);
}

#[test]
fn blocking_helpers_work_from_a_plain_thread() {
    let _g = GLOBAL.lock();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(FakeWindmill::start());
    install(&server, None);
    let current = wmill::blocking::run_script_by_path_async(SLEEP, &json!({"ms": 5_000})).unwrap();
    install(&server, Some(&current.to_string()));
    assert_eq!(wmill::blocking::get_root_job_id(None).unwrap(), current);
    wmill::blocking::set_progress(7, None).unwrap();
    assert_eq!(wmill::blocking::get_progress(None).unwrap(), Some(7));
    assert_eq!(wmill::blocking::get_version().unwrap(), "v1.fake-windmill");
    assert_eq!(
        wmill::blocking::run_script_by_path(ECHO, &json!({"b": true})).unwrap(),
        json!({"b": true})
    );
    wmill::blocking::cancel_job(current, None).unwrap();
    let status = wmill::blocking::get_job_status(current).unwrap();
    assert_eq!(status, JobStatus::Completed { success: false });
}

#[tokio::test]
async fn server_helpers_on_a_memory_client_are_unsupported() {
    let _g = GLOBAL.lock();
    wmill::set_client(Client::new(wmill::InMemory::new()));
    let err = wmill::get_version().await.unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
}
