use std::fmt;

use serde_json::Value;

use crate::JobId;

use super::excerpt::truncate_in_place;
use super::item::*;
use super::redact::*;
use super::remote::*;
use super::variants::*;

#[test]
fn job_error_summaries() {
    let id = JobId::from_u128(2);
    let failed = |error: serde_json::Value| Error::JobFailed {
        job_id: id,
        error: Box::new(error),
    };
    let prefix = format!("job {id} failed: ");
    assert_eq!(
        failed(json!({"message": "boom"})).to_string(),
        format!("{prefix}boom")
    );
    assert_eq!(
        failed(json!({"name": 3, "message": "boom"})).to_string(),
        format!("{prefix}boom")
    );
    assert_eq!(
        failed(json!({"error": {"name": "E", "message": "m"}})).to_string(),
        format!("{prefix}E: m")
    );
    assert_eq!(failed(json!([1])).to_string(), format!("{prefix}[1]"));
}

#[test]
fn truncation_keeps_text_at_the_limit_whole() {
    let mut s = "abc".to_owned();
    truncate_in_place(&mut s, 3);
    assert_eq!(s, "abc");
    let mut s = "abcd".to_owned();
    truncate_in_place(&mut s, 3);
    assert_eq!(s, "abc…");
    let mut s = "aé".to_owned();
    truncate_in_place(&mut s, 2);
    assert_eq!(s, "a…");
}

#[test]
fn redacted_sources_show_the_shape() {
    let e = redacted("invalid type: string \"hunter2\", expected u16");
    assert_eq!(e.to_string(), "invalid type: string \"…\", expected u16");
    // A quote inside the value is escaped by the decoder: still one string, redacted.
    let e = redacted(r#"invalid type: string "a\"b", expected u16"#);
    assert_eq!(e.to_string(), "invalid type: string \"…\", expected u16");
    // A position only when both parts are numbers.
    let e = redacted("invalid type: string \"x\", expected u16 at line 3 column 9");
    assert_eq!(
        e.to_string(),
        "invalid type: string \"…\", expected u16 at line 3 column 9"
    );
    assert_eq!(
        redacted("no variant of enum Secret").to_string(),
        UNRECOGNIZED_DECODE_ERROR
    );
    // A list of names starts with a backtick (or "one of `"), not just ends with one.
    assert_eq!(
        redacted("unknown variant `x`, expected a`").to_string(),
        UNRECOGNIZED_DECODE_ERROR
    );
    // A lone backtick is not a list of names.
    assert_eq!(
        redacted("unknown variant `x`, expected `").to_string(),
        UNRECOGNIZED_DECODE_ERROR
    );
    assert_eq!(
        redacted("unknown variant `x`, expected `a`").to_string(),
        "unknown variant `…`, expected `a`"
    );
    assert_eq!(
        redacted("no variant of enum Secret found in flattened data").to_string(),
        "no variant of the enum found in flattened data"
    );
}
use serde_json::json;

#[test]
fn retryable_statuses() {
    let api = |status| Error::Api {
        status,
        request: "GET /x".into(),
        body: String::new(),
    };
    for s in [429, 500, 502, 503, 504] {
        assert!(api(s).is_retryable(), "{s}");
    }
    for s in [400, 409, 422, 501] {
        assert!(!api(s).is_retryable(), "{s}");
    }
    assert_eq!(api(503).status(), Some(503));
    let transport = Error::Transport {
        request: "GET /x".into(),
        source: "reset".into(),
    };
    assert!(transport.is_retryable());
    assert!(!transport.is_not_found());
    assert!(Error::not_found(ItemKind::Job, "x").is_not_found());
    assert!(!Error::invalid("item path", "empty").is_retryable());
}

#[test]
fn job_failed_message_uses_name_and_message() {
    let err = Error::JobFailed {
        job_id: JobId::from_u128(1),
        error: Box::new(json!({"name": "ValueError", "message": "boom", "stack": "..."})),
    };
    assert_eq!(
        err.to_string(),
        "job 00000000-0000-0000-0000-000000000001 failed: ValueError: boom"
    );
    assert_eq!(err.job_error().unwrap()["message"], "boom");
}

#[test]
fn error_is_small_and_thread_safe() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Error>();
    assert!(
        std::mem::size_of::<Error>() <= 80,
        "{}",
        std::mem::size_of::<Error>()
    );
}

