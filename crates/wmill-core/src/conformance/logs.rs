//! Checks of job logs.

use serde_json::json;

use crate::{Error, ItemKind, JobId, JobRunner, JobRunnerExt, RunOptions, WaitOptions, to_args};

use super::fixtures::{ECHO, ECHO_FLOW, Fixture, SLEEP, expect_not_found, path, run_to_end, start};

/// Job logs: the whole log, incremental reads and the followed log agree, a followed log ends
/// with its job, a wait that forwards the log returns the same result, and an unknown job is
/// `NotFound`. What a fixture writes to its log is the backend's business. A backend that
/// implements none of the log methods (their default bodies answer
/// [`Error::Unsupported`]) is skipped; one that implements some must implement all.
pub async fn logs(runner: &dyn JobRunner) {
    use futures_util::{StreamExt, TryStreamExt};

    let opts = RunOptions::new();
    let id = run_to_end(runner, Fixture::Script(ECHO), json!({"x": 1}), &opts).await;
    let whole = match runner.get_job_logs(&id).await {
        Err(Error::Unsupported { .. }) => {
            let unsupported = |r: Result<(), Error>| matches!(r, Err(Error::Unsupported { .. }));
            assert!(
                unsupported(runner.get_log_update(&id, 0).await.map(drop)),
                "get_log_update is implemented but get_job_logs is not"
            );
            assert!(
                unsupported(runner.get_flow_all_logs(&id).await.map(drop)),
                "get_flow_all_logs is implemented but get_job_logs is not"
            );
            let first = runner.job_logs(&id).next().await;
            assert!(
                unsupported(first.expect("one item").map(drop)),
                "job_logs is implemented but get_job_logs is not"
            );
            return;
        }
        other => other.expect("get_job_logs of a completed job"),
    };

    // Incremental reads: from the start, the whole log and `completed`; from the offset
    // returned, nothing more.
    let update = runner.get_log_update(&id, 0).await.expect("get_log_update");
    assert!(update.completed, "a completed job's update says completed");
    assert_eq!(
        update.new_logs, whole,
        "reading from offset 0 gives the whole log"
    );
    let again = runner
        .get_log_update(&id, update.next_offset)
        .await
        .expect("get_log_update from the returned offset");
    assert_eq!(again.new_logs, "", "nothing after the returned offset");

    // The followed log of a completed job: the whole log, then the end.
    let followed: String = runner
        .job_logs(&id)
        .map_ok(|c| c.text)
        .try_collect()
        .await
        .expect("job_logs of a completed job");
    assert_eq!(followed, whole, "the followed log is the whole log");

    // A followed log of a running job ends once the job completed.
    let sleeping = start(runner, Fixture::Script(SLEEP), json!({"ms": 300}), &opts).await;
    let chunks: Vec<crate::LogChunk> = runner
        .job_logs(&sleeping)
        .try_collect()
        .await
        .expect("job_logs of a running job");
    assert!(
        chunks.iter().all(|c| !c.text.is_empty()),
        "chunks are never empty"
    );
    assert!(
        runner
            .get_job_status(&sleeping)
            .await
            .unwrap()
            .is_completed(),
        "a followed log ends after its job completed"
    );

    // Forwarding the log does not change the wait.
    let forward = crate::LogForward::callback(|_, _| {});
    let out = runner
        .run_script_by_path(
            &path(ECHO),
            to_args(&json!({"y": 2})).unwrap(),
            &RunOptions::new().wait(WaitOptions::new().logs(forward)),
        )
        .await
        .expect("a run that forwards its log");
    assert_eq!(out, json!({"y": 2}));

    // Flows.
    let flow = run_to_end(runner, Fixture::Flow(ECHO_FLOW), json!({}), &opts).await;
    let all = runner
        .get_flow_all_logs(&flow)
        .await
        .expect("get_flow_all_logs");
    assert!(
        all.contains(&flow.to_string()),
        "the flow's logs name its job: {all:?}"
    );

    // Unknown jobs.
    let unknown = JobId::new_random();
    expect_not_found(
        runner.get_job_logs(&unknown).await.map(drop),
        ItemKind::Job,
        "get_job_logs of an unknown job",
    );
    expect_not_found(
        runner.get_log_update(&unknown, 0).await.map(drop),
        ItemKind::Job,
        "get_log_update of an unknown job",
    );
    let items: Vec<_> = runner.job_logs(&unknown).collect().await;
    assert_eq!(
        items.len(),
        1,
        "job_logs of an unknown job: one error, then the end"
    );
    expect_not_found(
        items.into_iter().next().unwrap().map(drop),
        ItemKind::Job,
        "job_logs of an unknown job",
    );
}
