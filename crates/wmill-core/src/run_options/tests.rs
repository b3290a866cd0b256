use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use serde_json::json;

use crate::{Error, RunOptions, WaitStrategy};
use crate::{JobId, WaitOptions};

use super::checks::*;
use super::endpoint::*;
use super::retry::*;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

#[test]
fn rfc3339_formats() {
    assert_eq!(rfc3339_millis(at(0)).unwrap(), "1970-01-01T00:00:00Z");
    assert_eq!(
        rfc3339_millis(at(951_782_400)).unwrap(),
        "2000-02-29T00:00:00Z"
    );
    assert_eq!(
        rfc3339_millis(at(1_700_000_000) + Duration::from_micros(7_999)).unwrap(),
        "2023-11-14T22:13:20.007Z"
    );
    assert_eq!(
        rfc3339_millis(at(MAX_RFC3339_SECS)).unwrap(),
        "9999-12-31T23:59:59Z"
    );
    assert!(rfc3339_millis(at(MAX_RFC3339_SECS + 1)).is_err());
    assert!(rfc3339_millis(UNIX_EPOCH - Duration::from_secs(1)).is_err());
}

/// The table of the spec, option by option (the rustdoc table on `RunOptions` says the same).
#[test]
fn endpoint_table_matches_the_spec() {
    use RunEndpoint as E;
    use RunOption as O;
    let table: &[(O, [bool; 7])] = &[
        //                       p     h      f      fv     rwr/p  rwr/f  rwr/fv
        (O::Tag, [true, true, true, true, true, false, false]),
        (
            O::ScheduledIn,
            [true, true, true, true, false, false, false],
        ),
        (
            O::ScheduledFor,
            [true, true, true, true, false, false, false],
        ),
        (O::JobId, [true; 7]),
        (O::ParentJob, [true, true, true, true, true, false, false]),
        (O::RootJob, [true, true, true, true, true, false, false]),
        (O::CacheTtl, [true, true, false, false, true, false, false]),
        (O::SkipPreprocessor, [true; 7]),
        (
            O::InvisibleToOwner,
            [true, true, true, true, false, false, false],
        ),
        (
            O::QueueLimit,
            [false, false, false, false, true, true, true],
        ),
        (O::MemoryId, [false, false, true, true, false, true, true]),
        (O::Retry, [true, true, false, false, false, false, false]),
    ];
    for (option, row) in table {
        for (endpoint, expected) in E::all().iter().zip(row) {
            assert_eq!(
                endpoint.takes(*option),
                *expected,
                "{option:?} on {endpoint}"
            );
        }
    }
}

#[test]
fn every_option_not_taken_names_itself_and_the_endpoint() {
    let all = RunOptions::new()
        .tag("t")
        .scheduled_in(Duration::from_secs(3))
        .job_id(JobId::from_u128(1))
        .parent_job(JobId::from_u128(2))
        .root_job(JobId::from_u128(3))
        .cache_ttl(Duration::from_secs(9))
        .skip_preprocessor(true)
        .invisible_to_owner(true)
        .queue_limit(4)
        .memory_id("chat")
        .retry(RetryPolicy::constant(1, Duration::ZERO));
    assert_eq!(all.set_options().len(), 11);
    for option in all.set_options() {
        for endpoint in RunEndpoint::all() {
            let only = only(&all, option);
            let res = only.check_for(*endpoint);
            if endpoint.takes(option) {
                assert!(res.is_ok(), "{option:?} on {endpoint}: {res:?}");
            } else {
                let msg = res.unwrap_err().to_string();
                assert!(
                    msg.contains(&format!("`{}`", option.method_name())),
                    "{msg}"
                );
                assert!(msg.contains(endpoint.operation_id()), "{msg}");
            }
        }
    }
}

/// `all` reduced to `option`.
fn only(all: &RunOptions, option: RunOption) -> RunOptions {
    let mut o = RunOptions::new();
    match option {
        RunOption::Tag => o.tag = all.tag.clone(),
        RunOption::ScheduledIn => o.scheduled_in = all.scheduled_in,
        RunOption::ScheduledFor => o.scheduled_for = all.scheduled_for,
        RunOption::JobId => o.job_id = all.job_id,
        RunOption::ParentJob => o.parent_job = all.parent_job,
        RunOption::RootJob => o.root_job = all.root_job,
        RunOption::CacheTtl => o.cache_ttl = all.cache_ttl,
        RunOption::SkipPreprocessor => o.skip_preprocessor = true,
        RunOption::InvisibleToOwner => o.invisible_to_owner = true,
        RunOption::QueueLimit => o.queue_limit = all.queue_limit,
        RunOption::MemoryId => o.memory_id = all.memory_id.clone(),
        RunOption::Retry => o.retry = all.retry.clone(),
    }
    o
}

