//! Small parsers of Windmill's reference syntaxes, and database URLs built from resources.

use serde_json::Value;

use crate::{Error, Result};

/// The resource path of a `$res:<path>` or `res://<path>` reference; `None` for any other text.
/// Python: `wmill.parse_resource_syntax(s)`.
///
/// The path is returned as written; [`ItemPath::parse_resource_ref`](crate::ItemPath::parse_resource_ref)
/// also accepts a plain path and checks it.
///
/// ```
/// use wmill_core::parse_resource_syntax;
/// assert_eq!(parse_resource_syntax("$res:f/db/main"), Some("f/db/main"));
/// assert_eq!(parse_resource_syntax("res://f/db/main"), Some("f/db/main"));
/// assert_eq!(parse_resource_syntax("f/db/main"), None);
/// ```
pub fn parse_resource_syntax(s: &str) -> Option<&str> {
    s.strip_prefix("$res:").or_else(|| s.strip_prefix("res://"))
}

/// The variable path of a `var://<path>` or `$var:<path>` reference; `None` for any other text.
/// Python: `wmill.parse_variable_syntax(s)` (which knows `var://` only).
///
/// ```
/// use wmill_core::parse_variable_syntax;
/// assert_eq!(parse_variable_syntax("var://u/me/token"), Some("u/me/token"));
/// assert_eq!(parse_variable_syntax("$var:u/me/token"), Some("u/me/token"));
/// assert_eq!(parse_variable_syntax("u/me/token"), None);
/// ```
pub fn parse_variable_syntax(s: &str) -> Option<&str> {
    s.strip_prefix("var://").or_else(|| s.strip_prefix("$var:"))
}

/// A `postgresql://` connection URL built from a PostgreSQL resource value
/// (`{host, port, user, password, dbname, sslmode}`, Windmill's `postgresql` resource type).
/// TypeScript: `databaseUrlFromResource(path)` (which also fetches the resource: the umbrella's
/// `wmill::database_url_from_resource(path)` does).
///
/// Unlike the TypeScript client, the user, password and database name are percent-encoded, so a
/// password holding `@`, `:` or `/` gives a valid URL; `port` defaults to 5432 and `sslmode` is
/// left out when the resource has none. The URL carries the password: do not log it.
///
/// # Errors
/// [`Error::InvalidInput`] when the value is not an object, `host` is missing or empty, or a
/// field has the wrong type.
///
/// ```
/// use serde_json::json;
/// let url = wmill_core::database_url(&json!({
///     "host": "db.internal", "port": 6543, "user": "app", "password": "p@ss:w/rd",
///     "dbname": "sales", "sslmode": "require"
/// }))?;
/// assert_eq!(url, "postgresql://app:p%40ss%3Aw%2Frd@db.internal:6543/sales?sslmode=require");
/// # Ok::<(), wmill_core::Error>(())
/// ```
pub fn database_url(resource: &Value) -> Result<String> {
    const WHAT: &str = "PostgreSQL resource";
    let obj = resource.as_object().ok_or_else(|| {
        Error::invalid(
            WHAT,
            format!(
                "expected an object with host, port, user, password, dbname; got {}",
                crate::job::json_kind(resource)
            ),
        )
    })?;
    let text = |field: &str| -> Result<Option<String>> {
        match obj.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) if field == "port" => Ok(Some(n.to_string())),
            Some(other) => Err(Error::invalid(
                WHAT,
                format!(
                    "field {field:?} must be a string, got {}",
                    crate::job::json_kind(other)
                ),
            )),
        }
    };
    let host = text("host")?
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Error::invalid(WHAT, "field \"host\" is missing or empty"))?;
    if host.contains(['/', '@', '?', '#']) || host.chars().any(char::is_whitespace) {
        return Err(Error::invalid(
            WHAT,
            "field \"host\" must be a host name or address, without '/', '@', '?', '#' or spaces",
        ));
    }
    let port = text("port")?.unwrap_or_else(|| "5432".to_owned());
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(WHAT, "field \"port\" must be a port number"));
    }
    let mut url = String::from("postgresql://");
    if let Some(user) = text("user")? {
        url.push_str(&encode_component(&user));
        if let Some(password) = text("password")? {
            url.push(':');
            url.push_str(&encode_component(&password));
        }
        url.push('@');
    }
    url.push_str(&host);
    url.push(':');
    url.push_str(&port);
    url.push('/');
    if let Some(db) = text("dbname")? {
        url.push_str(&encode_component(&db));
    }
    if let Some(sslmode) = text("sslmode")?.filter(|s| !s.is_empty()) {
        url.push_str("?sslmode=");
        url.push_str(&encode_component(&sslmode));
    }
    Ok(url)
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

#[cfg(test)]
mod tests;
