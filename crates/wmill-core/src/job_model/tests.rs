use std::time::{Duration, UNIX_EPOCH};

use serde_json::Value;
use serde_json::json;

use crate::{Error, JobId, JobStatus};

use super::flow::*;
use super::kind::*;
use super::record::*;
use super::state::*;
use super::timestamp::*;

const ID: &str = "0190c9a4-5b7e-7c3a-9f1e-2d4b6a8c0e12";
const PARENT: &str = "0190c9a4-0000-7c3a-9f1e-2d4b6a8c0e12";
const ROOT: &str = "0190c9a4-1111-7c3a-9f1e-2d4b6a8c0e12";
const STEP_JOB: &str = "0190c9a4-2222-7c3a-9f1e-2d4b6a8c0e12";

/// A queued job the way the server serializes it: `QueuedJob` with its `JobExtended`
/// fields, `None` options left out, `args` and `script_entrypoint_override` as `null`.
fn queued() -> Value {
    json!({
        "type": "QueuedJob",
        "workspace_id": "demo",
        "id": ID,
        "parent_job": PARENT,
        "created_by": "alice",
        "created_at": "2024-05-02T10:00:00.123456Z",
        "scheduled_for": "2024-05-02T10:00:00.123456Z",
        "running": false,
        "script_hash": "4f2a9c01d3e5b7a8",
        "script_path": "f/etl/load",
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
        "tag": "python3",
        "self_wait_time_ms": 12
    })
}

/// A completed job the way the server serializes it: `started_at` and `completed_at` are
/// `Option`s without `skip_serializing_if`, so they may be `null`.
fn completed(success: bool, result: Value) -> Value {
    json!({
        "type": "CompletedJob",
        "workspace_id": "demo",
        "id": ID,
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
        "language": "bun",
        "is_skipped": false,
        "email": "alice@example.com",
        "visible_to_owner": true,
        "mem_peak": 30000,
        "tag": "bun",
        "worker": "wk-default-abc12"
    })
}

fn job(v: Value) -> Job {
    Job::from_value(v).unwrap()
}

#[test]
fn queued_job() {
    let j = job(queued());
    assert_eq!(j.state, JobState::Queued);
    assert_eq!(j.status(), JobStatus::Waiting);
    assert_eq!(j.id, JobId::parse(ID).unwrap());
    assert_eq!(j.kind, JobKind::Script);
    assert_eq!(j.workspace.as_deref(), Some("demo"));
    assert_eq!(j.script_path.as_deref(), Some("f/etl/load"));
    assert_eq!(
        j.script_hash.as_ref().map(|h| h.as_str()),
        Some("4f2a9c01d3e5b7a8")
    );
    assert_eq!(j.created_by.as_deref(), Some("alice"));
    assert_eq!(j.parent_job, Some(JobId::parse(PARENT).unwrap()));
    assert_eq!(j.root_job, Some(JobId::parse(ROOT).unwrap()));
    assert_eq!(j.tag.as_deref(), Some("python3"));
    assert_eq!(j.language.as_deref(), Some("python3"));
    assert_eq!(j.started_at, None);
    assert_eq!(j.worker, None);
    assert_eq!(
        j.created_at.as_ref().map(Timestamp::unix_millis),
        Some(1_714_644_000_123)
    );
    assert_eq!(j.args().unwrap()["n"], 3);
    assert_eq!(j.result(), None, "a queued job has no result");
    assert_eq!(j.error(), None);
    assert!(!j.is_completed());
}

#[test]
fn scheduled_job() {
    let mut v = queued();
    v["scheduled_for"] = json!("2024-05-02T11:00:00Z");
    let j = job(v);
    assert_eq!(
        j.state,
        JobState::Scheduled {
            at: Timestamp::parse("2024-05-02T11:00:00Z").unwrap()
        }
    );
    assert_eq!(j.status(), JobStatus::Waiting);
    // Scheduled at creation (or earlier): plainly queued.
    let mut v = queued();
    v["scheduled_for"] = json!("2024-05-02T09:00:00Z");
    assert_eq!(job(v).state, JobState::Queued);
}

