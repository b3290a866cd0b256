//! Module-level functions for the helpers only a Windmill server has (feature `http`): jobs,
//! progress, flow user state, approvals, identity, tokens.
//!
//! They need a client with a [`Windmill`](wmill_http::Windmill) (the one built from the
//! environment, or installed with [`Client::windmill`](crate::Client::windmill)); on any other
//! client they return [`Error::Unsupported`](wmill_core::Error::Unsupported).

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;

use wmill_core::{ItemPath, JobId, Result, RunOptions, ScriptHash, to_args};
use wmill_http::{InteractiveApproval, ResumeLink, ResumeUrls};

use crate::functions::same_call;
use crate::global::client;
use crate::{Client, JobRef};
use wmill_core::to_json;

fn opt_job(job_id: Option<&str>) -> Result<Option<JobId>> {
    job_id.map(JobId::parse).transpose()
}

/// The job (queued or completed) as the server's JSON, with its logs and code unless `light`.
/// [`get_job`](crate::get_job) is the typed job, on any backend.
pub async fn get_job_raw(job_id: impl JobRef, light: bool) -> Result<Value> {
    let id = job_id.to_job_id()?;
    client()?.http()?.get_job_raw(&id, light).await
}

/// The root job of a job (default: the current job, `WM_JOB_ID`).
/// Python: `wmill.get_root_job_id(job_id=None)`.
pub async fn get_root_job_id(job_id: Option<&str>) -> Result<JobId> {
    let id = opt_job(job_id)?;
    client()?.http()?.get_root_job_id(id).await
}

