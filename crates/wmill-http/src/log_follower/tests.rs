use super::*;

#[test]
fn polls_follow_the_event_streams_schedule() {
    let total: Duration = (1..=28).map(poll_interval).sum();
    assert!(total >= Duration::from_secs(10), "{total:?}");
    assert_eq!(poll_interval(200), Duration::from_secs(3));
}
