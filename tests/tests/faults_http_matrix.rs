//! Every HTTP call: every public call of `wmill_http::Windmill` that reaches the server (the
//! `VariableStore`, `ResourceStore`, `StateStore` and `JobRunner` methods and the inherent
//! helpers), against every HTTP fault of the scripted `FaultServer` (tests/src/faults.rs).
//!
//! The matrix (`matrix_*` tests) runs each call against each fault on the call's main request
//! (its other requests are answered normally, as the real server answers them): the fault on
//! every request ("every time") and the fault once followed by the normal answer ("once"). For
//! each case it asserts the outcome (the exact value, or the typed error), the number of
//! requests on the faulted route, that no job start or message was sent twice, and that the
//! call ended within its bound (a bound, not a speed measurement); no token in any error. Cases
//! run concurrently in "lanes" (a server and a client each, cases one after the other in a
//! lane); run with `--nocapture` to print the matrix as the table of docs/reliability.md.
//!
//! Exceptions, by design: the requests that may not be repeated once they reached the server
//! (job starts without a caller-chosen id, Slack/Teams approvals and Teams messages,
//! `create_token`, `run_inline_script_preview`, `request_json` with POST) fail on a single
//! fault, after exactly one request. A synchronous run over `run_wait_result` reads the job's
//! result from the job (its event stream) whatever happened to the long request, which is
//! never sent twice. `run_inline_script_preview` and `run_wait_result` have a 620 s request
//! timeout: they wait as long as the server keeps a silent connection open (here, a stall that
//! ends with a close after `LONG_STALL`). `request_json` reads an empty answer as `null`.
//!
//! The tests at the end of the file are the two bugs the matrix found (a text answer that was
//! empty or an HTML page returned as a value; a create sent once in an upsert): each failed
//! before its fix.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Value, json};
use wmill_core::{
    Args, Error, ItemPath, JobId, JobRunner, JobStatus, ListResources, ListVariables,
    ResourceStore, RunOptions, ScriptHash, SetVariableOptions, StateStore, VariableStore,
    WaitOptions,
};
use wmill_http::reqwest::Method;
use wmill_http::{FirstWait, InteractiveApproval, RetryConfig, ServerWait, WaitTuning, Windmill};
use wmill_tests::faults::{FaultServer, Reply, SseEnd};

const TOKEN: &str = "tok-httpmatrix-5e8a13";
/// Margin added to every time bound (the test machine is shared).
const MARGIN: Duration = Duration::from_secs(2);
const TIMEOUT: Duration = Duration::from_millis(300);
const RETRIES: u32 = 2;
/// The largest backoff the test clients sleep.
const MAX_BACKOFF: Duration = Duration::from_millis(40);
/// `Retry-After` of the 429 that carries one (within the client's `max_retry_after`).
const RETRY_AFTER: Duration = Duration::from_secs(1);
/// The body limit of the "over limit" client; normal answers are well below it.
const LIMIT: u64 = 4096;
/// A stall lasts longer than any bound.
const STALL: Duration = Duration::from_secs(10);
/// The stall of the calls with a 620 s request timeout: the server closes the connection after
/// it (they would wait for as long as it stays open).
const LONG_STALL: Duration = Duration::from_millis(1200);

/// The current job (`WM_JOB_ID`), its flow (`WM_FLOW_JOB_ID`) and root flow.
const JOB: &str = "0192d2a4-5b6c-7d8e-9f00-000000000001";
const FLOW_JOB: &str = "0192d2a4-5b6c-7d8e-9f00-0000000000f1";
const ROOT_JOB: &str = "0192d2a4-5b6c-7d8e-9f00-0000000000a1";
/// The job a start creates.
const NEW_JOB: &str = "0192d2a4-5b6c-7d8e-9f00-00000000beef";
/// The id a caller chooses (`RunOptions::job_id`).
const CHOSEN_JOB: &str = "0192d2a4-5b6c-7d8e-9f00-00000000c0de";
/// Another running job of the current script (`cancel_running`).
const OTHER_JOB: &str = "0192d2a4-5b6c-7d8e-9f00-0000000000b2";
const HASH: &str = "0123456789abcdef";

fn retry() -> RetryConfig {
    RetryConfig::default()
        .max_retries(RETRIES)
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(MAX_BACKOFF)
        .max_retry_after(Duration::from_secs(2))
}

/// The bound of a call that made `attempts` attempts: each may use its whole timeout (+ 10 %),
/// plus the backoffs.
fn bound(attempts: u32) -> Duration {
    (TIMEOUT.mul_f64(1.1) + MAX_BACKOFF) * attempts.max(1) + MARGIN
}

fn path(p: &str) -> ItemPath {
    ItemPath::parse(p).unwrap()
}

fn job(id: &str) -> JobId {
    JobId::parse(id).unwrap()
}

fn args() -> Args {
    json!({"x": 1}).as_object().unwrap().clone()
}

/// A job's result, as every route that carries it gives it.
fn result() -> Value {
    json!({"value": 42, "rows": ["a", "b"]})
}

// ---------------------------------------------------------------- the calls

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    // VariableStore (and the inherent `variable_exists`)
    GetVariable,
    /// `set_variable` of an existing variable: `exists` then `update` (faulted).
    SetVariable,
    /// `set_variable` of a new variable: `exists` then `create` (faulted).
    SetVariableNew,
    DeleteVariable,
    ListVariables,
    VariableExists,
    // ResourceStore (and the inherent `resource_exists`, `get_resource_raw`)
    GetResource,
    /// `set_resource` of an existing resource: `exists` then `update_value` (faulted).
    SetResource,
    /// `set_resource` of a new resource: `exists` then `create` (faulted).
    SetResourceNew,
    DeleteResource,
    ListResources,
    ResourceExists,
    GetResourceRaw,
    // StateStore
    GetState,
    SetState,
    GetStateAt,
    SetStateAt,
    // JobRunner: starts
    RunPathAsync,
    /// `run_script_by_path_async` with `RunOptions::job_id`: retried, never created twice.
    RunPathAsyncWithId,
    RunHashAsync,
    RunFlowAsync,
    RunPathAsyncWithRetry,
    // JobRunner: synchronous runs
    /// `run_script_by_path` over `run_wait_result` (`ServerWait::Always`).
    RunPath,
    /// `run_script_by_path` with `ServerWait::Never`: start, then wait.
    RunPathPolled,
    /// `run_script_by_hash`: always start, then wait.
    RunHash,
    /// `run_flow` over `run_wait_result`.
    RunFlow,
    /// `run_flow` with `ServerWait::Never`.
    RunFlowPolled,
    // JobRunner: the rest
    WaitJob,
    GetResult,
    GetJobStatus,
    CancelJob,
    // Inherent job helpers
    GetJob,
    ForceCancelJob,
    GetRootJobId,
    WorkerIsDraining,
    SetProgress,
    GetProgress,
    SetFlowUserState,
    GetFlowUserState,
    GetResumeUrls,
    GetApprovalUrls,
    JobExists,
    GetResultMaybe,
    CancelRunning,
    RunInlinePreview,
    // Identity, tokens, raw calls
    Whoami,
    WorkspaceWhoami,
    Version,
    GetIdToken,
    CreateToken,
    UsernameToEmail,
    RequestJsonGet,
    RequestJsonPost,
    CommitKafkaOffsets,
    // Approvals and messages
    SlackApproval,
    TeamsApproval,
    SendTeamsMessage,
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Call::GetVariable => "get_variable",
            Call::SetVariable => "set_variable (existing: update)",
            Call::SetVariableNew => "set_variable (new: create)",
            Call::DeleteVariable => "delete_variable",
            Call::ListVariables => "list_variables",
            Call::VariableExists => "variable_exists",
            Call::GetResource => "get_resource",
            Call::SetResource => "set_resource (existing: update_value)",
            Call::SetResourceNew => "set_resource (new: create)",
            Call::DeleteResource => "delete_resource",
            Call::ListResources => "list_resources",
            Call::ResourceExists => "resource_exists",
            Call::GetResourceRaw => "get_resource_raw",
            Call::GetState => "get_state",
            Call::SetState => "set_state",
            Call::GetStateAt => "get_state_at",
            Call::SetStateAt => "set_state_at",
            Call::RunPathAsync => "run_script_by_path_async",
            Call::RunPathAsyncWithId => "run_script_by_path_async (job_id)",
            Call::RunHashAsync => "run_script_by_hash_async",
            Call::RunFlowAsync => "run_flow_async",
            Call::RunPathAsyncWithRetry => "run_script_by_path_async_with_retry",
            Call::RunPath => "run_script_by_path (run_wait_result)",
            Call::RunPathPolled => "run_script_by_path (ServerWait::Never)",
            Call::RunHash => "run_script_by_hash",
            Call::RunFlow => "run_flow (run_wait_result)",
            Call::RunFlowPolled => "run_flow (ServerWait::Never)",
            Call::WaitJob => "wait_job",
            Call::GetResult => "get_result",
            Call::GetJobStatus => "get_job_status",
            Call::CancelJob => "cancel_job",
            Call::GetJob => "get_job",
            Call::ForceCancelJob => "force_cancel_job",
            Call::GetRootJobId => "get_root_job_id",
            Call::WorkerIsDraining => "worker_is_draining",
            Call::SetProgress => "set_progress",
            Call::GetProgress => "get_progress",
            Call::SetFlowUserState => "set_flow_user_state",
            Call::GetFlowUserState => "get_flow_user_state",
            Call::GetResumeUrls => "get_resume_urls",
            Call::GetApprovalUrls => "get_approval_urls",
            Call::JobExists => "job_exists",
            Call::GetResultMaybe => "get_result_maybe",
            Call::CancelRunning => "cancel_running",
            Call::RunInlinePreview => "run_inline_script_preview",
            Call::Whoami => "whoami",
            Call::WorkspaceWhoami => "workspace_whoami",
            Call::Version => "version",
            Call::GetIdToken => "get_id_token",
            Call::CreateToken => "create_token",
            Call::UsernameToEmail => "username_to_email",
            Call::RequestJsonGet => "request_json (GET)",
            Call::RequestJsonPost => "request_json (POST)",
            Call::CommitKafkaOffsets => "commit_kafka_offsets",
            Call::SlackApproval => "request_interactive_slack_approval",
            Call::TeamsApproval => "request_interactive_teams_approval",
            Call::SendTeamsMessage => "send_teams_message",
        })
    }
}

