use super::*;
use parking_lot::Mutex;

#[test]
fn reports_every_chunk_then_the_end() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let cb: ProgressFn = Arc::new(move |p: &TransferProgress| {
        sink.lock().push((p.bytes_done, p.bytes_total, p.finished));
    });
    let mut m = Meter::new(Some(cb), "put", "s3:///k".into(), None);
    m.add(3);
    m.add(0);
    m.add(4);
    m.finish();
    m.finish();
    assert_eq!(
        *seen.lock(),
        vec![(3, None, false), (7, None, false), (7, Some(7), true)]
    );
}
