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
    Backend, Error, InMemory, ItemKind, ItemPath, Job, JobId, JobKind, JobListStatus, JobQuery,
    JobRunner, JobRunnerExt, JobState, JobStatus, JobSummary, ListResources, ListVariables,
    ResourceStore, ResourceStoreExt, RunOptions, ScriptHash, SetVariableOptions, StateStore,
    StateStoreExt, VariableStore, WaitOptions, to_args,
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
        crate::timer::sleep(Duration::from_millis(ms)).await;
        Ok(json!(ms))
    })?;
    Ok(())
}

fn unique(prefix: &str) -> ItemPath {
    let id = crate::ids::random_uuid().simple().to_string();
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
    logs(backend).await;
    concurrency(backend).await;
    typed_jobs(backend).await;
    listings(backend).await;
    run_options(backend).await;
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

    let marker = crate::ids::random_uuid().to_string();
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

/// The typed job (`get_job`): state, kind, script path or hash, parent job, timestamps and
/// result; a canceled job (with its reason) is told from a failed one; a scheduled job says
/// when it starts; an unknown job is `NotFound`.
pub async fn typed_jobs(runner: &dyn JobRunner) {
    let opts = RunOptions::new();
    let args = to_args(&json!({"typed": true, "n": 2})).unwrap();

    // Success, with what it ran and what started it.
    let parent = JobId::new_random();
    let id = runner
        .run_script_by_path_async(
            &path(ECHO),
            args.clone(),
            &RunOptions::new().parent_job(parent),
        )
        .await
        .unwrap();
    runner.wait_job(&id, &WaitOptions::new()).await.unwrap();
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
    let hash = ScriptHash::parse(ECHO_HASH).unwrap();
    let id = runner
        .run_script_by_hash_async(&hash, args.clone(), &opts)
        .await
        .unwrap();
    runner.wait_job(&id, &WaitOptions::new()).await.unwrap();
    let job = runner.get_job(&id).await.unwrap();
    assert_eq!(
        job.script_hash.as_ref(),
        Some(&hash),
        "a job by hash names its hash"
    );
    assert_eq!(job.state, JobState::Success);
    let id = runner
        .run_flow_async(&path(ECHO_FLOW), args.clone(), &opts)
        .await
        .unwrap();
    runner.wait_job(&id, &WaitOptions::new()).await.unwrap();
    let job = runner.get_job(&id).await.unwrap();
    assert!(
        job.kind.is_flow(),
        "a flow is a flow kind, got {}",
        job.kind
    );
    assert_eq!(job.script_path.as_deref(), Some(ECHO_FLOW));
    assert_eq!(job.state, JobState::Success);

    // Failure, with the job's error.
    let id = runner
        .run_script_by_path_async(
            &path(FAIL),
            to_args(&json!({"message": "typed"})).unwrap(),
            &opts,
        )
        .await
        .unwrap();
    let _ = runner.wait_job(&id, &WaitOptions::new()).await;
    let job = runner.get_job(&id).await.unwrap();
    assert_eq!(job.state, JobState::Failure, "a failed job: {job:?}");
    assert_eq!(
        job.error().map(|e| &e["message"]),
        Some(&json!("typed")),
        "the job's error"
    );

    // Running, then canceled: canceled with the reason, not failed.
    let id = runner
        .run_script_by_path_async(
            &path(SLEEP),
            to_args(&json!({"ms": 30_000})).unwrap(),
            &opts,
        )
        .await
        .unwrap();
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
    let id = runner
        .run_script_by_path_async(
            &path(ECHO),
            args.clone(),
            &RunOptions::new().scheduled_in(Duration::from_secs(3600)),
        )
        .await
        .unwrap();
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

/// Listings as streams: jobs by path, state and kind, page after page, each once and newest
/// first; variables and resources (by type) page after page; bad paging is `InvalidInput`.
pub async fn listings(backend: &dyn Backend) {
    use futures_util::TryStreamExt;

    let runner: &dyn JobRunner = backend;
    let opts = RunOptions::new();
    let mut ours = Vec::new();
    for i in 0..7 {
        let id = runner
            .run_script_by_path_async(&path(ECHO), to_args(&json!({"listed": i})).unwrap(), &opts)
            .await
            .unwrap();
        runner.wait_job(&id, &WaitOptions::new()).await.unwrap();
        ours.push(id);
    }
    let failed = runner
        .run_script_by_path_async(
            &path(FAIL),
            to_args(&json!({"message": "listed"})).unwrap(),
            &opts,
        )
        .await
        .unwrap();
    assert!(runner.wait_job(&failed, &WaitOptions::new()).await.is_err());
    let flow = runner
        .run_flow_async(&path(ECHO_FLOW), to_args(&json!({})).unwrap(), &opts)
        .await
        .unwrap();
    runner.wait_job(&flow, &WaitOptions::new()).await.unwrap();

    let collect = |query: JobQuery| async move {
        crate::job_stream(runner, query)
            .try_collect::<Vec<JobSummary>>()
            .await
    };

    let echo = collect(JobQuery::new().script_path(path(ECHO)).page_size(3))
        .await
        .expect("listing the echo jobs");
    let ids: std::collections::BTreeSet<JobId> = echo.iter().map(|j| j.id).collect();
    assert_eq!(ids.len(), echo.len(), "a listing must yield each job once");
    for id in &ours {
        assert!(ids.contains(id), "the listing must hold job {id}");
    }
    assert!(
        echo.iter()
            .all(|j| j.script_path.as_deref() == Some(ECHO) && j.status().is_completed()),
        "the path filter must hold"
    );
    for pair in echo.windows(2) {
        assert!(
            pair[0].created_at >= pair[1].created_at,
            "jobs must be listed newest first"
        );
    }

    let failures = collect(
        JobQuery::new()
            .script_path(path(FAIL))
            .status(JobListStatus::Failure)
            .page_size(1),
    )
    .await
    .expect("listing failed jobs");
    assert!(failures.iter().any(|j| j.id == failed), "the failed job");
    assert!(
        failures
            .iter()
            .all(|j| j.status() == JobStatus::Completed { success: false }),
        "the state filter must hold"
    );
    let successes = collect(
        JobQuery::new()
            .script_path(path(FAIL))
            .status(JobListStatus::Success),
    )
    .await
    .unwrap();
    assert!(successes.iter().all(|j| j.id != failed));

    let flows = collect(
        JobQuery::new()
            .flows()
            .script_path(path(ECHO_FLOW))
            .page_size(2),
    )
    .await
    .unwrap();
    assert!(flows.iter().any(|j| j.id == flow) && flows.iter().all(JobSummary::is_flow));
    let none = collect(JobQuery::new().flows().script_path(path(ECHO)))
        .await
        .unwrap();
    assert!(none.is_empty(), "the kind filter must hold: {none:?}");

    match collect(JobQuery::new().page_size(0)).await {
        Err(Error::InvalidInput { .. }) => {}
        other => panic!("page size 0 must be InvalidInput, got {other:?}"),
    }

    // Variables and resources, one item per page.
    let prefix = unique("list");
    let mut vars = Vec::new();
    for i in 0..5 {
        let p = ItemPath::parse(format!("{prefix}/v{i}")).unwrap();
        backend
            .set_variable(&p, "x", &SetVariableOptions::new())
            .await
            .unwrap();
        vars.push(p);
    }
    let listed: Vec<_> = crate::variable_stream(
        backend,
        ListVariables::new()
            .path_start(format!("{prefix}/"))
            .page(1, 2),
    )
    .try_collect()
    .await
    .expect("streaming variables");
    let mut paths: Vec<_> = listed.iter().map(|v| v.path.clone()).collect();
    paths.sort();
    assert_eq!(paths, vars, "every variable once, page after page");
    let rt = format!("rt_{}", prefix.name());
    for (i, t) in [rt.as_str(), "other", rt.as_str()].iter().enumerate() {
        let p = ItemPath::parse(format!("{prefix}/r{i}")).unwrap();
        backend.set_resource(&p, &json!({"i": i}), t).await.unwrap();
    }
    let typed: Vec<_> = crate::resource_stream(
        backend,
        ListResources::new()
            .resource_type(rt.clone())
            .path_start(format!("{prefix}/"))
            .page(1, 1),
    )
    .try_collect()
    .await
    .expect("streaming resources");
    assert_eq!(typed.len(), 2, "the type filter must hold: {typed:?}");
    match crate::variable_stream(backend, ListVariables::new().page(1, 10_001))
        .try_collect::<Vec<_>>()
        .await
    {
        Err(Error::InvalidInput { .. }) => {}
        other => panic!("per_page 10001 must be InvalidInput, got {other:?}"),
    }
    for p in vars {
        backend.delete_variable(&p).await.unwrap();
    }
    for i in 0..3 {
        let p = ItemPath::parse(format!("{prefix}/r{i}")).unwrap();
        backend.delete_resource(&p).await.unwrap();
    }
}

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

/// Job logs: the whole log, incremental reads and the followed log agree, a followed log ends
/// with its job, a wait that forwards the log returns the same result, and an unknown job is
/// `NotFound`. What a fixture writes to its log is the backend's business. A backend that
/// implements none of the log methods (their default bodies answer
/// [`Error::Unsupported`]) is skipped; one that implements some must implement all.
pub async fn logs(runner: &dyn JobRunner) {
    use futures_util::{StreamExt, TryStreamExt};

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
