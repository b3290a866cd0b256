//! Job handles and batches through the module functions and their blocking twins, on the
//! global client (an `InMemory`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The lock serializes the tests that share the global client; holding it across awaits is the point.
#![allow(clippy::await_holding_lock)]

use std::time::Duration;

use futures::StreamExt;
use parking_lot::Mutex;
use serde_json::{Value, json};
use wmill::{
    BatchJob, BatchOptions, CANCEL_ON_DROP_REASON, Client, Error, InMemory, ItemPath, JobStatus,
    RunOptions, WaitOptions, to_args,
};

static GLOBAL: Mutex<()> = Mutex::new(());

fn seeded() -> InMemory {
    let wm = InMemory::new();
    wm.register_script("f/jobs/echo", |a| async move { Ok(Value::Object(a)) })
        .unwrap();
    wm.register_script_hash("00000000000000ab", |a| async move { Ok(json!(a.len())) })
        .unwrap();
    wm.register_flow("f/jobs/flow", |a| async move {
        Ok(json!({"flow": Value::Object(a)}))
    })
    .unwrap();
    wm.register_script("f/jobs/fail", |_| async move {
        Err(json!({"name": "Error", "message": "nope"}))
    })
    .unwrap();
    wm.register_script("f/jobs/forever", |_| async move {
        futures::future::pending::<()>().await;
        Ok(Value::Null)
    })
    .unwrap();
    wm
}

fn p(s: &str) -> ItemPath {
    ItemPath::parse(s).unwrap()
}

async fn reason_of(wm: &InMemory, id: wmill::JobId) -> Option<String> {
    let options = WaitOptions::new().timeout(Duration::from_secs(5));
    match wmill::JobRunner::wait_job(wm, &id, &options).await {
        Err(Error::JobFailed { error, .. }) => error["reason"].as_str().map(str::to_owned),
        _ => None,
    }
}

#[tokio::test]
async fn module_functions_start_handles_and_batches() {
    let _g = GLOBAL.lock();
    let wm = seeded();
    wmill::set_client(Client::new(wm.clone()));

    let job = wmill::start_script_by_path("f/jobs/echo", &json!({"a": 1}))
        .await
        .unwrap();
    assert_eq!(
        job.wait(&WaitOptions::new()).await.unwrap(),
        json!({"a": 1})
    );
    let job = wmill::start_script_by_path_with(
        "f/jobs/echo",
        &json!({"b": 2}),
        &RunOptions::new().tag("t"),
    )
    .await
    .unwrap();
    assert_eq!(job.result().await.unwrap(), json!({"b": 2}));
    assert_eq!(wm.started_jobs()[1].options.tag.as_deref(), Some("t"));
    let by_hash = wmill::start_script_by_hash("00000000000000ab", &json!({"x": 1, "y": 2}))
        .await
        .unwrap();
    assert_eq!(by_hash.wait(&WaitOptions::new()).await.unwrap(), json!(2));
    let by_hash =
        wmill::start_script_by_hash_with("00000000000000ab", &json!({}), &RunOptions::new())
            .await
            .unwrap();
    assert_eq!(by_hash.wait(&WaitOptions::new()).await.unwrap(), json!(0));
    let flow = wmill::start_flow("f/jobs/flow", &json!({"f": true}))
        .await
        .unwrap();
    assert_eq!(
        flow.wait(&WaitOptions::new()).await.unwrap(),
        json!({"flow": {"f": true}})
    );
    let flow = wmill::start_flow_with("f/jobs/flow", &json!({}), &RunOptions::new())
        .await
        .unwrap();
    let same = wmill::job_handle(flow.id().to_string()).unwrap();
    assert_eq!(same.id(), flow.id());
    assert_eq!(
        same.status().await.unwrap(),
        JobStatus::Completed { success: true }
    );

    // Bad input before anything starts.
    let before = wm.started_jobs().len();
    assert!(matches!(
        wmill::start_script_by_path("not a path", &json!({})).await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        wmill::start_script_by_hash("xyz", &json!({})).await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        wmill::start_flow("f/jobs/flow", &json!([1])).await,
        Err(Error::InvalidInput { .. })
    ));
    assert!(matches!(
        wmill::job_handle("nope"),
        Err(Error::InvalidInput { .. })
    ));
    assert_eq!(wm.started_jobs().len(), before);

    // A batch on the global client.
    let jobs: Vec<BatchJob> = (0..6)
        .map(|n| {
            if n == 3 {
                BatchJob::script_by_path(p("f/jobs/fail"), Default::default())
            } else {
                BatchJob::script_by_path(p("f/jobs/echo"), to_args(&json!({"n": n})).unwrap())
            }
        })
        .collect();
    let mut items: Vec<_> = wmill::run_batch(jobs, &BatchOptions::new().concurrency(2))
        .unwrap()
        .collect()
        .await;
    items.sort_by_key(|i| i.index);
    assert_eq!(items.len(), 6);
    for item in items {
        match item.index {
            3 => assert!(matches!(item.result, Err(Error::JobFailed { .. }))),
            n => assert_eq!(item.result.unwrap(), json!({"n": n})),
        }
    }
    assert!(matches!(
        wmill::run_batch(Vec::new(), &BatchOptions::new().concurrency(0)),
        Err(Error::InvalidInput { .. })
    ));
    wmill::reset_client();
}

