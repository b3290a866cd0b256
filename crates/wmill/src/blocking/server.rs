//! Blocking versions of the server-only helpers and of the suspended-step helpers (feature
//! `http`).

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use wmill_core::{JobId, Result, RunOptions};
use wmill_http::{InteractiveApproval, ResumeUrls};

use super::block_on;
use crate::JobRef;

/// Blocking [`crate::run_script_by_path_async_with_retry`].
pub fn run_script_by_path_async_with_retry<A: Serialize + ?Sized + Sync>(
    path: &str,
    args: &A,
    options: &RunOptions,
    retry: &Value,
) -> Result<JobId> {
    block_on(crate::run_script_by_path_async_with_retry(
        path, args, options, retry,
    ))
}

/// Blocking [`crate::run_script_by_hash_async_with_retry`].
pub fn run_script_by_hash_async_with_retry<A: Serialize + ?Sized + Sync>(
    hash: &str,
    args: &A,
    options: &RunOptions,
    retry: &Value,
) -> Result<JobId> {
    block_on(crate::run_script_by_hash_async_with_retry(
        hash, args, options, retry,
    ))
}

/// Blocking [`crate::send_teams_message`].
pub fn send_teams_message(
    conversation_id: &str,
    text: &str,
    success: bool,
    card_block: Option<&Value>,
) -> Result<()> {
    block_on(crate::send_teams_message(
        conversation_id,
        text,
        success,
        card_block,
    ))
}

/// Blocking [`crate::get_job_raw`].
pub fn get_job_raw(job_id: impl JobRef + Send, light: bool) -> Result<Value> {
    block_on(crate::get_job_raw(job_id, light))
}

/// Blocking [`crate::get_root_job_id`].
pub fn get_root_job_id(job_id: Option<&str>) -> Result<JobId> {
    block_on(crate::get_root_job_id(job_id))
}

/// Blocking [`crate::force_cancel_job`].
pub fn force_cancel_job(job_id: impl JobRef + Send, reason: Option<&str>) -> Result<()> {
    block_on(crate::force_cancel_job(job_id, reason))
}

/// Blocking [`crate::cancel_running`].
pub fn cancel_running() -> Result<Vec<JobId>> {
    block_on(crate::cancel_running())
}

/// Blocking [`crate::worker_is_draining`].
pub fn worker_is_draining(job_id: Option<&str>) -> Result<bool> {
    block_on(crate::worker_is_draining(job_id))
}

/// Blocking [`crate::set_progress`].
pub fn set_progress(value: u32, job_id: Option<&str>) -> Result<()> {
    block_on(crate::set_progress(value, job_id))
}

/// Blocking [`crate::get_progress`].
pub fn get_progress(job_id: Option<&str>) -> Result<Option<u32>> {
    block_on(crate::get_progress(job_id))
}

/// Blocking [`crate::set_flow_user_state`].
pub fn set_flow_user_state<T: Serialize + ?Sized + Sync>(key: &str, value: &T) -> Result<()> {
    block_on(crate::set_flow_user_state(key, value))
}

/// Blocking [`crate::get_flow_user_state`].
pub fn get_flow_user_state(key: &str) -> Result<Option<Value>> {
    block_on(crate::get_flow_user_state(key))
}

/// Blocking [`crate::get_resume_urls`].
pub fn get_resume_urls(approver: Option<&str>, flow_level: bool) -> Result<ResumeUrls> {
    block_on(crate::get_resume_urls(approver, flow_level))
}

/// Blocking [`crate::get_approval_urls`].
pub fn get_approval_urls(step_key: &str, approver: Option<&str>) -> Result<ResumeUrls> {
    block_on(crate::get_approval_urls(step_key, approver))
}

/// Blocking [`crate::request_interactive_slack_approval`].
pub fn request_interactive_slack_approval(
    slack_resource_path: &str,
    channel_id: &str,
    ask: &InteractiveApproval,
) -> Result<()> {
    block_on(crate::request_interactive_slack_approval(
        slack_resource_path,
        channel_id,
        ask,
    ))
}

/// Blocking [`crate::request_interactive_teams_approval`].
pub fn request_interactive_teams_approval(
    team_name: &str,
    channel_name: &str,
    ask: &InteractiveApproval,
) -> Result<()> {
    block_on(crate::request_interactive_teams_approval(
        team_name,
        channel_name,
        ask,
    ))
}

/// Blocking [`crate::whoami`].
pub fn whoami() -> Result<Value> {
    block_on(crate::whoami())
}

/// Blocking [`crate::get`].
pub fn get(endpoint: &str) -> Result<Value> {
    block_on(crate::get(endpoint))
}

/// Blocking [`crate::post`].
pub fn post<B: Serialize + ?Sized + Sync>(endpoint: &str, body: &B) -> Result<Value> {
    block_on(crate::post(endpoint, body))
}

/// Blocking [`crate::get_version`].
pub fn get_version() -> Result<String> {
    block_on(crate::get_version())
}

/// Blocking [`crate::get_id_token`].
pub fn get_id_token(audience: &str, expires_in: Option<Duration>) -> Result<String> {
    block_on(crate::get_id_token(audience, expires_in))
}

/// Blocking [`crate::create_token`].
pub fn create_token(duration: Duration) -> Result<String> {
    block_on(crate::create_token(duration))
}

/// Blocking [`crate::get_resource_raw`].
pub fn get_resource_raw(path: &str) -> Result<Value> {
    block_on(crate::get_resource_raw(path))
}

/// Blocking [`crate::run_inline_script_preview`].
pub fn run_inline_script_preview<A: Serialize + ?Sized + Sync>(
    content: &str,
    language: &str,
    args: &A,
) -> Result<Value> {
    block_on(crate::run_inline_script_preview(content, language, args))
}

/// Blocking [`crate::username_to_email`].
pub fn username_to_email(username: &str) -> Result<String> {
    block_on(crate::username_to_email(username))
}

/// Blocking [`crate::commit_kafka_offsets`].
pub fn commit_kafka_offsets(
    trigger_path: &str,
    topic: &str,
    partition: i32,
    offset: i64,
) -> Result<()> {
    block_on(crate::commit_kafka_offsets(
        trigger_path,
        topic,
        partition,
        offset,
    ))
}

/// Blocking [`crate::resume_suspended_job`].
pub fn resume_suspended_job<T: Serialize + ?Sized + Sync>(url: &str, payload: &T) -> Result<()> {
    block_on(crate::resume_suspended_job(url, payload))
}

/// Blocking [`crate::cancel_suspended_job`].
pub fn cancel_suspended_job<T: Serialize + ?Sized + Sync>(url: &str, payload: &T) -> Result<()> {
    block_on(crate::cancel_suspended_job(url, payload))
}

/// Blocking [`crate::resume_suspended_job_by_id`].
pub fn resume_suspended_job_by_id<T: Serialize + ?Sized + Sync>(
    job_id: impl JobRef + Send,
    resume_id: u32,
    approver: Option<&str>,
    payload: &T,
) -> Result<()> {
    block_on(crate::resume_suspended_job_by_id(
        job_id, resume_id, approver, payload,
    ))
}

/// Blocking [`crate::cancel_suspended_job_by_id`].
pub fn cancel_suspended_job_by_id<T: Serialize + ?Sized + Sync>(
    job_id: impl JobRef + Send,
    resume_id: u32,
    approver: Option<&str>,
    payload: &T,
) -> Result<()> {
    block_on(crate::cancel_suspended_job_by_id(
        job_id, resume_id, approver, payload,
    ))
}
