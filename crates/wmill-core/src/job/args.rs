//! Job arguments ([`Args`], [`to_args`]) and job results decoded into a type.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::{Error, Result};

/// The arguments of a job: a JSON object, argument name -> value.
pub type Args = Map<String, Value>;

/// Turns any serializable value into job [`Args`].
///
/// The value must serialize to a JSON object (a struct, a map, `serde_json::json!({...})`);
/// anything else is [`Error::InvalidInput`], raised before any request is sent.
///
/// ```
/// use serde_json::json;
///
/// let args = wmill_core::to_args(&json!({"x": 1}))?;
/// assert_eq!(args["x"], 1);
/// assert!(wmill_core::to_args(&[1, 2]).is_err());
/// # Ok::<(), wmill_core::Error>(())
/// ```
pub fn to_args<A: Serialize + ?Sized>(args: &A) -> Result<Args> {
    match serde_json::to_value(args) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Args::new()),
        Ok(other) => Err(Error::invalid(
            "job arguments",
            format!(
                "job arguments must be a JSON object (argument name -> value), got {}",
                json_kind(&other)
            ),
        )),
        Err(e) => Err(Error::unserializable("job arguments", e)),
    }
}

pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn from_result<R: DeserializeOwned>(value: Value, what: &str) -> Result<R> {
    R::deserialize(&value).map_err(|e| {
        let mut excerpt = value.to_string();
        crate::error::truncate_in_place(&mut excerpt, 200);
        Error::Decode {
            request: format!("result of {what}"),
            body_excerpt: excerpt,
            source: Box::new(e),
        }
    })
}
