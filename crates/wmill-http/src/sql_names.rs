//! The checks of every name written into SQL text: the SQL type declared for a bound value,
//! argument names, data table and lake names (`name:schema`), roles, identifiers and lake
//! tables. Each one keeps the name from leaving the literal or identifier it is written into.

use serde_json::Value;

use crate::sql::Invalid;

/// The SQL type declared for a value: `BOOLEAN`, `BIGINT`, `FLOAT8`, `TEXT`, `JSON`.
pub(crate) fn infer_sql_type(value: &Value) -> std::result::Result<&'static str, Invalid> {
    Ok(match value {
        Value::Null | Value::String(_) => "TEXT",
        Value::Bool(_) => "BOOLEAN",
        Value::Number(n) if n.is_i64() => "BIGINT",
        Value::Number(n) if n.is_u64() => {
            return Err(Invalid::new(
                "SQL argument",
                format!(
                    "{n} is above the largest BIGINT ({}): bind it as text and cast it in SQL",
                    i64::MAX
                ),
            ));
        }
        Value::Number(_) => "FLOAT8",
        Value::Array(_) | Value::Object(_) => "JSON",
    })
}

pub(crate) fn validate_sql_type(t: &str) -> std::result::Result<&str, Invalid> {
    let ok = !t.is_empty()
        && t.len() <= 63
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'[' | b']'));
    if ok {
        Ok(t)
    } else {
        Err(Invalid::new(
            "SQL type",
            format!("{t:?} must be 1-63 characters of letters, digits, '_', '[' and ']'"),
        ))
    }
}

pub(crate) fn validate_arg_name(n: &str) -> std::result::Result<(), Invalid> {
    check_ident("SQL argument name", n)
}

/// Whether `s` is 1-`max` characters of ASCII letters, digits, `_` and `-`.
pub(crate) fn is_plain_name(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

/// `name` or `name:schema` (empty name: `main`), validated: the name and schema are 1-63
/// characters of letters, digits, `_` and `-`, so neither can leave the quoted literal or
/// identifier it is written into.
pub(crate) fn parse_name(
    what: &'static str,
    spec: &str,
) -> (String, Option<String>, Option<Invalid>) {
    let (name, schema) = match spec.split_once(':') {
        Some((n, s)) => (n, Some(s)),
        None => (spec, None),
    };
    let name = if name.is_empty() { "main" } else { name };
    let mut invalid = None;
    if !is_plain_name(name, 63) {
        invalid = Some(Invalid::new(
            what,
            format!("{name:?} must be 1-63 characters of letters, digits, '_' and '-'"),
        ));
    }
    let schema = match schema {
        None => None,
        Some(s) if is_plain_name(s, 63) => Some(s.to_owned()),
        Some(s) => {
            invalid.get_or_insert(Invalid::new(
                "schema",
                format!(
                    "{s:?} (in {spec:?}) must be 1-63 characters of letters, digits, '_' and '-'"
                ),
            ));
            None
        }
    };
    (name.to_owned(), schema, invalid)
}

/// An identifier: a letter or `_`, then letters, digits or `_`.
pub(crate) fn check_ident(what: &'static str, s: &str) -> std::result::Result<(), Invalid> {
    let mut bytes = s.bytes();
    let ok = s.len() <= 63
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(
            what,
            format!(
                "{s:?} must be an identifier: a letter or '_', then letters, digits or '_' (at most 63)"
            ),
        ))
    }
}

/// `table` or `schema.table`, each an identifier.
pub(crate) fn check_table(table: &str) -> std::result::Result<(), Invalid> {
    let parts: Vec<&str> = table.split('.').collect();
    if parts.len() > 2 {
        return Err(Invalid::new(
            "lake table",
            format!("{table:?} must be `table` or `schema.table`"),
        ));
    }
    parts
        .into_iter()
        .try_for_each(|p| check_ident("lake table", p))
}

#[cfg(test)]
mod tests;
