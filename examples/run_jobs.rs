//! Running jobs and flows: async and sync runs, flows, waiting with a timeout, and handling a
//! failed job.
//!
//! Uses the configured Windmill server (the scripts `f/examples/square`, `f/examples/fail`,
//! `f/examples/sleep` and the flow `f/examples/pipeline` must exist there, as `seed` below
//! describes; it names the missing ones in one line), else an embedded in-memory backend whose
//! scripts are Rust closures.
//!
//! ```sh
//! cargo run -p wmill-examples --example run_jobs
//! ```

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use wmill::{Error, JobStatus, RunOptions};

#[derive(Debug, Deserialize)]
struct Squared {
    square: i64,
}

#[tokio::main]
async fn main() -> wmill::Result<()> {
    support::install_client(seed)?;

    // Synchronous run: start and wait in one call; a typed result with serde.
    let out = wmill::run_script_by_path("f/examples/square", &json!({"n": 12})).await?;
    let squared =
        Squared::deserialize(&out).map_err(|e| Error::invalid("result", e.to_string()))?;
    println!("square(12) = {}", squared.square);

    // Asynchronous runs: start several, then wait for each.
    let mut jobs = Vec::new();
    for n in 1..=3 {
        jobs.push(wmill::run_script_by_path_async("f/examples/square", &json!({ "n": n })).await?);
    }
    for id in &jobs {
        let result = wmill::wait_job(id, Some(Duration::from_secs(60))).await?;
        println!(
            "job {id}: {result} ({:?})",
            wmill::get_job_status(id).await?
        );
    }

    // Flows, sync and async.
    let flow = wmill::run_flow("f/examples/pipeline", &json!({"items": [1, 2, 3]})).await?;
    println!("flow f/examples/pipeline returned {flow}");
    let flow_job = wmill::run_flow_async("f/examples/pipeline", &json!({"items": [4]})).await?;
    println!(
        "flow job {flow_job} returned {}",
        wmill::wait_job(flow_job, None).await?
    );

    // A failed job is a typed error carrying the job's error value.
    match wmill::run_script_by_path("f/examples/fail", &json!({"reason": "bad input"})).await {
        Err(Error::JobFailed { job_id, error }) => {
            println!("job {job_id} failed as expected: {}", error["message"]);
            // Its result is still readable as data.
            println!(
                "get_result of the failed job: {}",
                wmill::get_result(job_id).await?
            );
        }
        other => println!("unexpected: {other:?}"),
    }

    // Waiting with a timeout cancels the job (cleanup) and returns Error::Timeout.
    let options = RunOptions::new()
        .timeout(Duration::from_millis(300))
        .cleanup(true);
    match wmill::run_script_by_path_with("f/examples/sleep", &json!({"seconds": 60}), &options)
        .await
    {
        Err(Error::Timeout {
            job_id: Some(id),
            after,
        }) => {
            println!(
                "job {id} timed out after {after:?}; status now {:?}",
                wmill::get_job_status(id).await?
            );
        }
        other => println!("unexpected: {other:?}"),
    }

    // Cancel a job yourself.
    let long = wmill::run_script_by_path_async("f/examples/sleep", &json!({"seconds": 60})).await?;
    wmill::cancel_job(long, Some("not needed any more")).await?;
    let status = wmill::get_job_status(long).await?;
    println!("canceled job {long}: {status:?}");
    assert!(matches!(
        status,
        JobStatus::Completed { success: false } | JobStatus::Running | JobStatus::Waiting
    ));
    Ok(())
}

fn seed(wm: wmill::InMemory) -> wmill::Result<wmill::InMemory> {
    wm.register_script("f/examples/square", |args| async move {
        let n = args.get("n").and_then(Value::as_i64).unwrap_or(0);
        Ok(json!({ "square": n * n }))
    })?;
    wm.register_script("f/examples/fail", |args| async move {
        Err(json!({"name": "ValueError", "message": args.get("reason").cloned().unwrap_or_default()}))
    })?;
    wm.register_script("f/examples/sleep", |args| async move {
        let secs = args.get("seconds").and_then(Value::as_u64).unwrap_or(1);
        tokio::time::sleep(Duration::from_secs(secs)).await;
        Ok(json!(secs))
    })?;
    wm.register_flow("f/examples/pipeline", |args| async move {
        let items = args
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let total: i64 = items.iter().filter_map(Value::as_i64).map(|n| n * n).sum();
        Ok(json!({ "sum_of_squares": total }))
    })?;
    Ok(wm)
}
