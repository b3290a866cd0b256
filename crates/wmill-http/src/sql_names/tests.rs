//! Unit tests of the SQL name checks.

use super::*;
use serde_json::json;

#[test]
fn types_follow_the_json_form() {
    for (v, t) in [
        (json!(null), "TEXT"),
        (json!("x"), "TEXT"),
        (json!(true), "BOOLEAN"),
        (json!(-3), "BIGINT"),
        (json!(i64::MAX), "BIGINT"),
        (json!(1.5), "FLOAT8"),
        (json!([1, 2]), "JSON"),
        (json!({"a": 1}), "JSON"),
    ] {
        assert_eq!(infer_sql_type(&v).unwrap(), t, "{v}");
    }
    assert!(infer_sql_type(&json!(u64::MAX)).is_err());
}

#[test]
fn names() {
    assert_eq!(
        parse_name("datatable name", ""),
        ("main".into(), None, None)
    );
    assert_eq!(
        parse_name("datatable name", ":sales"),
        ("main".into(), Some("sales".into()), None)
    );
    assert_eq!(
        parse_name("datatable name", "dt-2:s_1"),
        ("dt-2".into(), Some("s_1".into()), None)
    );
    for bad in ["a'b", "a b", "x:", "x:y:z", "x:s\"", &"n".repeat(64)] {
        assert!(parse_name("datatable name", bad).2.is_some(), "{bad}");
    }
    assert!(validate_sql_type("TEXT[]").is_ok());
    assert!(validate_sql_type("DOUBLE PRECISION").is_err());
    assert!(validate_sql_type("int); DROP").is_err());
    assert!(validate_arg_name("_id2").is_ok());
    assert!(validate_arg_name("2x").is_err());
    assert!(validate_arg_name("a-b").is_err());
}

#[test]
fn tables_and_identifiers() {
    assert!(check_table("orders").is_ok());
    assert!(check_table("sales.orders_2").is_ok());
    for bad in ["", ".", "a.", "a.b.c", "1a", "a-b", "a b", "a;b", "\"a\""] {
        assert!(check_table(bad).is_err(), "{bad}");
    }
    assert!(check_ident("k", "_id").is_ok());
    assert!(check_ident("k", "id, x").is_err());
}
