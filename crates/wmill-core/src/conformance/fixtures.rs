//! The scripts and flow every backend under test must have, and the helpers of the checks.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{Error, InMemory, ItemKind, ItemPath, JobId, JobRunner, RunOptions, to_args};

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

/// Starts the fixture script `script` with `args` and returns its job id (panics when the
/// start fails: a conformance failure).
pub(super) async fn start<R: JobRunner + ?Sized>(
    runner: &R,
    script: &str,
    args: Value,
    options: &RunOptions,
) -> JobId {
    runner
        .run_script_by_path_async(&path(script), to_args(&args).unwrap(), options)
        .await
        .unwrap()
}