#[test]
fn running_job() {
    let mut v = queued();
    v["running"] = json!(true);
    v["started_at"] = json!("2024-05-02T10:00:01Z");
    v["worker"] = json!("wk-default-abc12");
    v["last_ping"] = json!("2024-05-02T10:00:05Z");
    let j = job(v);
    assert_eq!(j.state, JobState::Running);
    assert_eq!(j.status(), JobStatus::Running);
    assert_eq!(j.worker.as_deref(), Some("wk-default-abc12"));
    assert_eq!(j.started_at.unwrap().as_str(), "2024-05-02T10:00:01Z");
}

#[test]
fn successful_job() {
    let j = job(completed(true, json!({"rows": 10})));
    assert_eq!(j.state, JobState::Success);
    assert_eq!(j.status(), JobStatus::Completed { success: true });
    assert_eq!(j.result(), Some(&json!({"rows": 10})));
    assert_eq!(j.error(), None);
    assert_eq!(j.duration_ms, Some(2000));
    assert_eq!(j.duration(), Some(Duration::from_secs(2)));
    assert_eq!(j.worker.as_deref(), Some("wk-default-abc12"));
    let (started, completed) = (j.started_at.unwrap(), j.completed_at.unwrap());
    assert_eq!(
        completed.duration_since(&started),
        Some(Duration::from_secs(2))
    );
    assert_eq!(j.scheduled_for, None);
    assert_eq!(j.root_job, None);
}

#[test]
fn failed_job() {
    let error = json!({"name": "Error", "message": "boom", "stack": "..."});
    let j = job(completed(false, json!({ "error": error })));
    assert_eq!(j.state, JobState::Failure);
    assert_eq!(j.status(), JobStatus::Completed { success: false });
    assert_eq!(j.error(), Some(&error));
    // A failure whose result has no `error` member: the whole result is the error.
    let j = job(completed(false, json!("bad")));
    assert_eq!(j.error(), Some(&json!("bad")));
}

#[test]
fn canceled_job_is_not_a_failed_one() {
    let mut v = completed(
        false,
        json!({"error": {"name": "Canceled", "message": "Job canceled: too slow by bob", "reason": "too slow", "canceler": "bob"}}),
    );
    v["canceled"] = json!(true);
    v["canceled_by"] = json!("bob");
    v["canceled_reason"] = json!("too slow");
    v["started_at"] = Value::Null;
    v["completed_at"] = Value::Null;
    let j = job(v);
    assert_eq!(
        j.state,
        JobState::Canceled {
            by: Some("bob".into()),
            reason: Some("too slow".into())
        }
    );
    assert_ne!(j.state, JobState::Failure);
    assert!(j.state.is_canceled() && j.is_completed());
    assert_eq!(j.status(), JobStatus::Completed { success: false });
    assert_eq!(j.error().unwrap()["name"], "Canceled");
    assert_eq!(j.started_at, None, "null reads as absent");
    // A cancel without who or why.
    let mut v = completed(false, json!(null));
    v["canceled"] = json!(true);
    assert_eq!(
        job(v).state,
        JobState::Canceled {
            by: None,
            reason: None
        }
    );
}

#[test]
fn cancel_requested_on_a_running_job() {
    let mut v = queued();
    v["running"] = json!(true);
    v["canceled"] = json!(true);
    v["canceled_by"] = json!("bob");
    v["canceled_reason"] = json!("stop");
    let j = job(v);
    assert_eq!(
        j.state,
        JobState::Canceling {
            by: Some("bob".into()),
            reason: Some("stop".into())
        }
    );
    assert_eq!(j.status(), JobStatus::Running);
    assert!(!j.is_completed() && j.state.is_canceled());
}

/// A flow parked on an approval step: the server sets `suspend` (resumes still needed) and
/// writes `WaitingForEvents` into the module of the current step.
fn suspended_flow() -> Value {
    let mut v = queued();
    v["job_kind"] = json!("flow");
    v["script_path"] = json!("f/ops/approve_deploy");
    v["running"] = json!(true);
    v["started_at"] = json!("2024-05-02T10:00:01Z");
    v["suspend"] = json!(1);
    v["flow_status"] = json!({
        "step": 1,
        "modules": [
            {"type": "Success", "id": "a", "job": STEP_JOB, "flow_jobs": null,
             "approvers": [], "branch_chosen": null},
            {"type": "WaitingForEvents", "id": "b", "count": 1, "job": STEP_JOB},
            {"type": "WaitingForPriorSteps", "id": "c"}
        ],
        "failure_module": {"type": "WaitingForPriorSteps", "id": "failure", "parent_module": null},
        "user_states": {},
        "retry": {"fail_count": 0, "failed_jobs": []}
    });
    v
}

