//! Runs the fake Windmill server, seeded with what the examples read, until stdin closes
//! (`--bare`: with the scripts only and no state path, as a workspace seen from a laptop, so the
//! examples create the items they read and choose a state path).
//!
//! Prints one line of environment assignments for the client
//! (`BASE_INTERNAL_URL=... WM_TOKEN=... WM_WORKSPACE=... WM_STATE_PATH=...`); `scripts/test.sh`
//! uses it to run the examples against a server.

use serde_json::json;
use wmill_tests::fake_windmill::{APPROVAL_FLOW, ECHO, ECHO_FLOW, FAIL, FakeWindmill, SLEEP, SUM};

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let server = rt.block_on(FakeWindmill::start());
    // `--bare`: only the scripts (which cannot be created through the API), so the examples
    // create the variables, resources and files they read.
    let bare = std::env::args().any(|a| a == "--bare");
    // The python_seed example (the Python client's documented example).
    server.alias_script("f/scripts/process_data", ECHO);
    server.alias_script("f/scripts/calculate", ECHO);
    if !bare {
        seed_items(&server);
    }
    server.alias_script("f/examples/add", SUM);
    // The job_states example.
    server.alias_script("f/examples/fail", FAIL);
    server.alias_script("f/examples/sleep_ms", SLEEP);
    // The job_handles example.
    server.alias_script("f/examples/nap", SLEEP);
    server.alias_script("f/examples/boom", FAIL);
    // The job_logs example: a job that writes `log_lines` over `ms` milliseconds.
    server.alias_script("f/examples/etl", SLEEP);
    // The run_options example.
    server.alias_script("f/examples/report", ECHO);
    server.alias_script("f/examples/assistant", ECHO_FLOW);
    server.alias_script("f/examples/slow", SLEEP);
    server.put_flow_version(41, ECHO_FLOW);
    // The approvals example: a flow whose first step asks for an approval.
    server.alias_script("f/examples/approval", APPROVAL_FLOW);
    // The learned_waits example: a 200 ms script.
    server.alias_script("f/examples/steady", SLEEP);
    // Bare: no state path either, as on a laptop outside a job.
    let state = if bare {
        ""
    } else {
        " WM_STATE_PATH=u/examples/state"
    };
    println!(
        "BASE_INTERNAL_URL={} WM_TOKEN={} WM_WORKSPACE={}{state}",
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

/// The variables, resources and files the examples read.
fn seed_items(server: &FakeWindmill) {
    server.put_variable("u/user/api_key", "fake-api-key", true);
    server.put_resource(
        "u/user/db_config",
        json!({"host": "db.fake", "port": 5433}),
        "postgresql",
    );
    server.put_file(None, "path/to/file.txt", b"a file on the fake server");
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
}
