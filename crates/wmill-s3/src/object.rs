//! [`S3Object`]: a file in a workspace storage, in Windmill's JSON form and as an `s3://` URI.

use std::fmt;

use serde::{Deserialize, Serialize};
use wmill_core::{Error, Result};

/// A file in a Windmill workspace storage: its key, the storage it lives in (`None`: the
/// workspace's default storage) and, once signed, the `presigned` query string.
///
/// On the wire (script arguments and results) it is Windmill's JSON object
/// `{"s3": "key", "storage"?: "name", "presigned"?: "..."}` (plus the server's optional
/// `filename`); as text it is the URI `s3://<storage>/<key>`, or `s3:///<key>` for the default
/// storage.
///
/// # Keys
/// The key is checked when the object is built, parsed or deserialized. Every rule:
/// - it is not empty, and has at least one non-empty segment;
/// - it does not end with `/` (that names a folder, not a file);
/// - no segment is `.` or `..`;
/// - it has no control character (newline, tab, NUL, ...).
///
/// A leading `/` and empty segments are accepted and dropped, as the Windmill server does
/// when it builds its object paths (Python steps write `S3Object(s3='/path/to/file.txt')`):
/// `"/path/to//file.txt"` is stored and read at the key `path/to/file.txt`, which
/// [`S3Object::key`] returns. The string as given is kept and serialized back unchanged
/// ([`S3Object::original_key`]), so a step hands on exactly what it received.
///
/// An empty storage name means the default storage (`None`).
///
/// ```
/// use wmill_s3::S3Object;
///
/// let obj: S3Object = "s3://archive/reports/2024.csv".parse()?;
/// assert_eq!(obj.key(), "reports/2024.csv");
/// assert_eq!(obj.storage(), Some("archive"));
/// assert_eq!(obj.to_string(), "s3://archive/reports/2024.csv");
///
/// let default: S3Object = "s3:///data.json".parse()?;
/// assert_eq!(default.storage(), None);
///
/// // Windmill's JSON form
/// let json = serde_json::to_string(&S3Object::new("a/b.txt")?)?;
/// assert_eq!(json, r#"{"s3":"a/b.txt"}"#);
/// let back: S3Object = serde_json::from_str(r#"{"s3": "x.bin", "storage": "cold"}"#)?;
/// assert_eq!(back, S3Object::new("x.bin")?.with_storage("cold"));
///
/// assert!(S3Object::new("../etc/passwd").is_err());
///
/// // Python's S3Object(s3='/path/to/file.txt'): stored where the server stores it
/// let py: S3Object = serde_json::from_str(r#"{"s3": "/path/to/file.txt"}"#)?;
/// assert_eq!(py.key(), "path/to/file.txt");
/// assert_eq!(serde_json::to_string(&py)?, r#"{"s3":"/path/to/file.txt"}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawS3Object", into = "RawS3Object")]
pub struct S3Object {
    /// The key as given (serialized back unchanged).
    s3: String,
    /// The key the store sees: `s3` without empty segments.
    key: String,
    storage: Option<String>,
    presigned: Option<String>,
    filename: Option<String>,
}

/// The unvalidated wire form.
#[derive(Serialize, Deserialize)]
struct RawS3Object {
    s3: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    storage: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    presigned: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filename: Option<String>,
}

impl TryFrom<RawS3Object> for S3Object {
    type Error = Error;

    fn try_from(raw: RawS3Object) -> Result<Self> {
        let key = validate_key(&raw.s3)?;
        if let Some(storage) = &raw.storage {
            validate_storage(storage)?;
        }
        Ok(S3Object {
            s3: raw.s3,
            key,
            storage: raw.storage.filter(|s| !s.is_empty()),
            presigned: raw.presigned.filter(|s| !s.is_empty()),
            filename: raw.filename,
        })
    }
}

impl From<S3Object> for RawS3Object {
    fn from(obj: S3Object) -> Self {
        RawS3Object {
            s3: obj.s3,
            storage: obj.storage,
            presigned: obj.presigned,
            filename: obj.filename,
        }
    }
}

