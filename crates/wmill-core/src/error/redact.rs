//! Decoder messages reduced to their shape, and values to their outline: no byte of a value
//! that may hold secrets reaches an error.

use std::fmt;

use super::excerpt::truncate_in_place;

/// A decoding error about data that may hold secrets (resources, state, the mock file): the
/// decoder's message reduced to its shape (`invalid type: string "…", expected u16`), with
/// no byte of the decoded value.
#[derive(Debug)]
struct RedactedError(String);

impl fmt::Display for RedactedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RedactedError {}

/// A decoder's error reduced to its shape (see [`redact_message`]), as a source error.
pub(crate) fn redacted(
    error: impl fmt::Display,
) -> Box<dyn std::error::Error + Send + Sync + 'static> {
    Box::new(RedactedError(redact_message(&error.to_string())))
}

/// What [`redact_message`] says for a message that has none of the known shapes.
pub(super) const UNRECOGNIZED_DECODE_ERROR: &str = "the data does not have the expected type (the decoder's message is not shown: it may quote the value)";

/// The messages of serde and serde_json that never hold data, kept as they are.
const FIXED_MESSAGES: &[&str] = &[
    "EOF while parsing a list",
    "EOF while parsing an object",
    "EOF while parsing a string",
    "EOF while parsing a value",
    "expected `:`",
    "expected `,` or `]`",
    "expected `,` or `}`",
    "expected ident",
    "expected value",
    "expected `\"`",
    "invalid escape",
    "invalid number",
    "number out of range",
    "invalid unicode code point",
    "control character (\\u0000-\\u001F) found while parsing a string",
    "key must be a string",
    "invalid value: expected key to be a number in quotes",
    "float key must be finite (got NaN or +/-inf)",
    "lone leading surrogate in hex escape",
    "trailing comma",
    "trailing characters",
    "unexpected end of hex escape",
    "recursion limit exceeded",
    "value is missing",
    "can only flatten structs and maps",
    "untagged and internally tagged enums do not support enum input",
];

/// The descriptions of serde's `Unexpected` (and serde_json's) that hold no data.
const DATALESS_UNEXPECTED: &[&str] = &[
    "byte array",
    "unit value",
    "Option value",
    "newtype struct",
    "sequence",
    "map",
    "enum",
    "unit variant",
    "newtype variant",
    "tuple variant",
    "struct variant",
    "null",
    "number",
    "i128",
    "u128",
];

/// A decoder's message with no byte of the decoded value: a fixed vocabulary, not a filter.
///
/// The messages serde and serde_json build are recognized by their templates
/// (`invalid type: <found>, expected <type>`, ``unknown variant `<v>`, expected ...``,
/// `invalid length <n>, expected ...`, ``missing field `<f>` ``, the syntax errors, ...) and
/// rebuilt from their parts that come from the target type (what was expected, the type's
/// field and variant names), the kind of what was found (`string "…"`, ``integer `…` ``)
/// and the position in the text. Values, variant names and lengths read from the data become
/// `…`; the keys of unknown fields stay (keys are not secret: the outline shows them). Any
/// other message (a `Deserialize` impl's own words, which may quote the value) becomes
/// [`UNRECOGNIZED_DECODE_ERROR`].
pub(super) fn redact_message(text: &str) -> String {
    let (message, position) = split_position(text);
    match redact_known(message) {
        Some(mut out) => {
            if let Some((line, column)) = position {
                out.push_str(&format!(" at line {line} column {column}"));
            }
            out
        }
        None => UNRECOGNIZED_DECODE_ERROR.to_owned(),
    }
}

/// `text` without serde_json's ` at line L column C` suffix, and that position.
fn split_position(text: &str) -> (&str, Option<(&str, &str)>) {
    let is_number =
        |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
    if let Some((head, column)) = text.rsplit_once(" column ")
        && let Some((message, line)) = head.rsplit_once(" at line ")
        && is_number(line)
        && is_number(column)
    {
        return (message, Some((line, column)));
    }
    (text, None)
}

