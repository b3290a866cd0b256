//! Job handles, cancel-on-drop guards, the `cancel_on_drop` wait option and batches, on the
//! in-memory backend (and a mock for the guards' calls).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::{Stream, StreamExt};
use serde_json::{Value, json};
use wmill_core::{
    BatchJob, BatchOptions, CANCEL_ON_DROP_REASON, CancelOnDrop, Error, InMemory, ItemPath,
    JobHandle, JobId, JobRunner, JobStatus, MockJobRunner, RunOptions, Runnable, StartJobs,
    WaitOptions, run_batch, run_batch_on, to_args,
};

fn p(s: &str) -> ItemPath {
    ItemPath::parse(s).unwrap()
}

/// A backend with `f/t/echo` (returns its args), `f/t/forever` (never ends), `f/t/sleep`
/// (sleeps `ms`, returns `ms`) and `f/t/fail` (fails).
fn backend() -> InMemory {
    let wm = InMemory::new();
    wm.register_script("f/t/echo", |args| async move { Ok(Value::Object(args)) })
        .unwrap();
    wm.register_script("f/t/forever", |_| async move {
        futures::future::pending::<()>().await;
        Ok(json!(null))
    })
    .unwrap();
    wm.register_script("f/t/sleep", |args| async move {
        let ms = args["ms"].as_u64().unwrap_or(0);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        Ok(json!(ms))
    })
    .unwrap();
    wm.register_script("f/t/fail", |_| async move {
        Err(json!({"name": "Boom", "message": "failed on purpose"}))
    })
    .unwrap();
    wm.register_script("f/t/fail_later", |_| async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Err(json!({"name": "Boom", "message": "failed later"}))
    })
    .unwrap();
    wm
}

/// The cancel reason recorded on a canceled in-memory job.
async fn cancel_reason(wm: &InMemory, id: JobId) -> Option<String> {
    match wm
        .wait_job(&id, &WaitOptions::new().timeout(Duration::from_secs(5)))
        .await
    {
        Err(Error::JobFailed { error, .. }) if error["name"] == "Canceled" => {
            error["reason"].as_str().map(str::to_owned)
        }
        _ => None,
    }
}

async fn start_forever(wm: &InMemory) -> JobId {
    wm.run_script_by_path_async(&p("f/t/forever"), Default::default(), &RunOptions::new())
        .await
        .unwrap()
}

// ------------------------------------------------------------------------------- handles

#[tokio::test]
async fn a_handle_reads_status_result_and_waits() {
    let wm = backend();
    let job = wm
        .start_script_by_path(&p("f/t/echo"), &json!({"x": 1}), &RunOptions::new())
        .await
        .unwrap();
    assert_eq!(wm.started_jobs()[0].id, job.id());
    assert_eq!(
        job.wait(&WaitOptions::new()).await.unwrap(),
        json!({"x": 1})
    );
    assert_eq!(
        job.status().await.unwrap(),
        JobStatus::Completed { success: true }
    );
    assert_eq!(job.result().await.unwrap(), json!({"x": 1}));
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct X {
        x: i64,
    }
    assert_eq!(job.result_as::<X>().await.unwrap(), X { x: 1 });
    assert_eq!(
        job.wait_as::<X>(&WaitOptions::new()).await.unwrap(),
        X { x: 1 }
    );
    assert!(job.wait_as::<String>(&WaitOptions::new()).await.is_err());
    // The same job through a handle made from its id, and through a clone.
    let again = wm.job_handle(job.id());
    assert_eq!(again.result().await.unwrap(), json!({"x": 1}));
    assert_eq!(job.clone().id(), job.id());
    let debug = format!("{job:?}");
    assert!(
        debug.starts_with(&format!(
            "JobHandle {{ id: {:?}, runner: InMemory",
            job.id()
        )),
        "{debug}"
    );
}

