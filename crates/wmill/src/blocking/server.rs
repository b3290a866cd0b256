//! Blocking versions of the server-only helpers and of the suspended-step helpers (feature
//! `http`).

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use wmill_core::{JobId, Result, RunOptions};
use wmill_http::{InteractiveApproval, ResumeUrls};

use crate::JobRef;

blocking! {
    /// Blocking [`crate::run_script_by_path_async_with_retry`].
    pub fn run_script_by_path_async_with_retry<A: ?Sized + Serialize + Sync>(
        path: &str,
        args: &A,
        options: &RunOptions,
        retry: &Value,
    ) -> Result<JobId>;

    /// Blocking [`crate::run_script_by_hash_async_with_retry`].
    pub fn run_script_by_hash_async_with_retry<A: ?Sized + Serialize + Sync>(
        hash: &str,
        args: &A,
        options: &RunOptions,
        retry: &Value,
    ) -> Result<JobId>;

    /// Blocking [`crate::send_teams_message`].
    pub fn send_teams_message(
        conversation_id: &str,
        text: &str,
        success: bool,
        card_block: Option<&Value>,
    ) -> Result<()>;

    /// Blocking [`crate::get_job_raw`].
    pub fn get_job_raw(job_id: impl JobRef + Send, light: bool) -> Result<Value>;

    /// Blocking [`crate::get_root_job_id`].
    pub fn get_root_job_id(job_id: Option<&str>) -> Result<JobId>;

    /// Blocking [`crate::force_cancel_job`].
    pub fn force_cancel_job(job_id: impl JobRef + Send, reason: Option<&str>) -> Result<()>;

    /// Blocking [`crate::cancel_running`].
    pub fn cancel_running() -> Result<Vec<JobId>>;

    /// Blocking [`crate::worker_is_draining`].
    pub fn worker_is_draining(job_id: Option<&str>) -> Result<bool>;

    /// Blocking [`crate::set_progress`].
    pub fn set_progress(value: u32, job_id: Option<&str>) -> Result<()>;

    /// Blocking [`crate::get_progress`].
    pub fn get_progress(job_id: Option<&str>) -> Result<Option<u32>>;

    /// Blocking [`crate::set_flow_user_state`].
    pub fn set_flow_user_state<T: ?Sized + Serialize + Sync>(key: &str, value: &T) -> Result<()>;

    /// Blocking [`crate::get_flow_user_state`].
    pub fn get_flow_user_state(key: &str) -> Result<Option<Value>>;

    /// Blocking [`crate::get_resume_urls`].
    pub fn get_resume_urls(approver: Option<&str>, flow_level: bool) -> Result<ResumeUrls>;

    /// Blocking [`crate::get_approval_urls`].
    pub fn get_approval_urls(step_key: &str, approver: Option<&str>) -> Result<ResumeUrls>;

    /// Blocking [`crate::request_interactive_slack_approval`].
    pub fn request_interactive_slack_approval(
        slack_resource_path: &str,
        channel_id: &str,
        ask: &InteractiveApproval,
    ) -> Result<()>;

    /// Blocking [`crate::request_interactive_teams_approval`].
    pub fn request_interactive_teams_approval(
        team_name: &str,
        channel_name: &str,
        ask: &InteractiveApproval,
    ) -> Result<()>;

    /// Blocking [`crate::whoami`].
    pub fn whoami() -> Result<Value>;

    /// Blocking [`crate::get`].
    pub fn get(endpoint: &str) -> Result<Value>;

    /// Blocking [`crate::post`].
    pub fn post<B: ?Sized + Serialize + Sync>(endpoint: &str, body: &B) -> Result<Value>;

    /// Blocking [`crate::get_version`].
    pub fn get_version() -> Result<String>;

    /// Blocking [`crate::get_id_token`].
    pub fn get_id_token(audience: &str, expires_in: Option<Duration>) -> Result<String>;

    /// Blocking [`crate::create_token`].
    pub fn create_token(duration: Duration) -> Result<String>;

    /// Blocking [`crate::get_resource_raw`].
    pub fn get_resource_raw(path: &str) -> Result<Value>;

    /// Blocking [`crate::run_inline_script_preview`].
    pub fn run_inline_script_preview<A: ?Sized + Serialize + Sync>(
        content: &str,
        language: &str,
        args: &A,
    ) -> Result<Value>;

    /// Blocking [`crate::username_to_email`].
    pub fn username_to_email(username: &str) -> Result<String>;

    /// Blocking [`crate::commit_kafka_offsets`].
    pub fn commit_kafka_offsets(
        trigger_path: &str,
        topic: &str,
        partition: i32,
        offset: i64,
    ) -> Result<()>;
}

/// The blocking twins of the pairs that `decisions!` declares (`crate::server`): a decision
/// on a suspended step given its URL (`$name`), and given its job id, a resume id and the
/// approver (`$by_id`). Each twin's doc line names its async function.
macro_rules! blocking_decisions {
    ($($name:ident, $by_id:ident;)*) => {$(
        blocking! {
            #[doc = concat!("Blocking [`crate::", stringify!($name), "`].")]
            pub fn $name<T: ?Sized + Serialize + Sync>(url: &str, payload: &T) -> Result<()>;

            #[doc = concat!("Blocking [`crate::", stringify!($by_id), "`].")]
            pub fn $by_id<T: ?Sized + Serialize + Sync>(
                job_id: impl JobRef + Send,
                resume_id: u32,
                approver: Option<&str>,
                payload: &T,
            ) -> Result<()>;
        }
    )*};
}

blocking_decisions! {
    resume_suspended_job, resume_suspended_job_by_id;
    cancel_suspended_job, cancel_suspended_job_by_id;
}