const WHAT: &str = "S3 object key";

/// Checks a storage name: it is one segment of `s3://<storage>/<key>` URIs and of Windmill's
/// S3 proxy URLs, so no `/` or `\\`, no control character, not `.` or `..`, no surrounding
/// whitespace. (The empty name is the default storage and never reaches this check.)
pub(crate) fn validate_storage(storage: &str) -> Result<()> {
    let reason = if storage.contains(['/', '\\']) {
        "contains a '/' or '\\' (a storage name is one segment of s3://<storage>/<key>)"
    } else if storage.chars().any(char::is_control) {
        "contains a control character"
    } else if storage == "." || storage == ".." {
        "is a relative path segment"
    } else if storage.trim() != storage {
        "starts or ends with whitespace"
    } else {
        return Ok(());
    };
    Err(Error::invalid(
        "S3 storage name",
        format!("{storage:?} {reason}"),
    ))
}

/// Checks the key rules listed on [`S3Object`] and returns the key the store sees (empty
/// segments dropped, as object_store's `Path` drops them on the server).
pub(crate) fn validate_key(key: &str) -> Result<String> {
    if key.is_empty() {
        return Err(Error::invalid(WHAT, "the key is empty"));
    }
    if key.chars().any(char::is_control) {
        return Err(Error::invalid(
            WHAT,
            format!("{key:?} contains a control character"),
        ));
    }
    if key.ends_with('/') {
        return Err(Error::invalid(
            WHAT,
            format!("{key:?} ends with '/' (that is a folder, not a file)"),
        ));
    }
    let mut normalized = String::with_capacity(key.len());
    for segment in key.split('/') {
        match segment {
            "" => {}
            "." | ".." => {
                return Err(Error::invalid(
                    WHAT,
                    format!("{key:?} has a relative segment {segment:?}"),
                ));
            }
            _ => {
                if !normalized.is_empty() {
                    normalized.push('/');
                }
                normalized.push_str(segment);
            }
        }
    }
    if normalized.is_empty() {
        return Err(Error::invalid(
            WHAT,
            format!("{key:?} names no file (only '/')"),
        ));
    }
    Ok(normalized)
}

impl S3Object {
    /// An object of the workspace's default storage.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the key breaks a rule listed on [`S3Object`].
    ///
    /// ```
    /// let obj = wmill_s3::S3Object::new("folder/file.csv")?;
    /// assert_eq!(obj.to_string(), "s3:///folder/file.csv");
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub fn new(key: impl Into<String>) -> Result<Self> {
        let s3 = key.into();
        let key = validate_key(&s3)?;
        Ok(S3Object {
            s3,
            key,
            storage: None,
            presigned: None,
            filename: None,
        })
    }

    /// The same object in the named storage (an empty name means the default storage).
    ///
    /// The name is checked when the object is used (every [`S3Client`](crate::S3Client)
    /// operation, before any request): no `/` or `\\`, no control character, not `.` or `..`,
    /// no surrounding whitespace; [`S3Object::validate`] checks it at once.
    ///
    /// ```
    /// let obj = wmill_s3::S3Object::new("f.txt")?.with_storage("archive");
    /// assert_eq!(obj.storage(), Some("archive"));
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub fn with_storage(mut self, storage: impl Into<String>) -> Self {
        let storage = storage.into();
        self.storage = (!storage.is_empty()).then_some(storage);
        self
    }

    /// The same object in `storage` (`None`: the default storage).
    pub fn with_storage_opt(mut self, storage: Option<&str>) -> Self {
        self.storage = storage.filter(|s| !s.is_empty()).map(str::to_owned);
        self
    }

    /// The same object with the `presigned` query string (as `sign_s3_objects` returns it).
    pub fn with_presigned(mut self, presigned: impl Into<String>) -> Self {
        let presigned = presigned.into();
        self.presigned = (!presigned.is_empty()).then_some(presigned);
        self
    }

