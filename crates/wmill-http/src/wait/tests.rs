//! Unit tests of the waits.

use std::time::{Duration, Instant};

use serde_json::json;
use wmill_core::JobId;

use super::events::{StreamClock, StreamTimes};
use super::outcome::{ResultMaybe, outcome};
use super::run_wait_result::run_wait_result_timeout;

#[test]
fn outcomes() {
    let id = JobId::from_u128(1);
    assert_eq!(outcome(&id, Some(true), json!(3)).unwrap(), json!(3));
    let err = outcome(&id, Some(false), json!({"error": {"message": "boom"}})).unwrap_err();
    assert_eq!(err.job_error().unwrap()["message"], "boom");
    let err = outcome(&id, Some(false), json!("plain")).unwrap_err();
    assert_eq!(err.job_error().unwrap(), &json!("plain"));
    assert!(outcome(&id, None, json!({"error": 1})).is_err());
    assert!(outcome(&id, None, json!({"ok": 1})).is_ok());
}

#[test]
fn the_long_request_outlives_the_servers_bound() {
    assert_eq!(
        run_wait_result_timeout(Duration::from_secs(600)),
        Duration::from_secs(680)
    );
    assert_eq!(
        run_wait_result_timeout(Duration::from_secs(1200)),
        Duration::from_secs(1340)
    );
    assert_eq!(run_wait_result_timeout(Duration::MAX), Duration::MAX);
}

#[test]
fn the_check_before_the_streams_end_is_learned() {
    let opened = Instant::now();
    let ms = Duration::from_millis;
    let clock = |first: u64, completed: u64| {
        let c = StreamClock::default();
        c.set(StreamTimes {
            opened,
            first: None,
            completed: None,
        });
        c.arrived(
            opened + ms(first),
            &json!({"type": "update", "completed": false}),
        );
        c.arrived(
            opened + ms(completed),
            &json!({"type": "update", "completed": true}),
        );
        c.last_check_before_end()
    };
    // Seen at the check of 10 s (answers 2 ms late): the check of 9.5 s found it running.
    assert_eq!(clock(2, 10_003), Some(opened + ms(9_500)));
    // Seen at the check of 300 ms: the one of 200 ms.
    assert_eq!(clock(2, 302), Some(opened + ms(200)));
    // An answer a little early for its check: one check earlier still (never later).
    assert_eq!(clock(5, 304), Some(opened + ms(100)));
    // Seen at the first check: nothing before it.
    assert_eq!(clock(2, 2), None);
    assert_eq!(StreamClock::default().last_check_before_end(), None);
}

#[test]
fn result_maybe_accepts_nulls() {
    let rm: ResultMaybe = serde_json::from_value(
        json!({"started": null, "success": null, "completed": false, "result": null}),
    )
    .unwrap();
    assert!(!rm.completed);
    assert_eq!(rm.success, None);
}

/// A synchronous run's future and a wait's are moved (into a box, a span's wrapper) and copied
/// whole on each move: the wrappers around a wait hold it once, and the rare waits are boxed
/// (docs/performance.md, section 7: 75 KiB and 32 KiB before). Created, never polled.
#[test]
fn the_run_and_wait_futures_stay_small() {
    use std::mem::size_of_val;

    use wmill_core::{Args, ItemPath, RunOptions, Runnable, WaitOptions};

    use crate::Windmill;
    use crate::job_start::Target;

    let wm = Windmill::builder()
        .with_base_url("http://h:1")
        .with_token("t")
        .with_workspace("ws")
        .build()
        .unwrap();
    let runnable = Runnable::ScriptPath(ItemPath::parse("u/a/b").unwrap());
    let options = RunOptions::default();
    let run = wm.run_sync(Target(&runnable), Args::new(), &options);
    let wait_options = WaitOptions::default();
    let id = JobId::from_u128(1);
    let wait = wm.wait(&id, &wait_options);
    // About 6 KiB and 5 KiB, in debug and release builds.
    assert!(size_of_val(&run) <= 16 * 1024, "{}", size_of_val(&run));
    assert!(size_of_val(&wait) <= 16 * 1024, "{}", size_of_val(&wait));
}
