use super::*;

#[test]
fn uris_check_their_storage_name() {
    for bad in [
        "s3://../k",
        "s3://./k",
        "s3:// a/k",
        "s3://a\\b/k",
        "s3://a\tb/k",
    ] {
        assert!(S3Object::parse(bad).is_err(), "{bad:?}");
    }
    assert_eq!(
        S3Object::parse("s3://.../k").unwrap().storage(),
        Some("...")
    );
    assert_eq!(S3Object::parse("s3:///k").unwrap().storage(), None);
}

#[test]
fn filename_and_debug() {
    let obj: S3Object = serde_json::from_value(serde_json::json!({
        "s3": "reports/q1.csv",
        "storage": "archive",
        "filename": "Q1 report.csv",
        "presigned": "X-Amz-Signature=SECRET"
    }))
    .unwrap();
    assert_eq!(obj.filename(), Some("Q1 report.csv"));
    let debug = format!("{obj:?}");
    assert_eq!(
        debug,
        r#"S3Object { s3: "reports/q1.csv", storage: Some("archive"), presigned: "***", filename: "Q1 report.csv" }"#
    );
    assert_eq!(S3Object::new("k").unwrap().filename(), None);
}

#[test]
fn storage_names_are_one_plain_segment() {
    for bad in [".", "..", "a/b", "a\\b", "/", "a\nb", " a", "a "] {
        let e = validate_storage(bad).unwrap_err();
        assert!(
            matches!(
                &e,
                Error::InvalidInput {
                    what: "S3 storage name",
                    ..
                }
            ),
            "{bad:?}: {e:?}"
        );
    }
    for good in ["main", "a.b", "...", ".a", "a.", "my storage", "ü"] {
        assert!(validate_storage(good).is_ok(), "{good:?}");
    }
}

#[test]
fn parse_and_display_round_trip() {
    for uri in ["s3://st/a/b.csv", "s3:///x", "s3://s/k with space.txt"] {
        let obj = S3Object::parse(uri).unwrap();
        assert_eq!(obj.to_string(), uri);
    }
    let obj = S3Object::parse("s3:///x").unwrap();
    assert_eq!(obj.storage(), None);
    assert_eq!(obj.storage_segment(), "_default_");
}

#[test]
fn bad_keys_are_invalid_input() {
    for key in [
        "", "/", "//", "/../x", "a/../b", "..", "a/./b", "dir/", "/dir/", "a\nb", "a\u{0}b",
    ] {
        let err = S3Object::new(key).unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { .. }),
            "{key:?}: {err:?}"
        );
    }
    for uri in ["k", "s3://", "s3://st", "s3://st/", "s3:////", "S3://a/b"] {
        assert!(S3Object::parse(uri).is_err(), "{uri}");
    }
    assert!(S3Object::new("a/..b/c..").is_ok());
}

#[test]
fn leading_slash_and_empty_segments_are_dropped_from_the_stored_key() {
    for (given, stored) in [
        ("/path/to/file.txt", "path/to/file.txt"),
        ("a//b", "a/b"),
        ("//x///y", "x/y"),
        ("plain", "plain"),
    ] {
        let obj = S3Object::new(given).unwrap();
        assert_eq!(obj.key(), stored, "{given:?}");
        assert_eq!(obj.original_key(), given);
        // serialized and displayed as given, and read back equal
        let json = serde_json::to_value(&obj).unwrap();
        assert_eq!(json, serde_json::json!({ "s3": given }));
        let back: S3Object = serde_json::from_value(json).unwrap();
        assert_eq!(back, obj);
        assert_eq!(S3Object::parse(&obj.to_string()).unwrap(), obj);
    }
    let uri = S3Object::parse("s3:////abs/k").unwrap();
    assert_eq!((uri.storage(), uri.key()), (None, "abs/k"));
    let named = S3Object::parse("s3://st//k").unwrap();
    assert_eq!((named.storage(), named.key()), (Some("st"), "k"));
}

#[test]
fn json_form() {
    let obj: S3Object = serde_json::from_str(r#"{"s3":"k","storage":null}"#).unwrap();
    assert_eq!(obj.storage(), None);
    let obj: S3Object =
        serde_json::from_str(r#"{"s3":"k","storage":"","presigned":"sig=1&exp=2","filename":"f"}"#)
            .unwrap();
    assert_eq!(obj.storage(), None);
    assert_eq!(obj.presigned(), Some("sig=1&exp=2"));
    assert_eq!(
        serde_json::to_value(&obj).unwrap(),
        serde_json::json!({"s3": "k", "presigned": "sig=1&exp=2", "filename": "f"})
    );
    assert!(serde_json::from_str::<S3Object>(r#"{"s3":"../x"}"#).is_err());
    assert!(!format!("{obj:?}").contains("sig=1"));
}

proptest::proptest! {
    #[test]
    fn display_parses_back(
        storage in proptest::option::of("[a-z0-9_-]{1,12}"),
        segments in proptest::collection::vec("[a-zA-Z0-9 ._=+-]{1,10}", 1..5),
    ) {
        let key = segments.join("/");
        proptest::prop_assume!(validate_key(&key).is_ok());
        let obj = S3Object::new(key.clone()).unwrap().with_storage_opt(storage.as_deref());
        let back = S3Object::parse(&obj.to_string()).unwrap();
        proptest::prop_assert_eq!(&back, &obj);
        let json: S3Object = serde_json::from_value(serde_json::to_value(&obj).unwrap()).unwrap();
        proptest::prop_assert_eq!(json, obj);
    }

    #[test]
    fn parse_never_panics(text in "\\PC{0,40}") {
        let _ = S3Object::parse(&text);
        let _ = S3Object::new(text);
    }
}
