//! Runs the fake Windmill server, seeded with what the examples read, until stdin closes.
//!
//! Prints one line of environment assignments for the client
//! (`BASE_INTERNAL_URL=... WM_TOKEN=... WM_WORKSPACE=... WM_STATE_PATH=...`); `scripts/test.sh`
//! uses it to run the examples against a server.

use serde_json::json;
use wmill_tests::fake_windmill::{FAIL, FakeWindmill, SLEEP, SUM};

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let server = rt.block_on(FakeWindmill::start());
    server.put_variable("f/examples/greeting", "hello from the fake server", false);
    server.put_variable("f/examples/db_password", "fake-s3cret", true);
    server.put_variable(
        "f/examples/greeting_template",
        "Hello from the server, {user}!",
        false,
    );
    server.put_resource(
        "f/examples/postgres",
        json!({"host": "db.fake", "port": 5433, "password": "$var:f/examples/db_password"}),
        "postgresql",
    );
    server.alias_script("f/examples/add", SUM);
    // The job_states example.
    server.alias_script("f/examples/fail", FAIL);
    server.alias_script("f/examples/sleep_ms", SLEEP);
    // The job_logs example: a job that writes `log_lines` over `ms` milliseconds.
    server.alias_script("f/examples/etl", SLEEP);
    println!(
        "BASE_INTERNAL_URL={} WM_TOKEN={} WM_WORKSPACE={} WM_STATE_PATH=u/examples/state",
        server.base_url(),
        server.token().unwrap_or("none"),
        server.workspace()
    );
    let mut line = String::new();
    while std::io::stdin()
        .read_line(&mut line)
        .map(|n| n > 0)
        .unwrap_or(false)
    {
        line.clear();
    }
    drop(server);
}
