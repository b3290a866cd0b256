//! Checks of running, waiting, results, status and cancel, alone and concurrently.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    Backend, Error, ItemKind, ItemPath, JobId, JobRunner, JobRunnerExt, JobStatus, RunOptions,
    ScriptHash, SetVariableOptions, WaitOptions, to_args,
};

use super::fixtures::{
    ECHO, ECHO_FLOW, ECHO_HASH, FAIL, Fixture, SLEEP, expect_not_found, path, run_failing, start,
    try_start, unique,
};

/// Jobs: run and wait, async + wait, result, status, failure, timeout, cancel, missing items.
pub async fn jobs(runner: &dyn JobRunner) {
    let opts = RunOptions::new();
    let args = to_args(&json!({"a": 1, "s": "x", "nested": {"b": [true, null]}})).unwrap();

    // Synchronous runs return the result.
    let out = runner
        .run_script_by_path(&path(ECHO), args.clone(), &opts)
        .await
        .expect("run_script_by_path(echo)");
    assert_eq!(out, Value::Object(args.clone()), "echo returns its args");
    let out = runner
        .run_script_by_hash(&ScriptHash::parse(ECHO_HASH).unwrap(), args.clone(), &opts)
        .await
        .expect("run_script_by_hash(echo)");
    assert_eq!(out, Value::Object(args.clone()));
    let out = runner
        .run_flow(&path(ECHO_FLOW), args.clone(), &opts)
        .await
        .expect("run_flow(echo_flow)");
    assert_eq!(out, Value::Object(args.clone()));

    // Typed helpers.
    #[derive(Deserialize, Debug, PartialEq)]
    struct Echo {
        a: i64,
    }
    let typed: Echo = runner
        .run_script_by_path_as(&path(ECHO), &json!({"a": 7}), &opts)
        .await
        .unwrap();
    assert_eq!(typed, Echo { a: 7 });

    // Async start, then wait, result and status.
    let id = start(runner, Fixture::Script(ECHO), &args, &opts).await;
    let waited = runner.wait_job(&id, &WaitOptions::new()).await.unwrap();
    assert_eq!(waited, Value::Object(args.clone()));
    assert_eq!(
        runner.get_result(&id).await.unwrap(),
        Value::Object(args.clone())
    );
    assert_eq!(
        runner.get_job_status(&id).await.unwrap(),
        JobStatus::Completed { success: true }
    );
    let flow_id = start(runner, Fixture::Flow(ECHO_FLOW), &args, &opts).await;
    assert_ne!(flow_id, id, "job ids are unique");
    assert_eq!(
        runner
            .wait_job(&flow_id, &WaitOptions::new())
            .await
            .unwrap(),
        Value::Object(args.clone())
    );

    // Failure is typed and carries the job's error value.
    let failed = runner
        .run_script_by_path(
            &path(FAIL),
            to_args(&json!({"message": "boom"})).unwrap(),
            &opts,
        )
        .await;
    match failed {
        Err(Error::JobFailed { error, .. }) => {
            assert_eq!(
                error["message"], "boom",
                "JobFailed carries the error value: {error}"
            );
            assert_eq!(error["name"], "ConformanceError");
        }
        other => panic!("a failing job must be JobFailed, got {other:?}"),
    }
    let (fid, waited) = run_failing(runner, "bad").await;
    assert!(matches!(
        waited,
        Err(Error::JobFailed { job_id, .. }) if job_id == fid
    ));
    assert_eq!(
        runner.get_job_status(&fid).await.unwrap(),
        JobStatus::Completed { success: false }
    );
    let as_data = runner.get_result(&fid).await.unwrap();
    assert_eq!(
        as_data["error"]["message"], "bad",
        "get_result returns a failed job's error as data: {as_data}"
    );

    // A timeout returns promptly and cancels the job.
    let sleeper = start(runner, Fixture::Script(SLEEP), json!({"ms": 30_000}), &opts).await;
    let started = Instant::now();
    let timed_out = runner
        .wait_job(
            &sleeper,
            &WaitOptions::new()
                .timeout(Duration::from_millis(200))
                .cancel_on_timeout(true),
        )
        .await;
    assert!(
        matches!(timed_out, Err(Error::Timeout { job_id: Some(j), .. }) if j == sleeper),
        "a wait past its timeout is Timeout, got {timed_out:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the timeout must end the wait long before the job would end ({:?})",
        started.elapsed()
    );
    let status = eventually_completed(runner, &sleeper).await;
    assert_eq!(
        status,
        JobStatus::Completed { success: false },
        "a job canceled on timeout ends unsuccessful"
    );

    // A sync run with a timeout.
    let sync_timeout = runner
        .run_script_by_path(
            &path(SLEEP),
            to_args(&json!({"ms": 30_000})).unwrap(),
            &RunOptions::new().timeout(Duration::from_millis(200)),
        )
        .await;
    assert!(
        matches!(sync_timeout, Err(Error::Timeout { .. })),
        "run_script_by_path honours the timeout, got {sync_timeout:?}"
    );

    // Explicit cancel.
    let victim = start(runner, Fixture::Script(SLEEP), json!({"ms": 30_000}), &opts).await;
    runner
        .cancel_job(&victim, Some("conformance".into()))
        .await
        .unwrap();
    match runner
        .wait_job(
            &victim,
            &WaitOptions::new().timeout(Duration::from_secs(20)),
        )
        .await
    {
        Err(Error::JobFailed { .. }) => {}
        other => panic!("waiting for a canceled job must be JobFailed, got {other:?}"),
    }

    // A short sleep completes within the timeout.
    let quick = runner
        .run_script_by_path(
            &path(SLEEP),
            to_args(&json!({"ms": 20})).unwrap(),
            &RunOptions::new().timeout(Duration::from_secs(20)),
        )
        .await
        .unwrap();
    assert_eq!(quick, json!(20));

    // Caller-chosen ids are used, and a second start with the same id is refused.
    let chosen = JobId::new_random();
    let with_id = RunOptions::new().job_id(chosen);
    let got = start(runner, Fixture::Script(ECHO), &args, &with_id).await;
    assert_eq!(got, chosen, "a caller-chosen job id is the job's id");
    let again = try_start(runner, Fixture::Script(ECHO), &args, &with_id).await;
    assert!(
        matches!(
            again,
            Err(Error::AlreadyExists {
                kind: ItemKind::Job,
                ..
            })
        ),
        "a repeated job id is AlreadyExists, got {again:?}"
    );

    // Missing things.
    let (script, flow) = (unique("no_such_script"), unique("no_such_flow"));
    for (missing, kind) in [
        (Fixture::Script(script.as_str()), ItemKind::Script),
        (Fixture::Flow(flow.as_str()), ItemKind::Flow),
    ] {
        let started = try_start(runner, missing, &args, &opts).await;
        expect_not_found(started, kind, &format!("running a missing {kind}"));
    }
    let unknown = JobId::new_random();
    expect_not_found(
        runner.get_job_status(&unknown).await,
        ItemKind::Job,
        "status of an unknown job",
    );
    expect_not_found(
        runner.get_result(&unknown).await,
        ItemKind::Job,
        "result of an unknown job",
    );
}

