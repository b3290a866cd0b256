//! Checks of run options as each endpoint takes them.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{Error, JobRunner, RunOptions, WaitOptions, to_args};

use super::fixtures::{ECHO, ECHO_FLOW, Fixture, path, start, try_start};

/// Run options: the options an endpoint takes run the job; one it does not take is
/// [`Error::InvalidInput`] (`"run option"`), before any job starts.
pub async fn run_options(runner: &dyn JobRunner) {
    let args = to_args(&json!({"o": 1})).unwrap();
    let echoed = Value::Object(args.clone());
    let skip = RunOptions::new().skip_preprocessor(true);
    let out = runner
        .run_script_by_path(&path(ECHO), args.clone(), &skip)
        .await
        .expect("run_script_by_path with skip_preprocessor");
    assert_eq!(out, echoed, "skip_preprocessor runs the script");
    let out = runner
        .run_flow(&path(ECHO_FLOW), args.clone(), &skip)
        .await
        .expect("run_flow with skip_preprocessor");
    assert_eq!(out, echoed, "skip_preprocessor runs the flow");
    // A time already passed starts the job now.
    let past = std::time::SystemTime::now() - Duration::from_secs(60);
    let past_and_hidden = RunOptions::new()
        .scheduled_for(past)
        .invisible_to_owner(true);
    let id = start(runner, Fixture::Script(ECHO), &args, &past_and_hidden).await;
    assert_eq!(
        runner.wait_job(&id, &WaitOptions::new()).await.unwrap(),
        echoed
    );

    let retry = crate::RetryPolicy::constant(1, Duration::from_secs(1));
    let refused = [
        (
            "memory_id on a script",
            Fixture::Script(ECHO),
            RunOptions::new().memory_id("m"),
        ),
        (
            "queue_limit on an asynchronous start",
            Fixture::Script(ECHO),
            RunOptions::new().queue_limit(5),
        ),
        (
            "cache_ttl on a flow",
            Fixture::Flow(ECHO_FLOW),
            RunOptions::new().cache_ttl(Duration::from_secs(5)),
        ),
        (
            "retry on a flow",
            Fixture::Flow(ECHO_FLOW),
            RunOptions::new().retry(retry),
        ),
    ];
    for (what, fixture, options) in refused {
        match try_start(runner, fixture, &args, &options).await {
            Err(Error::InvalidInput {
                what: "run option", ..
            }) => {}
            other => panic!("{what}: expected InvalidInput(run option), got {other:?}"),
        }
    }
}
