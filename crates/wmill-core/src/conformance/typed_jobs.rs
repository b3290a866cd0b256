//! Checks of the typed [`Job`](crate::Job) a backend answers.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{
    ItemKind, Job, JobId, JobKind, JobRunner, JobState, JobStatus, RunOptions, ScriptHash, to_args,
};

use super::fixtures::{
    ECHO, ECHO_FLOW, ECHO_HASH, Fixture, SLEEP, expect_not_found, run_failing, run_to_end, start,
};

/// The typed job (`get_job`): state, kind, script path or hash, parent job, timestamps and
/// result; a canceled job (with its reason) is told from a failed one; a scheduled job says
/// when it starts; an unknown job is `NotFound`.
pub async fn typed_jobs(runner: &dyn JobRunner) {
    let opts = RunOptions::new();
    let args = to_args(&json!({"typed": true, "n": 2})).unwrap();

    // Success, with what it ran and what started it.
    let parent = JobId::new_random();
    let with_parent = RunOptions::new().parent_job(parent);
    let id = run_to_end(runner, Fixture::Script(ECHO), &args, &with_parent).await;
    let job = runner
        .get_job(&id)
        .await
        .expect("get_job of a completed job");
    assert_eq!(job.id, id, "get_job returns the job asked for");
    assert_eq!(job.state, JobState::Success, "a successful job: {job:?}");
    assert_eq!(job.kind, JobKind::Script, "a script by path is kind script");
    assert_eq!(
        job.script_path.as_deref(),
        Some(ECHO),
        "the job names its script"
    );
    assert_eq!(job.parent_job, Some(parent), "the job names its parent");
    assert_eq!(
        job.result(),
        Some(&Value::Object(args.clone())),
        "the result of a completed job"
    );
    assert!(job.created_at.is_some(), "a job has a creation time");
    assert!(job.is_completed());
    assert_eq!(
        job.status(),
        runner.get_job_status(&id).await.unwrap(),
        "get_job_status agrees with get_job"
    );

    // By hash, and a flow.
    let id = run_to_end(runner, Fixture::Hash(ECHO_HASH), &args, &opts).await;
    let job = runner.get_job(&id).await.unwrap();
    assert_eq!(
        job.script_hash.as_ref(),
        Some(&ScriptHash::parse(ECHO_HASH).unwrap()),
        "a job by hash names its hash"
    );
    assert_eq!(job.state, JobState::Success);
    let id = run_to_end(runner, Fixture::Flow(ECHO_FLOW), &args, &opts).await;
    let job = runner.get_job(&id).await.unwrap();
    assert!(
        job.kind.is_flow(),
        "a flow is a flow kind, got {}",
        job.kind
    );
    assert_eq!(job.script_path.as_deref(), Some(ECHO_FLOW));
    assert_eq!(job.state, JobState::Success);

    // Failure, with the job's error.
    let (id, _) = run_failing(runner, "typed").await;
    let job = runner.get_job(&id).await.unwrap();
    assert_eq!(job.state, JobState::Failure, "a failed job: {job:?}");
    assert_eq!(
        job.error().map(|e| &e["message"]),
        Some(&json!("typed")),
        "the job's error"
    );

    // Running, then canceled: canceled with the reason, not failed.
    let id = start(runner, Fixture::Script(SLEEP), json!({"ms": 30_000}), &opts).await;
    let job = eventually(runner, &id, |j| j.state != JobState::Queued).await;
    assert_eq!(
        job.state,
        JobState::Running,
        "a started job is running: {job:?}"
    );
    assert!(job.started_at.is_some(), "a running job has a start time");
    let reason = "conformance: typed cancel";
    runner.cancel_job(&id, Some(reason.into())).await.unwrap();
    let job = eventually(runner, &id, Job::is_completed).await;
    match &job.state {
        JobState::Canceled {
            reason: Some(r), ..
        } => {
            assert!(r.contains(reason), "the cancel reason is kept: {r:?}")
        }
        other => panic!("a canceled job must be Canceled with its reason, got {other:?}"),
    }
    assert_eq!(job.status(), JobStatus::Completed { success: false });

    // Scheduled for later: it says when; canceled before it starts.
    let later = RunOptions::new().scheduled_in(Duration::from_secs(3600));
    let id = start(runner, Fixture::Script(ECHO), &args, &later).await;
    let job = runner.get_job(&id).await.unwrap();
    match (&job.state, &job.created_at) {
        (JobState::Scheduled { at }, Some(created)) => {
            let ahead = at.duration_since(created).unwrap_or_default();
            assert!(
                ahead >= Duration::from_secs(3500),
                "scheduled an hour ahead, got {ahead:?}"
            );
        }
        other => panic!("a job scheduled for later is Scheduled, got {other:?}"),
    }
    assert_eq!(job.status(), JobStatus::Waiting);
    runner.cancel_job(&id, Some(reason.into())).await.unwrap();
    let job = eventually(runner, &id, Job::is_completed).await;
    assert!(
        matches!(job.state, JobState::Canceled { .. }),
        "a scheduled job canceled is Canceled, got {:?}",
        job.state
    );

    expect_not_found(
        runner.get_job(&JobId::new_random()).await,
        ItemKind::Job,
        "get_job of an unknown job",
    );
}

/// Reads the job until `done` holds (at most 10 s); returns the last read.
async fn eventually(runner: &dyn JobRunner, id: &JobId, done: impl Fn(&Job) -> bool) -> Job {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let job = runner.get_job(id).await.expect("get_job");
        if done(&job) || Instant::now() > deadline {
            return job;
        }
        crate::timer::sleep(Duration::from_millis(20)).await;
    }
}