#[test]
fn suspended_flow_waits_for_approval() {
    let j = job(suspended_flow());
    assert_eq!(
        j.state,
        JobState::Suspended {
            step: Some(1),
            resumes_needed: Some(1)
        }
    );
    assert_eq!(j.status(), JobStatus::Running);
    assert!(j.kind.is_flow());
    let fs = j.flow_status.as_ref().unwrap();
    assert_eq!(fs.step, 1);
    assert_eq!(fs.step_count(), 3);
    assert_eq!(fs.completed_steps(), 1);
    let current = fs.current().unwrap();
    assert_eq!(current.status, FlowStepStatus::WaitingForEvents);
    assert_eq!(current.count, Some(1));
    assert_eq!(current.job, Some(JobId::parse(STEP_JOB).unwrap()));
    assert_eq!(current.id.as_deref(), Some("b"));
    assert_eq!(
        fs.failure_step.as_ref().unwrap().id.as_deref(),
        Some("failure")
    );

    // Once resumed (`suspend` back to 0) the flow runs on, even before the module moves.
    let mut v = suspended_flow();
    v["suspend"] = json!(0);
    assert_eq!(job(v).state, JobState::Running);
    // Without a `suspend` field, the module alone tells.
    let mut v = suspended_flow();
    v.as_object_mut().unwrap().remove("suspend");
    assert_eq!(
        job(v).state,
        JobState::Suspended {
            step: Some(1),
            resumes_needed: None
        }
    );
    // A script parked on its children (workflow as code) is not waiting for approval.
    let mut v = queued();
    v["running"] = json!(true);
    v["suspend"] = json!(3);
    assert_eq!(job(v).state, JobState::Running);
}

#[test]
fn flow_steps_of_a_running_flow() {
    let mut v = queued();
    v["job_kind"] = json!("flow");
    v["running"] = json!(true);
    v["flow_status"] = json!({
        "step": 0,
        "modules": [{
            "type": "InProgress", "id": "loop", "job": STEP_JOB,
            "iterator": {"index": 2, "itered": [1, 2, 3]},
            "flow_jobs": [PARENT, ROOT, "not-a-uuid"],
            "flow_jobs_success": [true, null],
            "progress": 40
        }, {
            "type": "Success", "id": "approve", "skipped": true,
            "approvers": [{"resume_id": 7, "approver": "carol"}, {"approver": "no id"}]
        }],
        "failure_module": {"type": "WaitingForPriorSteps", "id": "failure"},
        "preprocessor_module": {"type": "Success", "id": "preprocessor"}
    });
    let j = job(v);
    assert_eq!(j.state, JobState::Running);
    let fs = j.flow_status.unwrap();
    let step = &fs.steps[0];
    assert_eq!(step.status, FlowStepStatus::InProgress);
    assert_eq!(step.iteration, Some(2));
    assert_eq!(step.progress, Some(40));
    assert_eq!(step.flow_jobs.len(), 2, "bad ids are left out");
    assert_eq!(step.flow_jobs_success, vec![Some(true), None]);
    assert!(fs.steps[1].skipped);
    assert_eq!(
        fs.steps[1].approvers,
        vec![FlowApprover {
            resume_id: 7,
            approver: "carol".into()
        }]
    );
    assert_eq!(fs.completed_steps(), 1);
    assert_eq!(
        fs.preprocessor_step.unwrap().status,
        FlowStepStatus::Success
    );
}

