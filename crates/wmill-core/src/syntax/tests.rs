use serde_json::json;

use super::*;

#[test]
fn syntaxes() {
    assert_eq!(parse_resource_syntax("$res:a"), Some("a"));
    assert_eq!(parse_resource_syntax("res://"), Some(""));
    assert_eq!(parse_resource_syntax("var://a"), None);
    assert_eq!(parse_variable_syntax("var://a/b"), Some("a/b"));
    assert_eq!(parse_variable_syntax("$res:a"), None);
}

#[test]
fn minimal_and_full_urls() {
    assert_eq!(
        database_url(&json!({"host": "h"})).unwrap(),
        "postgresql://h:5432/"
    );
    assert_eq!(
        database_url(
            &json!({"host": "h", "port": "5433", "user": "ü", "dbname": "a b", "sslmode": ""})
        )
        .unwrap(),
        "postgresql://%C3%BC@h:5433/a%20b"
    );
}

#[test]
fn bad_resources_are_invalid_input() {
    for bad in [
        json!("postgres://x"),
        json!({}),
        json!({"host": ""}),
        json!({"host": "h/x"}),
        json!({"host": "h", "port": "54a"}),
        json!({"host": "h", "port": true}),
        json!({"host": "h", "user": 5}),
    ] {
        let err = database_url(&bad).unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{bad}: {err:?}");
    }
}

#[test]
fn errors_never_show_the_password() {
    let err = database_url(&json!({"host": "h", "port": "x", "password": "hunter2"})).unwrap_err();
    assert!(!err.to_string().contains("hunter2"));
}
