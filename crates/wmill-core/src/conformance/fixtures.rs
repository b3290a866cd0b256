//! The scripts and flow every backend under test must have, and the helpers of the checks.

use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

use crate::{
    Error, InMemory, ItemKind, ItemPath, JobId, JobRunner, RunOptions, ScriptHash, WaitOptions,
    to_args,
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

pub(super) fn unique(prefix: &str) -> ItemPath {
    let id = crate::ids::random_uuid().simple().to_string();
    ItemPath::parse(format!("u/conformance/{prefix}_{}", &id[..12])).unwrap()
}

pub(super) fn path(p: &str) -> ItemPath {
    ItemPath::parse(p).unwrap()
}

pub(super) fn expect_not_found<T: std::fmt::Debug>(
    result: crate::Result<T>,
    kind: ItemKind,
    what: &str,
) {
    match result {
        Err(Error::NotFound { kind: k, .. }) => {
            assert_eq!(k, kind, "{what}: NotFound has the wrong kind")
        }
        other => panic!("{what}: expected NotFound({kind}), got {other:?}"),
    }
}

/// A fixture the checks start: a script by path, a script version by hash, or a flow.
#[derive(Debug, Clone, Copy)]
pub(super) enum Fixture<'a> {
    Script(&'a str),
    Hash(&'a str),
    Flow(&'a str),
}

/// Starts `fixture` with `args` (anything that serializes to an object).
pub(super) async fn try_start<R: JobRunner + ?Sized>(
    runner: &R,
    fixture: Fixture<'_>,
    args: impl Serialize,
    options: &RunOptions,
) -> crate::Result<JobId> {
    let args = to_args(&args).unwrap();
    match fixture {
        Fixture::Script(p) => {
            runner
                .run_script_by_path_async(&path(p), args, options)
                .await
        }
        Fixture::Hash(h) => {
            let hash = ScriptHash::parse(h).unwrap();
            runner.run_script_by_hash_async(&hash, args, options).await
        }
        Fixture::Flow(p) => runner.run_flow_async(&path(p), args, options).await,
    }
}

/// Starts `fixture` with `args` and returns its job id (panics when the start fails: a
/// conformance failure).
pub(super) async fn start<R: JobRunner + ?Sized>(
    runner: &R,
    fixture: Fixture<'_>,
    args: impl Serialize,
    options: &RunOptions,
) -> JobId {
    try_start(runner, fixture, args, options)
        .await
        .unwrap_or_else(|e| panic!("starting {fixture:?}: {e}"))
}

/// Starts `fixture` with `args`, waits for it, and returns its job id (panics unless it
/// succeeds).
pub(super) async fn run_to_end<R: JobRunner + ?Sized>(
    runner: &R,
    fixture: Fixture<'_>,
    args: impl Serialize,
    options: &RunOptions,
) -> JobId {
    let id = start(runner, fixture, args, options).await;
    if let Err(e) = runner.wait_job(&id, &WaitOptions::new()).await {
        panic!("{fixture:?} must succeed: {e}");
    }
    id
}

/// Runs the failing fixture with `message` to its end; returns its job id and what the wait
/// answered.
pub(super) async fn run_failing<R: JobRunner + ?Sized>(
    runner: &R,
    message: &str,
) -> (JobId, crate::Result<Value>) {
    let args = json!({ "message": message });
    let id = start(runner, Fixture::Script(FAIL), args, &RunOptions::new()).await;
    (id, runner.wait_job(&id, &WaitOptions::new()).await)
}
