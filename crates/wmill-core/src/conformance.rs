//! The behaviour every backend must have, as runnable checks (feature `testkit`).
//!
//! Each function exercises one trait through its public API and panics with a message naming
//! the broken rule. A backend's test suite calls [`run_all`] (or the per-trait functions), so a
//! new check reaches every backend at once:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use wmill_core::{InMemory, conformance};
//!
//! let backend = InMemory::new();
//! conformance::install_fixtures(&backend).unwrap();
//! conformance::run_all(&backend).await;
//! # }
//! ```
//!
//! # Fixtures
//! The job checks run these scripts and flow, which the backend must provide
//! ([`install_fixtures`] registers them on an [`InMemory`]; a fake or real server must serve them):
//!
//! | runnable | behaviour |
//! |---|---|
//! | script [`ECHO`] and script hash [`ECHO_HASH`] | returns its arguments (an object) |
//! | script [`FAIL`] | fails with the error `{"name": "ConformanceError", "message": <args.message>}` |
//! | script [`SLEEP`] | waits `args.ms` milliseconds, then returns `args.ms` |
//! | flow [`ECHO_FLOW`] | returns its arguments |
//!
//! Items are created under `u/conformance/` with a random suffix, so the suite can run against
//! a shared workspace; it deletes what it creates where the trait allows it. This module is a
//! test harness: it is not covered by semver.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    Backend, Error, InMemory, ItemKind, ItemPath, JobId, JobRunner, JobRunnerExt, JobStatus,
    ListResources, ListVariables, ResourceStore, ResourceStoreExt, RunOptions, ScriptHash,
    SetVariableOptions, StateStore, StateStoreExt, VariableStore, WaitOptions, to_args,
};

/// The echo script.
pub const ECHO: &str = "f/conformance/echo";
/// The hash of a version of the echo script.
pub const ECHO_HASH: &str = "00000000c0ffee01";
/// The failing script.
pub const FAIL: &str = "f/conformance/fail";
/// The sleeping script.
pub const SLEEP: &str = "f/conformance/sleep";
/// The echo flow.
pub const ECHO_FLOW: &str = "f/conformance/echo_flow";

/// Registers the fixtures on an [`InMemory`].
pub fn install_fixtures(backend: &InMemory) -> crate::Result<()> {
    backend.register_script(ECHO, |args| async move { Ok(Value::Object(args)) })?;
    backend.register_script_hash(ECHO_HASH, |args| async move { Ok(Value::Object(args)) })?;
    backend.register_flow(ECHO_FLOW, |args| async move { Ok(Value::Object(args)) })?;
    backend.register_script(FAIL, |args| async move {
        Err(json!({
            "name": "ConformanceError",
            "message": args.get("message").cloned().unwrap_or(Value::Null),
        }))
    })?;
    backend.register_script(SLEEP, |args| async move {
        let ms = args.get("ms").and_then(Value::as_u64).unwrap_or(0);
        futures_timer::Delay::new(Duration::from_millis(ms)).await;
        Ok(json!(ms))
    })?;
    Ok(())
}

fn unique(prefix: &str) -> ItemPath {
    let id = uuid::Uuid::new_v4().simple().to_string();
    ItemPath::parse(format!("u/conformance/{prefix}_{}", &id[..12])).unwrap()
}

fn path(p: &str) -> ItemPath {
    ItemPath::parse(p).unwrap()
}

fn expect_not_found<T: std::fmt::Debug>(result: crate::Result<T>, kind: ItemKind, what: &str) {
    match result {
        Err(Error::NotFound { kind: k, .. }) => {
            assert_eq!(k, kind, "{what}: NotFound has the wrong kind")
        }
        other => panic!("{what}: expected NotFound({kind}), got {other:?}"),
    }
}

/// Runs every check.
pub async fn run_all(backend: &dyn Backend) {
    variables(backend).await;
    resources(backend).await;
    interpolation(backend).await;
    state(backend).await;
    jobs(backend).await;
    concurrency(backend).await;
    logs(backend).await;
}