/// How a call reads the answer of its faulted request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reads {
    /// JSON of a given shape.
    Json,
    /// A bare JSON number (a prefix of a number is a number: a truncated answer is
    /// undetectable).
    Number,
    /// A job id as text.
    Id,
    /// Free text (version, token, email): no structure to check.
    Text,
    /// A job result: JSON, or a string when the answer says `text/plain`.
    Result,
    /// Nothing: any 2xx is a success.
    Unit,
}

const START: &str = "/jobs/run/";
const RUN_WAIT_RESULT: &str = "/jobs/run_wait_result/";
const EXISTS_QUEUED: &str =
    r#"{"id": "0192d2a4-5b6c-7d8e-9f00-00000000beef", "type": "QueuedJob", "running": true}"#;

impl Call {
    /// The substring of the request target the faults apply to (and requests are counted on).
    fn route(self) -> &'static str {
        match self {
            Call::GetVariable => "/variables/get_value/u/alice/key",
            Call::SetVariable => "/variables/update/u/alice/key",
            Call::SetVariableNew => "/variables/create",
            Call::DeleteVariable => "/variables/delete/u/alice/key",
            Call::ListVariables => "/variables/list",
            Call::VariableExists => "/variables/exists/u/alice/key",
            Call::GetResource => "/resources/get_value_interpolated/u/alice/res",
            Call::SetResource => "/resources/update_value/u/alice/res",
            Call::SetResourceNew => "/resources/create",
            Call::DeleteResource => "/resources/delete/u/alice/res",
            Call::ListResources => "/resources/list",
            Call::ResourceExists => "/resources/exists/u/alice/res",
            Call::GetResourceRaw => "/resources/get_value/u/alice/res",
            Call::GetState => "/resources/get_value_interpolated/u/alice/state",
            Call::SetState => "/resources/update_value/u/alice/state",
            Call::GetStateAt => "/resources/get_value_interpolated/u/alice/other_state",
            Call::SetStateAt => "/resources/update_value/u/alice/other_state",
            Call::RunPathAsync
            | Call::RunPathAsyncWithId
            | Call::RunPathAsyncWithRetry
            | Call::RunPathPolled => "/jobs/run/p/u/alice/job",
            Call::RunHashAsync | Call::RunHash => "/jobs/run/h/0123456789abcdef",
            Call::RunFlowAsync | Call::RunFlowPolled => "/jobs/run/f/u/alice/flow",
            Call::RunPath => "/jobs/run_wait_result/p/u/alice/job",
            Call::RunFlow => "/jobs/run_wait_result/f/u/alice/flow",
            Call::WaitJob | Call::GetResultMaybe => "/jobs_u/completed/get_result_maybe/",
            Call::GetResult => "/jobs_u/completed/get_result/",
            Call::GetJobStatus | Call::GetJob | Call::JobExists => "/jobs_u/get/",
            Call::CancelJob => "/jobs_u/queue/cancel/",
            Call::ForceCancelJob => "/jobs_u/queue/force_cancel/",
            Call::GetRootJobId => "/jobs_u/get_root_job_id/",
            Call::WorkerIsDraining => "/jobs/worker_is_draining/",
            Call::SetProgress => "/job_metrics/set_progress/",
            Call::GetProgress => "/job_metrics/get_progress/",
            Call::SetFlowUserState | Call::GetFlowUserState => "/jobs/flow/user_states/",
            Call::GetResumeUrls => "/jobs/resume_urls/",
            Call::GetApprovalUrls => "/jobs/wac_approval_urls/",
            Call::CancelRunning => "/jobs/list",
            Call::RunInlinePreview => "/jobs/run_inline/preview",
            Call::Whoami => "/api/users/whoami",
            Call::WorkspaceWhoami => "/api/w/ws/users/whoami",
            Call::Version => "/api/version",
            Call::GetIdToken => "/oidc/token/",
            Call::CreateToken => "/users/tokens/create",
            Call::UsernameToEmail => "/users/username_to_email/",
            Call::RequestJsonGet => "/scripts/list",
            Call::RequestJsonPost => "/folders/create",
            Call::CommitKafkaOffsets => "/kafka_triggers/commit_offsets/",
            Call::SlackApproval => "/jobs/slack_approval/",
            Call::TeamsApproval => "/jobs/teams_approval/",
            Call::SendTeamsMessage => "/api/teams/activities",
        }
    }

    /// Whether the faulted request may be sent again after it reached the server.
    fn idempotent(self) -> bool {
        // (An upsert of a new item is idempotent as a whole: a create that already happened
        // is refused with "already exists", which the call turns into an update.)
        !matches!(
            self,
            Call::RunPathAsync
                | Call::RunHashAsync
                | Call::RunFlowAsync
                | Call::RunPathAsyncWithRetry
                | Call::RunPath
                | Call::RunPathPolled
                | Call::RunHash
                | Call::RunFlow
                | Call::RunFlowPolled
                | Call::RunInlinePreview
                | Call::CreateToken
                | Call::RequestJsonPost
                | Call::SlackApproval
                | Call::TeamsApproval
                | Call::SendTeamsMessage
        )
    }

    fn reads(self) -> Reads {
        match self {
            Call::SetVariable
            | Call::SetVariableNew
            | Call::DeleteVariable
            | Call::SetResource
            | Call::SetResourceNew
            | Call::DeleteResource
            | Call::SetState
            | Call::SetStateAt
            | Call::CancelJob
            | Call::ForceCancelJob
            | Call::SetProgress
            | Call::SetFlowUserState
            | Call::CommitKafkaOffsets
            | Call::SlackApproval
            | Call::TeamsApproval
            | Call::SendTeamsMessage => Reads::Unit,
            Call::RunPathAsync
            | Call::RunPathAsyncWithId
            | Call::RunHashAsync
            | Call::RunFlowAsync
            | Call::RunPathAsyncWithRetry
            | Call::RunPathPolled
            | Call::RunHash
            | Call::RunFlowPolled
            | Call::GetRootJobId => Reads::Id,
            Call::Version | Call::GetIdToken | Call::CreateToken | Call::UsernameToEmail => {
                Reads::Text
            }
            Call::GetResult
            | Call::RunInlinePreview
            | Call::RequestJsonGet
            | Call::RequestJsonPost
            | Call::RunPath
            | Call::RunFlow => Reads::Result,
            Call::GetProgress => Reads::Number,
            _ => Reads::Json,
        }
    }

    /// A synchronous run over `run_wait_result`: whatever happens to the long request, the
    /// result is read from the job.
    fn over_run_wait_result(self) -> bool {
        matches!(self, Call::RunPath | Call::RunFlow)
    }

    /// A request with the 620 s timeout of the long calls.
    fn long_request(self) -> bool {
        matches!(self, Call::RunPath | Call::RunFlow | Call::RunInlinePreview)
    }

    /// Whether the call starts jobs (its starts are counted on every run route).
    fn starts_jobs(self) -> bool {
        matches!(
            self,
            Call::RunPathAsync
                | Call::RunPathAsyncWithId
                | Call::RunHashAsync
                | Call::RunFlowAsync
                | Call::RunPathAsyncWithRetry
                | Call::RunPath
                | Call::RunPathPolled
                | Call::RunHash
                | Call::RunFlow
                | Call::RunFlowPolled
        )
    }

    /// The wait tuning of the call's client.
    fn tuning(self) -> Tuning {
        match self {
            Call::RunPathPolled | Call::RunFlowPolled => Tuning::NeverServerWait,
            // run_wait_result from the first run (ServerWait::Direct waits for a history).
            Call::RunPath | Call::RunFlow => Tuning::AlwaysServerWait,
            // One poll at once (with its retries), then the event stream, which here answers
            // at once (a wait without history no longer uses the window; kept at zero so the
            // case stays independent of it).
            Call::WaitJob => Tuning::NoPollWindow,
            _ => Tuning::Default,
        }
    }

    /// The normal answer of the faulted route: status, content type, body.
    fn answer(self) -> (u16, &'static str, Bytes) {
        const JSON: &str = "application/json";
        const TEXT: &str = "text/plain";
        let json = |v: Value| Bytes::from(serde_json::to_vec(&v).unwrap());
        match self {
            Call::GetVariable => (200, JSON, json(json!("the value"))),
            Call::SetVariable => (200, TEXT, "variable u/alice/key updated".into()),
            Call::SetVariableNew => (201, TEXT, "u/alice/key".into()),
            Call::DeleteVariable => (200, TEXT, "variable u/alice/key deleted".into()),
            Call::ListVariables => (
                200,
                JSON,
                json(json!([
                    {"workspace_id": "ws", "path": "u/alice/key", "value": "v1", "is_secret": false, "description": "the key", "extra_perms": {}},
                    {"workspace_id": "ws", "path": "u/alice/pw", "is_secret": true, "description": "", "extra_perms": {}}
                ])),
            ),
            Call::VariableExists | Call::ResourceExists => (200, JSON, json(json!(true))),
            Call::GetResource => (200, JSON, json(json!({"host": "db", "port": 5432}))),
            Call::GetResourceRaw => (
                200,
                JSON,
                json(json!({"host": "$var:u/alice/host", "port": 5432})),
            ),
            Call::SetResource | Call::SetState | Call::SetStateAt => {
                (200, TEXT, "resource updated".into())
            }
            Call::SetResourceNew => (201, TEXT, "u/alice/res".into()),
            Call::DeleteResource => (200, TEXT, "resource u/alice/res deleted".into()),
            Call::ListResources => (
                200,
                JSON,
                json(json!([
                    {"workspace_id": "ws", "path": "u/alice/res", "resource_type": "postgresql", "description": "", "value": {"host": "db"}, "is_linked": false}
                ])),
            ),
            Call::GetState => (200, JSON, json(json!({"count": 3}))),
            Call::GetStateAt => (200, JSON, json(json!({"count": 4}))),
            Call::RunPathAsync
            | Call::RunHashAsync
            | Call::RunFlowAsync
            | Call::RunPathAsyncWithRetry
            | Call::RunPathPolled
            | Call::RunHash
            | Call::RunFlowPolled => (201, TEXT, NEW_JOB.into()),
            Call::RunPathAsyncWithId => (201, TEXT, CHOSEN_JOB.into()),
            Call::RunPath | Call::RunFlow | Call::GetResult | Call::RunInlinePreview => {
                (200, JSON, json(result()))
            }
            Call::WaitJob | Call::GetResultMaybe => (
                200,
                JSON,
                json(
                    json!({"started": true, "success": true, "completed": true, "result": result()}),
                ),
            ),
            Call::GetJobStatus => (
                200,
                JSON,
                json(
                    json!({"id": NEW_JOB, "type": "CompletedJob", "success": true, "result": result(), "canceled": false}),
                ),
            ),
            Call::JobExists => (200, JSON, EXISTS_QUEUED.into()),
            Call::GetJob => (
                200,
                JSON,
                json(
                    json!({"id": NEW_JOB, "type": "CompletedJob", "success": true, "result": result(), "logs": "hello\n", "raw_code": "def main(): pass"}),
                ),
            ),
            Call::CancelJob => (200, TEXT, "job canceled".into()),
            Call::ForceCancelJob => (200, TEXT, "job force canceled".into()),
            Call::GetRootJobId => (200, JSON, json(json!(ROOT_JOB))),
            Call::WorkerIsDraining => (200, JSON, json(json!(false))),
            Call::SetProgress => (200, TEXT, "".into()),
            Call::GetProgress => (200, JSON, json(json!(42))),
            Call::SetFlowUserState => (200, TEXT, "".into()),
            Call::GetFlowUserState => (200, JSON, json(json!({"n": 1}))),
            Call::GetResumeUrls | Call::GetApprovalUrls => (
                200,
                JSON,
                json(json!({
                    "approvalPage": "http://wm/approve/1", "resume": "http://wm/resume/1", "cancel": "http://wm/cancel/1"
                })),
            ),
            Call::CancelRunning => (
                200,
                JSON,
                json(json!([
                    {"id": OTHER_JOB, "type": "QueuedJob", "running": true, "script_path": "u/alice/job"},
                    {"id": JOB, "type": "QueuedJob", "running": true, "script_path": "u/alice/job"}
                ])),
            ),
            Call::Whoami => (
                200,
                JSON,
                json(
                    json!({"email": "alice@example.com", "login_type": "password", "super_admin": false}),
                ),
            ),
            Call::WorkspaceWhoami => (
                200,
                JSON,
                json(json!({"username": "alice", "is_admin": false, "groups": ["all"]})),
            ),
            Call::Version => (200, TEXT, "CE v1.500.0".into()),
            Call::GetIdToken => (
                200,
                TEXT,
                "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln".into(),
            ),
            Call::CreateToken => (201, TEXT, "newTokenAbc123".into()),
            Call::UsernameToEmail => (200, TEXT, "alice@example.com".into()),
            Call::RequestJsonGet => (200, JSON, json(json!([{"path": "u/alice/s"}]))),
            Call::RequestJsonPost => (200, JSON, json(json!({"created": "f"}))),
            Call::CommitKafkaOffsets => (200, TEXT, "".into()),
            Call::SlackApproval | Call::TeamsApproval | Call::SendTeamsMessage => {
                (200, TEXT, "".into())
            }
        }
    }

    fn normal(self) -> Reply {
        let (status, ct, body) = self.answer();
        Reply::raw(status, ct, body)
    }

    /// The rules that answer the call's other requests normally, then its faulted route.
    /// `fault` decides the answer after a faulted start with a caller-chosen id.
    fn install_normal(self, server: &FaultServer, fault: Fault) {
        let queued = Reply::raw(200, "application/json", EXISTS_QUEUED);
        let completed_event = Reply::Sse {
            events: vec![
                json!({"type": "update", "completed": true, "job": {"success": true, "result": result()}})
                    .to_string(),
            ],
            end: SseEnd::Close,
        };
        match self {
            Call::SetVariable => server.on("/variables/exists/", Reply::json(200, &json!(true))),
            Call::SetVariableNew => server.on("/variables/exists/", Reply::json(200, &json!(false))),
            Call::SetResource | Call::SetState | Call::SetStateAt => {
                server.on("/resources/exists/", Reply::json(200, &json!(true)))
            }
            Call::SetResourceNew => {
                server.on("/resources/exists/", Reply::json(200, &json!(false)))
            }
            Call::RunPathAsyncWithId => {
                server.on("/jobs_u/get/", queued);
                // After a fault that may have created the job (the request was read), the
                // server refuses the id; after a status it did not.
                if fault.may_have_created() {
                    server.on(
                        self.route(),
                        Reply::status(400, "Bad request: job id already exists"),
                    );
                }
            }
            Call::RunPath | Call::RunFlow => {
                // The job runs: polls see it running, the event stream completes it.
                server.on(
                    "/get_result_maybe/",
                    Reply::json(
                        200,
                        &json!({"started": true, "success": null, "completed": false, "result": null}),
                    ),
                );
                server.on("/jobs_u/get/", queued);
                server.on("/getupdate_sse/", completed_event);
            }
            Call::RunPathPolled | Call::RunHash | Call::RunFlowPolled => {
                server.on("/get_result_maybe/", Call::GetResultMaybe.normal());
                server.on("/getupdate_sse/", completed_event);
            }
            Call::WaitJob => server.on("/getupdate_sse/", completed_event),
            Call::SetProgress => server.on(
                "/jobs_u/get/",
                Reply::json(
                    200,
                    &json!({"id": JOB, "type": "QueuedJob", "running": true, "parent_job": FLOW_JOB}),
                ),
            ),
            Call::SetFlowUserState | Call::GetFlowUserState => server.on(
                "/jobs_u/get_root_job_id/",
                Reply::json(200, &json!(ROOT_JOB)),
            ),
            Call::CancelRunning => {
                server.on("/jobs_u/queue/cancel/", Reply::status(200, "job canceled"))
            }
            _ => {}
        }
        server.on(self.route(), self.normal());
    }

    /// Runs the call; panics on a wrong value. `fault` only matters for `request_json`, whose
    /// empty answer is `null`.
    async fn run(self, env: &Env, fault: Fault) -> Result<(), Error> {
        let wm = &env.wm;
        let key = path("u/alice/key");
        let res = path("u/alice/res");
        let script = path("u/alice/job");
        let flow = path("u/alice/flow");
        let hash = ScriptHash::parse(HASH).unwrap();
        let id = job(NEW_JOB);
        let ask = InteractiveApproval::new()
            .message("Deploy?")
            .approver("bob");
        match self {
            Call::GetVariable => assert_eq!(wm.get_variable(&key).await?, "the value"),
            Call::SetVariable | Call::SetVariableNew => {
                wm.set_variable(&key, "new value", &SetVariableOptions::default())
                    .await?
            }
            Call::DeleteVariable => wm.delete_variable(&key).await?,
            Call::ListVariables => {
                let vars = wm.list_variables(&ListVariables::default()).await?;
                assert_eq!(vars.len(), 2, "wrong value: {vars:?}");
                assert_eq!(vars[0].path, key);
                assert_eq!(vars[0].value.as_deref(), Some("v1"));
                assert!(vars[1].is_secret && vars[1].value.is_none());
            }
            Call::VariableExists => assert!(wm.variable_exists(&key).await?, "wrong value"),
            Call::GetResource => assert_eq!(
                wm.get_resource(&res).await?,
                json!({"host": "db", "port": 5432})
            ),
            Call::SetResource | Call::SetResourceNew => {
                wm.set_resource(&res, &json!({"host": "db2"}), "postgresql")
                    .await?
            }
            Call::DeleteResource => wm.delete_resource(&res).await?,
            Call::ListResources => {
                let list = wm.list_resources(&ListResources::default()).await?;
                assert_eq!(list.len(), 1, "wrong value: {list:?}");
                assert_eq!(list[0].resource_type, "postgresql");
                assert_eq!(list[0].value, Some(json!({"host": "db"})));
            }
            Call::ResourceExists => assert!(wm.resource_exists(&res).await?, "wrong value"),
            Call::GetResourceRaw => assert_eq!(
                wm.get_resource_raw(&res).await?,
                json!({"host": "$var:u/alice/host", "port": 5432})
            ),
            Call::GetState => assert_eq!(wm.get_state().await?, Some(json!({"count": 3}))),
            Call::SetState => wm.set_state(&json!({"count": 4})).await?,
            Call::GetStateAt => assert_eq!(
                wm.get_state_at(&path("u/alice/other_state")).await?,
                Some(json!({"count": 4}))
            ),
            Call::SetStateAt => {
                wm.set_state_at(&path("u/alice/other_state"), &json!({"count": 5}))
                    .await?
            }
            Call::RunPathAsync => assert_eq!(
                wm.run_script_by_path_async(&script, args(), &RunOptions::new())
                    .await?,
                id
            ),
            Call::RunPathAsyncWithId => {
                let chosen = job(CHOSEN_JOB);
                let got = wm
                    .run_script_by_path_async(&script, args(), &RunOptions::new().job_id(chosen))
                    .await?;
                assert_eq!(got, chosen, "wrong value");
            }
            Call::RunHashAsync => assert_eq!(
                wm.run_script_by_hash_async(&hash, args(), &RunOptions::new())
                    .await?,
                id
            ),
            Call::RunFlowAsync => assert_eq!(
                wm.run_flow_async(&flow, args(), &RunOptions::new()).await?,
                id
            ),
            Call::RunPathAsyncWithRetry => assert_eq!(
                wm.run_script_by_path_async_with_retry(
                    &script,
                    args(),
                    &RunOptions::new(),
                    &json!({"constant": {"attempts": 2, "seconds": 5}}),
                )
                .await?,
                id
            ),
            Call::RunPath | Call::RunPathPolled => assert_eq!(
                wm.run_script_by_path(&script, args(), &RunOptions::new())
                    .await?,
                result()
            ),
            Call::RunHash => assert_eq!(
                wm.run_script_by_hash(&hash, args(), &RunOptions::new())
                    .await?,
                result()
            ),
            Call::RunFlow | Call::RunFlowPolled => assert_eq!(
                wm.run_flow(&flow, args(), &RunOptions::new()).await?,
                result()
            ),
            Call::WaitJob => assert_eq!(wm.wait_job(&id, &WaitOptions::new()).await?, result()),
            Call::GetResult => assert_eq!(wm.get_result(&id).await?, result()),
            Call::GetJobStatus => assert_eq!(
                wm.get_job_status(&id).await?,
                JobStatus::Completed { success: true }
            ),
            Call::CancelJob => wm.cancel_job(&id, None).await?,
            Call::GetJob => {
                let got = wm.get_job_raw(&id, false).await?;
                assert_eq!(got["type"], "CompletedJob", "wrong value");
                assert_eq!(got["logs"], "hello\n", "wrong value");
                assert_eq!(got["result"], result(), "wrong value");
            }
            Call::ForceCancelJob => wm.force_cancel_job(&id, Some("stuck")).await?,
            Call::GetRootJobId => assert_eq!(wm.get_root_job_id(None).await?, job(ROOT_JOB)),
            Call::WorkerIsDraining => {
                assert!(!wm.worker_is_draining(None).await?, "wrong value")
            }
            Call::SetProgress => wm.set_progress(50, None).await?,
            Call::GetProgress => assert_eq!(wm.get_progress(None).await?, Some(42)),
            Call::SetFlowUserState => wm.set_flow_user_state("k", &json!({"n": 1})).await?,
            Call::GetFlowUserState => {
                assert_eq!(wm.get_flow_user_state("k").await?, Some(json!({"n": 1})))
            }
            Call::GetResumeUrls | Call::GetApprovalUrls => {
                let urls = if self == Call::GetResumeUrls {
                    wm.get_resume_urls(Some("bob"), false).await?
                } else {
                    wm.get_approval_urls("approval", Some("bob")).await?
                };
                assert_eq!(urls.approval_page, "http://wm/approve/1");
                assert_eq!(urls.resume, "http://wm/resume/1");
                assert_eq!(urls.cancel, "http://wm/cancel/1");
            }
            Call::JobExists => assert!(wm.job_exists(&id).await?, "wrong value"),
            Call::GetResultMaybe => {
                let rm = wm.get_result_maybe(&id).await?;
                assert!(rm.completed, "wrong value: {rm:?}");
                assert_eq!((rm.success, rm.started), (Some(true), Some(true)));
                assert_eq!(rm.result, result());
            }
            Call::CancelRunning => {
                assert_eq!(wm.cancel_running(None).await?, vec![job(OTHER_JOB)])
            }
            Call::RunInlinePreview => assert_eq!(
                wm.run_inline_script_preview("export function main() {}", "bun", args())
                    .await?,
                result()
            ),
            Call::Whoami => {
                assert_eq!(
                    wm.whoami().await?["email"],
                    "alice@example.com",
                    "wrong value"
                )
            }
            Call::WorkspaceWhoami => {
                assert_eq!(
                    wm.workspace_whoami().await?["username"],
                    "alice",
                    "wrong value"
                )
            }
            Call::Version => assert_eq!(wm.version().await?, "CE v1.500.0"),
            Call::GetIdToken => assert_eq!(
                wm.get_id_token("sts.amazonaws.com", Some(Duration::from_secs(900)))
                    .await?,
                "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"
            ),
            Call::CreateToken => assert_eq!(
                wm.create_token(Duration::from_secs(3600)).await?,
                "newTokenAbc123"
            ),
            Call::UsernameToEmail => {
                assert_eq!(wm.username_to_email("alice").await?, "alice@example.com")
            }
            Call::RequestJsonGet | Call::RequestJsonPost => {
                let (method, endpoint, body, want) = if self == Call::RequestJsonGet {
                    (
                        Method::GET,
                        "w/ws/scripts/list?per_page=2",
                        None,
                        json!([{"path": "u/alice/s"}]),
                    )
                } else {
                    (
                        Method::POST,
                        "w/ws/folders/create",
                        Some(json!({"name": "f"})),
                        json!({"created": "f"}),
                    )
                };
                let got = wm.request_json(method, endpoint, body.as_ref()).await?;
                // An empty answer is `null` (documented): the one made-up value allowed.
                if !(fault == Fault::Empty && got.is_null()) {
                    assert_eq!(got, want, "wrong value");
                }
            }
            Call::CommitKafkaOffsets => {
                wm.commit_kafka_offsets(&path("u/alice/trigger"), "events", 0, 42)
                    .await?
            }
            Call::SlackApproval => {
                wm.request_interactive_slack_approval("u/alice/slack", "C0123", &ask)
                    .await?
            }
            Call::TeamsApproval => {
                wm.request_interactive_teams_approval("team", "channel", &ask)
                    .await?
            }
            Call::SendTeamsMessage => {
                wm.send_teams_message("conv-1", "approved", true, None)
                    .await?
            }
        }
        Ok(())
    }

    /// Checks what the server received after its `since`-th request.
    fn check_sent(self, server: &FaultServer, since: usize, what: &str) {
        let reqs: Vec<_> = server.requests().into_iter().skip(since).collect();
        let on_route: Vec<_> = reqs
            .iter()
            .filter(|r| r.target.contains(self.route()))
            .collect();
        // Every attempt of the faulted request is the same request.
        for r in &on_route {
            assert_eq!(r.target, on_route[0].target, "{what}: attempts differ");
            assert_eq!(r.body, on_route[0].body, "{what}: attempts differ");
        }
        if self.starts_jobs() {
            let starts = reqs.iter().filter(|r| r.target.contains(START)).count();
            let long = reqs
                .iter()
                .filter(|r| r.target.contains(RUN_WAIT_RESULT))
                .count();
            match self {
                // The job exists (the server shows it): never started again.
                Call::RunPath | Call::RunFlow => {
                    assert_eq!((starts, long), (0, 1), "{what}: starts");
                }
                Call::RunPathAsyncWithId => {
                    // Every attempt carries the caller's id: the server refuses a second job.
                    assert!(
                        on_route
                            .iter()
                            .all(|r| r.target.contains(&format!("job_id={CHOSEN_JOB}"))),
                        "{what}: an attempt without the job id"
                    );
                    assert_eq!(starts, on_route.len(), "{what}: starts elsewhere");
                }
                _ => assert_eq!((starts, long), (1, 0), "{what}: duplicate start"),
            }
        }
        if self == Call::RunPathAsyncWithRetry {
            assert!(on_route[0].target.contains("retry="), "{what}");
        }
        if self == Call::SetProgress {
            let body: Value = serde_json::from_slice(&on_route[0].body).unwrap();
            assert_eq!(
                body,
                json!({"percent": 50, "flow_job_id": FLOW_JOB}),
                "{what}"
            );
        }
    }
}