async fn eventually_completed(runner: &dyn JobRunner, id: &JobId) -> JobStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = runner.get_job_status(id).await.unwrap();
        if status.is_completed() || Instant::now() > deadline {
            return status;
        }
        crate::timer::sleep(Duration::from_millis(20)).await;
    }
}

/// 64 concurrent callers mixing variable, state and job calls: every call succeeds and no
/// result is mixed up with another's.
pub async fn concurrency(backend: &dyn Backend) {
    let base = unique("conc");
    let calls = (0..64u32).map(|i| {
        let base = base.clone();
        async move {
            let p = ItemPath::parse(format!("{base}_{i}")).unwrap();
            backend
                .set_variable(&p, &format!("value-{i}"), &SetVariableOptions::new())
                .await
                .unwrap();
            let sp = ItemPath::parse(format!("{base}_state_{i}")).unwrap();
            backend.set_state_at(&sp, &json!({"i": i})).await.unwrap();
            let out = backend
                .run_script_by_path(
                    &path(ECHO),
                    to_args(&json!({"i": i})).unwrap(),
                    &RunOptions::new(),
                )
                .await
                .unwrap();
            let v = backend.get_variable(&p).await.unwrap();
            let s = backend.get_state_at(&sp).await.unwrap();
            backend.delete_variable(&p).await.unwrap();
            (i, v, s, out)
        }
    });
    for (i, v, s, out) in futures_util::future::join_all(calls).await {
        assert_eq!(v, format!("value-{i}"), "variable of caller {i}");
        assert_eq!(s, Some(json!({"i": i})), "state of caller {i}");
        assert_eq!(out, json!({"i": i}), "job result of caller {i}");
    }
}