/// Everything a user may see of `err`: its message, its `Debug` and those of its sources.
fn everything_shown(err: &Error) -> String {
    let mut text = format!("{err}\n{err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        text.push_str(&format!("\n{s}\n{s:?}"));
        source = s.source();
    }
    text
}

/// The [`Error::decode_secret`] of decoding `value` as a `T` (which must fail).
fn decode_error<T: serde::de::DeserializeOwned + fmt::Debug>(value: &Value) -> Error {
    let e = T::deserialize(value).unwrap_err();
    Error::decode_secret("resource f/db/main", value, e)
}

/// Fails when `secret`, its escaped form, or a piece of it of 5 bytes or more between
/// quotes, backticks and backslashes appears in what `err` shows.
#[track_caller]
fn assert_hidden(err: &Error, secret: &str) {
    let shown = everything_shown(err);
    let escaped = format!("{secret:?}");
    let escaped = &escaped[1..escaped.len() - 1];
    let pieces = secret.split(['"', '`', '\\']).filter(|p| p.len() >= 5);
    for needle in [secret, escaped].into_iter().chain(pieces) {
        assert!(
            !shown.contains(needle),
            "{needle:?} (of the secret {secret:?}) is shown:\n{shown}"
        );
    }
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Db {
    port: u16,
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Pair {
    pair: (u8, u8),
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Creds {
    password: u32,
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum Mode {
    Fast,
    Slow,
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct WithMode {
    mode: Mode,
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Named {
    name: String,
}

#[test]
fn decode_errors_never_show_strings_with_quotes_backticks_or_backslashes() {
    for secret in [
        "hunter2-plain",
        "ab\"cd-hunter2",
        "\"hunter2\"-quoted",
        "x\\\"hunter2-backslash-quote",
        "trailing-backslash-hunter2\\",
        "`hunter2-backticks`",
        "hunter2\", expected u64",
        "pässwörd-🔑-секрет-密码",
        "line\nbreak\thunter2\u{1}",
    ] {
        let err = decode_error::<Creds>(&json!({ "password": secret }));
        assert!(matches!(err, Error::Decode { .. }));
        assert_hidden(&err, secret);
        assert!(everything_shown(&err).contains("expected u32"), "{err}");

        let err = decode_error::<WithMode>(&json!({ "mode": secret }));
        assert_hidden(&err, secret);
        let err = decode_error::<char>(&json!(secret));
        assert_hidden(&err, secret);
    }
    let long = "hunter2\"".repeat(2000);
    assert_hidden(&decode_error::<Creds>(&json!({ "password": long })), &long);
}

#[test]
fn decode_errors_never_show_numbers_booleans_or_variant_names() {
    let err = decode_error::<Db>(&json!({"port": 123456789}));
    assert_hidden(&err, "123456789");
    assert!(everything_shown(&err).contains("expected u16"), "{err}");
    assert_hidden(&decode_error::<Db>(&json!({"port": -987654})), "987654");
    assert_hidden(&decode_error::<Db>(&json!({"port": 31415.9265})), "31415");
    assert_hidden(
        &decode_error::<Db>(&json!({"port": u64::MAX})),
        &u64::MAX.to_string(),
    );
    assert_hidden(&decode_error::<Named>(&json!({"name": true})), "true");
    assert_hidden(&decode_error::<Named>(&json!({"name": false})), "false");

    let err = decode_error::<WithMode>(&json!({"mode": "hunter2"}));
    assert_hidden(&err, "hunter2");
    // The variants come from the type, not the data: they stay.
    assert!(everything_shown(&err).contains("`fast` or `slow`"), "{err}");

    // Lengths: a sequence of 31337 items where 2 are expected (nested: the outline shows
    // the length of a top-level array).
    let err = decode_error::<Pair>(&json!({"pair": vec![0; 31337]}));
    assert_hidden(&err, "31337");
}

#[test]
fn mock_file_decode_errors_never_show_values() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mock.json");
    std::fs::write(&path, r#"{"resource_types": {"f/db/main": 123456789}}"#).unwrap();
    let err = crate::InMemory::from_mock_file(&path).unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert_hidden(&err, "123456789");
    std::fs::write(&path, r#"{"resource_types": {"f/db/main": true}}"#).unwrap();
    assert_hidden(&crate::InMemory::from_mock_file(&path).unwrap_err(), "true");
}

#[test]
fn redaction_keeps_the_shape_of_serde_messages() {
    let cases = [
        (
            "invalid type: string \"a\\\"b\", expected u16",
            "invalid type: string \"…\", expected u16",
        ),
        (
            "invalid value: integer `-5`, expected u8 at line 3 column 14",
            "invalid value: integer `…`, expected u8 at line 3 column 14",
        ),
        (
            "invalid type: integer `170141183460469231731687303715884105727` as i128, expected u8",
            "invalid type: integer `…`, expected u8",
        ),
        (
            "invalid type: floating point `1.5e300`, expected i32",
            "invalid type: floating point `…`, expected i32",
        ),
        (
            "invalid type: boolean `true`, expected a string",
            "invalid type: boolean `…`, expected a string",
        ),
        (
            "invalid type: character `x`, expected a map",
            "invalid type: character `…`, expected a map",
        ),
        (
            "invalid type: null, expected struct Db",
            "invalid type: null, expected struct Db",
        ),
        (
            "invalid value: map, expected map with a single key",
            "invalid value: map, expected map with a single key",
        ),
        (
            "invalid length 3, expected fewer elements in array",
            "invalid length …, expected fewer elements in array",
        ),
        (
            "unknown variant `a`, expected `fast` or `slow`, expected `x`",
            "unknown variant `…`, expected `x`",
        ),
        (
            "unknown variant `s3cr`et`, expected one of `a`, `b`, `c`",
            "unknown variant `…`, expected one of `a`, `b`, `c`",
        ),
        (
            "unknown variant `s3cret`, there are no variants",
            "unknown variant `…`, there are no variants",
        ),
        (
            "unknown field `extra\n`, expected `port`",
            "unknown field `extra\\n`, expected `port`",
        ),
        (
            "unknown field `extra`, there are no fields",
            "unknown field `extra`, there are no fields",
        ),
        ("missing field `port`", "missing field `port`"),
        (
            "duplicate field `port` at line 1 column 20",
            "duplicate field `port` at line 1 column 20",
        ),
        (
            "EOF while parsing a string at line 1 column 30",
            "EOF while parsing a string at line 1 column 30",
        ),
        (
            "data did not match any variant of untagged enum Auth",
            "data did not match any variant of the untagged enum",
        ),
    ];
    for (message, expected) in cases {
        assert_eq!(redact_message(message), expected, "{message}");
    }
}

#[test]
fn messages_of_unknown_shape_are_replaced() {
    for message in [
        // A `Deserialize` impl's own words, which may quote the value.
        "UUID parsing failed: invalid character: found `z` at 1",
        "invalid IP address syntax",
        // Serde's templates, but not as serde writes them.
        "invalid type: string \"a\"b\", expected u16",
        "invalid type: string \"ends with a backslash\\\", expected u16",
        "invalid type: secret words, expected u16",
        "invalid type: boolean `maybe`, expected u16",
        "invalid type: integer `12a`, expected u16",
        "invalid type: character `ab`, expected u16",
        "invalid type: floating point `1.5x`, expected u16",
        "invalid type: string \"no expected part\"",
        "invalid length 3x, expected 2",
        "unknown variant `a`, expected a secret",
        "missing field `port",
        "secret at line 1 column 2",
        "",
    ] {
        assert_eq!(
            redact_message(message),
            UNRECOGNIZED_DECODE_ERROR,
            "{message}"
        );
    }
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct Everything {
    text: u32,
    list: Vec<u8>,
    map: std::collections::BTreeMap<String, bool>,
    mode: Mode,
    ip: std::net::IpAddr,
    c: char,
}

proptest::proptest! {
    #[test]
    fn no_decoded_string_reaches_a_message(secret in "[a-zA-Z0-9 \"'`\\\\,:{}é🔑\\n\\x01-]{5,40}") {
        let values = [
            json!({"password": &secret}),
            json!({"mode": &secret}),
            json!(&secret),
            json!([&secret]),
            json!({"a": {"b": [1, &secret]}}),
        ];
        for value in &values {
            assert_hidden(&decode_error::<Creds>(value), &secret);
            assert_hidden(&decode_error::<WithMode>(value), &secret);
            assert_hidden(&decode_error::<char>(value), &secret);
            assert_hidden(&decode_error::<Vec<u8>>(value), &secret);
            assert_hidden(&decode_error::<std::net::IpAddr>(value), &secret);
            assert_hidden(&decode_error::<(u8, u8)>(value), &secret);
        }
        for field in ["text", "list", "map", "mode", "ip", "c"] {
            let mut value = json!({
                "text": 1, "list": [1], "map": {"k": true}, "mode": "fast", "ip": "::1", "c": "c"
            });
            value[field] = json!(&secret);
            assert_hidden(&decode_error::<Everything>(&value), &secret);
            value[field] = json!([&secret]);
            assert_hidden(&decode_error::<Everything>(&value), &secret);
            value[field] = json!({"k": &secret});
            assert_hidden(&decode_error::<Everything>(&value), &secret);
        }
    }

    #[test]
    fn no_decoded_number_reaches_a_message(n in 100_000u64.., f in 100_000.0f64..1e12) {
        for value in [json!(n), json!(-(n as i128) as f64), json!(f), json!(n.to_string())] {
            let shown = value.to_string();
            let shown = shown.trim_matches('"');
            assert_hidden(&decode_error::<Db>(&json!({"port": &value})), shown);
            assert_hidden(&decode_error::<u16>(&value), shown);
            assert_hidden(&decode_error::<bool>(&value), shown);
            assert_hidden(&decode_error::<WithMode>(&json!({"mode": &value})), shown);
            assert_hidden(&decode_error::<Vec<u8>>(&json!([value])), shown);
        }
    }
}

#[test]
fn question_mark_on_io_errors_gives_io_with_the_cause() {
    fn read(path: &std::path::Path) -> Result<String> {
        Ok(std::fs::read_to_string(path)?)
    }
    let dir = tempfile::tempdir().unwrap();
    let err = read(&dir.path().join("missing.txt")).unwrap_err();
    assert!(matches!(&err, Error::Io { source } if source.kind() == std::io::ErrorKind::NotFound));
    assert!(
        err.to_string()
            .starts_with("I/O error: No such file or directory"),
        "{err}"
    );
    let timed_out = Error::from(std::io::Error::from(std::io::ErrorKind::TimedOut));
    assert!(timed_out.is_timeout() && !timed_out.is_retryable());
}

#[test]
fn question_mark_on_json_errors_gives_decode_without_the_value() {
    fn parse(text: &str) -> Result<Db> {
        Ok(serde_json::from_str(text)?)
    }
    let err = parse(r#"{"port": "hunter2"}"#).unwrap_err();
    assert!(matches!(&err, Error::Decode { request, .. } if request == "JSON value"));
    assert_eq!(
        err.to_string(),
        "could not decode the JSON value: invalid type: string \"…\", expected u16 at line 1 column 18"
    );
    assert_hidden(&err, "hunter2");
    let err = parse("{").unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not decode the JSON value: EOF while parsing an object at line 1 column 1"
    );
    // A reader that fails: the I/O error.
    struct Broken;
    impl std::io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "pipe closed",
            ))
        }
    }
    let err = Error::from(serde_json::from_reader::<_, Value>(Broken).unwrap_err());
    assert!(
        matches!(&err, Error::Io { source } if source.kind() == std::io::ErrorKind::BrokenPipe),
        "{err:?}"
    );
}

#[test]
fn not_found_names_the_workspace_when_known() {
    let err = Error::not_found(ItemKind::Variable, "f/bench/var1");
    assert_eq!(err.to_string(), "variable not found: f/bench/var1");
    let err = err.in_workspace("tset");
    assert_eq!(
        err.to_string(),
        "variable not found: f/bench/var1 (in workspace \"tset\")"
    );
    // The patterns written before the workspace existed still match.
    assert!(
        matches!(&err, Error::NotFound { kind: ItemKind::Variable, path } if path == "f/bench/var1")
    );
    let Error::NotFound { kind, path } = err else {
        panic!("not a NotFound");
    };
    assert_eq!((kind, path.workspace()), (ItemKind::Variable, Some("tset")));
    assert_eq!(&*path, "f/bench/var1");
    assert_eq!(path.to_string(), "f/bench/var1");
    assert_eq!(String::from(path), "f/bench/var1");
    // Other errors are left as they are.
    let other = Error::invalid("item path", "empty").in_workspace("tset");
    assert_eq!(other.to_string(), "invalid item path: empty");
}

#[test]
fn transport_messages_carry_the_server_and_the_root_cause() {
    let refused = std::io::Error::from_raw_os_error(111);
    let wrapped: BoxError = Box::new(RemoteCause::new(
        "http://127.0.0.1:8000",
        format!(
            "cannot connect to http://127.0.0.1:8000 ({})",
            refused.kind()
        ),
        refused,
    ));
    let err = Error::Transport {
        request: "GET /api/w/demo/variables/get_value/u/a/b".into(),
        source: wrapped,
    };
    assert_eq!(
        err.to_string(),
        "cannot connect to http://127.0.0.1:8000 (connection refused) on GET /api/w/demo/variables/get_value/u/a/b"
    );
    assert!(err.is_retryable());
    // Any other source: its root cause.
    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);
    let err = Error::Transport {
        request: "GET /x".into(),
        source: Box::new(Outer(std::io::Error::from_raw_os_error(104))),
    };
    assert_eq!(
        err.to_string(),
        "transport error on GET /x: connection reset"
    );
    let err = Error::Transport {
        request: "GET /x".into(),
        source: "an event larger than the limit of 10 bytes".into(),
    };
    assert_eq!(
        err.to_string(),
        "transport error on GET /x: an event larger than the limit of 10 bytes"
    );
}

#[test]
fn decode_messages_name_what_and_why() {
    let cause = serde_json::from_str::<Value>("<html>").unwrap_err();
    let err = Error::Decode {
        request: "GET /api/w/demo/x".into(),
        body_excerpt: "<html>".into(),
        source: Box::new(RemoteCause::new(
            "http://127.0.0.1:8000",
            cause.to_string(),
            cause,
        )),
    };
    assert_eq!(
        err.to_string(),
        "could not decode the answer of http://127.0.0.1:8000 to GET /api/w/demo/x: expected value at line 1 column 1 (body starts with \"<html>\")"
    );
    let err = Error::Decode {
        request: "POST /apps/sign_s3_objects".into(),
        body_excerpt: String::new(),
        source: "the server returned no signed object".into(),
    };
    assert_eq!(
        err.to_string(),
        "could not decode the answer to POST /apps/sign_s3_objects: the server returned no signed object"
    );
    let value = json!({"port": "x"});
    let err = decode_error::<Db>(&value);
    assert_eq!(
        err.to_string(),
        "could not decode the resource f/db/main: invalid type: string \"…\", expected u16 (body starts with \"{\\\"port\\\": string}\")"
    );
}

#[test]
fn truncation_respects_char_boundaries() {
    let mut s = "ééééé".to_owned();
    truncate_in_place(&mut s, 3);
    assert_eq!(s, "é…");
}
