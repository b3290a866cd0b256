//! The typed job over HTTP: `get_job` and `get_job_status` read `GET jobs_u/get/{id}` (light),
//! answered in the server's shape (tagged `type`, `None` options left out). Every request is
//! asserted: method, path, query, auth header and an empty body.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{Value, json};
use support::*;
use wiremock::Request;
use wmill_core::{
    Error, FlowStepStatus, ItemKind, JobId, JobKind, JobRunner, JobState, JobStatus, Timestamp,
};

const PARENT: &str = "0190c9a4-0000-7c3a-9f1e-2d4b6a8c0e12";
const STEP: &str = "0190c9a4-2222-7c3a-9f1e-2d4b6a8c0e12";

fn id() -> JobId {
    JobId::parse(JOB).unwrap()
}

fn no_body(req: &Request) -> bool {
    req.body.is_empty()
}

/// Mounts the light `jobs_u/get` answering `body`, expected `times` times.
async fn serve(server: &wiremock::MockServer, body: Value, times: u64) {
    call("GET", format!("/api/w/ws/jobs_u/get/{JOB}").as_str())
        .and(exact_query(&[("no_logs", "true"), ("no_code", "true")]))
        .and(no_body)
        .respond_with(json(200, body))
        .expect(times)
        .mount(server)
        .await;
}

/// A queued job as the server serializes `QueuedJob` + `JobExtended` (no logs, no code).
fn queued() -> Value {
    json!({
        "type": "QueuedJob",
        "workspace_id": "ws",
        "id": JOB,
        "parent_job": PARENT,
        "created_by": "alice",
        "created_at": "2024-05-02T10:00:00.123456Z",
        "scheduled_for": "2024-05-02T10:00:00.123456Z",
        "running": false,
        "script_path": "f/etl/load",
        "script_hash": "4f2a9c01d3e5b7a8",
        "script_entrypoint_override": null,
        "args": {"n": 3},
        "canceled": false,
        "job_kind": "script",
        "permissioned_as": "u/alice",
        "is_flow_step": false,
        "language": "python3",
        "same_worker": false,
        "email": "alice@example.com",
        "visible_to_owner": true,
        "suspend": 0,
        "root_job": ROOT,
        "tag": "python3"
    })
}

/// A completed job as the server serializes `CompletedJob` + `JobExtended`.
fn completed(success: bool, result: Value) -> Value {
    json!({
        "type": "CompletedJob",
        "workspace_id": "ws",
        "id": JOB,
        "parent_job": PARENT,
        "created_by": "alice",
        "created_at": "2024-05-02T10:00:00.123456Z",
        "started_at": "2024-05-02T10:00:00.500000Z",
        "completed_at": "2024-05-02T10:00:02.500000Z",
        "duration_ms": 2000,
        "success": success,
        "script_path": "f/etl/load",
        "args": {"n": 3},
        "result": result,
        "result_columns": null,
        "deleted": false,
        "canceled": false,
        "job_kind": "script",
        "permissioned_as": "u/alice",
        "is_flow_step": false,
        "language": "python3",
        "is_skipped": false,
        "email": "alice@example.com",
        "visible_to_owner": true,
        "mem_peak": 31000,
        "tag": "python3",
        "worker": "wk-default-7f3a1"
    })
}

#[tokio::test]
async fn a_queued_job() {
    let server = server().await;
    serve(&server, queued(), 2).await;
    let wm = client(&server);
    let job = wm.get_job(&id()).await.unwrap();
    assert_eq!(job.id, id());
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(job.kind, JobKind::Script);
    assert_eq!(job.workspace.as_deref(), Some("ws"));
    assert_eq!(job.script_path.as_deref(), Some("f/etl/load"));
    assert_eq!(
        job.script_hash.as_ref().map(|h| h.as_str()),
        Some("4f2a9c01d3e5b7a8")
    );
    assert_eq!(job.parent_job, Some(JobId::parse(PARENT).unwrap()));
    assert_eq!(job.root_job, Some(JobId::parse(ROOT).unwrap()));
    assert_eq!(job.tag.as_deref(), Some("python3"));
    assert_eq!(job.created_by.as_deref(), Some("alice"));
    assert_eq!(job.args().unwrap()["n"], 3);
    assert_eq!(
        job.raw()["permissioned_as"],
        "u/alice",
        "unmodelled fields stay"
    );
    assert_eq!(wm.get_job_status(&id()).await.unwrap(), JobStatus::Waiting);
}