const CALLS: [Call; 57] = [
    Call::GetVariable,
    Call::SetVariable,
    Call::SetVariableNew,
    Call::DeleteVariable,
    Call::ListVariables,
    Call::VariableExists,
    Call::GetResource,
    Call::SetResource,
    Call::SetResourceNew,
    Call::DeleteResource,
    Call::ListResources,
    Call::ResourceExists,
    Call::GetResourceRaw,
    Call::GetState,
    Call::SetState,
    Call::GetStateAt,
    Call::SetStateAt,
    Call::RunPathAsync,
    Call::RunPathAsyncWithId,
    Call::RunHashAsync,
    Call::RunFlowAsync,
    Call::RunPathAsyncWithRetry,
    Call::RunPath,
    Call::RunPathPolled,
    Call::RunHash,
    Call::RunFlow,
    Call::RunFlowPolled,
    Call::WaitJob,
    Call::GetResult,
    Call::GetJobStatus,
    Call::CancelJob,
    Call::GetJob,
    Call::ForceCancelJob,
    Call::GetRootJobId,
    Call::WorkerIsDraining,
    Call::SetProgress,
    Call::GetProgress,
    Call::SetFlowUserState,
    Call::GetFlowUserState,
    Call::GetResumeUrls,
    Call::GetApprovalUrls,
    Call::JobExists,
    Call::GetResultMaybe,
    Call::CancelRunning,
    Call::RunInlinePreview,
    Call::Whoami,
    Call::WorkspaceWhoami,
    Call::Version,
    Call::GetIdToken,
    Call::CreateToken,
    Call::UsernameToEmail,
    Call::RequestJsonGet,
    Call::RequestJsonPost,
    Call::CommitKafkaOffsets,
    Call::SlackApproval,
    Call::TeamsApproval,
    Call::SendTeamsMessage,
];