    /// Parses `s3://<storage>/<key>` or `s3:///<key>` (default storage).
    ///
    /// Any other text, including a bare key, is [`Error::InvalidInput`] (as in the Python and
    /// TypeScript clients: an automatically chosen key is asked for by passing no object).
    ///
    /// ```
    /// use wmill_s3::S3Object;
    /// assert_eq!(S3Object::parse("s3://st/k")?.key(), "k");
    /// assert!(S3Object::parse("k").is_err());
    /// assert!(S3Object::parse("s3://st/").is_err());
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub fn parse(uri: &str) -> Result<Self> {
        let rest = uri.strip_prefix("s3://").ok_or_else(|| {
            Error::invalid(
                "S3 URI",
                format!("{uri:?} does not start with s3:// (expected s3://<storage>/<key> or s3:///<key>)"),
            )
        })?;
        let (storage, key) = rest.split_once('/').ok_or_else(|| {
            Error::invalid(
                "S3 URI",
                format!("{uri:?} has no key (expected s3://<storage>/<key> or s3:///<key>)"),
            )
        })?;
        if !storage.is_empty() {
            validate_storage(storage)?;
        }
        Ok(S3Object::new(key)?.with_storage(storage))
    }

    /// Checks the key and the storage name ([`Error::InvalidInput`] naming the rule broken).
    /// Objects from [`S3Object::new`], [`S3Object::parse`] and deserialization are checked
    /// already; [`S3Object::with_storage`] leaves its name to this check, which every
    /// [`S3Client`](crate::S3Client) operation runs before any request.
    ///
    /// ```
    /// use wmill_s3::S3Object;
    /// assert!(S3Object::new("k")?.with_storage("archive").validate().is_ok());
    /// assert!(S3Object::new("k")?.with_storage("a/b").validate().is_err());
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub fn validate(&self) -> Result<()> {
        validate_key(&self.s3)?;
        match &self.storage {
            Some(storage) => validate_storage(storage),
            None => Ok(()),
        }
    }

    /// The object key inside its storage: where the object is stored and read, with a leading
    /// `/` and empty segments dropped (see [Keys](S3Object#keys)).
    ///
    /// ```
    /// let obj = wmill_s3::S3Object::new("/path/to//file.txt")?;
    /// assert_eq!(obj.key(), "path/to/file.txt");
    /// assert_eq!(obj.original_key(), "/path/to//file.txt");
    /// # Ok::<(), wmill_core::Error>(())
    /// ```
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The key as it was given (built, parsed or deserialized), which serialization writes
    /// back. Equal to [`S3Object::key`] unless it had a leading `/` or empty segments.
    pub fn original_key(&self) -> &str {
        &self.s3
    }

    /// The storage name; `None` is the workspace's default storage.
    pub fn storage(&self) -> Option<&str> {
        self.storage.as_deref()
    }

    /// The presigned query string, once signed.
    pub fn presigned(&self) -> Option<&str> {
        self.presigned.as_deref()
    }

    /// The optional display file name the server may attach.
    pub fn filename(&self) -> Option<&str> {
        self.filename.as_deref()
    }

    /// The storage as it appears in Windmill's URLs: its name, or `_default_`.
    pub fn storage_segment(&self) -> &str {
        self.storage.as_deref().unwrap_or("_default_")
    }
}

impl fmt::Display for S3Object {
    /// The URI `s3://<storage>/<key>` (`s3:///<key>` for the default storage).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "s3://{}/{}",
            self.storage.as_deref().unwrap_or(""),
            self.s3
        )
    }
}

impl fmt::Debug for S3Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("S3Object");
        d.field("s3", &self.s3).field("storage", &self.storage);
        if self.presigned.is_some() {
            // the signature grants access: do not print it
            d.field("presigned", &"***");
        }
        if let Some(name) = &self.filename {
            d.field("filename", name);
        }
        d.finish()
    }
}

wmill_core::__parse_impls!(S3Object);

impl AsRef<S3Object> for S3Object {
    fn as_ref(&self) -> &S3Object {
        self
    }
}

#[cfg(test)]
mod tests;
