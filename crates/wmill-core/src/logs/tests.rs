use crate::sync::Mutex;

use super::*;

#[test]
fn offsets_count_characters() {
    let log = "é→a\nb";
    assert_eq!(after_offset(log, 0), (log, 6));
    assert_eq!(after_offset(log, 1), (log, 6));
    assert_eq!(after_offset(log, 2), ("→a\nb", 6));
    assert_eq!(after_offset(log, 3), ("a\nb", 6));
    assert_eq!(after_offset(log, 6), ("", 6));
    assert_eq!(after_offset(log, 60), ("", 6));
    assert_eq!(after_offset("", 0), ("", 1));
}

fn collecting() -> (LogForward, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let out = lines.clone();
    (
        LogForward::callback(move |_, l| out.lock().push(l.to_owned())),
        lines,
    )
}

#[test]
fn sinks_cut_lines_and_bound_partial_lines() {
    let (forward, lines) = collecting();
    let mut sink = forward.sink(JobId::from_u128(1));
    sink.push("");
    sink.push("one\ntw");
    sink.push("o\n\nthr");
    assert_eq!(*lines.lock(), ["one", "two", ""]);
    sink.finish();
    sink.finish();
    assert_eq!(*lines.lock(), ["one", "two", "", "thr"]);

    let (forward, lines) = collecting();
    let mut sink = forward.sink(JobId::from_u128(1));
    let long = "é".repeat(MAX_LOG_LINE); // 2 bytes each
    sink.push(&long);
    sink.finish();
    let got = lines.lock();
    assert!(got.len() >= 2, "{}", got.len());
    assert!(got.iter().all(|l| l.len() <= MAX_LOG_LINE));
    assert_eq!(got.concat(), long);
}

#[test]
fn forwards_compare_and_print_without_the_function() {
    let (a, _) = collecting();
    assert_eq!(a, a.clone());
    let (b, _) = collecting();
    assert_ne!(a, b);
    assert_eq!(LogForward::Tracing, LogForward::Tracing);
    assert_ne!(LogForward::Tracing, LogForward::None);
    assert_eq!(format!("{a:?}"), "Callback(..)");
    assert!(LogForward::default().is_none());
    let mut none = LogForward::None.sink(JobId::from_u128(2));
    none.push("x\n");
    none.finish();
    assert!(format!("{none:?}").contains("partial: 0"));
}

#[test]
fn updates_become_chunks_when_they_carry_text() {
    assert_eq!(LogUpdate::new("", 5, true).into_chunk(), None);
    let c = LogUpdate::new("ab", 7, false)
        .with_skipped(3)
        .into_chunk()
        .unwrap();
    assert_eq!(c, LogChunk::new("ab", 7).with_skipped(3));
}
