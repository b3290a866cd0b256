//! Quickstart: what a Windmill script does most, in Rust, with the Python client's names.
//!
//! Gets a resource and a variable, runs a script asynchronously and synchronously, and keeps
//! state between runs. It uses the Windmill server the environment configures
//! (`BASE_INTERNAL_URL` or `WM_BASE_URL`, `WM_TOKEN`, `WM_WORKSPACE`), and otherwise an
//! embedded, seeded in-memory backend. On a server it creates the variables and the resource it
//! reads when they are missing (the script `f/examples/add`, returning `a + b`, must exist: it
//! says so otherwise), and keeps its state at `u/<you>/quickstart_state` when no state path is
//! configured (outside a job).
//!
//! ```sh
//! cargo run -p wmill-examples --example quickstart
//! ```

#[path = "support/mod.rs"]
mod support;

use std::time::Duration;

use serde_json::json;

#[tokio::main]
async fn main() -> wmill::Result<()> {
    support::install_client(seed)?;

    // Get a resource (interpolated: `$var:` references inside are resolved).
    let db = wmill::get_resource("f/examples/postgres").await?;
    println!(
        "resource f/examples/postgres: host={} port={}",
        db["host"], db["port"]
    );

    // Get a variable.
    let greeting = wmill::get_variable("f/examples/greeting").await?;
    println!("variable f/examples/greeting: {greeting:?}");

    // Run a script asynchronously: get the job id now, wait for it later.
    let job = wmill::run_script_by_path_async("f/examples/add", &json!({"a": 2, "b": 3})).await?;
    println!("started job {job}");
    let sum = wmill::wait_job(job, Some(Duration::from_secs(60))).await?;
    println!("job {job} returned {sum}");

    // Run a script synchronously: start it and wait for its result in one call.
    let sum = wmill::run_script_by_path("f/examples/add", &json!({"a": 40, "b": 2})).await?;
    println!("run_script_by_path returned {sum}");

    // State: `None` on the first run, whatever the previous run stored afterwards.
    let runs: Option<u64> = wmill::get_state_as().await?;
    println!("state before: {runs:?}");
    wmill::set_state(&(runs.unwrap_or(0) + 1)).await?;
    println!("state after: {:?}", wmill::get_state_as::<u64>().await?);
    Ok(())
}

/// What this example reads, for the embedded backend.
fn seed(wm: wmill::InMemory) -> wmill::Result<wmill::InMemory> {
    let wm = wm
        .with_variable("f/examples/greeting", "hello from wmill")?
        .with_variable("f/examples/db_password", "s3cret")?
        .with_resource(
            "f/examples/postgres",
            json!({"host": "localhost", "port": 5432, "password": "$var:f/examples/db_password"}),
            "postgresql",
        )?;
    wm.register_script("f/examples/add", |args| async move {
        let a = args.get("a").and_then(|v| v.as_i64()).unwrap_or(0);
        let b = args.get("b").and_then(|v| v.as_i64()).unwrap_or(0);
        Ok(json!(a + b))
    })?;
    Ok(wm)
}