/// Variables: missing is `NotFound`, set creates then updates, secrets round-trip, delete, list.
pub async fn variables(store: &dyn VariableStore) {
    let p = unique("var");
    expect_not_found(
        store.get_variable(&p).await,
        ItemKind::Variable,
        "get of a missing variable",
    );

    store
        .set_variable(
            &p,
            "first",
            &SetVariableOptions::new().description("conformance"),
        )
        .await
        .expect("set_variable on a missing variable must create it");
    assert_eq!(
        store.get_variable(&p).await.unwrap(),
        "first",
        "set-then-get"
    );

    store
        .set_variable(
            &p,
            "second \"quoted\"\nline \\ done",
            &SetVariableOptions::new(),
        )
        .await
        .expect("set_variable on an existing variable must update it");
    assert_eq!(
        store.get_variable(&p).await.unwrap(),
        "second \"quoted\"\nline \\ done",
        "values with quotes, newlines and backslashes must round-trip unescaped"
    );

    let secret = unique("secret");
    store
        .set_variable(&secret, "s3cr3t", &SetVariableOptions::new().secret(true))
        .await
        .unwrap();
    assert_eq!(
        store.get_variable(&secret).await.unwrap(),
        "s3cr3t",
        "secret round trip"
    );

    let outside = ItemPath::parse(format!(
        "u/conformance_outside/{}",
        secret.name().trim_start_matches("secret_")
    ))
    .unwrap();
    store
        .set_variable(&outside, "elsewhere", &SetVariableOptions::new())
        .await
        .unwrap();
    let listed = store
        .list_variables(
            &ListVariables::new()
                .path_start("u/conformance/")
                .page(1, 1000),
        )
        .await
        .unwrap();
    let entry = listed
        .iter()
        .find(|v| v.path == secret)
        .unwrap_or_else(|| panic!("list_variables must list {secret}: {listed:?}"));
    assert!(
        entry.is_secret,
        "a secret variable must be listed as secret"
    );
    assert_ne!(
        entry.value.as_deref(),
        Some("s3cr3t"),
        "a listing must not reveal a secret value"
    );
    assert!(listed.iter().any(|v| v.path == p && !v.is_secret));
    assert!(
        listed
            .iter()
            .all(|v| v.path.as_str().starts_with("u/conformance/")),
        "path_start must filter"
    );

    let one = store
        .list_variables(&ListVariables::new().path_start("u/conformance/").page(1, 1))
        .await
        .unwrap();
    assert_eq!(one.len(), 1, "per_page must limit the page size");

    store.delete_variable(&p).await.unwrap();
    store.delete_variable(&secret).await.unwrap();
    store.delete_variable(&outside).await.unwrap();
    expect_not_found(
        store.get_variable(&p).await,
        ItemKind::Variable,
        "get after delete",
    );
    expect_not_found(
        store.delete_variable(&p).await,
        ItemKind::Variable,
        "delete of a missing variable",
    );
}

/// Resources: missing is `NotFound`, create with a type, update, typed get, list by type, delete.
pub async fn resources(store: &dyn ResourceStore) {
    let p = unique("res");
    expect_not_found(
        store.get_resource(&p).await,
        ItemKind::Resource,
        "get of a missing resource",
    );
    assert_eq!(store.get_resource_opt(&p).await.unwrap(), None);

    let rt = "conformance_type";
    let v1 =
        json!({"host": "db.internal", "port": 5432, "tags": ["a", "b"], "nested": {"x": null}});
    store
        .set_resource(&p, &v1, rt)
        .await
        .expect("create resource");
    assert_eq!(store.get_resource(&p).await.unwrap(), v1, "set-then-get");

    let v2 = json!({"host": "db2", "port": 6543});
    store
        .set_resource(&p, &v2, rt)
        .await
        .expect("update resource");
    assert_eq!(
        store.get_resource(&p).await.unwrap(),
        v2,
        "update replaces the value"
    );

    #[derive(Deserialize, Debug, PartialEq)]
    struct Db {
        host: String,
        port: u16,
    }
    let typed: Db = store.get_resource_as(&p).await.unwrap();
    assert_eq!(
        typed,
        Db {
            host: "db2".into(),
            port: 6543
        }
    );
    let wrong = store.get_resource_as::<Vec<u8>>(&p).await;
    assert!(
        matches!(wrong, Err(Error::Decode { .. })),
        "a value that does not fit the type is Decode, got {wrong:?}"
    );

    let other = unique("res_other");
    store
        .set_resource(&other, &json!(1), "other_type")
        .await
        .unwrap();
    let listed = store
        .list_resources(&ListResources::new().resource_type(rt).page(1, 100))
        .await
        .unwrap();
    assert!(
        listed.iter().any(|r| r.path == p && r.resource_type == rt),
        "list by type must include {p}: {listed:?}"
    );
    assert!(
        listed.iter().all(|r| r.resource_type == rt),
        "list by type must filter: {listed:?}"
    );

    store.delete_resource(&p).await.unwrap();
    store.delete_resource(&other).await.unwrap();
    expect_not_found(
        store.get_resource(&p).await,
        ItemKind::Resource,
        "get after delete",
    );
}

/// Resources are interpolated: `$var:` and `$res:` strings are replaced by their values.
pub async fn interpolation(backend: &dyn Backend) {
    let var = unique("ivar");
    let inner = unique("ires");
    let outer = unique("ires_outer");
    backend
        .set_variable(&var, "pa55", &SetVariableOptions::new().secret(true))
        .await
        .unwrap();
    backend
        .set_resource(&inner, &json!({"token": format!("$var:{var}")}), "c_inner")
        .await
        .unwrap();
    backend
        .set_resource(
            &outer,
            &json!({"password": format!("$var:{var}"), "inner": format!("$res:{inner}"), "n": 1}),
            "c_outer",
        )
        .await
        .unwrap();
    assert_eq!(
        backend.get_resource(&outer).await.unwrap(),
        json!({"password": "pa55", "inner": {"token": "pa55"}, "n": 1}),
        "get_resource must interpolate $var: and $res: references"
    );
    backend.delete_resource(&outer).await.unwrap();
    backend.delete_resource(&inner).await.unwrap();
    backend.delete_variable(&var).await.unwrap();
}