#[tokio::test]
async fn a_scheduled_job() {
    let server = server().await;
    let mut body = queued();
    body["scheduled_for"] = json!("2024-05-02T11:00:00Z");
    serve(&server, body, 2).await;
    let wm = client(&server);
    let job = wm.get_job(&id()).await.unwrap();
    assert_eq!(
        job.state,
        JobState::Scheduled {
            at: Timestamp::parse("2024-05-02T11:00:00Z").unwrap()
        }
    );
    assert_eq!(wm.get_job_status(&id()).await.unwrap(), JobStatus::Waiting);
}

#[tokio::test]
async fn a_running_job() {
    let server = server().await;
    let mut body = queued();
    body["running"] = json!(true);
    body["started_at"] = json!("2024-05-02T10:00:01Z");
    body["last_ping"] = json!("2024-05-02T10:00:06Z");
    body["worker"] = json!("wk-default-7f3a1");
    serve(&server, body, 2).await;
    let wm = client(&server);
    let job = wm.get_job(&id()).await.unwrap();
    assert_eq!(job.state, JobState::Running);
    assert_eq!(job.worker.as_deref(), Some("wk-default-7f3a1"));
    assert_eq!(
        job.started_at.as_ref().map(Timestamp::as_str),
        Some("2024-05-02T10:00:01Z")
    );
    assert_eq!(wm.get_job_status(&id()).await.unwrap(), JobStatus::Running);
}

#[tokio::test]
async fn a_successful_job() {
    let server = server().await;
    serve(&server, completed(true, json!({"rows": 10})), 2).await;
    let wm = client(&server);
    let job = wm.get_job(&id()).await.unwrap();
    assert_eq!(job.state, JobState::Success);
    assert_eq!(job.result(), Some(&json!({"rows": 10})));
    assert_eq!(job.duration_ms, Some(2000));
    assert_eq!(job.worker.as_deref(), Some("wk-default-7f3a1"));
    assert_eq!(
        job.completed_at
            .as_ref()
            .unwrap()
            .duration_since(job.started_at.as_ref().unwrap()),
        Some(std::time::Duration::from_secs(2))
    );
    assert_eq!(
        wm.get_job_status(&id()).await.unwrap(),
        JobStatus::Completed { success: true }
    );
}

#[tokio::test]
async fn a_failed_job() {
    let server = server().await;
    let error = json!({"name": "ValueError", "message": "bad row", "stack": "..."});
    serve(&server, completed(false, json!({ "error": error })), 2).await;
    let wm = client(&server);
    let job = wm.get_job(&id()).await.unwrap();
    assert_eq!(job.state, JobState::Failure);
    assert_eq!(job.error(), Some(&error));
    assert_eq!(
        wm.get_job_status(&id()).await.unwrap(),
        JobStatus::Completed { success: false }
    );
}

#[tokio::test]
async fn a_canceled_job_is_told_from_a_failed_one() {
    let server = server().await;
    let mut body = completed(
        false,
        json!({"error": {"name": "Canceled", "message": "Job canceled: obsolete by bob", "reason": "obsolete", "canceler": "bob"}}),
    );
    body["canceled"] = json!(true);
    body["canceled_by"] = json!("bob");
    body["canceled_reason"] = json!("obsolete");
    body["started_at"] = Value::Null;
    body["completed_at"] = Value::Null;
    body["duration_ms"] = json!(0);
    serve(&server, body, 2).await;
    let wm = client(&server);
    let job = wm.get_job(&id()).await.unwrap();
    assert_eq!(
        job.state,
        JobState::Canceled {
            by: Some("bob".into()),
            reason: Some("obsolete".into())
        }
    );
    assert_ne!(job.state, JobState::Failure);
    assert_eq!(job.started_at, None);
    // The coarse status cannot tell them apart; the typed job can.
    assert_eq!(
        wm.get_job_status(&id()).await.unwrap(),
        JobStatus::Completed { success: false }
    );
}

