use std::time::Duration;

use serde_json::json;

use crate::{Error, JobId};

use super::args::*;
use super::options::*;
use super::wait::*;

#[test]
fn args_errors_name_what_was_given() {
    for (bad, kind) in [
        (json!(1), "a number"),
        (json!("x"), "a string"),
        (json!([1]), "an array"),
        (json!(true), "a boolean"),
    ] {
        let err = to_args(&bad).unwrap_err();
        assert!(err.to_string().ends_with(&format!("got {kind}")), "{err}");
    }
    assert_eq!(json_kind(&json!(null)), "null");
    assert_eq!(json_kind(&json!({})), "an object");
}

#[test]
fn run_options_take_wait_options() {
    let wait = WaitOptions::new().timeout(std::time::Duration::from_secs(7));
    let opts = RunOptions::new().wait(wait.clone());
    assert_eq!(opts.wait, wait);
    assert_ne!(RunOptions::new().wait, wait);
}

#[test]
fn args_must_be_objects() {
    assert!(to_args(&json!({"a": 1})).is_ok());
    assert!(to_args(&()).unwrap().is_empty());
    for bad in [json!(1), json!("x"), json!([1]), json!(true)] {
        let err = to_args(&bad).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidInput {
                    what: "job arguments",
                    ..
                }
            ),
            "{bad}"
        );
    }
}

#[test]
fn odd_schedules_do_not_panic() {
    let mut s = PollSchedule::default();
    for fraction in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, 1e300] {
        s.fraction = fraction;
        let d = s.next_interval(Duration::MAX);
        assert!(
            d >= s.min_interval && d <= s.max_interval,
            "{fraction}: {d:?}"
        );
    }
    let s = PollSchedule::new(Duration::ZERO, Duration::MAX, 1e6);
    assert_eq!(s.next_interval(Duration::MAX), Duration::MAX);
}

#[test]
fn adaptive_schedule_is_proportional_and_bounded() {
    let s = PollSchedule::default();
    assert_eq!(
        s.next_interval(Duration::from_millis(0)),
        Duration::from_millis(4)
    );
    assert_eq!(
        s.next_interval(Duration::from_millis(500)),
        Duration::from_millis(60)
    );
    assert_eq!(
        s.next_interval(Duration::from_secs(100)),
        Duration::from_secs(2)
    );
    // Count the checks for a 10 s job: the target is <= 30.
    let mut t = Duration::ZERO;
    let mut checks = 0;
    while t < Duration::from_secs(10) {
        t += s.next_interval(t);
        checks += 1;
    }
    assert!(checks <= 60, "{checks}");
    let weird = PollSchedule::new(Duration::from_millis(5), Duration::from_millis(1), f64::NAN);
    assert_eq!(
        weird.next_interval(Duration::from_secs(9)),
        Duration::from_millis(5)
    );
}

#[test]
fn run_options_builders() {
    let id = JobId::from_u128(7);
    let o = RunOptions::new()
        .tag("t")
        .job_id(id)
        .parent_job(id)
        .root_job(id)
        .track_in_parent(false)
        .timeout(Duration::from_secs(1))
        .cleanup(false);
    assert_eq!(o.tag.as_deref(), Some("t"));
    assert_eq!(o.job_id, Some(id));
    assert_eq!(o.wait.timeout, Some(Duration::from_secs(1)));
    assert!(!o.wait.cancel_on_timeout);
    assert!(!o.wait.cancel_on_drop);
    let o = o.cleanup(true);
    assert!(o.wait.cancel_on_timeout && o.wait.cancel_on_drop);
    let o = o.cancel_on_drop(false);
    assert!(o.wait.cancel_on_timeout && !o.wait.cancel_on_drop);
    assert!(WaitOptions::default().cancel_on_drop);
    assert!(!WaitOptions::new().cancel_on_drop(false).cancel_on_drop);
    assert_eq!(o.track_in_parent, Some(false));
}
