//! Listings as streams: jobs, variables and resources, one page in memory at a time.
//!
//! Starts a few jobs, then lists the jobs of that script page by page (two per request here,
//! to show the paging; the default is 1000), the failed ones, and the variables and resources
//! of a folder. It uses the Windmill server the environment configures (`BASE_INTERNAL_URL` or
//! `WM_BASE_URL`, `WM_TOKEN`, `WM_WORKSPACE`), and otherwise an embedded, seeded in-memory
//! backend.
//!
//! ```sh
//! cargo run -p wmill-examples --example list_jobs
//! ```

#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use futures::TryStreamExt;
use serde_json::json;
use wmill::{ItemPath, JobListStatus, JobQuery, ListResources, ListVariables};

const SCRIPT: &str = "f/examples/add";

#[tokio::main]
async fn main() -> wmill::Result<()> {
    support::install_client(seed)?;

    // Some jobs to list.
    let mut started = BTreeSet::new();
    for i in 0..5 {
        let id = wmill::run_script_by_path_async(SCRIPT, &json!({"a": i, "b": 1})).await?;
        wmill::wait_job(id, Some(Duration::from_secs(60))).await?;
        started.insert(id);
    }

    // Every job of the script, newest first, two per request: a stream, not a Vec.
    let query = JobQuery::new()
        .script_path(ItemPath::parse(SCRIPT)?)
        .page_size(2);
    let mut jobs = wmill::stream_jobs(&query);
    let mut listed = 0;
    while let Some(job) = jobs.try_next().await? {
        listed += 1;
        started.remove(&job.id);
        println!("job {} {:?}", job.id, job.status());
    }
    println!("listed {listed} job(s) of {SCRIPT}, newest first");
    if started.is_empty() {
        println!("the 5 jobs started here are all in the listing");
    } else {
        println!("missing from the listing: {started:?}");
    }

    // Only the failed ones (none here).
    let failed: Vec<_> = wmill::stream_jobs(&query.clone().status(JobListStatus::Failure))
        .try_collect()
        .await?;
    println!("failed jobs of {SCRIPT}: {}", failed.len());

    // Variables and resources of a folder, every page (one item per request here).
    let vars: Vec<_> =
        wmill::stream_variables(&ListVariables::new().path_start("f/examples/").page(1, 1))
            .try_collect()
            .await?;
    println!(
        "variables under f/examples/: {}",
        vars.iter()
            .map(|v| v.path.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let pg: Vec<_> = wmill::stream_resources(&ListResources::new().resource_type("postgresql"))
        .try_collect()
        .await?;
    println!("postgresql resources: {}", pg.len());
    Ok(())
}

/// What this example reads, for the embedded backend.
fn seed(wm: wmill::InMemory) -> wmill::Result<wmill::InMemory> {
    let wm = wm
        .with_variable("f/examples/greeting", "hello from wmill")?
        .with_variable("f/examples/greeting_template", "Hello, {user}!")?
        .with_resource(
            "f/examples/postgres",
            json!({"host": "localhost"}),
            "postgresql",
        )?;
    wm.register_script(SCRIPT, |args| async move {
        let a = args.get("a").and_then(|v| v.as_i64()).unwrap_or(0);
        let b = args.get("b").and_then(|v| v.as_i64()).unwrap_or(0);
        Ok(json!(a + b))
    })?;
    Ok(wm)
}
