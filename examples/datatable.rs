//! Data tables: parameterized SQL on the workspace's PostgreSQL data table `main`, with typed
//! rows. Python's `wmill.datatable()` in Rust.
//!
//! Needs a Windmill server with a data table `main` (workspace settings, "Data tables"): the
//! environment's (`BASE_INTERNAL_URL` or `WM_BASE_URL`, `WM_TOKEN`, `WM_WORKSPACE`). It creates
//! the table it reads (`wmill_rs_example_friend`) and empties it first, so it can run again.
//! Without a server it says so and exits: the embedded in-memory backend has no SQL.
//!
//! ```sh
//! cargo run -p wmill-examples --example datatable
//! ```

#[path = "support/mod.rs"]
mod support;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Friend {
    name: String,
    age: i64,
}

#[tokio::main]
async fn main() -> wmill::Result<()> {
    if !support::server_configured() {
        println!(
            "No Windmill server configured: data tables need one (the embedded in-memory backend has no SQL)."
        );
        return Ok(());
    }
    wmill::set_client(wmill::Client::from_env()?);
    println!("Using the Windmill server configured in the environment.");

    let db = wmill::datatable("main");
    db.query("CREATE TABLE IF NOT EXISTS wmill_rs_example_friend (name TEXT, age BIGINT)")
        .execute()
        .await?;
    db.query("DELETE FROM wmill_rs_example_friend")
        .execute()
        .await?;

    // Values are bound ($1, $2), never written into the SQL: this name is just a name.
    for (name, age) in [
        ("Robin'); DROP TABLE wmill_rs_example_friend; --", 21),
        ("Ada", 36),
        ("Tom", 12),
    ] {
        db.query("INSERT INTO wmill_rs_example_friend (name, age) VALUES ($1, $2)")
            .bind(name)
            .bind(age)
            .execute()
            .await?;
    }

    // Every row, typed.
    let adults: Vec<Friend> = db
        .query("SELECT name, age FROM wmill_rs_example_friend WHERE age >= $1 ORDER BY age DESC")
        .bind(18)
        .fetch()
        .await?;
    let listed: Vec<String> = adults
        .iter()
        .map(|f| format!("{} ({})", f.name, f.age))
        .collect();
    println!(
        "{} friends aged 18 or more: {}",
        adults.len(),
        listed.join(", ")
    );

    // One row, or None.
    let ada: Option<Friend> = db
        .query("SELECT name, age FROM wmill_rs_example_friend WHERE name = $1")
        .bind("Ada")
        .fetch_one()
        .await?;
    println!("fetch_one: {ada:?}");

    // One value.
    let count: Option<i64> = db
        .query("SELECT count(*) FROM wmill_rs_example_friend")
        .fetch_scalar()
        .await?;
    println!("fetch_scalar: {} friends in all", count.unwrap_or(0));

    // The same from synchronous code (a Windmill Rust script's `main`).
    let young: Option<i64> = tokio::task::spawn_blocking(|| {
        wmill::blocking::datatable("main")
            .query("SELECT count(*) FROM wmill_rs_example_friend WHERE age < $1")
            .bind(18)
            .fetch_scalar()
    })
    .await
    .map_err(|e| wmill::Error::invalid("blocking task", e.to_string()))??;
    println!(
        "blocking fetch_scalar: {} friend(s) under 18",
        young.unwrap_or(0)
    );
    Ok(())
}