// ---------------------------------------------------------------- the faults

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    S500,
    S502,
    S503,
    /// 429 with `Retry-After: 1`.
    TooManyRetryAfter,
    /// 429 without `Retry-After`.
    TooMany,
    /// The connection closes after the request is read, before any byte of the answer.
    Reset,
    /// The normal status and all of the normal body, fewer bytes than announced, then a close.
    CloseMidBody,
    /// No answer at all (the connection stays silent).
    StallHeaders,
    /// The normal status with an empty body.
    Empty,
    /// 200 with a proxy's HTML page.
    Malformed,
    /// The normal status with the first half of the normal body (complete HTTP framing).
    Truncated,
    /// The normal answer padded (with whitespace) past the client's `with_max_response_bytes`.
    OverLimit,
}

const FAULTS: [Fault; 12] = [
    Fault::S500,
    Fault::S502,
    Fault::S503,
    Fault::TooManyRetryAfter,
    Fault::TooMany,
    Fault::Reset,
    Fault::CloseMidBody,
    Fault::StallHeaders,
    Fault::Empty,
    Fault::Malformed,
    Fault::Truncated,
    Fault::OverLimit,
];

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Fault::S500 => "500",
            Fault::S502 => "502",
            Fault::S503 => "503",
            Fault::TooManyRetryAfter => "429 + Retry-After: 1",
            Fault::TooMany => "429",
            Fault::Reset => "reset before headers",
            Fault::CloseMidBody => "close mid-body",
            Fault::StallHeaders => "headers never come",
            Fault::Empty => "empty 2xx",
            Fault::Malformed => "malformed 200 (HTML)",
            Fault::Truncated => "truncated 2xx",
            Fault::OverLimit => "body over the limit",
        })
    }
}

