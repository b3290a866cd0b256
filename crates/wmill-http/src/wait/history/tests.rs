use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn sample(total: u64, run: u64) -> Sample {
    Sample {
        total: ms(total),
        run: ms(run),
        lo: Duration::ZERO,
    }
}

#[test]
fn predicts_the_shortest_of_the_recent_runs() {
    let h = History::new(4);
    let k = History::key("p", "f/a/b");
    assert_eq!(h.predict(k), None);
    h.record(k, sample(210, 200));
    h.record(k, sample(204, 204));
    // A slower run's lower bound is past the fastest completion: it is not used.
    h.record(
        k,
        Sample {
            lo: ms(300),
            ..sample(310, 200)
        },
    );
    h.record(
        k,
        Sample {
            lo: ms(195),
            ..sample(230, 190)
        },
    );
    assert_eq!(
        h.predict(k),
        Some(Sample {
            lo: ms(195),
            ..sample(204, 190)
        })
    );
    // Only the last SAMPLES count: the short ones age out.
    for _ in 0..SAMPLES {
        h.record(k, sample(500, 480));
    }
    assert_eq!(h.predict(k), Some(sample(500, 480)));
}

#[test]
fn keys_separate_kinds_and_names() {
    assert_ne!(History::key("p", "f/a/b"), History::key("f", "f/a/b"));
    assert_ne!(History::key("p", "f/a/b"), History::key("p", "f/a/c"));
    assert_eq!(History::key("h", "abc"), History::key("h", "abc"));
}

#[test]
fn capacity_evicts_the_least_recently_used() {
    let h = History::new(2);
    let (a, b, c) = (
        History::key("p", "a"),
        History::key("p", "b"),
        History::key("p", "c"),
    );
    h.record(a, sample(1, 1));
    h.record(b, sample(2, 2));
    // Reading `a` makes `b` the least recently used.
    assert!(h.predict(a).is_some());
    h.record(c, sample(3, 3));
    assert_eq!(h.len(), 2);
    assert_eq!(h.predict(b), None, "b was evicted");
    assert_eq!(h.predict(a), Some(sample(1, 1)));
    assert_eq!(h.predict(c), Some(sample(3, 3)));
    // Many more keys never grow the map past its capacity.
    for i in 0..1000 {
        h.record(History::key("p", &format!("x{i}")), sample(i, i));
    }
    assert_eq!(h.len(), 2);
}

#[test]
fn zero_capacity_remembers_nothing() {
    let h = History::new(0);
    let k = History::key("p", "a");
    h.record(k, sample(1, 1));
    assert_eq!(h.len(), 0);
    assert_eq!(h.predict(k), None);
}

#[test]
fn a_learner_measures_from_the_start_and_from_the_last_queued_sighting() {
    let h = History::new(8);
    let k = History::key("p", "a");
    let l = Learner::new(&h, k);
    assert_eq!(l.prediction, None);
    assert_eq!(l.queued_at(), l.start);
    l.mark_queued(l.start + ms(30));
    // An older sighting never moves the mark back.
    l.mark_queued(l.start + ms(10));
    assert_eq!(l.queued_at(), l.start + ms(30));
    l.mark_incomplete(l.start + ms(220));
    l.record(l.start + ms(230));
    let expected = Sample {
        lo: ms(220),
        ..sample(230, 200)
    };
    assert_eq!(h.predict(k), Some(expected));
    assert_eq!(Learner::new(&h, k).prediction, Some(expected));
}

#[test]
fn the_longest_recent_total_is_known_with_the_prediction() {
    let h = History::new(4);
    let k = History::key("p", "a");
    assert_eq!(h.lookup(k), None);
    h.record(k, sample(200, 190));
    h.record(k, sample(900, 880));
    h.record(k, sample(210, 200));
    let (p, longest) = h.lookup(k).unwrap();
    assert_eq!(p.total, ms(200));
    assert_eq!(longest, ms(900));
    let l = Learner::new(&h, k);
    assert!(l.known_shorter_than(ms(901)));
    assert!(!l.known_shorter_than(ms(900)));
    // A first run is never known to be short.
    assert!(!Learner::new(&h, History::key("p", "b")).known_shorter_than(Duration::MAX));
}

#[test]
fn started_jobs_are_bounded_and_forgotten_once_done() {
    let h = History::new(1);
    let k = History::key("p", "a");
    let at = Instant::now();
    let ids: Vec<JobId> = (0..6).map(JobId::from_u128).collect();
    for id in &ids {
        h.started(*id, k, at);
    }
    // Four per remembered script: the two oldest were forgotten.
    assert_eq!(h.started_len(), 4);
    assert_eq!(h.started_job(&ids[0]), None);
    assert_eq!(h.started_job(&ids[1]), None);
    assert_eq!(h.started_job(&ids[5]), Some((k, at)));
    h.forget_started(&ids[5]);
    assert_eq!(h.started_job(&ids[5]), None);
    // Nothing is remembered without learning.
    let off = History::new(0);
    off.started(ids[0], k, at);
    assert_eq!(off.started_job(&ids[0]), None);
}

#[test]
fn a_wait_is_timely_before_the_expected_end_or_when_it_saw_the_job_running() {
    let h = History::new(4);
    let k = History::key("p", "a");
    let first = Learner::new(&h, k);
    let begin = first.start + ms(50);
    assert!(!first.timely(begin), "no prediction, nothing seen");
    first.mark_incomplete(begin + ms(1));
    assert!(first.timely(begin));
    assert!(!first.timely(begin + ms(2)), "seen before that wait began");
    h.record(k, sample(200, 200));
    let known = Learner::new(&h, k);
    assert!(known.timely(known.start + ms(100)));
    assert!(!known.timely(known.start + ms(300)));
}