#[test]
fn unknown_enum_values_do_not_fail() {
    let mut v = completed(true, json!(1));
    v["job_kind"] = json!("quantum");
    v["language"] = json!("cobol");
    v["trigger_kind"] = json!("carrier_pigeon");
    v["flow_status"] =
        json!({"step": 0, "modules": [{"type": "Hibernating", "id": "a"}, {"id": "no type"}]});
    let j = job(v);
    assert_eq!(j.kind, JobKind::Unknown("quantum".into()));
    assert_eq!(j.kind.to_string(), "quantum");
    assert_eq!(j.language.as_deref(), Some("cobol"));
    let fs = j.flow_status.unwrap();
    assert_eq!(
        fs.steps[0].status,
        FlowStepStatus::Unknown("Hibernating".into())
    );
    assert_eq!(fs.steps[1].status, FlowStepStatus::Unknown(String::new()));
    // Every known kind round-trips through its name.
    for (name, kind) in JOB_KINDS {
        assert_eq!(&JobKind::from(*name), kind);
        assert_eq!(kind.as_str(), *name);
    }
    assert!(JobKind::SingleStepFlow.is_flow() && !JobKind::Script.is_flow());
}

#[test]
fn missing_optional_fields() {
    // The least a job can be.
    let j = job(json!({"type": "QueuedJob", "id": ID}));
    assert_eq!(j.state, JobState::Queued);
    assert_eq!(j.kind, JobKind::Unknown(String::new()));
    assert_eq!(j.created_at, None);
    assert_eq!(j.flow_status, None);
    assert!(!j.is_flow_step && !j.skipped);
    let j = job(json!({"type": "CompletedJob", "id": ID, "success": true}));
    assert_eq!(j.state, JobState::Success);
    assert_eq!(j.result(), None);
    assert_eq!(j.duration_ms, None);
    // Mistyped optional fields read as absent; the raw JSON keeps them.
    let j = job(json!({
        "type": "CompletedJob", "id": ID, "success": false,
        "created_at": "yesterday", "duration_ms": -5, "tag": 3,
        "script_hash": "xyz", "parent_job": "nope", "flow_status": "odd"
    }));
    assert_eq!(j.state, JobState::Failure);
    assert_eq!(
        (j.created_at.clone(), j.duration_ms, j.tag.clone()),
        (None, None, None)
    );
    assert_eq!(
        (j.script_hash.clone(), j.parent_job, j.flow_status.clone()),
        (None, None, None)
    );
    assert_eq!(j.raw()["tag"], 3);
    // A duration written as a float with no fraction is read.
    let j = job(json!({"type": "CompletedJob", "id": ID, "success": true, "duration_ms": 1500.0}));
    assert_eq!(j.duration_ms, Some(1500));
}