/// The message rebuilt from its typed parts, `None` when it has no known shape.
fn redact_known(message: &str) -> Option<String> {
    if let Some(fixed) = FIXED_MESSAGES.iter().find(|m| **m == message) {
        return Some((*fixed).to_owned());
    }
    // Serde's words around a type name; the name is left out.
    if message.starts_with("data did not match any variant of untagged enum ") {
        return Some("data did not match any variant of the untagged enum".to_owned());
    }
    if message.starts_with("no variant of enum ") && message.ends_with(" found in flattened data") {
        return Some("no variant of the enum found in flattened data".to_owned());
    }
    for label in ["invalid type", "invalid value"] {
        if let Some(rest) = message
            .strip_prefix(label)
            .and_then(|r| r.strip_prefix(": "))
        {
            // The expected type comes last; what was found may hold ", expected " itself.
            let (found, expected) = rest.rsplit_once(", expected ")?;
            let found = redact_unexpected(found)?;
            return Some(format!("{label}: {found}, expected {}", typed(expected)));
        }
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        let (len, expected) = rest.split_once(", expected ")?;
        if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        return Some(format!("invalid length …, expected {}", typed(expected)));
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        if rest.ends_with("`, there are no variants") {
            return Some("unknown variant `…`, there are no variants".to_owned());
        }
        let (_variant, expected) = rest.rsplit_once("`, expected ")?;
        return is_name_list(expected)
            .then(|| format!("unknown variant `…`, expected {}", typed(expected)));
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        if let Some(key) = rest.strip_suffix("`, there are no fields") {
            return Some(format!(
                "unknown field `{}`, there are no fields",
                key_text(key)
            ));
        }
        let (key, expected) = rest.rsplit_once("`, expected ")?;
        return is_name_list(expected).then(|| {
            format!(
                "unknown field `{}`, expected {}",
                key_text(key),
                typed(expected)
            )
        });
    }
    for prefix in ["missing field `", "duplicate field `"] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let field = rest.strip_suffix('`')?;
            return Some(format!("{prefix}{}`", key_text(field)));
        }
    }
    None
}

/// The kind of what was found, from serde's description of it (`string "..."`,
/// ``integer `5` ``, `map`, ...), without its value; `None` for an unknown description.
fn redact_unexpected(found: &str) -> Option<&'static str> {
    if let Some(word) = DATALESS_UNEXPECTED.iter().find(|w| **w == found) {
        return Some(word);
    }
    let quoted = |prefix: &str| found.strip_prefix(prefix).and_then(|r| r.strip_suffix('`'));
    if let Some(b) = quoted("boolean `") {
        return matches!(b, "true" | "false").then_some("boolean `…`");
    }
    let is_integer = |s: &str| {
        let digits = s.strip_prefix('-').unwrap_or(s);
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
    };
    if let Some(rest) = found.strip_prefix("integer `") {
        let number = rest
            .strip_suffix('`')
            .or_else(|| rest.strip_suffix("` as i128"))
            .or_else(|| rest.strip_suffix("` as u128"))?;
        return is_integer(number).then_some("integer `…`");
    }
    if let Some(f) = quoted("floating point `") {
        let is_float = matches!(f, "NaN" | "inf" | "-inf")
            || (!f.is_empty()
                && f.bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-')));
        return is_float.then_some("floating point `…`");
    }
    if let Some(c) = quoted("character `") {
        return (c.chars().count() == 1).then_some("character `…`");
    }
    let string = found.strip_prefix("string \"")?.strip_suffix('"')?;
    is_debug_escaped(string).then_some("string \"…\"")
}

/// Whether `s` is the inside of a `{:?}`-formatted string: every `"` escaped, no lone `\\` at
/// the end.
fn is_debug_escaped(s: &str) -> bool {
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.next().is_none() => return false,
            '\\' => {}
            '"' => return false,
            _ => {}
        }
    }
    true
}

/// Whether `s` is serde's list of the type's names: `` `a` ``, `` `a` or `b` `` or
/// ``one of `a`, `b`, `c` ``.
fn is_name_list(s: &str) -> bool {
    (s.starts_with('`') || s.starts_with("one of `")) && s.ends_with('`') && s.len() > 1
}

/// A part of the message that comes from the target type (what it expected), bounded.
fn typed(text: &str) -> String {
    let mut text = text.to_owned();
    truncate_in_place(&mut text, 200);
    text
}

/// A field name or an object key, bounded and with control characters escaped.
fn key_text(key: &str) -> String {
    let mut text = String::with_capacity(key.len());
    for c in key.chars() {
        if c.is_control() {
            text.extend(c.escape_debug());
        } else {
            text.push(c);
        }
    }
    truncate_in_place(&mut text, 64);
    text
}

/// The outline of a JSON value: its keys and the kinds of their values, never the values
/// (`{"host": string, "port": number}`), at most 200 bytes.
pub(crate) fn outline(value: &serde_json::Value) -> String {
    use serde_json::Value;
    fn kind(v: &Value) -> &'static str {
        match v {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
    let mut text = match value {
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k:?}: {}", kind(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Value::Array(items) => format!("[{} items]", items.len()),
        other => kind(other).to_owned(),
    };
    truncate_in_place(&mut text, 200);
    text
}