#[tokio::test]
async fn handles_by_hash_and_flow_and_bad_args() {
    let wm = backend();
    wm.register_script_hash("00000000c0ffee01", |a| async move { Ok(json!(a.len())) })
        .unwrap();
    wm.register_flow("f/t/flow", |_| async move { Ok(json!("flowed")) })
        .unwrap();
    let by_hash = wm
        .start_script_by_hash(
            &wmill_core::ScriptHash::parse("00000000c0ffee01").unwrap(),
            &json!({"a": 1, "b": 2}),
            &RunOptions::new(),
        )
        .await
        .unwrap();
    assert_eq!(by_hash.wait(&WaitOptions::new()).await.unwrap(), json!(2));
    let flow = wm
        .start_flow(&p("f/t/flow"), &json!({}), &RunOptions::new())
        .await
        .unwrap();
    assert_eq!(flow.wait(&WaitOptions::new()).await.unwrap(), "flowed");
    let v = wmill_core::FlowVersion::new(3);
    wm.register_flow_version(v, |_| async move { Ok(json!("v3")) });
    let by_version = wm
        .start_flow_by_version(v, &json!({}), &RunOptions::new())
        .await
        .unwrap();
    assert_eq!(by_version.wait(&WaitOptions::new()).await.unwrap(), "v3");
    // Arguments that are not an object: InvalidInput, nothing started.
    let before = wm.started_jobs().len();
    let err = wm
        .start_script_by_path(&p("f/t/echo"), &json!([1]), &RunOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    assert_eq!(wm.started_jobs().len(), before);
    // A missing script.
    let err = wm
        .start_script_by_path(&p("f/t/missing"), &json!({}), &RunOptions::new())
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn a_handle_cancels_with_its_reason() {
    let wm = backend();
    let job = wm
        .start_script_by_path(&p("f/t/forever"), &json!({}), &RunOptions::new())
        .await
        .unwrap();
    assert_eq!(job.status().await.unwrap(), JobStatus::Running);
    assert!(job.result().await.unwrap_err().is_not_found());
    job.cancel("not needed").await.unwrap();
    assert_eq!(
        cancel_reason(&wm, job.id()).await.as_deref(),
        Some("not needed")
    );
    // A second cancel: the job completed already.
    assert!(job.cancel("again").await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn a_dropped_guard_cancels_and_a_disarmed_one_does_not() {
    let wm = backend();
    let job = wm.job_handle(start_forever(&wm).await);
    let id = job.id();
    let guard = job.cancel_on_drop("caller gone");
    assert!(guard.is_armed());
    assert_eq!(guard.id(), id);
    assert!(format!("{guard:?}").contains("caller gone"));
    drop(guard);
    assert_eq!(cancel_reason(&wm, id).await.as_deref(), Some("caller gone"));

    let job = wm.job_handle(start_forever(&wm).await);
    let handle = job.cancel_on_drop("never sent").disarm();
    assert_eq!(handle.status().await.unwrap(), JobStatus::Running);
    handle.cancel("cleanup").await.unwrap();
}

#[tokio::test]
async fn a_guard_that_saw_the_job_complete_cancels_nothing() {
    let runner = Arc::new(counting(backend()));
    let arc: Arc<dyn JobRunner> = runner.clone();
    let id = arc
        .run_script_by_path_async(&p("f/t/echo"), Default::default(), &RunOptions::new())
        .await
        .unwrap();
    // Through wait.
    let guard = JobHandle::new(arc.clone(), id).cancel_on_drop("x");
    guard.wait(&WaitOptions::new()).await.unwrap();
    assert!(!guard.is_armed());
    drop(guard);
    // Through status and result.
    let guard = JobHandle::new(arc.clone(), id).cancel_on_drop("x");
    assert!(guard.status().await.unwrap().is_completed());
    assert!(!guard.is_armed());
    drop(guard);
    let guard = JobHandle::new(arc.clone(), id).cancel_on_drop("x");
    guard.result().await.unwrap();
    assert!(!guard.is_armed());
    drop(guard);
    assert_eq!(runner.background_cancels.load(Ordering::SeqCst), 0);

    // A running job: status leaves the guard armed, a failed wait too; cancel disarms.
    let id = arc
        .run_script_by_path_async(&p("f/t/forever"), Default::default(), &RunOptions::new())
        .await
        .unwrap();
    let guard = JobHandle::new(arc.clone(), id).cancel_on_drop("x");
    assert_eq!(guard.status().await.unwrap(), JobStatus::Running);
    assert!(guard.result().await.is_err());
    let timed_out = guard
        .wait(
            &WaitOptions::new()
                .timeout(Duration::from_millis(5))
                .cancel_on_timeout(false),
        )
        .await;
    assert!(matches!(timed_out, Err(Error::Timeout { .. })));
    assert!(guard.is_armed());
    guard.cancel("by hand").await.unwrap();
    assert!(!guard.is_armed());
    drop(guard);
    assert_eq!(runner.background_cancels.load(Ordering::SeqCst), 0);

    // A timeout that canceled the job disarms too.
    let id = arc
        .run_script_by_path_async(&p("f/t/forever"), Default::default(), &RunOptions::new())
        .await
        .unwrap();
    let guard = JobHandle::new(arc.clone(), id).cancel_on_drop("x");
    let timed_out = guard
        .wait(&WaitOptions::new().timeout(Duration::from_millis(5)))
        .await;
    assert!(matches!(timed_out, Err(Error::Timeout { .. })));
    assert!(!guard.is_armed());
}

/// Counts background cancels, forwarding everything to an `InMemory`.
#[derive(Debug)]
struct Counting {
    inner: InMemory,
    background_cancels: AtomicUsize,
}

fn counting(inner: InMemory) -> Counting {
    Counting {
        inner,
        background_cancels: AtomicUsize::new(0),
    }
}

#[async_trait::async_trait]
impl JobRunner for Counting {
    async fn start(
        &self,
        target: Runnable,
        args: wmill_core::Args,
        options: &RunOptions,
    ) -> wmill_core::Result<JobId> {
        self.inner.start(target, args, options).await
    }
    async fn wait_job(&self, id: &JobId, options: &WaitOptions) -> wmill_core::Result<Value> {
        // The guard of the wait is this backend's, so its cancel is counted too.
        let guard = CancelOnDrop::new(self, *id).armed(options.cancel_on_drop);
        let out = self
            .inner
            .wait_job(id, &options.clone().cancel_on_drop(false))
            .await;
        guard.disarm();
        out
    }
    async fn get_result(&self, id: &JobId) -> wmill_core::Result<Value> {
        self.inner.get_result(id).await
    }
    async fn get_job_status(&self, id: &JobId) -> wmill_core::Result<JobStatus> {
        self.inner.get_job_status(id).await
    }
    async fn cancel_job(&self, id: &JobId, reason: Option<String>) -> wmill_core::Result<()> {
        self.inner.cancel_job(id, reason).await
    }
    fn cancel_job_in_background(&self, id: &JobId, reason: &str) -> wmill_core::Result<()> {
        self.background_cancels.fetch_add(1, Ordering::SeqCst);
        self.inner.cancel_job_in_background(id, reason)
    }
}

#[tokio::test]
async fn guards_call_cancel_job_in_background_with_the_reason() {
    let id = JobId::from_u128(9);
    let mut mock = MockJobRunner::new();
    mock.expect_cancel_job_in_background()
        .withf(move |j, reason| *j == id && reason == CANCEL_ON_DROP_REASON)
        .times(1)
        .returning(|_, _| Ok(()));
    mock.expect_cancel_job_in_background()
        .withf(move |j, reason| *j == id && reason == "custom")
        .times(1)
        .returning(|_, _| Ok(()));
    drop(CancelOnDrop::new(&mock, id));
    drop(CancelOnDrop::new(&mock, id).reason("custom"));
    drop(CancelOnDrop::new(&mock, id).armed(false));
    CancelOnDrop::new(&mock, id).disarm();
    mock.checkpoint();

    // A backend that cannot cancel in the background: the guard drops quietly.
    let mut mock = MockJobRunner::new();
    mock.expect_cancel_job_in_background()
        .times(1)
        .returning(|_, _| {
            Err(Error::Unsupported {
                operation: "cancel_job_in_background",
                backend: "mock",
            })
        });
    let guard = CancelOnDrop::new(&mock, id);
    assert_eq!(guard.id(), id);
    assert!(format!("{guard:?}").contains("armed: true"));
    drop(guard);
}

#[tokio::test]
async fn the_default_background_cancel_is_unsupported() {
    /// A backend implementing only the required methods.
    #[derive(Debug)]
    struct Minimal;
    #[async_trait::async_trait]
    impl JobRunner for Minimal {
        async fn start(
            &self,
            _: Runnable,
            _: wmill_core::Args,
            _: &RunOptions,
        ) -> wmill_core::Result<JobId> {
            Ok(JobId::from_u128(1))
        }
        async fn wait_job(&self, _: &JobId, _: &WaitOptions) -> wmill_core::Result<Value> {
            Ok(json!(1))
        }
        async fn get_result(&self, _: &JobId) -> wmill_core::Result<Value> {
            Ok(json!(1))
        }
        async fn get_job_status(&self, _: &JobId) -> wmill_core::Result<JobStatus> {
            Ok(JobStatus::Running)
        }
        async fn cancel_job(&self, _: &JobId, _: Option<String>) -> wmill_core::Result<()> {
            Ok(())
        }
    }
    let err = Minimal
        .cancel_job_in_background(&JobId::from_u128(1), "x")
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Unsupported {
                operation: "cancel_job_in_background",
                ..
            }
        ),
        "{err:?}"
    );
    // Forwarded through Arc and Box.
    let arc: Arc<dyn JobRunner> = Arc::new(Minimal);
    assert!(
        arc.cancel_job_in_background(&JobId::from_u128(1), "x")
            .is_err()
    );
    drop(JobHandle::new(arc, JobId::from_u128(1)).cancel_on_drop("quietly"));
}

// --------------------------------------------------------------- cancel_on_drop of waits

#[tokio::test]
async fn a_sync_run_dropped_by_a_timeout_cancels_its_job() {
    let wm = backend();
    let out = tokio::time::timeout(
        Duration::from_millis(20),
        wm.run_script_by_path(&p("f/t/forever"), Default::default(), &RunOptions::new()),
    )
    .await;
    assert!(out.is_err(), "the run cannot complete");
    let id = wm.started_jobs()[0].id;
    assert_eq!(
        cancel_reason(&wm, id).await.as_deref(),
        Some(CANCEL_ON_DROP_REASON)
    );
}

#[tokio::test]
async fn a_wait_that_loses_a_select_cancels_its_job() {
    let wm = backend();
    let id = start_forever(&wm).await;
    let options = WaitOptions::new();
    tokio::select! {
        _ = wm.wait_job(&id, &options) => panic!("cannot complete"),
        _ = tokio::time::sleep(Duration::from_millis(10)) => {}
    }
    assert_eq!(
        cancel_reason(&wm, id).await.as_deref(),
        Some(CANCEL_ON_DROP_REASON)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aborted_task_cancels_its_job() {
    let wm = backend().with_spawner(|fut| {
        tokio::spawn(fut);
    });
    let runner = wm.clone();
    let task = tokio::spawn(async move {
        runner
            .run_script_by_path(&p("f/t/forever"), Default::default(), &RunOptions::new())
            .await
    });
    // Wait until the job exists, then abort the task.
    for _ in 0..200 {
        if !wm.started_jobs().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());
    let id = wm.started_jobs()[0].id;
    assert_eq!(
        cancel_reason(&wm, id).await.as_deref(),
        Some(CANCEL_ON_DROP_REASON)
    );
}

#[tokio::test]
async fn cancel_on_drop_off_leaves_the_job_running() {
    let wm = backend();
    for options in [
        RunOptions::new().cancel_on_drop(false),
        RunOptions::new().cleanup(false),
        RunOptions::new().wait(WaitOptions::new().cancel_on_drop(false)),
    ] {
        let out = tokio::time::timeout(
            Duration::from_millis(10),
            wm.run_script_by_path(&p("f/t/forever"), Default::default(), &options),
        )
        .await;
        assert!(out.is_err());
        let id = wm.started_jobs().last().unwrap().id;
        assert_eq!(wm.get_job_status(&id).await.unwrap(), JobStatus::Running);
    }
}

#[tokio::test]
async fn waits_that_return_cancel_nothing() {
    let runner = counting(backend());
    // Success, failure, timeout without cancel, missing job.
    runner
        .run_script_by_path(&p("f/t/echo"), Default::default(), &RunOptions::new())
        .await
        .unwrap();
    assert!(
        runner
            .run_script_by_path(&p("f/t/fail"), Default::default(), &RunOptions::new())
            .await
            .is_err()
    );
    let id = runner
        .run_script_by_path_async(&p("f/t/forever"), Default::default(), &RunOptions::new())
        .await
        .unwrap();
    let timed_out = runner
        .wait_job(
            &id,
            &WaitOptions::new()
                .timeout(Duration::from_millis(5))
                .cancel_on_timeout(false),
        )
        .await;
    assert!(matches!(timed_out, Err(Error::Timeout { .. })));
    assert!(
        runner
            .wait_job(&JobId::from_u128(999), &WaitOptions::new())
            .await
            .is_err()
    );
    assert_eq!(runner.background_cancels.load(Ordering::SeqCst), 0);
    assert_eq!(
        runner.get_job_status(&id).await.unwrap(),
        JobStatus::Running
    );
}

// --------------------------------------------------------------------------------- batches

fn sleeps(ms: &[u64]) -> Vec<BatchJob> {
    ms.iter()
        .map(|ms| BatchJob::script_by_path(p("f/t/sleep"), to_args(&json!({ "ms": ms })).unwrap()))
        .collect()
}

#[tokio::test]
async fn a_batch_yields_in_completion_order_with_input_indices() {
    let wm = backend();
    let jobs = sleeps(&[150, 10, 70, 0]);
    let items: Vec<_> = wm
        .run_batch(jobs, &BatchOptions::new().concurrency(4))
        .unwrap()
        .collect()
        .await;
    let order: Vec<usize> = items.iter().map(|i| i.index).collect();
    assert_eq!(order, vec![3, 1, 2, 0]);
    for item in items {
        let expected = [150, 10, 70, 0][item.index];
        assert_eq!(item.result.unwrap(), json!(expected));
    }
}

#[tokio::test]
async fn a_batch_never_runs_more_than_its_concurrency() {
    let wm = InMemory::new();
    let now = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (n, p2) = (now.clone(), peak.clone());
    wm.register_script("f/t/count", move |args| {
        let (n, p2) = (n.clone(), p2.clone());
        async move {
            let current = n.fetch_add(1, Ordering::SeqCst) + 1;
            p2.fetch_max(current, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(args["ms"].as_u64().unwrap_or(1))).await;
            n.fetch_sub(1, Ordering::SeqCst);
            Ok(json!(null))
        }
    })
    .unwrap();
    let jobs = (0..40u64).map(|i| {
        BatchJob::script_by_path(p("f/t/count"), to_args(&json!({"ms": 1 + i % 5})).unwrap())
    });
    let mut stream = wm
        .run_batch(jobs, &BatchOptions::new().concurrency(6))
        .unwrap();
    let mut seen = [false; 40];
    let mut count = 0;
    while let Some(item) = stream.next().await {
        assert!(stream.running() <= 6);
        item.result.unwrap();
        assert!(!seen[item.index], "index {} twice", item.index);
        seen[item.index] = true;
        count += 1;
    }
    assert_eq!(count, 40);
    assert_eq!(stream.started(), 40);
    assert_eq!(peak.load(Ordering::SeqCst), 6);
    assert_eq!(wm.started_jobs().len(), 40);
    // The stream is fused.
    assert!(futures::stream::FusedStream::is_terminated(&stream));
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn a_failure_does_not_stop_the_others_by_default() {
    let wm = backend();
    let mut jobs = sleeps(&[5, 5]);
    jobs.insert(
        1,
        BatchJob::script_by_path(p("f/t/fail"), Default::default()),
    );
    jobs.push(BatchJob::script_by_path(
        p("f/t/missing"),
        Default::default(),
    ));
    let mut items: Vec<_> = wm
        .run_batch(jobs, &BatchOptions::new().concurrency(2))
        .unwrap()
        .collect()
        .await;
    items.sort_by_key(|i| i.index);
    assert_eq!(items.len(), 4);
    assert_eq!(items[0].result.as_ref().unwrap(), &json!(5));
    match &items[1].result {
        Err(Error::JobFailed { error, .. }) => assert_eq!(error["name"], "Boom"),
        other => panic!("{other:?}"),
    }
    assert_eq!(items[2].result.as_ref().unwrap(), &json!(5));
    assert!(items[3].result.as_ref().unwrap_err().is_not_found());
    assert_eq!(wm.started_jobs().len(), 3);
}

#[tokio::test]
async fn fail_fast_cancels_the_jobs_in_flight_and_starts_no_more() {
    let wm = backend();
    // Index 0 and 2 never end; index 1 fails; 3.. are never started.
    let forever = || BatchJob::script_by_path(p("f/t/forever"), Default::default());
    let mut jobs = vec![
        forever(),
        BatchJob::script_by_path(p("f/t/fail"), Default::default()),
        // Even with cancel_on_drop off, fail_fast cancels it.
        forever().options(RunOptions::new().cancel_on_drop(false)),
    ];
    jobs.extend(sleeps(&[1, 1, 1]));
    let mut stream = wm
        .run_batch(jobs, &BatchOptions::new().concurrency(3).fail_fast(true))
        .unwrap();
    assert!(format!("{stream:?}").contains("fail_fast: true"));
    let first = stream.next().await.unwrap();
    assert_eq!(first.index, 1);
    assert!(matches!(first.result, Err(Error::JobFailed { .. })));
    assert!(stream.next().await.is_none(), "nothing after the failure");
    let started = wm.started_jobs();
    // The jobs after the first three never started (the third may not have either: the
    // failure can come before its wait was first polled).
    assert!(started.len() <= 3, "{started:?}");
    let mut canceled = 0;
    for job in &started {
        if job.runnable == wmill_core::Runnable::ScriptPath(p("f/t/forever")) {
            assert_eq!(
                cancel_reason(&wm, job.id).await.as_deref(),
                Some(CANCEL_ON_DROP_REASON)
            );
            canceled += 1;
        } else {
            assert_eq!(
                job.runnable,
                wmill_core::Runnable::ScriptPath(p("f/t/fail"))
            );
        }
    }
    assert!(canceled >= 1);
}

#[tokio::test]
async fn fail_fast_cancels_every_job_in_flight_whatever_its_options() {
    let wm = backend();
    let forever = || BatchJob::script_by_path(p("f/t/forever"), Default::default());
    let jobs = vec![
        forever().options(RunOptions::new().cancel_on_drop(false)),
        BatchJob::script_by_path(p("f/t/fail_later"), Default::default()),
        forever().options(RunOptions::new().cleanup(false)),
        forever(),
    ];
    let items: Vec<_> = wm
        .run_batch(jobs, &BatchOptions::new().concurrency(3).fail_fast(true))
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].index, 1);
    let started = wm.started_jobs();
    assert_eq!(started.len(), 3);
    for job in [&started[0], &started[2]] {
        assert_eq!(
            cancel_reason(&wm, job.id).await.as_deref(),
            Some(CANCEL_ON_DROP_REASON)
        );
    }
}

#[tokio::test]
async fn without_fail_fast_cancel_on_drop_off_jobs_survive_a_dropped_batch() {
    let wm = backend();
    let jobs = (0..2).map(|_| {
        BatchJob::script_by_path(p("f/t/forever"), Default::default())
            .options(RunOptions::new().cancel_on_drop(false))
    });
    let mut stream = wm.run_batch(jobs, &BatchOptions::new()).unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(10), stream.next())
            .await
            .is_err()
    );
    drop(stream);
    for job in wm.started_jobs() {
        assert_eq!(
            wm.get_job_status(&job.id).await.unwrap(),
            JobStatus::Running
        );
    }
}

#[tokio::test]
async fn dropping_a_batch_cancels_its_jobs_in_flight() {
    let wm = backend();
    let jobs = (0..5).map(|_| BatchJob::script_by_path(p("f/t/forever"), Default::default()));
    let mut stream = run_batch(wm.clone(), jobs, &BatchOptions::new().concurrency(2)).unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(10), stream.next())
            .await
            .is_err()
    );
    assert_eq!(stream.running(), 2);
    drop(stream);
    let started = wm.started_jobs();
    assert_eq!(started.len(), 2);
    for job in &started {
        assert_eq!(
            wm.get_job_status(&job.id).await.unwrap(),
            JobStatus::Completed { success: false }
        );
    }
}

