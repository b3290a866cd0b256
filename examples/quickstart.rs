//! Quickstart: what a Windmill script does most, in Rust.
//!
//! Gets a resource and a variable, runs a script asynchronously and synchronously, and keeps
//! state between runs. With no Windmill configured it runs against an embedded, seeded
//! in-memory backend and says so.
//!
//! ```sh
//! cargo run -p wmill-examples --example quickstart
//! ```

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use wmill::{
    Backend, InMemory, ItemPath, JobRunner, ResourceStore, RunOptions, StateStoreExt,
    VariableStore, WaitOptions, to_args,
};

#[tokio::main]
async fn main() -> wmill::Result<()> {
    let wm = backend()?;

    // Get a resource (interpolated: `$var:` references inside are resolved).
    let db = wm
        .get_resource(&ItemPath::parse("f/examples/postgres")?)
        .await?;
    println!(
        "resource f/examples/postgres: host={} port={}",
        db["host"], db["port"]
    );

    // Get a variable.
    let greeting = wm
        .get_variable(&ItemPath::parse("f/examples/greeting")?)
        .await?;
    println!("variable f/examples/greeting: {greeting:?}");

    // Run a script asynchronously: get the job id now, wait for it later.
    let script = ItemPath::parse("f/examples/add")?;
    let job = wm
        .run_script_by_path_async(
            &script,
            to_args(&json!({"a": 2, "b": 3}))?,
            &RunOptions::new(),
        )
        .await?;
    println!("started job {job}");
    let sum = wm
        .wait_job(&job, &WaitOptions::new().timeout(Duration::from_secs(30)))
        .await?;
    println!("job {job} returned {sum}");

    // Run a script synchronously: start it and wait for its result in one call.
    let sum = wm
        .run_script_by_path(
            &script,
            to_args(&json!({"a": 40, "b": 2}))?,
            &RunOptions::new(),
        )
        .await?;
    println!("run_script_by_path returned {sum}");

    // State: `None` on the first run, whatever the previous run stored afterwards.
    let runs: Option<u64> = wm.get_state_as().await?;
    println!("state before: {runs:?}");
    wm.set_state_from(&(runs.unwrap_or(0) + 1)).await?;
    println!("state after: {:?}", wm.get_state_as::<u64>().await?);
    Ok(())
}

/// An embedded in-memory backend seeded with what this example reads.
fn backend() -> wmill::Result<Arc<dyn Backend>> {
    println!("No Windmill server configured: using the embedded in-memory backend.");
    let wm = InMemory::new()
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
    Ok(Arc::new(wm))
}