#[test]
fn values_are_checked() {
    let bad = [
        RunOptions::new().cache_ttl(Duration::from_millis(999)),
        RunOptions::new().cache_ttl(Duration::from_secs(i32::MAX as u64 + 1)),
        RunOptions::new().memory_id(" "),
        RunOptions::new().memory_id("a\nb"),
        RunOptions::new().scheduled_for(UNIX_EPOCH - Duration::from_secs(1)),
        RunOptions::new()
            .retry(RetryPolicy::constant(1, Duration::ZERO))
            .invisible_to_owner(true),
        RunOptions::new().retry(RetryPolicy::exponential(1, Duration::from_millis(500), 2)),
        RunOptions::new().retry(RetryPolicy::constant(1, Duration::ZERO).random_factor(5)),
        RunOptions::new()
            .retry(RetryPolicy::exponential(1, Duration::from_secs(1), 2).random_factor(101)),
    ];
    for o in bad {
        let e = o.check_for(RunEndpoint::ScriptByPath).unwrap_err();
        assert!(matches!(e, Error::InvalidInput { what: WHAT, .. }), "{e}");
    }
    // The setters replace each other; only the fields can hold both.
    let later = RunOptions::new()
        .scheduled_for(at(10))
        .scheduled_in(Duration::from_secs(2));
    assert_eq!(
        (later.scheduled_in, later.scheduled_for),
        (Some(Duration::from_secs(2)), None)
    );
    let at_ten = later.scheduled_for(at(10));
    assert_eq!(
        (at_ten.scheduled_in, at_ten.scheduled_for),
        (None, Some(at(10)))
    );
    // Both schedules, set through the fields.
    let mut o = RunOptions::new().scheduled_for(at(10));
    o.scheduled_in = Some(Duration::from_secs(2));
    assert!(o.check_for(RunEndpoint::ScriptByPath).is_err());
    // A sub-second scheduled_in is not sent, so it is no conflict.
    o.scheduled_in = Some(Duration::from_millis(2));
    assert!(o.check_for(RunEndpoint::ScriptByPath).is_ok());
}

#[test]
fn retry_policies_from_json() {
    for bad in [
        json!([1]),
        json!({}),
        json!({"constant": 3}),
        json!({"constant": {"attempts": "3"}}),
        json!({"exponential": {"attempts": 1, "seconds": 0}}),
        json!({"exponential": {"random_factor": 200, "seconds": 1}}),
    ] {
        assert!(RetryPolicy::from_json(bad.clone()).is_err(), "{bad}");
    }
    let p = RetryPolicy::constant(2, Duration::from_millis(2_900)).and_exponential(
        3,
        Duration::from_secs(2),
        1,
    );
    assert_eq!(
        p.to_json(),
        json!({"constant": {"attempts": 2, "seconds": 2},
               "exponential": {"attempts": 3, "seconds": 2, "multiplier": 1}})
    );
    assert_eq!(RetryPolicy::from_json(p.to_json()).unwrap(), p);
    assert_eq!(
        serde_json::from_str::<Value>(&p.to_query_value()).unwrap(),
        p.to_json()
    );
}

#[test]
fn sync_runs_pick_the_endpoint_that_takes_the_options() {
    let ql = RunOptions::new().queue_limit(10);
    assert!(ql.check_sync(RunEndpoint::ScriptByPath).is_ok());
    assert!(ql.check_sync(RunEndpoint::FlowByVersion).is_ok());
    let e = ql.check_sync(RunEndpoint::ScriptByHash).unwrap_err();
    assert!(
        e.to_string().contains("jobs/run/h (runScriptByHash)"),
        "{e}"
    );
    let e = ql
        .clone()
        .scheduled_in(Duration::from_secs(5))
        .check_sync(RunEndpoint::ScriptByPath)
        .unwrap_err();
    assert!(e.to_string().contains("`scheduled_in`"), "{e}");
    let e = ql
        .clone()
        .wait(WaitOptions::new().strategy(WaitStrategy::ServerEvents))
        .check_sync(RunEndpoint::ScriptByPath)
        .unwrap_err();
    assert!(e.to_string().contains("WaitStrategy::Auto"), "{e}");
    let no_cancel = ql.clone().timeout(Duration::from_secs(1)).cleanup(false);
    assert!(no_cancel.check_sync(RunEndpoint::ScriptByPath).is_err());
    // Without a timeout, cancel_on_timeout does not matter.
    assert!(
        ql.clone()
            .cleanup(false)
            .check_sync(RunEndpoint::ScriptByPath)
            .is_ok()
    );
    // Without queue_limit, a synchronous run is a start and a wait.
    let sched = RunOptions::new().scheduled_for(at(5)).tag("t");
    assert!(sched.check_sync(RunEndpoint::FlowByPath).is_ok());
    assert!(
        RunOptions::new()
            .memory_id("m")
            .check_sync(RunEndpoint::ScriptByPath)
            .is_err()
    );
}

#[test]
fn start_delays() {
    assert_eq!(RunOptions::new().start_delay(), None);
    assert_eq!(
        RunOptions::new().scheduled_for(at(1)).start_delay(),
        Some(Duration::ZERO)
    );
    let later = RunOptions::new()
        .scheduled_for(SystemTime::now() + Duration::from_secs(60))
        .start_delay()
        .unwrap();
    assert!(later > Duration::from_secs(50) && later <= Duration::from_secs(60));
    assert_eq!(
        RunOptions::new()
            .scheduled_in(Duration::from_secs(2))
            .start_delay(),
        Some(Duration::from_secs(2))
    );
}
