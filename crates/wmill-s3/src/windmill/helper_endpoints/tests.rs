use super::*;

#[test]
fn raw_text_extensions() {
    for key in ["a.json", "b/C.TXT", "x.yml", "y.log", "z.xml", "w.yaml"] {
        assert!(previews_as_raw_text(key), "{key}");
    }
    for key in ["a.csv", "b.parquet", "c.bin", "json", "a.json.gz"] {
        assert!(!previews_as_raw_text(key), "{key}");
    }
}

#[test]
fn preview_answers_decode_with_unknown_kinds() {
    let p: FilePreview =
        serde_json::from_str(r#"{"content": null, "content_type": "Unknown", "msg": "no"}"#)
            .unwrap();
    assert_eq!(p.content_type, PreviewContentType::Unknown);
    let p: FilePreview = serde_json::from_str(r#"{"content_type": "Image"}"#).unwrap();
    assert_eq!(p.content_type, PreviewContentType::Other("Image".into()));
    let u: StorageUsage = serde_json::from_str(
        r#"{"total_bytes": 5, "storages": [{"storage": "_default_", "bytes": 5, "computed_at": "2026-01-01T00:00:00Z"}]}"#,
    )
    .unwrap();
    assert_eq!(
        (u.total_bytes, u.quota_bytes, u.storages.len()),
        (5, None, 1)
    );
}
