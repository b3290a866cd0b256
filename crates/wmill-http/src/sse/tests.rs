use super::*;

fn all(chunks: &[&[u8]]) -> Vec<SseEvent> {
    let mut p = SseParser::new();
    chunks.iter().flat_map(|c| p.push(c)).collect()
}

#[test]
fn an_empty_chunk_between_cr_and_lf_changes_nothing() {
    let mut p = SseParser::new();
    let mut out = p.push(b"event: tick\r");
    out.extend(p.push(b""));
    out.extend(p.push(b"\ndata: 1\r\n\r\n"));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].event.as_deref(), Some("tick"));
    assert_eq!(out[0].data, "1");
}

#[test]
fn basic_and_fields() {
    let ev = all(&[b"event: update\nid: 7\nretry: 10\ndata:x\n\n"]);
    assert_eq!(
        ev,
        vec![SseEvent {
            event: Some("update".into()),
            data: "x".into(),
            id: Some("7".into())
        }]
    );
}

#[test]
fn line_endings_and_split_chunks() {
    let whole = b"data: one\r\n\r\ndata: two\r\rdata: three\n\n";
    let expected: Vec<String> = vec!["one".into(), "two".into(), "three".into()];
    for split in 0..whole.len() {
        let (a, b) = whole.split_at(split);
        let got: Vec<String> = all(&[a, b]).into_iter().map(|e| e.data).collect();
        assert_eq!(got, expected, "split at {split}");
    }
    let bytewise: Vec<&[u8]> = whole.chunks(1).collect();
    let got: Vec<String> = all(&bytewise).into_iter().map(|e| e.data).collect();
    assert_eq!(got, expected);
}

#[test]
fn comments_and_empty_events() {
    let ev = all(&[b": keep-alive\n\nevent: x\n\ndata\n\n"]);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].data, "");
}

#[test]
fn unterminated_event_is_not_dispatched() {
    let mut p = SseParser::new();
    assert!(p.push(b"data: partial\n").is_empty());
    p.finish();
    assert!(p.push(b"\n").is_empty());
}

#[test]
fn multiline_data_and_utf8_across_chunks() {
    let s = "data: é\ndata: ü\n\n".as_bytes();
    let (a, b) = s.split_at(7); // inside the é
    let ev = all(&[a, b]);
    assert_eq!(ev[0].data, "é\nü");
}
