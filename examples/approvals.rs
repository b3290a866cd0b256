//! Suspended flows: approve or reject a flow step that waits for an approval, from its resume
//! URLs or from its job id.
//!
//! Uses the configured Windmill server: the flow `f/examples/approval` must exist there, its
//! first step returning `wmill.getResumeUrls(approver)` (the approver is the flow's `approver`
//! argument) and suspending the flow until one approval (the fake server of `scripts/test.sh`
//! has it). Without a server, the embedded in-memory backend runs flows as Rust closures, which
//! cannot suspend: approving is not supported there, and the example says so.
//!
//! ```sh
//! cargo run -p wmill-examples --example approvals
//! ```

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wmill::{Error, JobHandle, JobId, JobState, ResumeUrls, WaitOptions};

#[tokio::main]
async fn main() -> wmill::Result<()> {
    support::install_client(seed)?;

    if !support::server_configured() {
        // The embedded backend has no suspended steps: answering one is refused, typed.
        let flow = wmill::start_flow("f/examples/approval", &json!({"approver": "ada"})).await?;
        let out = flow.wait(&WaitOptions::new()).await?;
        println!("embedded flow {} ran to completion: {out}", flow.id());
        match wmill::resume_suspended_job_by_id(flow.id(), 1, Some("ada"), &json!({})).await {
            Err(e @ Error::Unsupported { .. }) => {
                println!("Suspended steps are not supported by the embedded backend: {e}");
                return Ok(());
            }
            other => {
                return Err(Error::invalid(
                    "example",
                    format!("expected the embedded backend to refuse: {other:?}"),
                ));
            }
        }
    }

    // 1. Approve through the resume URL the step produced (what the approver would click).
    let (flow, urls) = suspended(json!({"approver": "ada", "amount": 120})).await?;
    println!(
        "approval page for ada: {}",
        hide_signature(&urls.approval_page)
    );
    wmill::resume_suspended_job(&urls.resume, &json!({"approved_amount": 100})).await?;
    let out = flow.wait(&WaitOptions::new()).await?;
    println!("approved: flow {} returned {out}", flow.id());

    // 2. Reject through the cancel URL: the flow ends canceled.
    let (flow, urls) = suspended(json!({"approver": "bob", "amount": 9000})).await?;
    wmill::cancel_suspended_job(&urls.cancel, &json!({"why": "over budget"})).await?;
    match flow.wait(&WaitOptions::new()).await {
        Err(Error::JobFailed { .. }) => {}
        other => println!("unexpected: {other:?}"),
    }
    match wmill::get_job(flow.id()).await?.state {
        JobState::Canceled { reason, .. } => println!(
            "rejected: flow {} canceled ({})",
            flow.id(),
            reason.unwrap_or_default()
        ),
        other => println!("unexpected state: {other}"),
    }

    // 3. From the job id of the waiting step and a resume id of our choosing: the server signs
    //    the link, then the step is approved (as the token's user, no approver named).
    let (flow, _) = suspended(json!({"amount": 5})).await?;
    let step = waiting_step(flow.id()).await?;
    wmill::resume_suspended_job_by_id(step, 7, None, &json!("ok by id")).await?;
    let out = flow.wait(&WaitOptions::new()).await?;
    println!("approved by id: flow {} returned {out}", flow.id());
    Ok(())
}

/// Starts the flow and waits (at most 10 s) until it is suspended; returns it with the URLs its
/// first step produced.
async fn suspended(args: Value) -> wmill::Result<(JobHandle, ResumeUrls)> {
    let flow = wmill::start_flow("f/examples/approval", &args).await?;
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let job = wmill::get_job(flow.id()).await?;
        if let JobState::Suspended { step, .. } = job.state {
            println!(
                "flow {} is suspended at step {}, waiting for an approval",
                flow.id(),
                step.map_or("?".into(), |s| s.to_string())
            );
            break;
        }
        if Instant::now() > until {
            return Err(Error::invalid(
                "example",
                format!("flow {} never suspended ({})", flow.id(), job.state),
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let asked = asking_step(flow.id()).await?;
    let urls: ResumeUrls = serde_json::from_value(wmill::get_result(asked).await?)
        .map_err(|e| Error::invalid("example", format!("the step's result: {e}")))?;
    Ok((flow, urls))
}

/// The job of the flow's first step (the one that asked for the approval).
async fn asking_step(flow: JobId) -> wmill::Result<JobId> {
    let job = wmill::get_job(flow).await?;
    job.flow_status
        .and_then(|fs| fs.steps.first().and_then(|s| s.job))
        .ok_or_else(|| Error::invalid("example", "the flow's first step has no job"))
}

/// The job the flow's current (waiting) step waits for.
async fn waiting_step(flow: JobId) -> wmill::Result<JobId> {
    let job = wmill::get_job(flow).await?;
    job.flow_status
        .and_then(|fs| fs.current().and_then(|s| s.job))
        .ok_or_else(|| Error::invalid("example", "the flow is not waiting on a step"))
}

/// A URL with its signature (the last path segment, a credential) hidden.
fn hide_signature(url: &str) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let shown = match path.rsplit_once('/') {
        Some((head, _)) => format!("{head}/<signature>"),
        None => path.to_owned(),
    };
    if query.is_empty() {
        shown
    } else {
        format!("{shown}?{query}")
    }
}

fn seed(backend: wmill::InMemory) -> wmill::Result<wmill::InMemory> {
    backend.register_flow("f/examples/approval", |args| async move {
        Ok(json!({"approved": "no approval step in the embedded backend", "args": Value::Object(args)}))
    })?;
    Ok(backend)
}
