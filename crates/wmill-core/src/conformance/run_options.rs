//! Checks of run options as each endpoint takes them.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{Error, JobRunner, RunOptions, WaitOptions, to_args};

use super::fixtures::{ECHO, ECHO_FLOW, path};

/// Run options: the options an endpoint takes run the job; one it does not take is
/// [`Error::InvalidInput`] (`"run option"`), before any job starts.
pub async fn run_options(runner: &dyn JobRunner) {
    let args = to_args(&json!({"o": 1})).unwrap();
    let echoed = Value::Object(args.clone());
    let out = runner
        .run_script_by_path(
            &path(ECHO),
            args.clone(),
            &RunOptions::new().skip_preprocessor(true),
        )
        .await
        .expect("run_script_by_path with skip_preprocessor");
    assert_eq!(out, echoed, "skip_preprocessor runs the script");
    let out = runner
        .run_flow(
            &path(ECHO_FLOW),
            args.clone(),
            &RunOptions::new().skip_preprocessor(true),
        )
        .await
        .expect("run_flow with skip_preprocessor");
    assert_eq!(out, echoed, "skip_preprocessor runs the flow");
    // A time already passed starts the job now.
    let past = std::time::SystemTime::now() - Duration::from_secs(60);
    let id = runner
        .run_script_by_path_async(
            &path(ECHO),
            args.clone(),
            &RunOptions::new()
                .scheduled_for(past)
                .invisible_to_owner(true),
        )
        .await
        .expect("run_script_by_path_async with scheduled_for and invisible_to_owner");
    assert_eq!(
        runner.wait_job(&id, &WaitOptions::new()).await.unwrap(),
        echoed
    );

    let refused = [
        (
            "memory_id on a script",
            runner
                .run_script_by_path_async(
                    &path(ECHO),
                    args.clone(),
                    &RunOptions::new().memory_id("m"),
                )
                .await,
        ),
        (
            "queue_limit on an asynchronous start",
            runner
                .run_script_by_path_async(
                    &path(ECHO),
                    args.clone(),
                    &RunOptions::new().queue_limit(5),
                )
                .await,
        ),
        (
            "cache_ttl on a flow",
            runner
                .run_flow_async(
                    &path(ECHO_FLOW),
                    args.clone(),
                    &RunOptions::new().cache_ttl(Duration::from_secs(5)),
                )
                .await,
        ),
        (
            "retry on a flow",
            runner
                .run_flow_async(
                    &path(ECHO_FLOW),
                    args.clone(),
                    &RunOptions::new()
                        .retry(crate::RetryPolicy::constant(1, Duration::from_secs(1))),
                )
                .await,
        ),
    ];
    for (what, result) in refused {
        match result {
            Err(Error::InvalidInput {
                what: "run option", ..
            }) => {}
            other => panic!("{what}: expected InvalidInput(run option), got {other:?}"),
        }
    }
}