#[tokio::test]
async fn batch_options_are_checked_and_inputs_may_be_lazy_and_mixed() {
    let wm = backend();
    let err = run_batch(
        wm.clone(),
        sleeps(&[1]),
        &BatchOptions::new().concurrency(0),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidInput {
                what: "batch concurrency",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(wm.started_jobs().is_empty());
    assert_eq!(BatchOptions::default().concurrency, 16);
    assert!(!BatchOptions::default().fail_fast);

    wm.register_flow("f/t/flow", |a| async move { Ok(Value::Object(a)) })
        .unwrap();
    wm.register_script_hash("00000000c0ffee01", |_| async move { Ok(json!("h")) })
        .unwrap();
    wm.register_flow_version(wmill_core::FlowVersion::new(7), |_| async move {
        Ok(json!("v7"))
    });
    let jobs = vec![
        BatchJob::flow_version(wmill_core::FlowVersion::new(7), Default::default()),
        BatchJob::flow(p("f/t/flow"), to_args(&json!({"f": 1})).unwrap()),
        BatchJob::script_by_hash(
            wmill_core::ScriptHash::parse("00000000c0ffee01").unwrap(),
            Default::default(),
        ),
        BatchJob::script_by_path(p("f/t/sleep"), to_args(&json!({"ms": 1})).unwrap())
            .options(RunOptions::new().tag("t")),
    ];
    let arc: Arc<dyn JobRunner> = Arc::new(wm.clone());
    let mut stream = run_batch_on(arc, jobs.into_iter(), &BatchOptions::new()).unwrap();
    assert_eq!(stream.size_hint(), (4, Some(4)));
    let mut items: Vec<_> = (&mut stream).collect().await;
    items.sort_by_key(|i| i.index);
    assert_eq!(items[0].result.as_ref().unwrap(), &json!("v7"));
    assert_eq!(items[1].result.as_ref().unwrap(), &json!({"f": 1}));
    assert_eq!(items[2].result.as_ref().unwrap(), &json!("h"));
    assert_eq!(wm.started_jobs()[3].options.tag.as_deref(), Some("t"));
    let typed: u64 = items.pop().unwrap().into_result_as().unwrap();
    assert_eq!(typed, 1);
    assert_eq!(stream.size_hint(), (0, Some(0)));
    // An endless input is read lazily.
    let endless =
        std::iter::repeat_with(|| BatchJob::script_by_path(p("f/t/echo"), Default::default()));
    let first: Vec<_> = wm
        .run_batch(endless, &BatchOptions::new().concurrency(3))
        .unwrap()
        .take(10)
        .collect()
        .await;
    assert_eq!(first.len(), 10);
    assert!(wm.started_jobs().len() <= 3 + 3 + 10 + 3);
}

// ------------------------------------------------------------------- batches with a spawner

fn tokio_spawner() -> BatchOptions {
    BatchOptions::new().spawner(|job| {
        tokio::spawn(job);
    })
}

/// Waits (at most 2 s) until `id` completed; its cancel reason if it was canceled.
async fn canceled_soon(wm: &InMemory, id: JobId) -> Option<String> {
    for _ in 0..2000 {
        if wm.get_job_status(&id).await.unwrap().is_completed() {
            return cancel_reason(wm, id).await;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spawned_batch_yields_in_completion_order_and_progresses_unpolled() {
    let wm = backend();
    let jobs = sleeps(&[150, 10, 70, 0]);
    let mut stream = wm.run_batch(jobs, &tokio_spawner().concurrency(4)).unwrap();
    assert!(format!("{stream:?}").contains("spawner: Some"));
    let first = stream.next().await.unwrap();
    assert_eq!(first.index, 3);
    // Not polled for 200 ms: the other jobs complete meanwhile, on their own tasks.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = std::time::Instant::now();
    let rest: Vec<usize> = stream.map(|i| i.index).collect().await;
    assert_eq!(rest, vec![1, 2, 0]);
    assert!(started.elapsed() < Duration::from_millis(100));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spawned_batch_cancels_on_fail_fast_and_on_drop() {
    let wm = backend();
    let forever = || BatchJob::script_by_path(p("f/t/forever"), Default::default());
    let jobs = vec![
        forever(),
        BatchJob::script_by_path(p("f/t/fail_later"), Default::default()),
        forever().options(RunOptions::new().cancel_on_drop(false)),
        forever(),
    ];
    let items: Vec<_> = wm
        .run_batch(jobs, &tokio_spawner().concurrency(3).fail_fast(true))
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].index, 1);
    let started = wm.started_jobs();
    assert_eq!(started.len(), 3);
    // The spawned starts race: pick the two `forever` jobs by what they run, not by order.
    let forevers: Vec<_> = started
        .iter()
        .filter(|j| j.runnable == wmill_core::Runnable::ScriptPath(p("f/t/forever")))
        .collect();
    assert_eq!(forevers.len(), 2);
    for job in forevers {
        assert_eq!(
            canceled_soon(&wm, job.id).await.as_deref(),
            Some(CANCEL_ON_DROP_REASON)
        );
    }

    let wm = backend();
    let jobs = (0..4).map(|_| BatchJob::script_by_path(p("f/t/forever"), Default::default()));
    let mut stream = wm.run_batch(jobs, &tokio_spawner().concurrency(2)).unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(20), stream.next())
            .await
            .is_err()
    );
    drop(stream);
    let started = wm.started_jobs();
    assert_eq!(started.len(), 2);
    for job in &started {
        assert_eq!(
            canceled_soon(&wm, job.id).await.as_deref(),
            Some(CANCEL_ON_DROP_REASON)
        );
    }
}

#[tokio::test]
async fn a_job_whose_task_the_spawner_dropped_is_an_error_item() {
    let wm = backend();
    let options = BatchOptions::new().spawner(drop);
    let items: Vec<_> = wm
        .run_batch(sleeps(&[1, 1]), &options)
        .unwrap()
        .collect()
        .await;
    assert_eq!(items.len(), 2);
    for item in items {
        assert!(
            matches!(item.result, Err(Error::Unsupported { .. })),
            "{:?}",
            item.result
        );
    }
    assert!(format!("{options:?}").contains("spawner: Some"));
}
