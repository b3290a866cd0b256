//! Errors built from what went wrong: an answer's status, a value that is not JSON.

use serde_json::Value;

use super::excerpt::{MAX_ERROR_BODY, excerpt};
use super::item::ItemKind;
use super::variants::{Error, Result};

/// `value` as JSON, or [`Error::InvalidInput`] naming `what` when it cannot be serialized (a
/// map with non-string keys, a failing `Serialize` impl).
///
/// ```
/// use std::collections::BTreeMap;
///
/// assert_eq!(wmill_core::to_json(&[1, 2], "list")?, serde_json::json!([1, 2]));
/// let bad: BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
/// assert!(wmill_core::to_json(&bad, "map").is_err());
/// # Ok::<(), wmill_core::Error>(())
/// ```
pub fn to_json<T: serde::Serialize + ?Sized>(value: &T, what: &'static str) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::unserializable(what, e))
}

impl Error {
    /// The [`Error::InvalidInput`] of a value that cannot be serialized to JSON.
    ///
    /// ```
    /// let e = wmill_core::Error::unserializable("request body", "key must be a string");
    /// assert!(e.to_string().contains("request body"));
    /// ```
    pub fn unserializable(what: &'static str, e: impl std::fmt::Display) -> Self {
        Error::invalid(what, format!("could not serialize it to JSON: {e}"))
    }

    /// The error of an answer with the non-success `status` to `request` (`METHOD /path`):
    /// 401 and 403 are [`Error::Unauthorized`], 404 [`Error::NotFound`] naming the request's
    /// path, any other [`Error::Api`]; `body` is kept as an [`excerpt`] of
    /// [`MAX_ERROR_BODY`] bytes.
    ///
    /// ```
    /// use wmill_core::Error;
    ///
    /// let e = Error::from_status(403, "GET /api/w/demo/variables/list", b"forbidden");
    /// assert!(matches!(e, Error::Unauthorized { status: 403, .. }));
    /// let e = Error::from_status(502, "GET /api/version", b"bad gateway");
    /// assert!(matches!(e, Error::Api { status: 502, .. }));
    /// ```
    pub fn from_status(status: u16, request: impl Into<String>, body: &[u8]) -> Self {
        let request = request.into();
        match status {
            404 => Error::not_found(
                ItemKind::Other,
                request.split_once(' ').map_or(request.as_str(), |x| x.1),
            ),
            401 | 403 => Error::Unauthorized {
                status,
                request,
                body: excerpt(body, MAX_ERROR_BODY),
            },
            _ => Error::Api {
                status,
                request,
                body: excerpt(body, MAX_ERROR_BODY),
            },
        }
    }
}