#[tokio::test]
async fn a_flow_suspended_for_approval() {
    let server = server().await;
    let mut body = queued();
    body["job_kind"] = json!("flow");
    body["script_path"] = json!("f/ops/deploy");
    body["running"] = json!(true);
    body["started_at"] = json!("2024-05-02T10:00:01Z");
    body["suspend"] = json!(1);
    body["flow_status"] = json!({
        "step": 1,
        "modules": [
            {"type": "Success", "id": "a", "job": STEP, "flow_jobs": null},
            {"type": "WaitingForEvents", "id": "b", "count": 1, "job": STEP},
            {"type": "WaitingForPriorSteps", "id": "c"}
        ],
        "failure_module": {"type": "WaitingForPriorSteps", "id": "failure", "parent_module": null},
        "user_states": {},
        "retry": {"fail_count": 0, "failed_jobs": []}
    });
    body["raw_flow"] = json!({"modules": []});
    serve(&server, body, 2).await;
    let wm = client(&server);
    let job = wm.get_job(&id()).await.unwrap();
    assert_eq!(
        job.state,
        JobState::Suspended {
            step: Some(1),
            resumes_needed: Some(1)
        }
    );
    assert_eq!(job.kind, JobKind::Flow);
    let flow = job.flow_status.as_ref().unwrap();
    assert_eq!((flow.step, flow.step_count()), (1, 3));
    let waiting = flow.current().unwrap();
    assert_eq!(waiting.status, FlowStepStatus::WaitingForEvents);
    assert_eq!(waiting.job, Some(JobId::parse(STEP).unwrap()));
    assert_eq!(wm.get_job_status(&id()).await.unwrap(), JobStatus::Running);
}

#[tokio::test]
async fn unknown_values_and_missing_options_decode() {
    let server = server().await;
    serve(
        &server,
        json!({"type": "CompletedJob", "id": JOB, "success": true, "job_kind": "hologram",
               "trigger_kind": "telepathy", "created_at": "2024-05-02T10:00:00Z"}),
        1,
    )
    .await;
    let job = client(&server).get_job(&id()).await.unwrap();
    assert_eq!(job.kind, JobKind::Unknown("hologram".into()));
    assert_eq!(job.state, JobState::Success);
    assert_eq!((&job.tag, &job.worker, job.result()), (&None, &None, None));
}

#[tokio::test]
async fn a_missing_job_is_not_found() {
    let server = server().await;
    call("GET", format!("/api/w/ws/jobs_u/get/{JOB}").as_str())
        .and(exact_query(&[("no_logs", "true"), ("no_code", "true")]))
        .respond_with(text(
            404,
            &format!("Not found: Job not found at name {JOB}"),
        ))
        .expect(2)
        .mount(&server)
        .await;
    let wm = client(&server);
    for err in [
        wm.get_job(&id()).await.unwrap_err(),
        wm.get_job_status(&id()).await.unwrap_err(),
    ] {
        assert!(
            matches!(&err, Error::NotFound { kind: ItemKind::Job, path } if path == JOB),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn a_body_that_is_no_job_is_a_decode_error_without_values() {
    let server = server().await;
    serve(
        &server,
        json!({"type": "ArchivedJob", "id": JOB, "args": {"password": "hunter2"}}),
        1,
    )
    .await;
    let err = client(&server).get_job(&id()).await.unwrap_err();
    let Error::Decode {
        request,
        body_excerpt,
        ..
    } = &err
    else {
        panic!("expected Decode, got {err:?}")
    };
    assert!(request.contains("jobs_u/get"), "{request}");
    assert!(body_excerpt.contains("\"type\""), "{body_excerpt}");
    let text = format!("{err} {err:?} {}", std::error::Error::source(&err).unwrap());
    assert!(!text.contains("hunter2") && !text.contains(TOKEN), "{text}");
}

#[tokio::test]
async fn unauthorized_is_typed() {
    let server = server().await;
    call("GET", format!("/api/w/ws/jobs_u/get/{JOB}").as_str())
        .respond_with(text(401, "Not authorized: invalid token"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).get_job(&id()).await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
}