impl Fault {
    fn status(self) -> Option<u16> {
        match self {
            Fault::S500 => Some(500),
            Fault::S502 => Some(502),
            Fault::S503 => Some(503),
            Fault::TooManyRetryAfter | Fault::TooMany => Some(429),
            _ => None,
        }
    }

    /// Faults an idempotent request is retried on.
    fn retryable(self) -> bool {
        !matches!(
            self,
            Fault::Empty | Fault::Malformed | Fault::Truncated | Fault::OverLimit
        )
    }

    /// Whether the server read the request and may have acted on it (a status says it did not).
    fn may_have_created(self) -> bool {
        matches!(
            self,
            Fault::Reset | Fault::CloseMidBody | Fault::StallHeaders
        )
    }

    /// The variants run: every time (`false`) and once then the normal answer (`true`). Body
    /// faults are never retried: once is the same case as every time.
    fn variants(self) -> &'static [bool] {
        if self.retryable() {
            &[false, true]
        } else {
            &[false]
        }
    }

    /// What the server sends, shaped like the real server (or the proxy in front of it).
    fn reply(self, call: Call) -> Reply {
        let (status, ct, body) = call.answer();
        match self {
            Fault::S500 => Reply::status(500, "Internal: error communicating with database"),
            Fault::S502 => Reply::status(502, "Bad Gateway"),
            Fault::S503 => Reply::status(503, "Service Unavailable"),
            Fault::TooManyRetryAfter => Reply::status(429, "Too Many Requests")
                .header("retry-after", &RETRY_AFTER.as_secs().to_string()),
            Fault::TooMany => Reply::status(429, "Too Many Requests"),
            Fault::Reset => Reply::CloseBeforeResponse,
            Fault::CloseMidBody => Reply::CloseMidBody {
                status,
                content_length: body.len() + 100,
                sent: body,
            },
            Fault::StallHeaders if call.long_request() => Reply::StallHeaders(LONG_STALL),
            Fault::StallHeaders => Reply::StallHeaders(STALL),
            Fault::Empty => Reply::raw(status, ct, ""),
            Fault::Malformed => Reply::raw(
                200,
                "text/html",
                "<html><head><title>Welcome</title></head><body>It works</body></html>",
            ),
            Fault::Truncated => Reply::raw(status, ct, body.slice(..body.len() / 2)),
            Fault::OverLimit => {
                let mut padded = body.to_vec();
                padded.extend(std::iter::repeat_n(b' ', 2 * LIMIT as usize));
                Reply::raw(status, ct, padded)
            }
        }
    }
}

