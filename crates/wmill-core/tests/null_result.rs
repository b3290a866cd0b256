//! `RunOptions::assert_result_is_not_none` through the default synchronous runs (here on
//! `InMemory`): script by path, by hash, flow, and the typed forms.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use wmill_core::{Error, InMemory, ItemPath, JobRunner, JobRunnerExt, RunOptions, ScriptHash};

const HASH: &str = "00000000deadbeef";

fn backend() -> InMemory {
    let wm = InMemory::new();
    wm.register_script("f/jobs/nothing", |_| async { Ok(Value::Null) })
        .unwrap();
    wm.register_script_hash(HASH, |_| async { Ok(Value::Null) })
        .unwrap();
    wm.register_flow("f/flows/nothing", |_| async { Ok(Value::Null) })
        .unwrap();
    wm.register_script("f/jobs/zero", |_| async { Ok(json!(0)) })
        .unwrap();
    wm
}

fn expect_null_result(result: wmill_core::Result<Value>, wm: &InMemory) {
    let last = wm.started_jobs().last().unwrap().id;
    match result {
        Err(Error::NullResult { job_id }) => assert_eq!(job_id, last, "names the job it ran"),
        other => panic!("expected NullResult, got {other:?}"),
    }
}

#[tokio::test]
async fn every_synchronous_run_honours_the_option() {
    let wm = backend();
    let strict = RunOptions::new().assert_result_is_not_none(true);
    let script = ItemPath::parse("f/jobs/nothing").unwrap();
    let flow = ItemPath::parse("f/flows/nothing").unwrap();
    let hash = ScriptHash::parse(HASH).unwrap();

    expect_null_result(
        wm.run_script_by_path(&script, Default::default(), &strict)
            .await,
        &wm,
    );
    expect_null_result(
        wm.run_script_by_hash(&hash, Default::default(), &strict)
            .await,
        &wm,
    );
    expect_null_result(wm.run_flow(&flow, Default::default(), &strict).await, &wm);
    let typed = wm
        .run_script_by_path_as::<_, Option<u32>>(&script, &json!({}), &strict)
        .await;
    assert!(matches!(typed, Err(Error::NullResult { .. })), "{typed:?}");

    // A falsy result that is not null passes.
    let zero = wm
        .run_script_by_path(
            &ItemPath::parse("f/jobs/zero").unwrap(),
            Default::default(),
            &strict,
        )
        .await
        .unwrap();
    assert_eq!(zero, json!(0));
}

#[tokio::test]
async fn off_by_default_null_is_a_result() {
    let wm = backend();
    assert!(!RunOptions::new().assert_result_is_not_none);
    let script = ItemPath::parse("f/jobs/nothing").unwrap();
    let v = wm
        .run_script_by_path(&script, Default::default(), &RunOptions::new())
        .await
        .unwrap();
    assert_eq!(v, Value::Null);
    let none: Option<u32> = wm
        .run_script_by_path_as(&script, &json!({}), &RunOptions::new())
        .await
        .unwrap();
    assert_eq!(none, None);
    // A type without room for null refuses it anyway.
    let err = wm
        .run_script_by_path_as::<_, u32>(&script, &json!({}), &RunOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}