#[tokio::test]
async fn a_dropped_sync_run_of_the_module_cancels_its_job() {
    let _g = GLOBAL.lock();
    let wm = seeded();
    wmill::set_client(Client::new(wm.clone()));
    let out = tokio::time::timeout(
        Duration::from_millis(20),
        wmill::run_script_by_path("f/jobs/forever", &json!({})),
    )
    .await;
    assert!(out.is_err());
    let id = wm.started_jobs()[0].id;
    assert_eq!(
        reason_of(&wm, id).await.as_deref(),
        Some(CANCEL_ON_DROP_REASON)
    );
    // Off: the job runs on.
    let out = tokio::time::timeout(
        Duration::from_millis(20),
        wmill::run_script_by_path_with(
            "f/jobs/forever",
            &json!({}),
            &RunOptions::new().cancel_on_drop(false),
        ),
    )
    .await;
    assert!(out.is_err());
    let id = wm.started_jobs()[1].id;
    assert_eq!(wmill::get_job_status(id).await.unwrap(), JobStatus::Running);
    wmill::reset_client();
}

#[test]
fn blocking_handles_guards_and_batches() {
    let _g = GLOBAL.lock();
    let wm = seeded();
    let reason = |id| {
        let wm = wm.clone();
        wmill::blocking::block_on(async move { Ok(reason_of(&wm, id).await) }).unwrap()
    };
    wmill::set_client(Client::new(wm.clone()));

    let job = wmill::blocking::start_script_by_path("f/jobs/echo", &json!({"a": 1})).unwrap();
    assert_eq!(job.wait(&WaitOptions::new()).unwrap(), json!({"a": 1}));
    assert_eq!(
        job.status().unwrap(),
        JobStatus::Completed { success: true }
    );
    assert_eq!(job.result().unwrap(), json!({"a": 1}));
    #[derive(serde::Deserialize)]
    struct A {
        a: i64,
    }
    assert_eq!(job.wait_as::<A>(&WaitOptions::new()).unwrap().a, 1);
    assert_eq!(job.clone().into_async().id(), job.id());
    let h = wmill::blocking::start_script_by_hash("00000000000000ab", &json!({"q": 1})).unwrap();
    assert_eq!(h.wait(&WaitOptions::new()).unwrap(), json!(1));
    let f = wmill::blocking::start_flow("f/jobs/flow", &json!({})).unwrap();
    assert_eq!(f.wait(&WaitOptions::new()).unwrap(), json!({"flow": {}}));
    let f =
        wmill::blocking::start_flow_with("f/jobs/flow", &json!({}), &RunOptions::new()).unwrap();
    assert!(
        wmill::blocking::job_handle(f.id())
            .unwrap()
            .status()
            .unwrap()
            .is_completed()
    );
    let h = wmill::blocking::start_script_by_hash_with(
        "00000000000000ab",
        &json!({}),
        &RunOptions::new(),
    )
    .unwrap();
    assert_eq!(h.wait(&WaitOptions::new()).unwrap(), json!(0));

    // Cancel by hand, and by dropping a guard.
    let job = wmill::blocking::start_script_by_path_with(
        "f/jobs/forever",
        &json!({}),
        &RunOptions::new(),
    )
    .unwrap();
    assert_eq!(job.status().unwrap(), JobStatus::Running);
    job.cancel("by hand").unwrap();
    assert_eq!(reason(job.id()).as_deref(), Some("by hand"));

    let job = wmill::blocking::start_script_by_path("f/jobs/forever", &json!({})).unwrap();
    let id = job.id();
    let guard = job.cancel_on_drop("guard dropped");
    assert!(guard.is_armed());
    assert_eq!(guard.id(), id);
    assert_eq!(guard.status().unwrap(), JobStatus::Running);
    drop(guard);
    assert_eq!(reason(id).as_deref(), Some("guard dropped"));

    let job = wmill::blocking::start_script_by_path("f/jobs/forever", &json!({})).unwrap();
    let handle = job.cancel_on_drop("never").disarm();
    assert_eq!(handle.status().unwrap(), JobStatus::Running);
    let guard = handle.cancel_on_drop("x");
    guard.cancel("canceled through the guard").unwrap();
    assert!(!guard.is_armed());
    let timed_out = guard.wait(&WaitOptions::new().timeout(Duration::from_millis(5)));
    assert!(
        matches!(timed_out, Err(Error::JobFailed { .. })),
        "{timed_out:?}"
    );

    // A batch, fail fast.
    let jobs = vec![
        BatchJob::script_by_path(p("f/jobs/echo"), Default::default()),
        BatchJob::script_by_path(p("f/jobs/fail"), Default::default()),
        BatchJob::script_by_path(p("f/jobs/echo"), Default::default()),
    ];
    let items: Vec<_> =
        wmill::blocking::run_batch(jobs, &BatchOptions::new().concurrency(1).fail_fast(true))
            .unwrap()
            .collect();
    assert_eq!(
        items.iter().map(|i| i.index).collect::<Vec<_>>(),
        vec![0, 1]
    );
    assert!(items[1].result.is_err());
    wmill::reset_client();
}
