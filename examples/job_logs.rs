//! Job logs: follow a running job's log as it is written, read a whole log, and forward a
//! child job's log while a synchronous run waits (Python's `verbose`, line by line).
//!
//! Uses the configured Windmill server (the script `f/examples/etl` must exist there: it takes
//! `ms` and `log_lines` and prints the lines over `ms` milliseconds), else an embedded in-memory
//! backend whose script is a Rust closure writing to its `JobLog`.
//!
//! ```sh
//! cargo run -p wmill-examples --example job_logs
//! ```

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use wmill::{JobLog, LogForward, RunOptions, WaitOptions};

#[tokio::main]
async fn main() -> wmill::Result<()> {
    support::install_client(seed)?;
    let lines: Vec<String> = (1..=6).map(|i| format!("étape {i}/6 → ok")).collect();

    // Follow a running job's log: each chunk is what it wrote since the previous one.
    let id =
        wmill::run_script_by_path_async("f/examples/etl", &json!({"ms": 600, "log_lines": lines}))
            .await?;
    let mut followed = String::new();
    let mut chunks = 0;
    let mut logs = wmill::job_logs(id)?;
    while let Some(chunk) = logs.next().await {
        let chunk = chunk?;
        print!("{}", chunk.text);
        followed.push_str(&chunk.text);
        chunks += 1;
    }
    println!(
        "followed {} characters in {chunks} chunk(s); the job is {:?}",
        followed.chars().count(),
        wmill::get_job_status(id).await?
    );

    // The whole log at once.
    let whole = wmill::get_job_logs(id).await?;
    println!(
        "get_job_logs: {} line(s), same text as followed: {}",
        whole.lines().count(),
        whole == followed
    );
    assert_eq!(whole, followed);

    // A synchronous run that forwards its child's log, line by line, while it waits.
    let forward = LogForward::callback(|job, line| println!("[child {job}] {line}"));
    let options = RunOptions::new().wait(WaitOptions::new().logs(forward));
    let out = wmill::run_script_by_path_with(
        "f/examples/etl",
        &json!({"ms": 300, "log_lines": ["chargement", "terminé"]}),
        &options,
    )
    .await?;
    println!("synchronous run returned {out}");
    Ok(())
}

/// The embedded `f/examples/etl`: writes `log_lines` evenly over `ms` milliseconds.
fn seed(wm: wmill::InMemory) -> wmill::Result<wmill::InMemory> {
    wm.register_script("f/examples/etl", |args| async move {
        let ms = args.get("ms").and_then(Value::as_u64).unwrap_or(0);
        let lines: Vec<String> = args
            .get("log_lines")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let log = JobLog::current();
        let pause = Duration::from_millis(ms / lines.len().max(1) as u64);
        for line in &lines {
            tokio::time::sleep(pause).await;
            if let Some(log) = &log {
                log.line(line);
            }
        }
        Ok(json!(ms))
    })?;
    Ok(wm)
}