// ---------------------------------------------------------------- expectations

/// What a case must end with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    Ok,
    /// `Error::Api` with the fault's status.
    Status,
    /// `Error::Transport`, not a timeout.
    Transport,
    /// An error with `is_timeout()`.
    Timeout,
    /// `Error::Decode`.
    Decode,
    /// `Error::Transport` that is not retryable (the body limit).
    OverLimit,
}

/// The expected outcome and request count of `call` meeting `fault` every time (`once` false)
/// or once, then the normal answer.
fn expected(call: Call, fault: Fault, once: bool) -> (Want, usize) {
    let retried = 1 + RETRIES as usize;
    if call.over_run_wait_result() {
        // Whatever happened to the long request, the job's result is read from the job (its
        // event stream); the long request is never sent again, the job never started again.
        return (Want::Ok, 1);
    }
    if fault.retryable() {
        let want = match fault {
            // A long request's stall ends when the server closes the connection.
            Fault::StallHeaders if call.long_request() => Want::Transport,
            Fault::StallHeaders => Want::Timeout,
            Fault::Reset | Fault::CloseMidBody => Want::Transport,
            _ => Want::Status,
        };
        return if !call.idempotent() {
            (want, 1)
        } else if once {
            (Want::Ok, 2)
        } else if call == Call::WaitJob {
            // A failed poll is absorbed, then the event stream gives the result.
            (Want::Ok, retried)
        } else {
            (want, retried)
        };
    }
    let reads = call.reads();
    let want = match fault {
        Fault::OverLimit => Want::OverLimit,
        _ if reads == Reads::Unit => Want::Ok,
        Fault::Empty if matches!(call, Call::RequestJsonGet | Call::RequestJsonPost) => Want::Ok,
        _ => Want::Decode,
    };
    (want, 1)
}

/// Whether the fault means anything for the call: a cut text or number is still a text or a
/// number (the HTTP framing is complete; only a close mid-body says the body is cut).
fn applies(call: Call, fault: Fault) -> Option<&'static str> {
    match (call.reads(), fault) {
        (Reads::Text, Fault::Truncated) => Some("a cut text is a text"),
        (Reads::Number, Fault::Truncated) => Some("a cut number is a number"),
        _ => None,
    }
}

/// Cases where the library does not do what `expected` says, skipped by the matrix (a bug
/// found here gets a test of its own at the end of the file until it is fixed).
fn known_bug(_call: Call, _fault: Fault) -> Option<&'static str> {
    // Both bugs this matrix found are fixed (their tests at the end of the file now run).
    None
}

// ---------------------------------------------------------------- running a case

/// The wait tuning of a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tuning {
    /// `WaitTuning::default()`: on loopback, synchronous runs use `run_wait_result`.
    Default,
    /// `ServerWait::Never`: synchronous runs start the job, then wait.
    NeverServerWait,
    /// `ServerWait::Always`: synchronous runs use `run_wait_result`, first runs included.
    AlwaysServerWait,
    /// A polling window of zero (`wait_job` on a job this client did not start polls once at
    /// once, then opens the event stream, whatever the window), and no polls between the
    /// stream's checks.
    NoPollWindow,
}

struct Env {
    server: FaultServer,
    wm: Windmill,
}

impl Env {
    async fn start(limited: bool, tuning: Tuning) -> Env {
        let server = FaultServer::start().await;
        let mut builder = Windmill::builder()
            .with_base_url(server.base_url())
            .with_token(TOKEN)
            .with_workspace("ws")
            .with_job_id(JOB)
            .with_flow_job_id(FLOW_JOB)
            .with_root_flow_job_id(ROOT_JOB)
            .with_flow_step_id("approve")
            .with_job_path("u/alice/job")
            .with_state_path("u/alice/state")
            .with_request_timeout(TIMEOUT)
            .with_idle_timeout(TIMEOUT)
            .with_connect_timeout(Duration::from_millis(300))
            .with_retry(retry());
        if limited {
            builder = builder.with_max_response_bytes(LIMIT);
        }
        match tuning {
            Tuning::Default => {}
            Tuning::NeverServerWait => {
                builder =
                    builder.with_wait_tuning(WaitTuning::default().server_wait(ServerWait::Never));
            }
            Tuning::AlwaysServerWait => {
                builder =
                    builder.with_wait_tuning(WaitTuning::default().server_wait(ServerWait::Always));
            }
            Tuning::NoPollWindow => {
                // No polls between the event stream's checks either: on a loaded machine the
                // stream's first answer can come after the first of them is due, and the
                // case counts the polls.
                builder = builder.with_wait_tuning(
                    WaitTuning::default()
                        .poll_window(Duration::ZERO)
                        .first(FirstWait::default().min_gap(Duration::from_secs(60))),
                );
            }
        }
        Env {
            server,
            wm: builder.build().unwrap(),
        }
    }
}