#[test]
fn required_fields_and_errors_hide_values() {
    for bad in [
        json!([1]),
        json!({"id": ID}),
        json!({"type": "ArchivedJob", "id": ID}),
        json!({"type": "QueuedJob"}),
        json!({"type": "QueuedJob", "id": "42"}),
        json!({"type": "CompletedJob", "id": ID}),
        json!({"type": "CompletedJob", "id": ID, "success": "yes", "args": {"password": "hunter2"}}),
    ] {
        let err = Job::from_value(bad.clone()).unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{bad}: {err:?}");
        let text = format!("{err} {err:?}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}

#[test]
fn serde_round_trip_keeps_the_raw_json() {
    let v = suspended_flow();
    let j: Job = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(serde_json::to_value(&j).unwrap(), v);
    assert_eq!(j.raw(), &v);
    assert_eq!(j.clone().into_raw(), v);
    let err = serde_json::from_value::<Job>(json!({"type": "QueuedJob"})).unwrap_err();
    assert!(err.to_string().contains("id"), "{err}");
}

#[test]
fn debug_hides_args_and_results() {
    let mut v = completed(true, json!({"token": "s3cr3t-result"}));
    v["args"] = json!({"password": "hunter2"});
    let text = format!("{:?}", job(v));
    assert!(
        !text.contains("hunter2") && !text.contains("s3cr3t"),
        "{text}"
    );
    assert!(
        text.contains("raw_keys") && text.contains("\"args\""),
        "{text}"
    );
}

#[test]
fn timestamps_parse_rfc3339() {
    let t = |s: &str| Timestamp::parse(s).map(|t| t.unix_millis());
    assert_eq!(t("1970-01-01T00:00:00Z").unwrap(), 0);
    assert_eq!(t("1970-01-01T00:00:00.001Z").unwrap(), 1);
    assert_eq!(t("1969-12-31T23:59:59.999Z").unwrap(), -1);
    assert_eq!(t("2000-02-29T00:00:00Z").unwrap(), 951_782_400_000);
    assert_eq!(
        t("2024-05-02T12:00:00+02:00").unwrap(),
        t("2024-05-02T10:00:00Z").unwrap()
    );
    assert_eq!(
        t("2024-05-02t10:00:00z").unwrap(),
        t("2024-05-02 10:00:00Z").unwrap()
    );
    assert_eq!(
        t("2024-05-02T10:00:00-01:30").unwrap(),
        t("2024-05-02T11:30:00Z").unwrap()
    );
    let nanos = Timestamp::parse("2024-05-02T10:00:00.123456789123Z").unwrap();
    assert_eq!(
        nanos
            .system_time()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos(),
        123_456_789
    );
    for bad in [
        "",
        "2024-05-02",
        "2024-05-02T10:00:00",
        "2024-13-02T10:00:00Z",
        "2023-02-29T10:00:00Z",
        "2024-05-02T24:00:00Z",
        "2024-05-02T10:00:00.Z",
        "2024-05-02T10:00:00+0200",
        "2024-05-02T10:00:00+02:00x",
        "2024-05-02T10:00:00ZZ",
        "２024-05-02T10:00:00Z",
        "+024-05-02T10:00:00Z",
    ] {
        assert!(Timestamp::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn timestamps_format_and_compare() {
    for ms in [
        0i64,
        1,
        951_782_400_123,
        1_714_644_000_123,
        253_402_300_799_999,
    ] {
        let time = UNIX_EPOCH + Duration::from_millis(ms as u64);
        let t = Timestamp::from_system_time(time);
        assert_eq!(t.unix_millis(), ms, "{t}");
        assert_eq!(Timestamp::parse(t.as_str()).unwrap(), t);
    }
    assert_eq!(
        Timestamp::from_system_time(UNIX_EPOCH + Duration::from_millis(951_782_400_123)).as_str(),
        "2000-02-29T00:00:00.123000Z"
    );
    let before = Timestamp::from_system_time(UNIX_EPOCH - Duration::from_millis(1500));
    assert_eq!(before.as_str(), "1969-12-31T23:59:58.500000Z");
    assert_eq!(before.unix_millis(), -1500);
    let (a, b) = (
        Timestamp::parse("2024-05-02T10:00:00Z").unwrap(),
        Timestamp::parse("2024-05-02T10:00:01Z").unwrap(),
    );
    assert!(a < b);
    assert_eq!(b.duration_since(&a), Some(Duration::from_secs(1)));
    assert_eq!(a.duration_since(&b), None);
    let json = serde_json::to_value(&a).unwrap();
    assert_eq!(json, json!("2024-05-02T10:00:00Z"));
    assert_eq!(serde_json::from_value::<Timestamp>(json).unwrap(), a);
    assert!(serde_json::from_value::<Timestamp>(json!("soon")).is_err());
    assert_eq!(format!("{a:?}"), "Timestamp(\"2024-05-02T10:00:00Z\")");
}

#[test]
fn job_state_names_and_status() {
    let at = Timestamp::parse("2024-05-02T10:00:00Z").unwrap();
    let cases = [
        (JobState::Queued, "queued", JobStatus::Waiting),
        (JobState::Scheduled { at }, "scheduled", JobStatus::Waiting),
        (JobState::Running, "running", JobStatus::Running),
        (
            JobState::Suspended {
                step: None,
                resumes_needed: None,
            },
            "suspended",
            JobStatus::Running,
        ),
        (
            JobState::Canceling {
                by: None,
                reason: None,
            },
            "canceling",
            JobStatus::Running,
        ),
        (
            JobState::Success,
            "success",
            JobStatus::Completed { success: true },
        ),
        (
            JobState::Failure,
            "failure",
            JobStatus::Completed { success: false },
        ),
        (
            JobState::Canceled {
                by: None,
                reason: None,
            },
            "canceled",
            JobStatus::Completed { success: false },
        ),
    ];
    for (state, name, status) in cases {
        assert_eq!(state.to_string(), name);
        assert_eq!(state.status(), status, "{name}");
        assert_eq!(state.is_completed(), status.is_completed(), "{name}");
    }
}
