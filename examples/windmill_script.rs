//! A Rust script as Windmill runs it: a synchronous `main` with typed arguments, using the
//! blocking API. In Windmill you would paste the `main` below (renamed from `script_main`)
//! with a dependency block:
//!
//! ```text
//! //! ```cargo
//! //! [dependencies]
//! //! wmill = "0.1"
//! //! serde_json = "1"
//! //! ```
//! ```
//!
//! Run locally, it uses the configured server or an embedded backend. On a server it creates
//! the variable it reads when missing, and keeps its state at `u/<you>/windmill_script_state`
//! when no state path is configured (outside a job):
//!
//! ```sh
//! cargo run -p wmill-examples --example windmill_script
//! ```

#[path = "support/mod.rs"]
mod support;

use serde_json::{Map, Value, json};

/// The script: count visits per user in the script's state, greet with a variable's template.
fn script_main(user: String, times: u32) -> wmill::Result<Value> {
    let template = wmill::blocking::get_variable("f/examples/greeting_template")?;
    // The state is whatever the previous run stored: None on the first run.
    let mut visits: Map<String, Value> = match wmill::blocking::get_state()? {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let count = visits.get(&user).and_then(Value::as_u64).unwrap_or(0) + u64::from(times);
    visits.insert(user.clone(), json!(count));
    wmill::blocking::set_state(&visits)?;
    // Progress that whoever watches the job sees while it runs (the worker reads these
    // `WM_STREAM:` lines from standard output).
    wmill::blocking::append_to_result_stream(&format!("counted {times} visit(s) for {user}"))?;
    Ok(json!({
        "message": template.replace("{user}", &user),
        "visits": count,
    }))
}

fn main() -> wmill::Result<()> {
    support::install_client(|wm| {
        wm.with_variable("f/examples/greeting_template", "Welcome back, {user}!")
    })?;
    let first = script_main("ada".into(), 1)?;
    let second = script_main("ada".into(), 2)?;
    println!("first run:  {first}");
    println!("second run: {second}");
    assert_eq!(
        second["visits"].as_u64(),
        first["visits"].as_u64().map(|n| n + 2),
        "the state carried the count from the first run to the second"
    );
    Ok(())
}
