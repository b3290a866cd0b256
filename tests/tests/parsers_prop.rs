//! Property tests of the parsers the reliability issue names: `S3Object` URIs (parse/display
//! round trip, JSON form, no panic on any input) and the SSE parser (`wmill_http::sse::SseParser`:
//! events survive any chunking, serialize/parse round trip, no panic on arbitrary bytes).
//! `ItemPath`, `JobId`, `ScriptHash` and `Workspace` have theirs in
//! `crates/wmill-core/tests/parsers_prop.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use proptest::prelude::*;
use wmill_http::sse::{SseEvent, SseParser};
use wmill_s3::S3Object;

fn key_segment() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 _.=+()é-]{1,12}".prop_filter("not . or ..", |s| s != "." && s != "..")
}

fn storage() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[a-zA-Z0-9_-]{1,16}")
}

proptest! {
    #[test]
    fn s3_uris_round_trip(storage in storage(), segs in prop::collection::vec(key_segment(), 1..5)) {
        let key = segs.join("/");
        let uri = format!("s3://{}/{key}", storage.as_deref().unwrap_or(""));
        let obj = S3Object::parse(&uri).unwrap();
        prop_assert_eq!(obj.key(), key.as_str());
        prop_assert_eq!(obj.storage(), storage.as_deref());
        prop_assert_eq!(obj.to_string(), uri.clone());
        prop_assert_eq!(uri.parse::<S3Object>().unwrap(), obj.clone());
        let json = serde_json::to_value(&obj).unwrap();
        prop_assert_eq!(&json["s3"], &serde_json::json!(key));
        prop_assert_eq!(serde_json::from_value::<S3Object>(json).unwrap(), obj);
    }

    #[test]
    fn s3_parse_never_panics(s in any::<String>()) {
        let _ = S3Object::parse(&s);
        let _ = S3Object::new(s.clone());
        let _ = serde_json::from_value::<S3Object>(serde_json::json!({"s3": s, "storage": s}));
    }

    #[test]
    fn accepted_s3_keys_are_safe(s in "(s3://)?[a-z]{0,2}/{0,2}[a./\\x00\\n\\x7f]{0,10}") {
        if let Ok(obj) = S3Object::parse(&s) {
            let key = obj.key();
            prop_assert!(!key.is_empty() && !key.starts_with('/') && !key.ends_with('/'));
            prop_assert!(!key.chars().any(char::is_control));
            prop_assert!(key.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != ".."));
            prop_assert_eq!(S3Object::parse(&obj.to_string()).unwrap(), obj);
        }
    }

    #[test]
    fn sse_never_panics_on_arbitrary_bytes(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..8)) {
        let mut p = SseParser::new();
        for c in &chunks {
            let _ = p.push(c);
        }
        p.finish();
        prop_assert!(p.push(b"\n\n").is_empty());
    }

    #[test]
    fn sse_events_round_trip_under_any_chunking(
        events in prop::collection::vec(
            (proptest::option::of("[a-z]{1,8}"),
             prop::collection::vec("[^\r\n]{0,12}", 1..4),
             proptest::option::of("[0-9]{1,4}")),
            0..6),
        eol in prop::sample::select(vec!["\n", "\r\n", "\r"]),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
    ) {
        let mut text = String::new();
        let mut expected = Vec::new();
        for (event, lines, id) in &events {
            text.push_str(&format!(": comment{eol}"));
            if let Some(e) = event {
                text.push_str(&format!("event: {e}{eol}"));
            }
            for l in lines {
                text.push_str(&format!("data: {l}{eol}"));
            }
            if let Some(i) = id {
                text.push_str(&format!("id: {i}{eol}"));
            }
            text.push_str(eol);
            let mut ev = SseEvent::default();
            ev.event = event.clone();
            ev.data = lines.join("\n");
            ev.id = id.clone();
            expected.push(ev);
        }
        let bytes = text.as_bytes();
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
        points.sort_unstable();
        let mut p = SseParser::new();
        let mut got = Vec::new();
        let mut last = 0;
        for at in points.into_iter().chain(std::iter::once(bytes.len())) {
            got.extend(p.push(&bytes[last..at]));
            last = at;
        }
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn an_unterminated_event_is_never_dispatched(data in "[^\r\n]{0,20}") {
        let mut p = SseParser::new();
        let line = format!("data: {data}\n");
        prop_assert!(p.push(line.as_bytes()).is_empty());
        p.finish();
        prop_assert!(p.push(b"\n").is_empty());
    }
}
