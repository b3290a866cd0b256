use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};

use super::parse_time;
use super::read::slice_stream;

#[tokio::test]
async fn slicing_cuts_across_chunks() {
    let chunks: Vec<object_store::Result<Bytes>> = vec![
        Ok(Bytes::from_static(b"0123")),
        Ok(Bytes::from_static(b"4567")),
        Ok(Bytes::from_static(b"89")),
    ];
    let out: Vec<Bytes> = slice_stream(futures::stream::iter(chunks).boxed(), 3..9)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(out.concat(), b"345678");
}

#[tokio::test]
async fn slicing_stops_reading_after_the_range() {
    // What comes after the range is never read: here it would fail.
    let chunks: Vec<object_store::Result<Bytes>> = vec![
        Ok(Bytes::from_static(b"0123")),
        Ok(Bytes::from_static(b"4567")),
        Err(object_store::Error::Generic {
            store: "test",
            source: "read past the range".into(),
        }),
    ];
    let out: Vec<Bytes> = slice_stream(futures::stream::iter(chunks).boxed(), 2..8)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(out.concat(), b"234567");
}

#[test]
fn times_parse() {
    assert_eq!(
        parse_time(Some("2024-01-02T03:04:05Z")).timestamp(),
        1704164645
    );
    assert_eq!(parse_time(Some("garbage")), DateTime::<Utc>::UNIX_EPOCH);
}