/// A run with a retry policy: the target (`$target`) is checked (`$prep`), the arguments
/// serialized, and the client's [`Windmill`](wmill_http::Windmill) starts the job.
macro_rules! with_retry {
    ($($(#[$doc:meta])* $name:ident($target:ident) => $prep:expr;)*) => {$(
        $(#[$doc])*
        pub async fn $name<A: Serialize + ?Sized + Sync>(
            $target: &str,
            args: &A,
            options: &RunOptions,
            retry: &Value,
        ) -> Result<JobId> {
            let $target = $prep;
            let args = to_args(args)?;
            client()?.http()?.$name($target, args, options, retry).await
        }
    )*};
}

with_retry! {
    /// Starts the script at `path` with a retry policy: the server re-runs the job when it fails.
    /// `retry` is the JSON policy of a schedule, e.g. `{"constant": {"attempts": 3, "seconds": 10}}`;
    /// the returned id is the first attempt's, each retry is a job of its own.
    /// Python: `wmill.run_script_by_path_async(path, args, retry=...)`.
    run_script_by_path_async_with_retry(path) => &ItemPath::parse(path)?;
    /// [`run_script_by_path_async_with_retry`] for a script version by hash.
    run_script_by_hash_async_with_retry(hash) => &ScriptHash::parse(hash)?;
}

/// Whether the client talks to the worker's internal server (`localhost` or `127.0.0.1`),
/// where inline scripts run on the calling worker. Python: `wmill.worker_has_internal_server()`.
pub fn worker_has_internal_server() -> Result<bool> {
    Ok(client()?.http()?.worker_has_internal_server())
}

/// Force-cancels a job stuck after a normal cancel.
pub async fn force_cancel_job(job_id: impl JobRef, reason: Option<&str>) -> Result<()> {
    let id = job_id.to_job_id()?;
    client()?.http()?.force_cancel_job(&id, reason).await
}

/// Cancels the other running jobs of the current script (`WM_JOB_PATH`), returning their ids.
/// Python: `wmill.cancel_running()`.
pub async fn cancel_running() -> Result<Vec<JobId>> {
    client()?.http()?.cancel_running(None).await
}

/// Whether the worker running the job (default: the current job) is draining.
/// Python: `wmill.worker_is_draining()`.
pub async fn worker_is_draining(job_id: Option<&str>) -> Result<bool> {
    let id = opt_job(job_id)?;
    client()?.http()?.worker_is_draining(id).await
}

/// Sets the progress (0-99) of a job (default: the current job).
/// Python: `wmill.set_progress(value, job_id=None)`.
pub async fn set_progress(value: u32, job_id: Option<&str>) -> Result<()> {
    let id = opt_job(job_id)?;
    client()?.http()?.set_progress(value, id).await
}

/// The progress of a job (default: the current job). Python: `wmill.get_progress(job_id=None)`.
pub async fn get_progress(job_id: Option<&str>) -> Result<Option<u32>> {
    let id = opt_job(job_id)?;
    client()?.http()?.get_progress(id).await
}

/// Stores a value in the user state of the current flow. Python: `wmill.set_flow_user_state(key, value)`.
pub async fn set_flow_user_state<T: Serialize + ?Sized + Sync>(key: &str, value: &T) -> Result<()> {
    let value = to_json(value, "flow user state")?;
    client()?.http()?.set_flow_user_state(key, &value).await
}

same_call! { client()?.http()? =>
    /// A value of the current flow's user state, `None` when unset.
    /// Python: `wmill.get_flow_user_state(key)`.
    pub async fn get_flow_user_state(key: &str) -> Result<Option<Value>>;

    /// The approval page, resume and cancel URLs of the current job's suspend step.
    /// Python: `wmill.get_resume_urls(approver=None, flow_level=None)`.
    pub async fn get_resume_urls(approver: Option<&str>, flow_level: bool) -> Result<ResumeUrls>;

    /// The approval URLs of a workflow-as-code step. Python: `wmill.get_approval_urls(step_key, approver)`.
    pub async fn get_approval_urls(step_key: &str, approver: Option<&str>) -> Result<ResumeUrls>;

    /// Posts an interactive approval of the current flow step to Slack.
    /// Python: `wmill.request_interactive_slack_approval(slack_resource_path, channel_id, ...)`.
    pub async fn request_interactive_slack_approval(
        slack_resource_path: &str,
        channel_id: &str,
        ask: &InteractiveApproval,
    ) -> Result<()>;

    /// Posts an interactive approval of the current flow step to Microsoft Teams.
    pub async fn request_interactive_teams_approval(
        team_name: &str,
        channel_name: &str,
        ask: &InteractiveApproval,
    ) -> Result<()>;

    /// Answers a Microsoft Teams conversation (`card_block`: an adaptive card to attach).
    /// Python: `wmill.send_teams_message(conversation_id, text, success, card_block=None)`.
    pub async fn send_teams_message(
        conversation_id: &str,
        text: &str,
        success: bool,
        card_block: Option<&Value>,
    ) -> Result<()>;

    /// The user the token belongs to. Python: `wmill.whoami()`.
    pub async fn whoami() -> Result<Value>;
}

/// The server's version. Python: `wmill.get_version()`.
pub async fn get_version() -> Result<String> {
    client()?.http()?.version().await
}

same_call! { client()?.http()? =>
    /// An OIDC id token for `audience` (Enterprise). Python: `wmill.get_id_token(audience)`.
    pub async fn get_id_token(audience: &str, expires_in: Option<Duration>) -> Result<String>;

    /// A new API token valid for `duration`. Python: `wmill.create_token(duration)`.
    pub async fn create_token(duration: Duration) -> Result<String>;
}

/// The raw (not interpolated) value of a resource. Python: `get_resource(path, interpolated=False)`.
pub async fn get_resource_raw(path: &str) -> Result<Value> {
    let p = ItemPath::parse_resource_ref(path)?;
    client()?.http()?.get_resource_raw(&p).await
}

/// Runs code inline (a preview job) and returns its result.
/// Python: `wmill.run_inline_script_preview(content, language, args)`.
pub async fn run_inline_script_preview<A: Serialize + ?Sized + Sync>(
    content: &str,
    language: &str,
    args: &A,
) -> Result<Value> {
    let args = to_args(args)?;
    client()?
        .http()?
        .run_inline_script_preview(content, language, args)
        .await
}

same_call! { client()?.http()? =>
    /// The email of a user (deprecated on the server in favour of `WM_EMAIL`).
    /// Python: `wmill.username_to_email(username)`.
    pub async fn username_to_email(username: &str) -> Result<String>;
}

/// Commits Kafka offsets for a trigger with auto-commit disabled.
/// Python: `wmill.commit_kafka_offsets(trigger_path, topic, partition, offset)`.
pub async fn commit_kafka_offsets(
    trigger_path: &str,
    topic: &str,
    partition: i32,
    offset: i64,
) -> Result<()> {
    let p = ItemPath::parse(trigger_path)?;
    client()?
        .http()?
        .commit_kafka_offsets(&p, topic, partition, offset)
        .await
}

/// `GET {base}/api/{endpoint}` for an endpoint without a helper, through the client's
/// transport (its timeouts, retries, body limit and typed errors). `endpoint` may carry a
/// query string; write the workspace yourself (`w/<workspace>/...`). The answer is parsed as
/// JSON, or returned as a JSON string when the server answers `text/plain`; an empty answer is
/// `null`. Retried like every read. Python: `wmill.get(endpoint)`.
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill::Result<()> {
/// let version = wmill::get("/version").await?;
/// let ws = wmill::client()?.http()?.workspace().as_str().to_owned();
/// let scripts = wmill::get(&format!("w/{ws}/scripts/list?per_page=5")).await?;
/// # let _ = (version, scripts); Ok(()) }
/// ```
pub async fn get(endpoint: &str) -> Result<Value> {
    client()?
        .http()?
        .request_json(wmill_http::reqwest::Method::GET, endpoint, None)
        .await
}

/// `POST {base}/api/{endpoint}` with `body` as JSON, for an endpoint without a helper; as
/// [`get`]. A POST is retried only when the connection could not be opened: it may have an
/// effect. Python: `wmill.post(endpoint, json=body)`.
pub async fn post<B: Serialize + ?Sized + Sync>(endpoint: &str, body: &B) -> Result<Value> {
    let body = to_json(body, "request body")?;
    client()?
        .http()?
        .request_json(wmill_http::reqwest::Method::POST, endpoint, Some(&body))
        .await
}

// ---------------------------------------------------------------- suspended flow steps

/// A decision on a suspended step (`$name`: resume or cancel), in two forms: given its URL,
/// parsed into a [`ResumeLink`]; and given its job id, a resume id and the approver, which
/// the server signs into one (`jobs/resume_urls`). Then the client's
/// [`Windmill`](wmill_http::Windmill) posts `payload` to the link.
macro_rules! decisions {
    ($(
        $(#[$doc:meta])* $name:ident,
        $(#[$doc_by_id:meta])* $by_id:ident;
    )*) => {$(
        $(#[$doc])*
        pub async fn $name<T: Serialize + ?Sized + Sync>(url: &str, payload: &T) -> Result<()> {
            let link = ResumeLink::parse(url)?;
            client()?.http()?.$name(&link, payload).await
        }

        $(#[$doc_by_id])*
        pub async fn $by_id<T: Serialize + ?Sized + Sync>(
            job_id: impl JobRef,
            resume_id: u32,
            approver: Option<&str>,
            payload: &T,
        ) -> Result<()> {
            let (client, link) = signed_link(job_id, resume_id, approver).await?;
            client.http()?.$name(&link, payload).await
        }
    )*};
}

decisions! {
    /// Approves a suspended flow step with its resume URL (or its approval page URL), `payload`
    /// being the step's resume value (any JSON value). The URL must name this client's server and
    /// workspace; the request goes to the client's server. See
    /// [`Windmill::resume_suspended_job`](wmill_http::Windmill::resume_suspended_job).
    ///
    /// ```no_run
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> wmill::Result<()> {
    /// use serde_json::json;
    ///
    /// // In the step before the suspend: the URLs, sent to whoever decides.
    /// let urls = wmill::get_resume_urls(Some("ada"), false).await?;
    /// // Later, wherever that decision is made:
    /// wmill::resume_suspended_job(&urls.resume, &json!({"approved": true})).await?;
    /// # Ok(()) }
    /// ```
    resume_suspended_job,
    /// Approves a suspended flow step given its job id, a resume id and the approver: the server
    /// signs them (`jobs/resume_urls`), then the step is resumed with `payload`.
    resume_suspended_job_by_id;

    /// Rejects a suspended flow step with its cancel URL (or its approval page URL): the flow
    /// ends canceled. See [`resume_suspended_job`].
    cancel_suspended_job,
    /// Rejects a suspended flow step given its job id, a resume id and the approver (see
    /// [`resume_suspended_job_by_id`]).
    cancel_suspended_job_by_id;
}

/// The global client and the link the server signs for a job's suspended step.
async fn signed_link(
    job_id: impl JobRef,
    resume_id: u32,
    approver: Option<&str>,
) -> Result<(Arc<Client>, ResumeLink)> {
    let id = job_id.to_job_id()?;
    let client = client()?;
    let link = client.http()?.resume_link(&id, resume_id, approver).await?;
    Ok((client, link))
}
