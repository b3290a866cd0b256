//! Run options: scheduling, cache lifetime, preprocessor, visibility, queue limit, agent
//! memory, retries, worker tags and flows by version.
//!
//! Uses the configured Windmill server (the script `f/examples/report`, the flow
//! `f/examples/assistant`, a script `f/examples/slow` that sleeps `ms` milliseconds and the
//! flow version 41 must exist there; the fake server of `scripts/test.sh` has them), else an
//! embedded in-memory backend.
//!
//! Every option is a typed `RunOptions` method named after the query parameter it becomes. An
//! option the endpoint does not take is an error before anything starts, on either backend. The
//! server honours each option; the in-memory backend honours what it can (delays, the queue
//! limit) and records the rest, so a test can assert what a start was given.
//!
//! ```sh
//! cargo run -p wmill-examples --example run_options
//! ```

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};
use wmill::{Error, FlowVersion, InMemory, RetryPolicy, RunOptions};

#[tokio::main]
async fn main() -> wmill::Result<()> {
    let mut embedded: Option<InMemory> = None;
    support::install_client(|backend| {
        let backend = seed(backend)?;
        embedded = Some(backend.clone());
        Ok(backend)
    })?;
    if support::server_configured() {
        // The seed only said what the server must have.
        embedded = None;
    }

    // A script started in one second, on the "reports" workers, with a cache lifetime of an
    // hour, its preprocessor skipped and the run hidden from its owner.
    let started = Instant::now();
    let opts = RunOptions::new()
        .scheduled_for(SystemTime::now() + Duration::from_secs(1))
        .tag("reports")
        .cache_ttl(Duration::from_secs(3600))
        .skip_preprocessor(true)
        .invisible_to_owner(true);
    let id = wmill::run_script_by_path_async_with("f/examples/report", &json!({"rows": 3}), &opts)
        .await?;
    let job = wmill::get_job(id).await?;
    println!(
        "report job {id}: {} (tag {}, visible to its owner: {})",
        job.state,
        job.tag.as_deref().unwrap_or("default"),
        job.raw()
            .get("visible_to_owner")
            .map_or_else(|| "not recorded".to_owned(), Value::to_string),
    );
    let out = wmill::wait_job(id, None).await?;
    println!(
        "scheduled report {out} after {:.1} s",
        started.elapsed().as_secs_f32()
    );

    // A retry policy: the server runs a failed job again (the in-memory backend records it).
    let retry = RunOptions::new().retry(
        RetryPolicy::constant(2, Duration::from_secs(10)).and_exponential(
            3,
            Duration::from_secs(2),
            1,
        ),
    );
    let retried =
        wmill::run_script_by_path_async_with("f/examples/report", &json!({}), &retry).await?;
    wmill::wait_job(retried, None).await?;
    println!("report with a retry policy: job {retried} succeeded");

    // A flow with the memory of its AI agent steps, run synchronously with a queue limit
    // (only run_wait_result takes queue_limit, and it takes memory_id too).
    let reply = wmill::run_flow_with(
        "f/examples/assistant",
        &json!({"message": "hello"}),
        &RunOptions::new()
            .memory_id("conversation-42")
            .queue_limit(100),
    )
    .await?;
    println!("assistant: {reply}");

    // The queue limit refuses a run while more jobs than the limit could run: one slow job
    // is running, the limit is 0.
    let slow = wmill::start_script_by_path("f/examples/slow", &json!({"ms": 60_000})).await?;
    let guard = slow
        .clone()
        .cancel_on_drop("example: done with the queue limit");
    match wmill::run_script_by_path_with(
        "f/examples/slow",
        &json!({"ms": 1}),
        &RunOptions::new().queue_limit(0),
    )
    .await
    {
        Err(Error::Api { status, body, .. }) => {
            println!("queue limit 0 refused the run (HTTP {status}): {body}");
        }
        other => {
            return Err(Error::invalid(
                "example",
                format!("expected the queue limit to refuse the run: {other:?}"),
            ));
        }
    }
    drop(guard);

    // A saved flow version.
    println!(
        "flow version 41 returned {}",
        wmill::run_flow_by_version(41, &json!({"message": "v41"})).await?
    );

    // Options an endpoint does not take: refused before anything starts.
    let refused = [
        wmill::run_flow_with(
            "f/examples/assistant",
            &json!({}),
            &RunOptions::new().cache_ttl(Duration::from_secs(60)),
        )
        .await,
        wmill::run_flow_with(
            "f/examples/assistant",
            &json!({}),
            &RunOptions::new().queue_limit(10).tag("gpu"),
        )
        .await,
        wmill::run_script_by_path_with(
            "f/examples/report",
            &json!({}),
            &RunOptions::new().memory_id("m"),
        )
        .await,
    ];
    for r in refused {
        match r {
            Err(Error::InvalidInput { reason, .. }) => println!("refused: {reason}"),
            other => {
                return Err(Error::invalid(
                    "example",
                    format!("expected a refusal: {other:?}"),
                ));
            }
        }
    }

    // What each start was given, for a test to assert (the embedded backend records it; a
    // server shows it in the job, as above).
    if let Some(backend) = embedded {
        for job in backend.started_jobs() {
            println!(
                "started {:?}: tag {:?}, scheduled {}, cache_ttl {:?}, memory_id {:?}, queue_limit {:?}, retry {}",
                job.runnable,
                job.options.tag,
                job.options.scheduled_for.is_some(),
                job.options.cache_ttl,
                job.options.memory_id,
                job.options.queue_limit,
                job.options
                    .retry
                    .as_ref()
                    .map_or(Value::Null, RetryPolicy::to_json),
            );
        }
    }
    Ok(())
}

fn seed(backend: InMemory) -> wmill::Result<InMemory> {
    backend.register_script("f/examples/report", |args| async move {
        Ok(json!({"rows": args.get("rows").cloned().unwrap_or(Value::Null)}))
    })?;
    backend.register_script("f/examples/slow", |args| async move {
        let ms = args.get("ms").and_then(Value::as_u64).unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(json!(ms))
    })?;
    backend.register_flow("f/examples/assistant", |args| async move {
        Ok(json!({"message": args.get("message").cloned().unwrap_or(Value::Null)}))
    })?;
    backend.register_flow_version(FlowVersion::new(41), |args| async move {
        Ok(Value::Object(args))
    });
    Ok(backend)
}
