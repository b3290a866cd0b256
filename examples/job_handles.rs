//! Jobs as values: a job handle, a guard that cancels its job when dropped, a synchronous run
//! that cancels its job when abandoned (the Python client's `cleanup`), and a batch of jobs
//! with bounded concurrency.
//!
//! Uses the configured Windmill server (the scripts `f/examples/nap`, which sleeps `ms`
//! milliseconds and returns `ms`, and `f/examples/boom`, which fails, must exist there; the
//! fake server of `scripts/test.sh` has them), else an embedded in-memory backend whose
//! scripts are Rust closures.
//!
//! ```sh
//! cargo run -p wmill-examples --example job_handles
//! ```

#[path = "support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};
use wmill::{
    BatchJob, BatchOptions, Error, ItemPath, JobId, JobStatus, RunOptions, WaitOptions, to_args,
};

#[tokio::main]
async fn main() -> wmill::Result<()> {
    support::install_client(seed)?;
    let nap = ItemPath::parse("f/examples/nap")?;

    // 1. A handle: start a job, look at it, wait for it.
    let job = wmill::start_script_by_path("f/examples/nap", &json!({"ms": 50})).await?;
    println!("started job {} ({:?})", job.id(), job.status().await?);
    let slept: u64 = job.wait_as(&WaitOptions::new()).await?;
    println!("job {} returned {slept}", job.id());

    // 2. A guard: the job is canceled when the guard is dropped before the job completed (an
    //    early return, an error, a panic...).
    let long = wmill::start_script_by_path("f/examples/nap", &json!({"ms": 60_000})).await?;
    {
        let _guard = long.clone().cancel_on_drop("example: no longer needed");
        // ... work that gives up early ...
    }
    match long
        .wait(&WaitOptions::new().timeout(Duration::from_secs(10)))
        .await
    {
        Err(Error::JobFailed { job_id, error }) => {
            println!("guarded job {job_id} canceled: {}", message(&error));
        }
        other => println!("unexpected: {other:?}"),
    }

    // 3. Python's `cleanup`: a synchronous run whose future is dropped (here by a timeout that
    //    picks the other branch) cancels its job, with the reason "parent job cancelled".
    //    Choosing the job id lets us look at the job afterwards.
    let id = JobId::new_random();
    let abandoned = tokio::time::timeout(
        Duration::from_millis(300),
        wmill::run_script_by_path_with(
            "f/examples/nap",
            &json!({"ms": 60_000}),
            &RunOptions::new().job_id(id),
        ),
    )
    .await;
    assert!(abandoned.is_err(), "the run cannot complete in 300 ms");
    // The cancel goes out in the background: give it a moment.
    let status = settled(id).await?;
    println!("abandoned run: job {id} is {status:?}");

    // 4. A batch: 20 jobs, at most 8 at a time, outcomes in completion order with their
    //    position in the input.
    let jobs: Vec<BatchJob> = (0..20u64)
        .map(|i| {
            let args = to_args(&json!({ "ms": (i * 37) % 100 }))?;
            Ok(BatchJob::script_by_path(nap.clone(), args))
        })
        .collect::<wmill::Result<_>>()?;
    let started = Instant::now();
    let mut order = Vec::new();
    let mut results = wmill::run_batch(jobs, &BatchOptions::new().concurrency(8))?;
    while let Some(item) = results.next().await {
        let index = item.index;
        let ms: u64 = item.into_result_as()?;
        assert_eq!(ms, (index as u64 * 37) % 100);
        order.push(index);
    }
    println!(
        "batch: 20 jobs, 8 at a time, in {:?}; completion order {order:?}",
        started.elapsed()
    );

    // 5. Fail fast: the first failure ends the batch, the jobs in flight are canceled and the
    //    rest never start.
    let mut jobs = vec![
        BatchJob::script_by_path(nap.clone(), to_args(&json!({"ms": 60_000}))?),
        BatchJob::script_by_path(
            ItemPath::parse("f/examples/boom")?,
            to_args(&json!({"message": "bad row 7"}))?,
        ),
    ];
    for _ in 0..5 {
        jobs.push(BatchJob::script_by_path(
            nap.clone(),
            to_args(&json!({"ms": 1}))?,
        ));
    }
    let items: Vec<_> =
        wmill::run_batch(jobs, &BatchOptions::new().concurrency(2).fail_fast(true))?
            .collect()
            .await;
    for item in &items {
        match &item.result {
            Err(Error::JobFailed { error, .. }) => {
                println!(
                    "fail-fast batch: job #{} failed ({}); batch stopped",
                    item.index,
                    message(error)
                );
            }
            other => println!("fail-fast batch: job #{}: {other:?}", item.index),
        }
    }
    println!("fail-fast batch reported {} item(s) of 7", items.len());
    Ok(())
}

/// The job's status once it completed (at most 5 s).
async fn settled(id: JobId) -> wmill::Result<JobStatus> {
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let status = wmill::get_job_status(id).await?;
        if status.is_completed() || Instant::now() > until {
            return Ok(status);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn message(error: &Value) -> String {
    let error = error.get("error").unwrap_or(error);
    error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("no message")
        .to_owned()
}

fn seed(wm: wmill::InMemory) -> wmill::Result<wmill::InMemory> {
    wm.register_script("f/examples/nap", |args| async move {
        let ms = args.get("ms").and_then(Value::as_u64).unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(json!(ms))
    })?;
    wm.register_script("f/examples/boom", |args| async move {
        Err(json!({"name": "ExampleError", "message": args.get("message").cloned().unwrap_or_default()}))
    })?;
    Ok(wm)
}
