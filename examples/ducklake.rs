//! DuckLake: parameterized DuckDB SQL on the workspace's lake `main`, with named and positional
//! arguments, and `read` of a lake table. Python's `wmill.ducklake()` in Rust.
//!
//! Needs a Windmill server with a DuckLake `main` (workspace settings, "Object storage"): the
//! environment's (`BASE_INTERNAL_URL` or `WM_BASE_URL`, `WM_TOKEN`, `WM_WORKSPACE`). It creates
//! the table it reads (`wmill_rs_example_events`) and empties it first, so it can run again.
//! Without a server it says so and exits: the embedded in-memory backend has no SQL.
//!
//! ```sh
//! cargo run -p wmill-examples --example ducklake
//! ```

#[path = "support/mod.rs"]
mod support;

use serde_json::Value;

#[tokio::main]
async fn main() -> wmill::Result<()> {
    if !support::server_configured() {
        println!(
            "No Windmill server configured: DuckLake needs one (the embedded in-memory backend has no SQL)."
        );
        return Ok(());
    }
    wmill::set_client(wmill::Client::from_env()?);
    println!("Using the Windmill server configured in the environment.");

    let lake = wmill::ducklake("main");
    lake.query("CREATE TABLE IF NOT EXISTS wmill_rs_example_events (id BIGINT, kind TEXT)")
        .execute()
        .await?;
    lake.query("DELETE FROM wmill_rs_example_events")
        .execute()
        .await?;

    // DuckDB's named arguments ($id, $kind), as Python's `query(sql, id=..., kind=...)`.
    for (id, kind) in [(1, "signup"), (2, "login"), (3, "login")] {
        lake.query("INSERT INTO wmill_rs_example_events VALUES ($id, $kind)")
            .bind_named("id", id)
            .bind_named("kind", kind)
            .execute()
            .await?;
    }

    // Positional arguments are $arg1, $arg2, ...
    let logins: Option<i64> = lake
        .query("SELECT count(*) FROM wmill_rs_example_events WHERE kind = $arg1")
        .bind("login")
        .fetch_scalar()
        .await?;
    println!("{} login event(s)", logins.unwrap_or(0));

    // A whole lake table.
    let events: Vec<Value> = lake.read("wmill_rs_example_events", None).fetch().await?;
    println!("read: {} event(s) in wmill_rs_example_events", events.len());
    Ok(())
}
