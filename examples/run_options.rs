//! Run options: scheduling, cache lifetime, preprocessor, visibility, queue limit, agent
//! memory, retries, worker tags and flows by version, on the embedded in-memory backend.
//!
//! Every option is a typed `RunOptions` method named after the query parameter it becomes. An
//! option the endpoint does not take is an error before anything starts (the same check as
//! against a Windmill server); the in-memory backend honours what it can (delays, the queue
//! limit) and records the rest, so a test can assert what a start was given.
//!
//! ```sh
//! cargo run -p wmill-examples --example run_options
//! ```

use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};
use wmill::{Client, Error, FlowVersion, InMemory, RetryPolicy, RunOptions};

#[tokio::main]
async fn main() -> wmill::Result<()> {
    let backend = InMemory::new();
    backend.register_script("f/examples/report", |args| async move {
        Ok(json!({"rows": args.get("rows").cloned().unwrap_or(Value::Null)}))
    })?;
    backend.register_flow("f/examples/assistant", |args| async move {
        Ok(json!({"answer": format!("you said {}", args["message"])}))
    })?;
    backend.register_flow_version(FlowVersion::new(41), |_| async move { Ok(json!("v41")) });
    wmill::set_client(Client::new(backend.clone()));

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
    let out = wmill::wait_job(id, None).await?;
    println!(
        "scheduled report {out} after {:.1} s",
        started.elapsed().as_secs_f32()
    );

    // A retry policy: the server runs a failed job again (recorded here).
    let retry = RunOptions::new().retry(
        RetryPolicy::constant(2, Duration::from_secs(10)).and_exponential(
            3,
            Duration::from_secs(2),
            1,
        ),
    );
    wmill::run_script_by_path_async_with("f/examples/report", &json!({}), &retry).await?;

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
    println!("assistant: {}", reply["answer"]);

    // A saved flow version.
    println!(
        "flow version 41 returned {}",
        wmill::run_flow_by_version(41, &json!({})).await?
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

    // What each start was given, for a test to assert.
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
    Ok(())
}