/// A short name of an error, for the printed matrix.
fn kind(e: &Error) -> String {
    match e {
        Error::Api { status, .. } => format!("Api {status}"),
        Error::Transport { .. } if e.is_timeout() => "Transport (timeout)".into(),
        Error::Transport { .. } if !e.is_retryable() => "Transport (over limit)".into(),
        Error::Transport { .. } => "Transport".into(),
        Error::Decode { .. } => "Decode".into(),
        other => format!("{other:?}").chars().take(40).collect(),
    }
}

fn assert_no_token(e: &Error, what: &str) {
    let text = format!("{e} {e:?} {e:#?}");
    assert!(!text.contains(TOKEN), "{what}: token leaked: {text}");
}

fn check_error(want: Want, fault: Fault, e: &Error, what: &str) {
    match want {
        Want::Ok => panic!("{what}: expected Ok, got {e:?}"),
        Want::Status => {
            assert!(matches!(e, Error::Api { .. }), "{what}: {e:?}");
            assert_eq!(e.status(), fault.status(), "{what}: {e:?}");
            assert!(e.is_retryable(), "{what}: {e:?}");
        }
        Want::Transport => {
            assert!(matches!(e, Error::Transport { .. }), "{what}: {e:?}");
            assert!(!e.is_timeout(), "{what}: {e:?}");
            assert_eq!(e.status(), None, "{what}: {e:?}");
        }
        Want::Timeout => {
            assert!(matches!(e, Error::Transport { .. }), "{what}: {e:?}");
            assert!(e.is_timeout() && e.is_retryable(), "{what}: {e:?}");
        }
        Want::Decode => assert!(matches!(e, Error::Decode { .. }), "{what}: {e:?}"),
        Want::OverLimit => {
            assert!(matches!(e, Error::Transport { .. }), "{what}: {e:?}");
            assert!(!e.is_retryable() && !e.is_timeout(), "{what}: {e:?}");
        }
    }
    assert_no_token(e, what);
}

/// The time a case may take: every faulted attempt within its timeout (+ 10 %) plus backoffs,
/// plus the `Retry-After` waits, the long stalls and a wait's polling window.
fn limit(call: Call, fault: Fault, once: bool, requests: usize) -> Duration {
    let attempts = u32::try_from(requests).unwrap();
    let mut limit = bound(attempts);
    if fault == Fault::TooManyRetryAfter && call.idempotent() {
        limit += RETRY_AFTER * (attempts - 1);
    }
    if fault == Fault::StallHeaders && call.long_request() {
        limit += LONG_STALL;
    }
    if call == Call::WaitJob && !once && fault.retryable() {
        // Then the event stream.
        limit += bound(1) - MARGIN;
    }
    limit
}

/// One case: `call` meets `fault` every time or once. Returns the matrix cell.
///
/// The cases of one lane share a server and a client, one after the other: the rules are
/// replaced and the requests counted from where the previous case left off.
async fn case(call: Call, fault: Fault, once: bool, env: &Env) -> String {
    let what = format!(
        "{call} × {fault} ({})",
        if once { "once" } else { "every time" }
    );
    env.server.clear_rules();
    let since = env.server.total();
    let before = env.server.count(call.route());
    let times = if once { 1 } else { 1000 };
    env.server.on_times(call.route(), times, fault.reply(call));
    call.install_normal(&env.server, fault);
    let (want, requests) = expected(call, fault, once);

    let started = Instant::now();
    let result = call.run(env, fault).await;
    let took = started.elapsed();

    let limit = limit(call, fault, once, requests);
    assert!(took <= limit, "{what}: took {took:?} > {limit:?}");
    if fault == Fault::TooManyRetryAfter && call.idempotent() {
        assert!(
            took >= RETRY_AFTER.mul_f64(0.95),
            "{what}: Retry-After ignored: {took:?}"
        );
    }
    if fault == Fault::StallHeaders {
        let stalled = if call.long_request() {
            LONG_STALL
        } else {
            TIMEOUT
        };
        assert!(took >= stalled, "{what}: {took:?}");
    }

    let got = env.server.count(call.route()) - before;
    assert_eq!(got, requests, "{what}: requests ({result:?})");
    call.check_sent(&env.server, since, &what);
    let outcome = match &result {
        Ok(()) => {
            assert_eq!(want, Want::Ok, "{what}: expected {want:?}, got Ok");
            "Ok".to_owned()
        }
        Err(e) => {
            check_error(want, fault, e, &what);
            kind(e)
        }
    };
    format!("{outcome}, {got} req")
}

/// How long a case may take when all goes as expected (ms), to spread the cases over lanes.
fn estimate(call: Call, fault: Fault, once: bool) -> u64 {
    let (_, requests) = expected(call, fault, once);
    let requests = requests as u64;
    let timeout = u64::try_from(TIMEOUT.as_millis()).unwrap() + 40;
    match fault {
        Fault::StallHeaders if call.long_request() => {
            u64::try_from(LONG_STALL.as_millis()).unwrap() + 100
        }
        Fault::StallHeaders if once => timeout,
        Fault::StallHeaders => timeout * requests,
        Fault::TooManyRetryAfter if call.idempotent() => 1020 * (requests - 1),
        _ => 30,
    }
}

/// A client kind (body limit, `ServerWait::Never`) and the cases its lane runs.
type Lane = ((bool, Tuning), Vec<(Call, Fault, bool)>);

/// The lane budget (ms): lanes run concurrently, so the matrix takes about the longest lane.
const LANE_MS: u64 = 2600;

/// The cases of `calls`, spread over lanes of at most `LANE_MS` each (longest first, first
/// fit); a lane's cases need the same kind of client.
fn lanes(calls: &[Call]) -> Vec<Lane> {
    let mut cases: Vec<(Call, Fault, bool)> = calls
        .iter()
        .flat_map(|&call| {
            FAULTS
                .iter()
                .filter(move |&&f| applies(call, f).is_none())
                .flat_map(move |&f| f.variants().iter().map(move |&once| (call, f, once)))
        })
        .filter(|&(c, f, _)| known_bug(c, f).is_none())
        .collect();
    cases.sort_by_key(|&(c, f, once)| std::cmp::Reverse(estimate(c, f, once)));
    let mut lanes: Vec<(u64, Lane)> = Vec::new();
    for (call, fault, once) in cases {
        let client = (fault == Fault::OverLimit, call.tuning());
        let cost = estimate(call, fault, once);
        match lanes
            .iter_mut()
            .find(|(used, (k, _))| *k == client && used + cost <= LANE_MS)
        {
            Some((used, (_, list))) => {
                *used += cost;
                list.push((call, fault, once));
            }
            None => lanes.push((cost, (client, vec![(call, fault, once)]))),
        }
    }
    lanes.into_iter().map(|(_, lane)| lane).collect()
}

/// The message of a case's panic.
fn panic_message(e: tokio::task::JoinError, call: Call, fault: Fault, once: bool) -> String {
    let what = format!("{call} × {fault} (once: {once})");
    match e.try_into_panic() {
        Ok(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            format!("{what}: {msg}")
        }
        Err(e) => format!("{what}: {e}"),
    }
}

