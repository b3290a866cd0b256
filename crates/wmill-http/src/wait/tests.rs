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
