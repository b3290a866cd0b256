//! Reading jobs as typed values: `wmill::get_job` returns a `Job` whose `state` says whether it
//! is queued, scheduled, running, suspended for an approval, succeeded, failed, or was canceled
//! (and by whom, and why), with its timestamps, script, tag, worker, parent job and result.
//!
//! Uses the configured Windmill server (the scripts `f/examples/add`, `f/examples/fail` and
//! `f/examples/sleep_ms` must exist there, as `seed` below describes; it names the missing ones
//! in one line), else an embedded in-memory backend whose scripts are Rust closures.
//!
//! ```sh
//! cargo run -p wmill-examples --example job_states
//! ```

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wmill::{Job, JobId, JobState, RunOptions};

#[tokio::main]
async fn main() -> wmill::Result<()> {
    support::install_client(seed)?;

    // A job that succeeds.
    let id = wmill::run_script_by_path_async("f/examples/add", &json!({"a": 2, "b": 3})).await?;
    wmill::wait_job(id, Some(Duration::from_secs(60))).await?;
    let job = wmill::get_job(id).await?;
    println!("{}", describe(&job));
    println!("  result: {}", job.result().unwrap_or(&Value::Null));

    // A job that fails: its error is part of the typed job.
    let id = wmill::run_script_by_path_async("f/examples/fail", &json!({"message": "bad input"}))
        .await?;
    let _ = wmill::wait_job(id, Some(Duration::from_secs(60))).await;
    let job = wmill::get_job(id).await?;
    println!("{}", describe(&job));

    // A job canceled while it runs: canceled, with the reason, not failed.
    let id = wmill::run_script_by_path_async("f/examples/sleep_ms", &json!({"ms": 60_000})).await?;
    let job = until(id, |j| j.state != JobState::Queued).await?;
    println!("{}", describe(&job));
    wmill::cancel_job(id, Some("not needed any more")).await?;
    let job = until(id, Job::is_completed).await?;
    println!("{}", describe(&job));

    // A job scheduled for later says when it starts.
    let later = wmill::run_script_by_path_async_with(
        "f/examples/add",
        &json!({"a": 1, "b": 1}),
        &RunOptions::new().scheduled_in(Duration::from_secs(3600)),
    )
    .await?;
    println!("{}", describe(&wmill::get_job(later).await?));
    wmill::cancel_job(later, Some("example done")).await?;
    Ok(())
}

/// One line about the job: its state with what the state knows, then where it ran.
fn describe(job: &Job) -> String {
    let state = match &job.state {
        JobState::Queued => "queued".to_owned(),
        JobState::Scheduled { at } => format!("scheduled for {at}"),
        JobState::Running => format!(
            "running since {}",
            job.started_at
                .as_ref()
                .map_or("?".to_owned(), ToString::to_string)
        ),
        JobState::Suspended { step, .. } => {
            format!("suspended at step {step:?}, waiting for approval")
        }
        JobState::Canceling { reason, .. } => {
            format!("canceling ({})", reason.as_deref().unwrap_or("no reason"))
        }
        JobState::Success => format!("success in {} ms", job.duration_ms.unwrap_or(0)),
        JobState::Failure => format!(
            "failure: {}",
            job.error()
                .and_then(|e| e.get("message"))
                .unwrap_or(&Value::Null)
        ),
        JobState::Canceled { by, reason } => format!(
            "canceled by {} (reason: {})",
            by.as_deref().unwrap_or("?"),
            reason.as_deref().unwrap_or("none")
        ),
        other => other.to_string(),
    };
    format!(
        "job {} [{} {}]: {state}",
        job.id,
        job.kind,
        job.script_path.as_deref().unwrap_or("-"),
    )
}

/// Reads the job until `done` holds (at most 10 s).
async fn until(id: JobId, done: impl Fn(&Job) -> bool) -> wmill::Result<Job> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let job = wmill::get_job(id).await?;
        if done(&job) || Instant::now() > deadline {
            return Ok(job);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn seed(wm: wmill::InMemory) -> wmill::Result<wmill::InMemory> {
    wm.register_script("f/examples/add", |args| async move {
        let n = |k: &str| args.get(k).and_then(Value::as_i64).unwrap_or(0);
        Ok(json!(n("a") + n("b")))
    })?;
    wm.register_script("f/examples/fail", |args| async move {
        Err(json!({"name": "ValueError", "message": args.get("message").cloned().unwrap_or_default()}))
    })?;
    wm.register_script("f/examples/sleep_ms", |args| async move {
        let ms = args.get("ms").and_then(Value::as_u64).unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(json!(ms))
    })?;
    Ok(wm)
}