/// Runs the whole fault table against each of `calls` and prints the matrix rows.
///
/// Building a client is blocking work: it is done here, on the test's own thread, while the
/// lanes already started run on the runtime's workers (the longest lanes first).
async fn matrix(calls: &[Call]) {
    let mut runs = Vec::new();
    for ((limited, tuning), cases) in lanes(calls) {
        let env = Arc::new(Env::start(limited, tuning).await);
        runs.push(tokio::spawn(async move {
            let mut cells = Vec::new();
            for (call, fault, once) in cases {
                // A case of its own task: a failed case does not stop the lane.
                let env = env.clone();
                let cell = tokio::spawn(async move { case(call, fault, once, &env).await })
                    .await
                    .map_err(|e| panic_message(e, call, fault, once));
                cells.push((call, fault, once, cell));
            }
            cells
        }));
    }
    let mut results = Vec::new();
    for run in runs {
        results.extend(run.await.unwrap());
    }
    let failures: Vec<&String> = results
        .iter()
        .filter_map(|(_, _, _, cell)| cell.as_ref().err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} failed cases:\n{}",
        failures.len(),
        failures
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    let results: Vec<(Call, Fault, bool, String)> = results
        .into_iter()
        .map(|(c, f, o, cell)| (c, f, o, cell.unwrap()))
        .collect();
    for &call in calls {
        for fault in FAULTS {
            if let Some(why) = applies(call, fault) {
                println!("| {call} | {fault} | n/a: {why} | |");
                continue;
            }
            let cell = |once: bool| {
                if !fault.variants().contains(&once) {
                    return "—".to_owned();
                }
                if let Some(bug) = known_bug(call, fault) {
                    return format!("BUG: {bug}");
                }
                results
                    .iter()
                    .find(|(c, f, o, _)| *c == call && *f == fault && *o == once)
                    .map_or("—", |(_, _, _, cell)| cell.as_str())
                    .to_owned()
            };
            println!("| {call} | {fault} | {} | {} |", cell(false), cell(true));
        }
    }
}

/// `VariableStore`, `ResourceStore`, `StateStore` and the `*_exists` / raw reads.
const STORE_CALLS: [Call; 17] = [
    Call::GetVariable,
    Call::SetVariable,
    Call::SetVariableNew,
    Call::DeleteVariable,
    Call::ListVariables,
    Call::VariableExists,
    Call::GetResource,
    Call::SetResource,
    Call::SetResourceNew,
    Call::DeleteResource,
    Call::ListResources,
    Call::ResourceExists,
    Call::GetResourceRaw,
    Call::GetState,
    Call::SetState,
    Call::GetStateAt,
    Call::SetStateAt,
];

/// `JobRunner`: starts, synchronous runs, waits, results, status, cancel.
const JOB_RUNNER_CALLS: [Call; 14] = [
    Call::RunPathAsync,
    Call::RunPathAsyncWithId,
    Call::RunHashAsync,
    Call::RunFlowAsync,
    Call::RunPathAsyncWithRetry,
    Call::RunPath,
    Call::RunPathPolled,
    Call::RunHash,
    Call::RunFlow,
    Call::RunFlowPolled,
    Call::WaitJob,
    Call::GetResult,
    Call::GetJobStatus,
    Call::CancelJob,
];

/// The inherent job helpers.
const JOB_HELPER_CALLS: [Call; 14] = [
    Call::GetJob,
    Call::ForceCancelJob,
    Call::GetRootJobId,
    Call::WorkerIsDraining,
    Call::SetProgress,
    Call::GetProgress,
    Call::SetFlowUserState,
    Call::GetFlowUserState,
    Call::GetResumeUrls,
    Call::GetApprovalUrls,
    Call::JobExists,
    Call::GetResultMaybe,
    Call::CancelRunning,
    Call::RunInlinePreview,
];

/// Identity, tokens, raw calls, Kafka, approvals and messages.
const OTHER_CALLS: [Call; 12] = [
    Call::Whoami,
    Call::WorkspaceWhoami,
    Call::Version,
    Call::GetIdToken,
    Call::CreateToken,
    Call::UsernameToEmail,
    Call::RequestJsonGet,
    Call::RequestJsonPost,
    Call::CommitKafkaOffsets,
    Call::SlackApproval,
    Call::TeamsApproval,
    Call::SendTeamsMessage,
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matrix_stores() {
    matrix(&STORE_CALLS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matrix_job_runner() {
    matrix(&JOB_RUNNER_CALLS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matrix_job_helpers() {
    matrix(&JOB_HELPER_CALLS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn matrix_identity_raw_and_messages() {
    matrix(&OTHER_CALLS).await;
}

/// Every call is in the matrix exactly once.
#[test]
fn every_call_is_in_the_matrix_once() {
    let all: Vec<Call> = STORE_CALLS
        .iter()
        .chain(&JOB_RUNNER_CALLS)
        .chain(&JOB_HELPER_CALLS)
        .chain(&OTHER_CALLS)
        .copied()
        .collect();
    assert_eq!(all.len(), CALLS.len());
    for call in CALLS {
        assert_eq!(all.iter().filter(|&&c| c == call).count(), 1, "{call:?}");
    }
}

// ---------------------------------------------------------------- bugs found (fixed; each test failed before its fix)

/// `version`, `get_id_token`, `create_token` and `username_to_email` read their answer as
/// text: an empty 2xx, or a proxy's HTML page (`text/html`), must be `Error::Decode` like the
/// answer of every other call ("an empty or undecodable 2xx answer is `Error::Decode`, never a
/// default value": `wmill_http::Request`), not `Ok("")` (an empty token, version, email) or
/// `Ok` with the page.
#[tokio::test]
async fn a_text_answer_that_is_empty_or_an_html_page_is_an_error() {
    let env = Env::start(false, Tuning::Default).await;
    let wm = &env.wm;
    let mut wrong = Vec::new();
    for call in [
        Call::Version,
        Call::GetIdToken,
        Call::CreateToken,
        Call::UsernameToEmail,
    ] {
        for fault in [Fault::Empty, Fault::Malformed] {
            env.server.clear_rules();
            env.server.on(call.route(), fault.reply(call));
            let got = match call {
                Call::Version => wm.version().await,
                Call::GetIdToken => wm.get_id_token("sts.amazonaws.com", None).await,
                Call::CreateToken => wm.create_token(Duration::from_secs(3600)).await,
                _ => wm.username_to_email("alice").await,
            };
            if !matches!(got, Err(Error::Decode { .. })) {
                wrong.push(format!("{call} × {fault}: {got:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// `set_variable` and `set_resource` are upserts, documented as retried ("Reads, upserts,
/// deletes and cancels are retried": wmill-http's crate docs). Of an existing item (the
/// update) they were; of a new item, the `create` request was sent once (no `.idempotent()` in
/// the `create_variable`, `create_resource` of the time; today both are `set_item` in
/// wmill-http's `items.rs`), so one 503 or one reset failed the call. Sending the
/// create again is safe: a create that already happened is refused with "already exists",
/// which the call already turns into an update.
#[tokio::test]
async fn an_upsert_of_a_new_item_survives_one_transient_fault() {
    let mut wrong = Vec::new();
    for call in [Call::SetVariableNew, Call::SetResourceNew] {
        for fault in [Fault::S503, Fault::Reset] {
            let env = Env::start(false, Tuning::Default).await;
            env.server.on_times(call.route(), 1, fault.reply(call));
            if fault == Fault::Reset {
                // The first create may have happened: the server refuses the second.
                env.server.on(
                    call.route(),
                    Reply::status(400, "Bad request: u/alice/x already exists"),
                );
            }
            env.server
                .on("/variables/update/", Reply::status(200, "updated"));
            env.server
                .on("/resources/update_value/", Reply::status(200, "updated"));
            call.install_normal(&env.server, fault);
            let t = Instant::now();
            let got = call.run(&env, fault).await;
            assert!(t.elapsed() <= bound(2), "{call} × {fault}");
            let creates = env.server.count(call.route());
            if got.is_err() || creates != 2 {
                wrong.push(format!("{call} × {fault}: {creates} creates, {got:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
