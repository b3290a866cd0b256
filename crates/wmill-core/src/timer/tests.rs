use std::time::{Duration, Instant};

use futures::executor::block_on;
use futures::future::{Either, join_all, select};

use super::*;

#[test]
fn a_sleep_lasts_at_least_its_duration() {
    let start = Instant::now();
    block_on(sleep(Duration::from_millis(30)));
    assert!(start.elapsed() >= Duration::from_millis(30));
}

#[test]
fn a_zero_sleep_is_ready_at_once() {
    let start = Instant::now();
    block_on(sleep(Duration::ZERO));
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn concurrent_sleeps_each_wake_at_their_deadline() {
    let start = Instant::now();
    let ends = block_on(join_all([50u64, 10, 30].map(|ms| async move {
        sleep(Duration::from_millis(ms)).await;
        (ms, start.elapsed())
    })));
    for (ms, elapsed) in ends {
        assert!(
            elapsed >= Duration::from_millis(ms),
            "{ms} ms woke at {elapsed:?}"
        );
    }
}

#[test]
fn the_shorter_of_two_sleeps_wins_a_select() {
    let out = block_on(select(
        sleep(Duration::from_secs(60)),
        sleep(Duration::from_millis(10)),
    ));
    assert!(matches!(out, Either::Right(_)));
}

#[test]
fn a_deadline_past_what_instant_holds_never_comes() {
    let out = block_on(select(
        sleep(Duration::MAX),
        sleep(Duration::from_millis(10)),
    ));
    assert!(matches!(out, Either::Right(_)));
}