/// State: `None` before the first set, set-then-get, overwrite, default path.
pub async fn state(store: &dyn StateStore) {
    let p = unique("state");
    assert_eq!(
        store.get_state_at(&p).await.unwrap(),
        None,
        "state must be None before the first set"
    );
    store.set_state_at(&p, &json!({"cursor": 1})).await.unwrap();
    assert_eq!(
        store.get_state_at(&p).await.unwrap(),
        Some(json!({"cursor": 1}))
    );
    store.set_state_at(&p, &json!([1, 2, 3])).await.unwrap();
    assert_eq!(
        store.get_state_at(&p).await.unwrap(),
        Some(json!([1, 2, 3])),
        "set_state overwrites"
    );
    store.set_state_at(&p, &Value::Null).await.unwrap();
    assert_eq!(
        store.get_state_at_as::<Option<u32>>(&p).await.unwrap(),
        Some(None),
        "a null state is stored as null"
    );

    let marker = uuid::Uuid::new_v4().to_string();
    store.set_state(&json!({"marker": marker})).await.unwrap();
    assert_eq!(
        store.get_state().await.unwrap(),
        Some(json!({"marker": marker})),
        "default-path state round trip"
    );
}

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
    let id = runner
        .run_script_by_path_async(&path(ECHO), args.clone(), &opts)
        .await
        .unwrap();
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
    let flow_id = runner
        .run_flow_async(&path(ECHO_FLOW), args.clone(), &opts)
        .await
        .unwrap();
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
    let fid = runner
        .run_script_by_path_async(
            &path(FAIL),
            to_args(&json!({"message": "bad"})).unwrap(),
            &opts,
        )
        .await
        .unwrap();
    assert!(matches!(
        runner.wait_job(&fid, &WaitOptions::new()).await,
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
    let sleeper = runner
        .run_script_by_path_async(
            &path(SLEEP),
            to_args(&json!({"ms": 30_000})).unwrap(),
            &opts,
        )
        .await
        .unwrap();
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
    let victim = runner
        .run_script_by_path_async(
            &path(SLEEP),
            to_args(&json!({"ms": 30_000})).unwrap(),
            &opts,
        )
        .await
        .unwrap();
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
    let got = runner
        .run_script_by_path_async(&path(ECHO), args.clone(), &RunOptions::new().job_id(chosen))
        .await
        .unwrap();
    assert_eq!(got, chosen, "a caller-chosen job id is the job's id");
    let again = runner
        .run_script_by_path_async(&path(ECHO), args.clone(), &RunOptions::new().job_id(chosen))
        .await;
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
    expect_not_found(
        runner
            .run_script_by_path_async(&unique("no_such_script"), args.clone(), &opts)
            .await,
        ItemKind::Script,
        "running a missing script",
    );
    expect_not_found(
        runner
            .run_flow_async(&unique("no_such_flow"), args.clone(), &opts)
            .await,
        ItemKind::Flow,
        "running a missing flow",
    );
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
        futures_timer::Delay::new(Duration::from_millis(20)).await;
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
    for (i, v, s, out) in futures::future::join_all(calls).await {
        assert_eq!(v, format!("value-{i}"), "variable of caller {i}");
        assert_eq!(s, Some(json!({"i": i})), "state of caller {i}");
        assert_eq!(out, json!({"i": i}), "job result of caller {i}");
    }
}

/// Job logs: the whole log, incremental reads and the followed log agree, a followed log ends
/// with its job, a wait that forwards the log returns the same result, and an unknown job is
/// `NotFound`. What a fixture writes to its log is the backend's business. A backend that
/// implements none of the log methods (their default bodies answer
/// [`Error::Unsupported`]) is skipped; one that implements some must implement all.
pub async fn logs(runner: &dyn JobRunner) {
    use futures::{StreamExt, TryStreamExt};

    let opts = RunOptions::new();
    let id = runner
        .run_script_by_path_async(&path(ECHO), to_args(&json!({"x": 1})).unwrap(), &opts)
        .await
        .expect("start echo");
    runner
        .wait_job(&id, &WaitOptions::new())
        .await
        .expect("echo");
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
    let sleeping = runner
        .run_script_by_path_async(&path(SLEEP), to_args(&json!({"ms": 300})).unwrap(), &opts)
        .await
        .expect("start sleep");
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
    let flow = runner
        .run_flow_async(&path(ECHO_FLOW), to_args(&json!({})).unwrap(), &opts)
        .await
        .expect("start echo_flow");
    runner
        .wait_job(&flow, &WaitOptions::new())
        .await
        .expect("echo_flow");
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
